//! `cargo xtask tour`: the main demo.
//!
//! 1. Starts a local stack from `examples/` (migrations, seed, functions under
//!    `examples/supabase/`) and keeps it running until the tour program exits.
//! 2. Generates the typed schema from the live database into `examples/src/db.rs`.
//! 3. Runs `cargo run -p supabase-examples --bin tour` with `SUPABASE_URL`, `SUPABASE_KEY` (anon)
//!    and `SUPABASE_SERVICE_ROLE_KEY`; fails when it fails.
//!
//! With `TOUR_KEEP=1` the stack stays up after the tour (until Ctrl-C), to run the other
//! examples against it (`cargo run -p supabase-examples --bin database`, ...).

use std::time::Instant;

use supabase_local::Stack;

use crate::{root, secs};

pub(crate) async fn run() -> Result<(), String> {
    let total = Instant::now();
    let project = root().join("examples");

    header("Starting the local stack");
    let started = Instant::now();
    let stack = Stack::builder()
        .project_dir(&project)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "ready in {}: API {}  DB {}",
        secs(started.elapsed()),
        stack.url(),
        stack.db_url()
    );

    header("Generating types from the live schema");
    let started = Instant::now();
    codegen(&stack).await?;
    println!("examples/src/db.rs in {}", secs(started.elapsed()));

    header("Building and running the tour (cargo run -p supabase-examples --bin tour)");
    let started = Instant::now();
    let status = tokio::process::Command::new(std::env::var("CARGO").unwrap_or("cargo".into()))
        .args(["run", "--quiet", "-p", "supabase-examples", "--bin", "tour"])
        .current_dir(root())
        .env("SUPABASE_URL", stack.url())
        .env("SUPABASE_KEY", stack.anon_key())
        .env("SUPABASE_SERVICE_ROLE_KEY", stack.service_role_key())
        .status()
        .await
        .map_err(|e| format!("could not run cargo: {e}"))?;
    println!("\n(tour program: {} incl. build)", secs(started.elapsed()));
    if !status.success() {
        return Err(format!("the tour program failed ({status})"));
    }
    println!(
        "cargo xtask tour: OK in {} (stack start, codegen, build, tour)",
        secs(total.elapsed())
    );

    if std::env::var_os("TOUR_KEEP").is_some_and(|v| v == "1") {
        println!(
            "\nTOUR_KEEP=1: the stack stays up. In another shell:\n  export SUPABASE_URL={} \
             SUPABASE_KEY={}\n  cargo run -p supabase-examples --bin database\nCtrl-C stops it.",
            stack.url(),
            stack.anon_key()
        );
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
    } else {
        println!(
            "(TOUR_KEEP=1 cargo xtask tour keeps the stack up for the per-area examples in \
             examples/src/bin/)"
        );
    }
    drop(stack);
    Ok(())
}

fn header(title: &str) {
    println!("\n=== {title}");
}

/// Writes `examples/src/db.rs` from the live schema, configured by `examples/codegen.toml`
/// (left untouched when nothing changed, so the examples crate is not rebuilt).
async fn codegen(stack: &Stack) -> Result<(), String> {
    let config = supabase_codegen::Config::from_file(root().join("examples/codegen.toml"))
        .map_err(|e| e.to_string())?;
    let ir = supabase_codegen::source::postgres::introspect(&stack.db_url(), &config.schemas)
        .await
        .map_err(|e| e.to_string())?;
    let generated = supabase_codegen::generate_with_warnings(&ir, &config);
    for warning in &generated.warnings {
        println!("   codegen warning: {warning}");
    }
    let path = root().join("examples/src/db.rs");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current == generated.code {
        println!("   examples/src/db.rs is up to date with the live schema");
    } else {
        std::fs::write(&path, &generated.code)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("   wrote examples/src/db.rs from the live schema");
    }
    Ok(())
}
