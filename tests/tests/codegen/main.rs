//! supabase-codegen against real schemas: golden outputs (insta) for the fixture schemas in
//! `tests/fixtures/codegen/`, determinism, snapshots, `--check`, the OpenAPI source, and the
//! generated module for the reference schema compiled into this binary and queried.

mod golden;

use std::sync::Arc;

use supabase_local::Stack;
use tokio::sync::OnceCell;

/// A stack per fixture project under `tests/fixtures/codegen/`, started once per binary.
async fn fixture_stack(name: &'static str) -> &'static Stack {
    static RICH: OnceCell<Stack> = OnceCell::const_new();
    static NAMES: OnceCell<Stack> = OnceCell::const_new();
    let cell = match name {
        "rich" => &RICH,
        "names" => &NAMES,
        other => panic!("no fixture stack {other}"),
    };
    cell.get_or_init(|| async move {
        Stack::builder()
            .project_dir(supabase_tests::fixture("codegen").join(name))
            .schemas(if name == "rich" {
                vec!["public", "inventory"]
            } else {
                vec!["public"]
            })
            .start()
            .await
            .unwrap_or_else(|e| {
                panic!("could not start the local stack (run `cargo xtask setup`): {e}")
            })
    })
    .await
}

#[allow(dead_code)]
fn _unused(_: Arc<()>) {}
