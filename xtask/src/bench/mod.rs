//! `cargo xtask bench`: benchmarks. Figures are printed (and written as JSON under
//! `target/bench/`), never asserted.
//!
//! - `stack`: time from `Stack::start()` to the first successful query, cold and warm.
//! - `postgrest`: client CPU per request of this client (typed and untyped) against plain reqwest
//!   + serde issuing the same requests (the floor), in interleaved rounds.
//! - `stream`: peak RSS of streaming 1,000,000 rows versus collecting them.

mod clients;
mod measure;
mod stack;
mod stream;

pub(crate) use stream::child as stream_main;

use std::process::Command;

use supabase_local::Stack;

use crate::root;

pub(crate) async fn run(workload: Option<&str>) -> Result<(), String> {
    match workload {
        None => {
            stack::run().await?;
            postgrest().await?;
            stream::run().await
        }
        Some("stack") => stack::run().await,
        Some("postgrest") => postgrest().await,
        Some("stream") => stream::run().await,
        Some(other) => Err(format!(
            "unknown workload {other:?} (known: stack, postgrest, stream)"
        )),
    }
}

/// Rows for the page workload.
const BENCH_TABLE: &str = "
create table if not exists bench_rows (
  id bigint primary key,
  name text not null,
  score double precision not null,
  active boolean not null,
  tags text[] not null,
  note text
);
insert into bench_rows
select i, 'row ' || i, i * 1.5, i % 2 = 0, array['a', 'b', 't' || (i % 7)], case when i % 3 = 0 then null else 'note ' || i end
from generate_series(1, 5000) as i
on conflict do nothing;
grant select on bench_rows to anon;
";

/// Starts a stack here, then runs the clients in a separate release-built process so that only
/// their CPU is counted (the gateway runs in this process).
async fn postgrest() -> Result<(), String> {
    let stack = Stack::builder()
        .project_dir(root().join("examples"))
        .start()
        .await
        .map_err(|e| e.to_string())?;
    stack
        .execute_sql(BENCH_TABLE)
        .await
        .map_err(|e| e.to_string())?;
    stack.reload_schema().await.map_err(|e| e.to_string())?;
    println!("postgrest: building the client benchmark (release) ...");
    let status = Command::new(env!("CARGO"))
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "xtask",
            "--",
            "bench-clients",
        ])
        .current_dir(root())
        .env("SUPABASE_URL", stack.url())
        .env("SUPABASE_KEY", stack.anon_key())
        .status()
        .map_err(|e| format!("could not run the client benchmark: {e}"))?;
    if !status.success() {
        return Err(format!("the client benchmark failed ({status})"));
    }
    Ok(())
}

/// The child process: `cargo xtask bench-clients` (internal).
pub(crate) fn clients_main() -> Result<(), String> {
    let url = std::env::var("SUPABASE_URL").map_err(|_| "SUPABASE_URL is not set")?;
    let key = std::env::var("SUPABASE_KEY").map_err(|_| "SUPABASE_KEY is not set")?;
    clients::run(&url, &key)
}
