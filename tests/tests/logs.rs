//! No secret in any log line of the client *or the local stack*, with every library logging at
//! `TRACE` (tokio-postgres logs each statement's parameters at `DEBUG`; the gateway logs upstream
//! failures). One test in its own binary, because the logger it installs is process-wide: the
//! stack's services run on threads the test does not own.

use supabase_core::auth::{
    AdminUserAttributes, EnrollParams, GenerateLinkParams, MfaChallengeAndVerifyParams, OtpType,
    ResetPasswordOptions, SignInWithOtpCredentials, SignInWithPasswordCredentials,
    SignUpCredentials, UserAttributes, VerifyOtpParams,
};
use supabase_core::{Client, ClientOptions};
use supabase_local::Stack;
use supabase_tests::capture::{Capture, leaks, log_text};
use totp_rs::{Algorithm, Secret, TOTP};
use tracing_subscriber::layer::SubscriberExt;

const PASSWORD: &str = "first-password-3141";
const NEW_PASSWORD: &str = "second-password-2718";
const ADMIN_PASSWORD: &str = "admin-password-1618";

fn totp(secret: &str) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes, None, String::new())
        .generate_current()
        .unwrap()
}

/// The `code` query parameter of the redirect `link` answers with.
async fn code_from(link: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(link).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_a_log_line_of_the_client_or_the_stack() {
    let captured = Capture::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();
    tracing_log::LogTracer::init().unwrap();

    let stack = Stack::builder()
        .project_dir(supabase_tests::fixture("auth"))
        .auth_confirmations(true)
        .start()
        .await
        .expect("local stack");
    let mailbox = stack.mailbox();
    // (What, value.) Six-digit codes are left out: they are too short to search for without
    // false matches, and only their hashes are stored (those are searched for).
    let mut secrets: Vec<(&str, String)> = vec![
        ("password", PASSWORD.into()),
        ("new password", NEW_PASSWORD.into()),
        ("admin-set password", ADMIN_PASSWORD.into()),
        ("anon key", stack.anon_key().into()),
        ("service_role key", stack.service_role_key().into()),
        ("JWT secret", stack.jwt_secret().into()),
    ];

    let anon = || Client::new(stack.url(), stack.anon_key(), ClientOptions::default()).unwrap();
    let service = Client::new(
        stack.url(),
        stack.service_role_key(),
        ClientOptions::default()
            .auto_refresh_token(false)
            .persist_session(false),
    )
    .unwrap();

    // Sign up, confirm with the mailed code, sign in, refresh.
    let c = anon();
    let address = "logs@example.com";
    let mailed_hash = |secrets: &mut Vec<(&str, String)>| {
        let hash = mailbox.latest(address).unwrap().token_hash;
        secrets.push(("a mailed link's token hash", hash.expect("a link")));
    };
    c.auth()
        .sign_up(SignUpCredentials::email(address, PASSWORD))
        .await
        .unwrap();
    mailed_hash(&mut secrets);
    let otp = mailbox.latest_otp(address).unwrap();
    c.auth()
        .verify_otp(VerifyOtpParams::email(address, otp, OtpType::Signup))
        .await
        .unwrap();
    c.auth().sign_out().await.unwrap();
    let signed_in = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(address, PASSWORD))
        .await
        .unwrap()
        .session
        .unwrap();
    let refreshed = c.auth().refresh_session().await.unwrap().session.unwrap();
    for s in [&signed_in, &refreshed] {
        secrets.push(("access token", s.access_token.expose().into()));
        secrets.push(("refresh token", s.refresh_token.expose().into()));
    }

    // MFA: the factor's secret.
    let enrolled = c.auth().mfa().enroll(EnrollParams::totp()).await.unwrap();
    let factor_secret = enrolled.totp.unwrap().secret.expose().to_owned();
    let code = totp(&factor_secret);
    secrets.push(("TOTP factor secret", factor_secret));
    c.auth()
        .mfa()
        .challenge_and_verify(MfaChallengeAndVerifyParams::new(&enrolled.id, code))
        .await
        .unwrap();
    c.auth()
        .update_user(UserAttributes::new().password(NEW_PASSWORD))
        .await
        .unwrap();
    c.auth().mfa().unenroll(&enrolled.id).await.unwrap();
    c.auth().sign_out().await.unwrap();

    // Recovery and a magic link, both through PKCE (the codes travel in redirect URLs).
    c.auth()
        .reset_password_for_email(address, ResetPasswordOptions::new())
        .await
        .unwrap();
    let link = mailbox.latest_link(address).unwrap();
    let code = code_from(&link).await;
    mailed_hash(&mut secrets);
    secrets.push(("PKCE authorization code", code.clone()));
    c.auth().exchange_code_for_session(&code).await.unwrap();
    c.auth().sign_out().await.unwrap();
    // The magic link shares recovery's send time; a second within `max_frequency` is refused.
    supabase_tests::allow_resend(&stack, address).await;
    c.auth()
        .sign_in_with_otp(SignInWithOtpCredentials::email(address))
        .await
        .unwrap();
    mailed_hash(&mut secrets);
    let otp = mailbox.latest_otp(address).unwrap();
    let session = c
        .auth()
        .verify_otp(VerifyOtpParams::email(address, otp, OtpType::Email))
        .await
        .unwrap()
        .session
        .unwrap();
    secrets.push(("refresh token", session.refresh_token.expose().into()));

    // Admin: a user with a password, and a generated link.
    let admin = service.auth().admin();
    admin
        .create_user(
            AdminUserAttributes::new()
                .email("logs-admin@example.com")
                .password(ADMIN_PASSWORD)
                .email_confirm(true),
        )
        .await
        .unwrap();
    let generated = admin
        .generate_link(GenerateLinkParams::magiclink("logs-admin@example.com"))
        .await
        .unwrap();
    let hashed = generated.properties.hashed_token.expose();
    secrets.push(("generated link's token hash", hashed.into()));

    // Storage: a signed URL's token, used once.
    service.storage().create_bucket("logs").await.unwrap();
    let files = service.storage().from_("logs");
    files.upload("a.txt", b"alpha").await.unwrap();
    let signed = files.create_signed_url("a.txt", 60).await.unwrap();
    let token = url::Url::parse(&signed)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1
        .into_owned();
    secrets.push(("signed URL token", token));
    assert_eq!(
        reqwest::get(&signed).await.unwrap().text().await.unwrap(),
        "alpha"
    );

    // Realtime: a join carrying the session's token.
    let channel = c.channel("logs");
    channel.subscribe().await.unwrap();
    c.remove_channel(&channel).await.unwrap();

    let records = captured.take();
    // The capture sees the libraries that would leak: tokio-postgres's statements with their
    // parameters (the stack's), and the client's request spans.
    let has = |needle: &str| records.iter().any(|r| r.text.contains(needle));
    assert!(has("with parameters"), "tokio-postgres's DEBUG records");
    assert!(has("span supabase.http"), "the client's spans");
    let logs = log_text(&records);
    let leaks = leaks(&[("the logs", &logs)], &secrets);
    assert!(
        leaks.is_empty(),
        "{} leak(s):\n{}",
        leaks.len(),
        leaks.join("\n\n")
    );
}
