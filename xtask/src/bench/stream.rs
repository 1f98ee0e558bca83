//! Workload `stream`: peak RSS of reading 1,000,000 rows with `.stream()` versus collecting the
//! same response into a `Vec` (the baseline), each in its own process so each peak is its own.

use serde_json::json;

use super::{Bench, mib, verdict, write_json};

const ROWS: u64 = 1_000_000;
/// Target: streaming 1M rows in at most 64 MiB.
const AIM: f64 = 64.0 * 1048576.0;

pub(crate) fn run(bench: &Bench) -> Result<(), String> {
    println!(
        "\nstream: {ROWS} rows of an RPC, `.stream()` vs collected into a Vec, one process each"
    );
    let rows = ROWS.to_string();
    let stream = bench.child(&["stream", "stream", &rows])?;
    let collect = bench.child(&["stream", "collect", &rows])?;
    let rss = |v: &serde_json::Value| v["peak_rss"].as_f64().unwrap_or(f64::NAN);
    let secs = |v: &serde_json::Value| v["wall_s"].as_f64().unwrap_or(f64::NAN);
    println!(
        "  stream : {:>10} peak RSS, {} rows in {:.2}s   aim <= 64 MiB: {}",
        mib(rss(&stream)),
        stream["rows"],
        secs(&stream),
        verdict(rss(&stream) <= AIM)
    );
    println!(
        "  collect: {:>10} peak RSS, {} rows in {:.2}s   (baseline)",
        mib(rss(&collect)),
        collect["rows"],
        secs(&collect)
    );
    write_json(
        "stream",
        &json!({ "rows": ROWS, "stream": stream, "collect": collect, "aim_bytes": AIM,
                 "met": rss(&stream) <= AIM }),
    )
}
