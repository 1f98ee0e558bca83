//! Settings, signup, password and refresh grants, /user, logout, RLS with minted tokens.

use reqwest::{Method, StatusCode};
use serde_json::json;
use supabase_local::AuthConfig;
use supabase_tests::reference_stack;

use super::*;

#[tokio::test]
async fn settings_health_and_jwks() {
    let stack = reference_stack().await;
    let r = call(stack, Method::GET, "/settings", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["external"]["email"], true);
    assert_eq!(r.body["external"]["google"], false);
    assert_eq!(r.body["mailer_autoconfirm"], true);
    assert_eq!(r.body["disable_signup"], false);
    let r = call(stack, Method::GET, "/health", None, None).await;
    assert_eq!(r.body["name"], "GoTrue");
    let r = call(stack, Method::GET, "/.well-known/jwks.json", None, None).await;
    assert_eq!(r.body, json!({"keys": []}));
}

#[tokio::test]
async fn requires_the_apikey_like_the_gateway() {
    let stack = reference_stack().await;
    let resp = reqwest::get(format!("{}/auth/v1/settings", stack.url()))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    assert_eq!(body["message"], "No API key found in request");
}

#[tokio::test]
async fn signup_returns_a_session_with_gotrue_claims() {
    let stack = reference_stack().await;
    let email = unique_email("signup");
    let s = post(
        stack,
        "/signup",
        json!({"email": email.to_uppercase(), "password": "secret-pw", "data": {"name": "Ann"}}),
    )
    .await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let s = s.body;
    assert_eq!(s["token_type"], "bearer");
    assert_eq!(s["expires_in"], 3600);
    assert!(s["refresh_token"].as_str().is_some_and(|t| !t.is_empty()));
    let user = &s["user"];
    assert_eq!(user["email"], email);
    assert_eq!(user["aud"], "authenticated");
    assert_eq!(user["role"], "authenticated");
    assert_eq!(user["phone"], "");
    assert_eq!(user["is_anonymous"], false);
    assert!(user["email_confirmed_at"].is_string());
    assert!(user["confirmed_at"].is_string());
    assert!(user["last_sign_in_at"].is_string());
    assert_eq!(
        user["app_metadata"],
        json!({"provider": "email", "providers": ["email"]})
    );
    // `user.Confirm` (autoconfirm) marks the metadata; `Signup` copies the data into the
    // identity's.
    assert_eq!(
        user["user_metadata"],
        json!({"name": "Ann", "email_verified": true})
    );
    let identities = user["identities"].as_array().unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0]["provider"], "email");
    assert_eq!(identities[0]["id"], user["id"]);
    assert_eq!(identities[0]["identity_data"]["email"], email);
    assert_eq!(identities[0]["identity_data"]["name"], "Ann");
    assert_eq!(identities[0]["identity_data"]["sub"], user["id"]);
    assert!(user.get("factors").is_none(), "omitempty: {user}");

    let c = claims(s["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], user["id"]);
    assert_eq!(c["aud"], "authenticated");
    assert_eq!(c["role"], "authenticated");
    assert_eq!(c["email"], email);
    assert_eq!(c["aal"], "aal1");
    assert_eq!(c["amr"][0]["method"], "password");
    assert_eq!(c["is_anonymous"], false);
    assert_eq!(c["iss"], format!("{}/auth/v1", stack.url()));
    assert_eq!(
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
        3600
    );
    assert_eq!(s["expires_at"], c["exp"]);
    assert!(c["session_id"].is_string());

    // The same address again: GoTrue's 422 user_already_exists (autoconfirm is on).
    let again = post(
        stack,
        "/signup",
        json!({"email": email, "password": "other-pw"}),
    )
    .await;
    assert_error(&again, 422, "user_already_exists");
}

/// GoTrue's password rules count bytes (Go's `len`) and stop at bcrypt's 72, for a user the
/// admin creates too; an empty password there is none, so it signs nobody in.
#[tokio::test]
async fn password_lengths_are_bytes_up_to_bcrypts_72() {
    let stack = reference_stack().await;
    let too_long = post(
        stack,
        "/signup",
        json!({"email": unique_email("long"), "password": "a".repeat(73)}),
    )
    .await;
    assert_error(&too_long, 400, "validation_failed");
    assert_eq!(
        too_long.body["msg"],
        "Password cannot be longer than 72 characters"
    );
    // Six bytes in three letters: long enough for the minimum of 6.
    signup(stack, &unique_email("accents"), "ééé").await;

    let admin = |body: serde_json::Value| {
        call(
            stack,
            Method::POST,
            "/admin/users",
            Some(stack.service_role_key()),
            Some(body),
        )
    };
    let weak_email = unique_email("admin-weak");
    let weak = admin(json!({"email": weak_email, "password": "123", "email_confirm": true})).await;
    assert_error(&weak, 422, "weak_password");
    let empty_email = unique_email("admin-empty");
    let empty = admin(json!({"email": empty_email, "password": "", "email_confirm": true})).await;
    assert_eq!(empty.status, StatusCode::OK, "{:?}", empty.body);
    let no_way_in = post(
        stack,
        "/token?grant_type=password",
        json!({"email": empty_email, "password": ""}),
    )
    .await;
    assert!(no_way_in.status.is_client_error(), "{:?}", no_way_in.body);
    let long =
        admin(json!({"email": unique_email("admin-long"), "password": "a".repeat(73)})).await;
    assert_error(&long, 400, "validation_failed");
}

#[tokio::test]
async fn signup_validation_errors() {
    let stack = reference_stack().await;
    let weak = post(
        stack,
        "/signup",
        json!({"email": unique_email("weak"), "password": "123"}),
    )
    .await;
    assert_error(&weak, 422, "weak_password");
    assert_eq!(weak.body["weak_password"]["reasons"], json!(["length"]));
    let bad = post(
        stack,
        "/signup",
        json!({"email": "not-an-email", "password": "secret-pw"}),
    )
    .await;
    assert_error(&bad, 400, "validation_failed");
    // GoTrue's `validateEmail` neither trims nor takes what checkmail's format refuses; its
    // phone check drops only a leading `+` and spaces.
    for email in [
        " padded@example.com",
        "a@exa_mple.com",
        "ü@example.com",
        "a@-example.com",
    ] {
        let r = post(
            stack,
            "/signup",
            json!({"email": email, "password": "secret-pw"}),
        )
        .await;
        assert_error(&r, 400, "validation_failed");
    }
    let phone = post(
        stack,
        "/signup",
        json!({"phone": "+1 (555) 010-2030", "password": "secret-pw"}),
    )
    .await;
    assert_error(&phone, 400, "validation_failed");
    let json_err = call_with(
        stack,
        Method::POST,
        "/signup",
        None,
        None,
        &[("content-type", "application/json")],
    )
    .await;
    // An empty body is `{}`: an anonymous sign-in.
    assert_eq!(json_err.status, StatusCode::OK, "{:?}", json_err.body);
}

#[tokio::test]
async fn password_grant_errors_and_api_versions() {
    let stack = reference_stack().await;
    let email = unique_email("pw");
    signup(stack, &email, "right-password").await;
    let ok = post(
        stack,
        "/token?grant_type=password",
        json!({"email": email, "password": "right-password"}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        claims(ok.body["access_token"].as_str().unwrap())["amr"][0]["method"],
        "password"
    );

    let wrong = post(
        stack,
        "/token?grant_type=password",
        json!({"email": email, "password": "wrong-password"}),
    )
    .await;
    assert_error(&wrong, 400, "invalid_credentials");
    assert_eq!(wrong.body["msg"], "Invalid login credentials");
    assert!(wrong.headers.get("x-supabase-api-version").is_none());
    assert_eq!(wrong.headers["x-sb-error-code"], "invalid_credentials");

    let unknown = post(
        stack,
        "/token?grant_type=password",
        json!({"email": unique_email("nobody"), "password": "whatever"}),
    )
    .await;
    assert_error(&unknown, 400, "invalid_credentials");

    // With the 2024-01-01 API version: `{code: <error code>, message}` and the header echoed.
    let v2024 = call_with(
        stack,
        Method::POST,
        "/token?grant_type=password",
        None,
        Some(json!({"email": email, "password": "wrong-password"})),
        &[("X-Supabase-Api-Version", "2024-01-01")],
    )
    .await;
    assert_eq!(v2024.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        v2024.body,
        json!({"code": "invalid_credentials", "message": "Invalid login credentials"})
    );
    assert_eq!(v2024.headers["x-supabase-api-version"], "2024-01-01");
    assert_eq!(v2024.headers["x-sb-error-code"], "invalid_credentials");
    // An OAuth-shaped error keeps its shape, but the version is echoed all the same.
    let oauth = call_with(
        stack,
        Method::POST,
        "/token?grant_type=refresh_token",
        None,
        Some(json!({"refresh_token": ""})),
        &[("X-Supabase-Api-Version", "2024-01-01")],
    )
    .await;
    assert_eq!(oauth.status, StatusCode::BAD_REQUEST);
    assert_eq!(oauth.body["error"], "invalid_request", "{:?}", oauth.body);
    assert_eq!(oauth.headers["x-supabase-api-version"], "2024-01-01");
    assert!(oauth.headers.get("x-sb-error-code").is_none());

    let grant = post(stack, "/token?grant_type=magic", json!({})).await;
    assert_error(&grant, 400, "invalid_credentials");
    assert_eq!(grant.body["msg"], "unsupported_grant_type");
}

#[tokio::test]
async fn refresh_rotates_and_tolerates_a_lost_response() {
    let stack = reference_stack().await;
    let s = signup(stack, &unique_email("refresh"), "secret-pw").await;
    let first = s["refresh_token"].as_str().unwrap();
    let r = post(
        stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": first}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let second = r.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    assert_eq!(r.body["user"]["id"], s["user"]["id"]);
    let c = claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(
        c["session_id"],
        claims(s["access_token"].as_str().unwrap())["session_id"]
    );

    // The client lost that response and retries with the old token: the same child comes back.
    let retry = post(
        stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": first}),
    )
    .await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.body["refresh_token"], second);

    let missing = post(stack, "/token?grant_type=refresh_token", json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["error"], "invalid_request");
    let unknown = post(
        stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": "no-such-token"}),
    )
    .await;
    assert_error(&unknown, 400, "refresh_token_not_found");
}

#[tokio::test]
async fn reuse_of_a_rotated_token_revokes_the_session() {
    let mut config = AuthConfig::default();
    config.refresh_token_reuse_interval = short(0);
    let stack = stack_with(config).await;
    let s = signup(&stack, &unique_email("reuse"), "secret-pw").await;
    let t1 = s["refresh_token"].as_str().unwrap();
    let r2 = post(
        &stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": t1}),
    )
    .await;
    let t2 = r2.body["refresh_token"].as_str().unwrap().to_owned();
    let r3 = post(
        &stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": t2}),
    )
    .await;
    assert_eq!(r3.status, StatusCode::OK);
    let t3 = r3.body["refresh_token"].as_str().unwrap().to_owned();
    // t1 is neither the active token nor its parent, and the reuse interval is over.
    let reused = post(
        &stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": t1}),
    )
    .await;
    assert_error(&reused, 400, "refresh_token_already_used");
    assert_eq!(reused.body["msg"], "Invalid Refresh Token: Already Used");
    // The whole family is revoked: the newest token is dead too.
    let after = post(
        &stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": t3}),
    )
    .await;
    assert_error(&after, 400, "refresh_token_already_used");
}

/// A reused token revokes its family without touching its own timestamp (GoTrue's
/// `RevokeTokenFamily`: `… where session_id = ? and revoked = false`): presented again, it is
/// still outside the reuse interval, so the session does not come back.
#[tokio::test]
async fn a_reused_token_stays_refused_when_presented_again() {
    let stack = reference_stack().await;
    let s = signup(stack, &unique_email("reuse-again"), "secret-pw").await;
    let t1 = s["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |token: String| async move {
        post(
            stack,
            "/token?grant_type=refresh_token",
            json!({"refresh_token": token}),
        )
        .await
    };
    let t2 = refresh(t1.clone()).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r3 = refresh(t2).await;
    assert_eq!(r3.status, StatusCode::OK);
    let t3 = r3.body["refresh_token"].as_str().unwrap().to_owned();
    // t1 was rotated 20 s ago: past the default 10 s reuse interval.
    stack
        .execute_sql(&format!(
            "update auth.refresh_tokens set updated_at = now() - interval '20 seconds' \
             where token = '{t1}'"
        ))
        .await
        .unwrap();
    for _ in 0..2 {
        let reused = refresh(t1.clone()).await;
        assert_error(&reused, 400, "refresh_token_already_used");
    }
    // (t3, revoked with the family just now, is inside its own reuse window, as in GoTrue's
    // `RefreshTokenGrant`, so it is not checked here.)
    let _ = t3;
}

#[tokio::test]
async fn get_and_update_user() {
    let stack = reference_stack().await;
    let s = signup(stack, &unique_email("user"), "secret-pw").await;
    let token = s["access_token"].as_str().unwrap();
    let me = call(stack, Method::GET, "/user", Some(token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], s["user"]["id"]);

    let updated = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"data": {"theme": "dark"}, "password": "new-secret"})),
    )
    .await;
    assert_eq!(updated.status, StatusCode::OK, "{:?}", updated.body);
    assert_eq!(updated.body["user_metadata"]["theme"], "dark");
    let same = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"password": "new-secret"})),
    )
    .await;
    assert_error(&same, 422, "same_password");
    // An address taken by someone else is refused before the password is looked at.
    let other = unique_email("user-taken");
    signup(stack, &other, "secret-pw").await;
    let taken = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"email": other, "password": "new-secret"})),
    )
    .await;
    assert_error(&taken, 422, "email_exists");
    // `app_metadata` is the admin's: a user sending it is refused, and nothing changes.
    let app = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"app_metadata": {"plan": "pro"}, "data": {"theme": "light"}})),
    )
    .await;
    assert_error(&app, 403, "not_admin");
    let me = call(stack, Method::GET, "/user", Some(token), None).await;
    assert_eq!(me.body["user_metadata"]["theme"], "dark");
    assert!(me.body["app_metadata"].get("plan").is_none());
    // GoTrue's `isAdmin`: a user whose own role is `admin` may.
    stack
        .execute_sql(&format!(
            "update auth.users set role = 'admin' where id = '{}'",
            s["user"]["id"].as_str().unwrap()
        ))
        .await
        .unwrap();
    let app = call(
        stack,
        Method::PUT,
        "/user",
        Some(token),
        Some(json!({"app_metadata": {"plan": "pro"}})),
    )
    .await;
    assert_eq!(app.status, StatusCode::OK, "{:?}", app.body);
    assert_eq!(app.body["app_metadata"]["plan"], "pro");
    let signin = post(
        stack,
        "/token?grant_type=password",
        json!({"email": s["user"]["email"], "password": "new-secret"}),
    )
    .await;
    assert_eq!(signin.status, StatusCode::OK);

    // Only the anon key as bearer: no `sub`.
    let anon = call(stack, Method::GET, "/user", Some(stack.anon_key()), None).await;
    assert_error(&anon, 403, "bad_jwt");
    let tampered = format!("{token}x");
    let bad = call(stack, Method::GET, "/user", Some(&tampered), None).await;
    assert_error(&bad, 403, "bad_jwt");

    // The claims `maybeLoadUserOrSession` reads (supabase/auth `internal/api/auth.go`).
    let sub = s["user"]["id"].as_str().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let get_user = |claims: Value| async move {
        let token = stack.mint_jwt(&claims).unwrap();
        call(stack, Method::GET, "/user", Some(&token), None).await
    };
    let base = json!({"role": "authenticated", "exp": now + 600});
    let with = |extra: Value| {
        let mut c = base.clone();
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    // Not valid yet (`nbf` ahead): refused as a bad token, as golang-jwt does.
    let early = get_user(with(json!({"sub": sub, "nbf": now + 3600}))).await;
    assert_error(&early, 403, "bad_jwt");
    let not_uuid = get_user(with(json!({"sub": "abc"}))).await;
    assert_error(&not_uuid, 400, "bad_jwt");
    let bad_session = get_user(with(json!({"sub": sub, "session_id": "x"}))).await;
    assert_error(&bad_session, 403, "bad_jwt");
    let no_session = get_user(with(json!({
        "sub": sub,
        "session_id": "00000000-0000-0000-0000-000000000000"
    })))
    .await;
    assert_eq!(no_session.status, StatusCode::OK, "{:?}", no_session.body);
    let gone = get_user(with(json!({
        "sub": sub,
        "session_id": "6a1c9a52-5c0d-4c52-9a64-0c8d2b3f4e71"
    })))
    .await;
    assert_error(&gone, 403, "session_not_found");
}

#[tokio::test]
async fn logout_scopes_revoke_sessions() {
    let stack = reference_stack().await;
    let email = unique_email("logout");
    let a = signup(stack, &email, "secret-pw").await;
    let login = |_: ()| {
        post(
            stack,
            "/token?grant_type=password",
            json!({"email": email, "password": "secret-pw"}),
        )
    };
    let b = login(()).await.body;
    let c = login(()).await.body;
    let token = |s: &Value| s["access_token"].as_str().unwrap().to_owned();

    // others: b and c end, a lives.
    let r = call(
        stack,
        Method::POST,
        "/logout?scope=others",
        Some(&token(&a)),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(stack, Method::GET, "/user", Some(&token(&a)), None)
            .await
            .status,
        StatusCode::OK
    );
    let gone = call(stack, Method::GET, "/user", Some(&token(&b)), None).await;
    assert_error(&gone, 403, "session_not_found");
    let refresh = post(
        stack,
        "/token?grant_type=refresh_token",
        json!({"refresh_token": c["refresh_token"]}),
    )
    .await;
    assert_error(&refresh, 400, "refresh_token_not_found");

    // local: only a's session.
    let d = login(()).await.body;
    let r = call(
        stack,
        Method::POST,
        "/logout?scope=local",
        Some(&token(&a)),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_error(
        &call(stack, Method::GET, "/user", Some(&token(&a)), None).await,
        403,
        "session_not_found",
    );
    assert_eq!(
        call(stack, Method::GET, "/user", Some(&token(&d)), None)
            .await
            .status,
        StatusCode::OK
    );

    // global (default): everything.
    let e = login(()).await.body;
    let r = call(stack, Method::POST, "/logout", Some(&token(&d)), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_error(
        &call(stack, Method::GET, "/user", Some(&token(&e)), None).await,
        403,
        "session_not_found",
    );

    let bad = call(
        stack,
        Method::POST,
        "/logout?scope=everyone",
        Some(&token(&e)),
        None,
    )
    .await;
    assert_error(&bad, 400, "validation_failed");
}

#[tokio::test]
async fn anonymous_sign_in() {
    let stack = reference_stack().await;
    let r = post(stack, "/signup", json!({"data": {"guest": true}})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["user"]["is_anonymous"], true);
    assert_eq!(r.body["user"]["email"], "");
    assert_eq!(r.body["user"]["identities"], json!([]));
    let c = claims(r.body["access_token"].as_str().unwrap());
    assert_eq!(c["is_anonymous"], true);
    assert_eq!(c["role"], "authenticated");
    assert_eq!(c["amr"][0]["method"], "anonymous");
}

/// The minted tokens are what PostgREST and RLS see: user A cannot read or change user B's rows.
#[tokio::test]
async fn rls_through_postgrest_with_minted_tokens() {
    let stack = reference_stack().await;
    let table = format!("auth_notes_{}", supabase_tests::unique_id());
    stack
        .execute_sql(&format!(
            "create table public.{table} (id bigint generated always as identity primary key, \
               owner uuid not null default auth.uid() references auth.users(id) on delete cascade, body text); \
             alter table public.{table} enable row level security; \
             create policy own on public.{table} for all to authenticated \
               using (owner = auth.uid()) with check (owner = auth.uid());"
        ))
        .await
        .unwrap();
    stack.reload_schema().await.unwrap();
    let a = signup(stack, &unique_email("rls-a"), "secret-pw").await;
    let b = signup(stack, &unique_email("rls-b"), "secret-pw").await;
    let rest = |token: &str, method: Method, query: &str, body: Option<Value>| {
        let client = reqwest::Client::new();
        let mut req = client
            .request(method, format!("{}/rest/v1/{table}{query}", stack.url()))
            .header("apikey", stack.anon_key())
            .header("Prefer", "return=representation")
            .bearer_auth(token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        async move {
            let resp = req.send().await.unwrap();
            (
                resp.status(),
                serde_json::from_str::<Value>(&resp.text().await.unwrap()).unwrap_or(Value::Null),
            )
        }
    };
    let ta = a["access_token"].as_str().unwrap();
    let tb = b["access_token"].as_str().unwrap();
    let (st, rows) = rest(ta, Method::POST, "", Some(json!({"body": "a's note"}))).await;
    assert_eq!(st, StatusCode::CREATED, "{rows}");
    assert_eq!(rows[0]["owner"], a["user"]["id"]);
    let (_, rows) = rest(tb, Method::POST, "", Some(json!({"body": "b's note"}))).await;
    assert_eq!(rows[0]["owner"], b["user"]["id"]);

    let (_, seen_by_a) = rest(ta, Method::GET, "?select=body", None).await;
    assert_eq!(seen_by_a, json!([{"body": "a's note"}]));
    // B's update of A's row matches nothing.
    let (_, changed) = rest(
        tb,
        Method::PATCH,
        "?body=eq.a's%20note",
        Some(json!({"body": "hacked"})),
    )
    .await;
    assert_eq!(changed, json!([]));
    // B cannot insert a row owned by A.
    let (st, _) = rest(
        tb,
        Method::POST,
        "",
        Some(json!({"body": "x", "owner": a["user"]["id"]})),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, still) = rest(ta, Method::GET, "?select=body", None).await;
    assert_eq!(still, json!([{"body": "a's note"}]));
}
