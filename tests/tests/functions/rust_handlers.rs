//! Rust-handler mode (Deno disabled) and worker lifetime.

use axum::Json;
use axum::extract::Request;
use serde_json::{Value, json};
use supabase_core::Error;
use supabase_core::create_client;
use supabase_core::functions::{FunctionsError, InvokeOptions};
use supabase_local::{FunctionsConfig, FunctionsMode, Stack};
use supabase_tests::fixture;

async fn describe(req: Request) -> Json<Value> {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    Json(json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "body": String::from_utf8_lossy(&body),
    }))
}

#[tokio::test]
async fn rust_handlers_serve_functions_without_deno() {
    let stack = Stack::builder()
        .project_dir(fixture("functions"))
        .functions(
            FunctionsConfig::new()
                .disable_deno()
                .handler("describe", describe)
                .handler("public-hello", || async { "hello from Rust" })
                .verify_jwt("public-hello", false),
        )
        .start()
        .await
        .unwrap();
    assert!(
        matches!(stack.functions_mode(), FunctionsMode::RustHandlers { reason } if reason.contains("disabled")),
        "{:?}",
        stack.functions_mode()
    );
    let client = create_client(stack.url(), stack.anon_key()).unwrap();

    let seen: Value = client
        .functions()
        .invoke("describe", InvokeOptions::new().text("ping"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen,
        json!({ "method": "POST", "path": "/describe", "query": null, "body": "ping" })
    );

    // The path after the name reaches the handler.
    let resp = reqwest::Client::new()
        .get(format!("{}/functions/v1/describe/a/b?c=d", stack.url()))
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    let seen: Value = crate::read_json(resp).await;
    assert_eq!(seen["path"], "/describe/a/b");
    assert_eq!(seen["query"], "c=d");

    // JWT verification applies to handlers too, unless turned off.
    let forged =
        supabase_local::api_key("another-secret-that-is-at-least-32-chars!", "anon").unwrap();
    let forged_client = create_client(stack.url(), &forged).unwrap();
    let err = forged_client
        .functions()
        .invoke("describe", InvokeOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    let text = forged_client
        .functions()
        .invoke("public-hello", InvokeOptions::new())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "hello from Rust");

    // A Deno function of the project cannot boot in this mode; a missing one is still 404.
    let err = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().body(&json!({"name": "x"})),
        )
        .await
        .unwrap_err();
    let Error::Functions(FunctionsError::Http(resp)) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.json::<Value>().unwrap()["code"], "BOOT_ERROR");
    let err = client
        .functions()
        .invoke("nothing-here", InvokeOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn a_project_without_functions_needs_no_deno() {
    let stack = Stack::builder()
        .functions(FunctionsConfig::new().handler("only", || async { "only" }))
        .start()
        .await
        .unwrap();
    assert!(
        matches!(stack.functions_mode(), FunctionsMode::RustHandlers { .. }),
        "{:?}",
        stack.functions_mode()
    );
    let client = create_client(stack.url(), stack.service_role_key()).unwrap();
    let text = client
        .functions()
        .invoke("only", InvokeOptions::new())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "only");
}

#[tokio::test]
async fn deno_workers_stop_with_the_stack() {
    let stack = Stack::builder()
        .project_dir(fixture("functions"))
        .start()
        .await
        .unwrap();
    assert!(
        matches!(stack.functions_mode(), FunctionsMode::Deno { .. }),
        "Deno could not be provisioned (run `cargo xtask setup`): {:?}",
        stack.functions_mode()
    );
    let client = create_client(stack.url(), stack.anon_key()).unwrap();
    let env: Value = client
        .functions()
        .invoke("env", InvokeOptions::new())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = env["pid"].as_u64().expect("the worker's pid");
    let alive = |pid: u64| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid));
    drop(stack);
    // Stopping waits for the worker to exit; a zombie has no /proc/<pid>/exe target left.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    assert!(
        !alive(pid) || status.contains("State:\tZ"),
        "worker {pid} still running: {status}"
    );
}

#[test]
fn the_blocking_client_invokes_functions() {
    let stack = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crate::deno_stack());
    let client = supabase_core::blocking::create_client(stack.url(), stack.anon_key()).unwrap();
    let resp = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().body(&json!({ "name": "Blocking" })),
        )
        .unwrap();
    assert_eq!(resp.content_type(), "application/json");
    assert_eq!(
        resp.json::<Value>().unwrap(),
        json!({ "message": "Hello Blocking!" })
    );
    let err = client
        .functions()
        .invoke("no-such-function", InvokeOptions::new())
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}
