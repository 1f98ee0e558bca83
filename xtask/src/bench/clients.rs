//! Workload `clients`: every client × every workload, one process per measurement, in
//! interleaved rounds (round 1: lookup A B C …, page A B C …, …; round 2: B C … A, and so on), so
//! a noisy neighbour hurts all clients alike and no client always runs first or last: over the
//! rounds each takes every place in the order once. The table shows medians over the rounds and
//! each client's client-CPU ratio to the floor (plain reqwest + serde_json into the same structs).
//! There are two floors, one per request shape: `floor` reads with `select=*` as the untyped
//! client and the peers do, `floor-typed` names the typed client's columns as it does; the typed
//! client is compared with `floor-typed`, every other client with `floor` ([`floor_of`]).
//!
//! Then, for lookups, this client and its floor run once more in one process, in alternating
//! blocks (`bench-paired`): a ratio with the host's noise paired out, shown next to the rounds'.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::peers::{self, Peer};
use super::{Bench, mib, verdict, write_json};
use bench_client::measure::median;

/// One round per client: with the order rotated each round, each client runs once in each place.
const ROUNDS: usize = CLIENTS.len();

/// Clients in the order they run within the first round (later rounds rotate it).
const CLIENTS: [&str; 7] = [
    "floor",
    "floor-typed",
    "untyped",
    "typed",
    "postgrest-rs",
    "supabase-py",
    "supabase-js",
];

/// The floor a client is compared with: the one that sends the same requests.
fn floor_of(client: &str) -> &'static str {
    if client == "typed" {
        "floor-typed"
    } else {
        "floor"
    }
}

struct Workload {
    name: &'static str,
    label: &'static str,
    /// Requests per measurement (full run, `--quick`).
    ops: (usize, usize),
    /// Rows each request reads or writes.
    rows_per_op: usize,
}

const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "lookup",
        label: "point lookup by id",
        ops: (1000, 300),
        rows_per_op: 1,
    },
    Workload {
        name: "page",
        label: "page of 1000 rows",
        ops: (40, 12),
        rows_per_op: 1000,
    },
    Workload {
        name: "insert",
        label: "insert 10,000 rows (10 × 1,000)",
        ops: (10, 10),
        rows_per_op: 1000,
    },
    Workload {
        name: "concurrent",
        label: "8-way concurrent lookups",
        ops: (1000, 400),
        rows_per_op: 1,
    },
];

/// Lookups measured in pairs (`bench-paired`): workload, blocks (full run, `--quick`), requests
/// a block. Pages and inserts are not paired: in one process the two clients share
/// malloc's state, and a page's CPU depends on it (glibc's trim threshold, raised by one
/// client's buffers, spares the other its page faults); lookups allocate too little for that.
const PAIRED: [(&str, (usize, usize), usize); 2] =
    [("lookup", (120, 20), 25), ("concurrent", (40, 10), 48)];

/// Medians over the rounds of one client on one workload.
#[derive(Clone, Copy)]
struct Stat {
    cpu_us: f64,
    per_s: f64,
    p50_us: f64,
    p99_us: f64,
    rss: f64,
}

fn stat(samples: &[Value]) -> Stat {
    let m = |f: &dyn Fn(&Value) -> f64| median(samples.iter().map(f).collect());
    let num = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    Stat {
        cpu_us: m(&|v| num(v, "cpu_s") / num(v, "ops") * 1e6),
        per_s: m(&|v| num(v, "ops") / num(v, "wall_s")),
        p50_us: m(&|v| num(v, "p50_us")),
        p99_us: m(&|v| num(v, "p99_us")),
        rss: m(&|v| num(v, "peak_rss")),
    }
}

pub(crate) async fn run(bench: &Bench) -> Result<(), String> {
    println!("\nclients: preparing the peers ...");
    let mut peers: BTreeMap<&str, Peer> = BTreeMap::new();
    let mut missing: BTreeMap<&str, String> = BTreeMap::new();
    for (name, peer) in [
        ("supabase-py", peers::python()),
        ("supabase-js", peers::node()),
    ] {
        match peer {
            Ok(p) => {
                peers.insert(name, p);
            }
            Err(e) => {
                println!("  {name} unavailable: {e}");
                missing.insert(name, e);
            }
        }
    }
    let ops = |w: &Workload| if bench.quick { w.ops.1 } else { w.ops.0 };
    let mut samples: BTreeMap<(&str, &str), Vec<Value>> = BTreeMap::new();
    // A client that fails a workload is not run on it again (and gets no figure for it).
    let mut failed: BTreeMap<(&str, &str), String> = BTreeMap::new();
    for round in 1..=ROUNDS {
        for w in &WORKLOADS {
            let mut line = format!("  round {round}/{ROUNDS} {:<10}", w.name);
            for place in 0..CLIENTS.len() {
                let client = CLIENTS[(place + round - 1) % CLIENTS.len()];
                if missing.contains_key(client) || failed.contains_key(&(w.name, client)) {
                    continue;
                }
                if w.name == "insert" {
                    bench
                        .stack
                        .execute_sql("truncate bench_insert")
                        .await
                        .map_err(|e| e.to_string())?;
                }
                let n = ops(w);
                let result = match peers.get(client) {
                    Some(peer) => {
                        bench.run_json(peer.command(w.name, n), &format!("{client} {}", w.name))
                    }
                    None => bench.client(client, &[client, w.name, &n.to_string()]),
                };
                let v = match result {
                    Ok(v) => v,
                    Err(e) => {
                        println!("\n  {client} failed on {}: {e}", w.name);
                        failed.insert((w.name, client), e);
                        continue;
                    }
                };
                let rows = v["rows"].as_u64().unwrap_or(0) as usize;
                if rows != n * w.rows_per_op {
                    let why = format!(
                        "{} gave {rows} rows, expected {}",
                        w.name,
                        n * w.rows_per_op
                    );
                    println!("\n  {client}: {why}");
                    failed.insert((w.name, client), why);
                    continue;
                }
                let _ = write!(
                    line,
                    " {client} {:.0}µs",
                    v["cpu_s"].as_f64().unwrap_or(0.0) / n as f64 * 1e6
                );
                samples.entry((w.name, client)).or_default().push(v);
            }
            println!("{line}");
        }
    }

    for ((w, client), why) in failed {
        samples.remove(&(w, client));
        let note = missing.entry(client).or_default();
        note.push_str(&format!("{w}: {why}; "));
    }
    let mut paired = Vec::new();
    for (workload, (blocks, quick_blocks), ops) in PAIRED {
        let blocks = if bench.quick { quick_blocks } else { blocks };
        for client in ["untyped", "typed"] {
            println!("  paired {workload:<10} {client} / {}", floor_of(client));
            match bench.paired(&[client, workload, &blocks.to_string(), &ops.to_string()]) {
                Ok(v) => paired.push(v),
                Err(e) => println!("  paired {workload} {client} failed: {e}"),
            }
        }
    }
    let build = bench.client("untyped", &["build", "100000"]);
    report(bench, &samples, &paired, &missing, build.ok())
}

fn report(
    bench: &Bench,
    samples: &BTreeMap<(&str, &str), Vec<Value>>,
    paired: &[Value],
    missing: &BTreeMap<&str, String>,
    build: Option<Value>,
) -> Result<(), String> {
    let stats: BTreeMap<(&str, &str), Stat> = samples.iter().map(|(k, v)| (*k, stat(v))).collect();
    let mut md = String::from(
        "| workload | client | CPU / request | × floor | requests/s | p50 | p99 | peak RSS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut rows = Vec::new();
    for w in &WORKLOADS {
        for (i, client) in CLIENTS.iter().enumerate() {
            let Some(s) = stats.get(&(w.name, *client)) else {
                continue;
            };
            let floor = stats.get(&(w.name, floor_of(client))).map(|s| s.cpu_us);
            let ratio = floor.map_or(f64::NAN, |f| s.cpu_us / f);
            let _ = writeln!(
                md,
                "| {} | {client} | {} | {ratio:.2} | {:.0} | {} | {} | {} |",
                if i == 0 { w.label } else { "" },
                us(s.cpu_us),
                s.per_s,
                us(s.p50_us),
                us(s.p99_us),
                mib(s.rss)
            );
            rows.push(json!({
                "workload": w.name, "client": client, "cpu_us_per_request": s.cpu_us,
                "cpu_ratio_to_floor": ratio, "requests_per_s": s.per_s, "p50_us": s.p50_us,
                "p99_us": s.p99_us, "peak_rss_bytes": s.rss,
                "samples": samples.get(&(w.name, *client)),
            }));
        }
    }
    println!(
        "\nclients: medians of {ROUNDS} interleaved rounds; CPU = the client process's CPU during the timed part;\n\
         × floor: typed against floor-typed (the floor sending typed's requests), every other client against floor\n"
    );
    print!("{md}");
    let paired_md = paired_table(paired);
    println!(
        "\nthis client and its floor in one process, alternating blocks (bench-paired); ratio = client CPU / floor CPU of each block pair:\n{paired_md}"
    );

    // Targets, each against the floor (or the peer) measured in this same run.
    let cpu = |w: &str, c: &str| stats.get(&(w, c)).map(|s| s.cpu_us);
    let mut targets = Vec::new();
    let mut target = |name: String, value: Option<f64>, aim: &str, ok: fn(f64) -> bool| {
        let (shown, met) = match value {
            Some(v) if v.is_finite() => (format!("{v:.2}"), ok(v)),
            _ => ("not measured".to_owned(), false),
        };
        targets.push((name, shown, aim.to_owned(), met));
    };
    let ratio = |w: &str, c: &str| Some(cpu(w, c)? / cpu(w, floor_of(c))?);
    let paired_ratio = |w: &str, c: &str| {
        paired
            .iter()
            .find(|v| v["workload"] == w && v["client"] == c)
            .and_then(|v| v["ratio_median"].as_f64())
    };
    for c in ["untyped", "typed"] {
        target(
            format!("point lookup CPU, {c} / {}", floor_of(c)),
            ratio("lookup", c),
            "≤ 1.10",
            |v| v <= 1.10,
        );
        target(
            format!(
                "point lookup CPU, {c} / {}, paired in one process",
                floor_of(c)
            ),
            paired_ratio("lookup", c),
            "≤ 1.10",
            |v| v <= 1.10,
        );
        target(
            format!("1000-row page CPU, {c} / {}", floor_of(c)),
            ratio("page", c),
            "≤ 0.80",
            |v| v <= 0.80,
        );
        target(
            format!("bulk insert CPU, {c} / {}", floor_of(c)),
            ratio("insert", c),
            "≤ 1.10",
            |v| v <= 1.10,
        );
        for peer in ["supabase-py", "supabase-js"] {
            target(
                format!("point lookup CPU, {peer} / {c}"),
                cpu("lookup", peer)
                    .zip(cpu("lookup", c))
                    .map(|(p, o)| p / o),
                "≥ 10",
                |v| v >= 10.0,
            );
        }
        target(
            format!("point lookup peak RSS, {c} (MB)"),
            stats.get(&("lookup", c)).map(|s| s.rss / 1e6),
            "≤ 8 MB",
            |v| v <= 8.0,
        );
    }
    let mut tmd = String::from("| target | measured | aim | |\n|---|---:|---|---|\n");
    for (name, shown, aim, met) in &targets {
        let _ = writeln!(tmd, "| {name} | {shown} | {aim} | {} |", verdict(*met));
    }
    println!("\ntargets:\n{tmd}");
    if let Some(b) = &build {
        println!(
            "query with 10 filters: build {:.2} µs untyped, {:.2} µs typed; build + render {:.2} / {:.2} µs",
            b["untyped_us"].as_f64().unwrap_or(f64::NAN),
            b["typed_us"].as_f64().unwrap_or(f64::NAN),
            b["untyped_build_us"].as_f64().unwrap_or(f64::NAN),
            b["typed_build_us"].as_f64().unwrap_or(f64::NAN),
        );
    }
    let rss_md = rss_breakdown(samples);
    println!(
        "\npoint lookups, where the Rust clients' resident memory is at the end of the run (last round):\n{rss_md}"
    );
    for (client, why) in missing {
        println!("not measured: {client}: {why}");
    }
    std::fs::write(
        super::out_dir().join("clients.md"),
        format!("{md}\n{paired_md}\n{tmd}\n{rss_md}"),
    )
    .map_err(|e| e.to_string())?;
    write_json(
        "clients",
        &json!({
            "rounds": ROUNDS,
            "quick": bench.quick,
            "versions": { "supabase-py": peers::SUPABASE_PY, "supabase-js": peers::SUPABASE_JS,
                          "postgrest-rs": "1.6.0" },
            "results": rows,
            "paired": paired,
            "targets": targets.iter().map(|(n, s, a, m)| json!({"target": n, "measured": s, "aim": a, "met": m})).collect::<Vec<_>>(),
            "build_ten_filters": build,
            "not_measured": missing,
        }),
    )
}

/// The `bench-paired` results as a table: per workload and client, the median and quartiles of
/// the block pairs' CPU ratios, the median's 95% confidence interval, and the ratio of the
/// totals.
fn paired_table(paired: &[Value]) -> String {
    let mut md = String::from(
        "| workload | client / floor | median ratio | its 95% interval | quartiles | ratio of totals | blocks × requests |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for v in paired {
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(
            md,
            "| {} | {} / {} | {:.2} | {:.2}–{:.2} | {:.2}–{:.2} | {:.2} | {} × {} |",
            v["workload"].as_str().unwrap_or("?"),
            v["client"].as_str().unwrap_or("?"),
            v["floor"].as_str().unwrap_or("?"),
            f("ratio_median"),
            v["ratio_median_ci95"][0].as_f64().unwrap_or(f64::NAN),
            v["ratio_median_ci95"][1].as_f64().unwrap_or(f64::NAN),
            f("ratio_q1"),
            f("ratio_q3"),
            f("ratio_of_totals"),
            v["blocks"],
            v["ops"],
        );
    }
    md
}

/// A table of where each Rust client's memory is at the end of its point lookups (the lean
/// binaries report it: [`bench_client::measure::rss_breakdown`]), next to its peak.
fn rss_breakdown(samples: &BTreeMap<(&str, &str), Vec<Value>>) -> String {
    let mut md = String::from(
        "| client | peak RSS | RSS at end | binary | shared libs | heap | other anon (thread stacks, mmap) | main stack | threads | executable file (with line tables) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for client in CLIENTS {
        let Some(v) = samples.get(&("lookup", client)).and_then(|s| s.last()) else {
            continue;
        };
        let r = &v["rss"];
        if !r.is_object() {
            continue;
        }
        let b = |k: &str| mib(r[k].as_f64().unwrap_or(f64::NAN));
        let _ = writeln!(
            md,
            "| {client} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            mib(v["peak_rss"].as_f64().unwrap_or(f64::NAN)),
            b("vm_rss"),
            b("binary"),
            b("shared_libs"),
            b("heap"),
            b("anon"),
            b("main_stack"),
            r["threads"],
            b("exe_file_bytes"),
        );
    }
    md
}

fn us(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} ms", v / 1000.0)
    } else {
        format!("{v:.0} µs")
    }
}
