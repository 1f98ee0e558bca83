//! Edge Functions end to end: the client against the local stack's functions runtime, with the
//! fixture functions of `tests/fixtures/functions/supabase/functions/` running in Deno, and
//! in-process Rust handlers.

mod client_errors;
mod deno;
mod rust_handlers;

use serde_json::Value;
use supabase_core::functions::InvokeOptions;
use supabase_core::{Client, create_client};
use supabase_local::{FunctionsConfig, FunctionsMode, Stack};
use supabase_tests::fixture;
use tokio::sync::OnceCell;

/// The stack serving the fixture functions in Deno; `open` does not verify JWTs.
pub(crate) async fn deno_stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    let stack = STACK
        .get_or_init(|| async {
            Stack::builder()
                .project_dir(fixture("functions"))
                .functions(
                    FunctionsConfig::new()
                        .verify_jwt("open", false)
                        .secret("GREETING_SECRET", "s3cr3t-value"),
                )
                .start()
                .await
                .unwrap_or_else(|e| {
                    panic!("could not start the local stack (run `cargo xtask setup`): {e}")
                })
        })
        .await;
    assert!(
        matches!(stack.functions_mode(), FunctionsMode::Deno { .. }),
        "Deno could not be provisioned (run `cargo xtask setup`, or set SUPABASE_LOCAL_DENO): {:?}",
        stack.functions_mode()
    );
    stack
}

/// An anon client of the Deno stack.
pub(crate) async fn anon() -> Client {
    let stack = deno_stack().await;
    create_client(stack.url(), stack.anon_key()).unwrap()
}

/// Invokes `echo` and returns what it saw.
pub(crate) async fn echo(client: &Client, options: InvokeOptions) -> Value {
    client
        .functions()
        .invoke("echo", options)
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Hex of bytes, as the echo function reports bodies.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A raw reqwest response's body as JSON.
pub(crate) async fn read_json(resp: reqwest::Response) -> Value {
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}
