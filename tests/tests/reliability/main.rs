//! Reliability and security end to end (issue 12, see `docs/reliability.md`): one RLS matrix over
//! tables, storage and realtime (`rls`), no secret in any log line or `Debug` output of a whole
//! tour (`secrets`), and load and size limits (`load`).
//!
//! The stack uses `tests/fixtures/reliability` (a table and a bucket with per-owner policies);
//! users sign up through the stack's GoTrue stand-in, so every token is a real session's.

mod examples;
mod load;
mod rls;
mod secrets;

use std::sync::atomic::{AtomicU32, Ordering};

use supabase_core::auth::SignUpCredentials;
use supabase_core::{Client, ClientOptions};
use supabase_local::Stack;
use tokio::sync::OnceCell;

/// The examples' stack, shared by the tour's secrets test and the
/// per-area examples' tests.
pub(crate) async fn examples_stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            Stack::builder()
                .project_dir(supabase_tests::fixture("../../examples"))
                .start()
                .await
                .expect("the examples' stack (run `cargo xtask setup`)")
        })
        .await
}

/// The stack of this binary (fixture `tests/fixtures/reliability`).
pub(crate) async fn stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            Stack::builder()
                .project_dir(supabase_tests::fixture("reliability"))
                .start()
                .await
                .unwrap_or_else(|e| {
                    panic!("could not start the local stack (run `cargo xtask setup`): {e}")
                })
        })
        .await
}

/// A client with the anon key and no session.
pub(crate) async fn anon() -> Client {
    let stack = stack().await;
    Client::new(stack.url(), stack.anon_key(), ClientOptions::default()).expect("client")
}

/// A client with the service_role key.
pub(crate) async fn service() -> Client {
    let stack = stack().await;
    Client::new(
        stack.url(),
        stack.service_role_key(),
        ClientOptions::default()
            .auto_refresh_token(false)
            .persist_session(false),
    )
    .expect("client")
}

/// A user signed up (and so signed in: confirmations are off) through the auth stand-in.
pub(crate) struct User {
    pub(crate) client: Client,
    pub(crate) id: String,
}

/// Signs up a fresh user; its client carries the session from then on.
pub(crate) async fn sign_up(tag: &str) -> User {
    static N: AtomicU32 = AtomicU32::new(0);
    let email = format!(
        "{tag}-{}-{}@example.com",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let password = format!("pw-{tag}-{}-correct horse", std::process::id());
    let client = anon().await;
    let response = client
        .auth()
        .sign_up(SignUpCredentials::email(&email, &password))
        .await
        .expect("sign up");
    assert!(
        response.session.is_some(),
        "confirmations are off: a session"
    );
    let id = response.user.expect("user").id;
    User { client, id }
}
