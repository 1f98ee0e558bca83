//! Tokens and private-channel policies.
//!
//! Token errors carry Realtime's texts (`realtime_channel.ex` join/`access_token` clauses,
//! `channels_authorization.ex`): a refused join says `InvalidJWTToken: Token has expired N
//! seconds ago` (code and message), a channel shut down later says only the message. Policies follow
//! `Realtime.Tenants.Authorization`: the caller's RLS on `realtime.messages`, with
//! `realtime.topic()` set to the channel, decides read (join) and write (send) per extension.

use crate::services::{Caller, Db, DbError, JwtKeys};

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TokenError {
    /// Signed with another key.
    Signature,
    /// Not a JWT.
    Malformed,
    /// Without `role` or `exp`.
    MissingClaims,
    /// Expired this many seconds ago.
    Expired(i64),
}

impl TokenError {
    /// The reason of a refused join: Realtime's `Code: message` (`logging.ex` `build_msg`).
    pub(super) fn join_reason(&self) -> String {
        match self {
            TokenError::Signature => "JwtSignatureError: Failed to validate JWT signature".into(),
            TokenError::Malformed => "MalformedJWT: The token provided is not a valid JWT".into(),
            TokenError::MissingClaims => {
                "InvalidJWTToken: Fields `role` and `exp` are required in JWT".into()
            }
            TokenError::Expired(_) => format!("InvalidJWTToken: {}", self.shutdown_message()),
        }
    }

    /// The `system` message of a channel shut down by a refused `access_token` or an expiry:
    /// the bare message (`shutdown_response`), and for a bad signature `inspect(error)`.
    pub(super) fn shutdown_message(&self) -> String {
        match self {
            TokenError::Signature => ":signature_error".into(),
            TokenError::Malformed => "The token provided is not a valid JWT".into(),
            TokenError::MissingClaims => "Fields `role` and `exp` are required in JWT".into(),
            TokenError::Expired(ago) => format!("Token has expired {ago} seconds ago"),
        }
    }
}

/// Seconds since the Unix epoch.
pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Verifies a token (the stack's signing key or its HS256 secret) as the Realtime channel does.
pub(super) fn verify(token: &str, keys: &JwtKeys) -> Result<Caller, TokenError> {
    use jsonwebtoken::errors::ErrorKind;
    let claims = keys
        .decode(token.trim(), false)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenError::Signature,
            _ => TokenError::Malformed,
        })?;
    let (Some(role), Some(exp)) = (claims["role"].as_str(), claims["exp"].as_i64()) else {
        return Err(TokenError::MissingClaims);
    };
    let now = now();
    if exp <= now {
        return Err(TokenError::Expired(now.saturating_sub(exp)));
    }
    Ok(Caller {
        role: role.to_owned(),
        claims: claims.clone(),
    })
}

/// What a caller may do on a private channel.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Policies {
    pub(super) broadcast_read: bool,
    pub(super) broadcast_write: bool,
    pub(super) presence_read: bool,
    pub(super) presence_write: bool,
}

/// Evaluates the caller's RLS policies on `realtime.messages` for `topic`, in transactions
/// that are rolled back.
pub(super) async fn policies(db: &Db, caller: &Caller, topic: &str) -> Result<Policies, DbError> {
    let mut conn = db.get().await?;
    let claims = caller.claims.to_string();
    let sub = caller.claims["sub"].as_str().unwrap_or("");
    let become_caller = "select set_config('role', $1, true), \
        set_config('request.jwt.claims', $2, true), \
        set_config('request.jwt.claim.sub', $3, true), \
        set_config('realtime.topic', $4, true)";
    let mut out = Policies::default();
    // Read: probe rows inserted by the service, selected back by id as the caller (as
    // `Authorization.get_read_policy_for_connection_and_extension`): stored messages of the
    // topic (Broadcast from Database) must not decide.
    {
        let tx = conn.transaction().await?;
        let probes: Vec<String> = tx
            .query(
                "insert into realtime.messages (topic, extension, private) \
                 values ($1, 'broadcast', true), ($1, 'presence', true) returning id::text",
                &[&topic],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        tx.execute(become_caller, &[&caller.role, &claims, &sub, &topic])
            .await?;
        let visible = tx
            .query(
                "select extension from realtime.messages where id = any($1::text[]::uuid[])",
                &[&probes],
            )
            .await;
        if let Ok(visible) = visible {
            for row in visible {
                match row.get::<_, &str>(0) {
                    "broadcast" => out.broadcast_read = true,
                    "presence" => out.presence_read = true,
                    _ => {}
                }
            }
        }
        tx.rollback().await?;
    }
    // Write: an insert as the caller, per extension.
    for extension in ["broadcast", "presence"] {
        let tx = conn.transaction().await?;
        tx.execute(become_caller, &[&caller.role, &claims, &sub, &topic])
            .await?;
        let allowed = tx
            .execute(
                "insert into realtime.messages (topic, extension, private) values ($1, $2, true)",
                &[&topic, &extension],
            )
            .await
            .is_ok();
        tx.rollback().await?;
        match extension {
            "broadcast" => out.broadcast_write = allowed,
            _ => out.presence_write = allowed,
        }
    }
    Ok(out)
}
