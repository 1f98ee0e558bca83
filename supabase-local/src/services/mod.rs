//! What the stand-in services (auth, storage, functions, realtime) share: the stack's settings,
//! a Postgres pool, and the caller of a request (its verified JWT claims and role).
//!
//! Each service lives in its own module and exposes `router(env: ServiceEnv) -> Router`;
//! [`with_defaults`] mounts the built-in ones wherever the user did not pass a router.

pub(crate) mod auth;
pub(crate) mod functions;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::HeaderMap;
use serde_json::Value;

use crate::error::StackError;
pub(crate) use crate::signing::JwtKeys;

mod realtime;
use crate::gateway::Services;

mod storage;

/// Everything a built-in service needs from the stack. Cheap to clone.
#[derive(Clone)]
pub(crate) struct ServiceEnv {
    /// The JWT secret (it derefs to it) and the asymmetric signing key, when there is one.
    pub(crate) jwt_secret: JwtKeys,
    pub(crate) anon_key: Arc<str>,
    pub(crate) service_role_key: Arc<str>,
    /// `http://127.0.0.1:<gateway port>`: the stack's public URL.
    pub(crate) public_url: Arc<str>,
    /// A directory the stack owns (removed on stop), for files such as storage objects.
    pub(crate) data_dir: PathBuf,
    /// The project directory (`supabase/` lives under it), when the stack was given one.
    pub(crate) project_dir: Option<PathBuf>,
    /// Connections to the database as its superuser; use [`Db::as_caller`] to drop privileges.
    pub(crate) db: Db,
    /// The auth stand-in's settings.
    pub(crate) auth: auth::AuthConfig,
    /// Where the auth stand-in records the emails and SMS it would send.
    pub(crate) mailbox: auth::Mailbox,
}

impl std::fmt::Debug for ServiceEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceEnv")
            .field("public_url", &self.public_url)
            .field("data_dir", &self.data_dir)
            .field("project_dir", &self.project_dir)
            .finish_non_exhaustive()
    }
}

/// Fills every service the user left `None` with the built-in stand-in.
pub(crate) fn with_defaults(mut services: Services, env: &ServiceEnv) -> Services {
    services.auth = services.auth.or_else(|| Some(auth::router(env.clone())));
    services.storage = services
        .storage
        .or_else(|| Some(storage::router(env.clone())));
    services
        .realtime
        .get_or_insert_with(|| realtime::router(env.clone()));
    services
}

/// Tables the services keep in the database, created before the project's migrations so that
/// those can reference them (e.g. `references auth.users`).
pub(crate) async fn prepare_db(client: &tokio_postgres::Client) -> Result<(), StackError> {
    auth::apply_schema(client).await
}

/// A pool of superuser connections to the stack's database.
#[derive(Clone)]
pub(crate) struct Db {
    pool: deadpool_postgres::Pool,
}

impl Db {
    pub(crate) fn new(conn_str: &str) -> Result<Self, StackError> {
        let config: tokio_postgres::Config = conn_str
            .parse()
            .map_err(|e| StackError::db("parsing the service connection string", e))?;
        let manager = deadpool_postgres::Manager::from_config(
            config,
            tokio_postgres::NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(|e| StackError::Config(format!("building the service pool: {e}")))?;
        Ok(Db { pool })
    }

    /// A pooled superuser connection (for the service's own bookkeeping, like GoTrue's
    /// `supabase_auth_admin` or storage-api's `supabase_storage_admin`).
    pub(crate) async fn get(&self) -> Result<deadpool_postgres::Object, DbError> {
        self.pool.get().await.map_err(|e| DbError(e.to_string()))
    }
}

/// Starts a transaction on `conn` as `caller`'s role with `request.jwt.claims` (and the legacy
/// `request.jwt.claim.sub` / `.role`) set for the transaction, as PostgREST does, so RLS policies
/// and `auth.uid()` apply exactly as for the caller's PostgREST requests. (A plain function, not a
/// helper taking an async closure: those futures cannot be proven `Send`, which axum handlers and
/// spawned tasks need.)
pub(crate) async fn begin_as<'c>(
    conn: &'c mut deadpool_postgres::Object,
    caller: &Caller,
) -> Result<deadpool_postgres::Transaction<'c>, DbError> {
    let tx = conn.transaction().await.map_err(DbError::from)?;
    let claims = caller.claims.to_string();
    let sub = caller.claims["sub"].as_str().unwrap_or("");
    tx.execute(
        "select set_config('role', $1, true), \
                set_config('request.jwt.claims', $2, true), \
                set_config('request.jwt.claim.sub', $3, true), \
                set_config('request.jwt.claim.role', $1, true)",
        &[&caller.role, &claims, &sub],
    )
    .await
    .map_err(DbError::from)?;
    Ok(tx)
}

/// A query parameter that is a credential (a password, a refresh token, a one-time code's hash, an
/// authorization code, a factor's secret, a provider's token): bound as its value, but shown as
/// `<redacted>` where tokio-postgres logs each statement's parameters (at `DEBUG`, through
/// `log`), so that no log line of the stack carries one. `tests/tests/logs.rs` checks this.
pub(crate) struct Secret<T>(pub(crate) T);

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: tokio_postgres::types::ToSql> tokio_postgres::types::ToSql for Secret<T> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        T::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A UUID in its hyphenated form (the one the stand-ins issue and accept in ids).
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Lower-case hex of a digest (token hashes, ETags, file names).
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A database failure inside a service, with Postgres's SQLSTATE when there is one.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub(crate) struct DbError(pub(crate) String);

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => DbError(format!("{} ({})", db.message(), db.code().code())),
            None => DbError(e.to_string()),
        }
    }
}

impl DbError {
    /// Whether the failure was an RLS / privilege rejection (SQLSTATE 42501).
    pub(crate) fn is_permission_denied(&self) -> bool {
        self.0.ends_with("(42501)")
    }
}

/// Who made a request: the verified claims of its bearer token (or of its `apikey` when no
/// `Authorization` was sent, as Supabase's gateway does) and the Postgres role they name.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) role: String,
    pub(crate) claims: Value,
}

impl Caller {
    /// The `sub` claim (the user id), when the token belongs to a user.
    pub(crate) fn user_id(&self) -> Option<&str> {
        self.claims["sub"].as_str()
    }
}

/// Why a request has no valid caller. Each service maps these to its own error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallerError {
    /// Neither `apikey` nor `Authorization` was sent.
    #[error("no API key or bearer token in the request")]
    Missing,
    /// The token is malformed, signed with another key, or expired.
    #[error("invalid JWT: {0}")]
    InvalidJwt(String),
}

/// Reads and verifies the caller of a request: the `Authorization: Bearer` token, else the
/// `apikey` header. Tokens must be signed with the stack's signing key or HS256 with its secret,
/// and unexpired; a token without a `role` claim is `anon`, as in PostgREST.
pub(crate) fn caller(headers: &HeaderMap, jwt_secret: &JwtKeys) -> Result<Caller, CallerError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let apikey = headers.get("apikey").and_then(|v| v.to_str().ok());
    let token = bearer.or(apikey).ok_or(CallerError::Missing)?;
    let claims = verify_jwt(token, jwt_secret)?;
    let role = claims["role"].as_str().unwrap_or("anon").to_owned();
    Ok(Caller { role, claims })
}

/// Verifies a token (the stack's RS256/ES256 signing key when its `kid` names it, else HS256 with
/// the secret; `exp` when present) and returns its claims.
pub(crate) fn verify_jwt(token: &str, keys: &JwtKeys) -> Result<Value, CallerError> {
    let claims = keys
        .decode(token, true)
        .map_err(|e| CallerError::InvalidJwt(e.to_string()))?;
    if !claims.is_object() {
        return Err(CallerError::InvalidJwt("claims are not an object".into()));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{DEFAULT_JWT_SECRET, api_key, mint_jwt};

    fn keys() -> JwtKeys {
        JwtKeys::hs256(DEFAULT_JWT_SECRET)
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn bearer_wins_over_apikey() {
        let anon = api_key(DEFAULT_JWT_SECRET, "anon").unwrap();
        let user = mint_jwt(
            DEFAULT_JWT_SECRET,
            &serde_json::json!({"role": "authenticated", "sub": "u1", "exp": 4_000_000_000u64}),
        )
        .unwrap();
        let c = caller(
            &headers(&[
                ("apikey", &anon),
                ("authorization", &format!("Bearer {user}")),
            ]),
            &keys(),
        )
        .unwrap();
        assert_eq!(c.role, "authenticated");
        assert_eq!(c.user_id(), Some("u1"));
        let c = caller(&headers(&[("apikey", &anon)]), &keys()).unwrap();
        assert_eq!(c.role, "anon");
    }

    #[test]
    fn rejects_missing_forged_and_expired_tokens() {
        assert_eq!(
            caller(&HeaderMap::new(), &keys()).unwrap_err(),
            CallerError::Missing
        );
        let forged = api_key("another-secret-that-is-at-least-32-chars", "service_role").unwrap();
        assert!(matches!(
            caller(&headers(&[("apikey", &forged)]), &keys()),
            Err(CallerError::InvalidJwt(_))
        ));
        let expired = mint_jwt(
            DEFAULT_JWT_SECRET,
            &serde_json::json!({"role": "anon", "exp": 1}),
        )
        .unwrap();
        assert!(matches!(
            caller(&headers(&[("apikey", &expired)]), &keys()),
            Err(CallerError::InvalidJwt(_))
        ));
    }
}
