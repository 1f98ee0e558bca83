//! Account changes against the stand-in: secure email change (both addresses confirm through
//! the mailbox), phone change (SMS code), MFA with a phone factor (challenge SMS → `aal2`), and
//! `link_identity` returning the provider's authorize URL for the signed-in user, resending
//! change codes, password changes with a reauthentication nonce, and unlinking an identity.

use std::collections::HashMap;

use serde_json::{Value, json};
use supabase_core::auth::{
    AuthError, Channel, EnrollParams, ErrorCode, GetClaimsOptions, MfaChallengeParams,
    MfaVerifyParams, OtpType, ResendCredentials, SignInWithOAuthCredentials,
    SignInWithPasswordCredentials, SignUpCredentials, UserAttributes, VerifyOtpParams,
};
use supabase_core::{Client, ClientOptions, Error};
use supabase_local::{AuthConfig, MessageKind, OAuthProvider, Stack};
use tokio::sync::OnceCell;

use crate::{email, phone};

/// This file's stack (its own, so the users it creates do not shift the admin paging test's
/// pages): confirmations required, manual linking on, password changes of sessions older than
/// a day need a reauthentication nonce, GitHub enabled as an OAuth provider.
pub(crate) async fn stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            let mut config = AuthConfig::default();
            config.email_confirmations = true;
            config.phone_confirmations = true;
            config.manual_linking = true;
            config.secure_password_change = true;
            config
                .oauth_providers
                .push(OAuthProvider::new("github", "local-client-id"));
            crate::start_with(|builder| builder.auth_config(config)).await
        })
        .await
}

/// Signs up on this file's stack (confirmation required) and confirms with the mailed code.
pub(crate) async fn confirmed_user(tag: &str) -> (Client, String) {
    let s = stack().await;
    let c = Client::new(s.url(), s.anon_key(), ClientOptions::default()).unwrap();
    let address = email(tag);
    c.auth()
        .sign_up(SignUpCredentials::email(&address, "account password"))
        .await
        .unwrap();
    let otp = stack().await.mailbox().latest_otp(&address).unwrap();
    c.auth()
        .verify_otp(VerifyOtpParams::email(&address, otp, OtpType::Signup))
        .await
        .unwrap();
    (c, address)
}

fn code_of(err: &Error) -> Option<&ErrorCode> {
    match err {
        Error::Auth(e) => e.code(),
        _ => None,
    }
}

#[tokio::test]
async fn secure_email_change_needs_both_addresses() {
    let (c, old) = confirmed_user("email-change-old").await;
    let new = email("email-change-new");
    let mailbox = stack().await.mailbox();

    let user = c
        .auth()
        .update_user(UserAttributes::new().email(&new))
        .await
        .unwrap();
    assert_eq!(user.email.as_deref(), Some(old.as_str()), "not changed yet");
    assert_eq!(user.new_email.as_deref(), Some(new.as_str()));
    let to_new = mailbox.latest(&new).unwrap();
    let to_old = mailbox.latest(&old).unwrap();
    assert_eq!(to_new.kind, MessageKind::EmailChangeNew);
    assert_eq!(to_old.kind, MessageKind::EmailChangeCurrent);
    assert_ne!(to_new.otp, to_old.otp);

    // A wrong code is refused; the first right one is accepted without a session.
    let err = c
        .auth()
        .verify_otp(VerifyOtpParams::email(&new, "000000", OtpType::EmailChange))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(&ErrorCode::OtpExpired), "{err:?}");
    let first = c
        .auth()
        .verify_otp(VerifyOtpParams::email(
            &new,
            &to_new.otp,
            OtpType::EmailChange,
        ))
        .await
        .unwrap();
    assert!(first.session.is_none() && first.user.is_none());
    assert_eq!(
        c.auth().get_user().await.unwrap().email.as_deref(),
        Some(old.as_str())
    );

    // The second confirmation (from the current address) applies the change.
    let second = c
        .auth()
        .verify_otp(VerifyOtpParams::email(
            &old,
            &to_old.otp,
            OtpType::EmailChange,
        ))
        .await
        .unwrap();
    let session = second
        .session
        .expect("a session after the second confirmation");
    assert_eq!(session.user.email.as_deref(), Some(new.as_str()));
    assert_eq!(
        c.auth().get_user().await.unwrap().email.as_deref(),
        Some(new.as_str())
    );
    let claims = c
        .auth()
        .get_claims(None, GetClaimsOptions::new())
        .await
        .unwrap();
    assert_eq!(claims.claims["email"], new.as_str());
    let row = stack()
        .await
        .query_json(&format!(
            "select email, email_change from auth.users where id = '{}'",
            session.user.id
        ))
        .await
        .unwrap();
    assert_eq!(row, json!([{"email": new, "email_change": ""}]));
}

#[tokio::test]
async fn phone_change_is_confirmed_with_the_sms_code() {
    let (c, _) = confirmed_user("phone-change").await;
    let number = phone();
    let user = c
        .auth()
        .update_user(UserAttributes::new().phone(&number))
        .await
        .unwrap();
    let digits = number.trim_start_matches('+');
    assert_eq!(user.new_phone.as_deref(), Some(digits));
    assert_eq!(user.phone.as_deref().unwrap_or(""), "");
    let sms = stack().await.mailbox().latest(&number).unwrap();
    assert_eq!(sms.kind, MessageKind::PhoneChange);

    let verified = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(
            &number,
            &sms.otp,
            OtpType::PhoneChange,
        ))
        .await
        .unwrap();
    let session = verified.session.expect("session");
    assert_eq!(session.user.phone.as_deref(), Some(digits));
    assert!(session.user.phone_confirmed_at.is_some());
    assert_eq!(
        c.auth().get_user().await.unwrap().phone.as_deref(),
        Some(digits)
    );
    // The code is single-use.
    let err = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(
            &number,
            &sms.otp,
            OtpType::PhoneChange,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(&ErrorCode::OtpExpired), "{err:?}");
}

#[tokio::test]
async fn phone_factor_challenge_sends_an_sms_and_verifies_to_aal2() {
    let (c, _) = confirmed_user("mfa-phone").await;
    let number = phone();
    let mfa = c.auth().mfa();
    let enrolled = mfa
        .enroll(EnrollParams::phone(&number).friendly_name("my phone"))
        .await
        .unwrap();
    assert!(enrolled.totp.is_none());

    let by_sms = MfaChallengeParams::new(&enrolled.id).channel(Channel::Sms);
    let challenge = mfa.challenge(by_sms).await.unwrap();
    let sms = stack().await.mailbox().latest(&number).unwrap();
    assert_eq!(sms.kind, MessageKind::MfaPhone);

    let err = mfa
        .verify(MfaVerifyParams::new(&enrolled.id, &challenge.id, "000000"))
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::MfaVerificationFailed),
        "{err:?}"
    );
    let challenge = mfa.challenge(&enrolled.id).await.unwrap();
    let code = stack().await.mailbox().latest_otp(&number).unwrap();
    let verified = mfa
        .verify(MfaVerifyParams::new(&enrolled.id, &challenge.id, code))
        .await
        .unwrap();
    assert!(verified.session.is_some());

    let claims = c
        .auth()
        .get_claims(None, GetClaimsOptions::new())
        .await
        .unwrap();
    assert_eq!(claims.claims["aal"], "aal2");
    let methods: Vec<&str> = claims.claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["method"].as_str())
        .collect();
    assert!(methods.contains(&"mfa/phone"), "{methods:?}");
    let factors = mfa.list_factors().await.unwrap();
    assert_eq!(factors.phone.len(), 1);
    assert_eq!(factors.phone[0].id, enrolled.id);
}

#[tokio::test]
async fn link_identity_returns_the_providers_authorize_url() {
    let s = stack().await;
    let signed_out = Client::new(s.url(), s.anon_key(), ClientOptions::default()).unwrap();
    let err = signed_out
        .auth()
        .link_identity(SignInWithOAuthCredentials::new("github"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::SessionMissing)),
        "{err:?}"
    );

    let (c, _) = confirmed_user("link").await;
    let session = c.auth().get_session().await.unwrap().unwrap();
    let linked = c
        .auth()
        .link_identity(SignInWithOAuthCredentials::new("github").scopes("repo"))
        .await
        .unwrap();
    assert_eq!(linked.provider, "github");
    let url = url::Url::parse(&linked.url).unwrap();
    assert_eq!(url.host_str(), Some("github.com"));
    assert_eq!(url.path(), "/login/oauth/authorize");
    let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(q["client_id"], "local-client-id");
    assert_eq!(q["redirect_uri"], format!("{}/auth/v1/callback", s.url()));
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["scope"], "user:email repo");

    // The state is GoTrue's signed ExternalProviderClaims naming the user to link to, with a
    // PKCE flow state (the client's default flow) in the database.
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.validate_aud = false;
    let state = jsonwebtoken::decode::<Value>(
        &q["state"],
        &jsonwebtoken::DecodingKey::from_secret(s.jwt_secret().as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(state["provider"], "github");
    assert_eq!(state["linking_target_id"], session.user.id.as_str());
    let flow_state_id = state["flow_state_id"].as_str().unwrap();
    let rows = s
        .query_json(&format!(
            "select provider_type, code_challenge_method::text from auth.flow_state where id = '{flow_state_id}'"
        ))
        .await
        .unwrap();
    assert_eq!(
        rows,
        json!([{"provider_type": "github", "code_challenge_method": "s256"}])
    );

    // A provider that is not enabled: GoTrue's validation error.
    let err = c
        .auth()
        .link_identity(SignInWithOAuthCredentials::new("gitlab"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(&ErrorCode::ValidationFailed), "{err:?}");
    // Keycloak without `AuthConfig::keycloak` on this stack: disabled too.
    let err = c
        .auth()
        .link_identity(SignInWithOAuthCredentials::new("keycloak"))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(&ErrorCode::ValidationFailed), "{err:?}");
    assert!(
        err.to_string()
            .contains("Unsupported provider: provider is not enabled"),
        "{err}"
    );

    // sign_in_with_oauth's URL is GoTrue's /authorize, which redirects to the provider.
    let oauth = c
        .auth()
        .sign_in_with_oauth(SignInWithOAuthCredentials::new("github"))
        .await
        .unwrap();
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&oauth.url)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://github.com/login/oauth/authorize?"),
        "{location}"
    );
    // A method other than s256 or plain is refused before the flow state is made.
    let challenge = "a".repeat(43);
    let resp = reqwest::get(format!(
        "{}/auth/v1/authorize?provider=github&code_challenge={challenge}&code_challenge_method=s512",
        stack().await.url()
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["msg"], "Invalid code_challenge_method", "{body}");
}

#[tokio::test]
async fn link_identity_is_refused_when_manual_linking_is_off() {
    // The binary's main stack has manual linking off (GoTrue's default).
    let c = crate::anon().await;
    let address = email("no-linking");
    c.auth()
        .sign_up(SignUpCredentials::email(&address, "account password"))
        .await
        .unwrap();
    let otp = crate::stack().await.mailbox().latest_otp(&address).unwrap();
    c.auth()
        .verify_otp(VerifyOtpParams::email(&address, otp, OtpType::Signup))
        .await
        .unwrap();
    let err = c
        .auth()
        .link_identity(SignInWithOAuthCredentials::new("github"))
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::ManualLinkingDisabled),
        "{err:?}"
    );
}

/// Confirms `number` as the phone of the signed-in `c` (a phone change and its SMS code).
async fn add_phone(c: &Client, number: &str) {
    c.auth()
        .update_user(UserAttributes::new().phone(number))
        .await
        .unwrap();
    let otp = stack().await.mailbox().latest_otp(number).unwrap();
    c.auth()
        .verify_otp(VerifyOtpParams::phone(number, otp, OtpType::PhoneChange))
        .await
        .unwrap();
}

#[tokio::test]
async fn resend_email_change_sends_both_codes_again() {
    let (c, old) = confirmed_user("resend-email-change-old").await;
    let new = email("resend-email-change-new");
    let mailbox = stack().await.mailbox();
    c.auth()
        .update_user(UserAttributes::new().email(&new))
        .await
        .unwrap();
    let (first_new, first_old) = (mailbox.latest(&new).unwrap(), mailbox.latest(&old).unwrap());

    // Resent by the current address (`resend.go` finds the user by it): both addresses get
    // new codes, and the first ones stop working.
    supabase_tests::allow_resend(stack().await, &old).await;
    c.auth()
        .resend(ResendCredentials::email(OtpType::EmailChange, &old))
        .await
        .unwrap();
    let (to_new, to_old) = (mailbox.latest(&new).unwrap(), mailbox.latest(&old).unwrap());
    assert_eq!(to_new.kind, MessageKind::EmailChangeNew);
    assert_eq!(to_old.kind, MessageKind::EmailChangeCurrent);
    assert_eq!(mailbox.messages(&new).len(), 2);
    assert_ne!(to_new.otp, first_new.otp);
    assert_ne!(to_old.otp, first_old.otp);
    let err = c
        .auth()
        .verify_otp(VerifyOtpParams::email(
            &new,
            &first_new.otp,
            OtpType::EmailChange,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(&ErrorCode::OtpExpired), "{err:?}");
    c.auth()
        .verify_otp(VerifyOtpParams::email(
            &new,
            &to_new.otp,
            OtpType::EmailChange,
        ))
        .await
        .unwrap();
    let session = c
        .auth()
        .verify_otp(VerifyOtpParams::email(
            &old,
            &to_old.otp,
            OtpType::EmailChange,
        ))
        .await
        .unwrap()
        .session
        .expect("the change applied");
    assert_eq!(session.user.email.as_deref(), Some(new.as_str()));

    // Nothing pending any more: resending sends nothing.
    let before = mailbox.messages(&new).len();
    c.auth()
        .resend(ResendCredentials::email(OtpType::EmailChange, &new))
        .await
        .unwrap();
    assert_eq!(mailbox.messages(&new).len(), before);
}

#[tokio::test]
async fn resend_phone_change_sends_a_new_code_to_the_new_number() {
    let (c, _) = confirmed_user("resend-phone-change").await;
    let (current, next) = (phone(), phone());
    add_phone(&c, &current).await;
    let mailbox = stack().await.mailbox();
    supabase_tests::allow_resend(stack().await, &current).await;
    c.auth()
        .update_user(UserAttributes::new().phone(&next))
        .await
        .unwrap();
    let first = mailbox.latest(&next).unwrap();

    // GoTrue's `Resend` finds the user by the phone given, which must be the current one
    // (`FindUserByPhoneAndAudience`); the pending number gets nothing when named itself.
    let sent = c
        .auth()
        .resend(ResendCredentials::phone(OtpType::PhoneChange, &next))
        .await
        .unwrap();
    assert_eq!(sent.message_id, None);
    assert_eq!(mailbox.messages(&next).len(), 1);
    supabase_tests::allow_resend(stack().await, &current).await;
    let sent = c
        .auth()
        .resend(ResendCredentials::phone(OtpType::PhoneChange, &current))
        .await
        .unwrap();
    assert!(sent.message_id.is_some(), "{sent:?}");
    let messages = mailbox.messages(&next);
    assert_eq!(messages.len(), 2);
    let second = messages[1].clone();
    assert_eq!(second.kind, MessageKind::PhoneChange);
    assert_ne!(second.otp, first.otp);
    assert!(
        mailbox
            .messages(&current)
            .iter()
            .all(|m| m.kind != MessageKind::PhoneChange || m.otp != second.otp)
    );

    let err = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(
            &next,
            &first.otp,
            OtpType::PhoneChange,
        ))
        .await
        .unwrap_err();
    assert_eq!(code_of(&err), Some(&ErrorCode::OtpExpired), "{err:?}");
    let session = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(
            &next,
            &second.otp,
            OtpType::PhoneChange,
        ))
        .await
        .unwrap()
        .session
        .expect("session");
    assert_eq!(
        session.user.phone.as_deref(),
        Some(next.trim_start_matches('+'))
    );
}

/// The `session_id` claim of `c`'s access token.
async fn session_id(c: &Client) -> String {
    let claims = c
        .auth()
        .get_claims(None, GetClaimsOptions::new())
        .await
        .unwrap()
        .claims;
    claims["session_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn password_change_of_an_old_session_needs_the_reauthentication_nonce() {
    let (c, address) = confirmed_user("nonce").await;
    let mailbox = stack().await.mailbox();

    // A session signed in within the last day changes the password without a nonce
    // (`UserUpdate` in `internal/api/user.go`).
    c.auth()
        .update_user(UserAttributes::new().password("second password"))
        .await
        .unwrap();

    // The same session a day later (its creation time moved back) needs one.
    stack()
        .await
        .execute_sql(&format!(
            "update auth.sessions set created_at = now() - interval '25 hours' where id = '{}'",
            session_id(&c).await
        ))
        .await
        .unwrap();
    let err = c
        .auth()
        .update_user(UserAttributes::new().password("third password"))
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::ReauthenticationNeeded),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));

    c.auth().reauthenticate().await.unwrap();
    let message = mailbox.latest(&address).unwrap();
    assert_eq!(message.kind, MessageKind::Reauthentication);
    let wrong = if message.otp == "000000" {
        "111111"
    } else {
        "000000"
    };
    let err = c
        .auth()
        .update_user(
            UserAttributes::new()
                .password("third password")
                .nonce(wrong),
        )
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::ReauthenticationNotValid),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    c.auth()
        .update_user(
            UserAttributes::new()
                .password("third password")
                .nonce(&message.otp),
        )
        .await
        .unwrap();
    // The nonce is used up.
    let err = c
        .auth()
        .update_user(
            UserAttributes::new()
                .password("fourth password")
                .nonce(&message.otp),
        )
        .await
        .unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::ReauthenticationNotValid),
        "{err:?}"
    );

    let s = stack().await;
    let other = Client::new(s.url(), s.anon_key(), ClientOptions::default()).unwrap();
    for old in ["account password", "second password"] {
        let err = other
            .auth()
            .sign_in_with_password(SignInWithPasswordCredentials::email(&address, old))
            .await
            .unwrap_err();
        assert_eq!(
            code_of(&err),
            Some(&ErrorCode::InvalidCredentials),
            "{err:?}"
        );
    }
    other
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "third password",
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn unlinking_the_phone_identity_keeps_the_email_one() {
    let (c, address) = confirmed_user("unlink").await;
    let number = phone();
    add_phone(&c, &number).await;
    let identities = c.auth().get_user_identities().await.unwrap();
    let mut providers: Vec<&str> = identities.iter().map(|i| i.provider.as_str()).collect();
    providers.sort_unstable();
    assert_eq!(providers, ["email", "phone"]);

    let phone_identity = identities.iter().find(|i| i.provider == "phone").unwrap();
    c.auth().unlink_identity(phone_identity).await.unwrap();

    // GoTrue's `DeleteIdentity`: the phone goes with its identity.
    let user = c.auth().get_user().await.unwrap();
    assert_eq!(user.email.as_deref(), Some(address.as_str()));
    assert_eq!(user.phone.as_deref().unwrap_or(""), "");
    assert!(user.phone_confirmed_at.is_none());
    assert_eq!(user.app_metadata["providers"], json!(["email"]));
    let identities = c.auth().get_user_identities().await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].provider, "email");

    // Unlinking it again, or the last identity, is refused.
    let err = c.auth().unlink_identity(phone_identity).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::SingleIdentityNotDeletable),
        "{err:?}"
    );
    let err = c.auth().unlink_identity(&identities[0]).await.unwrap_err();
    assert_eq!(
        code_of(&err),
        Some(&ErrorCode::SingleIdentityNotDeletable),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));

    // The number is free again: another user can take it.
    let (d, _) = confirmed_user("unlink-reuse").await;
    add_phone(&d, &number).await;
    assert_eq!(
        d.auth().get_user().await.unwrap().phone.as_deref(),
        Some(number.trim_start_matches('+'))
    );
}

/// With confirmations off (the reference project's default) a permanent user's email change
/// still waits for the addresses to confirm, as GoTrue (`user.go`: "permanent users always
/// need to verify their email address when changing it"); only an anonymous user's email is
/// set at once. The stand-in had applied every change at once with confirmations off.
#[tokio::test]
async fn without_confirmations_only_an_anonymous_users_email_changes_at_once() {
    use supabase_core::auth::SignInAnonymouslyCredentials;
    let s = supabase_tests::reference_stack().await;
    let c = Client::new(s.url(), s.anon_key(), ClientOptions::default()).unwrap();
    let old = email("no-confirm-old");
    let signed_up = c
        .auth()
        .sign_up(SignUpCredentials::email(&old, "account password"))
        .await
        .unwrap();
    assert!(signed_up.session.is_some(), "confirmations are off");
    let new = email("no-confirm-new");
    let user = c
        .auth()
        .update_user(UserAttributes::new().email(&new))
        .await
        .unwrap();
    assert_eq!(user.email.as_deref(), Some(old.as_str()), "not changed yet");
    assert_eq!(user.new_email.as_deref(), Some(new.as_str()));
    assert_eq!(
        s.mailbox().latest(&new).unwrap().kind,
        MessageKind::EmailChangeNew
    );
    assert_eq!(
        s.mailbox().latest(&old).unwrap().kind,
        MessageKind::EmailChangeCurrent
    );

    let a = Client::new(s.url(), s.anon_key(), ClientOptions::default()).unwrap();
    a.auth()
        .sign_in_anonymously(SignInAnonymouslyCredentials::new())
        .await
        .unwrap();
    let chosen = email("anonymous-adds");
    let user = a
        .auth()
        .update_user(UserAttributes::new().email(&chosen))
        .await
        .unwrap();
    assert_eq!(user.email.as_deref(), Some(chosen.as_str()), "set at once");
    assert!(s.mailbox().latest(&chosen).is_none(), "no mail");
}
