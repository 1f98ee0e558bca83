//! Workload `realtime`: postgres change delivery and broadcast round trips, broadcast messages
//! per second through one socket, 100 channels joined on one socket.

use serde_json::Value;

use super::{Bench, mib, write_json};

pub(crate) fn run(bench: &Bench) -> Result<(), String> {
    let (changes, broadcasts, messages) = if bench.quick {
        (50, 100, 2000)
    } else {
        (200, 500, 20000)
    };
    const CHANNELS: usize = 100;
    println!("\nrealtime: through the realtime stand-in, one process each");
    let mut report = serde_json::Map::new();
    let num = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
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
            "  {what:<56} n={n:<5} p50 {:>6.2} ms  p99 {:>6.2} ms",
            num(&v, "p50_us") / 1000.0,
            num(&v, "p99_us") / 1000.0,
        );
        report.insert(kind.to_owned(), v);
    }
    let v = bench.child(&["realtime", "throughput", &messages.to_string()])?;
    println!(
        "  {:<56} n={messages:<5} {:>6.0} msg/s  client CPU {:.1} µs/msg  send->heard p50 {:.2} ms p99 {:.2} ms  peak RSS {}",
        format!(
            "broadcasts through one socket (self, window {})",
            v["window"]
        ),
        num(&v, "per_s"),
        num(&v, "cpu_s") / messages as f64 * 1e6,
        num(&v, "p50_us") / 1000.0,
        num(&v, "p99_us") / 1000.0,
        mib(num(&v, "peak_rss")),
    );
    report.insert("throughput".to_owned(), v);
    let v = bench.child(&["realtime", "channels", &CHANNELS.to_string()])?;
    println!(
        "  {:<56} n={CHANNELS:<5} all joined in {:.0} ms (half by {:.0} ms)  client CPU {:.0} ms  peak RSS {}",
        "channels joined on one socket, all at once",
        num(&v, "wall_s") * 1000.0,
        num(&v, "p50_us") / 1000.0,
        num(&v, "cpu_s") * 1000.0,
        mib(num(&v, "peak_rss")),
    );
    report.insert("channels".to_owned(), v);
    write_json("realtime", &Value::Object(report))
}
