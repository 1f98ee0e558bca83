//! `cargo xtask test`: every check, in order, stopping at the first failure.

use std::process::Command;
use std::time::Instant;

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

pub(crate) fn run() -> Result<(), String> {
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
        let status = Command::new(&cargo)
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(root())
            .status()
            .map_err(|e| format!("step `{label}` could not start: {e}"))?;
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
