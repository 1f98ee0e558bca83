//! One-time codes and links: `/otp`, `/magiclink`, `/verify` (GET link and POST), `/recover`,
//! `/resend`, `/reauthenticate`, and the email/SMS they send (supabase/auth `internal/api/`:
//! `otp.go`, `magic_link.go`, `verify.go`, `recover.go`, `resend.go`, `reauthenticate.go`,
//! `mail.go`, `phone.go`; `internal/crypto/crypto.go` for the token hashes).
//!
//! Each message carries a 6-digit OTP; the user row keeps `sha224(email_or_phone + otp)` in the
//! column GoTrue uses for the purpose, and links carry that hash (`token=<hash>`, prefixed with
//! `pkce_` in the PKCE flow).

use std::collections::HashMap;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use deadpool_postgres::Transaction;
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::check_channel;
use super::error::{ApiError, ApiResult};
use super::mailbox::{Message, MessageKind};
use super::users::{self, NewUser, UserRow};
use super::{Auth, St, generate_otp, parse_body, require_user, sessions, token_hash};

const OTP_LENGTH: usize = 6;
const PKCE_PREFIX: &str = "pkce_";

/// What an email is for, and where GoTrue keeps its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EmailPurpose {
    Signup,
    Invite,
    MagicLink,
    Recovery,
    EmailChangeNew,
    EmailChangeCurrent,
    Reauthentication,
}

impl EmailPurpose {
    /// (token column, sent-at column, `one_time_tokens.token_type`).
    fn columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Signup | Self::Invite => (
                "confirmation_token",
                "confirmation_sent_at",
                "confirmation_token",
            ),
            Self::MagicLink | Self::Recovery => {
                ("recovery_token", "recovery_sent_at", "recovery_token")
            }
            Self::EmailChangeNew => (
                "email_change_token_new",
                "email_change_sent_at",
                "email_change_token_new",
            ),
            Self::EmailChangeCurrent => (
                "email_change_token_current",
                "email_change_sent_at",
                "email_change_token_current",
            ),
            Self::Reauthentication => (
                "reauthentication_token",
                "reauthentication_sent_at",
                "reauthentication_token",
            ),
        }
    }

    /// The verification type in the link, when the email has one.
    pub(super) fn verification_type(self) -> Option<&'static str> {
        match self {
            Self::Signup => Some("signup"),
            Self::Invite => Some("invite"),
            Self::MagicLink => Some("magiclink"),
            Self::Recovery => Some("recovery"),
            Self::EmailChangeNew | Self::EmailChangeCurrent => Some("email_change"),
            Self::Reauthentication => None,
        }
    }

    /// The flow state's `authentication_method` (`models.AuthenticationMethod`).
    fn amr(self) -> &'static str {
        match self {
            Self::Signup => "email/signup",
            Self::Invite => "invite",
            Self::MagicLink => "magiclink",
            Self::Recovery => "recovery",
            Self::EmailChangeNew | Self::EmailChangeCurrent => "email_change",
            Self::Reauthentication => "otp",
        }
    }

    fn kind_and_subject(self) -> (MessageKind, &'static str) {
        // The subjects of GoTrue's default templates (`internal/mailer/template.go`).
        match self {
            Self::Signup => (MessageKind::Confirmation, "Confirm Your Email"),
            Self::Invite => (MessageKind::Invite, "You have been invited"),
            Self::MagicLink => (MessageKind::MagicLink, "Your Magic Link"),
            Self::Recovery => (MessageKind::Recovery, "Reset Your Password"),
            Self::EmailChangeNew => (MessageKind::EmailChangeNew, "Confirm Email Change"),
            Self::EmailChangeCurrent => (MessageKind::EmailChangeCurrent, "Confirm Email Change"),
            Self::Reauthentication => (MessageKind::Reauthentication, "Confirm reauthentication"),
        }
    }
}

/// A token that was "sent": the OTP, its hash and the link.
#[derive(Debug, Clone)]
pub(super) struct Sent {
    pub(super) otp: String,
    pub(super) hash: String,
    pub(super) link: Option<String>,
}

/// Validates `code_challenge` / `code_challenge_method` (`validatePKCEParams`); `Some` in the PKCE flow.
pub(super) fn pkce_params(challenge: &str, method: &str) -> ApiResult<Option<(String, String)>> {
    match (challenge.is_empty(), method.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => {
            let method = method.to_lowercase();
            if method != "s256" && method != "plain" {
                return Err(ApiError::validation(format!(
                    "code challenge method not supported: {method}"
                )));
            }
            if !(43..=128).contains(&challenge.len()) {
                return Err(ApiError::validation(
                    "code challenge has to be between 43 and 128 characters",
                ));
            }
            Ok(Some((challenge.to_owned(), method)))
        }
        _ => Err(ApiError::validation(
            "PKCE flow requires code_challenge_method and code_challenge",
        )),
    }
}

/// Whether `verifier` answers the stored challenge (RFC 7636).
pub(super) fn pkce_matches(method: &str, challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    match method {
        "s256" => {
            let digest = Sha256::digest(verifier.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest) == challenge
        }
        "plain" => verifier == challenge,
        _ => false,
    }
}

/// `utilities.GetReferrer`: the request's `redirect_to` when it is allowed (same host as the site
/// URL, or listed), else the site URL.
pub(super) fn redirect_to(state: &Auth, requested: Option<&String>) -> String {
    let site = &state.config.site_url;
    let Some(req) = requested.filter(|r| !r.is_empty()) else {
        return site.clone();
    };
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    let allowed = host(req).is_some() && host(req) == host(site)
        || state
            .config
            .additional_redirect_urls
            .iter()
            .any(|a| req.starts_with(a.trim_end_matches('*')));
    if allowed { req.clone() } else { site.clone() }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Creates a PKCE flow state for `user_id`; returns its auth code.
async fn create_flow_state(
    tx: &Transaction<'_>,
    user_id: &str,
    (challenge, method): &(String, String),
    amr: &str,
) -> ApiResult<()> {
    tx.execute(
        "insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, \
           provider_type, created_at, updated_at, authentication_method) \
         values (gen_random_uuid(), $1::text::uuid, gen_random_uuid()::text, $2::text::auth.code_challenge_method, \
           $3, 'email', now(), now(), $4)",
        &[&user_id, method, challenge, &amr],
    )
    .await?;
    Ok(())
}

/// Stores a fresh token for `purpose` and builds its link, without sending anything
/// (`/admin/generate_link` uses this directly).
pub(super) async fn issue_email_token(
    state: &Auth,
    tx: &Transaction<'_>,
    user_id: &str,
    to: &str,
    purpose: EmailPurpose,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<Sent> {
    let otp = generate_otp(OTP_LENGTH);
    let hash = token_hash(to, &otp);
    let (token_col, sent_col, ott_type) = purpose.columns();
    let mut sql =
        format!("update auth.users set {token_col} = $2, {sent_col} = now(), updated_at = now()");
    if purpose == EmailPurpose::Invite {
        sql.push_str(", invited_at = coalesce(invited_at, now())");
    }
    sql.push_str(" where id = $1::text::uuid");
    tx.execute(&sql, &[&user_id, &hash]).await?;
    tx.execute(
        "insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to) \
         values (gen_random_uuid(), $1::text::uuid, $2::text::auth.one_time_token_type, $3, $4) \
         on conflict (user_id, token_type) do update \
           set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()",
        &[&user_id, &ott_type, &hash, &to],
    )
    .await?;
    if let Some(p) = pkce {
        create_flow_state(tx, user_id, p, purpose.amr()).await?;
    }
    let link = purpose.verification_type().map(|ty| {
        let token = if pkce.is_some() {
            format!("{PKCE_PREFIX}{hash}")
        } else {
            hash.clone()
        };
        format!(
            "{}/verify?token={}&type={ty}&redirect_to={}",
            state.base_url,
            enc(&token),
            enc(redirect)
        )
    });
    Ok(Sent { otp, hash, link })
}

/// "Sends" an email: stores the token hash for `purpose` and records the message.
pub(super) async fn send_email(
    state: &Auth,
    tx: &Transaction<'_>,
    user_id: &str,
    to: &str,
    purpose: EmailPurpose,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<Sent> {
    let sent = issue_email_token(state, tx, user_id, to, purpose, redirect, pkce).await?;
    let (kind, subject) = purpose.kind_and_subject();
    state.mailbox.record(Message {
        to: to.to_lowercase(),
        kind,
        channel: "email".into(),
        subject: subject.into(),
        otp: sent.otp.clone(),
        token_hash: sent.link.as_ref().map(|_| sent.hash.clone()),
        link: sent.link.clone(),
        sent_at: SystemTime::now(),
    });
    Ok(sent)
}

/// What an SMS is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SmsPurpose {
    /// Confirming the phone of a new user (`confirmation_token`).
    Confirmation,
    /// Signing in a confirmed user (`recovery_token`).
    SignIn,
    /// Confirming a new phone number (`phone_change_token`).
    PhoneChange,
    /// The reauthentication nonce of a phone-only user.
    Reauthentication,
}

/// "Sends" an SMS or WhatsApp code (`sendPhoneConfirmation`); returns the message id.
pub(super) async fn send_sms(
    state: &Auth,
    tx: &Transaction<'_>,
    user_id: &str,
    phone: &str,
    purpose: SmsPurpose,
    channel: &str,
) -> ApiResult<String> {
    let otp = generate_otp(OTP_LENGTH);
    let hash = token_hash(phone, &otp);
    let (token_col, sent_col, ott_type, kind) = match purpose {
        SmsPurpose::Confirmation => (
            "confirmation_token",
            "confirmation_sent_at",
            "confirmation_token",
            MessageKind::PhoneOtp,
        ),
        SmsPurpose::SignIn => (
            "recovery_token",
            "recovery_sent_at",
            "recovery_token",
            MessageKind::PhoneOtp,
        ),
        SmsPurpose::PhoneChange => (
            "phone_change_token",
            "phone_change_sent_at",
            "phone_change_token",
            MessageKind::PhoneChange,
        ),
        SmsPurpose::Reauthentication => (
            "reauthentication_token",
            "reauthentication_sent_at",
            "reauthentication_token",
            MessageKind::Reauthentication,
        ),
    };
    let sql = format!(
        "update auth.users set {token_col} = $2, {sent_col} = now(), updated_at = now() \
         where id = $1::text::uuid"
    );
    tx.execute(&sql, &[&user_id, &hash]).await?;
    tx.execute(
        "insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to) \
         values (gen_random_uuid(), $1::text::uuid, $2::text::auth.one_time_token_type, $3, $4) \
         on conflict (user_id, token_type) do update \
           set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()",
        &[&user_id, &ott_type, &hash, &phone],
    )
    .await?;
    state.mailbox.record(Message {
        to: phone.to_owned(),
        kind,
        channel: channel.to_owned(),
        subject: String::new(),
        otp,
        token_hash: None,
        link: None,
        sent_at: SystemTime::now(),
    });
    let row = tx.query_one("select gen_random_uuid()::text", &[]).await?;
    Ok(row.get(0))
}

/// Starts an email change (`sendEmailChange`, or at once when confirmations are off).
pub(super) async fn change_email(
    state: &Auth,
    tx: &Transaction<'_>,
    user: &UserRow,
    new_email: &str,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<()> {
    if !state.config.email_confirmations {
        tx.execute(
            "update auth.users set email_change = $2 where id = $1::text::uuid",
            &[&user.id, &new_email],
        )
        .await?;
        return apply_email_change(tx, &user.id).await;
    }
    tx.execute(
        "update auth.users set email_change = $2, email_change_confirm_status = 0, \
           email_change_token_current = '', email_change_token_new = '' where id = $1::text::uuid",
        &[&user.id, &new_email],
    )
    .await?;
    send_email(
        state,
        tx,
        &user.id,
        new_email,
        EmailPurpose::EmailChangeNew,
        redirect,
        pkce,
    )
    .await?;
    if state.config.secure_email_change && !user.email.is_empty() {
        send_email(
            state,
            tx,
            &user.id,
            &user.email,
            EmailPurpose::EmailChangeCurrent,
            redirect,
            None,
        )
        .await?;
    }
    Ok(())
}

/// `ConfirmEmailChange`: the new address becomes the email, confirmed; the email identity follows.
async fn apply_email_change(tx: &Transaction<'_>, user_id: &str) -> ApiResult<()> {
    tx.execute(
        "update auth.users set email = email_change, email_confirmed_at = now(), email_change = '', \
           email_change_token_current = '', email_change_token_new = '', email_change_confirm_status = 0, \
           is_anonymous = false, updated_at = now() where id = $1::text::uuid",
        &[&user_id],
    )
    .await?;
    confirm_contact_identity(tx, user_id, Contact::Email).await
}

/// Starts a phone change (or applies it at once when phone confirmations are off).
pub(super) async fn change_phone(
    state: &Auth,
    tx: &Transaction<'_>,
    user: &UserRow,
    new_phone: &str,
    channel: &str,
) -> ApiResult<()> {
    tx.execute(
        "update auth.users set phone_change = $2 where id = $1::text::uuid",
        &[&user.id, &new_phone],
    )
    .await?;
    if !state.config.phone_confirmations {
        return apply_phone_change(tx, &user.id).await;
    }
    send_sms(
        state,
        tx,
        &user.id,
        new_phone,
        SmsPurpose::PhoneChange,
        channel,
    )
    .await?;
    Ok(())
}

async fn apply_phone_change(tx: &Transaction<'_>, user_id: &str) -> ApiResult<()> {
    tx.execute(
        "update auth.users set phone = phone_change, phone_confirmed_at = now(), phone_change = '', \
           phone_change_token = '', is_anonymous = false, updated_at = now() where id = $1::text::uuid",
        &[&user_id],
    )
    .await?;
    confirm_contact_identity(tx, user_id, Contact::Phone).await
}

/// The user's email or phone, whose identity a confirmed change updates.
#[derive(Clone, Copy)]
enum Contact {
    Email,
    Phone,
}

/// Creates or updates the user's `email`/`phone` identity from the (just confirmed) address
/// in `auth.users`, marking it verified, and lists the provider in the user's app metadata.
async fn confirm_contact_identity(
    tx: &Transaction<'_>,
    user_id: &str,
    contact: Contact,
) -> ApiResult<()> {
    let (provider, email_verified, phone_verified) = match contact {
        Contact::Email => ("email", true, false),
        Contact::Phone => ("phone", false, true),
    };
    // `provider` is one of two literals, also the name of the `auth.users` column it copies.
    let sql = format!(
        "insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at) \
         select u.id::text, u.id, jsonb_build_object('sub', u.id::text, '{provider}', u.{provider}, \
                'email_verified', {email_verified}, 'phone_verified', {phone_verified}), '{provider}', now(), now(), now() \
         from auth.users u where u.id = $1::text::uuid \
         on conflict (provider_id, provider) do update \
           set identity_data = auth.identities.identity_data || jsonb_build_object('{provider}', excluded.identity_data->>'{provider}', '{provider}_verified', true), \
               updated_at = now()"
    );
    tx.execute(&sql, &[&user_id]).await?;
    users::add_provider(tx, user_id, provider).await
}

/// `verifyReauthentication` (`internal/api/reauthenticate.go`): the nonce must match the last
/// reauthentication code sent to the email (else the phone), within that channel's OTP expiry.
pub(super) async fn check_reauthentication(
    state: &Auth,
    tx: &Transaction<'_>,
    user: &UserRow,
    nonce: &str,
) -> ApiResult<()> {
    let (to, expiry) = if user.email.is_empty() {
        (&user.phone, state.config.sms_otp_expiry)
    } else {
        (&user.email, state.config.email_otp_expiry)
    };
    let row = tx
        .query_one(
            "select coalesce(reauthentication_token, '') = $2 and reauthentication_token <> '' \
               and reauthentication_sent_at + make_interval(secs => $3) > now() \
             from auth.users where id = $1::text::uuid",
            &[&user.id, &token_hash(to, nonce), &expiry.as_secs_f64()],
        )
        .await?;
    if !row.get::<_, bool>(0) {
        return Err(ApiError::unprocessable(
            "reauthentication_not_valid",
            "Nonce has expired or is invalid",
        ));
    }
    tx.execute(
        "update auth.users set reauthentication_token = '', reauthentication_sent_at = null \
         where id = $1::text::uuid",
        &[&user.id],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct OtpParams {
    email: String,
    phone: String,
    channel: String,
    data: Option<Value>,
    create_user: Option<bool>,
    code_challenge: String,
    code_challenge_method: String,
}

/// `POST /otp` (`otp.go`): a magic link / email code, or an SMS / WhatsApp code.
pub(super) async fn otp(
    State(state): St,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: OtpParams = parse_body(&body)?;
    if !p.email.is_empty() && !p.phone.is_empty() {
        return Err(ApiError::validation(
            "Only an email address or phone number should be provided",
        ));
    }
    let create = p.create_user.unwrap_or(true);
    let redirect = redirect_to(&state, query.get("redirect_to"));
    let pkce = pkce_params(&p.code_challenge, &p.code_challenge_method)?;
    if !p.email.is_empty() {
        let email = users::validate_email(&p.email)?;
        magic_link(
            &state,
            &email,
            p.data.clone(),
            create,
            &redirect,
            pkce.as_ref(),
        )
        .await?;
        return Ok(Json(json!({})));
    }
    if !p.phone.is_empty() {
        let channel = check_channel(&p.channel)?;
        let phone = users::validate_phone(&p.phone)?;
        let message_id = in_tx!(&state, |tx| {
            let user = match users::find_by_phone(tx, &phone).await? {
                Some(u) => u,
                None => {
                    check_may_create(&state, create)?;
                    let id = users::create(
                        tx,
                        NewUser {
                            phone: Some(&phone),
                            provider: "phone",
                            user_metadata: p.data.clone(),
                            ..NewUser::default()
                        },
                    )
                    .await?;
                    users::find_by_id(tx, &id)
                        .await?
                        .ok_or_else(|| ApiError::internal("user vanished"))?
                }
            };
            let purpose = if user.phone_confirmed {
                SmsPurpose::SignIn
            } else {
                SmsPurpose::Confirmation
            };
            send_sms(&state, tx, &user.id, &phone, purpose, channel).await
        })?;
        return Ok(Json(json!({"message_id": message_id})));
    }
    Err(ApiError::validation("One of email or phone must be set"))
}

fn check_may_create(state: &Auth, create: bool) -> ApiResult<()> {
    if !create {
        return Err(ApiError::unprocessable(
            "otp_disabled",
            "Signups not allowed for otp",
        ));
    }
    if !state.config.signup_enabled {
        return Err(ApiError::unprocessable(
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    Ok(())
}

/// The email half of `/otp` and `/magiclink` (`magic_link.go`): a new or unconfirmed user is signed
/// up (confirmed at once when confirmations are off) and gets the confirmation email when it still
/// needs one; a confirmed user gets a magic link.
async fn magic_link(
    state: &Auth,
    email: &str,
    data: Option<Value>,
    create: bool,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<()> {
    in_tx!(state, |tx| {
        let user = match users::find_by_email(tx, email).await? {
            Some(u) => u,
            None => {
                check_may_create(state, create)?;
                let id = users::create(
                    tx,
                    NewUser {
                        email: Some(email),
                        provider: "email",
                        user_metadata: data,
                        email_confirmed: !state.config.email_confirmations,
                        ..NewUser::default()
                    },
                )
                .await?;
                users::find_by_id(tx, &id)
                    .await?
                    .ok_or_else(|| ApiError::internal("user vanished"))?
            }
        };
        let purpose = if user.email_confirmed {
            EmailPurpose::MagicLink
        } else {
            EmailPurpose::Signup
        };
        send_email(state, tx, &user.id, email, purpose, redirect, pkce).await?;
        Ok(())
    })
}

/// `POST /magiclink` (deprecated; the email half of `/otp`).
pub(super) async fn magiclink(
    State(state): St,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: OtpParams = parse_body(&body)?;
    let email = users::validate_email(&p.email)?;
    let redirect = redirect_to(&state, query.get("redirect_to"));
    let pkce = pkce_params(&p.code_challenge, &p.code_challenge_method)?;
    magic_link(&state, &email, p.data, true, &redirect, pkce.as_ref()).await?;
    Ok(Json(json!({})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecoverParams {
    email: String,
    code_challenge: String,
    code_challenge_method: String,
}

/// `POST /recover` (`recover.go`): always `{}`, whether or not the address is registered.
pub(super) async fn recover(
    State(state): St,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: RecoverParams = parse_body(&body)?;
    let email = users::validate_email(&p.email)?;
    let pkce = pkce_params(&p.code_challenge, &p.code_challenge_method)?;
    let redirect = redirect_to(&state, query.get("redirect_to"));
    in_tx!(&state, |tx| {
        if let Some(user) = users::find_by_email(tx, &email).await? {
            send_email(
                &state,
                tx,
                &user.id,
                &email,
                EmailPurpose::Recovery,
                &redirect,
                pkce.as_ref(),
            )
            .await?;
        }
        Ok(())
    })?;
    Ok(Json(json!({})))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ResendParams {
    #[serde(rename = "type")]
    kind: String,
    email: String,
    phone: String,
}

/// `POST /resend` (`resend.go`): `signup`, `email_change`, `sms`, `phone_change`.
pub(super) async fn resend(
    State(state): St,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: ResendParams = parse_body(&body)?;
    let email_type = match p.kind.as_str() {
        "signup" | "email_change" => true,
        "sms" | "phone_change" => false,
        _ => {
            return Err(ApiError::validation(
                "Missing one of these types: signup, email_change, sms, phone_change",
            ));
        }
    };
    if email_type && p.email.is_empty() {
        return Err(ApiError::validation(
            "Type provided requires an email address",
        ));
    }
    if !email_type && p.phone.is_empty() {
        return Err(ApiError::validation(
            "Type provided requires a phone number",
        ));
    }
    let redirect = redirect_to(&state, query.get("redirect_to"));
    let out = in_tx!(&state, |tx| {
        match p.kind.as_str() {
            "signup" => {
                let email = users::validate_email(&p.email)?;
                if let Some(u) = users::find_by_email(tx, &email).await?
                    && !u.email_confirmed
                {
                    send_email(
                        &state,
                        tx,
                        &u.id,
                        &email,
                        EmailPurpose::Signup,
                        &redirect,
                        None,
                    )
                    .await?;
                }
                Ok(json!({}))
            }
            "email_change" => {
                let email = users::validate_email(&p.email)?;
                let row = tx
                    .query_opt(
                        "select id::text from auth.users where lower(email) = $1 and email_change <> ''",
                        &[&email],
                    )
                    .await?;
                if let Some(row) = row {
                    let id: String = row.get(0);
                    if let Some(u) = users::find_by_id(tx, &id).await? {
                        let new: String = tx
                            .query_one(
                                "select email_change from auth.users where id = $1::text::uuid",
                                &[&id],
                            )
                            .await?
                            .get(0);
                        change_email(&state, tx, &u, &new, &redirect, None).await?;
                    }
                }
                Ok(json!({}))
            }
            "sms" => {
                let phone = users::validate_phone(&p.phone)?;
                let mut out = json!({});
                if let Some(u) = users::find_by_phone(tx, &phone).await?
                    && !u.phone_confirmed
                {
                    let id = send_sms(&state, tx, &u.id, &phone, SmsPurpose::Confirmation, "sms")
                        .await?;
                    out = json!({"message_id": id});
                }
                Ok(out)
            }
            _ => {
                // As `Resend` does: the user is found by their current phone
                // (`FindUserByPhoneAndAudience`) and the code goes to the pending new one.
                let phone = users::validate_phone(&p.phone)?;
                let row = tx
                    .query_opt(
                        "select id::text, phone_change from auth.users \
                         where phone = $1 and coalesce(phone_change, '') <> ''",
                        &[&phone],
                    )
                    .await?;
                let mut out = json!({});
                if let Some(row) = row {
                    let (id, new_phone): (String, String) = (row.get(0), row.get(1));
                    let mid = send_sms(&state, tx, &id, &new_phone, SmsPurpose::PhoneChange, "sms")
                        .await?;
                    out = json!({"message_id": mid});
                }
                Ok(out)
            }
        }
    })?;
    Ok(Json(out))
}

/// `GET /reauthenticate` (`reauthenticate.go`): sends a nonce to the user's email, else phone.
pub(super) async fn reauthenticate(State(state): St, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    in_tx!(&state, |tx| {
        let user = users::find_by_id(tx, &who.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))?;
        if !user.email.is_empty() {
            send_email(
                &state,
                tx,
                &user.id,
                &user.email,
                EmailPurpose::Reauthentication,
                "",
                None,
            )
            .await?;
        } else if !user.phone.is_empty() {
            send_sms(
                &state,
                tx,
                &user.id,
                &user.phone,
                SmsPurpose::Reauthentication,
                "sms",
            )
            .await?;
        } else {
            return Err(ApiError::unprocessable(
                "validation_failed",
                "Reauthentication requires the user to have an email or a phone number",
            ));
        }
        Ok(())
    })?;
    Ok(Json(json!({})))
}

#[derive(Debug, Default, Deserialize)]
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

/// Finds the user whose `kind` token matches, checks expiry, and applies the verification.
async fn verify(
    state: &Auth,
    tx: &Transaction<'_>,
    p: &VerifyParams,
    hash_override: Option<&str>,
    issue: bool,
) -> ApiResult<Verified> {
    let kind = p.kind.as_str();
    let columns = token_columns(kind);
    if columns.is_empty() {
        return Err(ApiError::validation(format!(
            "Verify requires a verification type {kind:?} to be one of signup, invite, recovery, magiclink, email_change, sms, phone_change, email"
        )));
    }
    let is_phone = matches!(kind, "sms" | "phone_change");
    // The hash to look for, and (for OTPs) which address it was computed from.
    let (hash, address) = if let Some(h) = hash_override {
        (h.to_owned(), None)
    } else if !p.token_hash.is_empty() {
        (p.token_hash.clone(), None)
    } else if !p.token.is_empty() {
        let address = if is_phone {
            if p.phone.is_empty() {
                return Err(ApiError::validation(
                    "Only an email address or phone number should be provided on verify",
                ));
            }
            users::validate_phone(&p.phone)?
        } else {
            if p.email.is_empty() {
                return Err(ApiError::validation(
                    "Only an email address or phone number should be provided on verify",
                ));
            }
            users::validate_email(&p.email)?
        };
        (token_hash(&address, &p.token), Some(address))
    } else {
        return Err(ApiError::validation(
            "Verify requires either a token or a token hash",
        ));
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
        if let Some(addr) = &address {
            let _ = addr;
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
            .query_opt(&sql, &[&hash, &expiry.as_secs_f64(), &address])
            .await?;
        if let Some(row) = row {
            found = Some((row.get(0), col, row.get(1)));
            break;
        }
    }
    let Some((user_id, column, fresh)) = found else {
        return Err(ApiError::otp_expired());
    };
    if !fresh {
        return Err(ApiError::otp_expired());
    }
    let method = match kind {
        "signup" | "invite" | "email" | "sms" => "otp",
        "magiclink" => "magiclink",
        "recovery" => "recovery",
        "email_change" => "email_change",
        _ => "otp",
    };
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
            if state.config.secure_email_change && status == 0 && needs_both {
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
    if users::find_by_id(tx, &user_id)
        .await?
        .is_some_and(|u| u.banned)
    {
        return Err(ApiError::forbidden("user_banned", "User is banned"));
    }
    let session = if issue {
        sessions::sign_in(state, tx, &user_id, method).await?
    } else {
        Value::Null
    };
    Ok(Verified::Session { user_id, session })
}

/// `POST /verify`: the session for an OTP or a token hash.
pub(super) async fn verify_post(State(state): St, body: Bytes) -> ApiResult<Json<Value>> {
    let p: VerifyParams = parse_body(&body)?;
    match in_tx!(&state, |tx| verify(&state, tx, &p, None, true).await)? {
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
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let redirect = redirect_to(&state, query.get("redirect_to"));
    let token = query.get("token").cloned().unwrap_or_default();
    let kind = query.get("type").cloned().unwrap_or_default();
    let (pkce, hash) = match token.strip_prefix(PKCE_PREFIX) {
        Some(h) => (true, h.to_owned()),
        None => (false, token.clone()),
    };
    let params = VerifyParams {
        kind: kind.clone(),
        ..VerifyParams::default()
    };
    let result = in_tx!(&state, |tx| {
        let verified = verify(&state, tx, &params, Some(&hash), !pkce).await?;
        match verified {
            Verified::FirstEmailChangeConfirmation => Ok(None),
            // No session here: the client exchanges the code for one (`grant_type=pkce`).
            Verified::Session { user_id, .. } if pkce => {
                let row = tx
                    .query_opt(
                        "update auth.flow_state set auth_code_issued_at = now(), updated_at = now() \
                         where id = (select id from auth.flow_state where user_id = $1::text::uuid \
                                     order by created_at desc limit 1) returning auth_code",
                        &[&user_id],
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
            see_other(&format!("{redirect}#message={}", enc(msg)))
        }
        Err(e) => {
            let (code, description) = match e.error_code() {
                "otp_expired" => (
                    "otp_expired",
                    "Email link is invalid or has expired".to_owned(),
                ),
                other => (other, format!("{}", e.status())),
            };
            see_other(&format!(
                "{redirect}#error=access_denied&error_code={code}&error_description={}",
                enc(&description)
            ))
        }
    }
}
