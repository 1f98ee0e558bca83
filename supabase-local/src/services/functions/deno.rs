//! Deno: find or provision the binary (like PostgREST in `postgrest.rs`), and run one worker
//! process per function.
//!
//! The npm package `deno` is a launcher whose binary comes in an optional per-platform package
//! (`@deno/linux-x64-glibc`, …, see `npm view deno optionalDependencies`); that package holds
//! just `package/deno`, so we `npm pack` it directly, as for PostgREST.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{Spec, Supervised};
use crate::sys;

/// The Deno version provisioned into the cache.
pub const DENO_VERSION: &str = "2.9.6";

/// How long a worker may take to start listening (the first start of a function that imports
/// `npm:` or `jsr:` modules downloads them into the shared `DENO_DIR`).
const BOOT_TIMEOUT: Duration = Duration::from_secs(60);

/// The runner every worker starts with (see the file for what it does).
pub(crate) const BOOTSTRAP: &str = include_str!("bootstrap.ts");

fn npm_package() -> Option<String> {
    let platform = match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "linux-x64-glibc",
        ("linux", "aarch64") => "linux-arm64-glibc",
        ("macos", "x86_64") => "darwin-x64",
        ("macos", "aarch64") => "darwin-arm64",
        _ => return None,
    };
    Some(format!("@deno/{platform}@{DENO_VERSION}"))
}

/// Finds a runnable Deno, provisioning it into `cache_dir` when needed:
/// `$SUPABASE_LOCAL_DENO` → `deno` on `PATH` → `<cache_dir>/deno-<version>/deno` →
/// `npm pack @deno/<platform>@<version>` extracted into the cache. Each candidate is verified with
/// `--version`. Returns the binary and its version line, or every place looked at.
///
/// A `$SUPABASE_LOCAL_DENO` that does not work is an error ([`DenoLookup::Broken`]), never
/// skipped.
pub fn provision_deno(cache_dir: &Path) -> Result<(PathBuf, String), DenoLookup> {
    let mut searched = Vec::new();
    if let Some(path) = std::env::var_os("SUPABASE_LOCAL_DENO") {
        let path = PathBuf::from(path);
        return match version_of(&path) {
            Ok(v) => Ok((path, v)),
            Err(e) => Err(DenoLookup::Broken(format!(
                "$SUPABASE_LOCAL_DENO={}: {e}",
                path.display()
            ))),
        };
    }
    searched.push("$SUPABASE_LOCAL_DENO: not set".into());
    match sys::which("deno") {
        Some(path) => match version_of(&path) {
            Ok(v) => return Ok((path, v)),
            Err(e) => searched.push(format!("PATH: {}: {e}", path.display())),
        },
        None => searched.push("PATH: no `deno`".into()),
    }
    let installed = cache_dir.join(format!("deno-{DENO_VERSION}"));
    let binary = installed.join("deno");
    if binary.exists() {
        match version_of(&binary) {
            Ok(v) => return Ok((binary, v)),
            Err(e) => searched.push(format!("cache {}: {e}", binary.display())),
        }
    } else {
        searched.push(format!("cache {}: not there", binary.display()));
    }
    let Some(package) = npm_package() else {
        searched.push("npm: no Deno package for this platform".into());
        return Err(DenoLookup::NotFound(searched));
    };
    match sys::npm_pack_install(cache_dir, &installed, &package, "deno") {
        Ok(()) => match version_of(&binary) {
            Ok(v) => Ok((binary, v)),
            Err(e) => {
                searched.push(format!("npm pack {package}: the binary does not run: {e}"));
                Err(DenoLookup::NotFound(searched))
            }
        },
        Err(why) => {
            searched.push(format!("npm pack {package}: {why}"));
            Err(DenoLookup::NotFound(searched))
        }
    }
}

/// Why [`provision_deno`] found no Deno.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DenoLookup {
    /// Nowhere to be found, and it could not be downloaded; every place looked at.
    #[error("Deno {DENO_VERSION} not found and could not be provisioned. Looked at: {}", .0.join("; "))]
    NotFound(Vec<String>),
    /// `$SUPABASE_LOCAL_DENO` names a binary that does not work.
    #[error("{0}")]
    Broken(String),
}

/// `deno --version` → `"deno 2.9.6 (stable, release, x86_64-unknown-linux-gnu)"`.
fn version_of(path: &Path) -> Result<String, String> {
    let out =
        sys::run(Command::new(path).arg("--version")).map_err(|e| format!("does not run: {e}"))?;
    let line = out.lines().next().unwrap_or_default().trim().to_owned();
    if line.starts_with("deno ") {
        Ok(line)
    } else {
        Err(format!("unexpected --version output {line:?}"))
    }
}

/// What a worker needs to start. `Debug` shows the environment's names only: it holds the
/// stack's keys and the function's secrets.
pub(crate) struct WorkerSpec<'a> {
    pub(crate) deno: &'a Path,
    pub(crate) bootstrap: &'a Path,
    pub(crate) name: &'a str,
    pub(crate) entrypoint: &'a Path,
    pub(crate) deno_dir: &'a Path,
    pub(crate) log: PathBuf,
    pub(crate) env: Vec<(String, String)>,
}

impl std::fmt::Debug for WorkerSpec<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerSpec")
            .field("name", &self.name)
            .field("entrypoint", &self.entrypoint)
            .field("env", &crate::process::names(&self.env))
            .finish_non_exhaustive()
    }
}

/// One function's Deno process, listening on `127.0.0.1:port`. Dropping it stops it.
#[derive(Debug)]
pub(crate) struct Worker {
    pub(crate) process: Supervised,
    pub(crate) port: u16,
}

/// Why a worker did not come up, told apart as the edge runtime does (supabase/cli
/// `templates/main.ts`'s `DENO_SB_ERROR_MAP`).
#[derive(Debug)]
pub(crate) enum StartError {
    /// The function could not be loaded (a syntax error, an import that does not resolve, no
    /// `Deno.serve`), or Deno could not run: `InvalidWorkerCreation`, answered `503 BOOT_ERROR`.
    Boot(String),
    /// The function threw while its top level ran: an event-loop error,
    /// `InvalidWorkerResponse`, answered `500 WORKER_ERROR`.
    Threw(String),
}

/// The runner's exit status when the function threw at its top level (`bootstrap.ts`).
const EXIT_THREW: i32 = 70;

/// How one attempt to start a worker failed.
enum Boot {
    /// Its port was taken: worth another port.
    Clash(StartError),
    Failed(StartError),
}

impl Worker {
    /// Starts the function and waits until it listens; on a port clash (another program took
    /// the port first), again on another port.
    pub(crate) async fn start(spec: WorkerSpec<'_>) -> Result<Worker, StartError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = sys::free_port(None).map_err(|e| StartError::Boot(e.to_string()))?;
            match Self::start_on(&spec, port).await {
                Err(Boot::Clash(e)) if attempt < 4 => {
                    tracing::debug!(
                        function = spec.name,
                        port,
                        "worker port clash, retrying: {e:?}"
                    );
                }
                Err(Boot::Clash(e) | Boot::Failed(e)) => return Err(e),
                Ok(worker) => return Ok(worker),
            }
        }
    }

    async fn start_on(spec: &WorkerSpec<'_>, port: u16) -> Result<Worker, Boot> {
        let mut env = deno_settings();
        env.extend(spec.env.iter().cloned());
        env.push(("SUPABASE_LOCAL_WORKER_PORT".into(), port.to_string()));
        env.push((
            "SUPABASE_LOCAL_WORKER_ENTRY".into(),
            file_url(spec.entrypoint),
        ));
        env.push(("DENO_DIR".into(), spec.deno_dir.display().to_string()));
        env.push(("NO_COLOR".into(), "1".into()));
        // A local stack sends nothing off the machine: no look-up of Deno's latest release.
        env.push(("DENO_NO_UPDATE_CHECK".into(), "1".into()));
        let cwd = spec.entrypoint.parent().unwrap_or(Path::new("/"));
        let mut process = Supervised::spawn(Spec {
            service: "deno",
            program: spec.deno,
            args: ["run", "--allow-all", "--no-prompt", "--no-lock", "--quiet"]
                .into_iter()
                .map(Into::into)
                .chain([spec.bootstrap.as_os_str().to_owned()])
                .collect(),
            envs: env,
            // A function sees what it would on Supabase, not the developer's or CI's shell.
            inherit_env: false,
            log: spec.log.clone(),
            stop_signal: "TERM",
            user: None,
            cwd,
            cleanup: None,
        })
        .map_err(|e| Boot::Failed(StartError::Boot(e.to_string())))?;
        let started = Instant::now();
        loop {
            // Listening, and on a socket of its own: another program on the port would answer
            // while this worker fails to bind it.
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
                && process.holds_port(port)
            {
                tracing::debug!(function = spec.name, port, elapsed = ?started.elapsed(), "worker up");
                return Ok(Worker { process, port });
            }
            if let Some(status) = process.exit_status() {
                let log = sys::tail_file(process.log(), 20);
                let why = format!("the worker exited ({status}):\n{log}");
                return Err(if status.code() == Some(EXIT_THREW) {
                    Boot::Failed(StartError::Threw(why))
                } else if log.contains("AddrInUse") {
                    Boot::Clash(StartError::Boot(why))
                } else {
                    Boot::Failed(StartError::Boot(why))
                });
            }
            if started.elapsed() > BOOT_TIMEOUT {
                return Err(Boot::Failed(StartError::Boot(format!(
                    "the worker did not listen within {BOOT_TIMEOUT:?}:\n{}",
                    sys::tail_file(process.log(), 20)
                ))));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Whether the process is still running.
    pub(crate) fn is_alive(&mut self) -> bool {
        self.process.exit_status().is_none()
    }
}

/// The variables of this process that decide how Deno fetches `npm:`, `jsr:` and remote
/// imports (its own `DENO_*` settings, the npm registry, proxies, CA certificates) and where
/// temporary files go: the only part of the host's environment a worker gets, since Deno and the
/// function share one environment. The edge runtime's workers get the container's environment
/// less `HOME`, `HOSTNAME`, `PATH` and `PWD` (supabase/cli `templates/main.ts`, `EXCLUDED_ENVS`),
/// so nothing of the developer's shell (`PATH`, `HOME`, an exported API key) reaches them.
fn deno_settings() -> Vec<(String, String)> {
    const NAMES: &[&str] = &[
        "NPM_CONFIG_REGISTRY",
        "npm_config_registry",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "TMPDIR",
    ];
    std::env::vars()
        .filter(|(name, _)| {
            (name.starts_with("DENO_") && name != "DENO_DIR") || NAMES.contains(&name.as_str())
        })
        .collect()
}

/// `file:///…` URL of a path.
fn file_url(path: &Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    url::Url::from_file_path(&path)
        .map(String::from)
        .unwrap_or_else(|()| path.display().to_string())
}
