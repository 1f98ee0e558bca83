//! The client workloads, run in a release build (`cargo xtask bench-clients`, started by
//! `cargo xtask bench postgrest`). Each round runs every client once, in turn (A B C A B C …), so
//! a noisy neighbour hurts all of them alike; the table shows medians over the rounds.

use std::future::Future;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;
use supabase_core::prelude::*;

use super::measure::{cpu_time, median, peak_rss, percentile};

#[derive(Table, Debug, Deserialize)]
#[supabase(table = "bench_rows")]
#[allow(dead_code)] // decoded (that is the cost measured), never read
struct BenchRow {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    note: Option<String>,
}

const ROUNDS: usize = 3;
const LOOKUPS: usize = 2000;
const PAGES: usize = 150;
const BUILDS: usize = 100_000;

/// One client's result in one round.
#[derive(Clone, Copy)]
struct Sample {
    cpu_per_op: Duration,
    ops_per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn measure<F, Fut>(ops: usize, mut op: F) -> Result<Sample, String>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<usize, String>>,
{
    let mut latencies = Vec::with_capacity(ops);
    let (cpu0, wall0) = (cpu_time(), Instant::now());
    let mut rows = 0;
    for i in 0..ops {
        let t = Instant::now();
        rows += op(i).await?;
        latencies.push(t.elapsed());
    }
    let (cpu, wall) = (cpu_time() - cpu0, wall0.elapsed());
    if rows == 0 {
        return Err("the workload read no rows".into());
    }
    Ok(Sample {
        cpu_per_op: cpu / ops as u32,
        ops_per_sec: ops as f64 / wall.as_secs_f64(),
        p50: percentile(&mut latencies, 0.5),
        p99: percentile(&mut latencies, 0.99),
    })
}

struct Clients {
    floor: reqwest::Client,
    url: String,
    key: String,
    client: Client,
}

impl Clients {
    async fn floor_get(&self, query: &str) -> Result<usize, String> {
        let resp = self
            .floor
            .get(format!("{}/rest/v1/bench_rows?{query}", self.url))
            .header("apikey", &self.key)
            .header("Authorization", format!("Bearer {}", self.key))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        let rows: Vec<BenchRow> = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok(rows.len())
    }
}

fn id_of(i: usize) -> i64 {
    (i % 5000) as i64 + 1
}

pub(crate) fn run(url: &str, key: &str) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(run_async(url, key))
}

async fn run_async(url: &str, key: &str) -> Result<(), String> {
    let c = Clients {
        floor: reqwest::Client::new(),
        url: url.to_owned(),
        key: key.to_owned(),
        client: create_client(url, key).map_err(|e| e.to_string())?,
    };
    let names = ["floor (reqwest+serde)", "untyped", "typed"];
    let mut lookups: Vec<Vec<Sample>> = vec![Vec::new(); 3];
    let mut pages: Vec<Vec<Sample>> = vec![Vec::new(); 3];
    for round in 1..=ROUNDS {
        eprintln!("  round {round}/{ROUNDS}");
        for (slot, which) in [0, 1, 2].into_iter().enumerate() {
            let s = measure(LOOKUPS, |i| {
                let c = &c;
                async move {
                    let id = id_of(i);
                    match which {
                        0 => c.floor_get(&format!("select=*&id=eq.{id}")).await,
                        1 => c
                            .client
                            .table("bench_rows")
                            .select("*")
                            .eq("id", id)
                            .returns::<Vec<BenchRow>>()
                            .await
                            .map(|r| r.data.len())
                            .map_err(|e| e.to_string()),
                        _ => c
                            .client
                            .from::<BenchRow>()
                            .select()
                            .eq(bench_row::id, id)
                            .await
                            .map(|rows| rows.len())
                            .map_err(|e| e.to_string()),
                    }
                }
            })
            .await?;
            lookups[slot].push(s);
        }
        for (slot, which) in [0, 1, 2].into_iter().enumerate() {
            let s = measure(PAGES, |i| {
                let c = &c;
                async move {
                    let offset = (i % 4) * 1000;
                    match which {
                        0 => {
                            c.floor_get(&format!("select=*&limit=1000&offset={offset}"))
                                .await
                        }
                        1 => c
                            .client
                            .table("bench_rows")
                            .select("*")
                            .range(offset as u64, offset as u64 + 999)
                            .returns::<Vec<BenchRow>>()
                            .await
                            .map(|r| r.data.len())
                            .map_err(|e| e.to_string()),
                        _ => c
                            .client
                            .from::<BenchRow>()
                            .select()
                            .range(offset as u64, offset as u64 + 999)
                            .await
                            .map(|rows| rows.len())
                            .map_err(|e| e.to_string()),
                    }
                }
            })
            .await?;
            pages[slot].push(s);
        }
    }
    let builds = build_ten_filters(&c.client)?;

    let mut report = Vec::new();
    println!(
        "\n{:<26} {:<22} {:>11} {:>8} {:>9} {:>10} {:>10}",
        "workload", "client", "cpu/op", "x floor", "ops/s", "p50", "p99"
    );
    for (workload, samples) in [
        ("point lookup (1 row)", &lookups),
        ("page (1000 rows)", &pages),
    ] {
        let cpu: Vec<f64> = samples
            .iter()
            .map(|s| median(s.iter().map(|x| x.cpu_per_op.as_secs_f64() * 1e6).collect()))
            .collect();
        for (i, name) in names.iter().enumerate() {
            let ops = median(samples[i].iter().map(|x| x.ops_per_sec).collect());
            let p50 = median(
                samples[i]
                    .iter()
                    .map(|x| x.p50.as_secs_f64() * 1e6)
                    .collect(),
            );
            let p99 = median(
                samples[i]
                    .iter()
                    .map(|x| x.p99.as_secs_f64() * 1e6)
                    .collect(),
            );
            let ratio = cpu[i] / cpu[0];
            println!(
                "{:<26} {:<22} {:>9.1}µs {:>8.2} {:>9.0} {:>8.0}µs {:>8.0}µs",
                if i == 0 { workload } else { "" },
                name,
                cpu[i],
                ratio,
                ops,
                p50,
                p99
            );
            report.push(json!({
                "workload": workload, "client": name, "cpu_us_per_op": cpu[i],
                "cpu_ratio_to_floor": ratio, "ops_per_sec": ops, "p50_us": p50, "p99_us": p99,
            }));
        }
    }
    for (name, untyped, typed) in [
        ("build 10 filters", builds[0], builds[1]),
        ("  + render request", builds[2], builds[3]),
    ] {
        println!(
            "{name:<26} {:<22} {untyped:>9.2}µs\n{:<26} {:<22} {typed:>9.2}µs {:>8.2} (x untyped)",
            "untyped",
            "",
            "typed",
            typed / untyped
        );
        report.push(json!({"workload": name, "untyped_us": untyped, "typed_us": typed}));
    }
    let rss = peak_rss();
    println!(
        "peak RSS of the client process: {:.1} MiB",
        rss as f64 / 1048576.0
    );
    println!(
        "(medians of {ROUNDS} interleaved rounds of {LOOKUPS} lookups / {PAGES} pages; CPU of the client thread from schedstat)"
    );
    report.push(json!({"peak_rss_bytes": rss}));
    let dir = crate::root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("postgrest.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&report).unwrap_or_default(),
    )
    .map_err(|e| e.to_string())?;
    println!("written to {}", path.display());
    Ok(())
}

/// Microseconds to build a query with 10 filters, untyped and typed, then the same plus
/// rendering the request (URL, headers): `[untyped, typed, untyped + render, typed + render]`.
fn build_ten_filters(client: &Client) -> Result<[f64; 4], String> {
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
        for _ in 0..BUILDS {
            f();
        }
        t.elapsed().as_secs_f64() * 1e6 / BUILDS as f64
    };
    let mut results: [Vec<f64>; 4] = Default::default();
    for _ in 0..ROUNDS {
        results[0].push(time(&|| drop(std::hint::black_box(untyped()))));
        results[1].push(time(&|| drop(std::hint::black_box(typed()))));
        results[2].push(time(&|| drop(std::hint::black_box(untyped().build()))));
        results[3].push(time(&|| drop(std::hint::black_box(typed().build()))));
    }
    Ok(results.map(median))
}
