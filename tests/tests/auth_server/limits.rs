//! GoTrue's per-user send limits, request validation and redirect allow list on a stack with
//! signups and anonymous sign-ins off, a minute between sends (`max_frequency`), so the limits
//! are reached deterministically (moving `*_sent_at` back in the database lifts them), and two
//! allow-list globs.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use supabase_local::{AuthConfig, Stack};
use tokio::sync::OnceCell;

use crate::{assert_error, post, stack_with, unique_email};

async fn limited() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            let mut config = AuthConfig::default();
            config.signup_enabled = false;
            config.anonymous_sign_ins = false;
            config.email_max_frequency = Duration::from_secs(60);
            config.sms_max_frequency = Duration::from_secs(60);
            config.additional_redirect_urls =
                vec!["myapp://callback".into(), "http://localhost:4000/*".into()];
            stack_with(config).await
        })
        .await
}

/// A user made through the admin API (signups are off here).
async fn user(stack: &Stack, body: serde_json::Value) -> String {
    let r = crate::call(
        stack,
        Method::POST,
        "/admin/users",
        Some(stack.service_role_key()),
        Some(body),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

fn assert_too_soon(r: &crate::Resp, code: &str) {
    assert_error(r, 429, code);
    let msg = r.body["msg"].as_str().unwrap();
    let left: u32 = msg
        .strip_prefix("For security purposes, you can only request this after ")
        .and_then(|rest| rest.strip_suffix(" seconds."))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{msg}"));
    // The whole seconds left of the minute: 59 unless the test ran slowly.
    assert!((30..60).contains(&left), "{msg}");
}

/// `Signup` checks `DisableSignup` for an address that is registered but not confirmed, so the
/// OTP that would sign it up is refused and sends nothing.
#[tokio::test]
async fn with_signups_off_an_unconfirmed_address_gets_no_otp() {
    let stack = limited().await;
    let email = unique_email("unconfirmed");
    user(stack, json!({"email": email, "password": "secret-pw"})).await;
    let r = post(stack, "/otp", json!({"email": email})).await;
    assert_error(&r, 422, "signup_disabled");
    assert!(stack.mailbox().messages(&email).is_empty());
}

#[tokio::test]
async fn a_second_email_of_a_kind_within_max_frequency_is_refused() {
    let stack = limited().await;
    let email = unique_email("often");
    let id = user(
        stack,
        json!({"email": email, "password": "secret-pw", "email_confirm": true}),
    )
    .await;
    let recover = || post(stack, "/recover", json!({"email": email}));
    assert_eq!(recover().await.status, StatusCode::OK);
    assert_too_soon(&recover().await, "over_email_send_rate_limit");
    // A magic link keeps its token where recovery does, so it waits too.
    assert_too_soon(
        &post(stack, "/otp", json!({"email": email})).await,
        "over_email_send_rate_limit",
    );
    assert_eq!(
        stack.mailbox().messages(&email).len(),
        1,
        "nothing more was sent"
    );

    // Through the client: a typed auth error with the status.
    let client = supabase_core::create_client(stack.url(), stack.anon_key()).unwrap();
    let err = client
        .auth()
        .reset_password_for_email(&email, Default::default())
        .await
        .unwrap_err();
    let supabase_core::Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (auth.status().map(|s| s.as_u16()), auth.code()),
        (
            Some(429),
            Some(&supabase_core::auth::ErrorCode::OverEmailSendRateLimit)
        ),
        "{err}"
    );

    // Once the minute has passed (moved back in the database), it goes out.
    stack
        .execute_sql(&format!(
            "update auth.users set recovery_sent_at = now() - interval '61 seconds' where id = '{id}'"
        ))
        .await
        .unwrap();
    assert_eq!(recover().await.status, StatusCode::OK);
    assert_eq!(stack.mailbox().messages(&email).len(), 2);
}

#[tokio::test]
async fn a_second_sms_within_max_frequency_is_refused() {
    let stack = limited().await;
    let phone = format!("+1556{:07}", supabase_tests::unique_id());
    user(
        stack,
        json!({"phone": phone, "password": "secret-pw", "phone_confirm": true}),
    )
    .await;
    let otp = || post(stack, "/otp", json!({"phone": phone}));
    assert_eq!(otp().await.status, StatusCode::OK);
    assert_too_soon(&otp().await, "over_sms_send_rate_limit");
    assert_eq!(stack.mailbox().messages(&phone).len(), 1);
}

/// Invitations are not limited (`sendInvite` has no frequency check).
#[tokio::test]
async fn invitations_are_not_limited() {
    let stack = limited().await;
    let email = unique_email("invited");
    for _ in 0..2 {
        let r = crate::call(
            stack,
            Method::POST,
            "/invite",
            Some(stack.service_role_key()),
            Some(json!({"email": email})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(stack.mailbox().messages(&email).len(), 2);
}

/// `/signup` answers in GoTrue's order: without email and phone it is an anonymous sign-in
/// (its own setting decides first), then `DisableSignup`.
#[tokio::test]
async fn signup_refusals_come_in_gotrues_order() {
    let stack = limited().await;
    let anonymous = post(stack, "/signup", json!({})).await;
    assert_error(&anonymous, 422, "anonymous_provider_disabled");
    let with_email = post(
        stack,
        "/signup",
        json!({"email": unique_email("nope"), "password": "secret-pw"}),
    )
    .await;
    assert_error(&with_email, 422, "signup_disabled");
}

/// The `redirect_to` a recovery email links to, for a `/recover` with `query` and `headers`.
async fn recovery_redirect(stack: &Stack, query: &str, headers: &[(&str, &str)]) -> String {
    let email = unique_email("redirect");
    user(
        stack,
        json!({"email": email, "password": "secret-pw", "email_confirm": true}),
    )
    .await;
    let path = format!("/recover{query}");
    let body = Some(json!({"email": email}));
    let r = crate::call_with(stack, Method::POST, &path, None, body, headers).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let link = stack.mailbox().latest_link(&email).unwrap();
    link.rsplit_once("redirect_to=").unwrap().1.to_owned()
}

/// `redirect_to` is kept when it is the site URL's origin (the site is
/// `http://127.0.0.1:3000`, a localhost name, so any port), a loopback address, or matches an
/// allow-list entry as a glob (`*` stops at `/` and `.`); it is replaced by the site URL
/// otherwise, and always for a decimal-IP host, another scheme on the site's host is not the
/// site (GoTrue's `IsRedirectURLValid`).
#[tokio::test]
async fn redirects_are_matched_against_the_site_and_the_allow_list_globs() {
    let stack = limited().await;
    const SITE: &str = "http://127.0.0.1:3000";
    for (redirect, kept) in [
        ("http://localhost:4000/cb", true),
        ("myapp://callback", true),
        ("http://localhost:4000/a/b", false),
        ("http://localhost:4001/cb", false),
        ("http://127.0.0.1:3000/welcome", true),
        ("http://127.0.0.1:8080/cb", true),
        ("http://[::1]:9000/cb", true),
        ("http://2130706433/", false),
        ("http://example.com/cb", false),
        ("http://localhost:4000/%zz", false),
    ] {
        let query = format!("?redirect_to={}", urlencode(redirect));
        let sent = recovery_redirect(stack, &query, &[]).await;
        let expected = if kept { redirect } else { SITE };
        assert_eq!(sent, expected, "{redirect}");
    }
}

/// `GetReferrer`'s sources in order: a `redirect_to` header, else the query's; the `Referer`
/// when that is not allowed; the site URL last.
#[tokio::test]
async fn the_redirect_comes_from_the_header_the_query_or_the_referer() {
    let stack = limited().await;
    let query = format!("?redirect_to={}", urlencode("http://localhost:4000/query"));
    let header = [("redirect_to", "http://localhost:4000/header")];
    assert_eq!(
        recovery_redirect(stack, &query, &header).await,
        "http://localhost:4000/header"
    );
    let referer = [("referer", "http://localhost:4000/page")];
    assert_eq!(
        recovery_redirect(stack, "", &referer).await,
        "http://localhost:4000/page"
    );
    let bad_query = format!("?redirect_to={}", urlencode("https://evil.example/"));
    assert_eq!(
        recovery_redirect(stack, &bad_query, &referer).await,
        "http://localhost:4000/page"
    );
    let bad_referer = [("referer", "https://evil.example/page")];
    assert_eq!(
        recovery_redirect(stack, "", &bad_referer).await,
        "http://127.0.0.1:3000"
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
