//! One-time codes and links: `/otp`, `/magiclink`, `/recover`, `/resend`, `/reauthenticate`,
//! and the email/SMS they send (supabase/auth `internal/api/`: `otp.go`, `magic_link.go`,
//! `recover.go`, `resend.go`, `reauthenticate.go`, `mail.go`, `phone.go`;
//! `internal/crypto/crypto.go` for the token hashes). `/verify` checks them (`verify.rs`);
//! email and phone changes are in `change.rs`.
//!
//! Each message carries a 6-digit OTP; the user row keeps `sha224(email_or_phone + otp)` in the
//! column GoTrue uses for the purpose, and links carry that hash (`token=<hash>`, prefixed with
//! `pkce_` in the PKCE flow).

use std::borrow::Cow;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use deadpool_postgres::Transaction;
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::{self, check_channel};
use super::change::change_email;
use super::error::{ApiError, ApiResult};
use super::mailbox::{Message, MessageKind};
use super::redirect::Referrer;
use super::users::{self, NewUser};
use super::{Auth, St, generate_otp, parse_body, require_user, token_hash};
use crate::services::Secret;

const OTP_LENGTH: usize = 6;
pub(super) const PKCE_PREFIX: &str = "pkce_";

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
/// No `Debug`: it holds the code and the link's token.
#[derive(Clone)]
pub(super) struct Sent {
    pub(super) otp: String,
    pub(super) hash: String,
    pub(super) link: Option<String>,
}

/// Validates `code_challenge` / `code_challenge_method` (`validatePKCEParams`); `Some` in the
/// PKCE flow, the method lower-cased. The method itself is not checked here, as GoTrue checks it
/// only where a flow state is made ([`code_challenge_method`]).
pub(super) fn pkce_params(challenge: &str, method: &str) -> ApiResult<Option<(String, String)>> {
    match (challenge.is_empty(), method.is_empty()) {
        (true, true) => Ok(None),
        (false, false) => {
            let method = method.to_lowercase();
            if !(43..=128).contains(&challenge.len()) {
                return Err(ApiError::validation(
                    "code challenge has to be between 43 and 128 characters",
                ));
            }
            // RFC 7636 §4.2's unreserved characters (`pkce.go` `codeChallengePattern`).
            if !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            {
                return Err(ApiError::validation(
                    "code challenge can only contain alphanumeric characters, hyphens, periods, underscores and tildes",
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

pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `models.ParseCodeChallengeMethod`: `s256` or `plain` (lower-cased). Anything else fails where
/// a flow state is made: for an email in the PKCE flow as a plain Go error, which GoTrue
/// answers with a 500 (so not under autoconfirm, nor for an unknown address at `/recover`);
/// `/authorize` and identity linking check it first and answer 400 (`external.rs`).
pub(super) fn code_challenge_method(method: &str) -> ApiResult<&str> {
    match method {
        "s256" | "plain" => Ok(method),
        _ => Err(ApiError::internal(
            "Unexpected failure, please check server logs for more information",
        )),
    }
}

/// Creates a PKCE flow state for `user_id`; returns its auth code.
async fn create_flow_state(
    tx: &Transaction<'_>,
    user_id: &str,
    (challenge, method): &(String, String),
    amr: &str,
) -> ApiResult<()> {
    let method = code_challenge_method(method)?;
    tx.execute(
        "insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, \
           provider_type, created_at, updated_at, authentication_method) \
         values (gen_random_uuid(), $1::text::uuid, gen_random_uuid()::text, $2::text::auth.code_challenge_method, \
           $3, 'email', now(), now(), $4)",
        &[&user_id, &method, challenge, &amr],
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
    let invited = if purpose == EmailPurpose::Invite {
        ", invited_at = coalesce(invited_at, now())"
    } else {
        ""
    };
    store_token(tx, user_id, purpose.columns(), &hash, to, invited).await?;
    if let Some(p) = pkce {
        create_flow_state(tx, user_id, p, purpose.amr()).await?;
    }
    let link = purpose.verification_type().map(|ty| {
        let token = if pkce.is_some() {
            format!("{PKCE_PREFIX}{hash}")
        } else {
            hash.clone()
        };
        // `templatemailer` `encodeRedirectURL`: the redirect is escaped only when it holds
        // `&`, `=` or `#` (taken as not yet encoded); otherwise it goes in as it is.
        let redirect = if redirect.contains(['&', '=', '#']) {
            Cow::Owned(enc(redirect))
        } else {
            Cow::Borrowed(redirect)
        };
        format!(
            "{}/verify?token={}&type={ty}&redirect_to={redirect}",
            state.base_url,
            enc(&token),
        )
    });
    Ok(Sent { otp, hash, link })
}

/// Stores a one-time token's `hash` for `user_id`: in its `auth.users` column (`token_col`, with
/// `sent_col` set to now, plus any `extra_set` assignments) and in `auth.one_time_tokens` as
/// `ott_type`, relating to the address it went to, as GoTrue's `CreateOneTimeToken` does.
async fn store_token(
    tx: &Transaction<'_>,
    user_id: &str,
    (token_col, sent_col, ott_type): (&str, &str, &str),
    hash: &str,
    relates_to: &str,
    extra_set: &str,
) -> ApiResult<()> {
    let sql = format!(
        "update auth.users set {token_col} = $2, {sent_col} = now(), updated_at = now(){extra_set} \
         where id = $1::text::uuid"
    );
    tx.execute(&sql, &[&user_id, &Secret(hash)]).await?;
    tx.execute(
        "insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to) \
         values (gen_random_uuid(), $1::text::uuid, $2::text::auth.one_time_token_type, $3, $4) \
         on conflict (user_id, token_type) do update \
           set token_hash = excluded.token_hash, relates_to = excluded.relates_to, updated_at = now()",
        &[&user_id, &ott_type, &Secret(hash), &relates_to],
    )
    .await?;
    Ok(())
}

/// GoTrue's per-user send limit (`mail.go` `validateSentWithinFrequencyLimit`,
/// `phone.go` `sendPhoneConfirmation`): another message whose token lives in `sent_col` goes
/// out only `frequency` after the last one, else 429 with `code` and the whole seconds left
/// (`generateFrequencyLimitErrorMessage`, truncated, so it may say 0). The user's row is locked,
/// so concurrent requests cannot both pass.
async fn check_frequency(
    tx: &Transaction<'_>,
    user_id: &str,
    sent_col: &str,
    frequency: std::time::Duration,
    code: &'static str,
) -> ApiResult<()> {
    let sql = format!(
        "select extract(epoch from {sent_col} + $2::float8 * interval '1 second' - clock_timestamp())::float8 \
         from auth.users where id = $1::text::uuid for update"
    );
    let left: Option<f64> = tx
        .query_opt(&sql, &[&user_id, &frequency.as_secs_f64()])
        .await?
        .and_then(|row| row.get(0));
    match left {
        Some(left) if left > 0.0 => Err(ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            code,
            format!(
                "For security purposes, you can only request this after {} seconds.",
                left.trunc()
            ),
        )),
        _ => Ok(()),
    }
}

/// "Sends" an email: stores the token hash for `purpose` and records the message.
///
/// Within `email_max_frequency` of the last email of the same kind to this user, nothing is
/// sent (429), except invitations, which GoTrue does not limit (`sendInvite`). The current
/// address's email-change message is checked with the new address's, which goes first and
/// sets the same `email_change_sent_at`.
pub(super) async fn send_email(
    state: &Auth,
    tx: &Transaction<'_>,
    user_id: &str,
    to: &str,
    purpose: EmailPurpose,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<Sent> {
    if !matches!(
        purpose,
        EmailPurpose::Invite | EmailPurpose::EmailChangeCurrent
    ) {
        let frequency = state.config.email_max_frequency;
        let sent_col = purpose.columns().1;
        check_frequency(
            tx,
            user_id,
            sent_col,
            frequency,
            "over_email_send_rate_limit",
        )
        .await?;
    }
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
    /// A phone sign-in or confirmation code (`confirmation_token`, `phoneConfirmationOtp`).
    Confirmation,
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
    let (columns, kind) = match purpose {
        SmsPurpose::Confirmation => (
            (
                "confirmation_token",
                "confirmation_sent_at",
                "confirmation_token",
            ),
            MessageKind::PhoneOtp,
        ),
        SmsPurpose::PhoneChange => (
            (
                "phone_change_token",
                "phone_change_sent_at",
                "phone_change_token",
            ),
            MessageKind::PhoneChange,
        ),
        SmsPurpose::Reauthentication => (
            (
                "reauthentication_token",
                "reauthentication_sent_at",
                "reauthentication_token",
            ),
            MessageKind::Reauthentication,
        ),
    };
    let frequency = state.config.sms_max_frequency;
    check_frequency(
        tx,
        user_id,
        columns.1,
        frequency,
        "over_sms_send_rate_limit",
    )
    .await?;
    store_token(tx, user_id, columns, &hash, phone, "").await?;
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
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: OtpParams = parse_body(&body)?;
    if !p.email.is_empty() && !p.phone.is_empty() {
        return Err(ApiError::validation(
            "Only an email address or phone number should be provided",
        ));
    }
    let create = p.create_user.unwrap_or(true);
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
        // `SmsOtp`, as `magic_link`: a number that is new or not yet confirmed goes through
        // `Signup` first, in its own transaction. With confirmations on, that sends the
        // confirmation code and the answer is `{}`; under autoconfirm the user is confirmed and
        // signed in, then gets the code below like any confirmed user.
        let confirmed = in_tx!(&state, |tx| {
            let user = users::find_by_phone(tx, &phone).await?;
            if user.as_ref().is_some_and(|u| u.phone_confirmed) {
                return Ok(true);
            }
            check_may_create(&state, create || user.is_some())?;
            let new_user = NewUser {
                phone: Some(&phone),
                provider: "phone",
                user_metadata: p.data.clone(),
                data_in_identity: true,
                ..NewUser::default()
            };
            let existing = user.map(|u| u.id);
            let confirmation = account::Confirmation::Sms { channel };
            let done = account::sign_up(&state, tx, existing, new_user, confirmation).await?;
            Ok(matches!(done, account::Signup::SignedIn(_)))
        })?;
        if !confirmed {
            return Ok(Json(json!({})));
        }
        let message_id = in_tx!(&state, |tx| {
            let user = users::find_by_phone(tx, &phone)
                .await?
                .ok_or_else(|| ApiError::internal("user vanished"))?;
            // `sendPhoneConfirmation(.., phoneConfirmationOtp, ..)`: the code lives in
            // `confirmation_token`.
            send_sms(
                &state,
                tx,
                &user.id,
                &phone,
                SmsPurpose::Confirmation,
                channel,
            )
            .await
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

/// The email half of `/otp` and `/magiclink` (`magic_link.go`). An address that is new or not
/// yet confirmed first goes through `Signup`, in a transaction of its own that stays committed
/// whatever follows: with confirmations on, the confirmation email is all that is sent; under
/// autoconfirm the user is confirmed and signed in (a session nobody is given, as GoTrue's
/// answer to that inner `Signup` is dropped), then gets the magic link like any confirmed user.
async fn magic_link(
    state: &Auth,
    email: &str,
    data: Option<Value>,
    create: bool,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<()> {
    let confirmed = in_tx!(state, |tx| {
        let user = users::find_by_email(tx, email).await?;
        if user.as_ref().is_some_and(|u| u.email_confirmed) {
            return Ok(true);
        }
        // `shouldCreateUser` only asks about an address nobody has; `Signup` checks
        // `DisableSignup` for an unconfirmed one too.
        check_may_create(state, create || user.is_some())?;
        let new_user = NewUser {
            email: Some(email),
            provider: "email",
            user_metadata: data,
            data_in_identity: true,
            ..NewUser::default()
        };
        let existing = user.map(|u| u.id);
        let confirmation = account::Confirmation::Email { redirect, pkce };
        let done = account::sign_up(state, tx, existing, new_user, confirmation).await?;
        Ok(matches!(done, account::Signup::SignedIn(_)))
    })?;
    if !confirmed {
        return Ok(());
    }
    in_tx!(state, |tx| {
        let user = users::find_by_email(tx, email)
            .await?
            .ok_or_else(|| ApiError::internal("user vanished"))?;
        send_email(
            state,
            tx,
            &user.id,
            email,
            EmailPurpose::MagicLink,
            redirect,
            pkce,
        )
        .await?;
        Ok(())
    })
}

/// `POST /magiclink` (deprecated; the email half of `/otp`).
pub(super) async fn magiclink(
    State(state): St,
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: OtpParams = parse_body(&body)?;
    let email = users::validate_email(&p.email)?;
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
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: RecoverParams = parse_body(&body)?;
    let email = users::validate_email(&p.email)?;
    let pkce = pkce_params(&p.code_challenge, &p.code_challenge_method)?;
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
    Referrer(redirect): Referrer,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let p: ResendParams = parse_body(&body)?;
    // `ResendConfirmationParams.Validate`, in its order.
    if !matches!(
        p.kind.as_str(),
        "signup" | "email_change" | "sms" | "phone_change"
    ) {
        return Err(ApiError::validation(
            "Missing one of these types: signup, email_change, sms, phone_change",
        ));
    }
    if p.email.is_empty() && p.kind == "signup" {
        return Err(ApiError::validation(
            "Type provided requires an email address",
        ));
    }
    if p.phone.is_empty() && p.kind == "sms" {
        return Err(ApiError::validation(
            "Type provided requires a phone number",
        ));
    }
    let (by_email, address) = match (p.email.is_empty(), p.phone.is_empty()) {
        (false, false) => {
            return Err(ApiError::validation(
                "Only an email address or phone number should be provided.",
            ));
        }
        (false, true) => (true, users::validate_email(&p.email)?),
        (true, false) => (false, users::validate_phone(&p.phone)?),
        (true, true) => {
            return Err(ApiError::validation(
                "Missing email address or phone number",
            ));
        }
    };
    let out = in_tx!(&state, |tx| {
        // `Resend`: the user by the address given, whatever the type; nothing to resend
        // (no such user, already confirmed, no pending change) answers `{}` all the same.
        let user = if by_email {
            users::find_by_email(tx, &address).await?
        } else {
            users::find_by_phone(tx, &address).await?
        };
        let Some(u) = user else {
            return Ok(json!({}));
        };
        let id = &u.id;
        let pending = |column: &'static str| async move {
            let sql =
                format!("select coalesce({column}, '') from auth.users where id = $1::text::uuid");
            Ok::<String, ApiError>(tx.query_one(&sql, &[id]).await?.get(0))
        };
        match p.kind.as_str() {
            "signup" => {
                if !u.email_confirmed && !u.email.is_empty() {
                    let email = u.email.clone();
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
                let new = pending("email_change").await?;
                if !new.is_empty() {
                    change_email(&state, tx, &u, &new, &redirect, None).await?;
                }
                Ok(json!({}))
            }
            "sms" => {
                if u.phone_confirmed || u.phone.is_empty() {
                    return Ok(json!({}));
                }
                let id =
                    send_sms(&state, tx, &u.id, &u.phone, SmsPurpose::Confirmation, "sms").await?;
                Ok(json!({"message_id": id}))
            }
            _ => {
                let new = pending("phone_change").await?;
                if new.is_empty() {
                    return Ok(json!({}));
                }
                let id = send_sms(&state, tx, &u.id, &new, SmsPurpose::PhoneChange, "sms").await?;
                Ok(json!({"message_id": id}))
            }
        }
    })?;
    Ok(Json(out))
}

/// `GET /reauthenticate` (`reauthenticate.go`): sends a nonce to the user's email, else phone.
pub(super) async fn reauthenticate(State(state): St, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let who = require_user(&state, &headers).await?;
    // `reauthenticate.go`: the email when there is one, else the phone; either confirmed.
    in_tx!(&state, |tx| {
        let user = users::find_by_id(tx, &who.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user_not_found", "User not found"))?;
        if user.email.is_empty() && user.phone.is_empty() {
            return Err(ApiError::validation(
                "Reauthentication requires the user to have an email or a phone number",
            ));
        }
        if !user.email.is_empty() {
            if !user.email_confirmed {
                return Err(ApiError::unprocessable(
                    "email_not_confirmed",
                    "Please verify your email first.",
                ));
            }
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
            return Ok(json!({}));
        }
        if !user.phone_confirmed {
            return Err(ApiError::unprocessable(
                "phone_not_confirmed",
                "Please verify your phone first.",
            ));
        }
        let id = send_sms(
            &state,
            tx,
            &user.id,
            &user.phone,
            SmsPurpose::Reauthentication,
            "sms",
        )
        .await?;
        Ok(json!({"message_id": id}))
    })
    .map(Json)
}
