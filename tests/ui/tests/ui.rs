//! Compile-time guarantees of the typed layer and `#[derive(Table)]`, as trybuild ui tests.
//!
//! `fail/<topic>/*.rs` must fail to compile with exactly the error in the `.stderr` next to it
//! (each file is named after the invariant it proves); `pass/*.rs` must compile and run.
//! Compiler output drifts between releases, so the snapshots belong to the toolchain pinned in
//! `rust-toolchain.toml` and the test skips itself on any other. Regenerate the snapshots
//! deliberately with `TRYBUILD=overwrite cargo test -p supabase-ui-tests`, then read them.

use std::process::Command;

/// The toolchain the `.stderr` snapshots were written with.
const PINNED: &str = "rustc 1.95.0 ";

#[test]
fn ui() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !version.starts_with(PINNED) {
        eprintln!("skipping the ui tests: they are pinned to {PINNED}, this is {version}");
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/**/*.rs");
    t.pass("pass/*.rs");
}
