//! The auth stand-in (`/auth/v1`) on the wire: raw HTTP against a local stack, checking GoTrue's
//! JSON shapes, status codes and error codes, and that minted tokens work with PostgREST and RLS.

mod flows;
mod limits;
mod mfa_admin;
mod session;

use std::time::Duration;

use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use supabase_local::{AuthConfig, Stack};

/// A response: status, headers and JSON body (`null` when empty).
#[derive(Debug)]
struct Resp {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

/// Sends `method path` under `/auth/v1` with the anon key, an optional bearer token and JSON body.
async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> Resp {
    call_with(stack, method, path, bearer, body, &[]).await
}

async fn call_with(
    stack: &Stack,
    method: Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Resp {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client
        .request(method, format!("{}/auth/v1{path}", stack.url()))
        .header("apikey", stack.anon_key());
    if let Some(b) = bearer {
        req = req.bearer_auth(b);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Resp {
        status,
        headers,
        body,
    }
}

async fn post(stack: &Stack, path: &str, body: Value) -> Resp {
    call(stack, Method::POST, path, None, Some(body)).await
}

/// Asserts a GoTrue error in the initial shape.
#[track_caller]
fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status.as_u16(), status, "{:?}", r.body);
    assert_eq!(r.body["code"], status, "{:?}", r.body);
    assert_eq!(r.body["error_code"], code, "{:?}", r.body);
    assert!(r.body["msg"].is_string(), "{:?}", r.body);
}

/// The claims of a JWT (not verified: the tests check what the server put in).
fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

fn unique_email(tag: &str) -> String {
    format!("{tag}-{}@example.com", supabase_tests::unique_id())
}

/// Signs up `email` with a password (autoconfirm) and returns the session.
async fn signup(stack: &Stack, email: &str, password: &str) -> Value {
    let r = post(
        stack,
        "/signup",
        json!({"email": email, "password": password}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

/// A stack with custom auth settings, for the tests that need them.
async fn stack_with(config: AuthConfig) -> Stack {
    Stack::builder()
        .auth_config(config)
        .start()
        .await
        .expect("stack")
}

fn short(secs: u64) -> Duration {
    Duration::from_secs(secs)
}
