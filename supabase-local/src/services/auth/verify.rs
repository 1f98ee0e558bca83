//! `/verify`: a one-time code (POST) or the link in an email (GET) confirms a signup, a sign-in,
//! a recovery, an invite or an email/phone change (supabase/auth `internal/api/verify.go`).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use deadpool_postgres::Transaction;
use serde::Deserialize;
use serde_json::{Value, json};

use super::change::{apply_email_change, apply_phone_change};
use super::error::{ApiError, ApiResult};
use super::otp::{PKCE_PREFIX, enc};
use super::redirect::Referrer;
use super::users;
use super::{Auth, St, parse_body, sessions, token_hash};
use crate::services::Secret;

#[derive(Default, Deserialize)]
#[serde(default)]
struct VerifyParams {
    #[serde(rename = "type")]
    kind: String,
    token: String,
    token_hash: String,
    email: String,
    phone: String,
    redirect_to: String,
}

/// What a successful verification leads to.
enum Verified {
    /// A new session (the token response) for the user.
    Session { user_id: String, session: Value },
    /// The first of two email-change confirmations.
    FirstEmailChangeConfirmation,
}

/// The columns a verification type's token may be in (`verify.go` `verifyTokenHash`,
/// `verifyUserAndToken`).
fn token_columns(kind: &str) -> &'static [&'static str] {
    match kind {
        "signup" | "invite" => &["confirmation_token"],
        "recovery" | "magiclink" => &["recovery_token"],
        "email" | "sms" => &["confirmation_token", "recovery_token"],
        "email_change" => &["email_change_token_new", "email_change_token_current"],
        "phone_change" => &["phone_change_token"],
        _ => &[],
    }
}

/// What a verification looks for: a token hash (a link's, or `token_hash`), or a one-time code
/// hashed with the address it was sent to.
enum Lookup {
    Hash(String),
    Otp { hash: String, address: String },
}

/// `VerifyParams.Validate` (`verify.go`), before any lookup: a type; a token or a token hash,
/// not both; a code with exactly one of email and phone (which one is the request's, not the
/// type's); a token hash alone.
fn validate(p: &VerifyParams) -> ApiResult<Lookup> {
    if p.kind.is_empty() {
        return Err(ApiError::validation("Verify requires a verification type"));
    }
    if p.token.is_empty() == p.token_hash.is_empty() {
        return Err(ApiError::validation(
            "Verify requires either a token or a token hash",
        ));
    }
    if p.token.is_empty() {
        if !(p.email.is_empty() && p.phone.is_empty() && p.redirect_to.is_empty()) {
            return Err(ApiError::validation(
                "Only the token_hash and type should be provided",
            ));
        }
        return Ok(Lookup::Hash(p.token_hash.clone()));
    }
    let address = match (p.email.is_empty(), p.phone.is_empty()) {
        (true, false) => users::validate_phone(&p.phone)?,
        (false, true) => users::validate_email(&p.email)
            .map_err(|_| ApiError::unprocessable("validation_failed", "Invalid email format"))?,
        _ => {
            return Err(ApiError::validation(
                "Only an email address or phone number should be provided on verify",
            ));
        }
    };
    Ok(Lookup::Otp {
        hash: token_hash(&address, &p.token),
        address,
    })
}

/// Finds the user whose `kind` token matches, checks expiry, and applies the verification.
async fn verify(
    state: &Auth,
    tx: &Transaction<'_>,
    kind: &str,
    lookup: Lookup,
    issue: bool,
) -> ApiResult<Verified> {
    let is_phone = matches!(kind, "sms" | "phone_change");
    let columns = token_columns(kind);
    let (hash, address) = match lookup {
        // `verifyTokenHash`: the email types only, and its own wording for a miss.
        Lookup::Hash(hash) => {
            if is_phone || columns.is_empty() {
                return Err(ApiError::validation("Invalid email verification type"));
            }
            (hash, None)
        }
        Lookup::Otp { hash, address } => (hash, Some(address)),
    };
    let miss = || {
        if address.is_some() {
            ApiError::otp_expired()
        } else {
            ApiError::forbidden("otp_expired", "Email link is invalid or has expired")
        }
    };
    let expiry = if is_phone {
        state.config.sms_otp_expiry
    } else {
        state.config.email_otp_expiry
    };
    // Which column matched, for which user, and whether it is still fresh.
    let mut found: Option<(String, &str, bool)> = None;
    for col in columns {
        let sent = match *col {
            "confirmation_token" => "confirmation_sent_at",
            "recovery_token" => "recovery_sent_at",
            "phone_change_token" => "phone_change_sent_at",
            _ => "email_change_sent_at",
        };
        let mut sql = format!(
            "select id::text, coalesce({sent} + make_interval(secs => $2) > now(), false) \
             from auth.users where {col} = $1 and {col} <> ''"
        );
        if address.is_some() {
            sql.push_str(if is_phone {
                if kind == "phone_change" {
                    " and phone_change = $3"
                } else {
                    " and phone = $3"
                }
            } else if kind == "email_change" {
                " and (lower(email) = $3 or lower(email_change) = $3)"
            } else {
                " and lower(email) = $3"
            });
        } else {
            sql.push_str(" and $3::text is null");
        }
        let row = tx
            .query_opt(&sql, &[&Secret(&hash), &expiry.as_secs_f64(), &address])
            .await?;
        if let Some(row) = row {
            found = Some((row.get(0), col, row.get(1)));
            break;
        }
    }
    let Some((user_id, column, fresh)) = found else {
        return Err(miss());
    };
    if users::find_by_id(tx, &user_id)
        .await?
        .is_some_and(|u| u.banned)
    {
        return Err(ApiError::forbidden("user_banned", "User is banned"));
    }
    if !fresh {
        return Err(miss());
    }
    match column {
        "confirmation_token" => {
            if is_phone {
                users::confirm_phone(tx, &user_id).await?;
            } else {
                users::confirm_email(tx, &user_id).await?;
            }
        }
        "recovery_token" => {
            tx.execute(
                "update auth.users set recovery_token = '', updated_at = now() where id = $1::text::uuid",
                &[&user_id],
            )
            .await?;
            if is_phone {
                users::confirm_phone(tx, &user_id).await?;
            } else {
                users::confirm_email(tx, &user_id).await?;
            }
        }
        "phone_change_token" => apply_phone_change(tx, &user_id).await?,
        _ => {
            // Email change: with secure email change and a current address, both links are needed.
            let status: i32 = tx
                .query_one(
                    "select coalesce(email_change_confirm_status, 0)::int4 from auth.users where id = $1::text::uuid",
                    &[&user_id],
                )
                .await?
                .get(0);
            let needs_both = tx
                .query_one(
                    "select email_change_token_new <> '' and email_change_token_current <> '' \
                     from auth.users where id = $1::text::uuid",
                    &[&user_id],
                )
                .await?
                .get::<_, bool>(0);
            // `emailChangeVerify`: only when the project confirms emails; under autoconfirm
            // one link completes the change.
            let autoconfirm = !state.config.email_confirmations;
            if !autoconfirm && state.config.secure_email_change && status == 0 && needs_both {
                let sql = format!(
                    "update auth.users set {column} = '', email_change_confirm_status = 1 \
                     where id = $1::text::uuid"
                );
                tx.execute(&sql, &[&user_id]).await?;
                return Ok(Verified::FirstEmailChangeConfirmation);
            }
            apply_email_change(tx, &user_id).await?;
        }
    }
    let session = if issue {
        // `issueRefreshToken(.., models.OTP, ..)` in both `verifyPost` and `verifyGet`'s
        // implicit flow (`internal/api/verify.go`): the session's `amr` is `otp` whatever the
        // link's type. (A PKCE code carries the type's method through its flow state.)
        sessions::sign_in(state, tx, &user_id, "otp").await?
    } else {
        Value::Null
    };
    Ok(Verified::Session { user_id, session })
}

/// `POST /verify`: the session for an OTP or a token hash.
pub(super) async fn verify_post(State(state): St, body: Bytes) -> ApiResult<Json<Value>> {
    let p: VerifyParams = parse_body(&body)?;
    let lookup = validate(&p)?;
    match in_tx!(&state, |tx| verify(&state, tx, &p.kind, lookup, true).await)? {
        Verified::Session { session, .. } => Ok(Json(session)),
        Verified::FirstEmailChangeConfirmation => Ok(Json(json!({
            "msg": "Confirmation link accepted. Please proceed to confirm link sent to the other email",
            "code": 200
        }))),
    }
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

/// `GET /verify?token=..&type=..&redirect_to=..`: the link in an email. Redirects to `redirect_to`
/// with the session in the fragment (implicit flow), `?code=` (PKCE flow), or the error in the
/// fragment.
pub(super) async fn verify_get(
    State(state): St,
    Referrer(redirect): Referrer,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let token = query.get("token").cloned().unwrap_or_default();
    let kind = query.get("type").cloned().unwrap_or_default();
    let (pkce, hash) = match token.strip_prefix(PKCE_PREFIX) {
        Some(h) => (true, h.to_owned()),
        None => (false, token.clone()),
    };
    let result = in_tx!(&state, |tx| {
        let verified = verify(&state, tx, &kind, Lookup::Hash(hash.clone()), !pkce).await?;
        match verified {
            Verified::FirstEmailChangeConfirmation => Ok(None),
            // No session here: the client exchanges the code for one (`grant_type=pkce`).
            // `issueAuthCode`: the user's newest flow state of this link's method.
            Verified::Session { user_id, .. } if pkce => {
                let row = tx
                    .query_opt(
                        "update auth.flow_state set auth_code_issued_at = now(), updated_at = now() \
                         where id = (select id from auth.flow_state where user_id = $1::text::uuid \
                                       and authentication_method = $2 \
                                     order by created_at desc limit 1) returning auth_code",
                        &[&user_id, &authentication_method(&kind)],
                    )
                    .await?;
                let code: String = row
                    .ok_or_else(|| {
                        ApiError::not_found(
                            "flow_state_not_found",
                            "invalid flow state, no valid flow state found",
                        )
                    })?
                    .get(0);
                Ok(Some(Err(code)))
            }
            Verified::Session { session, .. } => Ok(Some(Ok(session))),
        }
    });
    let sep = |base: &str, c: char| if base.contains(c) { '&' } else { c };
    match result {
        Ok(Some(Ok(session))) => {
            let fragment = format!(
                "access_token={}&expires_at={}&expires_in={}&refresh_token={}&token_type=bearer&type={}",
                enc(session["access_token"].as_str().unwrap_or_default()),
                session["expires_at"],
                session["expires_in"],
                enc(session["refresh_token"].as_str().unwrap_or_default()),
                enc(&kind)
            );
            see_other(&format!("{redirect}#{fragment}"))
        }
        Ok(Some(Err(code))) => see_other(&format!(
            "{redirect}{}code={}",
            sep(&redirect, '?'),
            enc(&code)
        )),
        Ok(None) => {
            let msg = "Confirmation link accepted. Please proceed to confirm link sent to the other email";
            see_other(&redirect_with(
                &redirect,
                &[("message", msg.to_owned())],
                pkce,
            ))
        }
        Err(e) => {
            // `oauthErrorMap`: the OAuth error for the statuses that have one.
            let error = match e.status().as_u16() {
                400 => Some("invalid_request"),
                401 => Some("unauthorized_client"),
                403 => Some("access_denied"),
                500 => Some("server_error"),
                503 => Some("temporarily_unavailable"),
                _ => None,
            };
            let mut values = vec![
                ("error_code", e.error_code().to_owned()),
                ("error_description", e.message()),
            ];
            values.extend(error.map(|error| ("error", error.to_owned())));
            see_other(&redirect_with(&redirect, &values, pkce))
        }
    }
}

/// `models.ParseAuthenticationMethod` for a link's verification type: the flow state a PKCE
/// link's code comes from.
fn authentication_method(kind: &str) -> &str {
    match kind {
        "signup" => "email/signup",
        other => other,
    }
}

/// `prepErrorRedirectURL` / `prepRedirectURL` (GoTrue `internal/api/verify.go`): `values` go
/// in the fragment (in place of any), with an empty `sb` marking a Supabase Auth redirect,
/// and for a PKCE link in the query too, over what `redirect_to`'s query had. Keys sorted, as
/// Go's `url.Values.Encode` writes them.
fn redirect_with(redirect: &str, values: &[(&str, String)], pkce: bool) -> String {
    let base = redirect.split_once('#').map_or(redirect, |(base, _)| base);
    let (path, query) = base.split_once('?').unwrap_or((base, ""));
    let encode = |mut pairs: Vec<(String, String)>| {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    let given = || values.iter().map(|(k, v)| ((*k).to_owned(), v.clone()));
    let mut url = path.to_owned();
    let query = if pkce {
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .filter(|(k, _)| !values.iter().any(|(key, _)| key == k))
            .collect();
        pairs.extend(given());
        encode(pairs)
    } else {
        query.to_owned()
    };
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    url.push('#');
    url.push_str(&encode(
        given().chain([("sb".to_owned(), String::new())]).collect(),
    ));
    url
}
