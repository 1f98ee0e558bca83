//! Sign-up, confirmation through the mailbox, RLS as the user, OTP, magic links, PKCE, anonymous
//! users, updates and identities: end to end against the GoTrue stand-in.

use serde_json::{Value, json};
use supabase_core::auth::{
    AuthChangeEvent, AuthError, Channel, CodeExchangeParams, ErrorCode, FileStore, OtpType,
    ResendCredentials, ResetPasswordOptions, SignInAnonymouslyCredentials,
    SignInWithIdTokenCredentials, SignInWithOtpCredentials, SignInWithPasswordCredentials,
    SignInWithSsoCredentials, SignUpCredentials, UserAttributes, VerifyOtpParams,
};
use supabase_core::{Client, ClientOptions, Error};
use supabase_local::MessageKind;

use crate::{anon, email, phone, stack};

const PASSWORD: &str = "correct horse battery";

/// Signs up `address`, confirms it with the code from the mailbox, signs in.
async fn signed_up_user(client: &Client, address: &str) {
    let auth = client.auth();
    let res = auth
        .sign_up(
            SignUpCredentials::email(address, PASSWORD)
                .data(json!({"first_name": "Ada"}))
                .email_redirect_to("http://localhost:3000/welcome"),
        )
        .await
        .unwrap();
    assert!(res.session.is_none(), "confirmation required: {res:?}");
    let otp = stack()
        .await
        .mailbox()
        .latest_otp(address)
        .expect("confirmation mail");
    let verified = auth
        .verify_otp(VerifyOtpParams::email(address, otp, OtpType::Signup))
        .await
        .unwrap();
    let session = verified.session.expect("verified and signed in");
    assert_eq!(session.user.email.as_deref(), Some(address));
    assert_eq!(session.user.user_metadata["first_name"], "Ada");
}

#[tokio::test]
async fn sign_up_confirm_then_rls_refresh_and_sign_out_revokes() {
    let (a, b) = (anon().await, anon().await);
    let (ea, eb) = (email("rls-a"), email("rls-b"));

    // Unconfirmed users cannot sign in.
    a.auth()
        .sign_up(SignUpCredentials::email(&ea, PASSWORD))
        .await
        .unwrap();
    let err = a
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&ea, PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&err),
        Some(ErrorCode::EmailNotConfirmed),
        "{err:?}"
    );
    let hash = stack()
        .await
        .mailbox()
        .latest(&ea)
        .unwrap()
        .token_hash
        .unwrap();
    a.auth()
        .verify_otp(VerifyOtpParams::token_hash(hash, OtpType::Signup))
        .await
        .unwrap();
    a.auth().sign_out().await.unwrap();
    a.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&ea, PASSWORD))
        .await
        .unwrap();
    signed_up_user(&b, &eb).await;

    // Each user writes and reads only their own rows, through PostgREST under RLS.
    a.table("todos")
        .insert(json!({"task": "a's task"}))
        .await
        .unwrap();
    b.table("todos")
        .insert(json!({"task": "b's task"}))
        .await
        .unwrap();
    let rows_a = a.table("todos").select("task").await.unwrap().data;
    assert_eq!(rows_a, json!([{"task": "a's task"}]));
    let changed = b
        .table("todos")
        .update(json!({"task": "hijacked"}))
        .eq("task", "a's task")
        .await
        .unwrap()
        .data;
    assert_eq!(changed, json!([]), "b cannot change a's row");
    let forged = b
        .table("todos")
        .insert(json!({"task": "forged", "user_id": a.auth().get_user().await.unwrap().id}))
        .await
        .unwrap_err();
    assert!(
        matches!(forged, Error::Postgrest(ref e) if e.code.as_deref() == Some("42501")),
        "{forged:?}"
    );
    assert_eq!(
        anon().await.table("todos").select("*").await.unwrap().data,
        json!([])
    );

    // Refresh: new tokens, the old refresh token is rotated, requests keep working.
    let before = a.auth().get_session().await.unwrap().unwrap();
    let after = a.auth().refresh_session().await.unwrap().session.unwrap();
    assert_ne!(before.refresh_token, after.refresh_token);
    assert_eq!(a.table("todos").select("task").await.unwrap().data, rows_a);

    // Sign out revokes: the old access token's session and the refresh token are dead.
    a.auth().sign_out().await.unwrap();
    let err = a
        .auth()
        .get_user_by_jwt(after.access_token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(AuthError::Api { .. })), "{err:?}");
    let err = a
        .auth()
        .refresh_session_with(after.refresh_token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(AuthError::Api { .. })), "{err:?}");
    assert_eq!(
        a.table("todos").select("*").await.unwrap().data,
        json!([]),
        "anon again"
    );
}

fn auth_code(err: &Error) -> Option<ErrorCode> {
    match err {
        Error::Auth(e) => e.code().cloned(),
        _ => None,
    }
}

#[tokio::test]
async fn email_otp_and_sms_otp_sign_in() {
    let c = anon().await;
    let address = email("otp");
    signed_up_user(&c, &address).await;
    c.auth().sign_out().await.unwrap();

    c.auth()
        .sign_in_with_otp(SignInWithOtpCredentials::email(&address))
        .await
        .unwrap();
    let otp = stack().await.mailbox().latest_otp(&address).unwrap();
    let res = c
        .auth()
        .verify_otp(VerifyOtpParams::email(&address, &otp, OtpType::Email))
        .await
        .unwrap();
    assert!(res.session.is_some());
    // A code is used once.
    let err = c
        .auth()
        .verify_otp(VerifyOtpParams::email(&address, &otp, OtpType::Email))
        .await
        .unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::OtpExpired), "{err:?}");

    // should_create_user(false) for an unknown address is refused.
    let err = c
        .auth()
        .sign_in_with_otp(
            SignInWithOtpCredentials::email(email("nobody")).should_create_user(false),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(AuthError::Api { .. })), "{err:?}");

    // SMS: a new phone user is created and signed in with the code.
    let number = phone();
    c.auth()
        .sign_in_with_otp(SignInWithOtpCredentials::phone(&number))
        .await
        .unwrap();
    let code = stack().await.mailbox().latest_otp(&number).expect("sms");
    let res = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(&number, code, OtpType::Sms))
        .await
        .unwrap();
    assert_eq!(
        res.user.unwrap().phone.as_deref(),
        Some(number.trim_start_matches('+'))
    );
}

#[tokio::test]
async fn magic_link_and_recovery_through_pkce() {
    let c = anon().await;
    let address = email("pkce");
    signed_up_user(&c, &address).await;
    c.auth().sign_out().await.unwrap();
    let mut events = c.auth().auth_state_changes().await;
    assert_eq!(next(&mut events).await, AuthChangeEvent::InitialSession);

    // Recovery: the link carries a PKCE code, exchanged with the stored verifier.
    c.auth()
        .reset_password_for_email(
            &address,
            ResetPasswordOptions::new().redirect_to("http://localhost:3000/reset"),
        )
        .await
        .unwrap();
    let code = follow_link(&address).await;
    c.auth().exchange_code_for_session(&code).await.unwrap();
    assert_eq!(next(&mut events).await, AuthChangeEvent::PasswordRecovery);
    c.auth()
        .update_user(UserAttributes::new().password("a brand new password"))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, AuthChangeEvent::UserUpdated);
    c.auth().sign_out().await.unwrap();
    assert_eq!(next(&mut events).await, AuthChangeEvent::SignedOut);
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "a brand new password",
        ))
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, AuthChangeEvent::SignedIn);
}

/// A server-side PKCE flow: the client that starts a magic-link sign-in keeps its verifier in a
/// file store (standing in for a cookie); a second client with an empty store finishes it by
/// passing that verifier explicitly (auth-py `CodeExchangeParams.code_verifier`).
#[tokio::test]
async fn another_client_exchanges_the_code_with_an_explicit_verifier() {
    let address = email("pkce-explicit");
    signed_up_user(&anon().await, &address).await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cookie.json");
    let starter = crate::anon_on(
        stack().await,
        ClientOptions::default()
            .storage_key("sb-server")
            .session_store(FileStore::new(&path)),
    );
    starter
        .auth()
        .sign_in_with_otp(
            SignInWithOtpCredentials::email(&address)
                .email_redirect_to("http://localhost:3000/callback"),
        )
        .await
        .unwrap();
    let jar: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let verifier = jar["sb-server-code-verifier"]
        .as_str()
        .expect("the starting client stored its verifier")
        .to_owned();
    let code = follow_link(&address).await;

    let finisher = anon().await;
    // Nothing stored on this client: without an explicit verifier there is nothing to send.
    assert!(matches!(
        finisher.auth().exchange_code_for_session(&code).await,
        Err(Error::Auth(AuthError::PkceVerifierMissing))
    ));
    // A wrong verifier: GoTrue's own refusal, and the code stays usable.
    let err = finisher
        .auth()
        .exchange_code_for_session_with(
            CodeExchangeParams::new(&code).code_verifier("0".repeat(128)),
        )
        .await
        .unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::BadCodeVerifier), "{err:?}");
    let Error::Auth(api) = &err else {
        unreachable!()
    };
    assert_eq!(api.status().map(|s| s.as_u16()), Some(400));

    let mut events = finisher.auth().auth_state_changes().await;
    assert_eq!(next(&mut events).await, AuthChangeEvent::InitialSession);
    let res = finisher
        .auth()
        .exchange_code_for_session_with(
            CodeExchangeParams::new(&code)
                .code_verifier(&verifier)
                .redirect_to("http://localhost:3000/callback"),
        )
        .await
        .unwrap();
    assert_eq!(next(&mut events).await, AuthChangeEvent::SignedIn);
    let session = res.session.expect("a session");
    assert_eq!(session.user.email.as_deref(), Some(address.as_str()));
    let me = finisher.auth().get_user().await.unwrap();
    assert_eq!(me.email.as_deref(), Some(address.as_str()));
    // The starter never got a session; the code is spent.
    assert!(starter.auth().get_session().await.unwrap().is_none());
    let again = finisher
        .auth()
        .exchange_code_for_session_with(CodeExchangeParams::new(&code).code_verifier(&verifier))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&again),
        Some(ErrorCode::FlowStateNotFound),
        "{again:?}"
    );
}

/// The reference's dicts, deserialized into the params types, drive the real flows: sign-up with
/// metadata and a redirect, confirmation, password sign-in, a metadata update.
#[tokio::test]
async fn reference_dicts_as_json_sign_up_verify_sign_in_and_update() {
    let c = anon().await;
    let address = email("json");
    let creds: SignUpCredentials = serde_json::from_value(json!({
        "email": address,
        "password": PASSWORD,
        "options": {
            "data": {"first_name": "John", "age": 27},
            "email_redirect_to": "http://127.0.0.1:3000/welcome",
        },
    }))
    .unwrap();
    let res = c.auth().sign_up(creds).await.unwrap();
    assert!(res.session.is_none(), "confirmation required: {res:?}");
    let link = stack()
        .await
        .mailbox()
        .latest_link(&address)
        .expect("a link");
    // On the site URL's host, so GoTrue keeps it (anything else falls back to the site URL);
    // without `&`, `=` or `#` it goes into the link unescaped (`encodeRedirectURL`).
    assert!(
        link.ends_with("redirect_to=http://127.0.0.1:3000/welcome"),
        "the redirect was sent: {link}"
    );
    let otp = stack().await.mailbox().latest_otp(&address).unwrap();
    let verify: VerifyOtpParams =
        serde_json::from_value(json!({"email": address, "token": otp, "type": "signup"})).unwrap();
    let session = c.auth().verify_otp(verify).await.unwrap().session.unwrap();
    assert_eq!(session.user.user_metadata["first_name"], "John");
    assert_eq!(session.user.user_metadata["age"], 27);
    c.auth().sign_out().await.unwrap();

    let creds: SignInWithPasswordCredentials =
        serde_json::from_value(json!({"email": address, "password": PASSWORD})).unwrap();
    let res = c.auth().sign_in_with_password(creds).await.unwrap();
    assert_eq!(res.user.unwrap().email.as_deref(), Some(address.as_str()));
    let attrs: UserAttributes =
        serde_json::from_value(json!({"data": {"hello": "world"}})).unwrap();
    let user = c.auth().update_user(attrs).await.unwrap();
    assert_eq!(user.user_metadata["hello"], "world");
    assert_eq!(user.user_metadata["first_name"], "John");
}

async fn next(
    events: &mut futures_util::stream::BoxStream<'static, supabase_core::auth::AuthEvent>,
) -> AuthChangeEvent {
    use futures_util::StreamExt;
    tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .expect("an auth event")
        .expect("stream open")
        .event
}

/// Opens the newest link sent to `address` without following the redirect; returns the `code`
/// of the redirect URL.
async fn follow_link(address: &str) -> String {
    let link = stack()
        .await
        .mailbox()
        .latest_link(address)
        .expect("a link");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(&link).send().await.unwrap();
    let location = resp
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect from {link}: {}", resp.status()))
        .to_str()
        .unwrap()
        .to_owned();
    let url = url::Url::parse(&location).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

#[tokio::test]
async fn anonymous_users_and_metadata_updates() {
    let c = anon().await;
    let res = c
        .auth()
        .sign_in_anonymously(SignInAnonymouslyCredentials::new().data(json!({"theme": "dark"})))
        .await
        .unwrap();
    let user = res.user.unwrap();
    assert!(user.is_anonymous);
    let claims = c
        .auth()
        .get_claims(
            None,
            supabase_core::auth::GetClaimsOptions::new().jwt_secret(stack().await.jwt_secret()),
        )
        .await
        .unwrap();
    assert_eq!(claims.claims["is_anonymous"], Value::Bool(true));
    assert_eq!(claims.claims["sub"], user.id.as_str());
    // Anonymous users are `authenticated` for RLS.
    c.table("todos")
        .insert(json!({"task": "anon task"}))
        .await
        .unwrap();
    let updated = c
        .auth()
        .update_user(UserAttributes::new().data(json!({"hello": "world"})))
        .await
        .unwrap();
    assert_eq!(updated.user_metadata["hello"], "world");
    assert_eq!(updated.user_metadata["theme"], "dark");
    let session = c.auth().get_session().await.unwrap().unwrap();
    assert_eq!(
        session.user.user_metadata["hello"], "world",
        "the session's user is updated"
    );
}

#[tokio::test]
async fn resend_and_reauthenticate_reach_the_mailbox() {
    let c = anon().await;
    let address = email("resend");
    c.auth()
        .sign_up(SignUpCredentials::email(&address, PASSWORD))
        .await
        .unwrap();
    let mailbox = stack().await.mailbox();
    let before = mailbox.messages(&address).len();
    // A second email within `max_frequency` (1 s) would be refused, as by GoTrue.
    supabase_tests::allow_resend(stack().await, &address).await;
    c.auth()
        .resend(ResendCredentials::email(OtpType::Signup, &address))
        .await
        .unwrap();
    assert_eq!(mailbox.messages(&address).len(), before + 1);
    let otp = mailbox.latest_otp(&address).unwrap();
    c.auth()
        .verify_otp(VerifyOtpParams::email(&address, otp, OtpType::Signup))
        .await
        .unwrap();
    c.auth().reauthenticate().await.unwrap();
    assert_eq!(
        mailbox.latest(&address).unwrap().kind,
        MessageKind::Reauthentication
    );
    let identities = c.auth().get_user_identities().await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].provider, "email");
    // The only identity cannot be unlinked (manual linking is off on the stand-in by default).
    assert!(c.auth().unlink_identity(&identities[0]).await.is_err());
}

#[tokio::test]
async fn wrong_password_and_tampered_tokens_are_typed_errors() {
    let c = anon().await;
    let address = email("bad");
    signed_up_user(&c, &address).await;
    let err = anon()
        .await
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "wrong password",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&err),
        Some(ErrorCode::InvalidCredentials),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));

    let token = c.auth().get_session().await.unwrap().unwrap().access_token;
    let mut tampered = token.expose().to_owned();
    tampered.pop();
    tampered.push(if token.expose().ends_with('A') {
        'B'
    } else {
        'A'
    });
    let err = c.auth().get_user_by_jwt(&tampered).await.unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::BadJwt), "{err:?}");
    let err = c.auth().get_user_by_jwt("not-a-jwt").await.unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::BadJwt), "{err:?}");
    let err = c
        .auth()
        .get_claims(
            Some(&tampered),
            supabase_core::auth::GetClaimsOptions::new().jwt_secret(stack().await.jwt_secret()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Auth(AuthError::InvalidJwt(_))),
        "{err:?}"
    );
}

/// Opens `link` as a browser would (without following the redirect); returns the `Location`.
async fn open_link(link: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(link).send().await.unwrap();
    resp.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no redirect from {link}: {}", resp.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// Signs a phone user up with `credentials`, checks that no session came back and that the
/// confirmation code went out over `channel`, and returns the code.
async fn phone_signed_up(
    c: &Client,
    number: &str,
    credentials: SignUpCredentials,
    channel: &str,
) -> String {
    let res = c.auth().sign_up(credentials).await.unwrap();
    assert!(
        res.session.is_none(),
        "phone confirmation required: {res:?}"
    );
    let message = stack()
        .await
        .mailbox()
        .latest(number)
        .expect("a confirmation message");
    assert_eq!(
        (message.kind, message.channel.as_str()),
        (MessageKind::PhoneOtp, channel)
    );
    message.otp
}

#[tokio::test]
async fn phone_sign_up_resend_sms_then_password_sign_in() {
    let c = anon().await;
    let number = phone();
    let digits = number.trim_start_matches('+');
    let mailbox = stack().await.mailbox();
    let first = phone_signed_up(
        &c,
        &number,
        SignUpCredentials::phone(&number, PASSWORD),
        "sms",
    )
    .await;
    let err = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(&number, PASSWORD))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&err),
        Some(ErrorCode::PhoneNotConfirmed),
        "{err:?}"
    );

    // Resending replaces the code: the first one stops working, the new one confirms (once
    // `max_frequency`, 5 s for SMS, has passed).
    supabase_tests::allow_resend(stack().await, &number).await;
    let sent = c
        .auth()
        .resend(ResendCredentials::phone(OtpType::Sms, &number))
        .await
        .unwrap();
    assert!(sent.message_id.is_some(), "{sent:?}");
    let messages = mailbox.messages(&number);
    assert_eq!(messages.len(), 2);
    let second = messages[1].clone();
    assert_eq!(second.kind, MessageKind::PhoneOtp);
    assert_ne!(second.otp, first, "a new code");
    let err = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(&number, &first, OtpType::Sms))
        .await
        .unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::OtpExpired), "{err:?}");
    let session = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(&number, &second.otp, OtpType::Sms))
        .await
        .unwrap()
        .session
        .expect("confirmed and signed in");
    assert_eq!(session.user.phone.as_deref(), Some(digits));
    assert!(session.user.phone_confirmed_at.is_some());

    // A confirmed phone gets nothing more (`resend.go`).
    let sent = c
        .auth()
        .resend(ResendCredentials::phone(OtpType::Sms, &number))
        .await
        .unwrap();
    assert_eq!(sent.message_id, None);
    assert_eq!(mailbox.messages(&number).len(), 2);

    // Phone and password sign in on another client, which then is the user for RLS.
    let d = anon().await;
    let err = d
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(
            &number,
            "wrong password",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&err),
        Some(ErrorCode::InvalidCredentials),
        "{err:?}"
    );
    let res = d
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(&number, PASSWORD))
        .await
        .unwrap();
    assert_eq!(res.user.unwrap().id, session.user.id);
    d.table("todos")
        .insert(json!({"task": "phone task"}))
        .await
        .unwrap();
    assert_eq!(
        d.table("todos").select("task").await.unwrap().data,
        json!([{"task": "phone task"}])
    );
}

#[tokio::test]
async fn resend_signup_email_with_a_redirect() {
    let c = anon().await;
    let address = email("resend-redirect");
    let mailbox = stack().await.mailbox();
    c.auth()
        .sign_up(SignUpCredentials::email(&address, PASSWORD))
        .await
        .unwrap();
    let first = mailbox.latest(&address).unwrap();
    let welcome = "http://127.0.0.1:3000/welcome";
    supabase_tests::allow_resend(stack().await, &address).await;
    c.auth()
        .resend(ResendCredentials::email(OtpType::Signup, &address).email_redirect_to(welcome))
        .await
        .unwrap();
    let second = mailbox.latest(&address).unwrap();
    assert_eq!(second.kind, MessageKind::Confirmation);
    let link = second.link.clone().expect("a link");
    let query: std::collections::HashMap<String, String> = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(query["redirect_to"], welcome, "{link}");
    assert_eq!(query["type"], "signup");

    // The first link's token was replaced; the new link confirms and lands on the redirect.
    let location = open_link(first.link.as_deref().unwrap()).await;
    assert!(location.contains("error_code=otp_expired"), "{location}");
    let location = open_link(&link).await;
    let fragment = location
        .strip_prefix(&format!("{welcome}#"))
        .unwrap_or_else(|| panic!("not sent to {welcome}: {location}"));
    let pairs: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect();
    let user = c
        .auth()
        .get_user_by_jwt(&pairs["access_token"])
        .await
        .unwrap();
    assert_eq!(user.email.as_deref(), Some(address.as_str()));
    assert!(user.email_confirmed_at.is_some());

    // A redirect that is not allowed falls back to the site URL (`GetReferrer`).
    let other = email("resend-elsewhere");
    c.auth()
        .sign_up(SignUpCredentials::email(&other, PASSWORD))
        .await
        .unwrap();
    supabase_tests::allow_resend(stack().await, &other).await;
    c.auth()
        .resend(
            ResendCredentials::email(OtpType::Signup, &other)
                .email_redirect_to("https://evil.example/steal"),
        )
        .await
        .unwrap();
    let link = mailbox.latest_link(&other).unwrap();
    let location = open_link(&link).await;
    assert!(
        location.starts_with("http://127.0.0.1:3000#access_token="),
        "{location}"
    );
}

#[tokio::test]
async fn whatsapp_otp_sign_in() {
    let c = anon().await;
    let number = phone();
    let mailbox = stack().await.mailbox();
    let mut user_id = None;
    // The first code signs the new user up, the second signs the now confirmed user in (both
    // kept in `confirmation_token`, so the second waits out `max_frequency`). The first goes
    // through `Signup`, whose answer GoTrue drops: no message id (`otp.go` `SmsOtp`).
    for first in [true, false] {
        supabase_tests::allow_resend(stack().await, &number).await;
        let sent = c
            .auth()
            .sign_in_with_otp(SignInWithOtpCredentials::phone(&number).channel(Channel::Whatsapp))
            .await
            .unwrap();
        assert_eq!(sent.message_id.is_none(), first, "{sent:?}");
        let message = mailbox.latest(&number).expect("a WhatsApp message");
        assert_eq!(message.channel, "whatsapp");
        assert_eq!(message.kind, MessageKind::PhoneOtp);
        let session = c
            .auth()
            .verify_otp(VerifyOtpParams::phone(&number, &message.otp, OtpType::Sms))
            .await
            .unwrap()
            .session
            .expect("signed in");
        assert_eq!(
            session.user.phone.as_deref(),
            Some(number.trim_start_matches('+'))
        );
        assert!(session.user.phone_confirmed_at.is_some());
        assert_eq!(
            *user_id.get_or_insert_with(|| session.user.id.clone()),
            session.user.id
        );
        c.auth().sign_out().await.unwrap();
    }
    assert_eq!(mailbox.messages(&number).len(), 2);
}

#[tokio::test]
async fn phone_sign_up_over_whatsapp_then_verify() {
    let c = anon().await;
    let number = phone();
    // The reference's `sign_up({"phone", "password", "options": {"channel": "whatsapp"}})`.
    let credentials: SignUpCredentials = serde_json::from_value(serde_json::json!({
        "phone": number, "password": PASSWORD, "options": {"channel": "whatsapp"}
    }))
    .unwrap();
    let otp = phone_signed_up(&c, &number, credentials, "whatsapp").await;
    let session = c
        .auth()
        .verify_otp(VerifyOtpParams::phone(&number, &otp, OtpType::Sms))
        .await
        .unwrap()
        .session
        .expect("signed in");
    assert!(session.user.phone_confirmed_at.is_some());
    c.auth().sign_out().await.unwrap();
    c.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::phone(&number, PASSWORD))
        .await
        .unwrap();
}

#[tokio::test]
async fn set_session_adopts_tokens_and_refreshes_expired_ones() {
    let a = anon().await;
    let address = email("set-session");
    signed_up_user(&a, &address).await;
    a.table("todos")
        .insert(json!({"task": "handed over"}))
        .await
        .unwrap();
    let handed = a.auth().get_session().await.unwrap().unwrap();

    // A valid pair is checked with the server and adopted: the other client is the user.
    let b = anon().await;
    let mut events = b.auth().auth_state_changes().await;
    assert_eq!(next(&mut events).await, AuthChangeEvent::InitialSession);
    let res = b
        .auth()
        .set_session(handed.access_token.expose(), handed.refresh_token.expose())
        .await
        .unwrap();
    assert_eq!(res.user.unwrap().id, handed.user.id);
    assert_eq!(next(&mut events).await, AuthChangeEvent::SignedIn);
    assert_eq!(
        b.table("todos").select("task").await.unwrap().data,
        json!([{"task": "handed over"}])
    );

    // An unexpired access token with a bad signature is refused by the server; nothing is kept.
    let c = anon().await;
    let mut tampered = handed.access_token.expose().to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let err = c
        .auth()
        .set_session(&tampered, handed.refresh_token.expose())
        .await
        .unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::BadJwt), "{err:?}");
    assert!(c.auth().get_session().await.unwrap().is_none());

    // An expired access token: the refresh token is used, and rotated by the server.
    let claims = a
        .auth()
        .get_claims(
            None,
            supabase_core::auth::GetClaimsOptions::new().jwt_secret(stack().await.jwt_secret()),
        )
        .await
        .unwrap()
        .claims;
    let mut expired_claims = claims.clone();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    expired_claims["exp"] = json!(now - 60);
    let expired = stack().await.mint_jwt(&expired_claims).unwrap();
    let d = anon().await;
    let res = d
        .auth()
        .set_session(&expired, handed.refresh_token.expose())
        .await
        .unwrap();
    let session = res.session.unwrap();
    assert_ne!(session.refresh_token, handed.refresh_token);
    assert_ne!(session.access_token.expose(), expired);
    assert_eq!(session.user.id, handed.user.id);
    assert_eq!(
        d.table("todos").select("task").await.unwrap().data,
        json!([{"task": "handed over"}])
    );
    // The refreshed token belongs to the same server session.
    let refreshed = d
        .auth()
        .get_claims(
            None,
            supabase_core::auth::GetClaimsOptions::new().jwt_secret(stack().await.jwt_secret()),
        )
        .await
        .unwrap()
        .claims;
    assert_eq!(refreshed["session_id"], claims["session_id"]);
}

#[tokio::test]
async fn sso_and_id_token_sign_ins_fail_as_gotrue_does_without_providers() {
    // The stand-in has no SAML identity provider and cannot verify ID tokens of real OIDC
    // providers, so it answers as GoTrue does when they are not configured.
    let c = anon().await;
    for credentials in [
        SignInWithSsoCredentials::provider_id("21648a9d-8d5a-4555-a9d1-d6375dc14e92"),
        SignInWithSsoCredentials::domain("company.com"),
    ] {
        let err = c.auth().sign_in_with_sso(credentials).await.unwrap_err();
        assert_eq!(
            auth_code(&err),
            Some(ErrorCode::SamlProviderDisabled),
            "{err:?}"
        );
        assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    }
    let err = c
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new(
            "google",
            "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&err),
        Some(ErrorCode::ProviderDisabled),
        "{err:?}"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    assert!(
        matches!(&err, Error::Auth(AuthError::Api { message, .. })
            if message == "Provider (issuer \"https://accounts.google.com\") is not enabled"),
        "{err:?}"
    );
    let err = c
        .auth()
        .sign_in_with_id_token(SignInWithIdTokenCredentials::new("myidp", "x.y.z"))
        .await
        .unwrap_err();
    assert_eq!(
        auth_code(&err),
        Some(ErrorCode::ValidationFailed),
        "{err:?}"
    );
    assert!(c.auth().get_session().await.unwrap().is_none());
}

/// A magic link of the PKCE flow (the default) lands on `redirect_to?code=..`:
/// `initialize_from_url` exchanges the code with the verifier this client stored, as auth-js
/// `_getSessionFromURL` does (it returned `None`, found by a user trial).
#[tokio::test]
async fn a_pkce_magic_link_redirect_is_adopted_by_initialize_from_url() {
    let c = anon().await;
    let address = email("pkce-url");
    signed_up_user(&c, &address).await;
    c.auth().sign_out().await.unwrap();

    c.auth()
        .sign_in_with_otp(SignInWithOtpCredentials::email(&address))
        .await
        .unwrap();
    let link = stack().await.mailbox().latest_link(&address).unwrap();
    let location = open_link(&link).await;
    assert!(location.contains("?code="), "{location}");
    let session = c
        .auth()
        .initialize_from_url(&location)
        .await
        .unwrap()
        .expect("a session from the code");
    assert_eq!(session.user.email.as_deref(), Some(address.as_str()));
    assert!(c.auth().get_session().await.unwrap().is_some());
    // The verifier is spent: the same URL again is an error, not a second session.
    assert!(c.auth().initialize_from_url(&location).await.is_err());
}

/// A session signed out elsewhere (here: a global sign-out on another device) is removed by
/// `get_user`, which emits `SIGNED_OUT`, as auth-js does on `session_not_found`.
#[tokio::test]
async fn get_user_removes_a_session_the_server_no_longer_knows() {
    let (a, b) = (anon().await, anon().await);
    let address = email("signed-out-elsewhere");
    signed_up_user(&a, &address).await;
    b.auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, PASSWORD))
        .await
        .unwrap();
    let mut events = b.auth().auth_state_changes().await;
    assert_eq!(next(&mut events).await, AuthChangeEvent::InitialSession);

    a.auth()
        .sign_out_with(supabase_core::auth::SignOutScope::Global)
        .await
        .unwrap();
    let err = b.auth().get_user().await.unwrap_err();
    assert_eq!(auth_code(&err), Some(ErrorCode::SessionNotFound), "{err:?}");
    assert!(
        matches!(&err, Error::Auth(e) if e.is_session_missing()),
        "{err:?}"
    );
    assert_eq!(next(&mut events).await, AuthChangeEvent::SignedOut);
    assert!(b.auth().get_session().await.unwrap().is_none());
    // Then no session here: the same question, the same answer.
    let err = b.auth().get_user().await.unwrap_err();
    assert!(
        matches!(&err, Error::Auth(e @ AuthError::SessionMissing) if e.is_session_missing()),
        "{err:?}"
    );
}

/// A right password that no longer meets the rules (here: set to three characters behind
/// GoTrue's back, as if the minimum had been raised since) signs in, with a warning.
#[tokio::test]
async fn a_weak_but_right_password_signs_in_with_a_warning() {
    let c = anon().await;
    let address = email("weak-password");
    signed_up_user(&c, &address).await;
    stack()
        .await
        .execute_sql(&format!(
            "update auth.users set encrypted_password = extensions.crypt('abc', extensions.gen_salt('bf')) \
             where email = '{address}'"
        ))
        .await
        .unwrap();
    let signed_in = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(&address, "abc"))
        .await
        .unwrap();
    assert!(signed_in.session.is_some());
    let weak = signed_in.weak_password.expect("a weak-password warning");
    assert_eq!(weak.reasons, ["length"]);
    assert_eq!(weak.message, "Password should be at least 6 characters.");

    // A strong password carries none.
    c.auth()
        .update_user(UserAttributes::new().password("long enough now"))
        .await
        .unwrap();
    let signed_in = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &address,
            "long enough now",
        ))
        .await
        .unwrap();
    assert_eq!(signed_in.weak_password, None);
}

/// A server that forwards its caller's token as the client's global `Authorization` header
/// (the Edge Function pattern) asks `get_user()` who the caller is, with no session of its own
/// (supabase-js `hasCustomAuthorizationHeader`). Without the header, no session is an error.
#[tokio::test]
async fn get_user_without_a_session_asks_about_a_global_authorization_header() {
    let stack = crate::stack().await;
    let address = crate::email("forwarded");
    let created = crate::service()
        .await
        .auth()
        .admin()
        .create_user(
            supabase_core::auth::AdminUserAttributes::new()
                .email(&address)
                .password("forwarded pass")
                .email_confirm(true),
        )
        .await
        .unwrap();
    let caller = crate::anon_on(stack, supabase_core::ClientOptions::default())
        .auth()
        .sign_in_with_password(supabase_core::auth::SignInWithPasswordCredentials::email(
            &address,
            "forwarded pass",
        ))
        .await
        .unwrap()
        .session
        .unwrap();
    let options = supabase_core::ClientOptions::default().header(
        "Authorization",
        format!("Bearer {}", caller.access_token.expose()),
    );
    let server = crate::anon_on(stack, options);
    assert_eq!(server.auth().get_user().await.unwrap().id, created.id);
    assert!(server.auth().get_session().await.unwrap().is_none());

    let plain = crate::anon_on(stack, supabase_core::ClientOptions::default());
    let err = plain.auth().get_user().await.unwrap_err();
    assert!(
        matches!(
            err,
            supabase_core::Error::Auth(supabase_core::auth::AuthError::SessionMissing)
        ),
        "{err:?}"
    );
}
