//! The session: loading it from the store, saving it, refreshing it once however many callers
//! need it (auth-js `__loadSession`, `_saveSession`, `_removeSession`, `_callRefreshToken`).

use http::HeaderValue;

use super::api::{Body, Call};
use super::errors::AuthError;
use super::events::AuthChangeEvent;
use super::pkce::VERIFIER_SUFFIX;
use super::types::{AuthResponse, Session, now};
use super::{Auth, AuthShared};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Refresh this long before expiry (auth-js `EXPIRY_MARGIN_MS`: three 30 s ticks), or half the
/// token's lifetime for short-lived tokens.
const EXPIRY_MARGIN_SECS: i64 = 90;

/// Seconds before `session` expires at which it counts as stale.
pub(crate) fn margin(session: &Session) -> i64 {
    EXPIRY_MARGIN_SECS.min(session.expires_in.max(0) / 2)
}

impl AuthShared {
    /// The session in memory (after [`initialize`](Self::initialize)).
    pub(crate) fn current(&self) -> Option<Session> {
        self.session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_current(&self, session: Option<Session>) {
        let bearer = session.as_ref().and_then(|s| {
            let mut v =
                HeaderValue::from_str(&format!("Bearer {}", s.access_token.expose())).ok()?;
            v.set_sensitive(true);
            Some(v)
        });
        *self.session.lock().unwrap_or_else(|e| e.into_inner()) = session;
        *self.bearer.write().unwrap_or_else(|e| e.into_inner()) = bearer;
        self.changed.send_modify(|n| *n += 1);
    }

    /// Loads the stored session once (auth-js `_initialize` / `_recoverAndRefresh`).
    pub(crate) async fn initialize(self: &std::sync::Arc<Self>) {
        self.initialized
            .get_or_init(|| async {
                match self.store.get_item(&self.storage_key).await {
                    Ok(Some(text)) => match serde_json::from_str::<Session>(&text) {
                        Ok(session) => {
                            self.set_current(Some(session));
                            self.start_ticker();
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "dropping a malformed stored session");
                            let _ = self.store.remove_item(&self.storage_key).await;
                        }
                    },
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "could not read the session store"),
                }
            })
            .await;
    }

    /// Keeps `session` (memory and store) and starts the refresh task.
    pub(crate) async fn save_session(self: &std::sync::Arc<Self>, session: Session) -> Result<()> {
        self.initialize().await;
        let session = session.with_expiry();
        let text = serde_json::to_string(&session).map_err(|e| Error::Encode(e.to_string()))?;
        self.set_current(Some(session));
        self.store.set_item(&self.storage_key, text).await?;
        self.start_ticker();
        Ok(())
    }

    /// Forgets the session and any pending PKCE verifier, then emits `SIGNED_OUT`.
    pub(crate) async fn remove_session(self: &std::sync::Arc<Self>) -> Result<()> {
        self.initialize().await;
        self.set_current(None);
        self.store.remove_item(&self.storage_key).await?;
        let verifier_key = format!("{}{VERIFIER_SUFFIX}", self.storage_key);
        self.store.remove_item(&verifier_key).await?;
        self.emit(AuthChangeEvent::SignedOut, None);
        Ok(())
    }

    /// Saves the session of a sign-in-like answer and emits `event`.
    pub(crate) async fn signed_in(
        self: &std::sync::Arc<Self>,
        response: AuthResponse,
        event: AuthChangeEvent,
    ) -> Result<AuthResponse> {
        if let Some(session) = &response.session {
            self.save_session(session.clone()).await?;
            self.emit(event, self.current().as_ref());
        }
        Ok(AuthResponse {
            session: response.session.map(Session::with_expiry),
            ..response
        })
    }

    /// Refreshes the session when it is about to expire; the common case (no session, or one
    /// still fresh) only looks at the expiry, without copying the session.
    pub(crate) async fn ensure_fresh(self: &std::sync::Arc<Self>) -> Result<()> {
        self.initialize().await;
        let stale = {
            let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
            match session.as_ref() {
                Some(s) if s.expires_in_secs() <= margin(s) => Some(s.refresh_token.clone()),
                _ => None,
            }
        };
        if let Some(refresh_token) = stale {
            self.refresh(&refresh_token, true).await?;
        }
        Ok(())
    }

    /// The session, refreshed first when it is about to expire (auth-js `__loadSession`).
    pub(crate) async fn fresh_session(self: &std::sync::Arc<Self>) -> Result<Option<Session>> {
        self.initialize().await;
        let Some(session) = self.current() else {
            return Ok(None);
        };
        if session.expires_in_secs() > margin(&session) {
            return Ok(Some(session));
        }
        self.refresh(&session.refresh_token, true).await.map(Some)
    }

    /// The access token of a fresh session, or [`AuthError::SessionMissing`].
    pub(crate) async fn access_token(self: &std::sync::Arc<Self>) -> Result<Secret> {
        match self.fresh_session().await? {
            Some(s) => Ok(s.access_token),
            None => Err(AuthError::SessionMissing.into()),
        }
    }

    /// Trades `refresh_token` for a new session, saves it and emits `TOKEN_REFRESHED`.
    ///
    /// Single flight: callers queue on one lock; with `dedupe`, a caller that finds the session
    /// already renewed by the one before it (another refresh token in memory) takes that session
    /// instead of sending its own request. A refresh token the server refuses ends the session
    /// (`SIGNED_OUT`), as auth-js does; a transient failure keeps it.
    pub(crate) async fn refresh(
        self: &std::sync::Arc<Self>,
        refresh_token: &Secret,
        dedupe: bool,
    ) -> Result<Session> {
        let _flight = self.refresh_lock.lock().await;
        let current = self.current();
        if dedupe
            && let Some(current) = &current
            && current.refresh_token != *refresh_token
        {
            return Ok(current.clone());
        }
        let call = Call::post(
            "token",
            Body::new()
                .set("refresh_token", refresh_token.expose())
                .build(),
        )
        .query("grant_type", "refresh_token");
        match self.json::<Session>(call).await {
            Ok(session) => {
                self.save_session(session).await?;
                let session = self.current().ok_or(AuthError::SessionMissing)?;
                self.emit(AuthChangeEvent::TokenRefreshed, Some(&session));
                Ok(session)
            }
            Err(Error::Auth(e)) if e.is_fatal_for_session() => {
                let ours = current.is_some_and(|c| c.refresh_token == *refresh_token);
                if ours {
                    self.remove_session().await?;
                }
                Err(Error::Auth(e))
            }
            Err(e) => Err(e),
        }
    }
}

impl Auth {
    /// The current session, refreshed first if it expires soon; `None` when signed out.
    pub async fn get_session(&self) -> Result<Option<Session>> {
        self.shared.fresh_session().await
    }

    /// A new session, whatever the current one's expiry, from the current refresh token.
    /// Concurrent calls share one refresh request.
    pub async fn refresh_session(&self) -> Result<AuthResponse> {
        self.shared.initialize().await;
        let current = self.shared.current().ok_or(AuthError::SessionMissing)?;
        let session = self.shared.refresh(&current.refresh_token, true).await?;
        Ok(AuthResponse {
            user: Some(session.user.clone()),
            session: Some(session),
        })
    }

    /// A new session from the given refresh token (`refresh_session(refresh_token)`).
    pub async fn refresh_session_with(&self, refresh_token: &str) -> Result<AuthResponse> {
        self.shared.initialize().await;
        let session = self
            .shared
            .refresh(&Secret::new(refresh_token), false)
            .await?;
        Ok(AuthResponse {
            user: Some(session.user.clone()),
            session: Some(session),
        })
    }

    /// Adopts a session from its tokens (e.g. handed over by another process). An expired access
    /// token is refreshed; a valid one is checked with the server (`GET /user`). Emits
    /// `SIGNED_IN` (or `TOKEN_REFRESHED` when it refreshed).
    pub async fn set_session(
        &self,
        access_token: &str,
        refresh_token: &str,
    ) -> Result<AuthResponse> {
        self.shared.initialize().await;
        let access = Secret::new(access_token);
        let claims = super::claims::decode_unverified(access_token)?;
        let exp = claims.get("exp").and_then(serde_json::Value::as_i64);
        let expired = exp.is_none_or(|exp| exp <= now());
        if expired {
            return self.refresh_session_with(refresh_token).await;
        }
        let user = self.shared.user_for(&access).await?;
        let exp = exp.unwrap_or_default();
        let session = Session {
            access_token: access,
            refresh_token: Secret::new(refresh_token),
            expires_in: exp - now(),
            expires_at: Some(exp),
            token_type: "bearer".into(),
            provider_token: None,
            provider_refresh_token: None,
            user: user.clone(),
        };
        self.shared.save_session(session.clone()).await?;
        self.shared.emit(AuthChangeEvent::SignedIn, Some(&session));
        Ok(AuthResponse {
            user: Some(user),
            session: Some(session),
        })
    }
}
