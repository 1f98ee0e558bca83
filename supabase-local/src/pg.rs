//! PostgreSQL: find the server binaries, build (once) a cached template cluster, run a copy of it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::StackError;
use crate::process::{Spec, Supervised};
use crate::sys;

/// The Supabase bootstrap applied to the template cluster.
pub(crate) const BOOTSTRAP_SQL: &str = concat!(
    include_str!("bootstrap.sql"),
    include_str!("services/storage/schema.sql"), // the storage stand-in's tables
    include_str!("services/realtime/realtime.sql"), // `realtime.messages`, `realtime.topic()`, change capture
);
/// Superuser name and password (as in `supabase start`).
pub(crate) const SUPERUSER: &str = "postgres";
pub(crate) const PASSWORD: &str = "postgres";
/// Bump when the template layout changes (not the SQL: that is hashed).
const TEMPLATE_FORMAT: u32 = 2;
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one readiness probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long connecting (TCP, authentication, start-up) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// PostgreSQL server binaries.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    /// The `postgres` server.
    pub postgres: PathBuf,
    /// `initdb`.
    pub initdb: PathBuf,
    /// Version, e.g. `15.14`.
    pub version: String,
}

/// Finds `postgres` + `initdb`: `$SUPABASE_LOCAL_PG_BIN` (a directory), then `PATH`, then the
/// highest `/usr/lib/postgresql/*/bin`.
pub fn find_pg_binaries() -> Result<PgBinaries, StackError> {
    let mut searched = Vec::new();
    let in_dir = |dir: &Path| {
        let (postgres, initdb) = (dir.join("postgres"), dir.join("initdb"));
        (sys::is_executable(&postgres) && sys::is_executable(&initdb)).then_some((postgres, initdb))
    };
    let mut candidates = Vec::new();
    match std::env::var_os("SUPABASE_LOCAL_PG_BIN") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            match in_dir(&dir) {
                Some(found) => candidates.push(found),
                // An explicit setting that does not work is an error, not something to skip.
                None => {
                    searched.push(format!(
                        "$SUPABASE_LOCAL_PG_BIN={}: no postgres + initdb there",
                        dir.display()
                    ));
                    return Err(StackError::PostgresNotFound { searched });
                }
            }
        }
        None => searched.push("$SUPABASE_LOCAL_PG_BIN: not set".into()),
    }
    match (sys::which("postgres"), sys::which("initdb")) {
        (Some(p), Some(i)) => candidates.push((p, i)),
        _ => searched.push("PATH: no postgres + initdb".into()),
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    versioned.sort();
    match versioned.iter().rev().find_map(|(_, dir)| in_dir(dir)) {
        Some(found) => candidates.push(found),
        None => searched.push("/usr/lib/postgresql/*/bin: none".into()),
    }
    for (postgres, initdb) in candidates {
        match sys::run(Command::new(&postgres).arg("--version")) {
            // "postgres (PostgreSQL) 15.14 (Debian 15.14-1.pgdg120+1)"
            Ok(out) => {
                let version = out
                    .split_whitespace()
                    .nth(2)
                    .unwrap_or("unknown")
                    .to_owned();
                return Ok(PgBinaries {
                    postgres,
                    initdb,
                    version,
                });
            }
            Err(e) => searched.push(format!("{}: not runnable: {e}", postgres.display())),
        }
    }
    Err(StackError::PostgresNotFound { searched })
}

/// A running Postgres.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) process: Supervised,
    pub(crate) port: u16,
}

impl Server {
    /// A `tokio-postgres` connection string for `user`.
    pub(crate) fn conn_str(&self, user: &str, password: &str) -> String {
        conn_str(self.port, user, password)
    }
}

pub(crate) fn conn_str(port: u16, user: &str, password: &str) -> String {
    format!(
        "host=127.0.0.1 port={port} user={user} password={password} dbname=postgres connect_timeout=5"
    )
}

/// Starts Postgres on `data` (a cluster owned by `user`), on `port` or a free one; retries on a
/// port clash when the port was picked by us.
pub(crate) async fn start(
    bin: &PgBinaries,
    data: &Path,
    dir: &Path,
    port: Option<u16>,
    user: Option<(u32, u32)>,
    cleanup: Option<&Path>,
) -> Result<Server, StackError> {
    let sockets = dir.join("sockets");
    std::fs::create_dir_all(&sockets)
        .map_err(|e| StackError::io("creating socket dir", &sockets, e))?;
    sys::chown(&sockets, user)?;
    let log = dir.join("postgres.log");
    let mut attempt = 0;
    loop {
        attempt += 1;
        let chosen = sys::free_port(port)?;
        let settings = [
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
            "wal_level=logical",
            "max_connections=200",
            "shared_buffers=32MB",
            "jit=off",
            // Supabase's databases run in UTC; `timestamp` columns filled by `now()`
            // (`realtime.messages.inserted_at`) are then UTC, as Realtime reads them.
            "timezone=UTC",
        ];
        let mut args: Vec<OsString> = vec![
            "-D".into(),
            data.into(),
            "-p".into(),
            chosen.to_string().into(),
        ];
        args.extend([
            "-h".into(),
            "127.0.0.1".into(),
            "-k".into(),
            sockets.clone().into(),
        ]);
        for s in settings {
            args.extend(["-c".into(), s.into()]);
        }
        let mut process = Supervised::spawn(Spec {
            service: "postgres",
            program: &bin.postgres,
            args,
            envs: vec![],
            inherit_env: true,
            log: log.clone(),
            stop_signal: "INT",
            user,
            cwd: dir,
            cleanup,
        })?;
        match wait_ready(&mut process, chosen).await {
            Ok(()) => {
                return Ok(Server {
                    process,
                    port: chosen,
                });
            }
            Err(e)
                if port.is_none()
                    && attempt < 4
                    && sys::tail_file(&log, 10).contains("already in use") =>
            {
                tracing::debug!(port = chosen, "postgres port clash, retrying: {e}");
            }
            Err(e) => return Err(e),
        }
    }
}

async fn wait_ready(process: &mut Supervised, port: u16) -> Result<(), StackError> {
    let started = Instant::now();
    let conn = conn_str(port, SUPERUSER, PASSWORD);
    loop {
        let probe = async {
            let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls)
                .await
                .ok()?;
            let task = tokio::spawn(connection);
            let ok = client.simple_query("select 1").await.is_ok();
            drop(client);
            let _ = task.await;
            Some(ok)
        };
        // A probe that hangs (a server that accepts and never answers) counts as not ready, and
        // so does another server that took the port first (ours then exits: a port clash).
        if let Ok(Some(true)) = tokio::time::timeout(PROBE_TIMEOUT, probe).await
            && process.holds_port(port)
        {
            return Ok(());
        }
        if let Some(status) = process.exit_status() {
            return Err(process.exited_error(status.to_string()));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(StackError::StartTimeout {
                service: "postgres",
                port,
                waited_secs: READY_TIMEOUT.as_secs(),
                log: process.log().to_owned(),
                log_tail: sys::tail_file(process.log(), 30),
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Connects as `user` and spawns the connection task on the current runtime.
pub(crate) async fn connect(conn: &str) -> Result<tokio_postgres::Client, StackError> {
    // `connect_timeout` bounds the TCP connect only; this bounds the start-up exchange too.
    let (client, connection) = tokio::time::timeout(
        CONNECT_TIMEOUT,
        tokio_postgres::connect(conn, tokio_postgres::NoTls),
    )
    .await
    .map_err(|elapsed| StackError::db("connecting", elapsed))?
    .map_err(|e| StackError::db("connecting", e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!("postgres connection closed: {e}");
        }
    });
    Ok(client)
}

/// The cached template cluster for these binaries and the current bootstrap SQL: builds it on
/// first use (initdb + bootstrap, once per machine), returns its data directory.
pub(crate) async fn ensure_template(
    bin: &PgBinaries,
    cache_dir: &Path,
    user: Option<(u32, u32)>,
) -> Result<PathBuf, StackError> {
    let key = format!(
        "pg-template-v{TEMPLATE_FORMAT}-{}-{:016x}",
        bin.version,
        sys::fnv1a(BOOTSTRAP_SQL.as_bytes())
    );
    let target = cache_dir.join(key);
    let data = target.join("data");
    if data.join("PG_VERSION").is_file() {
        return Ok(data);
    }
    tracing::info!(template = %target.display(), "building the Postgres template cluster (once per machine)");
    // Build under /tmp (the `postgres` user may not be able to enter the cache dir), then copy.
    let staging = tempfile::Builder::new()
        .prefix("supabase-local-template-")
        .tempdir_in(sys::scratch_dir())
        .map_err(|e| StackError::io("creating temp dir", sys::scratch_dir(), e))?;
    sys::chown(staging.path(), user)?;
    let staged_data = staging.path().join("data");
    let pwfile = staging.path().join("pwfile");
    std::fs::write(&pwfile, PASSWORD).map_err(|e| StackError::io("writing", &pwfile, e))?;
    let mut initdb = Command::new(&bin.initdb);
    initdb
        .arg("-D")
        .arg(&staged_data)
        .args([
            "-U",
            SUPERUSER,
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            // 1 MiB WAL segments instead of 16: a smaller cluster to copy per stack.
            "--wal-segsize=1",
            "--no-instructions",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .current_dir(staging.path());
    if let Some((uid, gid)) = user {
        std::os::unix::process::CommandExt::uid(&mut initdb, uid);
        std::os::unix::process::CommandExt::gid(&mut initdb, gid);
    }
    tokio::task::spawn_blocking(move || sys::run(&mut initdb))
        .await
        .map_err(|_| StackError::Stopped)??;
    {
        let server = start(bin, &staged_data, staging.path(), None, user, None).await?;
        let client = connect(&server.conn_str(SUPERUSER, PASSWORD)).await?;
        client
            .batch_execute(BOOTSTRAP_SQL)
            .await
            .map_err(|e| StackError::Migration {
                path: PathBuf::from("supabase-local/src/bootstrap.sql"),
                line: crate::migrate::error_line(BOOTSTRAP_SQL, &e),
                message: crate::migrate::describe(&e),
            })?;
        drop(client);
        let mut process = server.process;
        tokio::task::spawn_blocking(move || process.stop())
            .await
            .map_err(|_| StackError::Stopped)?;
    }
    std::fs::create_dir_all(cache_dir)
        .map_err(|e| StackError::io("creating cache dir", cache_dir, e))?;
    let partial = cache_dir.join(format!(".partial-{:016x}", sys::random_u64()));
    std::fs::create_dir_all(&partial).map_err(|e| StackError::io("creating", &partial, e))?;
    sys::copy_tree(&staged_data, &partial.join("data"))?;
    if let Err(e) = std::fs::rename(&partial, &target) {
        // Another process built it concurrently: use theirs.
        let _ = std::fs::remove_dir_all(&partial);
        if !data.join("PG_VERSION").is_file() {
            return Err(StackError::io("installing template", &target, e));
        }
    }
    Ok(data)
}
