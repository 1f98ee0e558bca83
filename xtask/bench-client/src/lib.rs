//! The measured Rust client processes of `cargo xtask bench` (workload `clients`).
//!
//! Each Rust client is its own small binary, so its peak RSS counts only what a user of that
//! client links: `bench-floor` (plain reqwest + serde_json, the floor), `bench-supabase` (this
//! client, untyped `table()` and typed `from::<T>()`), `bench-postgrest-rs` (feature
//! `postgrest-rs`). `bench-paired` runs this client and its floor in one process, in
//! alternating blocks of lookups, for their CPU ratio with the host's noise paired out (see its
//! docs). This library holds what they share: the rows, the workload driver, the measurements
//! ([`measure`], also used by xtask's other bench processes) and the floor's and this client's
//! requests ([`floor`], [`supabase`]; both in this crate since session 14, so each is called
//! across a crate boundary from the driver alike, as an application calls a client library).
//!
//! The per-client binaries take `<client> <lookup|page|insert|concurrent> <ops>` and print one
//! JSON line:
//! `{ops, rows, cpu_s, wall_s, faults, p50_us, p99_us, peak_rss, rss}` (the same shape the Python and
//! JS peers print, plus `faults`: the minor page faults of the timed part, and `rss`: where the
//! resident memory is at the end, [`measure::rss_breakdown`]).
//!
//! All of them run on a current-thread tokio runtime, as a sequential client app would: one
//! thread, no worker pool. The 8-way concurrent workload runs 8 tasks on that same thread
//! (concurrency without parallelism), so every client is measured with the same runtime.

pub mod floor;
pub mod measure;
pub mod supabase;

use std::future::Future;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use measure::{minor_faults, peak_rss, percentile, process_cpu, rss_breakdown};

/// A row of `bench_rows` as plain serde (the floor and postgrest-rs decode into it; this client's
/// binary derives `Table` on the same fields).
#[derive(Debug, Deserialize, Serialize)]
#[allow(dead_code)] // decoded (that is the cost measured), never read
pub struct Row {
    /// Primary key.
    pub id: i64,
    /// `row <id>`.
    pub name: String,
    /// `id * 1.5`.
    pub score: f64,
    /// Even ids.
    pub active: bool,
    /// `["a", "b", "t<id % 7>"]`.
    pub tags: Vec<String>,
    /// Null for every third id.
    pub note: Option<String>,
}

/// Row `i` of the insert workload (the peers build the same rows).
pub fn row(i: i64) -> Row {
    Row {
        id: i,
        name: format!("row {i}"),
        score: i as f64 * 1.5,
        active: i % 2 == 0,
        tags: vec!["a".into(), "b".into(), format!("t{}", i % 7)],
        note: (i % 3 != 0).then(|| format!("note {i}")),
    }
}

/// The id the `i`-th point lookup reads.
pub fn lookup_id(i: usize) -> i64 {
    (i % 5000) as i64 + 1
}

/// One Rust client issuing the bench's requests; each returns how many rows it read or wrote.
#[allow(async_fn_in_trait)] // used on one thread, never as `Send`
pub trait Workloads {
    /// One insert batch in the shape this client takes, built before the clock starts.
    type Batch;
    /// The batch of rows `ids` (`row(i)` for each).
    fn batch(&self, ids: std::ops::RangeInclusive<i64>) -> Self::Batch;
    /// `bench_rows` where `id = id`.
    async fn lookup(&self, id: i64) -> Result<usize, String>;
    /// 1000 rows of `bench_rows` from `offset`.
    async fn page(&self, offset: u64) -> Result<usize, String>;
    /// Inserts `batch` into `bench_insert`, decoding the rows PostgREST returns
    /// (`return=representation`: the default of this client, supabase-py and postgrest-rs).
    async fn insert(&self, batch: Self::Batch) -> Result<usize, String>;
}

/// The environment variable `name`.
pub fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

/// A binary's `main`: parses `<client> <workload> <ops>`, builds the client with `make(client,
/// url, key)` on a current-thread runtime, runs the workload and prints its JSON line (plus
/// `peak_rss` and the breakdown, read after the run). `extra` handles other subcommands.
pub fn main<C, M>(make: M, extra: impl FnOnce(&[String]) -> Option<Result<Value, String>>)
where
    C: Workloads,
    M: FnOnce(&str, &str, &str) -> Result<C, String>,
{
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match extra(&args) {
        Some(result) => result,
        None => run_main(make, &args),
    };
    match result {
        Ok(mut out) => {
            out["peak_rss"] = json!(peak_rss());
            out["rss"] = rss_breakdown();
            println!("{out}");
        }
        Err(e) => {
            eprintln!("bench-client: {e}");
            std::process::exit(1);
        }
    }
}

fn run_main<C, M>(make: M, args: &[String]) -> Result<Value, String>
where
    C: Workloads,
    M: FnOnce(&str, &str, &str) -> Result<C, String>,
{
    let [client, workload, ops] = args else {
        return Err(format!(
            "usage: <client> <lookup|page|insert|concurrent> <ops>, got {args:?}"
        ));
    };
    let ops: usize = ops.parse().map_err(|_| format!("bad count {ops:?}"))?;
    let (url, key) = (env("SUPABASE_URL")?, env("SUPABASE_KEY")?);
    runtime()?.block_on(async {
        let c = make(client, &url, &key)?;
        run(&c, workload, ops).await
    })
}

/// The runtime every measured Rust client runs on: current-thread, as a sequential app's.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

/// Runs `workload` `ops` times with `c` (after the warm-up calls of [`timed`]).
pub async fn run<C: Workloads>(c: &C, workload: &str, ops: usize) -> Result<Value, String> {
    match workload {
        "lookup" => timed(ops, 1, |i| c.lookup(lookup_id(i))).await,
        "concurrent" => timed(ops, 8, |i| c.lookup(lookup_id(i))).await,
        "page" => timed(ops, 1, |i| c.page((i % 4) as u64 * 1000)).await,
        "insert" => {
            // The rows are built before the clock starts, as native values of each client: one
            // batch per call, the warm-up's included (ids past the timed batches').
            let workers = 1;
            let batches: Vec<std::cell::Cell<Option<C::Batch>>> = (0..(ops + workers) as i64)
                .map(|b| std::cell::Cell::new(Some(c.batch((b * 1000 + 1)..=(b * 1000 + 1000)))))
                .collect();
            timed(ops, workers, |i| {
                let batch = batches[i].take();
                async move { c.insert(batch.ok_or("batch used twice")?).await }
            })
            .await
        }
        other => Err(format!("unknown workload {other:?}")),
    }
}

/// Times `ops` calls of `op` (indices `0..ops`), sequential or spread over `workers`
/// concurrent tasks on this one thread.
///
/// First, untimed, `workers` warm-up calls run at once (indices `ops..ops + workers`): they
/// open the connections and grow the buffers a client's first requests need, so the figures
/// are per request in the steady state. Every client of the bench, the peers included, warms up
/// the same way.
pub async fn timed<F, Fut>(ops: usize, workers: usize, op: F) -> Result<Value, String>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<usize, String>>,
{
    futures_util::future::try_join_all((ops..ops + workers).map(&op)).await?;
    let next = std::cell::Cell::new(0);
    let latencies = std::cell::RefCell::new(Vec::with_capacity(ops));
    let rows = std::cell::Cell::new(0);
    let worker = || async {
        loop {
            let i = next.get();
            if i >= ops {
                return Ok::<(), String>(());
            }
            next.set(i + 1);
            let t = Instant::now();
            let n = op(i).await?;
            latencies.borrow_mut().push(t.elapsed());
            rows.set(rows.get() + n);
        }
    };
    let (cpu0, faults0, wall0) = (process_cpu(), minor_faults(), Instant::now());
    let results = futures_util::future::join_all((0..workers).map(|_| worker())).await;
    let (cpu, wall) = (process_cpu() - cpu0, wall0.elapsed());
    let faults = minor_faults().saturating_sub(faults0);
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    let mut latencies = latencies.into_inner();
    Ok(json!({
        "ops": ops,
        "rows": rows.get(),
        "cpu_s": cpu.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
        "faults": faults,
        "p50_us": percentile(&mut latencies, 0.5).as_secs_f64() * 1e6,
        "p99_us": percentile(&mut latencies, 0.99).as_secs_f64() * 1e6,
    }))
}

/// Decodes a response body into rows, or its status and body as the error.
pub fn decode_rows(status: u16, body: &[u8]) -> Result<Vec<Row>, String> {
    if !(200..300).contains(&status) {
        return Err(format!("{status}: {}", String::from_utf8_lossy(body)));
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}
