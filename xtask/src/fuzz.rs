//! `cargo xtask fuzz [--minutes N] [TARGET…]`: every fuzz target of `fuzz/` (or the ones named)
//! for its share of N minutes (default 5), with libFuzzer through `cargo fuzz`, on the stable
//! toolchain.
//!
//! - cargo-fuzz is installed into the supabase-local cache (`<cache>/cargo-fuzz`) when it is not
//!   on `PATH`, pinned to [`CARGO_FUZZ_VERSION`].
//! - Stable rustc: no sanitizer (`--sanitizer none`: AddressSanitizer needs nightly, and the
//!   code under test has no `unsafe`); debug assertions and overflow checks on (`-a`), so an
//!   arithmetic overflow is a crash as in the test profile. cargo-fuzz's other flags (SanitizerCoverage
//!   passes, `--cfg fuzzing`) are stable.
//! - Inputs: `fuzz/seeds/<target>/` (hand-written and captured seeds, and every input that once
//!   crashed, with readable names; never rewritten) and `fuzz/corpus/<target>/` (what libFuzzer
//!   found; minimised with `cargo fuzz cmin` after each run). Both are committed and replayed by
//!   `cargo test -p supabase-tests --test fuzz_corpus`. Crashes and hangs land in
//!   `fuzz/artifacts/<target>/` and fail the command, naming the input and how to replay it.
//! - Builds go to `$CARGO_TARGET_DIR/fuzz` (else `target/fuzz`): the instrumented flags would
//!   otherwise invalidate the normal build's cache.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::{root, secs};

/// The cargo-fuzz release installed when none is on `PATH`.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// libFuzzer's per-input time limit: an input slower than this is reported as a hang.
const HANG_SECS: u32 = 10;

pub(crate) fn run(args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut minutes: f64 = 5.0;
    let mut only = Vec::new();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--minutes" => {
                let value = args.next().ok_or("--minutes needs a value")?;
                minutes = value
                    .parse()
                    .ok()
                    .filter(|m: &f64| *m > 0.0)
                    .ok_or_else(|| format!("--minutes: not a positive number: {value}"))?;
            }
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            target => only.push(target.to_owned()),
        }
    }

    let fuzz_dir = root().join("fuzz");
    let cargo_fuzz = cargo_fuzz()?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("fuzz");
    let command = |args: &[&str]| {
        let mut c = Command::new(&cargo_fuzz);
        c.arg("fuzz")
            .args(args)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", &target_dir);
        c
    };

    let listed = output(command(&["list"]))?;
    let all: Vec<String> = listed.lines().map(str::to_owned).collect();
    if let Some(unknown) = only.iter().find(|t| !all.contains(t)) {
        return Err(format!(
            "no fuzz target `{unknown}` (targets: {})",
            all.join(", ")
        ));
    }
    let targets = if only.is_empty() { all } else { only };
    let share =
        Duration::from_secs_f64(minutes * 60.0 / targets.len() as f64).max(Duration::from_secs(1));

    println!(
        "==> building {} fuzz target(s) (stable, no sanitizer, debug assertions)",
        targets.len()
    );
    let started = Instant::now();
    status(command(&[
        "build",
        "--sanitizer",
        "none",
        "--debug-assertions",
    ]))
    .map_err(|e| format!("cargo fuzz build: {e}"))?;
    println!("    built in {}", secs(started.elapsed()));

    let mut failures = Vec::new();
    for target in &targets {
        let corpus = fuzz_dir.join("corpus").join(target);
        let seeds = fuzz_dir.join("seeds").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| e.to_string())?;
        let artifacts = fuzz_dir.join("artifacts").join(target);
        std::fs::create_dir_all(&artifacts).map_err(|e| e.to_string())?;
        let before = count(&corpus);
        println!(
            "==> {target}: {} on {} seeds and {before} corpus inputs",
            secs(share),
            count(&seeds)
        );
        let run_started = SystemTime::now();
        let max_total_time = format!("-max_total_time={}", share.as_secs().max(1));
        let timeout = format!("-timeout={HANG_SECS}");
        let result = status(command(&[
            "run",
            "--sanitizer",
            "none",
            "--debug-assertions",
            target,
            &corpus.display().to_string(),
            &seeds.display().to_string(),
            "--",
            &max_total_time,
            &timeout,
            "-rss_limit_mb=2048",
            "-print_final_stats=1",
        ]));
        let found = new_files(&artifacts, run_started);
        match result {
            Ok(()) if found.is_empty() => {}
            outcome => {
                let why = outcome
                    .err()
                    .unwrap_or_else(|| "artifacts were written".into());
                failures.push(format!("{target}: {why}"));
                for input in &found {
                    println!("!!! {target}: crashing input {}", input.display());
                    println!(
                        "    replay: (cd fuzz && cargo fuzz run --sanitizer none -a {target} {})",
                        input.display()
                    );
                    println!(
                        "    keep it: copy it to fuzz/seeds/{target}/ with a telling name once \
                         fixed (`cargo test -p supabase-tests --test fuzz_corpus` replays it)"
                    );
                }
                continue;
            }
        }
        // Keep the corpus small: only inputs that add an edge or a comparison feature (hit
        // counters ignored). The merge renames files to their SHA-1, hence the separate seeds.
        status(command(&[
            "cmin",
            "--sanitizer",
            "none",
            "--debug-assertions",
            target,
            &corpus.display().to_string(),
            "--",
            "-use_counters=0",
        ]))
        .map_err(|e| format!("cargo fuzz cmin {target}: {e}"))?;
        println!("    ok: corpus {before} -> {} inputs", count(&corpus));
    }
    if failures.is_empty() {
        println!(
            "==> no crash, no hang in {} target(s); new corpus inputs are in fuzz/corpus/ (commit them)",
            targets.len()
        );
        Ok(())
    } else {
        Err(format!(
            "fuzzing found problems:\n  {}",
            failures.join("\n  ")
        ))
    }
}

/// `cargo-fuzz` from `PATH`, else from the cache, installing it there first when absent.
fn cargo_fuzz() -> Result<PathBuf, String> {
    let on_path = Command::new("cargo-fuzz")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Ok("cargo-fuzz".into());
    }
    let root_dir = supabase_local::default_cache_dir().join("cargo-fuzz");
    let bin = root_dir.join("bin").join("cargo-fuzz");
    if bin.is_file() {
        return Ok(bin);
    }
    println!(
        "==> installing cargo-fuzz {CARGO_FUZZ_VERSION} into {}",
        root_dir.display()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut install = Command::new(cargo);
    install.args([
        "install",
        "cargo-fuzz",
        "--locked",
        "--version",
        CARGO_FUZZ_VERSION,
        "--root",
    ]);
    install.arg(&root_dir);
    status(install).map_err(|e| format!("installing cargo-fuzz: {e}"))?;
    Ok(bin)
}

fn status(mut command: Command) -> Result<(), String> {
    let status = command
        .status()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("exited with {status}"))
    }
}

fn output(mut command: Command) -> Result<String, String> {
    let out = command
        .output()
        .map_err(|e| format!("could not start {command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

/// Files in `dir` modified since `since` (the artifacts of this run).
fn new_files(dir: &Path, since: SystemTime) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|m| m >= since)
        })
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}
