//! Workload `codegen`: a 1,000-table schema created in the stack's Postgres, then introspected
//! and turned into Rust by supabase-codegen (the library the CLI runs) in the release-built
//! child, timed. Then the Rust generated for 200 such tables is written into a throwaway crate
//! (`target/bench/codegen-check/`, depending on supabase-core by path) and `cargo check` of it
//! is timed: what a user waits for after regenerating their types.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Bench, write_json};
use crate::root;

const TABLES: usize = 1000;
const SCHEMA: &str = "bench_codegen";
/// Tables of the schema whose generated code is `cargo check`ed.
const CHECK_TABLES: usize = 200;
/// Timed `cargo check` runs (full, `--quick`); the median is reported.
const CHECK_RUNS: (usize, usize) = (3, 1);

/// `tables` tables, each: a key, text, numeric, timestamp, boolean, array, and a foreign key to
/// the previous table (so relations are generated too).
fn schema_sql(schema: &str, tables: usize) -> String {
    let mut sql = format!("drop schema if exists {schema} cascade; create schema {schema};\n");
    for i in 0..tables {
        let parent = if i == 0 {
            String::new()
        } else {
            format!(
                ",\n  parent_id bigint references {schema}.t{:04}(id)",
                i - 1
            )
        };
        let _ = writeln!(
            sql,
            "create table {schema}.t{i:04} (\n  id bigint generated always as identity primary key,\n  \
             name text not null,\n  amount numeric,\n  created_at timestamptz not null default now(),\n  \
             active boolean not null default true,\n  tags text[]{parent}\n);"
        );
    }
    sql
}

pub(crate) async fn run(bench: &Bench) -> Result<(), String> {
    println!("\ncodegen: {TABLES} tables (7 columns, a foreign key each) in schema {SCHEMA}");
    let t = Instant::now();
    bench
        .stack
        .execute_sql(&schema_sql(SCHEMA, TABLES))
        .await
        .map_err(|e| e.to_string())?;
    let create = t.elapsed();
    let v = bench.child(&["codegen", SCHEMA, "3"])?;
    let (i, g) = (
        v["introspect_s"].as_f64().unwrap_or(f64::NAN),
        v["generate_s"].as_f64().unwrap_or(f64::NAN),
    );
    println!(
        "  introspect {i:.2}s + generate {g:.2}s = {:.2}s ({} lines of Rust; medians of 3, release build; creating the schema took {:.1}s)",
        i + g,
        v["lines"],
        create.as_secs_f64()
    );
    bench
        .stack
        .execute_sql(&format!("drop schema {SCHEMA} cascade"))
        .await
        .map_err(|e| e.to_string())?;
    let check = cargo_check(bench).await;
    if let Err(e) = &check {
        println!("  cargo check of the generated code: FAILED: {e}");
    }
    write_json(
        "codegen",
        &json!({ "tables": TABLES, "median_total_s": i + g, "run": v,
                 "cargo_check": check.as_ref().ok() }),
    )?;
    check.map(drop)
}

/// Creates a `CHECK_TABLES`-table schema, generates its Rust (default `Config`, as the timed
/// run), writes it into `target/bench/codegen-check/` and times `cargo check` of that crate
/// after touching the generated module (its dependencies checked once before, untimed).
async fn cargo_check(bench: &Bench) -> Result<Value, String> {
    let schema = "bench_codegen_check";
    println!("  cargo check of the Rust generated for {CHECK_TABLES} tables of the same shape:");
    bench
        .stack
        .execute_sql(&schema_sql(schema, CHECK_TABLES))
        .await
        .map_err(|e| e.to_string())?;
    let config = supabase_codegen::Config {
        schemas: vec![schema.to_owned()],
        ..supabase_codegen::Config::default()
    };
    let ir = supabase_codegen::source::postgres::introspect(&bench.stack.db_url(), &config.schemas)
        .await
        .map_err(|e| e.to_string());
    bench
        .stack
        .execute_sql(&format!("drop schema {schema} cascade"))
        .await
        .map_err(|e| e.to_string())?;
    let code = supabase_codegen::generate(&ir?, &config);
    let dir = super::out_dir().join("codegen-check");
    write_crate(&dir, &code)?;
    let started = Instant::now();
    cargo_check_once(&dir)?;
    println!(
        "    warm-up check (dependencies; not timed): {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let runs = if bench.quick {
        CHECK_RUNS.1
    } else {
        CHECK_RUNS.0
    };
    let lib = dir.join("src/lib.rs");
    let mut times = Vec::new();
    for _ in 0..runs {
        // Regenerated: the same text written again, so cargo sees a changed file.
        std::fs::write(&lib, &code).map_err(|e| format!("writing {}: {e}", lib.display()))?;
        times.push(cargo_check_once(&dir)?.as_secs_f64());
    }
    let median = bench_client::measure::median(times.clone());
    println!(
        "    cargo check after regenerating: {median:.2}s (median of {runs}; {} lines; debug, its own target dir)",
        code.lines().count()
    );
    Ok(json!({
        "tables": CHECK_TABLES,
        "lines": code.lines().count(),
        "runs_s": times,
        "median_s": median,
    }))
}

/// The throwaway crate: its own workspace and lock file (a copy of this workspace's, so the
/// same dependency versions are checked and nothing is resolved anew).
fn write_crate(dir: &Path, code: &str) -> Result<(), String> {
    let io = |what: &Path, e: std::io::Error| format!("writing {}: {e}", what.display());
    std::fs::create_dir_all(dir.join("src")).map_err(|e| io(dir, e))?;
    let core = root().join("supabase-core");
    let manifest = format!(
        "# Written by `cargo xtask bench codegen`: the Rust supabase-codegen generates for \
         {CHECK_TABLES} tables.\n\
         [package]\nname = \"codegen-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nsupabase-core = {{ path = {core:?} }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\n\
         [workspace]\n",
        core = core.display().to_string(),
    );
    let path = dir.join("Cargo.toml");
    std::fs::write(&path, manifest).map_err(|e| io(&path, e))?;
    // Copied every run, so the checked versions follow the workspace's.
    let lock = dir.join("Cargo.lock");
    std::fs::copy(root().join("Cargo.lock"), &lock).map_err(|e| io(&lock, e))?;
    let lib = dir.join("src/lib.rs");
    std::fs::write(&lib, code).map_err(|e| io(&lib, e))
}

/// `cargo check` of the crate in `dir`, with its own target dir (`dir/target`: no wait on the
/// workspace's build lock); how long it took.
fn cargo_check_once(dir: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let out = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--message-format=short"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .map_err(|e| format!("could not run cargo check: {e}"))?;
    let took = started.elapsed();
    if !out.status.success() {
        return Err(format!(
            "cargo check failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
                .chars()
                .take(4000)
                .collect::<String>()
        ));
    }
    Ok(took)
}
