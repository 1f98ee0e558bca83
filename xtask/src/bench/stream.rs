//! `cargo xtask bench stream`: peak RSS of reading 1,000,000 rows with `.stream()` versus
//! collecting the same response into a `Vec` (the baseline), each in its own release-built
//! process so each peak is its own.

use std::process::Command;

use supabase_local::Stack;

use crate::root;

const ROWS: u64 = 1_000_000;

const SERIES: &str = "
create or replace function bench_series(n int) returns table (id int, label text, score float8)
language sql stable as $$
  select i, 'row number ' || i, i * 0.5 from generate_series(1, n) as i;
$$;
grant execute on function bench_series(int) to anon;
";

pub(crate) async fn run() -> Result<(), String> {
    let stack = Stack::builder()
        .project_dir(root().join("examples"))
        .max_rows(None)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    stack.execute_sql(SERIES).await.map_err(|e| e.to_string())?;
    stack.reload_schema().await.map_err(|e| e.to_string())?;
    println!("stream: {ROWS} rows, each mode in its own release process ...");
    let mut results = Vec::new();
    for mode in ["stream", "collect"] {
        let out = Command::new(env!("CARGO"))
            .args([
                "run",
                "--release",
                "--quiet",
                "-p",
                "xtask",
                "--",
                "bench-stream",
                mode,
            ])
            .current_dir(root())
            .env("SUPABASE_URL", stack.url())
            .env("SUPABASE_KEY", stack.anon_key())
            .output()
            .map_err(|e| format!("could not run the stream benchmark: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "the stream benchmark ({mode}) failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("bad child output {line:?}: {e}"))?;
        results.push((mode, v));
    }
    let mib = |v: &serde_json::Value| v["peak_rss"].as_f64().unwrap_or(0.0) / (1024.0 * 1024.0);
    let (stream, collect) = (&results[0].1, &results[1].1);
    println!(
        "  stream : {:>7.1} MiB peak RSS, {} rows in {:.2}s (aim <= 64 MiB: {})",
        mib(stream),
        stream["rows"],
        stream["secs"].as_f64().unwrap_or(0.0),
        if mib(stream) <= 64.0 { "met" } else { "MISSED" }
    );
    println!(
        "  collect: {:>7.1} MiB peak RSS, {} rows in {:.2}s (baseline)",
        mib(collect),
        collect["rows"],
        collect["secs"].as_f64().unwrap_or(0.0)
    );
    println!("  stream / collect RSS: {:.2}x", mib(stream) / mib(collect));
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let json = serde_json::json!({ "rows": ROWS, "stream": stream, "collect": collect });
    std::fs::write(dir.join("stream.json"), json.to_string()).map_err(|e| e.to_string())?;
    Ok(())
}

/// The child process: `cargo xtask bench-stream <stream|collect>` (internal). Prints one JSON
/// line: rows read, seconds, peak RSS in bytes.
pub(crate) fn child(mode: Option<&str>) -> Result<(), String> {
    use futures_util::StreamExt;

    #[derive(serde::Deserialize)]
    struct Row {
        id: i32,
        #[allow(dead_code)]
        label: String,
        #[allow(dead_code)]
        score: f64,
    }
    let url = std::env::var("SUPABASE_URL").map_err(|_| "SUPABASE_URL is not set")?;
    let key = std::env::var("SUPABASE_KEY").map_err(|_| "SUPABASE_KEY is not set")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = supabase_core::create_client(url, key).map_err(|e| e.to_string())?;
    let request = || {
        client
            .rpc("bench_series", serde_json::json!({ "n": ROWS }))
            .returns::<Vec<Row>>()
    };
    let started = std::time::Instant::now();
    let rows = rt.block_on(async {
        match mode {
            Some("stream") => {
                let mut stream = std::pin::pin!(request().stream());
                let (mut n, mut last) = (0u64, 0);
                while let Some(row) = stream.next().await {
                    last = row.map_err(|e| e.to_string())?.id;
                    n += 1;
                }
                if i64::from(last) != n as i64 {
                    return Err(format!("rows out of order: last id {last} after {n} rows"));
                }
                Ok(n)
            }
            Some("collect") => {
                let rows = request().await.map_err(|e| e.to_string())?.data;
                Ok(rows.len() as u64)
            }
            other => Err(format!("unknown mode {other:?}")),
        }
    })?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({ "rows": rows, "secs": secs, "peak_rss": super::measure::peak_rss() })
    );
    Ok(())
}
