//! A GoTrue-compatible auth server (supabase/auth v2) under `/auth/v1`, backed by the stack's real
//! Postgres: users, identities, sessions, refresh tokens, MFA factors and PKCE flow state live in the
//! `auth` schema with GoTrue's table shapes (see `schema.sql`), so `auth.users` foreign keys and RLS
//! with `auth.uid()` work for the access tokens minted here. Mail and SMS are recorded in a
//! [`Mailbox`] instead of being sent.
//!
//! Module map: [`error`] (GoTrue's error bodies and API versions), [`mailbox`], `users` (the user
//! object and its validation), `sessions` (access and refresh tokens), `account` (signup, token,
//! user, logout, settings), `otp` (otp, verify, recover, resend, reauthenticate), `mfa`, `admin`,
//! `external` (authorize, sso, identities), `id_token` (the ID-token grant).

/// `in_tx!(state, |tx| body)`: runs `body` (an expression that may use `?` and `return`, with `tx`
/// a `&Transaction`) in a transaction; see [`finish`]. A macro rather than a function taking an
/// async closure, so that handler futures stay `Send`.
macro_rules! in_tx {
    ($state:expr, |$tx:ident| $body:expr) => {
        $crate::services::auth::typed(async {
            let mut conn = $crate::services::auth::connection(&$state).await?;
            let t = conn.transaction().await?;
            let out = $crate::services::auth::typed(async {
                let $tx = &t;
                $body
            })
            .await;
            $crate::services::auth::finish(t, out).await
        })
        .await
    };
}

mod account;
mod admin;
mod change;
pub(crate) mod error;
mod external;
mod id_token;
pub(crate) mod mailbox;
mod mfa;
mod otp;
mod redirect;
mod sessions;
mod users;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{delete, get, post};
use serde_json::Value;

use crate::error::StackError;
use crate::gateway::{ApiKeys, require_apikey};
use crate::services::{ServiceEnv, verify_jwt};
use error::{ApiError, ApiResult};
pub use mailbox::{Mailbox, Message, MessageKind};

/// Settings of the auth stand-in (GoTrue's `GOTRUE_*` configuration, with `supabase start`'s
/// defaults unless noted). Set it with [`StackBuilder::auth_config`](crate::StackBuilder::auth_config)
/// or the shortcuts next to it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthConfig {
    /// Lifetime of access tokens (`jwt_expiry`). Default: one hour.
    pub jwt_expiry: Duration,
    /// Whether email signups must be confirmed through the mailbox (`enable_confirmations`).
    /// Default: `false`: signups are confirmed at once (`mailer_autoconfirm`).
    pub email_confirmations: bool,
    /// Whether phone signups must be confirmed with an SMS code. Default: `false`.
    pub phone_confirmations: bool,
    /// Whether `POST /signup` without email or phone signs in anonymously. Default: `true` (the
    /// CLI's default is `false`; on here so the anonymous flow is testable without set-up).
    pub anonymous_sign_ins: bool,
    /// Whether new users may sign up at all (`enable_signup`). Default: `true`.
    pub signup_enabled: bool,
    /// Whether `GET /user/identities/authorize` and unlinking are allowed (`enable_manual_linking`).
    /// Default: `false`.
    pub manual_linking: bool,
    /// Minimum password length (`minimum_password_length`). Default: 6.
    pub minimum_password_length: usize,
    /// How long a rotated refresh token may still be used (`refresh_token_reuse_interval`).
    /// Default: 10 seconds. After it, reuse revokes the whole session.
    pub refresh_token_reuse_interval: Duration,
    /// Lifetime of email OTPs and links (`otp_expiry`). Default: one hour.
    pub email_otp_expiry: Duration,
    /// Lifetime of SMS OTPs. Default: 60 seconds.
    pub sms_otp_expiry: Duration,
    /// How soon another email of one kind may go to one user (`[auth.email] max_frequency`):
    /// sooner is 429 `over_email_send_rate_limit`. Default: 1 second, the CLI's.
    pub email_max_frequency: Duration,
    /// The same for SMS (`[auth.sms] max_frequency`, 429 `over_sms_send_rate_limit`).
    /// Default: 5 seconds, the CLI's.
    pub sms_max_frequency: Duration,
    /// Whether an email change must be confirmed from both addresses (`double_confirm_changes`).
    /// Default: `true`.
    pub secure_email_change: bool,
    /// Whether a password change needs a reauthentication nonce (`secure_password_change`).
    /// Default: `false`.
    pub secure_password_change: bool,
    /// The site URL: the default redirect after verification. Default: `http://127.0.0.1:3000`.
    pub site_url: String,
    /// Extra allowed redirect URLs (`additional_redirect_urls`, GoTrue's `URI_ALLOW_LIST`), as
    /// globs: `**` matches anything, `*` anything without `.` or `/`, `?` one such character
    /// (`https://*.example.com/**`, `http://localhost:3000/*`). Any URL on the site URL's host
    /// is allowed too. Default: none.
    pub additional_redirect_urls: Vec<String>,
    /// Enabled OAuth providers (`external.<provider>`): `/authorize` and
    /// `/user/identities/authorize` answer with the provider's real authorize URL for them. These
    /// public providers are not reachable from a local stack, so their callback cannot complete
    /// (see [`keycloak`](Self::keycloak) for a provider whose flow completes). Default: none.
    pub oauth_providers: Vec<OAuthProvider>,
    /// The Keycloak (or any OIDC) provider whose ID tokens `POST /token?grant_type=id_token`
    /// accepts with `provider: "keycloak"` (`GOTRUE_EXTERNAL_KEYCLOAK_*`): tokens are verified
    /// against the keys its discovery document publishes. With a client secret, the OAuth
    /// sign-in (`/authorize?provider=keycloak`, `/callback`) and identity linking complete end
    /// to end against it. Default: none (disabled).
    pub keycloak: Option<OidcProvider>,
}

/// GoTrue's Keycloak provider (`GOTRUE_EXTERNAL_KEYCLOAK_*`), pointing at any OIDC provider the
/// stack can reach: its issuer URL (a Keycloak realm URL, serving
/// `/.well-known/openid-configuration`), the client id ID tokens must be issued to (`aud`), and,
/// for the OAuth sign-in, the client secret. With a secret, `/authorize?provider=keycloak`
/// redirects to `<url>/protocol/openid-connect/auth` and `/callback` exchanges the code at
/// `<url>/protocol/openid-connect/token` and reads `<url>/protocol/openid-connect/userinfo`
/// (supabase/auth `internal/api/provider/keycloak.go`).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OidcProvider {
    /// The issuer, exactly as in the tokens' `iss` claim.
    pub url: String,
    /// The client id the tokens' `aud` must contain.
    pub client_id: String,
    /// The OAuth client secret (GoTrue refuses the OAuth flow without one: "missing OAuth
    /// secret"). Redacted in `Debug`.
    pub secret: Option<String>,
}

impl OidcProvider {
    /// Trusts the ID tokens `url` issues to `client_id`.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>) -> Self {
        OidcProvider {
            url: url.into(),
            client_id: client_id.into(),
            secret: None,
        }
    }

    /// Sets the OAuth client secret, enabling the OAuth sign-in and identity linking flows.
    #[must_use]
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// An enabled OAuth provider of the auth stand-in: `github`, `gitlab`, `google` or `discord`
/// (those whose authorize endpoint it knows).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthProvider {
    /// The provider's name, e.g. `github`.
    pub provider: String,
    /// The OAuth client id registered with the provider.
    pub client_id: String,
}

impl OAuthProvider {
    /// Enables `provider` with `client_id`.
    pub fn new(provider: impl Into<String>, client_id: impl Into<String>) -> Self {
        OAuthProvider {
            provider: provider.into(),
            client_id: client_id.into(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_expiry: Duration::from_secs(3600),
            email_confirmations: false,
            phone_confirmations: false,
            anonymous_sign_ins: true,
            signup_enabled: true,
            manual_linking: false,
            minimum_password_length: 6,
            refresh_token_reuse_interval: Duration::from_secs(10),
            email_otp_expiry: Duration::from_secs(3600),
            sms_otp_expiry: Duration::from_secs(60),
            email_max_frequency: Duration::from_secs(1),
            sms_max_frequency: Duration::from_secs(5),
            secure_email_change: true,
            secure_password_change: false,
            site_url: "http://127.0.0.1:3000".into(),
            additional_redirect_urls: Vec::new(),
            oauth_providers: Vec::new(),
            keycloak: None,
        }
    }
}

/// The auth tables, created before the project's migrations (which may reference `auth.users`).
pub(crate) async fn apply_schema(client: &tokio_postgres::Client) -> Result<(), StackError> {
    client
        .batch_execute(include_str!("schema.sql"))
        .await
        .map_err(|e| StackError::db("creating the auth schema", e))
}

/// The shared state of the auth router.
#[derive(Debug)]
pub(crate) struct Auth {
    env: ServiceEnv,
    config: AuthConfig,
    mailbox: Mailbox,
    /// `<public_url>/auth/v1`: the `iss` of access tokens and the base of links.
    base_url: String,
}

type St = axum::extract::State<Arc<Auth>>;

/// The `/auth/v1` router. As Supabase's gateway does for GoTrue, every route needs the `apikey`
/// except `/verify`, `/callback`, `/authorize` and `/.well-known/jwks.json` (links opened in a browser).
pub(crate) fn router(env: ServiceEnv) -> Router {
    let keys = Arc::new(ApiKeys {
        anon: env.anon_key.to_string(),
        service_role: env.service_role_key.to_string(),
    });
    let state = Arc::new(Auth {
        base_url: format!("{}/auth/v1", env.public_url),
        config: env.auth.clone(),
        mailbox: env.mailbox.clone(),
        env,
    });
    let open = Router::new()
        .route("/verify", get(verify::verify_get))
        .route("/authorize", get(external::authorize))
        .route(
            "/callback",
            get(external::callback).post(external::callback),
        )
        .route("/.well-known/jwks.json", get(account::jwks));
    let keyed = Router::new()
        .route("/health", get(account::health))
        .route("/settings", get(account::settings))
        .route("/signup", post(account::signup))
        .route("/token", post(account::token))
        .route("/user", get(account::get_user).put(account::put_user))
        .route("/logout", post(account::logout))
        .route("/otp", post(otp::otp))
        .route("/magiclink", post(otp::magiclink))
        .route("/verify", post(verify::verify_post))
        .route("/recover", post(otp::recover))
        .route("/resend", post(otp::resend))
        .route("/reauthenticate", get(otp::reauthenticate))
        .route("/factors", post(mfa::enroll))
        .route("/factors/{factor_id}", delete(mfa::unenroll))
        .route("/factors/{factor_id}/challenge", post(mfa::challenge))
        .route("/factors/{factor_id}/verify", post(mfa::verify))
        .route("/user/identities/authorize", get(external::link_identity))
        .route(
            "/user/identities/{identity_id}",
            delete(external::unlink_identity),
        )
        .route("/sso", post(external::sso))
        .route("/invite", post(admin::invite))
        .route(
            "/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route(
            "/admin/users/{user_id}",
            get(admin::get_user)
                .put(admin::update_user)
                .delete(admin::delete_user),
        )
        .route("/admin/users/{user_id}/factors", get(admin::list_factors))
        .route(
            "/admin/users/{user_id}/factors/{factor_id}",
            delete(admin::delete_factor).put(admin::update_factor),
        )
        .route("/admin/generate_link", post(admin::generate_link))
        .route_layer(from_fn_with_state(keys, require_apikey));
    open.merge(keyed)
        .fallback(not_found)
        .layer(from_fn(error::api_version))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no_route", "Not Found")
}

// ---- helpers shared by the handlers ----

/// Parses a JSON body as GoTrue's `retrieveRequestParams` does (an empty body is `{}`).
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("Could not parse request body as JSON: {e}"),
        )
    })
}

/// The caller of a user endpoint: a verified access token whose user (and session) exist.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    pub(crate) user_id: String,
    pub(crate) session_id: Option<String>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// Verifies the bearer token's signature and expiry (`requireAuthentication` in
/// supabase/auth `internal/api/auth.go`).
pub(crate) fn verified_claims(state: &Auth, headers: &HeaderMap) -> ApiResult<Value> {
    let token = bearer(headers).ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "no_authorization",
            "This endpoint requires a valid Bearer token",
        )
    })?;
    verify_jwt(token, &state.env.jwt_secret).map_err(|e| {
        let reason = match e {
            crate::services::CallerError::InvalidJwt(r) => r,
            crate::services::CallerError::Missing => String::new(),
        };
        ApiError::forbidden(
            "bad_jwt",
            format!("invalid JWT: unable to parse or verify signature, {reason}"),
        )
    })
}

/// `requireAuthentication` + `maybeLoadUserOrSession`: the token's user and session must exist.
pub(crate) async fn require_user(state: &Auth, headers: &HeaderMap) -> ApiResult<Authed> {
    let claims = verified_claims(state, headers)?;
    let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
    if sub.is_empty() {
        return Err(ApiError::forbidden(
            "bad_jwt",
            "invalid claim: missing sub claim",
        ));
    }
    if !users::is_uuid(&sub) {
        return Err(ApiError::bad_request(
            "bad_jwt",
            "invalid claim: sub claim must be a UUID",
        ));
    }
    // An empty or nil `session_id` is no session (supabase/auth `internal/api/auth.go`).
    let session_id = claims["session_id"]
        .as_str()
        .filter(|s| !s.is_empty() && *s != "00000000-0000-0000-0000-000000000000")
        .map(str::to_owned);
    if let Some(sid) = &session_id
        && !users::is_uuid(sid)
    {
        return Err(ApiError::forbidden(
            "bad_jwt",
            "invalid claim: session_id claim must be a UUID",
        ));
    }
    let db = state.env.db.get().await?;
    let user = db
        .query_opt(
            "select 1 from auth.users where id = $1::text::uuid",
            &[&sub],
        )
        .await?;
    if user.is_none() {
        return Err(ApiError::forbidden(
            "user_not_found",
            "User from sub claim in JWT does not exist",
        ));
    }
    if let Some(sid) = &session_id {
        let found = db
            .query_opt(
                "select 1 from auth.sessions where id = $1::text::uuid",
                &[sid],
            )
            .await?
            .is_some();
        if !found {
            return Err(ApiError::forbidden(
                "session_not_found",
                "Session from session_id claim in JWT does not exist",
            ));
        }
    }
    Ok(Authed {
        user_id: sub,
        session_id,
    })
}

/// `requireAdmin`: the bearer token's role must be an admin role (`service_role`, `supabase_admin`).
pub(crate) fn require_admin(state: &Auth, headers: &HeaderMap) -> ApiResult<Value> {
    let claims = verified_claims(state, headers)?;
    match claims["role"].as_str() {
        Some("service_role" | "supabase_admin") => Ok(claims),
        _ => Err(ApiError::forbidden("not_admin", "User not allowed")),
    }
}

/// Pins down the output type of an async block (so `?` inside it knows its error type).
pub(crate) async fn typed<T>(f: impl Future<Output = ApiResult<T>>) -> ApiResult<T> {
    f.await
}

/// Finishes a transaction: committed when the work succeeded or failed with
/// [`ApiError::Commit`], rolled back otherwise.
pub(crate) async fn finish<T>(
    tx: deadpool_postgres::Transaction<'_>,
    out: ApiResult<T>,
) -> ApiResult<T> {
    match out {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(ApiError::Commit(e)) => {
            tx.commit().await?;
            Err(*e)
        }
        Err(e) => Err(e),
    }
}

/// Opens a transaction on a pooled superuser connection.
pub(crate) async fn connection(state: &Auth) -> ApiResult<deadpool_postgres::Object> {
    Ok(state.env.db.get().await?)
}

/// `n` random bytes from the OS.
pub(crate) fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // The OS RNG failing is not something a local test stack can recover from.
    getrandom::fill(&mut buf).expect("the OS random number generator failed");
    buf
}

/// A URL-safe random string of `bytes` random bytes (refresh tokens, auth codes).
pub(crate) fn random_token(bytes: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// A numeric one-time code of `len` digits (GoTrue's `crypto.GenerateOtp`).
pub(crate) fn generate_otp(len: usize) -> String {
    random_bytes(len)
        .iter()
        .map(|b| char::from(b'0' + b % 10))
        .collect()
}

/// GoTrue's `crypto.GenerateTokenHash`: hex SHA-224 of the email or phone followed by the OTP.
pub(crate) fn token_hash(email_or_phone: &str, otp: &str) -> String {
    use sha2::{Digest, Sha224};
    crate::services::hex(&Sha224::digest(format!("{email_or_phone}{otp}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keycloak_secret_is_redacted_in_debug() {
        let provider =
            OidcProvider::new("http://127.0.0.1:1/realms/x", "app").secret("s3cr3t-value");
        let config = AuthConfig {
            keycloak: Some(provider.clone()),
            ..AuthConfig::default()
        };
        for text in [format!("{provider:?}"), format!("{config:?}")] {
            assert!(!text.contains("s3cr3t-value"), "{text}");
            assert!(text.contains("[redacted]"), "{text}");
        }
    }
}
