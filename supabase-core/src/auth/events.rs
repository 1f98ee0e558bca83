//! `on_auth_state_change`: session changes as callbacks and as a `Stream` (auth-js
//! `onAuthStateChange`, `_notifyAllSubscribers`).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::sync::broadcast;

use super::session::Locked;
use super::types::Session;
use super::{Auth, AuthShared};

/// What happened to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthChangeEvent {
    /// Sent to each new subscriber first, with the session at that moment (maybe none).
    InitialSession,
    /// A user signed in (password, OTP, code exchange, `set_session`, …).
    SignedIn,
    /// The session ended (`sign_out`, or its refresh token was refused).
    SignedOut,
    /// The access token was refreshed.
    TokenRefreshed,
    /// `update_user` changed the user.
    UserUpdated,
    /// A password-recovery link or code was used: ask the user for a new password.
    PasswordRecovery,
    /// An MFA challenge was verified (the session is now `aal2`).
    MfaChallengeVerified,
}

impl AuthChangeEvent {
    /// The reference's spelling, e.g. `SIGNED_IN`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthChangeEvent::InitialSession => "INITIAL_SESSION",
            AuthChangeEvent::SignedIn => "SIGNED_IN",
            AuthChangeEvent::SignedOut => "SIGNED_OUT",
            AuthChangeEvent::TokenRefreshed => "TOKEN_REFRESHED",
            AuthChangeEvent::UserUpdated => "USER_UPDATED",
            AuthChangeEvent::PasswordRecovery => "PASSWORD_RECOVERY",
            AuthChangeEvent::MfaChallengeVerified => "MFA_CHALLENGE_VERIFIED",
        }
    }
}

impl fmt::Display for AuthChangeEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One session change: the event and the session after it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AuthEvent {
    /// What happened.
    pub event: AuthChangeEvent,
    /// The session after the change (`None` after `SIGNED_OUT`).
    pub session: Option<Session>,
}

pub(crate) type Callback = Arc<dyn Fn(AuthChangeEvent, Option<&Session>) + Send + Sync>;

/// A registered `on_auth_state_change` callback; [`unsubscribe`](Self::unsubscribe) removes it.
pub struct Subscription {
    id: u64,
    shared: std::sync::Weak<AuthShared>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl Subscription {
    /// Stops calling the callback.
    pub fn unsubscribe(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.callbacks().retain(|(id, _)| *id != self.id);
        }
    }
}

impl AuthShared {
    fn callbacks(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Callback)>> {
        self.callbacks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a callback for later changes only (no `INITIAL_SESSION` call, no
    /// initialisation): how other services of the client follow the session, e.g. realtime
    /// pushing a refreshed token to its channels.
    pub(crate) fn listen(&self, callback: Callback) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.callbacks().push((id, callback));
    }

    /// Tells every callback and stream about `event`.
    pub(crate) fn emit(&self, event: AuthChangeEvent, session: Option<&Session>) {
        tracing::debug!(event = event.as_str(), "auth state change");
        let callbacks: Vec<Callback> = self
            .callbacks()
            .iter()
            .map(|(_, c)| Arc::clone(c))
            .collect();
        for callback in callbacks {
            callback(event, session);
        }
        let _no_receivers_is_fine = self.events.send(AuthEvent {
            event,
            session: session.cloned(),
        });
    }
}

impl Auth {
    /// The `INITIAL_SESSION` event, under the session lock (auth-js `_emitInitialSession`): the
    /// session loaded from the store, refreshed first if it is about to expire (when that
    /// refresh fails, the session while its access token still works, else none). Every change emits its event under the lock, so a subscriber
    /// registered before `locked` is released misses none after this one.
    async fn initial_session(&self, locked: &mut Locked<'_>) -> Option<Session> {
        // Third-party auth keeps no session: nothing to report.
        self.shared.initialize().await.ok()?;
        let ticket = self.shared.ticket();
        self.shared
            .fresh_session_locked(locked, ticket)
            .await
            .ok()
            .flatten()
    }

    /// Calls `callback` on every session change, starting with `INITIAL_SESSION` (the session
    /// loaded from the store and refreshed if about to expire, or none). Callbacks run on the
    /// task that caused the change; keep them short.
    pub async fn on_auth_state_change(
        &self,
        callback: impl Fn(AuthChangeEvent, Option<&Session>) + Send + Sync + 'static,
    ) -> Subscription {
        let mut locked = self.shared.lock().await;
        let session = self.initial_session(&mut locked).await;
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let callback: Callback = Arc::new(callback);
        callback(AuthChangeEvent::InitialSession, session.as_ref());
        self.shared.callbacks().push((id, callback));
        Subscription {
            id,
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Session changes as a stream, starting with `INITIAL_SESSION` (as
    /// [`on_auth_state_change`](Self::on_auth_state_change)). A subscriber that falls more than
    /// 64 events behind skips the oldest ones.
    pub async fn auth_state_changes(&self) -> BoxStream<'static, AuthEvent> {
        let mut locked = self.shared.lock().await;
        let session = self.initial_session(&mut locked).await;
        let rx = self.shared.events.subscribe();
        drop(locked);
        let first = AuthEvent {
            event: AuthChangeEvent::InitialSession,
            session,
        };
        futures_util::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
            if let Some(first) = first {
                return Some((first, (None, rx)));
            }
            loop {
                match rx.recv().await {
                    Ok(event) => return Some((event, (None, rx))),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
        .boxed()
    }
}
