//! Shared fixtures for the integration tests in `tests/tests/`.
//!
//! Each test binary starts one local stack (real Postgres + real PostgREST) the first time a test
//! asks for it and shares it between its tests; tests that write use [`unique_id`] keys so they
//! never see each other's rows. The stack's processes stop when the binary exits.

pub mod capture;
pub mod fault;

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

use supabase_core::{Client, create_client};
use supabase_local::Stack;
use tokio::sync::OnceCell;

/// A port in 20000..32000 (below Linux's ephemeral range) that was free a moment ago, for a
/// server the test starts itself; the caller retries on a clash.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(u64::from(std::process::id()));
        let port = 20_000 + (h.finish() % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Path of a fixture project under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The stack with the reference schema (`tests/fixtures/reference`), started once per binary,
/// with `myschema` exposed, and `EXPLAIN` and `Prefer: tx=rollback` allowed (both off on
/// Supabase).
pub async fn reference_stack() -> &'static Stack {
    static STACK: OnceCell<Stack> = OnceCell::const_new();
    STACK
        .get_or_init(|| async {
            Stack::builder()
                .project_dir(fixture("reference"))
                .schema("myschema")
                .explain(true)
                .allow_rollback(true)
                .start()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "could not start the local stack (run `cargo xtask setup` to provision it): {e}"
                    )
                })
        })
        .await
}

/// The reference stack plus `public.flags (id, done boolean not null, approved boolean)` with
/// rows `(1, true, true)`, `(2, true, false)`, `(3, false, null)`, `(4, false, true)`, for
/// `IS TRUE` / `IS FALSE` / `IS UNKNOWN` (the reference schema has no boolean column). Created
/// once per test binary; tests only read it.
pub async fn flags_stack() -> &'static Stack {
    static FLAGS: OnceCell<()> = OnceCell::const_new();
    let stack = reference_stack().await;
    FLAGS
        .get_or_init(|| async {
            stack
                .execute_sql(
                    "create table public.flags (
                       id bigint primary key,
                       done boolean not null,
                       approved boolean
                     );
                     insert into public.flags values
                       (1, true, true), (2, true, false), (3, false, null), (4, false, true);
                     grant select on public.flags to anon, authenticated, service_role;",
                )
                .await
                .expect("create the flags table");
            stack
                .reload_schema()
                .await
                .expect("reload the schema cache");
        })
        .await;
    stack
}

/// A client with the anon key, against the reference stack.
pub async fn anon() -> Client {
    let stack = reference_stack().await;
    create_client(stack.url(), stack.anon_key()).expect("client")
}

/// A client with the service_role key, against the reference stack.
pub async fn service() -> Client {
    let stack = reference_stack().await;
    create_client(stack.url(), stack.service_role_key()).expect("client")
}

/// Moves every `*_sent_at` of the user with this email or phone (current or pending) an hour
/// back, so that the next message of any kind is not refused by GoTrue's per-user send limit
/// (`max_frequency`: 1 s for emails, 5 s for SMS by default), as time passing would.
pub async fn allow_resend(stack: &Stack, address: &str) {
    let phone = address.trim_start_matches('+');
    stack
        .execute_sql(&format!(
            "update auth.users set confirmation_sent_at = confirmation_sent_at - interval '1 hour', \
               recovery_sent_at = recovery_sent_at - interval '1 hour', \
               email_change_sent_at = email_change_sent_at - interval '1 hour', \
               phone_change_sent_at = phone_change_sent_at - interval '1 hour', \
               reauthentication_sent_at = reauthentication_sent_at - interval '1 hour' \
             where '{address}' in (email, email_change) or '{phone}' in (phone, phone_change)"
        ))
        .await
        .expect("moving the send times back");
}

/// A row key no other test in this process uses.
pub fn unique_id() -> i64 {
    static NEXT: AtomicI64 = AtomicI64::new(100_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The values of `key` in a JSON array of objects, as strings, sorted.
pub fn sorted_strings(rows: &serde_json::Value, key: &str) -> Vec<String> {
    let mut out: Vec<String> = rows
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {rows}"))
        .iter()
        .map(|r| match &r[key] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    out.sort();
    out
}
