//! Confirmation, OTP, magic link, recovery and PKCE flows through the mailbox.

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::json;
use supabase_local::{AuthConfig, MessageKind};
use supabase_tests::reference_stack;
use tokio::sync::OnceCell;

use super::*;

/// A stack where email and phone signups must be confirmed.
async fn confirming() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            let mut c = AuthConfig::default();
            c.email_confirmations = true;
            c.phone_confirmations = true;
            stack_with(c).await
        })
        .await
}

fn query_param(url: &str, key: &str) -> Option<String> {
    let parsed = url::Url::parse(&url.replace('#', "?")).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn signup_confirmation_by_code() {
    let stack = confirming().await;
    let email = unique_email("confirm");
    let r = post(
        stack,
        "/signup",
        json!({"email": email, "password": "secret-pw"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // No session: the user object itself, unconfirmed.
    assert!(r.body.get("access_token").is_none());
    assert_eq!(r.body["email"], email);
    assert!(r.body.get("email_confirmed_at").is_none());
    assert!(r.body["confirmation_sent_at"].is_string());

    let denied = post(
        stack,
        "/token?grant_type=password",
        json!({"email": email, "password": "secret-pw"}),
    )
    .await;
    assert_error(&denied, 400, "email_not_confirmed");

    let msg = stack
        .mailbox()
        .latest(&email)
        .expect("a confirmation email");
    assert_eq!(msg.kind, MessageKind::Confirmation);
    assert_eq!(msg.otp.len(), 6);
    let wrong = post(
        stack,
        "/verify",
        json!({"type": "signup", "email": email, "token": "000000"}),
    )
    .await;
    if msg.otp != "000000" {
        assert_error(&wrong, 403, "otp_expired");
    }
    let ok = post(
        stack,
        "/verify",
        json!({"type": "email", "email": email, "token": msg.otp}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert!(ok.body["user"]["email_confirmed_at"].is_string());
    assert_eq!(
        claims(ok.body["access_token"].as_str().unwrap())["amr"][0]["method"],
        "otp"
    );
    // Used once.
    let again = post(
        stack,
        "/verify",
        json!({"type": "email", "email": email, "token": msg.otp}),
    )
    .await;
    assert_error(&again, 403, "otp_expired");
    let signin = post(
        stack,
        "/token?grant_type=password",
        json!({"email": email, "password": "secret-pw"}),
    )
    .await;
    assert_eq!(signin.status, StatusCode::OK);
}

#[tokio::test]
async fn signup_confirmation_link_redirects_with_the_session() {
    let stack = confirming().await;
    let email = unique_email("link");
    post(
        stack,
        "/signup?redirect_to=http://127.0.0.1:3000/welcome",
        json!({"email": email, "password": "secret-pw"}),
    )
    .await;
    let link = stack.mailbox().latest_link(&email).expect("a link");
    assert!(
        link.starts_with(&format!("{}/auth/v1/verify?token=", stack.url())),
        "{link}"
    );
    assert_eq!(query_param(&link, "type").as_deref(), Some("signup"));
    // Links are opened in a browser: no apikey.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(&link).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://127.0.0.1:3000/welcome#access_token="),
        "{location}"
    );
    assert_eq!(query_param(&location, "type").as_deref(), Some("signup"));
    assert_eq!(
        query_param(&location, "token_type").as_deref(),
        Some("bearer")
    );
    let access = query_param(&location, "access_token").unwrap();
    assert_eq!(claims(&access)["email"], email);
    // The second click: the error in the fragment.
    let resp = client.get(&link).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        query_param(&location, "error_code").as_deref(),
        Some("otp_expired")
    );
    assert_eq!(
        query_param(&location, "error").as_deref(),
        Some("access_denied")
    );
}

#[tokio::test]
async fn magic_link_and_email_otp_sign_in() {
    let stack = reference_stack().await;
    let email = unique_email("otp");
    let r = post(stack, "/otp", json!({"email": email, "create_user": false})).await;
    assert_error(&r, 422, "otp_disabled");
    let r = post(
        stack,
        "/otp",
        json!({"email": email, "data": {"via": "otp"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({}));
    let msg = stack.mailbox().latest(&email).expect("an email");
    assert_eq!(msg.kind, MessageKind::MagicLink);
    let s = post(
        stack,
        "/verify",
        json!({"type": "email", "email": email, "token": msg.otp}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["user"]["user_metadata"]["via"], "otp");

    // Again, now with the token hash (as from the link) and type magiclink (a second email
    // within a second would be refused: see `limits.rs`).
    supabase_tests::allow_resend(stack, &email).await;
    let r = post(stack, "/otp", json!({"email": email})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let msg = stack.mailbox().latest(&email).unwrap();
    let s = post(
        stack,
        "/verify",
        json!({"type": "magiclink", "token_hash": msg.token_hash}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    // GoTrue's `verifyPost` issues every session with `models.OTP`.
    assert_eq!(
        claims(s.body["access_token"].as_str().unwrap())["amr"][0]["method"],
        "otp"
    );
}

/// `magic_link.go`: an address not yet confirmed goes through `Signup` first, in a transaction
/// of its own; under autoconfirm (this stack) that confirms and signs the user in, and the magic
/// link follows.
#[tokio::test]
async fn otp_to_an_unconfirmed_address_signs_it_up_first() {
    let stack = reference_stack().await;
    let user_row = |email: String| async move {
        stack
            .query_json(&format!(
                "select email_confirmed_at is not null as confirmed, \
                   last_sign_in_at is not null as signed_in, \
                   (select count(*) from auth.sessions s where s.user_id = u.id) as sessions \
                 from auth.users u where email = '{email}'"
            ))
            .await
            .unwrap()
    };
    // Made through the admin API without confirming: the OTP confirms it and sends the magic
    // link, not the confirmation email.
    let email = unique_email("unconfirmed");
    let r = call(
        stack,
        Method::POST,
        "/admin/users",
        Some(stack.service_role_key()),
        Some(json!({"email": email, "password": "secret-pw"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["email_confirmed_at"].is_null());
    let r = post(stack, "/otp", json!({"email": email, "create_user": false})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        stack.mailbox().latest(&email).unwrap().kind,
        MessageKind::MagicLink
    );
    assert_eq!(
        user_row(email.clone()).await,
        json!([{"confirmed": true, "signed_in": true, "sessions": 1}])
    );

    // A new address is signed up, and stays so when the magic link then fails (an unknown
    // PKCE method is GoTrue's 500 where the flow state is made).
    let email = unique_email("kept");
    let r = post(
        stack,
        "/otp",
        json!({"email": email, "code_challenge": "c".repeat(43), "code_challenge_method": "md5"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{:?}", r.body);
    assert!(stack.mailbox().latest(&email).is_none());
    assert_eq!(
        user_row(email).await,
        json!([{"confirmed": true, "signed_in": true, "sessions": 1}])
    );
}

#[tokio::test]
async fn sms_and_whatsapp_otp() {
    let stack = reference_stack().await;
    let phone = format!("+1555{:07}", supabase_tests::unique_id());
    let r = post(
        stack,
        "/otp",
        json!({"phone": phone, "channel": "whatsapp"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["message_id"].is_string());
    let msg = stack.mailbox().latest(&phone).expect("an SMS");
    assert_eq!(msg.channel, "whatsapp");
    let s = post(
        stack,
        "/verify",
        json!({"type": "sms", "phone": phone, "token": msg.otp}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["user"]["phone"], phone.trim_start_matches('+'));
    assert!(s.body["user"]["phone_confirmed_at"].is_string());
    let bad = post(stack, "/otp", json!({"phone": phone, "channel": "pigeon"})).await;
    assert_error(&bad, 400, "validation_failed");

    // `SmsOtp`, as the magic link: under autoconfirm (this stack) a number that is new or not
    // yet confirmed is signed up (confirmed, a session issued) before its code goes out.
    let digits = format!("1555{:07}", supabase_tests::unique_id());
    let r = call(
        stack,
        Method::POST,
        "/admin/users",
        Some(stack.service_role_key()),
        Some(json!({"phone": digits, "password": "secret-pw"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["phone_confirmed_at"].is_null());
    for number in [
        digits.clone(),
        format!("1555{:07}", supabase_tests::unique_id()),
    ] {
        let r = post(
            stack,
            "/otp",
            json!({"phone": number, "data": {"via": "sms"}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(r.body["message_id"].is_string(), "{:?}", r.body);
        let row = stack
            .query_json(&format!(
                "select phone_confirmed_at is not null as confirmed, \
                   (select count(*) from auth.sessions s where s.user_id = u.id) as sessions \
                 from auth.users u where phone = '{number}'"
            ))
            .await
            .unwrap();
        assert_eq!(row, json!([{"confirmed": true, "sessions": 1}]), "{number}");
        assert!(
            stack.mailbox().latest(&number).is_some(),
            "a code to {number}"
        );
    }
}

#[tokio::test]
async fn recovery_then_password_change() {
    let stack = reference_stack().await;
    let email = unique_email("recover");
    signup(stack, &email, "old-password").await;
    let r = post(stack, "/recover", json!({"email": email})).await;
    assert_eq!(r.status, StatusCode::OK);
    // Unknown addresses get the same answer and no mail.
    let nobody = unique_email("nobody");
    assert_eq!(
        post(stack, "/recover", json!({"email": nobody}))
            .await
            .status,
        StatusCode::OK
    );
    assert!(stack.mailbox().messages(&nobody).is_empty());
    let msg = stack.mailbox().latest(&email).unwrap();
    assert_eq!(msg.kind, MessageKind::Recovery);
    let s = post(
        stack,
        "/verify",
        json!({"type": "recovery", "email": email, "token": msg.otp}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let token = s.body["access_token"].as_str().unwrap();
    let u = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"password": "new-password"})),
    )
    .await;
    assert_eq!(u.status, StatusCode::OK);
    let old = post(
        stack,
        "/token?grant_type=password",
        json!({"email": email, "password": "old-password"}),
    )
    .await;
    assert_error(&old, 400, "invalid_credentials");
}

#[tokio::test]
async fn pkce_magic_link_gives_a_code_to_exchange() {
    use sha2_shim::challenge;
    let stack = reference_stack().await;
    let email = unique_email("pkce");
    signup(stack, &email, "secret-pw").await;
    let verifier = "a-code-verifier-that-is-long-enough-0123456789-abcdefghijklmnop";
    let r = post(
        stack,
        "/otp",
        json!({"email": email, "code_challenge": challenge(verifier), "code_challenge_method": "s256"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let link = stack.mailbox().latest_link(&email).unwrap();
    assert!(link.contains("token=pkce_"), "{link}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(&link).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let code = query_param(&location, "code").unwrap_or_else(|| panic!("{location}"));
    let bad = post(
        stack,
        "/token?grant_type=pkce",
        json!({"auth_code": code, "code_verifier": "wrong-verifier-wrong-verifier-wrong-verifier-00"}),
    )
    .await;
    assert_error(&bad, 400, "bad_code_verifier");
    // A magic link's flow state expires 5 minutes after the link was opened, whenever it was
    // asked for (GoTrue `FlowState.IsExpired`, `AuthCodeIssuedAt`): moved back in the database,
    // the code is 422, and usable again once it is not, though asked for 10 minutes ago.
    let age = |column: &'static str, interval: &'static str| {
        let code = code.clone();
        async move {
            stack
                .execute_sql(&format!(
                    "update auth.flow_state set {column} = now() - interval '{interval}' \
                     where auth_code = '{code}'"
                ))
                .await
                .unwrap();
        }
    };
    age("auth_code_issued_at", "10 minutes").await;
    let expired = post(
        stack,
        "/token?grant_type=pkce",
        json!({"auth_code": code, "code_verifier": verifier}),
    )
    .await;
    assert_error(&expired, 422, "flow_state_expired");
    age("auth_code_issued_at", "0 seconds").await;
    age("created_at", "10 minutes").await;
    let s = post(
        stack,
        "/token?grant_type=pkce",
        json!({"auth_code": code, "code_verifier": verifier}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    assert_eq!(s.body["user"]["email"], email);
    let reused = post(
        stack,
        "/token?grant_type=pkce",
        json!({"auth_code": code, "code_verifier": verifier}),
    )
    .await;
    assert_error(&reused, 404, "flow_state_not_found");

    // The link opened again: the error goes in the query too, for a server-side callback
    // that never sees the fragment (`prepErrorRedirectURL` for the PKCE flow), and the
    // fragment carries `sb`, marking a Supabase Auth redirect.
    let resp = client.get(&link).send().await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let (before, fragment) = location.split_once('#').unwrap();
    let expected = "error=access_denied&error_code=otp_expired\
                    &error_description=Email+link+is+invalid+or+has+expired";
    assert_eq!(
        before.split_once('?').map(|(_, q)| q),
        Some(expected),
        "{location}"
    );
    assert_eq!(fragment, format!("{expected}&sb="), "{location}");
}

/// Under autoconfirm (the default stack, as `supabase start`'s), one link completes an email
/// change: GoTrue's `emailChangeVerify` asks for both only when the project confirms emails.
#[tokio::test]
async fn email_change_under_autoconfirm_takes_one_link() {
    let stack = reference_stack().await;
    let email = unique_email("auto-old");
    let new_email = unique_email("auto-new");
    let s = signup(stack, &email, "secret-pw").await;
    let token = s["access_token"].as_str().unwrap();
    let u = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"email": new_email})),
    )
    .await;
    assert_eq!(u.status, StatusCode::OK, "{:?}", u.body);
    let to_new = stack.mailbox().latest(&new_email).unwrap();
    assert_eq!(to_new.kind, MessageKind::EmailChangeNew);
    let done = post(
        stack,
        "/verify",
        json!({"type": "email_change", "token_hash": to_new.token_hash}),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["user"]["email"], new_email);
}

#[tokio::test]
async fn email_change_needs_both_confirmations() {
    let stack = confirming().await;
    let email = unique_email("change-old");
    let new_email = unique_email("change-new");
    post(
        stack,
        "/signup",
        json!({"email": email, "password": "secret-pw"}),
    )
    .await;
    let otp = stack.mailbox().latest_otp(&email).unwrap();
    let s = post(
        stack,
        "/verify",
        json!({"type": "signup", "email": email, "token": otp}),
    )
    .await;
    let token = s.body["access_token"].as_str().unwrap().to_owned();
    let u = call(
        stack,
        Method::PUT,
        "/user",
        Some(&token),
        Some(json!({"email": new_email})),
    )
    .await;
    assert_eq!(u.status, StatusCode::OK, "{:?}", u.body);
    assert_eq!(u.body["new_email"], new_email);
    assert_eq!(u.body["email"], email);
    let to_new = stack.mailbox().latest(&new_email).unwrap();
    assert_eq!(to_new.kind, MessageKind::EmailChangeNew);
    let to_old = stack.mailbox().latest(&email).unwrap();
    assert_eq!(to_old.kind, MessageKind::EmailChangeCurrent);
    let first = post(
        stack,
        "/verify",
        json!({"type": "email_change", "token_hash": to_new.token_hash}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["code"], 200);
    assert!(
        first.body["msg"]
            .as_str()
            .unwrap()
            .contains("confirm link sent to the other email")
    );
    let second = post(
        stack,
        "/verify",
        json!({"type": "email_change", "token_hash": to_old.token_hash}),
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(second.body["user"]["email"], new_email);
}

#[tokio::test]
async fn reauthenticate_sends_a_nonce() {
    let mut c = AuthConfig::default();
    c.secure_password_change = true;
    let stack = stack_with(c).await;
    let email = unique_email("reauth");
    let s = signup(&stack, &email, "secret-pw").await;
    let token = s["access_token"].as_str().unwrap();
    let r = call(&stack, Method::GET, "/reauthenticate", Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let msg = stack.mailbox().latest(&email).unwrap();
    assert_eq!(msg.kind, MessageKind::Reauthentication);
    // A recent session needs no nonce (GoTrue asks for one only after 24 hours).
    let r = call(
        &stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"password": "next-pw", "nonce": msg.otp})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A day later, reauthentication is asked for before the password is compared with the
    // old one (`UserUpdate`'s order): the same password without a nonce is told to
    // reauthenticate, not that it is the same.
    stack
        .execute_sql(&format!(
            "update auth.sessions set created_at = now() - interval '25 hours' \
             where user_id = (select id from auth.users where email = '{email}')"
        ))
        .await
        .unwrap();
    let r = call(
        &stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"password": "next-pw"})),
    )
    .await;
    assert_error(&r, 400, "reauthentication_needed");
}

#[tokio::test]
async fn oauth_sso_and_id_token_answer_as_disabled() {
    let stack = reference_stack().await;
    let r = call(stack, Method::GET, "/authorize?provider=github", None, None).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(
        r.body["msg"],
        "Unsupported provider: provider is not enabled"
    );
    let r = post(stack, "/sso", json!({"domain": "example.com"})).await;
    assert_error(&r, 404, "saml_provider_disabled");
    let r = post(
        stack,
        "/token?grant_type=id_token",
        json!({"provider": "google", "id_token": "x.y.z"}),
    )
    .await;
    assert_error(&r, 400, "provider_disabled");
}

/// RFC 7636 S256: base64url(SHA-256(verifier)).
mod sha2_shim {
    use super::*;
    pub(super) fn challenge(verifier: &str) -> String {
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    }
}

/// GoTrue checks `code_challenge_method` only where it makes a flow state: an autoconfirmed
/// signup and a recovery for an unknown address take any method; a recovery email in the
/// PKCE flow with a method other than s256 or plain (in any case) fails with a 500 and sends
/// nothing.
#[tokio::test]
async fn an_unknown_code_challenge_method_fails_only_where_a_flow_state_is_made() {
    use sha2_shim::challenge;
    let stack = reference_stack().await;
    let email = unique_email("method");
    let pkce = |method: &str| {
        json!({"email": email, "code_challenge": challenge("a-verifier-long-enough-for-rfc-7636-0123456789"),
               "code_challenge_method": method})
    };
    let mut signup = pkce("s512");
    signup["password"] = json!("secret-pw");
    let r = post(stack, "/signup", signup).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.body["access_token"].is_string(),
        "autoconfirmed: {:?}",
        r.body
    );
    let mut unknown = pkce("s512");
    unknown["email"] = json!(unique_email("nobody"));
    let r = post(stack, "/recover", unknown).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    let r = post(stack, "/recover", pkce("s512")).await;
    assert_error(&r, 500, "unexpected_failure");
    assert_eq!(stack.mailbox().latest_link(&email), None, "nothing sent");
    let r = post(stack, "/recover", pkce("S256")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let link = stack.mailbox().latest_link(&email).unwrap();
    assert!(link.contains("token=pkce_"), "{link}");
}

/// `validateSignupParams`' statuses: parameter errors are 400, a weak password 422.
#[tokio::test]
async fn signup_parameter_errors_are_bad_requests() {
    let stack = reference_stack().await;
    let email = unique_email("params");
    let no_password = post(stack, "/signup", json!({"email": email})).await;
    assert_error(&no_password, 400, "validation_failed");
    assert_eq!(no_password.body["msg"], "Signup requires a valid password");
    let weak = post(stack, "/signup", json!({"email": email, "password": "abc"})).await;
    assert_error(&weak, 422, "weak_password");
    let both = post(
        stack,
        "/signup",
        json!({"email": email, "phone": "+15550000000", "password": "secret-pw"}),
    )
    .await;
    assert_error(&both, 400, "validation_failed");
    let bad_challenge = post(
        stack,
        "/signup",
        json!({"email": email, "password": "secret-pw", "code_challenge_method": "s256",
               "code_challenge": format!("{}!", "a".repeat(50))}),
    )
    .await;
    assert_error(&bad_challenge, 400, "validation_failed");
    assert_eq!(
        bad_challenge.body["msg"],
        "code challenge can only contain alphanumeric characters, hyphens, periods, underscores and tildes"
    );
}

/// `VerifyParams.Validate` and `verifyTokenHash` (`verify.go`): which parameters go together,
/// checked before any lookup, and the wording of each refusal.
#[tokio::test]
async fn verify_parameter_combinations_follow_gotrue() {
    let stack = reference_stack().await;
    let cases = [
        (
            json!({}),
            400,
            "validation_failed",
            "Verify requires a verification type",
        ),
        (
            json!({"type": "email"}),
            400,
            "validation_failed",
            "Verify requires either a token or a token hash",
        ),
        (
            json!({"type": "email", "token": "123456", "token_hash": "abc"}),
            400,
            "validation_failed",
            "Verify requires either a token or a token hash",
        ),
        (
            json!({"type": "email", "token_hash": "abc", "email": "a@example.com"}),
            400,
            "validation_failed",
            "Only the token_hash and type should be provided",
        ),
        (
            json!({"type": "email", "token_hash": "abc", "redirect_to": "http://localhost:3000"}),
            400,
            "validation_failed",
            "Only the token_hash and type should be provided",
        ),
        (
            json!({"type": "email", "token": "123456"}),
            400,
            "validation_failed",
            "Only an email address or phone number should be provided on verify",
        ),
        (
            json!({"type": "sms", "token": "123456", "email": "a@example.com", "phone": "+15555550100"}),
            400,
            "validation_failed",
            "Only an email address or phone number should be provided on verify",
        ),
        (
            json!({"type": "email", "token": "123456", "email": "not-an-email"}),
            422,
            "validation_failed",
            "Invalid email format",
        ),
        (
            json!({"type": "sms", "token_hash": "abc"}),
            400,
            "validation_failed",
            "Invalid email verification type",
        ),
        (
            json!({"type": "magiclink", "token_hash": "abc"}),
            403,
            "otp_expired",
            "Email link is invalid or has expired",
        ),
        (
            json!({"type": "bogus", "token": "123456", "email": "a@example.com"}),
            403,
            "otp_expired",
            "Token has expired or is invalid",
        ),
    ];
    for (body, status, code, msg) in cases {
        let r = post(stack, "/verify", body.clone()).await;
        assert_error(&r, status, code);
        assert_eq!(r.body["msg"], msg, "{body}");
    }
}

/// `reauthenticate.go`: a contact is needed, and it must be confirmed (the email when there
/// is one, else the phone), before anything is sent.
#[tokio::test]
async fn reauthenticate_needs_a_confirmed_contact() {
    let stack = reference_stack().await;
    let anonymous = post(stack, "/signup", json!({})).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{:?}", anonymous.body);
    let token = anonymous.body["access_token"].as_str().unwrap();
    let r = call(stack, Method::GET, "/reauthenticate", Some(token), None).await;
    assert_error(&r, 400, "validation_failed");
    assert_eq!(
        r.body["msg"],
        "Reauthentication requires the user to have an email or a phone number"
    );

    let email = unique_email("reauth-unconfirmed");
    let s = signup(stack, &email, "secret-pw").await;
    let token = s["access_token"].as_str().unwrap();
    stack
        .execute_sql(&format!(
            "update auth.users set email_confirmed_at = null where email = '{email}'"
        ))
        .await
        .unwrap();
    let r = call(stack, Method::GET, "/reauthenticate", Some(token), None).await;
    assert_error(&r, 422, "email_not_confirmed");
    assert_eq!(r.body["msg"], "Please verify your email first.");

    let phone = format!("+1555{:07}", supabase_tests::unique_id() % 10_000_000);
    let s = post(
        stack,
        "/signup",
        json!({"phone": phone, "password": "secret-pw"}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let token = s.body["access_token"].as_str().unwrap();
    let r = call(stack, Method::GET, "/reauthenticate", Some(token), None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["message_id"].is_string(), "{:?}", r.body);
    stack
        .execute_sql(&format!(
            "update auth.users set phone_confirmed_at = null where phone = '{}'",
            phone.trim_start_matches('+')
        ))
        .await
        .unwrap();
    let r = call(stack, Method::GET, "/reauthenticate", Some(token), None).await;
    assert_error(&r, 422, "phone_not_confirmed");
    assert_eq!(r.body["msg"], "Please verify your phone first.");
}

/// `ResendConfirmationParams.Validate` (`resend.go`), in its order, and the user looked up by
/// the address given whatever the type.
#[tokio::test]
async fn resend_parameters_follow_gotrue() {
    let stack = reference_stack().await;
    let email = unique_email("resend-params");
    let cases = [
        (
            json!({"type": "magiclink", "email": email}),
            "Missing one of these types: signup, email_change, sms, phone_change",
        ),
        (
            json!({"type": "signup", "phone": "+15555550100"}),
            "Type provided requires an email address",
        ),
        (
            json!({"type": "sms", "email": email}),
            "Type provided requires a phone number",
        ),
        (
            json!({"type": "email_change", "email": email, "phone": "+15555550100"}),
            "Only an email address or phone number should be provided.",
        ),
        (
            json!({"type": "phone_change"}),
            "Missing email address or phone number",
        ),
    ];
    for (body, msg) in cases {
        let r = post(stack, "/resend", body.clone()).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(r.body["msg"], msg, "{body}");
    }
    // Nothing pending for an unknown address: `{}`, for a phone type given an email too.
    let r = post(
        stack,
        "/resend",
        json!({"type": "phone_change", "email": email}),
    )
    .await;
    assert_eq!((r.status, r.body), (StatusCode::OK, json!({})));
}
