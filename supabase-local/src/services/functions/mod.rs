//! The edge functions runtime at `/functions/v1/<name>`, doing what Supabase's local stack does:
//! Kong's `functions-v1` route (no key check; `Authorization` defaulted from `apikey`;
//! supabase/cli `internal/start/templates/kong.yml`) and the edge runtime's main service
//! (supabase/cli `internal/functions/serve/templates/main.ts`: `Function not found`, per-function
//! JWT verification with its error bodies, one worker per function, `BOOT_ERROR` /
//! `WORKER_ERROR`). Functions run in Deno ([`deno`]) or as registered axum handlers.

mod config;
mod deno;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

pub use config::{FunctionsConfig, FunctionsMode};
pub use deno::{DENO_VERSION, DenoLookup, provision_deno};

use crate::error::StackError;
use crate::signing::EdgeJwtError;
use config::DenoSetting;
use deno::{StartError, Worker, WorkerSpec};

/// What the runtime learns once the stack is up. `Debug` shows no key.
pub(crate) struct Bound {
    pub(crate) public_url: String,
    pub(crate) anon_key: String,
    pub(crate) service_role_key: String,
    pub(crate) db_url: String,
    /// Worker logs and the runner script go here.
    pub(crate) dir: PathBuf,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("public_url", &self.public_url)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// The functions service of one stack. Workers live as long as it does.
pub(crate) struct Runtime {
    config: FunctionsConfig,
    mode: FunctionsMode,
    /// `<project>/supabase/functions`.
    functions_dir: Option<PathBuf>,
    /// `entrypoint` of `[functions.<name>]` in config.toml, resolved.
    entrypoints: HashMap<String, PathBuf>,
    jwt_secret: crate::services::JwtKeys,
    deno_dir: PathBuf,
    bound: OnceLock<(Bound, PathBuf)>,
    workers: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Worker>>>>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field("mode", &self.mode)
            .field("functions_dir", &self.functions_dir)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Decides the mode (provisioning Deno when the project has functions). Blocking: may run
    /// `npm pack`.
    pub(crate) fn prepare(
        config: FunctionsConfig,
        project_dir: Option<&Path>,
        cache_dir: &Path,
        jwt_secret: &crate::services::JwtKeys,
    ) -> Result<Arc<Runtime>, StackError> {
        let mut config = config;
        let mut entrypoints = HashMap::new();
        if let Some(project) = project_dir {
            let supabase = project.join("supabase");
            for (name, f) in config_toml_functions(&supabase.join("config.toml"))? {
                if let Some(verify) = f.verify_jwt {
                    config.verify_jwt.entry(name.clone()).or_insert(verify);
                }
                // supabase/cli `pkg/config`: a relative entrypoint is under the `supabase`
                // directory.
                if let Some(entrypoint) = f.entrypoint.filter(|e| !e.is_empty()) {
                    entrypoints.insert(name, supabase.join(entrypoint));
                }
            }
        }
        let functions_dir = project_dir
            .map(|p| p.join("supabase").join("functions"))
            .filter(|d| d.is_dir());
        if let Some(dir) = &functions_dir {
            for (name, value) in env_file(&dir.join(".env"))? {
                config.secrets.entry(name).or_insert(value);
            }
        }
        // supabase/cli `serve.go` (`parseEnvFile`): the stack's own variables cannot be replaced.
        config.secrets.retain(|name, _| {
            let reserved = name.starts_with("SUPABASE_");
            if reserved {
                tracing::warn!("Env name cannot start with SUPABASE_, skipping: {name}");
            }
            !reserved
        });
        let mode = match (&config.deno, &functions_dir) {
            (DenoSetting::Disabled, _) => FunctionsMode::RustHandlers {
                reason: "Deno is disabled (FunctionsConfig::disable_deno)".into(),
            },
            (DenoSetting::Auto, None) => FunctionsMode::RustHandlers {
                reason: "the project has no supabase/functions directory".into(),
            },
            (DenoSetting::Auto, Some(_)) => match provision_deno(cache_dir) {
                Ok((binary, version)) => FunctionsMode::Deno { binary, version },
                Err(DenoLookup::Broken(why)) => return Err(StackError::Config(why)),
                Err(e) => {
                    tracing::warn!("edge functions run as Rust handlers only: {e}");
                    FunctionsMode::RustHandlers {
                        reason: e.to_string(),
                    }
                }
            },
        };
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StackError::Config(format!("building the functions HTTP client: {e}")))?;
        Ok(Arc::new(Runtime {
            config,
            mode,
            functions_dir,
            entrypoints,
            jwt_secret: jwt_secret.clone(),
            deno_dir: cache_dir.join("deno-dir"),
            bound: OnceLock::new(),
            workers: Mutex::new(HashMap::new()),
            http,
        }))
    }

    pub(crate) fn mode(&self) -> &FunctionsMode {
        &self.mode
    }

    /// Completes the set-up once the stack's URL and directory are known; writes the runner.
    pub(crate) fn bind(&self, bound: Bound) -> Result<(), StackError> {
        let script = bound.dir.join("functions-runner.ts");
        std::fs::write(&script, deno::BOOTSTRAP)
            .map_err(|e| StackError::io("writing the functions runner", &script, e))?;
        let _ = self.bound.set((bound, script));
        Ok(())
    }

    /// Stops every worker.
    pub(crate) fn shutdown(&self) {
        let workers: Vec<_> = match self.workers.lock() {
            Ok(mut map) => map.drain().map(|(_, w)| w).collect(),
            Err(_) => return,
        };
        for worker in workers {
            if let Ok(mut slot) = worker.try_lock() {
                drop(slot.take());
            }
        }
    }

    pub(crate) fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(serve).with_state(Arc::clone(self))
    }

    /// The function's script: config.toml's `entrypoint`, else `functions/<name>/index.ts`.
    fn entrypoint(&self, name: &str) -> Option<PathBuf> {
        let path = match self.entrypoints.get(name) {
            Some(path) => path.clone(),
            None => self.functions_dir.as_ref()?.join(name).join("index.ts"),
        };
        path.is_file().then_some(path)
    }

    /// The worker of `name`, started (or restarted after it died) as needed.
    async fn worker_port(&self, name: &str, entrypoint: &Path) -> Result<u16, StartError> {
        let FunctionsMode::Deno { binary, .. } = &self.mode else {
            return Err(StartError::Boot(format!(
                "cannot run {}: {}",
                entrypoint.display(),
                match &self.mode {
                    FunctionsMode::RustHandlers { reason } => reason.as_str(),
                    FunctionsMode::Deno { .. } => "",
                }
            )));
        };
        let Some((bound, script)) = self.bound.get() else {
            return Err(StartError::Boot("the stack is still starting".into()));
        };
        let slot = {
            let mut map = self
                .workers
                .lock()
                .map_err(|_| StartError::Boot("worker table poisoned".into()))?;
            Arc::clone(map.entry(name.to_owned()).or_default())
        };
        let mut slot = slot.lock().await;
        if let Some(worker) = slot.as_mut()
            && worker.is_alive()
        {
            return Ok(worker.port);
        }
        drop(slot.take());
        let mut env = vec![
            ("SUPABASE_URL".to_owned(), bound.public_url.clone()),
            ("SUPABASE_ANON_KEY".to_owned(), bound.anon_key.clone()),
            (
                "SUPABASE_SERVICE_ROLE_KEY".to_owned(),
                bound.service_role_key.clone(),
            ),
            ("SUPABASE_DB_URL".to_owned(), bound.db_url.clone()),
        ];
        env.extend(self.config.secrets.clone());
        let worker = Worker::start(WorkerSpec {
            deno: binary,
            bootstrap: script,
            name,
            entrypoint,
            deno_dir: &self.deno_dir,
            log: bound.dir.join(format!("function-{name}.log")),
            env,
        })
        .await?;
        let port = worker.port;
        *slot = Some(worker);
        Ok(port)
    }
}

/// The variables of the functions' env file, `supabase/functions/.env`, which `supabase
/// functions serve` reads when given no `--env-file` (supabase/cli `serve.go`,
/// `utils.FallbackEnvFilePath`); none when there is no such file.
fn env_file(path: &Path) -> Result<Vec<(String, String)>, StackError> {
    let parse_error = |e: dotenvy::Error| StackError::Config(format!("{}: {e}", path.display()));
    match dotenvy::from_path_iter(path) {
        Ok(vars) => vars.collect::<Result<_, _>>().map_err(parse_error),
        Err(e) if e.not_found() => Ok(Vec::new()),
        Err(e) => Err(parse_error(e)),
    }
}

/// What supabase-local reads of a `[functions.<name>]` table of `config.toml`.
#[derive(serde::Deserialize)]
struct FunctionToml {
    verify_jwt: Option<bool>,
    entrypoint: Option<String>,
}

/// The `[functions.<name>]` tables of a project's `config.toml` (absent file: none).
fn config_toml_functions(path: &Path) -> Result<Vec<(String, FunctionToml)>, StackError> {
    #[derive(serde::Deserialize)]
    struct ConfigToml {
        #[serde(default)]
        functions: HashMap<String, FunctionToml>,
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StackError::io("reading", path, e)),
    };
    let parsed: ConfigToml = toml::from_str(&text)
        .map_err(|e| StackError::Config(format!("{}: {e}", path.display())))?;
    Ok(parsed.functions.into_iter().collect())
}

/// The CLI's function slug rule (supabase/cli `pkg/config/config.go`, `ValidateFunctionSlug`).
fn is_slug(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// main.ts `getResponse("Function not found", 404)`: a text/plain body.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain")],
        "Function not found",
    )
        .into_response()
}

fn boot_error() -> Response {
    json(
        StatusCode::SERVICE_UNAVAILABLE,
        serde_json::json!({
            "code": "BOOT_ERROR",
            "message": "Worker failed to boot (please check logs)",
        }),
    )
}

fn worker_error() -> Response {
    json(
        StatusCode::INTERNAL_SERVER_ERROR,
        serde_json::json!({
            "code": "WORKER_ERROR",
            "message": "Function exited due to an error (please check logs)",
        }),
    )
}

/// main.ts's JWT check (`getAuthToken`, then `verifyHybridJWT`): `Authorization: Bearer <jwt>`
/// verified with the stack's keys. The error is main.ts's message (`e.toString()` of what it
/// throws, or `Invalid JWT`), answered as `401 {"msg": …}`.
fn verify_jwt(headers: &HeaderMap, keys: &crate::services::JwtKeys) -> Result<(), &'static str> {
    // `!authHeader`: an empty header is missing too.
    let value = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default())
        .filter(|v| !v.is_empty())
        .ok_or("Error: Missing authorization header")?;
    let mut parts = value.split(' ');
    if parts.next() != Some("Bearer") {
        return Err("Error: Auth header is not 'Bearer {token}'");
    }
    let token = parts.next().unwrap_or_default();
    keys.verify_as_edge_runtime(token).map_err(|e| match e {
        EdgeJwtError::Malformed => "TypeError: Invalid Token or Protected Header formatting",
        EdgeJwtError::Invalid => "Invalid JWT",
    })
}

async fn serve(State(rt): State<Arc<Runtime>>, mut req: Request) -> Response {
    // Kong's request-transformer on functions-v1 (the CLI's LUA_AUTH_EXPR): a request without
    // `Authorization` gets `Bearer <apikey>`.
    if !req.headers().contains_key(header::AUTHORIZATION)
        && let Some(value) = req
            .headers()
            .get("apikey")
            .and_then(|k| k.to_str().ok())
            .and_then(|k| HeaderValue::from_str(&format!("Bearer {k}")).ok())
    {
        req.headers_mut().insert(header::AUTHORIZATION, value);
    }

    let path = req.uri().path().to_owned();
    let name = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if !is_slug(name) {
        return not_found();
    }
    let handler = rt.config.handlers.get(name).cloned();
    let entrypoint = if handler.is_none() {
        match rt.entrypoint(name) {
            Some(p) => Some(p),
            None => return not_found(),
        }
    } else {
        None
    };
    if req.method() != Method::OPTIONS
        && rt.config.verify_jwt.get(name).copied().unwrap_or(true)
        && let Err(msg) = verify_jwt(req.headers(), &rt.jwt_secret)
    {
        return json(StatusCode::UNAUTHORIZED, serde_json::json!({ "msg": msg }));
    }
    if let Some(handler) = handler {
        return match handler.oneshot(req).await {
            Ok(resp) => resp,
            Err(never) => match never {},
        };
    }
    let Some(entrypoint) = entrypoint else {
        return not_found();
    };
    let port = match rt.worker_port(name, &entrypoint).await {
        Ok(port) => port,
        Err(StartError::Boot(why)) => {
            tracing::warn!(function = name, "edge function failed to boot: {why}");
            return boot_error();
        }
        Err(StartError::Threw(why)) => {
            tracing::warn!(function = name, "edge function threw while loading: {why}");
            return worker_error();
        }
    };
    proxy(&rt.http, port, req).await
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in [
        header::CONNECTION,
        header::HOST,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
    ] {
        out.remove(name);
    }
    out.remove("keep-alive");
    out
}

/// Forwards the request to the worker and streams both bodies.
async fn proxy(http: &reqwest::Client, port: u16, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let url = format!("http://127.0.0.1:{port}{path_and_query}");
    let upstream = http
        .request(parts.method, url)
        .headers(end_to_end(&parts.headers))
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send()
        .await;
    let upstream = match upstream {
        Ok(resp) => resp,
        Err(e) => {
            // Without the URL: its query may carry a token.
            tracing::warn!("edge function worker failed: {}", e.without_url());
            return worker_error();
        }
    };
    let mut resp = Response::builder().status(upstream.status());
    if let Some(headers) = resp.headers_mut() {
        *headers = end_to_end(upstream.headers());
    }
    resp.body(Body::from_stream(upstream.bytes_stream()))
        .unwrap_or_else(|_| worker_error())
}
