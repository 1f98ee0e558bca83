//! Workloads `storage` (a 1 GiB object up and down, streamed, through the client against the
//! storage stand-in) and `realtime` (postgres change delivery and broadcast round trips).

use serde_json::{Value, json};
use supabase_core::storage::BucketOptions;

use super::{Bench, mib, write_json};

const GIB: u64 = 1 << 30;

pub(crate) async fn storage(bench: &Bench) -> Result<(), String> {
    let bytes = if bench.quick { GIB / 4 } else { GIB };
    println!(
        "\nstorage: {} uploaded then downloaded as a stream, each in its own process",
        mib(bytes as f64)
    );
    let service = supabase_core::create_client(bench.stack.url(), bench.stack.service_role_key())
        .map_err(|e| e.to_string())?;
    if service.storage().get_bucket("bench").await.is_err() {
        service
            .storage()
            .create_bucket("bench", BucketOptions::new())
            .await
            .map_err(|e| format!("creating the bucket: {e}"))?;
    }
    let n = bytes.to_string();
    let mut report = serde_json::Map::new();
    for direction in ["upload", "download"] {
        let v = bench.child(&["storage", direction, &n])?;
        println!(
            "  {direction:<8}: {:>7.1} MiB/s, client CPU {:.2}s, peak RSS {}",
            v["mib_per_s"].as_f64().unwrap_or(f64::NAN),
            v["cpu_s"].as_f64().unwrap_or(f64::NAN),
            mib(v["peak_rss"].as_f64().unwrap_or(f64::NAN)),
        );
        report.insert(direction.to_owned(), v);
    }
    report.insert("bytes".into(), json!(bytes));
    write_json("storage", &Value::Object(report))
}

pub(crate) fn realtime(bench: &Bench) -> Result<(), String> {
    let (changes, broadcasts) = if bench.quick { (50, 100) } else { (200, 500) };
    println!("\nrealtime: latency through the realtime stand-in, one process each");
    let mut report = serde_json::Map::new();
    for (kind, n, what) in [
        (
            "changes",
            changes,
            "insert through PostgREST -> postgres_changes delivered",
        ),
        ("broadcast", broadcasts, "broadcast round trip (self)"),
    ] {
        let v = bench.child(&["realtime", kind, &n.to_string()])?;
        println!(
            "  {what:<56} n={n:<4} p50 {:>6.2} ms  p99 {:>6.2} ms",
            v["p50_us"].as_f64().unwrap_or(f64::NAN) / 1000.0,
            v["p99_us"].as_f64().unwrap_or(f64::NAN) / 1000.0,
        );
        report.insert(kind.to_owned(), v);
    }
    write_json("realtime", &Value::Object(report))
}
