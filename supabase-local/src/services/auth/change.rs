//! Changing a user's email or phone, and the reauthentication nonce that may guard it
//! (supabase/auth `internal/api/user.go`, `verify.go`'s `emailChangeVerify` and
//! `smsVerify`, `reauthenticate.go`).

use deadpool_postgres::Transaction;

use super::error::{ApiError, ApiResult};
use super::otp::{EmailPurpose, SmsPurpose, send_email, send_sms};
use super::users::{self, UserRow};
use super::{Auth, token_hash};
use crate::services::Secret;

/// Starts an email change (`sendEmailChange`). Applied at once only for an anonymous user with
/// confirmations off (`user.go`: "anonymous users can add an email with automatic
/// confirmation, which is similar to signing up // permanent users always need to verify their
/// email address when changing it").
pub(super) async fn change_email(
    state: &Auth,
    tx: &Transaction<'_>,
    user: &UserRow,
    new_email: &str,
    redirect: &str,
    pkce: Option<&(String, String)>,
) -> ApiResult<()> {
    if user.is_anonymous && !state.config.email_confirmations {
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
pub(super) async fn apply_email_change(tx: &Transaction<'_>, user_id: &str) -> ApiResult<()> {
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

pub(super) async fn apply_phone_change(tx: &Transaction<'_>, user_id: &str) -> ApiResult<()> {
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
            &[
                &user.id,
                &Secret(token_hash(to, nonce)),
                &expiry.as_secs_f64(),
            ],
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
