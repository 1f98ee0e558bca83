//! Workload `realtime`: postgres change delivery and broadcast round trips.

use serde_json::Value;

use super::{Bench, write_json};

pub(crate) fn run(bench: &Bench) -> Result<(), String> {
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
