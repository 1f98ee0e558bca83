//! `/health`, `/settings`, `/.well-known/jwks.json`, `/signup`, `/token`, `/user`, `/logout`
//! (supabase/auth `internal/api/`: `settings.go`, `api.go`, `jwks.go`, `signup.go`,
//! `anonymous.go`, `token.go`, `pkce.go`, `user.go`, `logout.go`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::change;
use super::error::{ApiError, ApiResult};
use super::otp::{self, EmailPurpose};
use super::redirect::Referrer;
use super::users::{self, NewUser};
use super::{Auth, St, parse_body, require_user, sessions};
use crate::services::Secret;

/// `GET /health` (`HealthCheck` in `api.go`).
pub(super) async fn health() -> Json<Value> {
    Json(json!({
        "version": "v2.170.0-supabase-local",
        "name": "GoTrue",
        "description": "GoTrue is a user registration and authentication API"
    }))
}

/// `GET /settings` (`settings.go`): email, phone, (when on) anonymous users, and the configured
/// OAuth providers and Keycloak are enabled.
pub(super) async fn settings(State(state): St) -> Json<Value> {
    let c = &state.config;
    let mut external = serde_json::Map::new();
    external.insert("anonymous_users".into(), json!(c.anonymous_sign_ins));
    for p in [
        "apple",
        "azure",
        "bitbucket",
        "discord",
        "facebook",
        "figma",
        "fly",
        "github",
        "gitlab",
        "google",
        "keycloak",
        "kakao",
        "linkedin",
        "linkedin_oidc",
        "notion",
        "spotify",
        "slack",
        "slack_oidc",
        "workos",
        "twitch",
        "twitter",
        "zoom",
    ] {
        let enabled = c.oauth_providers.iter().any(|o| o.provider == p)
            || (p == "keycloak" && c.keycloak.is_some());
        external.insert(p.into(), json!(enabled));
    }
    external.insert("email".into(), json!(true));
    external.insert("phone".into(), json!(true));
    Json(json!({
        "external": external,
        "disable_signup": !c.signup_enabled,
        "mailer_autoconfirm": !c.email_confirmations,
        "phone_autoconfirm": !c.phone_confirmations,
        "sms_provider": "twilio",
        "saml_enabled": false,
    }))
}

/// `GET /.well-known/jwks.json` (`jwks.go`): the public half of the signing key (RS256/ES256);
/// never the HMAC secret, so a project signing with HS256 publishes `{"keys": []}`.
pub(super) async fn jwks(State(state): St) -> Json<Value> {
    Json(state.env.jwt_secret.jwks())
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct SignupParams {
    email: String,
    phone: String,
    password: String,
    data: Option<Value>,
    channel: String,
    code_challenge: String,
    code_challenge_method: String,
}

/// `"sms"` or `"whatsapp"` (default `sms`); anything else is GoTrue's `InvalidChannelError`.
pub(super) fn check_channel(channel: &str) -> ApiResult<&'static str> {
    match channel {
        "" | "sms" => Ok("sms"),
        "whatsapp" => Ok("whatsapp"),
        _ => Err(ApiError::validation(
            "Invalid channel, supported values are 'sms' or 'whatsapp'",
        )),
    }
}

/// `POST /signup`.
pub(super) async fn signup(
    State(state): St,
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Response> {
    let p: SignupParams = parse_body(&body)?;
    let c = &state.config;
    let signup_disabled =
        || ApiError::unprocessable("signup_disabled", "Signups not allowed for this instance");
    // `api.go`'s `/signup` route sends a body without email and phone to
    // `SignupAnonymously` when anonymous sign-ins are on, before either checks `DisableSignup`.
    if p.email.is_empty() && p.phone.is_empty() {
        if !c.anonymous_sign_ins {
            return Err(ApiError::unprocessable(
                "anonymous_provider_disabled",
                "Anonymous sign-ins are disabled",
            ));
        }
        if !c.signup_enabled {
            return Err(signup_disabled());
        }
        let session = in_tx!(&state, |tx| {
            let id = users::create(
                tx,
                NewUser {
                    provider: "anonymous",
                    user_metadata: p.data.clone(),
                    ..NewUser::default()
                },
            )
            .await?;
            sessions::sign_in(&state, tx, &id, "anonymous").await
        })?;
        return Ok(Json(session).into_response());
    }
    if !c.signup_enabled {
        return Err(signup_disabled());
    }
    // `validateSignupParams`, in its order and with its statuses.
    users::check_signup_password(&p.password, c.minimum_password_length)?;
    if !p.email.is_empty() && !p.phone.is_empty() {
        return Err(ApiError::bad_request(
            "validation_failed",
            "Only an email address or phone number should be provided on signup.",
        ));
    }
    let pkce = otp::pkce_params(&p.code_challenge, &p.code_challenge_method)?;
    if !p.email.is_empty() {
        let email = users::validate_email(&p.email)?;
        signup_email(&state, &email, &p, pkce, &redirect).await
    } else {
        let channel = check_channel(&p.channel)?;
        if pkce.is_some() {
            return Err(ApiError::validation("PKCE not supported for phone signups"));
        }
        let phone = users::validate_phone(&p.phone)?;
        signup_phone(&state, &phone, &p, channel).await
    }
}

async fn signup_email(
    state: &Arc<Auth>,
    email: &str,
    p: &SignupParams,
    pkce: Option<(String, String)>,
    redirect: &str,
) -> ApiResult<Response> {
    in_tx!(state, |tx| {
        let existing = match users::find_by_email(tx, email).await? {
            Some(u) if u.email_confirmed => {
                if !state.config.email_confirmations {
                    return Err(ApiError::unprocessable(
                        "user_already_exists",
                        "User already registered",
                    ));
                }
                // `sanitizeUser`: answer as for a new user, revealing nothing.
                return Ok(
                    Json(obfuscated_user(tx, email, "", "email", p.data.as_ref()).await?)
                        .into_response(),
                );
            }
            existing => existing.map(|u| u.id),
        };
        let new_user = NewUser {
            email: Some(email),
            password: Some(&p.password),
            provider: "email",
            user_metadata: p.data.clone(),
            data_in_identity: true,
            ..NewUser::default()
        };
        let confirmation = Confirmation::Email {
            redirect,
            pkce: pkce.as_ref(),
        };
        match sign_up(state, tx, existing, new_user, confirmation).await? {
            Signup::SignedIn(session) => Ok(Json(session).into_response()),
            Signup::Confirming(id) => {
                Ok(Json(users::must_user_json(tx, &id).await?).into_response())
            }
        }
    })
}

/// What `Signup` did for an address that was not yet confirmed.
pub(super) enum Signup {
    /// Confirmations are off: the user is confirmed and signed in (the session).
    SignedIn(Value),
    /// The confirmation email or SMS went out (the user's id).
    Confirming(String),
}

/// How `Signup` confirms an address: by email (with its redirect and any PKCE challenge) or by
/// an SMS / WhatsApp code.
pub(super) enum Confirmation<'a> {
    Email {
        redirect: &'a str,
        pkce: Option<&'a (String, String)>,
    },
    Sms {
        channel: &'a str,
    },
}

/// `Signup` for an address that is new or not yet confirmed: `existing` (the unconfirmed user,
/// whom GoTrue leaves as they are: "we can't be sure of their claimed identity") or `new_user`,
/// created. Then either confirmed and signed in (autoconfirm for that kind of address) or sent
/// the confirmation. `/otp` and `/magiclink` come here too (`magic_link.go`, `otp.go`
/// `SmsOtp`).
pub(super) async fn sign_up(
    state: &Auth,
    tx: &deadpool_postgres::Transaction<'_>,
    existing: Option<String>,
    new_user: NewUser<'_>,
    confirmation: Confirmation<'_>,
) -> ApiResult<Signup> {
    let (email, phone) = (new_user.email, new_user.phone);
    let id = match existing {
        Some(id) => id,
        None => users::create(tx, new_user).await?,
    };
    let autoconfirm = match confirmation {
        Confirmation::Email { .. } => !state.config.email_confirmations,
        Confirmation::Sms { .. } => !state.config.phone_confirmations,
    };
    if autoconfirm {
        match confirmation {
            Confirmation::Email { .. } => users::confirm_email(tx, &id).await?,
            Confirmation::Sms { .. } => users::confirm_phone(tx, &id).await?,
        }
        let session = sessions::sign_in(state, tx, &id, "password").await?;
        return Ok(Signup::SignedIn(session));
    }
    match confirmation {
        Confirmation::Email { redirect, pkce } => {
            let to = email.unwrap_or_default();
            otp::send_email(state, tx, &id, to, EmailPurpose::Signup, redirect, pkce).await?;
        }
        // `sendPhoneConfirmation(.., phoneConfirmationOtp, ..)`: the code lives in
        // `confirmation_token`.
        Confirmation::Sms { channel } => {
            let to = phone.unwrap_or_default();
            otp::send_sms(state, tx, &id, to, otp::SmsPurpose::Confirmation, channel).await?;
        }
    }
    Ok(Signup::Confirming(id))
}

async fn signup_phone(
    state: &Arc<Auth>,
    phone: &str,
    p: &SignupParams,
    channel: &str,
) -> ApiResult<Response> {
    in_tx!(state, |tx| {
        let existing = match users::find_by_phone(tx, phone).await? {
            Some(u) if u.phone_confirmed => {
                if !state.config.phone_confirmations {
                    return Err(ApiError::unprocessable(
                        "user_already_exists",
                        "User already registered",
                    ));
                }
                return Ok(
                    Json(obfuscated_user(tx, "", phone, "phone", p.data.as_ref()).await?)
                        .into_response(),
                );
            }
            existing => existing.map(|u| u.id),
        };
        let new_user = NewUser {
            phone: Some(phone),
            password: Some(&p.password),
            provider: "phone",
            user_metadata: p.data.clone(),
            data_in_identity: true,
            ..NewUser::default()
        };
        match sign_up(state, tx, existing, new_user, Confirmation::Sms { channel }).await? {
            Signup::SignedIn(session) => Ok(Json(session).into_response()),
            Signup::Confirming(id) => {
                Ok(Json(users::must_user_json(tx, &id).await?).into_response())
            }
        }
    })
}

/// GoTrue's `sanitizeUser`: a made-up unconfirmed user, for a repeated signup when confirmations
/// are on (so signups do not reveal which addresses are registered).
async fn obfuscated_user(
    tx: &deadpool_postgres::Transaction<'_>,
    email: &str,
    phone: &str,
    provider: &str,
    data: Option<&Value>,
) -> ApiResult<Value> {
    let row = tx
        .query_one(
            "select gen_random_uuid()::text, \
               to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
            &[],
        )
        .await?;
    let (id, now): (String, String) = (row.get(0), row.get(1));
    Ok(json!({
        "id": id, "aud": "authenticated", "role": "", "email": email, "phone": phone,
        "confirmation_sent_at": now,
        "app_metadata": {"provider": provider, "providers": [provider]},
        "user_metadata": data.cloned().unwrap_or_else(|| json!({})),
        "identities": [], "created_at": now, "updated_at": now, "is_anonymous": false,
    }))
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PasswordGrant {
    email: String,
    phone: String,
    password: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct RefreshGrant {
    refresh_token: String,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct PkceGrant {
    auth_code: String,
    code_verifier: String,
}

/// `POST /token?grant_type=...` (`token.go`).
pub(super) async fn token(
    State(state): St,
    headers: HeaderMap,
    Referrer(referrer): Referrer,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let grant = query.get("grant_type").map_or("", String::as_str);
    match grant {
        "password" => password_grant(&state, parse_body(&body)?).await.map(Json),
        "refresh_token" => {
            let p: RefreshGrant = parse_body(&body)?;
            if p.refresh_token.is_empty() {
                return Err(ApiError::oauth("invalid_request", "refresh_token required"));
            }
            in_tx!(&state, |tx| sessions::refresh(&state, tx, &p.refresh_token)
                .await)
            .map(Json)
        }
        "pkce" => pkce_grant(&state, parse_body(&body)?).await.map(Json),
        "id_token" => super::id_token::grant(&state, parse_body(&body)?, &headers, &referrer)
            .await
            .map(Json),
        _ => Err(ApiError::bad_request(
            "invalid_credentials",
            "unsupported_grant_type",
        )),
    }
}

async fn password_grant(state: &Arc<Auth>, p: PasswordGrant) -> ApiResult<Value> {
    const INVALID: &str = "Invalid login credentials";
    if !p.email.is_empty() && !p.phone.is_empty() {
        return Err(ApiError::bad_request(
            "validation_failed",
            "Only an email address or phone number should be provided on login.",
        ));
    }
    in_tx!(state, |tx| {
        let user = if !p.email.is_empty() {
            users::find_by_email(tx, &p.email.trim().to_lowercase()).await?
        } else if !p.phone.is_empty() {
            match users::validate_phone(&p.phone) {
                Ok(phone) => users::find_by_phone(tx, &phone).await?,
                Err(_) => None,
            }
        } else {
            return Err(ApiError::bad_request(
                "validation_failed",
                "missing email or phone",
            ));
        };
        let Some(user) = user else {
            return Err(ApiError::bad_request("invalid_credentials", INVALID));
        };
        if user.banned {
            return Err(ApiError::bad_request("user_banned", "User is banned"));
        }
        if !users::password_matches(tx, &user.id, &p.password).await? {
            return Err(ApiError::bad_request("invalid_credentials", INVALID));
        }
        if !p.email.is_empty() && !user.email_confirmed {
            return Err(ApiError::bad_request(
                "email_not_confirmed",
                "Email not confirmed",
            ));
        }
        if !p.phone.is_empty() && !user.phone_confirmed {
            return Err(ApiError::bad_request(
                "phone_not_confirmed",
                "Phone not confirmed",
            ));
        }
        let mut session = sessions::sign_in(state, tx, &user.id, "password").await?;
        // A right password that the current rules call weak (they changed since it was set):
        // the sign-in succeeds with a warning (`token.go`: `token.WeakPassword`).
        let min_len = state.config.minimum_password_length;
        if let Err(ApiError::WeakPassword { msg, reasons }) =
            users::check_password(&p.password, min_len)
        {
            session["weak_password"] = json!({"message": msg, "reasons": reasons});
        }
        Ok(session)
    })
}

/// `grant_type=pkce` (`pkce.go`, `token.go` `PKCE`): exchanges an auth code and its verifier.
async fn pkce_grant(state: &Arc<Auth>, p: PkceGrant) -> ApiResult<Value> {
    if p.auth_code.is_empty() || p.code_verifier.is_empty() {
        return Err(ApiError::bad_request(
            "validation_failed",
            "invalid request: both auth code and code verifier should be non-empty",
        ));
    }
    in_tx!(state, |tx| {
        let row = tx
            .query_opt(
                "select id::text, user_id::text, code_challenge_method::text, code_challenge, \
                   authentication_method, \
                   case when auth_code_issued_at is not null and authentication_method = 'magiclink' \
                        then auth_code_issued_at else created_at end + interval '5 minutes' < now(), \
                   coalesce(provider_access_token, ''), coalesce(provider_refresh_token, '') \
                 from auth.flow_state where auth_code = $1 for update",
                &[&Secret(&p.auth_code)],
            )
            .await?;
        let Some(row) = row else {
            return Err(ApiError::not_found(
                "flow_state_not_found",
                "invalid flow state, no valid flow state found",
            ));
        };
        let (flow_id, user_id, method, challenge, amr, expired): (
            String,
            Option<String>,
            String,
            String,
            String,
            bool,
        ) = (
            row.get(0),
            row.get(1),
            row.get(2),
            row.get(3),
            row.get(4),
            row.get(5),
        );
        if expired {
            return Err(ApiError::unprocessable(
                "flow_state_expired",
                "invalid flow state, flow state has expired",
            ));
        }
        if !otp::pkce_matches(&method, &challenge, &p.code_verifier) {
            return Err(ApiError::bad_request(
                "bad_code_verifier",
                "code challenge does not match previously saved code verifier",
            ));
        }
        let Some(user_id) = user_id else {
            return Err(ApiError::not_found(
                "flow_state_not_found",
                "invalid flow state, no valid flow state found",
            ));
        };
        tx.execute(
            "delete from auth.flow_state where id = $1::text::uuid",
            &[&flow_id],
        )
        .await?;
        let mut session = sessions::sign_in(state, tx, &user_id, &amr).await?;
        // `PKCE` in `token.go`: the provider's tokens of an OAuth flow come with the session
        // (`provider_token`, `provider_refresh_token`, left out when empty).
        let (provider_token, provider_refresh_token): (String, String) = (row.get(6), row.get(7));
        if !provider_token.is_empty() {
            session["provider_token"] = json!(provider_token);
        }
        if !provider_refresh_token.is_empty() {
            session["provider_refresh_token"] = json!(provider_refresh_token);
        }
        Ok(session)
    })
}

/// `GET /user`.
pub(super) async fn get_user(State(state): St, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    in_tx!(&state, |tx| users::must_user_json(tx, &who.user_id).await).map(Json)
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct UserUpdate {
    email: Option<String>,
    phone: Option<String>,
    password: Option<String>,
    nonce: Option<String>,
    data: Option<Value>,
    app_metadata: Option<Value>,
    channel: String,
    code_challenge: String,
    code_challenge_method: String,
}

/// `PUT /user` (`user.go` `UserUpdate`).
pub(super) async fn put_user(
    State(state): St,
    headers: HeaderMap,
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    let p: UserUpdate = parse_body(&body)?;
    let c = &state.config;
    // `UserUpdate` (internal/api/user.go) checks in this order: the parameters
    // (`validateUserUpdateParams`: email, phone and channel, password strength), then
    // `app_metadata` (admins only), then the AAL, an anonymous user's password, the email and
    // phone already taken, and only then the password's reauthentication before its sameness.
    let (email, phone) = users::validated_contact(p.email.as_deref(), p.phone.as_deref())?;
    let channel = check_channel(&p.channel)?;
    if let Some(password) = p.password.as_deref() {
        users::check_password(password, c.minimum_password_length)?;
    }
    let pkce = otp::pkce_params(&p.code_challenge, &p.code_challenge_method)?;
    in_tx!(&state, |tx| {
        let id = who.user_id.as_str();
        let user = users::find_by_id(tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))?;
        if p.app_metadata.is_some() {
            // `isAdmin` (internal/api/helpers.go): the user's audience is the configured one
            // and their own role is `JWT.AdminGroupName`, `admin` by default.
            let row = tx
                .query_one(
                    "select role = 'admin' and aud = 'authenticated' from auth.users \
                     where id = $1::text::uuid",
                    &[&id],
                )
                .await?;
            if !row.get::<_, Option<bool>>(0).unwrap_or(false) {
                return Err(ApiError::forbidden(
                    "not_admin",
                    "Updating app_metadata requires admin privileges",
                ));
            }
        }
        // With a verified factor, credentials change from an `aal2` session only.
        let changes = |new: Option<&str>, old: &str| new.is_some_and(|n| n != old);
        if (p.password.as_deref().is_some_and(|pw| !pw.is_empty())
            || changes(email.as_deref(), &user.email)
            || changes(phone.as_deref(), &user.phone))
            && users::has_verified_factor(tx, id).await?
            && super::mfa::session_aal(tx, &who).await? != "aal2"
        {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "insufficient_aal",
                "AAL2 session is required to update email or password when MFA is enabled.",
            ));
        }
        if user.is_anonymous
            && p.password.as_deref().is_some_and(|pw| !pw.is_empty())
            && p.email.as_deref().is_none_or(str::is_empty)
            && p.phone.as_deref().is_none_or(str::is_empty)
        {
            return Err(ApiError::unprocessable(
                "validation_failed",
                "Updating password of an anonymous user without an email or phone is not allowed",
            ));
        }
        let email = email.filter(|e| *e != user.email);
        if let Some(email) = &email
            && users::find_by_email(tx, email)
                .await?
                .is_some_and(|other| other.id != id)
        {
            return Err(ApiError::unprocessable(
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
        let phone = phone.filter(|p| *p != user.phone);
        if let Some(phone) = &phone
            && users::find_by_phone(tx, phone)
                .await?
                .is_some_and(|other| other.id != id)
        {
            return Err(ApiError::unprocessable(
                "phone_exists",
                "A user with this phone number has already been registered",
            ));
        }
        if let Some(password) = p.password.as_deref() {
            if c.secure_password_change {
                // `UserUpdate` (`internal/api/user.go`): no nonce is needed when the current
                // session was created (signed in, not refreshed) within the last 24 hours.
                let recent = match &who.session_id {
                    Some(sid) => tx
                        .query_one(
                            "select created_at > now() - interval '24 hours' \
                             from auth.sessions where id = $1::text::uuid",
                            &[sid],
                        )
                        .await?
                        .get::<_, bool>(0),
                    None => false,
                };
                if !recent {
                    match p.nonce.as_deref().filter(|n| !n.is_empty()) {
                        None => {
                            return Err(ApiError::bad_request(
                                "reauthentication_needed",
                                "Password update requires reauthentication",
                            ));
                        }
                        Some(nonce) => {
                            change::check_reauthentication(&state, tx, &user, nonce).await?;
                        }
                    }
                }
            }
            if users::password_matches(tx, id, password).await? {
                return Err(ApiError::unprocessable(
                    "same_password",
                    "New password should be different from the old password.",
                ));
            }
            users::set_password(tx, id, password, who.session_id.as_deref()).await?;
        }
        if let Some(data) = &p.data {
            users::merge_user_metadata(tx, id, data).await?;
        }
        if let Some(app) = &p.app_metadata {
            users::merge_app_metadata(tx, id, app).await?;
        }
        if let Some(email) = &email {
            change::change_email(&state, tx, &user, email, &redirect, pkce.as_ref()).await?;
        }
        if let Some(phone) = &phone {
            change::change_phone(&state, tx, &user, phone, channel).await?;
        }
        users::must_user_json(tx, id).await
    })
    .map(Json)
}

/// `POST /logout?scope=global|local|others` (`logout.go`): 204.
pub(super) async fn logout(
    State(state): St,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let scope = query.get("scope").map_or("global", String::as_str);
    let scope = match scope {
        "" | "global" => "global",
        "local" => "local",
        "others" => "others",
        other => {
            return Err(ApiError::validation(format!(
                "Unsupported logout scope {other:?}"
            )));
        }
    };
    let who = require_user(&state, &headers).await?;
    in_tx!(&state, |tx| {
        sessions::logout(tx, &who.user_id, who.session_id.as_deref(), scope).await
    })?;
    Ok(StatusCode::NO_CONTENT)
}
