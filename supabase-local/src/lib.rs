//! `supabase-local`: a Supabase-shaped endpoint on one machine, without Docker.
//!
//! A [`Stack`] is a real PostgreSQL (initialised from a cached template, bootstrapped with
//! Supabase's roles `anon` / `authenticated` / `service_role` / `authenticator` and the `auth`,
//! `extensions` and `storage` schemas), a real PostgREST 12 (provisioned into a cache directory),
//! and a gateway with Supabase's URL layout: `/rest/v1` (PostgREST, the `apikey` checked like
//! Supabase's Kong does) and built-in stand-ins on the same Postgres for `/auth/v1`,
//! `/storage/v1`, `/functions/v1` and `/realtime/v1`. It exists so that every test, example and
//! developer gets a Supabase endpoint with one line of code.
//!
//! ```no_run
//! # async fn run() -> Result<(), supabase_local::StackError> {
//! use supabase_local::Stack;
//!
//! let stack = Stack::builder().project_dir("examples").start().await?;
//! println!("API URL: {}", stack.url()); // http://127.0.0.1:PORT — REST under /rest/v1
//! println!("anon key: {}", stack.anon_key());
//! stack
//!     .execute_sql("insert into countries (name, iso2, continent) values ('Chile', 'CL', 'South America')")
//!     .await?;
//! stack.reload_schema().await?;
//! // Dropping the stack stops Postgres and PostgREST; so does the process exiting.
//! # Ok(()) }
//! ```
//!
//! # Sharing one stack per test binary
//!
//! Start-up takes about 0.25 s when the cache is warm (about 3 s cold), so tests share one stack
//! through a `static`. The stack runs its gateway on its own thread and runtime, so it keeps
//! serving tests whose `#[tokio::test]` runtimes differ; when the test binary exits, its servers
//! stop.
//!
//! ```no_run
//! use supabase_local::Stack;
//! use tokio::sync::OnceCell;
//!
//! static STACK: OnceCell<Stack> = OnceCell::const_new();
//!
//! async fn stack() -> &'static Stack {
//!     STACK
//!         .get_or_init(|| async { Stack::builder().project_dir("tests/fixtures/stack").start().await.unwrap() })
//!         .await
//! }
//! ```
//!
//! # Where to find things
//!
//! - [`Stack`], [`StackBuilder`]: start, configure, query (`execute_sql`, `query_json`, `reload_schema`).
//! - [`mint_jwt`], [`api_key`], [`DEFAULT_JWT_SECRET`]: tokens for any role and claims.
//! - [`provision_postgrest`], [`find_pg_binaries`], [`default_cache_dir`]: what `cargo xtask setup` uses.
//! - [`Services`]: routers for the other services behind the gateway.
//! - [`FunctionsConfig`], [`FunctionsMode`], [`provision_deno`]: edge functions at `/functions/v1`
//!   (Deno workers for `supabase/functions/<name>/index.ts`, or in-process axum handlers).
//! - [`AuthConfig`], [`Mailbox`]: the built-in auth server's settings and the mail it "sent".
//! - The `supabase-local` binary: `supabase-local start | stop | status`, like `supabase start`.

mod error;
mod gateway;
mod keys;
mod migrate;
mod pg;
mod postgrest;
mod process;
mod runtime;
mod services;
mod signing;
mod stack;
mod start;
mod sys;

pub use error::{BoxError, StackError};
pub use gateway::Services;
pub use keys::{API_KEY_EXPIRY, DEFAULT_JWT_SECRET, api_key, mint_jwt};
pub use pg::{PgBinaries, find_pg_binaries};
pub use postgrest::{POSTGREST_VERSION, default_cache_dir, provision_postgrest};
pub use services::auth::{AuthConfig, Mailbox, Message, MessageKind, OAuthProvider, OidcProvider};
pub use services::functions::{
    DENO_VERSION, DenoLookup, FunctionsConfig, FunctionsMode, provision_deno,
};
pub use signing::JwtAlgorithm;
pub use stack::{Ports, Stack, StackBuilder};
pub use sys::postgres_user;
