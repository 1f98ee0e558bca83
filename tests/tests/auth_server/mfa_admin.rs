//! MFA with real TOTP codes, and the admin API.

use reqwest::{Method, StatusCode};
use serde_json::json;
use supabase_tests::reference_stack;
use totp_rs::{Algorithm, Secret, TOTP};

use super::*;

async fn admin(stack: &Stack, method: Method, path: &str, body: Option<Value>) -> Resp {
    call(stack, method, path, Some(stack.service_role_key()), body).await
}

/// The current code of a base32 TOTP secret (RFC 6238, SHA-1, 6 digits, 30 s).
fn totp_code(secret: &str) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes, None, "test".into())
        .unwrap()
        .generate_current()
        .unwrap()
}

#[tokio::test]
async fn totp_enroll_challenge_verify_gives_aal2() {
    let stack = reference_stack().await;
    let email = unique_email("mfa");
    let s = signup(stack, &email, "secret-pw").await;
    let token = s["access_token"].as_str().unwrap().to_owned();
    let enrolled = call(
        stack,
        Method::POST,
        "/factors",
        Some(&token),
        Some(json!({"factor_type": "totp", "friendly_name": "phone app", "issuer": "supabase-local"})),
    )
    .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{:?}", enrolled.body);
    let factor_id = enrolled.body["id"].as_str().unwrap().to_owned();
    assert_eq!(enrolled.body["type"], "totp");
    let secret = enrolled.body["totp"]["secret"].as_str().unwrap().to_owned();
    let uri = enrolled.body["totp"]["uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/supabase-local:"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    // The SVG itself, as `mfa.go` sends it (clients make it a data URI).
    let qr = enrolled.body["totp"]["qr_code"].as_str().unwrap();
    assert!(qr.starts_with('<') && qr.contains("<svg"), "{qr}");

    let dup = call(
        stack,
        Method::POST,
        "/factors",
        Some(&token),
        Some(json!({"factor_type": "totp", "friendly_name": "phone app"})),
    )
    .await;
    assert_error(&dup, 422, "mfa_factor_name_conflict");

    let challenge = call(
        stack,
        Method::POST,
        &format!("/factors/{factor_id}/challenge"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(challenge.status, StatusCode::OK, "{:?}", challenge.body);
    assert_eq!(challenge.body["type"], "totp");
    assert!(challenge.body["expires_at"].is_i64());
    let challenge_id = challenge.body["id"].as_str().unwrap().to_owned();

    let code = totp_code(&secret);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = call(
        stack,
        Method::POST,
        &format!("/factors/{factor_id}/verify"),
        Some(&token),
        Some(json!({"challenge_id": challenge_id, "code": wrong})),
    )
    .await;
    assert_error(&bad, 422, "mfa_verification_failed");

    let ok = call(
        stack,
        Method::POST,
        &format!("/factors/{factor_id}/verify"),
        Some(&token),
        Some(json!({"challenge_id": challenge_id, "code": totp_code(&secret)})),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    let c = claims(ok.body["access_token"].as_str().unwrap());
    assert_eq!(c["aal"], "aal2");
    let methods: Vec<&str> = c["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["method"].as_str().unwrap())
        .collect();
    assert!(
        methods.contains(&"totp") && methods.contains(&"password"),
        "{methods:?}"
    );
    assert_eq!(ok.body["user"]["factors"][0]["status"], "verified");
    assert_eq!(ok.body["user"]["factors"][0]["friendly_name"], "phone app");

    // Unenrolling a verified factor needs an aal2 session: a new password session is refused.
    let other = post(
        stack,
        "/token?grant_type=password",
        json!({"email": email, "password": "secret-pw"}),
    )
    .await;
    let aal1 = other.body["access_token"].as_str().unwrap();
    assert_eq!(claims(aal1)["aal"], "aal1");
    let refused = call(
        stack,
        Method::DELETE,
        &format!("/factors/{factor_id}"),
        Some(aal1),
        None,
    )
    .await;
    assert_error(&refused, 422, "insufficient_aal");
    // ...and so is enrolling another factor from it.
    let refused = call(
        stack,
        Method::POST,
        "/factors",
        Some(aal1),
        Some(json!({"factor_type": "totp"})),
    )
    .await;
    assert_error(&refused, 403, "insufficient_aal");
    let aal2 = ok.body["access_token"].as_str().unwrap();
    let gone = call(
        stack,
        Method::DELETE,
        &format!("/factors/{factor_id}"),
        Some(aal2),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::OK, "{:?}", gone.body);
    assert_eq!(gone.body["id"], factor_id);
    let unknown = call(
        stack,
        Method::POST,
        &format!("/factors/{factor_id}/challenge"),
        Some(aal2),
        None,
    )
    .await;
    assert_error(&unknown, 404, "mfa_factor_not_found");
}

#[tokio::test]
async fn phone_factor_code_arrives_by_sms() {
    let stack = reference_stack().await;
    let s = signup(stack, &unique_email("mfa-phone"), "secret-pw").await;
    let token = s["access_token"].as_str().unwrap().to_owned();
    let phone = format!("+4479{:08}", supabase_tests::unique_id());
    let f = call(
        stack,
        Method::POST,
        "/factors",
        Some(&token),
        Some(json!({"factor_type": "phone", "phone": phone})),
    )
    .await;
    assert_eq!(f.status, StatusCode::OK, "{:?}", f.body);
    let fid = f.body["id"].as_str().unwrap().to_owned();
    let ch = call(
        stack,
        Method::POST,
        &format!("/factors/{fid}/challenge"),
        Some(&token),
        None,
    )
    .await;
    let code = stack.mailbox().latest_otp(&phone).expect("an SMS");
    let ok = call(
        stack,
        Method::POST,
        &format!("/factors/{fid}/verify"),
        Some(&token),
        Some(json!({"challenge_id": ch.body["id"], "code": code})),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(
        claims(ok.body["access_token"].as_str().unwrap())["aal"],
        "aal2"
    );
}

/// `enrollTOTPFactor` / `enrollPhoneFactor` / `validateFactors` / `VerifyFactor`
/// (internal/api/mfa.go): the name first, then at most ten factors (422), counted after
/// expired enrollments go; a verified phone is not enrolled twice and an unverified one is
/// replaced; a code is required; unknown and used challenges are refused; verifying drops
/// the pending factors of its own type only.
#[tokio::test]
async fn mfa_enrollment_limits_and_challenge_reuse_follow_gotrue() {
    let stack = reference_stack().await;
    let enroll = |token: String, body: Value| async move {
        call(stack, Method::POST, "/factors", Some(&token), Some(body)).await
    };
    let factors = |email: String| async move {
        stack
            .query_json(&format!(
                "select f.factor_type::text as kind, f.status::text as status \
                 from auth.mfa_factors f join auth.users u on u.id = f.user_id \
                 where u.email = '{email}' order by f.created_at"
            ))
            .await
            .unwrap()
    };

    let s = signup(stack, &unique_email("mfa-many"), "secret-pw").await;
    let token = s["access_token"].as_str().unwrap().to_owned();
    for i in 0..10 {
        let r = enroll(
            token.clone(),
            json!({"factor_type": "totp", "friendly_name": format!("app {i}")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{i}: {:?}", r.body);
    }
    let eleventh = enroll(
        token.clone(),
        json!({"factor_type": "totp", "friendly_name": "app 10"}),
    )
    .await;
    assert_error(&eleventh, 422, "too_many_enrolled_mfa_factors");
    let phone = format!("+4479{:08}", supabase_tests::unique_id());
    let by_phone = enroll(
        token.clone(),
        json!({"factor_type": "phone", "phone": phone}),
    )
    .await;
    assert_error(&by_phone, 422, "too_many_enrolled_mfa_factors");
    // The name is checked before the limits.
    let same_name = enroll(
        token.clone(),
        json!({"factor_type": "totp", "friendly_name": "app 0"}),
    )
    .await;
    assert_error(&same_name, 422, "mfa_factor_name_conflict");
    // An enrollment never challenged expires after five minutes, and goes before counting.
    stack
        .execute_sql(&format!(
            "update auth.mfa_factors set created_at = now() - interval '6 minutes' \
             where friendly_name = 'app 9' and user_id = '{}'",
            s["user"]["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let after_expiry = enroll(
        token.clone(),
        json!({"factor_type": "totp", "friendly_name": "app 10"}),
    )
    .await;
    assert_eq!(
        after_expiry.status,
        StatusCode::OK,
        "{:?}",
        after_expiry.body
    );

    let email = unique_email("mfa-phone-twice");
    let s = signup(stack, &email, "secret-pw").await;
    let token = s["access_token"].as_str().unwrap().to_owned();
    let phone = format!("+4479{:08}", supabase_tests::unique_id());
    let first = enroll(
        token.clone(),
        json!({"factor_type": "phone", "phone": phone}),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    // The same phone, unverified: replaced.
    let again = enroll(
        token.clone(),
        json!({"factor_type": "phone", "phone": phone}),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.body);
    // No `totp` in a phone factor's answer, and the phone as it was sent.
    assert_eq!(again.body.get("totp"), None, "{:?}", again.body);
    assert_eq!(again.body["phone"], phone.as_str());
    // Go compares names as strings: an unnamed factor's "" is taken by the unnamed phone.
    let unnamed = enroll(token.clone(), json!({"factor_type": "totp"})).await;
    assert_error(&unnamed, 422, "mfa_factor_name_conflict");
    assert_eq!(
        unnamed.body["msg"],
        "A factor with the friendly name \"\" for this user already exists"
    );
    let totp = enroll(
        token.clone(),
        json!({"factor_type": "totp", "friendly_name": "authenticator"}),
    )
    .await;
    assert_eq!(totp.status, StatusCode::OK, "{:?}", totp.body);
    assert_eq!(
        factors(email.clone()).await,
        json!([{"kind": "phone", "status": "unverified"}, {"kind": "totp", "status": "unverified"}])
    );
    let fid = again.body["id"].as_str().unwrap().to_owned();
    let ch = call(
        stack,
        Method::POST,
        &format!("/factors/{fid}/challenge"),
        Some(&token),
        None,
    )
    .await;
    let code = stack.mailbox().latest_otp(&phone).expect("an SMS");
    let verify = |body: Value| {
        let (token, fid) = (token.clone(), fid.clone());
        async move {
            call(
                stack,
                Method::POST,
                &format!("/factors/{fid}/verify"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let empty = verify(json!({"challenge_id": ch.body["id"], "code": ""})).await;
    assert_error(&empty, 400, "validation_failed");
    // `validateChallenge` and `loadFactor`: an unknown challenge is 422, a malformed one
    // fails the body's decoding, a malformed factor id is 404.
    let unknown =
        verify(json!({"challenge_id": "00000000-0000-4000-8000-000000000000", "code": "1"})).await;
    assert_error(&unknown, 422, "mfa_factor_not_found");
    let malformed = verify(json!({"challenge_id": "nope", "code": "1"})).await;
    assert_error(&malformed, 400, "bad_json");
    let no_factor = call(
        stack,
        Method::POST,
        "/factors/nope/verify",
        Some(&token),
        Some(json!({"challenge_id": ch.body["id"], "code": "1"})),
    )
    .await;
    assert_error(&no_factor, 404, "validation_failed");
    assert_eq!(no_factor.body["msg"], "factor_id must be an UUID");
    let ok = verify(json!({"challenge_id": ch.body["id"], "code": code})).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    // The pending TOTP factor stays: only pending phone factors go.
    assert_eq!(
        factors(email.clone()).await,
        json!([{"kind": "phone", "status": "verified"}, {"kind": "totp", "status": "unverified"}])
    );
    let aal2 = ok.body["access_token"].as_str().unwrap().to_owned();
    let reused = call(
        stack,
        Method::POST,
        &format!("/factors/{fid}/verify"),
        Some(&aal2),
        Some(json!({"challenge_id": ch.body["id"], "code": code})),
    )
    .await;
    assert_error(&reused, 422, "mfa_ip_address_mismatch");
    assert_eq!(
        reused.body["msg"],
        "Challenge and verify IP addresses mismatch."
    );
    let twice = enroll(aal2, json!({"factor_type": "phone", "phone": phone})).await;
    assert_error(&twice, 422, "mfa_verified_factor_exists");
}

#[tokio::test]
async fn admin_requires_the_service_role() {
    let stack = reference_stack().await;
    let r = call(
        stack,
        Method::GET,
        "/admin/users",
        Some(stack.anon_key()),
        None,
    )
    .await;
    assert_error(&r, 403, "not_admin");
    let s = signup(stack, &unique_email("not-admin"), "secret-pw").await;
    let r = call(
        stack,
        Method::GET,
        "/admin/users",
        s["access_token"].as_str(),
        None,
    )
    .await;
    assert_error(&r, 403, "not_admin");
}

#[tokio::test]
async fn admin_users_crud_and_paging() {
    let mut config = supabase_local::AuthConfig::default();
    config.signup_enabled = true;
    let stack = stack_with(config).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let r = admin(
            &stack,
            Method::POST,
            "/admin/users",
            Some(json!({"email": format!("user{i}@example.com"), "password": "secret-pw",
                        "email_confirm": true, "user_metadata": {"n": i}, "app_metadata": {"plan": "pro"}})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["app_metadata"]["plan"], "pro");
        assert_eq!(r.body["app_metadata"]["provider"], "email");
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let dup = admin(
        &stack,
        Method::POST,
        "/admin/users",
        Some(json!({"email": "user0@example.com"})),
    )
    .await;
    assert_error(&dup, 422, "email_exists");

    let page = admin(&stack, Method::GET, "/admin/users?page=1&per_page=2", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["x-total-count"], "5");
    let link = page.headers["link"].to_str().unwrap();
    assert_eq!(
        link,
        "</admin/users?page=2&per_page=2>; rel=\"next\", </admin/users?page=3&per_page=2>; rel=\"last\""
    );
    assert_eq!(page.body["aud"], "authenticated");
    let users = page.body["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    // Newest first.
    assert_eq!(users[0]["email"], "user4@example.com");
    let last = admin(&stack, Method::GET, "/admin/users?page=3&per_page=2", None).await;
    assert_eq!(last.body["users"].as_array().unwrap().len(), 1);
    assert!(!last.headers["link"].to_str().unwrap().contains("next"));
    // Pages far past the end, and pages as large as an i64 allows: empty or whole, no overflow.
    let max = i64::MAX;
    for (query, rows, last) in [
        (format!("page={max}&per_page=2"), 0, "page=3&per_page=2"),
        (format!("page=2&per_page={max}"), 0, "page=1&per_page="),
        (format!("page=1&per_page={max}"), 5, "page=1&per_page="),
    ] {
        let r = admin(&stack, Method::GET, &format!("/admin/users?{query}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        assert_eq!(r.body["users"].as_array().unwrap().len(), rows, "{query}");
        let link = r.headers["link"].to_str().unwrap();
        assert!(link.contains(last), "{query}: {link}");
    }
    // `addPaginationHeaders`: the request's query kept (keys sorted), and page 0 as the last
    // page of nothing.
    let none = admin(&stack, Method::GET, "/admin/users?filter=nobody", None).await;
    assert_eq!(none.headers["x-total-count"], "0");
    assert_eq!(
        none.headers["link"].to_str().unwrap(),
        "</admin/users?filter=nobody&page=0>; rel=\"last\""
    );
    // `paginate`: Go's `strconv` wording; page 0 reads as page 1.
    for (query, msg) in [
        (
            "per_page=0",
            "Bad Pagination Parameters: per_page must be greater than 0",
        ),
        (
            "page=x",
            "Bad Pagination Parameters: strconv.ParseUint: parsing \"x\": invalid syntax",
        ),
        (
            "page=-1",
            "Bad Pagination Parameters: strconv.ParseUint: parsing \"-1\": invalid syntax",
        ),
    ] {
        let r = admin(&stack, Method::GET, &format!("/admin/users?{query}"), None).await;
        assert_error(&r, 400, "validation_failed");
        assert_eq!(r.body["msg"], msg, "{query}");
    }
    let zero = admin(&stack, Method::GET, "/admin/users?page=0&per_page=2", None).await;
    assert_eq!(zero.body["users"][0]["email"], "user4@example.com");

    let got = admin(
        &stack,
        Method::GET,
        &format!("/admin/users/{}", ids[1]),
        None,
    )
    .await;
    assert_eq!(got.body["email"], "user1@example.com");
    let missing = admin(
        &stack,
        Method::GET,
        "/admin/users/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    assert_error(&missing, 404, "user_not_found");

    let upd = admin(
        &stack,
        Method::PUT,
        &format!("/admin/users/{}", ids[1]),
        Some(json!({"user_metadata": {"n": null, "name": "B"}, "ban_duration": "24h"})),
    )
    .await;
    assert_eq!(upd.status, StatusCode::OK, "{:?}", upd.body);
    // `email_confirm` went through `user.Confirm`, which marked the metadata.
    assert_eq!(
        upd.body["user_metadata"],
        json!({"name": "B", "email_verified": true})
    );
    assert!(upd.body["banned_until"].is_string());
    let banned = post(
        &stack,
        "/token?grant_type=password",
        json!({"email": "user1@example.com", "password": "secret-pw"}),
    )
    .await;
    assert_error(&banned, 400, "user_banned");

    let soft = admin(
        &stack,
        Method::DELETE,
        &format!("/admin/users/{}", ids[2]),
        Some(json!({"should_soft_delete": true})),
    )
    .await;
    assert_eq!(soft.status, StatusCode::OK);
    let row = stack
        .query_json(&format!(
            "select deleted_at is not null as deleted, email from auth.users where id = '{}'",
            ids[2]
        ))
        .await
        .unwrap();
    assert_eq!(row[0]["deleted"], true);
    assert_ne!(row[0]["email"], "user2@example.com");
    let hard = admin(
        &stack,
        Method::DELETE,
        &format!("/admin/users/{}", ids[3]),
        None,
    )
    .await;
    assert_eq!(hard.status, StatusCode::OK);
    let gone = admin(
        &stack,
        Method::GET,
        &format!("/admin/users/{}", ids[3]),
        None,
    )
    .await;
    assert_error(&gone, 404, "user_not_found");
}

#[tokio::test]
async fn admin_generate_link_of_every_type_and_invite() {
    let stack = reference_stack().await;
    let email = unique_email("genlink");
    let signup_link = admin(
        stack,
        Method::POST,
        "/admin/generate_link",
        Some(json!({"type": "signup", "email": email, "password": "secret-pw"})),
    )
    .await;
    assert_eq!(signup_link.status, StatusCode::OK, "{:?}", signup_link.body);
    let b = &signup_link.body;
    assert_eq!(b["email"], email);
    assert_eq!(b["verification_type"], "signup");
    assert_eq!(b["email_otp"].as_str().unwrap().len(), 6);
    assert!(
        b["action_link"]
            .as_str()
            .unwrap()
            .contains(b["hashed_token"].as_str().unwrap())
    );
    assert!(b["redirect_to"].is_string());
    assert!(
        stack.mailbox().messages(&email).is_empty(),
        "generate_link sends nothing"
    );
    let v = post(
        stack,
        "/verify",
        json!({"type": "signup", "token_hash": b["hashed_token"]}),
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);

    for kind in ["magiclink", "recovery"] {
        let r = admin(
            stack,
            Method::POST,
            "/admin/generate_link",
            Some(json!({"type": kind, "email": email})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {:?}", r.body);
        assert_eq!(r.body["verification_type"], kind);
        let v = post(
            stack,
            "/verify",
            json!({"type": kind, "token_hash": r.body["hashed_token"]}),
        )
        .await;
        assert_eq!(v.status, StatusCode::OK, "{kind}: {:?}", v.body);
    }
    let new_email = unique_email("genlink-new");
    for kind in ["email_change_current", "email_change_new"] {
        let r = admin(
            stack,
            Method::POST,
            "/admin/generate_link",
            Some(json!({"type": kind, "email": email, "new_email": new_email})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {:?}", r.body);
        assert_eq!(r.body["verification_type"], kind);
        assert_eq!(r.body["new_email"], new_email);
    }
    let invitee = unique_email("invitee");
    let inv = admin(
        stack,
        Method::POST,
        "/admin/generate_link",
        Some(json!({"type": "invite", "email": invitee})),
    )
    .await;
    assert_eq!(inv.body["verification_type"], "invite");
    assert!(inv.body["invited_at"].is_string());
    let bad = admin(
        stack,
        Method::POST,
        "/admin/generate_link",
        Some(json!({"type": "nope", "email": invitee})),
    )
    .await;
    assert_error(&bad, 400, "validation_failed");
    assert_eq!(
        bad.body["msg"],
        "Invalid email action link type requested: nope"
    );

    // A magic link for an unknown address signs the user up (`adminGenerateLink`): a signup
    // link, verified as a signup, with a redirect escaped only because it holds `&` and `=`.
    let newcomer = unique_email("newcomer");
    let magic = admin(
        stack,
        Method::POST,
        "/admin/generate_link",
        Some(json!({"type": "magiclink", "email": newcomer,
                    "redirect_to": "http://127.0.0.1:3000/cb?a=1&b=2"})),
    )
    .await;
    assert_eq!(magic.status, StatusCode::OK, "{:?}", magic.body);
    assert_eq!(magic.body["verification_type"], "signup");
    assert!(magic.body["email_confirmed_at"].is_null());
    let link = magic.body["action_link"].as_str().unwrap();
    assert!(
        link.contains(
            "&type=signup&redirect_to=http%3A%2F%2F127.0.0.1%3A3000%2Fcb%3Fa%3D1%26b%3D2"
        ),
        "{link}"
    );
    let v = post(
        stack,
        "/verify",
        json!({"type": "signup", "token_hash": magic.body["hashed_token"]}),
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    assert_eq!(v.body["user"]["email"], newcomer);
    // A redirect without `&`, `=` or `#` goes into the link as it is.
    let plain = admin(
        stack,
        Method::POST,
        "/admin/generate_link",
        Some(json!({"type": "recovery", "email": newcomer,
                    "redirect_to": "http://127.0.0.1:3000/reset"})),
    )
    .await;
    let link = plain.body["action_link"].as_str().unwrap();
    assert!(
        link.ends_with("&type=recovery&redirect_to=http://127.0.0.1:3000/reset"),
        "{link}"
    );
    // A signup link for a user who exists unconfirmed needs no password.
    let pending = unique_email("pending");
    for body in [
        json!({"type": "signup", "email": pending, "password": "secret-pw"}),
        json!({"type": "signup", "email": pending, "data": {"plan": "pro"}}),
    ] {
        let r = admin(stack, Method::POST, "/admin/generate_link", Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let no_password = admin(
        stack,
        Method::POST,
        "/admin/generate_link",
        Some(json!({"type": "signup", "email": unique_email("nopw")})),
    )
    .await;
    assert_error(&no_password, 400, "validation_failed");

    let invited = unique_email("invited");
    let r = admin(
        stack,
        Method::POST,
        "/invite",
        Some(json!({"email": invited, "data": {"team": "x"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["invited_at"].is_string());
    let msg = stack.mailbox().latest(&invited).unwrap();
    assert_eq!(msg.kind, supabase_local::MessageKind::Invite);
    let v = post(
        stack,
        "/verify",
        json!({"type": "invite", "email": invited, "token": msg.otp}),
    )
    .await;
    assert_eq!(v.status, StatusCode::OK, "{:?}", v.body);
    assert_eq!(v.body["user"]["user_metadata"]["team"], "x");
}

#[tokio::test]
async fn admin_lists_and_deletes_factors() {
    let stack = reference_stack().await;
    let s = signup(stack, &unique_email("admin-mfa"), "secret-pw").await;
    let token = s["access_token"].as_str().unwrap();
    let uid = s["user"]["id"].as_str().unwrap();
    let f = call(
        stack,
        Method::POST,
        "/factors",
        Some(token),
        Some(json!({"factor_type": "totp"})),
    )
    .await;
    let fid = f.body["id"].as_str().unwrap();
    let list = admin(
        stack,
        Method::GET,
        &format!("/admin/users/{uid}/factors"),
        None,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body[0]["id"], fid);
    assert_eq!(list.body[0]["status"], "unverified");
    assert_eq!(list.body[0]["factor_type"], "totp");
    let del = admin(
        stack,
        Method::DELETE,
        &format!("/admin/users/{uid}/factors/{fid}"),
        None,
    )
    .await;
    assert_eq!(del.status, StatusCode::OK);
    assert_eq!(del.body["id"], fid);
    let list = admin(
        stack,
        Method::GET,
        &format!("/admin/users/{uid}/factors"),
        None,
    )
    .await;
    assert_eq!(list.body, json!([]));
}
