//! The measured process: `xtask bench-child …` (internal), release-built with `--features
//! bench-peers` and started by `cargo xtask bench` once per measurement, so each peak RSS is its
//! own and only the client's CPU is counted (the stack and its gateway run in the parent).
//!
//! Every measurement prints one JSON line (the same shape the Python and JS peers print):
//! `{ops, rows, cpu_s, wall_s, p50_us, p99_us, peak_rss}` plus workload-specific fields.
//!
//! - `client <floor|untyped|typed|postgrest-rs> <lookup|page|insert|concurrent> <ops>`
//! - `stream <stream|collect> <rows>`
//! - `storage upload <file> <bytes>`, `storage download <bytes>`: `bench/big.bin` from a file on
//!   disk, or into a sink (service role key in `SUPABASE_SERVICE_KEY`)
//! - `realtime <changes|broadcast> <n>`
//! - `codegen <schema> <runs>`: introspect and generate the schema (`SUPABASE_DB_URL`)
//! - `build <iterations>`: microseconds to build (and render) a query with 10 filters

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use supabase_core::postgrest::Returning;
use supabase_core::prelude::*;

use super::measure::{peak_rss, percentile, process_cpu};

/// `decode` for postgrest-rs's responses (reqwest 0.11, a type this crate cannot name).
#[cfg(feature = "bench-peers")]
macro_rules! pgrs_decode {
    ($resp:expr) => {{
        let resp = $resp;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice::<Vec<BenchRow>>(&body).map_err(|e| e.to_string())?
    }};
}

/// A row of `bench_rows` (read workloads).
#[derive(Table, Debug, Deserialize, Serialize)]
#[supabase(table = "bench_rows")]
#[allow(dead_code)] // decoded (that is the cost measured), never read
pub(crate) struct BenchRow {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    note: Option<String>,
}

/// The same columns in `bench_insert` (the insert workload).
#[derive(Table, Debug, Deserialize, Serialize)]
#[supabase(table = "bench_insert")]
#[allow(dead_code)]
pub(crate) struct BenchInsert {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    note: Option<String>,
}

/// Row `i` of the insert workload (the peers build the same rows).
fn row(i: i64) -> BenchRow {
    BenchRow {
        id: i,
        name: format!("row {i}"),
        score: i as f64 * 1.5,
        active: i % 2 == 0,
        tags: vec!["a".into(), "b".into(), format!("t{}", i % 7)],
        note: (i % 3 != 0).then(|| format!("note {i}")),
    }
}

fn lookup_id(i: usize) -> i64 {
    (i % 5000) as i64 + 1
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

fn arg_num(arg: Option<&String>) -> Result<u64, String> {
    arg.and_then(|a| a.parse().ok())
        .ok_or_else(|| "expected a count".to_owned())
}

pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (url, key) = (env("SUPABASE_URL")?, env("SUPABASE_KEY")?);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let n = arg_num(args.last().map(|s| (*s).to_owned()).as_ref())?;
    let out = rt.block_on(async {
        match args.as_slice() {
            ["client", client, workload, _] => {
                run_client(&url, &key, client, workload, n as usize).await
            }
            ["stream", mode, _] => stream(&url, &key, mode, n).await,
            ["storage", "upload", file, _] => {
                storage(&url, &env("SUPABASE_SERVICE_KEY")?, Some(file), n).await
            }
            ["storage", "download", _] => {
                storage(&url, &env("SUPABASE_SERVICE_KEY")?, None, n).await
            }
            ["realtime", kind, _] => realtime(&url, &key, kind, n as usize).await,
            ["build", _] => build_ten_filters(&url, &key, n as u32),
            ["codegen", schema, _] => codegen(&env("SUPABASE_DB_URL")?, schema, n as usize).await,
            other => Err(format!("bench-child: unknown arguments {other:?}")),
        }
    })?;
    let mut out = out;
    out["peak_rss"] = json!(peak_rss());
    println!("{out}");
    Ok(())
}

/// Times `ops` sequential calls of `op` (each returning the rows it read), or `ops` calls spread
/// over `workers` concurrent tasks on this one thread.
async fn timed<F, Fut>(ops: usize, workers: usize, op: F) -> Result<Value, String>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<usize, String>>,
{
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
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let results = futures_util::future::join_all((0..workers).map(|_| worker())).await;
    let (cpu, wall) = (process_cpu() - cpu0, wall0.elapsed());
    results.into_iter().collect::<Result<Vec<()>, String>>()?;
    let mut latencies = latencies.into_inner();
    Ok(json!({
        "ops": ops,
        "rows": rows.get(),
        "cpu_s": cpu.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
        "p50_us": percentile(&mut latencies, 0.5).as_secs_f64() * 1e6,
        "p99_us": percentile(&mut latencies, 0.99).as_secs_f64() * 1e6,
    }))
}

/// The four Rust clients, each issuing the same requests.
enum Rust {
    /// Plain reqwest + serde_json into the same structs.
    Floor {
        http: reqwest::Client,
        url: String,
        key: String,
    },
    Untyped(Client),
    Typed(Client),
    #[cfg(feature = "bench-peers")]
    PostgrestRs(postgrest::Postgrest),
}

impl Rust {
    fn new(name: &str, url: &str, key: &str) -> Result<Rust, String> {
        Ok(match name {
            "floor" => Rust::Floor {
                http: reqwest::Client::new(),
                url: format!("{url}/rest/v1"),
                key: key.to_owned(),
            },
            "untyped" => Rust::Untyped(create_client(url, key).map_err(|e| e.to_string())?),
            "typed" => Rust::Typed(create_client(url, key).map_err(|e| e.to_string())?),
            #[cfg(feature = "bench-peers")]
            "postgrest-rs" => Rust::PostgrestRs(
                postgrest::Postgrest::new(format!("{url}/rest/v1"))
                    .insert_header("apikey", key)
                    .insert_header("Authorization", format!("Bearer {key}")),
            ),
            other => {
                return Err(format!(
                    "unknown client {other:?} (built without bench-peers?)"
                ));
            }
        })
    }

    async fn lookup(&self, id: i64) -> Result<usize, String> {
        let rows: Vec<BenchRow> = match self {
            Rust::Floor { .. } => self.floor_get(&format!("select=*&id=eq.{id}")).await?,
            Rust::Untyped(c) => {
                c.table("bench_rows")
                    .select("*")
                    .eq("id", id)
                    .returns::<Vec<BenchRow>>()
                    .await
                    .map_err(|e| e.to_string())?
                    .data
            }
            Rust::Typed(c) => c
                .from::<BenchRow>()
                .select()
                .eq(bench_row::id, id)
                .await
                .map_err(|e| e.to_string())?,
            #[cfg(feature = "bench-peers")]
            Rust::PostgrestRs(p) => {
                let resp = p
                    .from("bench_rows")
                    .select("*")
                    .eq("id", id.to_string())
                    .execute()
                    .await
                    .map_err(|e| e.to_string())?;
                pgrs_decode!(resp)
            }
        };
        Ok(rows.len())
    }

    async fn page(&self, offset: u64) -> Result<usize, String> {
        let rows: Vec<BenchRow> = match self {
            Rust::Floor { .. } => {
                // What supabase-js and postgrest-rs send for `.range()`.
                self.floor_get(&format!("select=*&offset={offset}&limit=1000"))
                    .await?
            }
            Rust::Untyped(c) => {
                c.table("bench_rows")
                    .select("*")
                    .range(offset, offset + 999)
                    .returns::<Vec<BenchRow>>()
                    .await
                    .map_err(|e| e.to_string())?
                    .data
            }
            Rust::Typed(c) => c
                .from::<BenchRow>()
                .select()
                .range(offset, offset + 999)
                .await
                .map_err(|e| e.to_string())?,
            #[cfg(feature = "bench-peers")]
            Rust::PostgrestRs(p) => {
                let resp = p
                    .from("bench_rows")
                    .select("*")
                    .range(offset as usize, offset as usize + 999)
                    .execute()
                    .await
                    .map_err(|e| e.to_string())?;
                pgrs_decode!(resp)
            }
        };
        Ok(rows.len())
    }

    /// Inserts one batch and decodes the rows PostgREST returns (`return=representation`, the
    /// default of this client, supabase-py and postgrest-rs; supabase-js gets `.select()`).
    async fn insert(&self, batch: Batch) -> Result<usize, String> {
        let rows: Vec<BenchRow> = match (self, batch) {
            (Rust::Floor { http, url, key }, Batch::Rows(rows)) => {
                let body = serde_json::to_vec(&rows).map_err(|e| e.to_string())?;
                let resp = http
                    .post(format!("{url}/bench_insert"))
                    .header("apikey", key)
                    .header("Authorization", format!("Bearer {key}"))
                    .header("Content-Type", "application/json")
                    .header("Prefer", "return=representation")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                decode(resp).await?
            }
            (Rust::Untyped(c), Batch::Rows(rows)) => {
                c.table("bench_insert")
                    .insert(&rows)
                    .returning(Returning::Representation)
                    .returns::<Vec<BenchRow>>()
                    .await
                    .map_err(|e| e.to_string())?
                    .data
            }
            (Rust::Typed(c), Batch::Typed(rows)) => {
                let stored: Vec<BenchInsert> = c
                    .from::<BenchInsert>()
                    .insert_many(rows)
                    .await
                    .map_err(|e| e.to_string())?;
                return Ok(stored.len());
            }
            #[cfg(feature = "bench-peers")]
            (Rust::PostgrestRs(p), Batch::Rows(rows)) => {
                let body = serde_json::to_string(&rows).map_err(|e| e.to_string())?;
                let resp = p
                    .from("bench_insert")
                    .insert(body)
                    .execute()
                    .await
                    .map_err(|e| e.to_string())?;
                pgrs_decode!(resp)
            }
            _ => return Err("batch of the wrong kind".into()),
        };
        Ok(rows.len())
    }

    async fn floor_get(&self, query: &str) -> Result<Vec<BenchRow>, String> {
        let Rust::Floor { http, url, key } = self else {
            return Err("not the floor".into());
        };
        let resp = http
            .get(format!("{url}/bench_rows?{query}"))
            .header("apikey", key)
            .header("Authorization", format!("Bearer {key}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        decode(resp).await
    }
}

/// One insert batch, in the shape each client takes.
enum Batch {
    Rows(Vec<BenchRow>),
    Typed(Vec<BenchInsertInsert>),
}

async fn decode(resp: reqwest::Response) -> Result<Vec<BenchRow>, String> {
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    serde_json::from_slice(&body).map_err(|e| e.to_string())
}

async fn run_client(
    url: &str,
    key: &str,
    client: &str,
    workload: &str,
    ops: usize,
) -> Result<Value, String> {
    let c = Rust::new(client, url, key)?;
    match workload {
        "lookup" => timed(ops, 1, |i| c.lookup(lookup_id(i))).await,
        "concurrent" => timed(ops, 8, |i| c.lookup(lookup_id(i))).await,
        "page" => timed(ops, 1, |i| c.page((i % 4) as u64 * 1000)).await,
        "insert" => {
            // The rows are built before the clock starts, as native values of each client.
            let batches: Vec<std::cell::Cell<Option<Batch>>> = (0..ops as i64)
                .map(|b| {
                    let ids = (b * 1000 + 1)..=(b * 1000 + 1000);
                    std::cell::Cell::new(Some(if matches!(c, Rust::Typed(_)) {
                        Batch::Typed(
                            ids.map(|i| {
                                let r = row(i);
                                let insert =
                                    BenchInsertInsert::new(r.id, r.name, r.score, r.active, r.tags);
                                // Left out when null: the column default (null) fills it in.
                                match r.note {
                                    Some(note) => insert.note(note),
                                    None => insert,
                                }
                            })
                            .collect(),
                        )
                    } else {
                        Batch::Rows(ids.map(row).collect())
                    }))
                })
                .collect();
            timed(ops, 1, |i| {
                let batch = batches[i].take();
                let c = &c;
                async move { c.insert(batch.ok_or("batch used twice")?).await }
            })
            .await
        }
        other => Err(format!("unknown workload {other:?}")),
    }
}

/// Reads `rows` rows of `bench_series` with `.stream()` or collected into a `Vec`, as role
/// `bench_export` (`SUPABASE_EXPORT_TOKEN`: no statement timeout).
async fn stream(url: &str, key: &str, mode: &str, rows: u64) -> Result<Value, String> {
    #[derive(Deserialize)]
    struct Row {
        id: i32,
        #[allow(dead_code)]
        label: String,
        #[allow(dead_code)]
        score: f64,
    }
    let options = supabase_core::ClientOptions::default().header(
        "Authorization",
        format!("Bearer {}", env("SUPABASE_EXPORT_TOKEN")?),
    );
    let client = Client::new(url, key, options).map_err(|e| e.to_string())?;
    let request = || {
        client
            .rpc("bench_series", json!({ "n": rows }))
            .returns::<Vec<Row>>()
    };
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let n = match mode {
        "stream" => {
            let mut stream = std::pin::pin!(request().stream());
            let (mut n, mut last) = (0u64, 0);
            while let Some(row) = stream.next().await {
                last = row.map_err(|e| e.to_string())?.id;
                n += 1;
            }
            if i64::from(last) != n as i64 {
                return Err(format!("rows out of order: last id {last} after {n} rows"));
            }
            n
        }
        "collect" => request().await.map_err(|e| e.to_string())?.data.len() as u64,
        other => return Err(format!("unknown mode {other:?}")),
    };
    Ok(json!({
        "rows": n,
        "cpu_s": (process_cpu() - cpu0).as_secs_f64(),
        "wall_s": wall0.elapsed().as_secs_f64(),
    }))
}

/// Uploads the file `upload` (of `bytes` bytes, streamed from disk) to `bench/big.bin`, or
/// (`upload` is `None`) downloads that object as a stream into a sink, counting its bytes.
async fn storage(url: &str, key: &str, upload: Option<&str>, bytes: u64) -> Result<Value, String> {
    use supabase_core::storage::{FileOptions, UploadBody, UrlOptions};

    let client = create_client(url, key).map_err(|e| e.to_string())?;
    let bucket = client.storage().from_("bench");
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let moved = match upload {
        Some(file) => {
            bucket
                .upload(
                    "big.bin",
                    UploadBody::file(file),
                    FileOptions::new()
                        .upsert(true)
                        .content_type("application/octet-stream"),
                )
                .await
                .map_err(|e| e.to_string())?;
            bytes
        }
        None => {
            let mut stream = bucket
                .download_stream("big.bin", UrlOptions::default())
                .await
                .map_err(|e| e.to_string())?;
            let mut n = 0u64;
            while let Some(chunk) = stream.next().await {
                n += chunk.map_err(|e| e.to_string())?.len() as u64;
            }
            if n != bytes {
                return Err(format!("downloaded {n} bytes, expected {bytes}"));
            }
            n
        }
    };
    let wall = wall0.elapsed().as_secs_f64();
    Ok(json!({
        "bytes": moved,
        "cpu_s": (process_cpu() - cpu0).as_secs_f64(),
        "wall_s": wall,
        "mib_per_s": moved as f64 / 1048576.0 / wall,
    }))
}

/// Latency of `n` postgres changes (from sending the insert through PostgREST to the change
/// arriving) or of `n` broadcast round trips (send to hearing it back, `broadcast_self`).
async fn realtime(url: &str, key: &str, kind: &str, n: usize) -> Result<Value, String> {
    use supabase_core::realtime::{ChannelConfig, PostgresChangeEvent, PostgresChanges};

    const STALL: Duration = Duration::from_secs(10);
    let client = create_client(url, key).map_err(|e| e.to_string())?;
    let topic = format!("bench-{}", std::process::id());
    let mut latencies = Vec::with_capacity(n);
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    match kind {
        "changes" => {
            let channel = client.channel(&topic, ChannelConfig::default());
            let mut changes = channel.postgres_changes_stream(
                PostgresChangeEvent::Insert,
                PostgresChanges::schema("public").table("bench_rt"),
            );
            channel.subscribe().await.map_err(|e| e.to_string())?;
            let run = std::process::id() as i64 * 1_000_000;
            for i in 0..n as i64 {
                let t = Instant::now();
                client
                    .table("bench_rt")
                    .insert(json!({ "id": run + i, "label": "x" }))
                    .returning(Returning::Minimal)
                    .await
                    .map_err(|e| e.to_string())?;
                let change = tokio::time::timeout(STALL, changes.recv())
                    .await
                    .map_err(|_| "no change within 10 s")?
                    .ok_or("the change stream ended")?;
                if change.new["id"] != json!(run + i) {
                    return Err(format!("unexpected change {:?}", change.new));
                }
                latencies.push(t.elapsed());
            }
        }
        "broadcast" => {
            let channel = client.channel(&topic, ChannelConfig::default().broadcast_self(true));
            let mut heard = channel.broadcast_stream("ping");
            let channel = channel.subscribe().await.map_err(|e| e.to_string())?;
            for i in 0..n {
                let t = Instant::now();
                channel
                    .send_broadcast("ping", json!({ "n": i }))
                    .await
                    .map_err(|e| e.to_string())?;
                let msg = tokio::time::timeout(STALL, heard.recv())
                    .await
                    .map_err(|_| "no broadcast within 10 s")?
                    .ok_or("the broadcast stream ended")?;
                if msg.payload != json!({ "n": i }) {
                    return Err(format!("unexpected broadcast {:?}", msg.payload));
                }
                latencies.push(t.elapsed());
            }
        }
        other => return Err(format!("unknown realtime workload {other:?}")),
    }
    let (cpu, wall) = (process_cpu() - cpu0, wall0.elapsed());
    Ok(json!({
        "ops": n,
        "cpu_s": cpu.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
        "p50_us": percentile(&mut latencies, 0.5).as_secs_f64() * 1e6,
        "p99_us": percentile(&mut latencies, 0.99).as_secs_f64() * 1e6,
    }))
}

/// Microseconds to build a query with 10 filters, untyped and typed, then the same plus
/// rendering the request (URL, headers); the median of 3 runs of `iterations` each.
fn build_ten_filters(url: &str, key: &str, iterations: u32) -> Result<Value, String> {
    use super::measure::median;
    use supabase_core::postgrest::Is;

    let client = create_client(url, key).map_err(|e| e.to_string())?;
    let untyped = || {
        client
            .table("bench_rows")
            .select(BenchRow::SELECT)
            .eq("id", 7)
            .neq("name", "x, y")
            .gt("score", 1.5)
            .lt("score", 900.0)
            .eq("active", true)
            .like("name", "row%")
            .in_("id", [1, 2, 3])
            .contains("tags", ["a"])
            .is_("note", Is::Null)
            .gte("id", 1)
    };
    let typed = || {
        client
            .from::<BenchRow>()
            .select()
            .eq(bench_row::id, 7)
            .neq(bench_row::name, "x, y")
            .gt(bench_row::score, 1.5)
            .lt(bench_row::score, 900.0)
            .eq(bench_row::active, true)
            .like(bench_row::name, "row%")
            .in_(bench_row::id, [1, 2, 3])
            .filter(bench_row::tags.contains(["a"]))
            .is_null(bench_row::note)
            .gte(bench_row::id, 1)
    };
    let (u, t) = (untyped().build(), typed().build());
    if u.map_err(|e| e.to_string())?.url() != t.map_err(|e| e.to_string())?.url() {
        return Err("the typed and untyped queries differ".into());
    }
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..iterations {
            f();
        }
        t.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
    };
    let mut results: [Vec<f64>; 4] = Default::default();
    for _ in 0..3 {
        results[0].push(time(&|| drop(std::hint::black_box(untyped()))));
        results[1].push(time(&|| drop(std::hint::black_box(typed()))));
        results[2].push(time(&|| drop(std::hint::black_box(untyped().build()))));
        results[3].push(time(&|| drop(std::hint::black_box(typed().build()))));
    }
    let [u, t, ub, tb] = results.map(median);
    Ok(json!({ "untyped_us": u, "typed_us": t, "untyped_build_us": ub, "typed_build_us": tb }))
}

/// Introspects `schema` and generates its Rust, `runs` times; medians of each step.
async fn codegen(db_url: &str, schema: &str, runs: usize) -> Result<Value, String> {
    use super::measure::median;

    let config = supabase_codegen::Config {
        schemas: vec![schema.to_owned()],
        ..supabase_codegen::Config::default()
    };
    let (mut introspect, mut generate, mut lines) = (Vec::new(), Vec::new(), 0);
    for _ in 0..runs {
        let t = Instant::now();
        let ir = supabase_codegen::source::postgres::introspect(db_url, &config.schemas)
            .await
            .map_err(|e| e.to_string())?;
        introspect.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let code = supabase_codegen::generate(&ir, &config);
        generate.push(t.elapsed().as_secs_f64());
        lines = code.lines().count();
    }
    Ok(json!({
        "introspect_s": median(introspect),
        "generate_s": median(generate),
        "lines": lines,
    }))
}
