//! The per-area example programs (`examples/src/bin/{database,auth,storage,functions,
//! realtime}.rs`) run against a stack started from `examples/` (its migrations, seed and
//! functions, as `cargo xtask tour` starts it): each program's own code, included here, with a
//! client for that stack instead of one from `SUPABASE_URL` / `SUPABASE_KEY`. A program fails
//! its test by returning an error (its `?`s), which is what it would print when run.

use supabase_core::{Client, create_client};

#[allow(dead_code)] // its `main`, which reads the environment instead
#[path = "../../../examples/src/bin/auth.rs"]
mod auth;
#[allow(dead_code)] // its `main`, which reads the environment instead
#[path = "../../../examples/src/bin/database.rs"]
mod database;
#[allow(dead_code)] // its `main`, which reads the environment instead
#[path = "../../../examples/src/bin/functions.rs"]
mod functions;
#[allow(dead_code)] // its `main`, which reads the environment instead
#[path = "../../../examples/src/bin/realtime.rs"]
mod realtime;
#[allow(dead_code)] // its `main`, which reads the environment instead
#[path = "../../../examples/src/bin/storage.rs"]
mod storage;

/// A fresh anon client, as each program makes from its environment.
async fn client() -> Client {
    let stack = crate::examples_stack().await;
    create_client(stack.url(), stack.anon_key()).expect("client")
}

#[tokio::test]
async fn database_example_runs() {
    Box::pin(database::run(client().await))
        .await
        .expect("the database example");
}

#[tokio::test]
async fn auth_example_runs() {
    Box::pin(auth::run(client().await))
        .await
        .expect("the auth example");
}

#[tokio::test]
async fn storage_example_runs() {
    Box::pin(storage::run(client().await))
        .await
        .expect("the storage example");
}

#[tokio::test]
async fn functions_example_runs() {
    Box::pin(functions::run(client().await))
        .await
        .expect("the functions example");
}

#[tokio::test]
async fn realtime_example_runs() {
    Box::pin(realtime::run(client().await))
        .await
        .expect("the realtime example");
}
