//! The measured process for the workloads other than `clients`: `xtask bench-child …`
//! (internal), release-built and started by `cargo xtask bench` once per measurement, so each
//! peak RSS is its own and only the client's CPU is counted (the stack and its gateway run in the
//! parent). The `clients` workload runs in the lean binaries of `xtask/bench-client/` instead.
//!
//! Every measurement prints one JSON line: `{cpu_s, wall_s, peak_rss, …}` plus
//! workload-specific fields.
//!
//! - `stream <stream|collect> <rows>`
//! - `storage upload <file> <bytes>`, `storage download <bytes>`: `bench/big.bin` from a file on
//!   disk, or into a sink (service role key in `SUPABASE_SERVICE_KEY`)
//! - `realtime <changes|broadcast|throughput|channels> <n>`
//! - `codegen <schema> <runs>`: introspect and generate the schema (`SUPABASE_DB_URL`)

use std::time::{Duration, Instant};

use bench_client::measure::{peak_rss, percentile, process_cpu};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use supabase_core::postgrest::Returning;
use supabase_core::prelude::*;

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

pub(crate) fn main(args: &[String]) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (url, key) = (env("SUPABASE_URL")?, env("SUPABASE_KEY")?);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let n: u64 = args
        .last()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| "expected a count".to_owned())?;
    let out = rt.block_on(async {
        match args.as_slice() {
            ["stream", mode, _] => stream(&url, &key, mode, n).await,
            ["storage", "upload", file, _] => {
                storage(&url, &env("SUPABASE_SERVICE_KEY")?, Some(file), n).await
            }
            ["storage", "download", _] => {
                storage(&url, &env("SUPABASE_SERVICE_KEY")?, None, n).await
            }
            ["realtime", kind, _] => realtime(&url, &key, kind, n as usize).await,
            ["codegen", schema, _] => codegen(&env("SUPABASE_DB_URL")?, schema, n as usize).await,
            other => Err(format!("bench-child: unknown arguments {other:?}")),
        }
    })?;
    let mut out = out;
    out["peak_rss"] = json!(peak_rss());
    println!("{out}");
    Ok(())
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
    use supabase_core::storage::{FileOptions, UploadBody};

    let client = create_client(url, key).map_err(|e| e.to_string())?;
    let bucket = client.storage().from_("bench");
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let moved = match upload {
        Some(file) => {
            bucket
                .upload_with(
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
                .download_stream("big.bin")
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
/// arriving) or of `n` broadcast round trips (send to hearing it back, `broadcast_self`);
/// `throughput`: `n` broadcasts through one socket as fast as the client sends them, at most
/// [`WINDOW`] unheard at a time, heard back on the same socket (`broadcast_self`); `channels`:
/// `n` channels joined on one socket, all at once.
async fn realtime(url: &str, key: &str, kind: &str, n: usize) -> Result<Value, String> {
    use supabase_core::realtime::RealtimeChannel;
    use supabase_core::realtime::{ChannelConfig, PostgresChangeEvent, PostgresChanges};

    const STALL: Duration = Duration::from_secs(10);
    let client = create_client(url, key).map_err(|e| e.to_string())?;
    let topic = format!("bench-{}", std::process::id());
    let mut latencies = Vec::with_capacity(n);
    let (mut cpu0, mut wall0) = (process_cpu(), Instant::now());
    match kind {
        "changes" => {
            let channel = client.channel(&topic);
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
            let channel =
                client.channel_with(&topic, ChannelConfig::default().broadcast_self(true));
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
        "throughput" => {
            let channel =
                client.channel_with(&topic, ChannelConfig::default().broadcast_self(true));
            let mut heard = channel.broadcast_stream("m");
            let channel = channel.subscribe().await.map_err(|e| e.to_string())?;
            // The clock starts at the first send (the join is not counted).
            (cpu0, wall0) = (process_cpu(), Instant::now());
            let mut sent_at = std::collections::VecDeque::with_capacity(WINDOW);
            let (mut sent, mut heard_n) = (0, 0);
            while heard_n < n {
                while sent < n && sent - heard_n < WINDOW {
                    channel
                        .send_broadcast("m", json!({ "n": sent }))
                        .await
                        .map_err(|e| e.to_string())?;
                    sent_at.push_back(Instant::now());
                    sent += 1;
                }
                let msg = tokio::time::timeout(STALL, heard.recv())
                    .await
                    .map_err(|_| format!("heard {heard_n} of {sent} sent, then nothing for 10 s"))?
                    .ok_or("the broadcast stream ended")?;
                // One socket, one channel: the server relays them in order, none lost.
                if msg.payload != json!({ "n": heard_n }) {
                    return Err(format!(
                        "expected message {heard_n}, heard {:?}",
                        msg.payload
                    ));
                }
                let t = sent_at.pop_front().ok_or("heard more than was sent")?;
                latencies.push(t.elapsed());
                heard_n += 1;
            }
        }
        "channels" => {
            let channels: Vec<RealtimeChannel> = (0..n)
                .map(|i| client.channel(format!("{topic}-{i}")))
                .collect();
            let joins = channels.iter().map(|c| async move {
                c.subscribe().await.map_err(|e| e.to_string())?;
                Ok::<_, String>(wall0.elapsed())
            });
            for joined in futures_util::future::join_all(joins).await {
                latencies.push(joined?);
            }
        }
        other => return Err(format!("unknown realtime workload {other:?}")),
    }
    let (cpu, wall) = (process_cpu() - cpu0, wall0.elapsed());
    let mut out = json!({
        "ops": n,
        "cpu_s": cpu.as_secs_f64(),
        "wall_s": wall.as_secs_f64(),
        "p50_us": percentile(&mut latencies, 0.5).as_secs_f64() * 1e6,
        "p99_us": percentile(&mut latencies, 0.99).as_secs_f64() * 1e6,
    });
    if kind == "throughput" {
        // Messages heard per second, from the first send to the last receipt.
        out["per_s"] = json!(n as f64 / wall.as_secs_f64());
        out["window"] = json!(WINDOW);
    }
    Ok(out)
}

/// Broadcasts sent but not yet heard back, at most, in the `throughput` workload: a bounded
/// window so the measure is the socket's rate, not how deep the queues can grow.
const WINDOW: usize = 64;

/// Introspects `schema` and generates its Rust, `runs` times; medians of each step.
async fn codegen(db_url: &str, schema: &str, runs: usize) -> Result<Value, String> {
    use bench_client::measure::median;

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
