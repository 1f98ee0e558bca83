//! The session: loading it from the store, saving it, refreshing it once however many callers
//! need it (auth-js `__loadSession`, `_saveSession`, `_removeSession`, `_callRefreshToken`,
//! `_acquireLock`).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use http::HeaderValue;

use super::api::{Body, Call};
use super::errors::{AuthError, ErrorCode};
use super::events::AuthChangeEvent;
use super::pkce::VERIFIER_SUFFIX;
use super::types::{AuthResponse, Session, now};
use super::{Auth, AuthShared};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// Refresh this long before expiry (auth-js `EXPIRY_MARGIN_MS`: three 30 s ticks), or half the
/// token's lifetime for short-lived tokens.
const EXPIRY_MARGIN_SECS: i64 = 90;

/// How long after a refresh failed requests leave its refresh token alone (auth-js 2.108
/// `REFRESH_FAILURE_COOLDOWN_MS`, two 30 s ticks): they go out with the token in hand rather
/// than each waiting on another `/token` request during an auth outage.
pub(crate) const REFRESH_FAILURE_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(60);

/// The first pause before a refresh is tried again within a call (doubled each time), as
/// auth-js `_refreshAccessToken`.
const REFRESH_RETRY_FIRST: std::time::Duration = std::time::Duration::from_millis(200);

/// How long after the first attempt a refresh may still be tried again: within GoTrue's
/// refresh-token reuse interval (`refresh_token_reuse_interval`, 10 s by default in hosted
/// projects and the CLI's config). An attempt whose answer was lost may have rotated the token
/// on the server; a retry inside the interval gets the session's current token back, one after
/// it is taken for a stolen token and revokes the whole session. auth-js retries for 30 s.
const REFRESH_RETRY_WINDOW: std::time::Duration = std::time::Duration::from_secs(10);

/// The shortest time a retried refresh's attempt is given before it is cut for another.
const REFRESH_ATTEMPT_MIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Seconds before `session` expires at which it counts as stale.
pub(crate) fn margin(session: &Session) -> i64 {
    EXPIRY_MARGIN_SECS.min(session.expires_in.max(0) / 2)
}

/// Proof that the session lock is held. Every change of the session (a sign-in's save, a
/// refresh, a user update, a sign-out) happens under it, as auth-js runs them under
/// `_acquireLock`: none can undo another (a refresh answered after a sign-out cannot bring the
/// session back, a user update cannot reinstall a refresh token rotated meanwhile), and events
/// are emitted in the order of the changes. Saving and removing the session take it as an
/// argument, so a change outside the lock does not compile.
pub(crate) struct Locked<'a>(tokio::sync::MutexGuard<'a, Option<RefreshFailure>>);

/// The last refresh that failed: callers that queued behind it for the same refresh token take
/// its error instead of sending the same request again (auth-js shares one `refreshingDeferred`).
pub(crate) struct RefreshFailure {
    /// Its number in [`AuthShared::refreshes_finished`].
    finished: u64,
    refresh_token: Secret,
    error: Error,
    /// Whether that refresh tried again after a transient failure: a caller that would have
    /// does not take a single try's failure as its own.
    retried: bool,
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

    /// Waits for the session lock.
    pub(crate) async fn lock(&self) -> Locked<'_> {
        Locked(self.session_lock.lock().await)
    }

    /// How many refreshes have finished: read before waiting for the lock, it tells which
    /// refreshes ran while the caller waited.
    pub(crate) fn ticket(&self) -> u64 {
        self.refreshes_finished.load(Ordering::Acquire)
    }

    /// Loads the stored session once (auth-js `_initialize` / `_recoverAndRefresh`).
    ///
    /// Every session method starts here, so this is where a client on third-party auth
    /// (which keeps no session) refuses them.
    pub(crate) async fn initialize(self: &Arc<Self>) -> Result<()> {
        self.own_auth()?;
        self.initialized
            .get_or_init(|| async {
                match self.store.get_item(&self.storage_key).await {
                    Ok(Some(text)) => match serde_json::from_str::<Session>(&text) {
                        Ok(session) => {
                            self.set_current(Some(session.with_stored_expiry()));
                            self.start_ticker();
                        }
                        Err(e) => {
                            // Not the message: serde quotes a mistyped value, a token maybe.
                            tracing::warn!(
                                category = ?e.classify(),
                                line = e.line(),
                                column = e.column(),
                                "dropping a malformed stored session"
                            );
                            let _ = self.store.remove_item(&self.storage_key).await;
                        }
                    },
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "could not read the session store"),
                }
            })
            .await;
        Ok(())
    }

    /// Keeps `session` (memory and store) and starts the refresh task.
    pub(crate) async fn save_session(
        self: &Arc<Self>,
        _: &Locked<'_>,
        session: Session,
    ) -> Result<()> {
        self.initialize().await?;
        let session = session.with_expiry();
        let text = serde_json::to_string(&session).map_err(|e| Error::Encode(e.to_string()))?;
        self.set_current(Some(session));
        self.store.set_item(&self.storage_key, text).await?;
        self.start_ticker();
        Ok(())
    }

    /// Forgets the session and any pending PKCE verifier, then emits `SIGNED_OUT`.
    pub(crate) async fn remove_session(self: &Arc<Self>, _: &Locked<'_>) -> Result<()> {
        self.initialize().await?;
        self.set_current(None);
        self.store.remove_item(&self.storage_key).await?;
        let verifier_key = format!("{}{VERIFIER_SUFFIX}", self.storage_key);
        self.store.remove_item(&verifier_key).await?;
        self.emit(AuthChangeEvent::SignedOut, None);
        Ok(())
    }

    /// Saves the session of a sign-in-like answer and emits `event`.
    pub(crate) async fn signed_in(
        self: &Arc<Self>,
        response: AuthResponse,
        event: AuthChangeEvent,
    ) -> Result<AuthResponse> {
        if let Some(session) = &response.session {
            let locked = self.lock().await;
            self.save_session(&locked, session.clone()).await?;
            self.emit(event, self.current().as_ref());
        }
        Ok(AuthResponse {
            session: response.session.map(Session::with_expiry),
            ..response
        })
    }

    /// Refreshes the session when it is about to expire; the common case (no session, or one
    /// still fresh) only looks at the expiry, without copying the session.
    ///
    /// Every request awaits this first, so its future is kept small: the common case is
    /// answered without awaiting, and the rare one (the first request reads the session store,
    /// or the session is about to expire) is boxed. Unboxed, a refresh's future (5 KiB) made
    /// every request's future 6.4 KiB, copied each time it moved.
    pub(crate) async fn ensure_fresh(self: &Arc<Self>) -> Result<()> {
        if self.initialized.initialized() {
            let Some(token) = self.stale_refresh_token() else {
                return Ok(());
            };
            if self.cooling_down(&token) {
                return Ok(());
            }
        }
        Box::pin(self.fresh_session()).await.map(drop)
    }

    /// Whether a refresh of `refresh_token` failed less than [`REFRESH_FAILURE_COOLDOWN`] ago.
    fn cooling_down(&self, refresh_token: &Secret) -> bool {
        let failed = self
            .failed_refresh
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        failed
            .as_ref()
            .is_some_and(|(t, at)| t == refresh_token && at.elapsed() < REFRESH_FAILURE_COOLDOWN)
    }

    /// The refresh token of a session about to expire; `None` without a session or with a
    /// fresh one.
    fn stale_refresh_token(&self) -> Option<Secret> {
        let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        match session.as_ref() {
            Some(s) if s.expires_in_secs() <= margin(s) => Some(s.refresh_token.clone()),
            _ => None,
        }
    }

    /// The session, refreshed first when it is about to expire (auth-js `__loadSession`). A
    /// failed refresh leaves a session whose access token has not expired yet in use, as
    /// auth-js 2.108's `__loadSession` does: the refresh was early, and the token still works.
    pub(crate) async fn fresh_session(self: &Arc<Self>) -> Result<Option<Session>> {
        self.initialize().await?;
        if self.stale_refresh_token().is_none() {
            return Ok(self.current());
        }
        let ticket = self.ticket();
        let mut locked = self.lock().await;
        self.fresh_session_locked(&mut locked, ticket).await
    }

    /// The session lock, held, and the signed-in session under it (refreshed first when about
    /// to expire), for a call that changes the session with the user's token: `update_user`,
    /// `link_identity_with_id_token`. [`AuthError::SessionMissing`] when signed out.
    pub(crate) async fn locked_session(self: &Arc<Self>) -> Result<(Locked<'_>, Session)> {
        self.initialize().await?;
        let mut locked = self.lock().await;
        let ticket = self.ticket();
        let session = self
            .fresh_session_locked(&mut locked, ticket)
            .await?
            .ok_or(AuthError::SessionMissing)?;
        Ok((locked, session))
    }

    /// [`fresh_session`](Self::fresh_session) under the lock. `ticket`: see
    /// [`refresh_locked`](Self::refresh_locked).
    pub(crate) async fn fresh_session_locked(
        self: &Arc<Self>,
        locked: &mut Locked<'_>,
        ticket: u64,
    ) -> Result<Option<Session>> {
        let Some(token) = self.stale_refresh_token() else {
            return Ok(self.current());
        };
        let session = match self
            .refresh_locked(locked, &token, Some(ticket), false)
            .await
        {
            Ok(session) => session,
            Err(e) => return self.still_valid(&token, e),
        };
        // A session another client sharing the store renewed may be due itself.
        if session.refresh_token != token && session.expires_in_secs() <= margin(&session) {
            let token = session.refresh_token.clone();
            return match self.refresh_locked(locked, &token, None, false).await {
                Ok(session) => Ok(Some(session)),
                Err(e) => self.still_valid(&token, e),
            };
        }
        Ok(Some(session))
    }

    /// `POST /token?grant_type=refresh_token`. With `retry`, an attempt that got no answer
    /// from GoTrue (the network failed, it timed out, or a gateway answered 502–504 or
    /// 520–530) or a 5xx from GoTrue itself is tried again after 200 ms, 400 ms, 800 ms… as
    /// auth-js `_refreshAccessToken` does, while within [`REFRESH_RETRY_WINDOW`] of the first
    /// attempt. A refusal (4xx) is final. An attempt that hangs (a connection that died
    /// silently, as after a suspend) is cut after half of what is left of the window once
    /// the next pause is taken out, so a retry on a new connection still fits in it; an
    /// attempt that would be cut shorter than [`REFRESH_ATTEMPT_MIN`] (no retry could follow
    /// it) gets the client's whole auth timeout, so a slow answer that rotated the token is
    /// still received. The session lock is held throughout, up to
    /// the last attempt's start (under 10 s) plus its own time.
    async fn trade(&self, refresh_token: &Secret, retry: bool) -> Result<Session> {
        let started = tokio::time::Instant::now();
        let mut pause = REFRESH_RETRY_FIRST;
        loop {
            let call = Call::post(
                "token",
                Body::new()
                    .set("refresh_token", refresh_token.expose())
                    .build(),
            )
            .query("grant_type", "refresh_token");
            // Half of what is left of the window after the pause a retry would take: an attempt
            // cut there still leaves room for that retry.
            let cut = REFRESH_RETRY_WINDOW.saturating_sub(started.elapsed() + pause) / 2;
            let call = if retry && cut >= REFRESH_ATTEMPT_MIN {
                call.within(cut)
            } else {
                call
            };
            let error = match self.json::<Session>(call).await {
                Ok(session) => return Ok(session),
                Err(e) => e,
            };
            if !(retry && transient(&error) && started.elapsed() + pause < REFRESH_RETRY_WINDOW) {
                return Err(error);
            }
            tracing::debug!(error = %error, ?pause, "token refresh failed; trying again");
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }

    /// After a refresh of `token` failed with `error`: the session holding it while its access
    /// token has not expired (the refresh was early, and the token still works), else `error`.
    fn still_valid(&self, token: &Secret, error: Error) -> Result<Option<Session>> {
        match self.current() {
            Some(c) if c.refresh_token == *token && c.expires_in_secs() > 0 => {
                tracing::debug!(error = %error, "early refresh failed; the token is still valid");
                Ok(Some(c))
            }
            _ => Err(error),
        }
    }

    /// Adopts the session the store holds when it is not the one this client holds: another
    /// client sharing the store (a daemon and a CLI on one `FileStore`) renewed it. Read before
    /// every refresh, as auth-js's `__loadSession` reads storage on every call, so this client
    /// never sends a refresh token that one has already used: after GoTrue's reuse interval
    /// that is `refresh_token_already_used`, which ends the session for both. Emits
    /// `TOKEN_REFRESHED`. Not when signed out here, nor for a store that cannot be read.
    async fn adopt_stored(self: &Arc<Self>, _: &Locked<'_>) {
        let Some(current) = self.current() else {
            return;
        };
        let Ok(Some(text)) = self.store.get_item(&self.storage_key).await else {
            return;
        };
        let Ok(stored) = serde_json::from_str::<Session>(&text) else {
            return;
        };
        if stored.refresh_token != current.refresh_token {
            self.set_current(Some(stored.with_stored_expiry()));
            self.emit(AuthChangeEvent::TokenRefreshed, self.current().as_ref());
        }
    }

    /// The access token of a fresh session, or [`AuthError::SessionMissing`].
    pub(crate) async fn access_token(self: &Arc<Self>) -> Result<Secret> {
        match self.fresh_session().await? {
            Some(s) => Ok(s.access_token),
            None => Err(AuthError::SessionMissing.into()),
        }
    }

    /// Renews the session that holds `refresh_token`, sharing the outcome with concurrent
    /// callers (see [`refresh_locked`](Self::refresh_locked)).
    pub(crate) async fn refresh(
        self: &Arc<Self>,
        refresh_token: &Secret,
        asked: bool,
    ) -> Result<Session> {
        let ticket = self.ticket();
        let mut locked = self.lock().await;
        self.refresh_locked(&mut locked, refresh_token, Some(ticket), asked)
            .await
    }

    /// Trades `refresh_token` for a new session, saves it and emits `TOKEN_REFRESHED`.
    ///
    /// Single flight: callers queue on the session lock. With `shared_since` (the
    /// [`ticket`](Self::ticket) a caller read before it queued), a caller renewing the current
    /// session takes the outcome of the one before it instead of sending its own request: the
    /// renewed session, or the error of a refresh of the same token that finished while it
    /// waited; and [`AuthError::SessionMissing`] when the session ended meanwhile. Such a
    /// caller first adopts a session another client saved to the store (`adopt_stored`). A
    /// refresh token the server refuses ends the session (`SIGNED_OUT`) once its access token
    /// has expired, as auth-js 2.108 does (before that, the refresh was early and the token
    /// still works); a transient failure keeps it.
    ///
    /// A caller that `asked` for this refresh, or whose access token has expired, waits out a
    /// brief outage: see [`trade`](Self::trade). One whose token still works (an early refresh
    /// before a request, the background task's first try) tries once and goes on with it.
    pub(crate) async fn refresh_locked(
        self: &Arc<Self>,
        locked: &mut Locked<'_>,
        refresh_token: &Secret,
        shared_since: Option<u64>,
        asked: bool,
    ) -> Result<Session> {
        if shared_since.is_some() {
            self.adopt_stored(locked).await;
        }
        let current = self.current();
        let usable = current
            .as_ref()
            .is_some_and(|c| c.refresh_token == *refresh_token && c.expires_in_secs() > 0);
        let retry = asked || !usable;
        if let Some(ticket) = shared_since {
            if let Some(current) = &current
                && current.refresh_token != *refresh_token
            {
                return Ok(current.clone());
            }
            if let Some(failure) = locked.0.as_ref()
                && failure.finished > ticket
                && failure.refresh_token == *refresh_token
                && (failure.retried || !retry || !transient(&failure.error))
            {
                return Err(failure.error.clone());
            }
            if current.is_none() {
                return Err(AuthError::SessionMissing.into());
            }
        }
        let result = self.trade(refresh_token, retry).await;
        let finished = self.refreshes_finished.fetch_add(1, Ordering::AcqRel) + 1;
        match result {
            Ok(session) => {
                *self
                    .failed_refresh
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = None;
                self.save_session(locked, session).await?;
                let session = self.current().ok_or(AuthError::SessionMissing)?;
                self.emit(AuthChangeEvent::TokenRefreshed, Some(&session));
                Ok(session)
            }
            Err(error) => {
                *locked.0 = Some(RefreshFailure {
                    finished,
                    refresh_token: refresh_token.clone(),
                    error: error.clone(),
                    retried: retry,
                });
                *self
                    .failed_refresh
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) =
                    Some((refresh_token.clone(), tokio::time::Instant::now()));
                let expired = current
                    .is_some_and(|c| c.refresh_token == *refresh_token && c.expires_in_secs() <= 0);
                if expired && matches!(&error, Error::Auth(e) if e.is_fatal_for_session()) {
                    self.remove_session(locked).await?;
                }
                Err(error)
            }
        }
    }
}

/// A failure that says nothing about the refresh token: the network failed, the attempt timed
/// out, a gateway answered 502–504 / 520–530, or GoTrue failed (5xx).
fn transient(error: &Error) -> bool {
    match error {
        Error::Http(_) | Error::Timeout(_) => true,
        Error::Auth(e) => e.status().is_some_and(|s| s.is_server_error()),
        _ => false,
    }
}

impl Auth {
    /// The current session, refreshed first if it expires soon; `None` when signed out. When
    /// that refresh fails while the access token still works, the session as it is (auth-js
    /// 2.108); after expiry, the refresh's error.
    pub async fn get_session(&self) -> Result<Option<Session>> {
        self.shared.fresh_session().await
    }

    /// A new session, whatever the current one's expiry, from the current refresh token.
    /// Concurrent calls share one refresh request.
    pub async fn refresh_session(&self) -> Result<AuthResponse> {
        self.shared.initialize().await?;
        let current = self.shared.current().ok_or(AuthError::SessionMissing)?;
        let session = self.shared.refresh(&current.refresh_token, true).await?;
        Ok(AuthResponse::from_session(session))
    }

    /// A new session from the given refresh token (`refresh_session(refresh_token)`).
    pub async fn refresh_session_with(&self, refresh_token: &str) -> Result<AuthResponse> {
        self.shared.initialize().await?;
        let mut locked = self.shared.lock().await;
        let session = self
            .shared
            .refresh_locked(&mut locked, &Secret::new(refresh_token), None, true)
            .await?;
        Ok(AuthResponse::from_session(session))
    }

    /// Adopts a session from its tokens (e.g. handed over by another process). An expired access
    /// token is refreshed; a valid one is checked with the server (`GET /user`). Emits
    /// `SIGNED_IN` (or `TOKEN_REFRESHED` when it refreshed).
    pub async fn set_session(
        &self,
        access_token: &str,
        refresh_token: &str,
    ) -> Result<AuthResponse> {
        self.shared.initialize().await?;
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
            user,
        };
        let locked = self.shared.lock().await;
        self.shared.save_session(&locked, session.clone()).await?;
        self.shared.emit(AuthChangeEvent::SignedIn, Some(&session));
        Ok(AuthResponse::from_session(session))
    }

    /// Adopts the session a redirect of the implicit flow carries (auth-py
    /// `initialize_from_url`, auth-js `_getSessionFromURL`): after an OAuth sign-in, a magic link
    /// or an email confirmation without PKCE, GoTrue redirects to `redirect_to` with
    /// `#access_token=..&expires_at=..&expires_in=..&provider_token=..&refresh_token=..&token_type=bearer`
    /// in the fragment. Parameters are read from the fragment, then the query (as auth-js
    /// `parseParametersFromURL`).
    ///
    /// The access token is checked with the server (`GET /user`), the session saved, and
    /// `SIGNED_IN` emitted (then `PASSWORD_RECOVERY` for `type=recovery`). Returns `None`, doing
    /// nothing, when the URL carries neither `access_token`, a `code`, nor an error. A redirect
    /// with an error (any of `error`, `error_description`, `error_code`, as auth-js 2.108
    /// `_getSessionFromURL`) is [`AuthError::ImplicitGrantRedirect`], as is a URL missing part
    /// of the session. An error leaves the current session as it was, as auth-js 2.108
    /// `_initialize` does: a failed attempt (a reused magic link, an identity already linked to
    /// another user by [`link_identity`](Self::link_identity)) does not sign the user out.
    /// auth-py removes it.
    ///
    /// A redirect of the PKCE flow (the default of this client's OAuth, magic-link and
    /// confirmation flows) carries `?code=` instead: the code is exchanged with the verifier
    /// this client stored when it started the flow, as auth-js does
    /// ([`exchange_code_for_session`](Self::exchange_code_for_session)).
    pub async fn initialize_from_url(&self, url: &str) -> Result<Option<Session>> {
        self.shared.initialize().await?;
        let params = url_params(url)?;
        if !params.contains_key("access_token") && !carries_error(&params) {
            return match params.get("code").filter(|c| !c.is_empty()) {
                Some(code) => Ok(self.exchange_code_for_session(code).await?.session),
                None => Ok(None),
            };
        }
        let session = self.session_from_params(&params).await?;
        let locked = self.shared.lock().await;
        self.shared.save_session(&locked, session.clone()).await?;
        self.shared.emit(AuthChangeEvent::SignedIn, Some(&session));
        if params.get("type").map(String::as_str) == Some("recovery") {
            self.shared
                .emit(AuthChangeEvent::PasswordRecovery, Some(&session));
        }
        Ok(Some(session))
    }

    async fn session_from_params(
        &self,
        params: &std::collections::HashMap<String, String>,
    ) -> Result<Session> {
        let redirect_error = |message: String| {
            Error::Auth(AuthError::ImplicitGrantRedirect {
                message,
                error: params.get("error").cloned(),
                code: params.get("error_code").map(|c| ErrorCode::parse(c)),
            })
        };
        if carries_error(params) {
            let message = params.get("error_description").map_or(
                "Error in URL with unspecified error_description",
                String::as_str,
            );
            return Err(redirect_error(message.to_owned()));
        }
        let required = |key: &str| {
            params
                .get(key)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| redirect_error(format!("No {key} detected.")))
        };
        let access_token = Secret::new(required("access_token")?.as_str());
        let expires_in: i64 = required("expires_in")?
            .parse()
            .map_err(|_| redirect_error("expires_in is not a number.".into()))?;
        let refresh_token = Secret::new(required("refresh_token")?.as_str());
        let token_type = required("token_type")?.clone();
        let expires_at = params
            .get("expires_at")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or_else(|| now().saturating_add(expires_in));
        let user = self.shared.user_for(&access_token).await?;
        let optional = |key: &str| {
            params
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| Secret::new(v.as_str()))
        };
        Ok(Session {
            access_token,
            refresh_token,
            expires_in,
            expires_at: Some(expires_at),
            token_type,
            provider_token: optional("provider_token"),
            provider_refresh_token: optional("provider_refresh_token"),
            user,
        })
    }
}

/// Whether a redirect's parameters report an error (auth-js 2.108 `_getSessionFromURL`: any of
/// `error`, `error_description`, `error_code`).
fn carries_error(params: &std::collections::HashMap<String, String>) -> bool {
    ["error", "error_description", "error_code"]
        .iter()
        .any(|k| params.contains_key(*k))
}

/// The parameters of a redirect URL: its fragment's, then its query's (a query parameter wins).
fn url_params(url: &str) -> Result<std::collections::HashMap<String, String>> {
    let parsed = url::Url::parse(url).map_err(|e| {
        Error::Auth(AuthError::InvalidParams(format!(
            "not a valid redirect URL: {e}"
        )))
    })?;
    let mut params = std::collections::HashMap::new();
    if let Some(fragment) = parsed.fragment() {
        params.extend(url::form_urlencoded::parse(fragment.as_bytes()).into_owned());
    }
    params.extend(parsed.query_pairs().into_owned());
    Ok(params)
}
