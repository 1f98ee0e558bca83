//! `cargo xtask bench [--quick] [workload]`: benchmarks. Figures are printed (and written as JSON
//! under `target/bench/`), never asserted; targets are printed as met or missed.
//!
//! - `clients` (alias `postgrest`): client CPU per request, throughput, p50/p99 latency and peak
//!   RSS of this client (typed and untyped), plain reqwest + serde (the floor), postgrest-rs,
//!   supabase-py and supabase-js, on point lookups, 1000-row pages, a 10,000-row bulk insert and
//!   8-way concurrent point lookups, in interleaved rounds.
//! - `stream`: peak RSS of streaming 1,000,000 rows versus collecting them.
//! - `storage`: a 1 GiB upload (from a file) and download (into a sink) through the client and
//!   through curl against the same endpoint, in interleaved rounds; client peak RSS.
//! - `realtime`: postgres change delivery and broadcast round-trip latency, broadcast messages
//!   per second through one socket, joining 100 channels on one socket.
//! - `codegen`: introspecting and generating a 1,000-table schema; `cargo check` of the code
//!   generated for 200 tables.
//! - `stack`: time from `Stack::start()` to the first successful query, cold and warm.
//!
//! Every measured client runs in its own process: for the `clients` workload, the lean
//! release-built binaries of `xtask/bench-client/` (one per Rust client, linking only that
//! client) or the peers' scripts under `xtask/bench-peers/`; for the others, the release-built
//! `xtask bench-child`. The stack and its gateway run in this process.

mod child;
mod clients;
mod codegen;
mod peers;
mod realtime;
mod stack;
mod storage;
mod stream;

pub(crate) use child::main as child_main;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;
use supabase_local::Stack;

use crate::root;

const WORKLOADS: &str = "clients, stream, storage, realtime, codegen, stack";

/// Tables and functions every workload reads or writes.
const SETUP_SQL: &str = "
create table if not exists bench_rows (
  id bigint primary key,
  name text not null,
  score double precision not null,
  active boolean not null,
  tags text[] not null,
  note text
);
insert into bench_rows
select i, 'row ' || i, i * 1.5, i % 2 = 0, array['a', 'b', 't' || (i % 7)],
       case when i % 3 = 0 then null else 'note ' || i end
from generate_series(1, 5000) as i
on conflict do nothing;
grant select on bench_rows to anon;

create table if not exists bench_insert (like bench_rows including all);
grant select, insert on bench_insert to anon;

create table if not exists bench_rt (id bigint primary key, label text not null);
grant select, insert on bench_rt to anon;
alter publication supabase_realtime add table bench_rt;

create or replace function bench_series(n int) returns table (id int, label text, score float8)
language sql stable as $$
  select i, 'row number ' || i, i * 0.5 from generate_series(1, n) as i;
$$;
grant execute on function bench_series(int) to anon;

-- The stream reads as a role without anon's 3 s statement timeout (a long export would use such
-- a role, or the service role, in a real project; here even the authenticator's 8 s is too short
-- for 1M rows on a loaded machine).
do $$ begin
  if not exists (select from pg_roles where rolname = 'bench_export') then
    create role bench_export nologin noinherit;
  end if;
end $$;
grant bench_export to authenticator;
grant usage on schema public to bench_export;
grant execute on function bench_series(int) to bench_export;
alter role bench_export set statement_timeout = 0;
";

/// What a run shares: one stack, the release-built measured processes, the options.
pub(crate) struct Bench {
    quick: bool,
    stack: Stack,
    bins: Binaries,
    /// A JWT for role `bench_export` (no statement timeout), for the stream workload.
    export_token: String,
}

impl Bench {
    async fn new(quick: bool) -> Result<Bench, String> {
        let bins = build_binaries()?;
        println!("bench: starting a local stack (examples/, no row limit) ...");
        let stack = Stack::builder()
            .project_dir(root().join("examples"))
            .max_rows(None)
            .start()
            .await
            .map_err(|e| e.to_string())?;
        stack
            .execute_sql(SETUP_SQL)
            .await
            .map_err(|e| e.to_string())?;
        stack.reload_schema().await.map_err(|e| e.to_string())?;
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            + 24 * 3600;
        let export_token = stack
            .mint_jwt(&serde_json::json!({ "role": "bench_export", "exp": exp }))
            .map_err(|e| e.to_string())?;
        Ok(Bench {
            quick,
            stack,
            bins,
            export_token,
        })
    }

    /// Runs `bench-child <args>` against the stack and returns its JSON line.
    fn child(&self, args: &[&str]) -> Result<Value, String> {
        let mut cmd = Command::new(&self.bins.child);
        cmd.arg("bench-child").args(args);
        self.run_json(cmd, &format!("bench-child {}", args.join(" ")))
    }

    /// Runs the lean binary of Rust client `client` with `args` (`<client> <workload> <ops>`
    /// for the workloads) and returns its JSON line.
    fn client(&self, client: &str, args: &[&str]) -> Result<Value, String> {
        let bin = self
            .bins
            .clients
            .get(client)
            .ok_or_else(|| format!("no binary for client {client:?}"))?;
        let name = bin
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut cmd = Command::new(bin);
        cmd.args(args);
        self.run_json(cmd, &format!("{name} {}", args.join(" ")))
    }

    /// Runs `bench-paired <args>` against the stack and returns its JSON line.
    fn paired(&self, args: &[&str]) -> Result<Value, String> {
        let mut cmd = Command::new(&self.bins.paired);
        cmd.args(args);
        self.run_json(cmd, &format!("bench-paired {}", args.join(" ")))
    }

    /// Runs `cmd` with the stack's URL and keys in its environment; parses its last stdout line.
    fn run_json(&self, mut cmd: Command, what: &str) -> Result<Value, String> {
        let out = cmd
            .env("SUPABASE_URL", self.stack.url())
            .env("SUPABASE_KEY", self.stack.anon_key())
            .env("SUPABASE_SERVICE_KEY", self.stack.service_role_key())
            .env("SUPABASE_DB_URL", self.stack.db_url())
            .env("SUPABASE_EXPORT_TOKEN", &self.export_token)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .output()
            .map_err(|e| format!("could not run {what}: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        if !out.status.success() {
            return Err(format!(
                "{what} failed ({}): {}{}",
                out.status,
                stdout.chars().take(2000).collect::<String>(),
                String::from_utf8_lossy(&out.stderr)
                    .chars()
                    .take(4000)
                    .collect::<String>()
            ));
        }
        serde_json::from_str(line).map_err(|e| format!("{what}: bad output {line:?}: {e}"))
    }
}

pub(crate) async fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let args: Vec<String> = args.collect();
    if cfg!(debug_assertions) {
        return run_release(&args);
    }
    let mut quick = false;
    let mut workload = None;
    for arg in args {
        match arg.as_str() {
            "--quick" => quick = true,
            w if workload.is_none() && !w.starts_with('-') => workload = Some(w.to_owned()),
            other => return Err(format!("bench: unexpected argument {other:?}")),
        }
    }
    let started = std::time::Instant::now();
    let workload = workload.as_deref().map(|w| match w {
        "postgrest" => "clients",
        w => w,
    });
    match workload {
        Some("stack") => return stack::run().await,
        Some("clients" | "stream" | "storage" | "realtime" | "codegen") | None => {}
        Some(other) => return Err(format!("unknown workload {other:?} (known: {WORKLOADS})")),
    }
    let bench = Bench::new(quick).await?;
    let mut failures = Vec::new();
    let mut step = |name: &str, result: Result<(), String>| {
        if let Err(e) = result {
            println!("{name}: FAILED: {e}");
            failures.push(name.to_owned());
        }
    };
    let all = workload.is_none();
    if all || workload == Some("clients") {
        step("clients", clients::run(&bench).await);
    }
    if all || workload == Some("stream") {
        step("stream", stream::run(&bench));
    }
    if all || workload == Some("storage") {
        step("storage", storage::run(&bench).await);
    }
    if all || workload == Some("realtime") {
        step("realtime", realtime::run(&bench));
    }
    if all || workload == Some("codegen") {
        step("codegen", codegen::run(&bench).await);
    }
    drop(bench);
    if all {
        step("stack", stack::run().await);
    }
    println!(
        "\nbench: done in {} (JSON under {})",
        crate::secs(started.elapsed()),
        out_dir().display()
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failures.join(", ")))
    }
}

/// `target/bench/` of the workspace.
pub(crate) fn out_dir() -> PathBuf {
    root().join("target/bench")
}

/// Writes `value` as `target/bench/<name>.json`.
pub(crate) fn write_json(name: &str, value: &Value) -> Result<(), String> {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// The release-built measured processes: `xtask` (its `bench-child` subcommand) and the lean
/// client binaries of `xtask/bench-client/`.
struct Binaries {
    /// The release build of xtask.
    xtask: PathBuf,
    /// What runs `bench-child`: `xtask`, unless `XTASK_BENCH_CHILD` names another binary.
    child: PathBuf,
    /// `client name -> binary`: floor, untyped and typed (one binary), postgrest-rs.
    clients: BTreeMap<&'static str, PathBuf>,
    /// `bench-paired`: this client and its floor in one process, alternating blocks.
    paired: PathBuf,
}

/// Runs the bench in a release build of xtask. The stack (gateway, auth, storage and realtime
/// stand-ins) runs inside the bench's process, and `cargo xtask` is a debug build: built so, the
/// gateway alone made each request slower and the clients' figures worse in a way that differed
/// between clients (`docs/decisions.md`, "the bench runs a release build").
fn run_release(args: &[String]) -> Result<(), String> {
    let xtask = build_binaries()?.xtask;
    println!(
        "bench: running the release build of xtask ({})",
        xtask.display()
    );
    let status = Command::new(&xtask)
        .arg("bench")
        .args(args)
        .status()
        .map_err(|e| format!("could not run {}: {e}", xtask.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the release build of the bench failed ({status})"))
    }
}

/// Builds the measured processes (release; the client binaries with postgrest-rs) and returns
/// their paths. `XTASK_BENCH_CHILD=<path>` uses that `xtask` binary instead of building one (for
/// debugging the bench itself; its figures are not comparable unless it is a release build).
fn build_binaries() -> Result<Binaries, String> {
    println!(
        "bench: building the measured client processes (release: xtask, bench-client with postgrest-rs) ..."
    );
    let out = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "xtask",
            "-p",
            "bench-client",
            "--features",
            "bench-client/postgrest-rs",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("could not run cargo build: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building the bench binaries failed ({})",
            out.status
        ));
    }
    let mut built: BTreeMap<String, PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| {
            let exe = m["executable"].as_str()?;
            Some((m["target"]["name"].as_str()?.to_owned(), PathBuf::from(exe)))
        })
        .collect();
    let mut take = |name: &str| {
        built
            .remove(name)
            .ok_or_else(|| format!("cargo build did not report the {name} executable"))
    };
    let xtask = take("xtask")?;
    let child = std::env::var_os("XTASK_BENCH_CHILD").map_or_else(|| xtask.clone(), PathBuf::from);
    let supabase = take("bench-supabase")?;
    let floor = take("bench-floor")?;
    let clients = BTreeMap::from([
        ("floor", floor.clone()),
        ("floor-typed", floor),
        ("untyped", supabase.clone()),
        ("typed", supabase),
        ("postgrest-rs", take("bench-postgrest-rs")?),
    ]);
    Ok(Binaries {
        xtask,
        child,
        clients,
        paired: take("bench-paired")?,
    })
}

/// Formats bytes as MiB.
pub(crate) fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / 1048576.0)
}

/// "met" or "**missed**".
pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}
