//! MFA: enroll, challenge, verify, unenroll (supabase/auth `internal/api/mfa.go`,
//! `internal/models/factor.go`, `challenge.go`). TOTP is RFC 6238 (SHA-1, 6 digits, 30 s, one
//! step of skew, as GoTrue's `totp.ValidateCustom`); phone factors get their code by SMS.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use deadpool_postgres::Transaction;
use serde::Deserialize;
use serde_json::{Value, json};
use totp_rs::{Algorithm, TOTP};

use super::error::{ApiError, ApiResult};
use super::{Authed, St, parse_body, require_user, sessions, token_hash, users};
use crate::services::Secret;

/// How long a challenge may be verified (`mfa.challenge_expiry_duration`).
const CHALLENGE_EXPIRY_SECS: f64 = 300.0;
/// GoTrue's defaults for `MFA.MaxEnrolledFactors` and `MFA.MaxVerifiedFactors`.
const MAX_ENROLLED_FACTORS: i64 = 10;
const MAX_VERIFIED_FACTORS: i64 = 10;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EnrollParams {
    factor_type: String,
    friendly_name: String,
    issuer: String,
    phone: String,
}

/// A TOTP for `secret` (raw bytes), labelled for the authenticator app.
fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> ApiResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| ApiError::internal(format!("building the TOTP: {e}")))
}

pub(super) async fn session_aal(tx: &Transaction<'_>, who: &Authed) -> ApiResult<String> {
    let Some(sid) = &who.session_id else {
        return Ok("aal1".into());
    };
    let row = tx
        .query_opt(
            "select coalesce(aal::text, 'aal1') from auth.sessions where id = $1::text::uuid",
            &[sid],
        )
        .await?;
    Ok(row.map_or_else(|| "aal1".into(), |r| r.get(0)))
}

/// `POST /factors`.
pub(super) async fn enroll(
    State(state): St,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    let p: EnrollParams = parse_body(&body)?;
    if p.factor_type != "totp" && p.factor_type != "phone" {
        return Err(ApiError::validation(
            "factor_type needs to be totp or phone",
        ));
    }
    let phone = if p.factor_type == "phone" {
        Some(users::validate_phone(&p.phone)?)
    } else {
        None
    };
    in_tx!(&state, |tx| {
        let user = users::find_by_id(tx, &who.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))?;
        // `enrollPhoneFactor` / `enrollTOTPFactor` (internal/api/mfa.go): the same phone,
        // verified, is refused and, unverified, replaced; then the limits, counted before
        // that replacement (403 for TOTP, 422 for phone); then the AAL.
        let counts = tx
            .query_one(
                "select count(*), count(*) filter (where status = 'verified'), \
                        count(*) filter (where status = 'verified' and phone = $2) \
                 from auth.mfa_factors where user_id = $1::text::uuid",
                &[&who.user_id, &phone],
            )
            .await?;
        let (all, verified, same_phone): (i64, i64, i64) = (counts.get(0), counts.get(1), counts.get(2));
        if same_phone > 0 {
            return Err(ApiError::unprocessable(
                "mfa_verified_factor_exists",
                "A verified phone factor already exists, unenroll the existing factor to continue",
            ));
        }
        if phone.is_some() {
            tx.execute(
                "delete from auth.mfa_factors where user_id = $1::text::uuid \
                   and status = 'unverified' and phone = $2",
                &[&who.user_id, &phone],
            )
            .await?;
        }
        if all >= MAX_ENROLLED_FACTORS || verified >= MAX_VERIFIED_FACTORS {
            let status = if phone.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::FORBIDDEN
            };
            return Err(ApiError::new(
                status,
                "too_many_enrolled_mfa_factors",
                "Maximum number of verified factors reached, unenroll to continue",
            ));
        }
        if verified > 0 && session_aal(tx, &who).await? != "aal2" {
            return Err(ApiError::forbidden(
                "insufficient_aal",
                "AAL2 required to enroll a new factor",
            ));
        }
        if !p.friendly_name.is_empty() {
            let taken = tx
                .query_opt(
                    "select 1 from auth.mfa_factors where user_id = $1::text::uuid and friendly_name = $2",
                    &[&who.user_id, &p.friendly_name],
                )
                .await?
                .is_some();
            if taken {
                return Err(ApiError::unprocessable(
                    "mfa_factor_name_conflict",
                    format!(
                        "A factor with the friendly name \"{}\" for this user already exists",
                        p.friendly_name
                    ),
                ));
            }
        }
        let friendly = (!p.friendly_name.is_empty()).then_some(p.friendly_name.as_str());
        if let Some(phone) = phone {
            let id: String = tx
                .query_one(
                    "insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, phone) \
                     values (gen_random_uuid(), $1::text::uuid, $2, 'phone', 'unverified', now(), now(), $3) returning id::text",
                    &[&who.user_id, &friendly, &phone],
                )
                .await?
                .get(0);
            // `totp` is there, empty: `EnrollFactorResponse.TOTP` is a struct, which
            // `omitempty` never drops.
            return Ok(json!({
                "id": id, "type": "phone", "friendly_name": p.friendly_name, "totp": {},
                "phone": phone,
            }));
        }
        let issuer = if p.issuer.is_empty() {
            url::Url::parse(&state.config.site_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "localhost".into())
        } else {
            p.issuer.clone()
        };
        let account = if user.email.is_empty() {
            user.phone.clone()
        } else {
            user.email.clone()
        };
        let t = totp(super::random_bytes(20), &issuer, &account)?;
        let secret = t.get_secret_base32();
        let uri = t.get_url();
        let svg = qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| ApiError::internal(format!("rendering the QR code: {e}")))?
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build();
        let id: String = tx
            .query_one(
                "insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret) \
                 values (gen_random_uuid(), $1::text::uuid, $2, 'totp', 'unverified', now(), now(), $3) returning id::text",
                &[&who.user_id, &friendly, &Secret(&secret)],
            )
            .await?
            .get(0);
        Ok(json!({
            "id": id,
            "type": "totp",
            "friendly_name": p.friendly_name,
            // `mfa.go`: the SVG as it is (`QRCode: buf.String()`); auth-js, and this client,
            // make it a data URI.
            "totp": {"qr_code": svg, "secret": secret, "uri": uri},
        }))
    })
    .map(Json)
}

/// (factor_type, status, secret, phone) of the caller's factor, or `mfa_factor_not_found`.
async fn own_factor(
    tx: &Transaction<'_>,
    user_id: &str,
    factor_id: &str,
) -> ApiResult<(String, String, Option<String>, Option<String>)> {
    let not_found = || ApiError::not_found("mfa_factor_not_found", "Factor not found");
    if !users::is_uuid(factor_id) {
        return Err(not_found());
    }
    let row = tx
        .query_opt(
            "select factor_type::text, status::text, secret, phone from auth.mfa_factors \
             where id = $1::text::uuid and user_id = $2::text::uuid",
            &[&factor_id, &user_id],
        )
        .await?
        .ok_or_else(not_found)?;
    Ok((row.get(0), row.get(1), row.get(2), row.get(3)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ChallengeParams {
    channel: String,
}

/// `POST /factors/{id}/challenge`.
pub(super) async fn challenge(
    State(state): St,
    headers: HeaderMap,
    Path(factor_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    let p: ChallengeParams = parse_body(&body)?;
    in_tx!(&state, |tx| {
        let (factor_type, _, _, phone) = own_factor(tx, &who.user_id, &factor_id).await?;
        let mut code_hash: Option<String> = None;
        if factor_type == "phone" {
            let channel = super::account::check_channel(&p.channel)?;
            let phone = phone.unwrap_or_default();
            let otp = super::generate_otp(6);
            code_hash = Some(token_hash(&phone, &otp));
            state.mailbox.record(super::Message {
                to: phone,
                kind: super::MessageKind::MfaPhone,
                channel: channel.into(),
                subject: String::new(),
                otp,
                token_hash: None,
                link: None,
                sent_at: std::time::SystemTime::now(),
            });
        }
        let row = tx
            .query_one(
                "insert into auth.mfa_challenges (id, factor_id, created_at, ip_address, otp_code) \
                 values (gen_random_uuid(), $1::text::uuid, now(), '127.0.0.1', $2) \
                 returning id::text, extract(epoch from created_at + make_interval(secs => $3))::bigint",
                &[&factor_id, &Secret(&code_hash), &CHALLENGE_EXPIRY_SECS],
            )
            .await?;
        tx.execute(
            "update auth.mfa_factors set last_challenged_at = now(), updated_at = now() where id = $1::text::uuid",
            &[&factor_id],
        )
        .await?;
        let (id, expires_at): (String, i64) = (row.get(0), row.get(1));
        Ok(json!({"id": id, "type": factor_type, "expires_at": expires_at}))
    })
    .map(Json)
}

/// No `Debug`: it holds the code.
#[derive(Default, Deserialize)]
#[serde(default)]
struct VerifyParams {
    challenge_id: String,
    code: String,
}

/// `POST /factors/{id}/verify`: a correct code verifies the factor and raises the session to aal2.
pub(super) async fn verify(
    State(state): St,
    headers: HeaderMap,
    Path(factor_id): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    let p: VerifyParams = parse_body(&body)?;
    if p.code.is_empty() {
        return Err(ApiError::validation("Code needs to be non-empty"));
    }
    let Some(session_id) = who.session_id.clone() else {
        return Err(ApiError::forbidden(
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        ));
    };
    in_tx!(&state, |tx| {
        let (factor_type, _, secret, phone) = own_factor(tx, &who.user_id, &factor_id).await?;
        let row = if users::is_uuid(&p.challenge_id) {
            tx.query_opt(
                "select created_at + make_interval(secs => $3) < now(), otp_code, \
                        verified_at is not null \
                 from auth.mfa_challenges \
                 where id = $1::text::uuid and factor_id = $2::text::uuid",
                &[&p.challenge_id, &factor_id, &CHALLENGE_EXPIRY_SECS],
            )
            .await?
        } else {
            None
        };
        let Some(row) = row else {
            return Err(ApiError::not_found(
                "mfa_factor_not_found",
                "MFA factor with the provided challenge ID not found",
            ));
        };
        let (expired, otp_hash, used): (bool, Option<String>, bool) =
            (row.get(0), row.get(1), row.get(2));
        if used {
            // GoTrue's wording, "ambiguous so as not to leak whether there is a verified
            // challenge".
            return Err(ApiError::unprocessable(
                "mfa_ip_address_mismatch",
                "Challenge and verify IP addresses mismatch",
            ));
        }
        if expired {
            tx.execute(
                "delete from auth.mfa_challenges where id = $1::text::uuid",
                &[&p.challenge_id],
            )
            .await?;
            return Err(ApiError::unprocessable(
                "mfa_challenge_expired",
                format!(
                    "MFA challenge {} has expired, verify against another challenge or create a new challenge.",
                    p.challenge_id
                ),
            )
            .commit());
        }
        let (valid, amr, failure) = if factor_type == "phone" {
            let phone = phone.unwrap_or_default();
            (
                otp_hash.as_deref() == Some(token_hash(&phone, &p.code).as_str()),
                "mfa/phone",
                "Invalid MFA Phone code entered",
            )
        } else {
            let secret = totp_rs::Secret::Encoded(secret.unwrap_or_default())
                .to_bytes()
                .map_err(|e| ApiError::internal(format!("decoding the TOTP secret: {e:?}")))?;
            let t = totp(secret, "x", "x")?;
            (
                t.check_current(&p.code).unwrap_or(false),
                "totp",
                "Invalid TOTP code entered",
            )
        };
        if !valid {
            return Err(ApiError::unprocessable("mfa_verification_failed", failure));
        }
        // `challenge.Verify`: kept, marked used.
        tx.execute(
            "update auth.mfa_challenges set verified_at = now() where id = $1::text::uuid",
            &[&p.challenge_id],
        )
        .await?;
        tx.execute(
            "update auth.mfa_factors set status = 'verified', updated_at = now() where id = $1::text::uuid",
            &[&factor_id],
        )
        .await?;
        tx.execute(
            "update auth.sessions set aal = 'aal2', factor_id = $2::text::uuid, updated_at = now() \
             where id = $1::text::uuid",
            &[&session_id, &factor_id],
        )
        .await?;
        sessions::add_amr(tx, &session_id, amr).await?;
        // GoTrue's verify (`internal/api/mfa.go`): `InvalidateSessionsWithAALLessThan(aal2)`
        // signs the user out of every session that has not passed MFA (this one now has),
        // and `DeleteUnverifiedFactors` drops the user's other pending enrollments of this
        // factor's type.
        tx.execute(
            "delete from auth.sessions where user_id = $1::text::uuid \
               and (aal is null or aal < 'aal2')",
            &[&who.user_id],
        )
        .await?;
        tx.execute(
            "delete from auth.mfa_factors where user_id = $1::text::uuid \
               and status = 'unverified' and factor_type::text = $2",
            &[&who.user_id, &factor_type],
        )
        .await?;
        // `updateMFASessionAndClaims`: the session's refresh token is swapped for a new one.
        let parent: Option<String> = tx
            .query_opt(
                "update auth.refresh_tokens set revoked = true, updated_at = now() \
                 where session_id = $1::text::uuid and revoked = false returning token",
                &[&session_id],
            )
            .await?
            .map(|r| r.get(0));
        let refresh =
            sessions::new_refresh_token(tx, &who.user_id, &session_id, parent.as_deref()).await?;
        sessions::token_response(&state, tx, &who.user_id, &session_id, &refresh).await
    })
    .map(Json)
}

/// `DELETE /factors/{id}`: `{"id": ..}`. A verified factor needs an aal2 session.
pub(super) async fn unenroll(
    State(state): St,
    headers: HeaderMap,
    Path(factor_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    in_tx!(&state, |tx| {
        let (_, status, _, _) = own_factor(tx, &who.user_id, &factor_id).await?;
        if status == "verified" && session_aal(tx, &who).await? != "aal2" {
            return Err(ApiError::unprocessable(
                "insufficient_aal",
                "AAL2 required to unenroll verified factor",
            ));
        }
        tx.execute(
            "delete from auth.mfa_factors where id = $1::text::uuid",
            &[&factor_id],
        )
        .await?;
        // `DowngradeSessionsToAAL1`: the sessions that passed MFA with this factor are aal1
        // again (their next token says so).
        tx.execute(
            "update auth.sessions set aal = 'aal1', factor_id = null, updated_at = now() \
             where user_id = $1::text::uuid and factor_id = $2::text::uuid",
            &[&who.user_id, &factor_id],
        )
        .await?;
        Ok(json!({"id": factor_id}))
    })
    .map(Json)
}
