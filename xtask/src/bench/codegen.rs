//! Workload `codegen`: a 1,000-table schema created in the stack's Postgres, then introspected
//! and turned into Rust by supabase-codegen (the library the CLI runs) in the release-built
//! child, timed.

use std::fmt::Write as _;
use std::time::Instant;

use serde_json::json;

use super::{Bench, write_json};

const TABLES: usize = 1000;
const SCHEMA: &str = "bench_codegen";

/// Each table: a key, text, numeric, timestamp, boolean, array, and a foreign key to the previous
/// table (so relations are generated too).
fn schema_sql() -> String {
    let mut sql = format!("drop schema if exists {SCHEMA} cascade; create schema {SCHEMA};\n");
    for i in 0..TABLES {
        let parent = if i == 0 {
            String::new()
        } else {
            format!(
                ",\n  parent_id bigint references {SCHEMA}.t{:04}(id)",
                i - 1
            )
        };
        let _ = writeln!(
            sql,
            "create table {SCHEMA}.t{i:04} (\n  id bigint generated always as identity primary key,\n  \
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
        .execute_sql(&schema_sql())
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
    write_json(
        "codegen",
        &json!({ "tables": TABLES, "median_total_s": i + g, "run": v }),
    )
}
