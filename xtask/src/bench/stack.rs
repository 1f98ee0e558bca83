//! Workload `stack`: time from `Stack::start()` to the first successful query through the gateway,
//! cold (empty cache dir: PostgREST provisioning and the template initdb included) and warm.

use std::path::Path;
use std::time::{Duration, Instant};

use supabase_local::Stack;

use crate::{root, secs};

const WARM_RUNS: usize = 3;

pub(crate) async fn run() -> Result<(), String> {
    let cache = tempfile::tempdir().map_err(|e| e.to_string())?;
    println!("\nstack: Stack::start() -> first successful gateway query (project examples/)");
    let cold = time_to_first_query(cache.path()).await?;
    println!(
        "  cold (empty cache {}): {}",
        cache.path().display(),
        secs(cold)
    );
    let mut warm = Vec::new();
    for run in 1..=WARM_RUNS {
        let t = time_to_first_query(cache.path()).await?;
        println!("  warm run {run}: {}", secs(t));
        warm.push(t);
    }
    warm.sort();
    println!(
        "  warm median of {WARM_RUNS}: {}",
        secs(warm[WARM_RUNS / 2])
    );
    super::write_json(
        "stack",
        &serde_json::json!({
            "cold_s": cold.as_secs_f64(),
            "warm_s": warm.iter().map(Duration::as_secs_f64).collect::<Vec<_>>(),
            "warm_median_s": warm[WARM_RUNS / 2].as_secs_f64(),
        }),
    )
}

async fn time_to_first_query(cache: &Path) -> Result<Duration, String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let stack = Stack::builder()
        .project_dir(root().join("examples"))
        .cache_dir(cache)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let url = format!("{}/rest/v1/countries?select=name&limit=1", stack.url());
    loop {
        let resp = client
            .get(&url)
            .header("apikey", stack.anon_key())
            .send()
            .await;
        if resp.is_ok_and(|r| r.status().is_success()) {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err("no successful query within 120s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
