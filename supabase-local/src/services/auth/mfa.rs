//! MFA: enroll, challenge, verify, unenroll (supabase/auth `internal/api/mfa.go`,
//! `internal/models/factor.go`, `challenge.go`). TOTP is RFC 6238 (SHA-1, 6 digits, 30 s, one
//! step of skew, as GoTrue's `totp.ValidateCustom`); phone factors get their code by SMS.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use deadpool_postgres::Transaction;
use serde::Deserialize;
use serde_json::{Value, json};
use totp_rs::{Algorithm, TOTP};

use super::error::{ApiError, ApiResult};
use super::{Authed, St, parse_body, require_user, sessions, token_hash, users};
use crate::services::Secret;

/// How long a challenge may be verified (`mfa.challenge_expiry_duration`).
const CHALLENGE_EXPIRY_SECS: f64 = 300.0;
/// How long an unverified, never challenged factor lives (`mfa.factor_expiry_duration`).
const FACTOR_EXPIRY_SECS: f64 = 300.0;
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
    // `EnrollFactor`, then `enrollPhoneFactor` / `enrollTOTPFactor` and `validateFactors`
    // (internal/api/mfa.go). WebAuthn enrollment is off, as in the CLI's default config.
    let phone = match p.factor_type.as_str() {
        "totp" => None,
        "phone" if p.phone.is_empty() => {
            return Err(ApiError::validation(
                "Phone number required to enroll Phone factor",
            ));
        }
        "phone" => Some(users::validate_phone(&p.phone)?),
        "webauthn" => {
            return Err(ApiError::unprocessable(
                "mfa_webauthn_enroll_not_enabled",
                "MFA enroll is disabled for WebAuthn",
            ));
        }
        _ => {
            return Err(ApiError::validation(
                "factor_type needs to be totp, phone, or webauthn",
            ));
        }
    };
    in_tx!(&state, |tx| {
        let user = users::find_by_id(tx, &who.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))?;
        if phone.is_some() {
            // The same phone, verified, is refused and, unverified, replaced.
            let verified_same_phone = tx
                .query_opt(
                    "select 1 from auth.mfa_factors where user_id = $1::text::uuid \
                       and factor_type = 'phone' and status = 'verified' and phone = $2",
                    &[&who.user_id, &phone],
                )
                .await?
                .is_some();
            if verified_same_phone {
                return Err(ApiError::unprocessable(
                    "mfa_verified_factor_exists",
                    "A verified phone factor already exists, unenroll the existing factor to continue",
                ));
            }
            tx.execute(
                "delete from auth.mfa_factors where user_id = $1::text::uuid \
                   and factor_type = 'phone' and status = 'unverified' and phone = $2",
                &[&who.user_id, &phone],
            )
            .await?;
        }
        // `validateFactors`: expired enrollments (anyone's) go first (`DeleteExpiredFactors`),
        // then the name (an empty one too: Go compares the strings), the limits, the AAL.
        tx.execute(
            "delete from auth.mfa_factors f where f.status <> 'verified' \
               and not exists (select 1 from auth.mfa_challenges c where c.factor_id = f.id) \
               and f.created_at + make_interval(secs => $1) < now()",
            &[&FACTOR_EXPIRY_SECS],
        )
        .await?;
        let counts = tx
            .query_one(
                "select count(*), count(*) filter (where status = 'verified'), \
                        coalesce(bool_or(coalesce(friendly_name, '') = $2), false) \
                 from auth.mfa_factors where user_id = $1::text::uuid",
                &[&who.user_id, &p.friendly_name],
            )
            .await?;
        let (all, verified, name_taken): (i64, i64, bool) =
            (counts.get(0), counts.get(1), counts.get(2));
        if name_taken {
            return Err(ApiError::unprocessable(
                "mfa_factor_name_conflict",
                format!(
                    "A factor with the friendly name {:?} for this user already exists",
                    p.friendly_name
                ),
            ));
        }
        if all >= MAX_ENROLLED_FACTORS || verified >= MAX_VERIFIED_FACTORS {
            return Err(ApiError::unprocessable(
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
            // No `totp` (a nil pointer, `omitempty`), and the phone as it was sent.
            return Ok(json!({
                "id": id, "type": "phone", "friendly_name": p.friendly_name, "phone": p.phone,
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
    // `loadFactor` (internal/api/admin.go).
    if !users::is_uuid(factor_id) {
        return Err(ApiError::not_found(
            "validation_failed",
            "factor_id must be an UUID",
        ));
    }
    let not_found = || ApiError::not_found("mfa_factor_not_found", "Factor not found");
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
    in_tx!(&state, |tx| {
        // The factor first (`loadFactor`); only a phone challenge reads the body.
        let (factor_type, _, _, phone) = own_factor(tx, &who.user_id, &factor_id).await?;
        let mut code_hash: Option<String> = None;
        if factor_type == "phone" {
            let p: ChallengeParams = parse_body(&body)?;
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
    let Some(session_id) = who.session_id.clone() else {
        return Err(ApiError::forbidden(
            "session_not_found",
            "Session from session_id claim in JWT does not exist",
        ));
    };
    in_tx!(&state, |tx| {
        // `loadFactor`, then `VerifyFactor`'s body, then `validateChallenge`.
        let (factor_type, _, secret, phone) = own_factor(tx, &who.user_id, &factor_id).await?;
        let p: VerifyParams = parse_body(&body)?;
        // `challenge_id` is a `uuid.UUID` in GoTrue's parameters: a malformed one fails the
        // body's decoding.
        let id = &p.challenge_id;
        if !id.is_empty() && !users::is_uuid(id) {
            let why = if id.len() == 36 {
                format!("uuid: incorrect UUID format in string {id:?}")
            } else {
                format!("uuid: incorrect UUID length {} in string {id:?}", id.len())
            };
            return Err(ApiError::bad_request(
                "bad_json",
                format!("Could not parse request body as JSON: {why}"),
            ));
        }
        if p.code.is_empty() {
            return Err(ApiError::validation("Code needs to be non-empty"));
        }
        // Past the check above, a non-empty id is a UUID.
        let row = if !p.challenge_id.is_empty() {
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
            return Err(ApiError::unprocessable(
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
                "Challenge and verify IP addresses mismatch.",
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
