//! The auth client: its wire format and session handling against a recording GoTrue double
//! (`client`, `redaction`), and whole flows end to end against the local stack's GoTrue
//! stand-in with real Postgres, PostgREST and RLS (`e2e_*`, fixture `tests/fixtures/auth`: a
//! `todos` table only its owner can read or change).

mod blocking;
mod client;
mod e2e_account;
mod e2e_admin;
mod e2e_flows;
mod e2e_id_token;
mod e2e_jwks;
mod e2e_mfa;
mod e2e_oauth;
mod e2e_session;
mod forward;
mod mock;
mod redaction;
mod session_lock;
mod third_party;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use supabase_core::{Client, ClientOptions};
use supabase_local::{Stack, StackBuilder};
use tokio::sync::OnceCell;

/// A stack of the `auth` fixture, its builder adjusted by `configure`.
pub(crate) async fn start_with(configure: impl FnOnce(StackBuilder) -> StackBuilder) -> Stack {
    configure(Stack::builder().project_dir(supabase_tests::fixture("auth")))
        .start()
        .await
        .unwrap_or_else(|e| {
            panic!("could not start the local stack (run `cargo xtask setup` to provision it): {e}")
        })
}

/// Email and phone confirmations required; one-hour tokens unless `expiry` says otherwise.
pub(crate) async fn start(expiry: Option<Duration>) -> Stack {
    start_with(|builder| {
        let builder = builder.auth_confirmations(true);
        match expiry {
            Some(expiry) => builder.auth_jwt_expiry(expiry),
            None => builder,
        }
    })
    .await
}

/// The stack of this binary: email and phone confirmations required, one-hour tokens.
pub(crate) async fn stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK.get_or_init(|| start(None)).await
}

/// A second stack whose access tokens live four seconds, to watch refreshes happen.
pub(crate) async fn short_lived_stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| start(Some(Duration::from_secs(4))))
        .await
}

/// A fresh anon-key client (its own session) on `stack`.
pub(crate) fn anon_on(stack: &Stack, options: ClientOptions) -> Client {
    Client::new(stack.url(), stack.anon_key(), options).expect("client")
}

/// A fresh anon-key client on the default stack.
pub(crate) async fn anon() -> Client {
    anon_on(stack().await, ClientOptions::default())
}

/// A service-role client on `stack` without session handling (as the reference's server-side
/// example).
pub(crate) fn service_on(stack: &Stack) -> Client {
    let options = ClientOptions::default()
        .auto_refresh_token(false)
        .persist_session(false);
    Client::new(stack.url(), stack.service_role_key(), options).expect("client")
}

/// A service-role client on the default stack.
pub(crate) async fn service() -> Client {
    service_on(stack().await)
}

/// An email address no other test uses.
pub(crate) fn email(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}@example.com",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A phone number no other test uses.
pub(crate) fn phone() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "+1555{:03}{:04}",
        std::process::id() % 1000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}
