//! `cargo xtask`: project automation.
//!
//! - `setup`: check the Postgres binaries, provision PostgREST and Deno, warm the template cluster.
//! - `test`: setup, then fmt, clippy, doc and the whole test suite; stops at the first failure.
//! - `tour`: the main demo, against a local stack started from `examples/`.
//! - `bench [--quick] [workload]`: benchmarks against the peers (see `bench/mod.rs`).
//! - `fuzz [--minutes N] [TARGET…]`: the `fuzz/` targets with libFuzzer (installs cargo-fuzz).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod bench;
mod fuzz;
mod test;
mod tour;
mod watch;

const USAGE: &str = "usage: cargo xtask <setup | test | tour | bench [--quick] [clients | stream | storage | realtime | codegen | stack] | fuzz [--minutes N] [TARGET…]>";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let result = match args.next().as_deref() {
        Some("setup") => runtime().and_then(|rt| rt.block_on(setup())),
        Some("test") => test::run(),
        Some("tour") => runtime().and_then(|rt| rt.block_on(tour::run())),
        Some("bench") => runtime().and_then(|rt| rt.block_on(bench::run(args))),
        Some("bench-child") => bench::child_main(&args.collect::<Vec<_>>()),
        Some("fuzz") => fuzz::run(args),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// The workspace root (xtask lives in `<root>/xtask`).
pub(crate) fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.2}s", d.as_secs_f64())
}

/// Checks the Postgres binaries, provisions PostgREST, and starts (then stops) a stack once so the
/// template cluster is cached before the tests need it.
pub(crate) async fn setup() -> Result<(), String> {
    let pg = supabase_local::find_pg_binaries().map_err(|e| e.to_string())?;
    println!("postgres  {} ({})", pg.version, pg.postgres.display());
    let cache = supabase_local::default_cache_dir();
    let postgrest =
        tokio::task::spawn_blocking(move || supabase_local::provision_postgrest(&cache))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    println!(
        "postgrest {} ({})",
        supabase_local::POSTGREST_VERSION,
        postgrest.display()
    );
    // Deno for the edge functions: provisioned now so no test downloads it midway.
    let cache = supabase_local::default_cache_dir();
    let (deno, version) =
        tokio::task::spawn_blocking(move || supabase_local::provision_deno(&cache))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    println!("deno      {version} ({})", deno.display());
    let started = Instant::now();
    let stack = supabase_local::Stack::start()
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "stack     started in {} (cache {})",
        secs(started.elapsed()),
        supabase_local::default_cache_dir().display()
    );
    drop(stack);
    Ok(())
}
