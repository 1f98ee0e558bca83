//! Workload `storage`: a 1 GiB object (256 MiB with `--quick`) uploaded from a file on disk and
//! downloaded into a sink, through the client (`bench-child storage …`, its own process) and
//! through `curl` against the same endpoint with the same headers, in interleaved rounds
//! (client, curl, client, curl, …). Throughputs are medians of the rounds; the ratio is
//! client / curl.
//!
//! Each side is timed by itself: the client from before its request to the last byte (in the
//! child), curl by its own `time_total` (`-w`); neither includes process start-up. CPU: the
//! client's during the transfer, curl's whole process (`times` of the `sh` that runs it, so with
//! its few milliseconds of start-up). The stand-in serving both runs in this process (a debug
//! build under `cargo xtask`: it is the ceiling of both sides' uploads).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};

use super::{Bench, mib, out_dir, verdict, write_json};
use bench_client::measure::median;

const GIB: u64 = 1 << 30;
/// Rounds of each transfer per side (on the shared 2-core machine single transfers vary by ±20%,
/// so five rather than three; medians of 1 GiB downloads still moved 0.77x-0.97x between runs).
const ROUNDS: usize = 5;
/// The client's peak RSS target (issue 7).
const RSS_TARGET: u64 = 64 << 20;
/// The throughput target, client / curl (issue 7).
const RATIO_TARGET: f64 = 0.9;

pub(crate) async fn run(bench: &Bench) -> Result<(), String> {
    let bytes = if bench.quick { GIB / 4 } else { GIB };
    let load_before = load_average();
    println!(
        "\nstorage: {} up (from a file) and down (into a sink), client vs curl, {ROUNDS} \
         interleaved rounds, medians (load average {load_before})",
        mib(bytes as f64)
    );
    let service = supabase_core::create_client(bench.stack.url(), bench.stack.service_role_key())
        .map_err(|e| e.to_string())?;
    if service.storage().get_bucket("bench").await.is_err() {
        service
            .storage()
            .create_bucket("bench")
            .await
            .map_err(|e| format!("creating the bucket: {e}"))?;
    }
    let curl = find_curl();
    if let Err(why) = &curl {
        println!("  curl: {why}; the curl column is skipped");
    }
    let file = SourceFile::create(bytes)?;
    let path = file.0.to_string_lossy().into_owned();
    let n = bytes.to_string();
    let object_url = format!("{}/storage/v1/object/bench/big.bin", bench.stack.url());
    let key = bench.stack.service_role_key();

    let mut report = serde_json::Map::new();
    for direction in [Direction::Upload, Direction::Download] {
        let (mut client_runs, mut curl_runs) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let args: Vec<&str> = match direction {
                Direction::Upload => vec!["storage", "upload", &path, &n],
                Direction::Download => vec!["storage", "download", &n],
            };
            client_runs.push(bench.child(&args)?);
            if let Ok(curl) = &curl {
                curl_runs.push(run_curl(curl, direction, &object_url, key, &file.0, bytes)?);
            }
        }
        let rate = |runs: &[Value]| {
            median(
                runs.iter()
                    .map(|v| v["mib_per_s"].as_f64().unwrap_or(f64::NAN))
                    .collect(),
            )
        };
        let client_rate = rate(&client_runs);
        let peak_rss = client_runs
            .iter()
            .filter_map(|v| v["peak_rss"].as_u64())
            .max()
            .unwrap_or(0);
        let cpu_of = |runs: &[Value]| {
            median(
                runs.iter()
                    .map(|v| v["cpu_s"].as_f64().unwrap_or(f64::NAN))
                    .collect(),
            )
        };
        let cpu = cpu_of(&client_runs);
        let name = direction.name();
        let mut line = format!(
            "  {name:<8}: client {client_rate:>7.1} MiB/s (CPU {cpu:.2}s, peak RSS {} <= {}: {})",
            mib(peak_rss as f64),
            mib(RSS_TARGET as f64),
            verdict(peak_rss <= RSS_TARGET),
        );
        let mut entry = json!({
            "client": {
                "mib_per_s": client_rate,
                "cpu_s": cpu,
                "peak_rss": peak_rss,
                "runs": client_runs,
            },
        });
        if curl.is_ok() {
            let curl_rate = rate(&curl_runs);
            let curl_cpu = cpu_of(&curl_runs);
            let ratio = client_rate / curl_rate;
            line.push_str(&format!(
                "\n  {:<8}  curl   {curl_rate:>7.1} MiB/s (CPU {curl_cpu:.2}s); client/curl \
                 {ratio:.2}x (>= {RATIO_TARGET}x: {})",
                "",
                verdict(ratio >= RATIO_TARGET),
            ));
            entry["curl"] = json!({ "mib_per_s": curl_rate, "cpu_s": curl_cpu, "runs": curl_runs });
            entry["ratio"] = json!(ratio);
        }
        println!("{line}");
        report.insert(name.to_owned(), entry);
    }
    let load_after = load_average();
    println!("  load average after: {load_after}");
    report.insert("bytes".into(), json!(bytes));
    report.insert("rounds".into(), json!(ROUNDS));
    report.insert(
        "curl".into(),
        match &curl {
            Ok(c) => json!({ "path": c.path, "version": c.version }),
            Err(why) => json!({ "missing": why }),
        },
    );
    report.insert(
        "load_average".into(),
        json!({ "before": load_before, "after": load_after }),
    );
    write_json("storage", &Value::Object(report))
}

#[derive(Clone, Copy)]
enum Direction {
    Upload,
    Download,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Upload => "upload",
            Direction::Download => "download",
        }
    }
}

/// The file both sides upload: `bytes` bytes under `target/bench/`, removed on drop.
struct SourceFile(PathBuf);

impl SourceFile {
    fn create(bytes: u64) -> Result<SourceFile, String> {
        let dir = out_dir();
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let path = dir.join("storage-upload.bin");
        let file = SourceFile(path.clone());
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        );
        // Varied bytes (nothing on the way compresses, but no run of one byte either).
        let block: Vec<u8> = (0..1u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut left = bytes;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            out.write_all(&block[..n])
                .map_err(|e| format!("{}: {e}", path.display()))?;
            left -= n as u64;
        }
        out.flush()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(file)
    }
}

impl Drop for SourceFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The `curl` found on `PATH`.
struct Curl {
    path: String,
    version: String,
}

fn find_curl() -> Result<Curl, String> {
    let out = Command::new("curl")
        .arg("--version")
        .output()
        .map_err(|e| format!("curl not found on PATH ({e})"))?;
    if !out.status.success() {
        return Err(format!("`curl --version` failed ({})", out.status));
    }
    let version = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let path = std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("curl"))
                .find(|p| p.is_file())
        })
        .map_or_else(|| "curl".to_owned(), |p| p.display().to_string());
    Ok(Curl { path, version })
}

/// One curl transfer with the headers the client sends (`apikey`, `Authorization`, and for
/// uploads `content-type`, `cache-control`, `x-upsert`; `POST` streaming the file like `-T`).
/// `Expect: 100-continue` is turned off: the client does not send it either. The URL and
/// headers go in a config on stdin, keeping the key out of the process list.
fn run_curl(
    curl: &Curl,
    direction: Direction,
    url: &str,
    key: &str,
    file: &Path,
    bytes: u64,
) -> Result<Value, String> {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut config = format!(
        "url = {}\nheader = {}\nheader = {}\n",
        quote(url),
        quote(&format!("apikey: {key}")),
        quote(&format!("Authorization: Bearer {key}")),
    );
    if let Direction::Upload = direction {
        config.push_str(&format!(
            "request = \"POST\"\nupload-file = {}\nheader = \"Content-Type: application/octet-stream\"\n\
             header = \"cache-control: max-age=3600\"\nheader = \"x-upsert: true\"\nheader = \"Expect:\"\n",
            quote(&file.to_string_lossy()),
        ));
    }
    let started = Instant::now();
    // Through `sh`, whose `times` then reports curl's CPU (user, system) on stderr's last line.
    let mut child = Command::new("sh")
        .args(["-c", "\"$0\" \"$@\"; s=$?; times >&2; exit $s"])
        .arg(&curl.path)
        .args([
            "--silent",
            "--show-error",
            "--fail-with-body",
            "--noproxy",
            "*",
        ])
        .args(["--output", "/dev/null", "--config", "-"])
        .args([
            "--write-out",
            "%{http_code} %{time_total} %{size_upload} %{size_download}",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("running {}: {e}", curl.path))?;
    child
        .stdin
        .take()
        .ok_or("curl has no stdin")?
        .write_all(config.as_bytes())
        .map_err(|e| format!("writing curl's config: {e}"))?;
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for curl: {e}"))?;
    let process_wall = started.elapsed().as_secs_f64();
    let written = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = written.split_whitespace().collect();
    if !out.status.success() || fields.len() != 4 {
        return Err(format!(
            "curl {} failed ({}): {written} {}",
            direction.name(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
    let moved = match direction {
        Direction::Upload => num(fields[2]),
        Direction::Download => num(fields[3]),
    };
    if moved != bytes as f64 || fields[0] != "200" {
        return Err(format!(
            "curl {}: HTTP {}, moved {} bytes, expected {bytes}",
            direction.name(),
            fields[0],
            moved
        ));
    }
    let wall = num(fields[1]);
    Ok(json!({
        "bytes": bytes,
        "cpu_s": children_cpu(&String::from_utf8_lossy(&out.stderr)),
        "wall_s": wall,
        "process_wall_s": process_wall,
        "mib_per_s": bytes as f64 / 1048576.0 / wall,
    }))
}

/// The children's user + system CPU from the last line of `times` (`0m1.230000s 0m0.450000s`),
/// in seconds; NaN when missing.
fn children_cpu(times: &str) -> f64 {
    let seconds = |t: &str| -> Option<f64> {
        let (m, s) = t.strip_suffix('s')?.split_once('m')?;
        Some(m.parse::<f64>().ok()? * 60.0 + s.parse::<f64>().ok()?)
    };
    times
        .lines()
        .last()
        .and_then(|l| {
            let mut parts = l.split_whitespace().map(seconds);
            Some(parts.next()?? + parts.next()??)
        })
        .unwrap_or(f64::NAN)
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
