//! No password, token or key in any `Debug` output or log line of the auth client.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use supabase_core::auth::{
    AdminUserAttributes, GenerateLinkParams, SignInWithIdTokenCredentials,
    SignInWithPasswordCredentials, SignUpCredentials, UserAttributes, VerifyOtpParams,
};
use supabase_core::{Client, ClientOptions};
use tracing_subscriber::fmt::MakeWriter;

use crate::mock::{MockGoTrue, Reply, now, session_json};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn secrets_never_reach_debug_output_or_logs() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(captured.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = MockGoTrue::start().await;
    // Other tests on other threads, with no subscriber, may register a callsite (the
    // `supabase.http` span) while this subscriber registers, and leave it cached as disabled
    // (tracing-core computes a callsite's interest once, from the subscribers it saw): ask
    // again now that this one is in place.
    tracing::callsite::rebuild_interest_cache();
    mock.on("POST /auth/v1/token", |r| {
        match r.param("grant_type").as_deref() {
            Some("password") => Reply::ok(session_json(1, 3600, now() - 5)),
            _ => {
                let mut s = session_json(2, 3600, now() + 3600);
                s["provider_token"] = json!("provider-token-secret");
                s["provider_refresh_token"] = json!("provider-refresh-secret");
                Reply::ok(s)
            }
        }
    });
    mock.on("POST /auth/v1/admin/generate_link", |_| {
        let mut u = crate::mock::user_json("u1");
        u["action_link"] = json!("http://x/verify?token=hashed-token-secret");
        u["email_otp"] = json!("otp-secret-123");
        u["hashed_token"] = json!("hashed-token-secret");
        u["redirect_to"] = json!("http://x");
        u["verification_type"] = json!("magiclink");
        Reply::ok(u)
    });
    let key = "eyJhbGciOiJIUzI1NiJ9.service-key-secret.sig";
    let c = Client::new(
        mock.url(),
        key,
        ClientOptions::default().auto_refresh_token(false),
    )
    .unwrap();
    // That rebuild misses the callsite when another thread is registering it at that moment
    // (it computed "nobody listens" before this subscriber existed; seen in CI). Once a request
    // has gone through it, the callsite is registered for good: rebuild again.
    let _ = c.from_("warm_up").select("*").await;
    tracing::callsite::rebuild_interest_cache();
    let signed_in = c
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            "a@example.com",
            "hunter2-password",
        ))
        .await
        .unwrap();
    let refreshed = c.auth().get_session().await.unwrap().unwrap();
    let link = c
        .auth()
        .admin()
        .generate_link(GenerateLinkParams::magiclink("a@example.com"))
        .await
        .unwrap();
    let built = c.table("t").select("*").build().unwrap();

    let mut secrets = vec![
        key.to_owned(),
        "service-key-secret".to_owned(),
        "hunter2-password".to_owned(),
        "provider-token-secret".to_owned(),
        "provider-refresh-secret".to_owned(),
        "otp-secret-123".to_owned(),
        "refresh-1".to_owned(),
        "refresh-2".to_owned(),
        "captcha-secret".to_owned(),
        "nonce-secret".to_owned(),
        "id-token-secret".to_owned(),
        "hashed-token-secret".to_owned(),
    ];
    let first = signed_in.session.as_ref().unwrap();
    secrets.push(first.access_token.expose().to_owned());
    secrets.push(refreshed.access_token.expose().to_owned());
    assert_eq!(
        refreshed.provider_token.as_ref().map(|t| t.expose()),
        Some("provider-token-secret"),
        "the value is there, only hidden"
    );

    let debug = [
        format!("{signed_in:?}"),
        format!("{refreshed:?}"),
        format!("{link:?}"),
        format!("{c:?}"),
        format!("{:?}", c.auth()),
        format!("{built:?}"),
        format!(
            "{:?}",
            SignUpCredentials::email("a@b.c", "hunter2-password").captcha_token("captcha-secret")
        ),
        format!(
            "{:?}",
            SignInWithPasswordCredentials::email("a@b.c", "hunter2-password")
        ),
        format!(
            "{:?}",
            SignInWithIdTokenCredentials::new("google", "id-token-secret").nonce("nonce-secret")
        ),
        format!(
            "{:?}",
            UserAttributes::new()
                .password("hunter2-password")
                .nonce("nonce-secret")
        ),
        format!(
            "{:?}",
            AdminUserAttributes::new()
                .password("hunter2-password")
                .nonce("nonce-secret")
        ),
        format!(
            "{:?}",
            VerifyOtpParams::email(
                "a@b.c",
                "otp-secret-123",
                supabase_core::auth::OtpType::Email
            )
        ),
    ];
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("supabase.http"), "the capture works: {logs}");
    for text in debug.iter().chain([&logs]) {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "`{secret}` leaked in: {text}"
            );
        }
    }
}
