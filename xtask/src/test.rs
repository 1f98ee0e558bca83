//! `cargo xtask test`: every check, in order, stopping at the first failure.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::{root, runtime, secs, setup};

/// One step: a label and the cargo arguments (plus extra environment).
struct Step {
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

const STEPS: &[Step] = &[
    Step {
        args: &["fmt", "--all", "--check"],
        env: &[],
    },
    Step {
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        env: &[],
    },
    Step {
        args: &["doc", "--workspace", "--no-deps"],
        env: &[("RUSTDOCFLAGS", "-D warnings")],
    },
    Step {
        args: &["test", "--workspace"],
        env: &[],
    },
];

/// How long one step may run before it counts as hung (`XTASK_STEP_TIMEOUT_MINS` overrides).
/// From a fresh clone with nothing built, the whole run takes about 15 minutes here; CI stops
/// at 90.
const STEP_TIMEOUT: Duration = Duration::from_secs(40 * 60);

fn step_timeout() -> Result<Duration, String> {
    match std::env::var("XTASK_STEP_TIMEOUT_MINS") {
        Ok(mins) => mins
            .parse::<u64>()
            .map(|m| Duration::from_secs(m * 60))
            .map_err(|e| format!("XTASK_STEP_TIMEOUT_MINS={mins:?}: {e}")),
        Err(_) => Ok(STEP_TIMEOUT),
    }
}

pub(crate) fn run() -> Result<(), String> {
    let timeout = step_timeout()?;
    let total = Instant::now();
    let count = STEPS.len() + 1;
    println!("==> [1/{count}] setup");
    let started = Instant::now();
    runtime()
        .and_then(|rt| rt.block_on(setup()))
        .map_err(|e| format!("step `setup` failed after {}: {e}", secs(started.elapsed())))?;
    println!("    ok ({})", secs(started.elapsed()));

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for (i, step) in STEPS.iter().enumerate() {
        let env: String = step
            .env
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\" "))
            .collect();
        let label = format!("{env}cargo {}", step.args.join(" "));
        println!("==> [{}/{count}] {label}", i + 2);
        let started = Instant::now();
        let mut child = Command::new(&cargo)
            .args(step.args)
            // A run from a clean checkout gains nothing from incremental compilation, and its
            // caches were 2.2 GB of the 8.5 GB a CI run wrote; CI once ran out of disk.
            .env("CARGO_INCREMENTAL", "0")
            .envs(step.env.iter().copied())
            .current_dir(root())
            .spawn()
            .map_err(|e| format!("step `{label}` could not start: {e}"))?;
        let status = crate::watch::wait(&mut child, timeout)
            .map_err(|e| format!("step `{label}` FAILED: {e}"))?;
        if !status.success() {
            return Err(format!(
                "step `{label}` FAILED ({status}) after {}",
                secs(started.elapsed())
            ));
        }
        println!("    ok ({})", secs(started.elapsed()));
    }
    println!("==> all {count} steps passed in {}", secs(total.elapsed()));
    Ok(())
}
