//! Sessions, access tokens and refresh tokens (supabase/auth `internal/tokens/service.go`,
//! `internal/models/sessions.go`, `refresh_token.go`, `internal/api/token.go`).
//!
//! An access token is an HS256 JWT with GoTrue's `AccessTokenClaims`; a refresh token is an opaque
//! random string in `auth.refresh_tokens`, rotated on every use. A revoked token may be reused while
//! it is the parent of the session's active token or within the reuse interval; after that, reuse
//! revokes every token of the session (`RevokeTokenFamily`) and fails with
//! `refresh_token_already_used`.

use std::time::{SystemTime, UNIX_EPOCH};

use deadpool_postgres::Transaction;
use serde_json::{Value, json};

use super::error::{ApiError, ApiResult};
use super::{Auth, random_token, users};
use crate::services::Secret;

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Starts a session for `user_id` signed in by `method` (an AMR method: `password`, `otp`,
/// `anonymous`, `magiclink`, `recovery`, `invite`, `email/signup`, `pkce`...). Returns the token
/// response.
pub(super) async fn sign_in(
    state: &Auth,
    tx: &Transaction<'_>,
    user_id: &str,
    method: &str,
) -> ApiResult<Value> {
    let row = tx
        .query_one(
            "insert into auth.sessions (id, user_id, created_at, updated_at, aal) \
             values (gen_random_uuid(), $1::text::uuid, now(), now(), 'aal1') returning id::text",
            &[&user_id],
        )
        .await?;
    let session_id: String = row.get(0);
    add_amr(tx, &session_id, method).await?;
    tx.execute(
        "update auth.users set last_sign_in_at = now(), updated_at = now() where id = $1::text::uuid",
        &[&user_id],
    )
    .await?;
    tx.execute(
        "update auth.identities set last_sign_in_at = now() where user_id = $1::text::uuid",
        &[&user_id],
    )
    .await?;
    let refresh = new_refresh_token(tx, user_id, &session_id, None).await?;
    token_response(state, tx, user_id, &session_id, &refresh).await
}

/// Records that the session was authenticated by `method` now.
pub(super) async fn add_amr(tx: &Transaction<'_>, session_id: &str, method: &str) -> ApiResult<()> {
    tx.execute(
        "insert into auth.mfa_amr_claims (session_id, created_at, updated_at, authentication_method, id) \
         values ($1::text::uuid, now(), now(), $2, gen_random_uuid()) \
         on conflict (session_id, authentication_method) do update set updated_at = now()",
        &[&session_id, &method],
    )
    .await?;
    Ok(())
}

/// Inserts a refresh token for the session.
pub(super) async fn new_refresh_token(
    tx: &Transaction<'_>,
    user_id: &str,
    session_id: &str,
    parent: Option<&str>,
) -> ApiResult<String> {
    let token = random_token(16);
    tx.execute(
        "insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id) \
         values ('00000000-0000-0000-0000-000000000000', $1, $2, false, now(), now(), $3, $4::text::uuid)",
        &[&Secret(&token), &user_id, &Secret(parent), &session_id],
    )
    .await?;
    Ok(token)
}

/// `AccessTokenResponse`: `{access_token, token_type, expires_in, expires_at, refresh_token, user}`.
pub(super) async fn token_response(
    state: &Auth,
    tx: &Transaction<'_>,
    user_id: &str,
    session_id: &str,
    refresh_token: &str,
) -> ApiResult<Value> {
    let user = users::must_user_json(tx, user_id).await?;
    let (access_token, expires_at) = access_token(state, tx, &user, session_id).await?;
    Ok(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": state.config.jwt_expiry.as_secs(),
        "expires_at": expires_at,
        "refresh_token": refresh_token,
        "user": user,
    }))
}

/// Mints the access token of `user` (its JSON object) in `session_id`; returns it and its `exp`.
async fn access_token(
    state: &Auth,
    tx: &Transaction<'_>,
    user: &Value,
    session_id: &str,
) -> ApiResult<(String, i64)> {
    let row = tx
        .query_one(
            "select coalesce(s.aal::text, 'aal1'), \
               coalesce((select jsonb_agg(jsonb_build_object('method', c.authentication_method, \
                   'timestamp', extract(epoch from c.updated_at)::bigint) order by c.updated_at desc) \
                 from auth.mfa_amr_claims c where c.session_id = s.id), '[]'::jsonb)::text \
             from auth.sessions s where s.id = $1::text::uuid",
            &[&session_id],
        )
        .await?;
    let aal: String = row.get(0);
    let amr = users::parse_json(&row.get::<_, String>(1))?;
    let iat = now_secs();
    let exp = iat + i64::try_from(state.config.jwt_expiry.as_secs()).unwrap_or(i64::MAX / 2);
    let claims = json!({
        "iss": state.base_url,
        "sub": user["id"],
        "aud": user["aud"],
        "exp": exp,
        "iat": iat,
        "email": user["email"],
        "phone": user["phone"],
        "app_metadata": user["app_metadata"],
        "user_metadata": user["user_metadata"],
        "role": user["role"],
        "aal": aal,
        "amr": amr,
        "session_id": session_id,
        "is_anonymous": user["is_anonymous"],
    });
    // `SignJWT`: the signing key (with its `kid`) when configured, else HS256 with the secret.
    let token = state
        .env
        .jwt_secret
        .sign(&claims)
        .map_err(|e| ApiError::internal(format!("error generating jwt token: {e}")))?;
    Ok((token, exp))
}

/// `grant_type=refresh_token`.
pub(super) async fn refresh(state: &Auth, tx: &Transaction<'_>, token: &str) -> ApiResult<Value> {
    let row = tx
        .query_opt(
            "select rt.id, rt.revoked, rt.session_id::text, rt.user_id, \
               rt.updated_at + make_interval(secs => $2) > now(), \
               coalesce(u.banned_until > now(), false), \
               s.not_after is not null and s.not_after < now() \
             from auth.refresh_tokens rt \
             join auth.sessions s on s.id = rt.session_id \
             join auth.users u on u.id = s.user_id \
             where rt.token = $1 for update of rt",
            &[
                &Secret(token),
                &state.config.refresh_token_reuse_interval.as_secs_f64(),
            ],
        )
        .await?;
    let Some(row) = row else {
        return Err(ApiError::bad_request(
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        ));
    };
    let (id, revoked, session_id, user_id, in_reuse_window, banned, expired): (
        i64,
        Option<bool>,
        String,
        Option<String>,
        bool,
        bool,
        bool,
    ) = (
        row.get(0),
        row.get(1),
        row.get(2),
        row.get(3),
        row.get(4),
        row.get(5),
        row.get(6),
    );
    let user_id = user_id.unwrap_or_default();
    if banned {
        return Err(ApiError::bad_request(
            "user_banned",
            "Invalid Refresh Token: User Banned",
        ));
    }
    if expired {
        return Err(ApiError::bad_request(
            "session_expired",
            "Invalid Refresh Token: Session Expired",
        ));
    }
    if revoked == Some(true) {
        // The client lost the response of its last refresh: hand out the active child again.
        let active = tx
            .query_opt(
                "select token from auth.refresh_tokens \
                 where session_id = $1::text::uuid and revoked = false and parent = $2 \
                 order by id desc limit 1",
                &[&session_id, &Secret(token)],
            )
            .await?;
        if let Some(active) = active {
            let active: String = active.get(0);
            return token_response(state, tx, &user_id, &session_id, &active).await;
        }
        if !in_reuse_window {
            // GoTrue `RevokeTokenFamily` (internal/models/refresh_token.go): the live tokens
            // only, so the reused one keeps its time and stays outside the reuse window.
            tx.execute(
                "update auth.refresh_tokens set revoked = true, updated_at = now() \
                 where session_id = $1::text::uuid and revoked = false",
                &[&session_id],
            )
            .await?;
            return Err(ApiError::bad_request(
                "refresh_token_already_used",
                "Invalid Refresh Token: Already Used",
            )
            .commit());
        }
    }
    tx.execute(
        "update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1",
        &[&id],
    )
    .await?;
    tx.execute(
        "update auth.sessions set refreshed_at = now() at time zone 'UTC', updated_at = now() \
         where id = $1::text::uuid",
        &[&session_id],
    )
    .await?;
    let new = new_refresh_token(tx, &user_id, &session_id, Some(token)).await?;
    token_response(state, tx, &user_id, &session_id, &new).await
}

/// Revokes the tokens of every other session of the user, then of this one, per logout scope.
pub(super) async fn logout(
    tx: &Transaction<'_>,
    user_id: &str,
    session_id: Option<&str>,
    scope: &str,
) -> ApiResult<()> {
    match (scope, session_id) {
        ("local", Some(sid)) => {
            tx.execute(
                "delete from auth.sessions where id = $1::text::uuid",
                &[&sid],
            )
            .await?;
        }
        ("others", Some(sid)) => {
            tx.execute(
                "delete from auth.sessions where user_id = $1::text::uuid and id <> $2::text::uuid",
                &[&user_id, &sid],
            )
            .await?;
        }
        ("others", None) => {}
        _ => {
            tx.execute(
                "delete from auth.sessions where user_id = $1::text::uuid",
                &[&user_id],
            )
            .await?;
        }
    }
    Ok(())
}
