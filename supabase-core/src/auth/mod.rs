//! Auth (GoTrue): sign-up and sign-in in every form, the session every service sends, MFA and
//! the admin API. Reached through [`Client::auth`](crate::Client::auth).
//!
//! Follows supabase/auth-js (`src/GoTrueClient.ts`, `src/GoTrueAdminApi.ts`) and supabase/auth-py
//! for the wire format and behaviour; the reference's method names are kept.
//!
//! ```no_run
//! use supabase_core::auth::{SignInWithPasswordCredentials, SignUpCredentials};
//!
//! async fn run(client: supabase_core::Client) -> supabase_core::Result<()> {
//!     let auth = client.auth();
//!     auth.sign_up(SignUpCredentials::email("ada@example.com", "correct horse")).await?;
//!     let signed_in = auth
//!         .sign_in_with_password(SignInWithPasswordCredentials::email(
//!             "ada@example.com",
//!             "correct horse",
//!         ))
//!         .await?;
//!     // Every database, storage, functions and realtime request now carries the user's JWT.
//!     let rows = client.table("todos").select("*").await?.data;
//!     # let _ = (signed_in, rows);
//!     auth.sign_out().await?;
//!     Ok(())
//! }
//! ```
//!
//! ## Parameters as JSON
//!
//! Every parameters type (credentials, options, admin attributes, MFA params, and the
//! `OtpType` / `Channel` / `GenerateLinkType` / `SignOutScope` enums from their strings)
//! implements `serde::Deserialize` from the dict the Python reference passes, with its key
//! names; unknown keys are refused with an error naming them.
//!
//! ```
//! use supabase_core::auth::SignUpCredentials;
//!
//! let credentials: SignUpCredentials = serde_json::from_value(serde_json::json!({
//!     "email": "email@example.com",
//!     "password": "password",
//!     "options": {"data": {"first_name": "John", "age": 27}},
//! }))
//! .unwrap();
//! assert_eq!(
//!     credentials,
//!     SignUpCredentials::email("email@example.com", "password")
//!         .data(serde_json::json!({"first_name": "John", "age": 27}))
//! );
//! ```
//!
//! ## Sessions
//!
//! The session lives in a [`SessionStore`] ([`MemoryStore`] by default, [`FileStore`] to keep
//! it across runs; `ClientOptions::session_store`). With `auto_refresh_token` (the default) a
//! background task refreshes it before it expires; it stops when the last clone of the client
//! is dropped. Refreshes are single-flight: however many callers find the token stale at once,
//! one refresh request is sent. [`Auth::on_auth_state_change`] and
//! [`Auth::auth_state_changes`] report every change.

mod admin;
mod api;
#[cfg(feature = "blocking")]
mod blocking;
pub(crate) mod claims;
mod errors;
mod events;
mod json;
mod mfa;
mod params;
mod pkce;
pub(crate) mod refresh;
pub(crate) mod session;
mod signin;
mod store;
pub(crate) mod third_party;
mod types;
mod user;

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use tokio::sync::{broadcast, watch};
use url::Url;

pub use admin::{
    Admin, AdminDeleteFactorParams, AdminMfa, AdminUserAttributes, GenerateLinkParams,
    GenerateLinkProperties, GenerateLinkResponse, GenerateLinkType, InviteUserOptions, UserList,
};
#[cfg(feature = "blocking")]
pub use blocking::{BlockingAdmin, BlockingAdminMfa, BlockingAuth, BlockingMfa};
pub use claims::{Claims, GetClaimsOptions};
pub use errors::{AuthError, ErrorCode};
pub use events::{AuthChangeEvent, AuthEvent, Subscription};
pub use mfa::{
    AuthenticatorAssuranceLevel, AuthenticatorAssuranceLevels, Challenge, EnrollParams,
    EnrollResponse, Factors, Mfa, MfaChallengeAndVerifyParams, MfaChallengeParams,
    MfaUnenrollParams, MfaVerifyParams, TotpDetails, UnenrollResponse,
};
pub use params::{
    Channel, CodeExchangeParams, OtpType, ResendCredentials, ResetPasswordOptions,
    SignInAnonymouslyCredentials, SignInWithIdTokenCredentials, SignInWithOAuthCredentials,
    SignInWithOtpCredentials, SignInWithPasswordCredentials, SignInWithSsoCredentials,
    SignOutScope, SignUpCredentials, UserAttributes, VerifyOtpParams,
};
pub use pkce::FlowType;
pub use store::{FileStore, MemoryStore, SessionStore};
pub use types::{
    AuthResponse, Factor, Identity, OAuthResponse, OtpResponse, Session, SsoResponse, User,
    WeakPassword,
};

use crate::error::Result;
use crate::http::Transport;

/// Timeout of each auth request.
const AUTH_TIMEOUT: Duration = Duration::from_secs(30);

/// The auth API of a client: `client.auth()`. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    pub(crate) shared: Arc<AuthShared>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("url", &self.shared.base.as_str())
            .field("flow_type", &self.shared.flow_type)
            .field("signed_in", &self.shared.current().is_some())
            .finish()
    }
}

/// Auth settings taken from `ClientOptions`.
#[derive(Clone, Default)]
pub(crate) struct AuthConfig {
    pub(crate) store: Option<Arc<dyn SessionStore>>,
    pub(crate) storage_key: Option<String>,
    pub(crate) flow_type: FlowType,
    /// Timeout of each auth request (default [`AUTH_TIMEOUT`]).
    pub(crate) timeout: Option<Duration>,
    /// Where tokens come from instead of this client's session (third-party auth).
    pub(crate) access_token: Option<third_party::AccessTokenProvider>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("store", &self.store)
            .field("storage_key", &self.storage_key)
            .field("flow_type", &self.flow_type)
            .field("timeout", &self.timeout)
            .field("access_token", &self.access_token)
            .finish()
    }
}

/// The auth state a client shares with its clones and its background refresh task.
pub(crate) struct AuthShared {
    /// `<project>/auth/v1/`.
    pub(crate) base: Url,
    /// `apikey`, `Authorization: Bearer <key>`, global headers, API version.
    pub(crate) headers: HeaderMap,
    pub(crate) transport: Transport,
    pub(crate) timeout: Option<Duration>,
    pub(crate) store: Arc<dyn SessionStore>,
    pub(crate) storage_key: String,
    pub(crate) flow_type: FlowType,
    pub(crate) auto_refresh: bool,
    /// The session, mirrored from the store.
    pub(crate) session: Mutex<Option<Session>>,
    /// `Bearer <access token>` for `Client::base_headers`, readable without awaiting.
    pub(crate) bearer: RwLock<Option<HeaderValue>>,
    pub(crate) initialized: tokio::sync::OnceCell<()>,
    /// Held by every change of the session ([`session::Locked`]); keeps the last failed
    /// refresh for the callers that queued behind it.
    pub(crate) session_lock: tokio::sync::Mutex<Option<session::RefreshFailure>>,
    /// Refresh attempts finished so far (see [`session::Locked`]).
    pub(crate) refreshes_finished: AtomicU64,
    /// Whether the client's global headers set `Authorization` (supabase-js
    /// `hasCustomAuthorizationHeader`).
    pub(crate) custom_authorization: bool,
    /// The refresh token of the last refresh that failed, and when: requests do not try it
    /// again for [`session::REFRESH_FAILURE_COOLDOWN`].
    pub(crate) failed_refresh: Mutex<Option<(crate::secret::Secret, tokio::time::Instant)>>,
    pub(crate) events: broadcast::Sender<AuthEvent>,
    pub(crate) callbacks: Mutex<Vec<(u64, events::Callback)>>,
    pub(crate) next_id: AtomicU64,
    /// Bumped on every session change; wakes the refresh task.
    pub(crate) changed: watch::Sender<u64>,
    pub(crate) ticker: Mutex<Option<tokio::task::AbortHandle>>,
    pub(crate) jwks: claims::JwksCache,
    /// Third-party auth: tokens come from here, and the session API is closed.
    pub(crate) access_token_provider: Option<third_party::AccessTokenProvider>,
}

impl AuthShared {
    pub(crate) fn new(
        project: &Url,
        key_headers: &HeaderMap,
        transport: Transport,
        config: AuthConfig,
        persist_session: bool,
        auto_refresh: bool,
        custom_authorization: bool,
    ) -> Result<Self> {
        let base = project
            .join("auth/v1/")
            .map_err(|e| crate::Error::config(format!("invalid auth URL: {e}")))?;
        let store: Arc<dyn SessionStore> = match (persist_session, config.store) {
            (true, Some(store)) => store,
            _ => Arc::new(MemoryStore::new()),
        };
        // supabase-js: `sb-${hostname.split('.')[0]}-auth-token`.
        let storage_key = config.storage_key.unwrap_or_else(|| {
            let host = project.host_str().unwrap_or("localhost");
            format!("sb-{}-auth-token", host.split('.').next().unwrap_or(host))
        });
        Ok(AuthShared {
            base,
            headers: api::auth_headers(key_headers),
            transport,
            timeout: Some(config.timeout.unwrap_or(AUTH_TIMEOUT)),
            store,
            storage_key,
            flow_type: config.flow_type,
            auto_refresh,
            session: Mutex::new(None),
            bearer: RwLock::new(None),
            initialized: tokio::sync::OnceCell::new(),
            session_lock: tokio::sync::Mutex::new(None),
            refreshes_finished: AtomicU64::new(0),
            failed_refresh: Mutex::new(None),
            custom_authorization,
            events: broadcast::channel(64).0,
            callbacks: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            changed: watch::channel(0).0,
            ticker: Mutex::new(None),
            jwks: claims::JwksCache::default(),
            access_token_provider: config.access_token,
        })
    }

    /// `Authorization` value for other services: the signed-in user's token, if any.
    pub(crate) fn bearer(&self) -> Option<HeaderValue> {
        self.bearer
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for AuthShared {
    fn drop(&mut self) {
        if let Some(handle) = self.ticker.get_mut().ok().and_then(Option::take) {
            handle.abort();
        }
    }
}

impl crate::Client {
    /// The auth API (GoTrue), as `supabase.auth` in the reference.
    pub fn auth(&self) -> Auth {
        Auth {
            shared: Arc::clone(&self.inner.auth),
        }
    }
}
