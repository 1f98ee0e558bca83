//! Storage end to end: the client against the storage-api stand-in of the local stack (real
//! Postgres, RLS on `storage.objects`).

mod blocking;
mod buckets;
mod errors;
mod forms;
mod images;
mod list_v2;
mod objects;
mod rls;
mod server_rules;
mod transfers;

use supabase_core::storage::{BucketOptions, FileApi};
use supabase_core::{Client, ClientOptions};
use supabase_tests::{reference_stack, service, unique_id};

/// A fresh bucket (created with the service role) and the service client's handle on it.
async fn bucket(options: BucketOptions) -> (String, FileApi) {
    let name = format!("b{}", unique_id());
    let client = service().await;
    client
        .storage()
        .create_bucket_with(&name, options)
        .await
        .expect("create bucket");
    let api = client.storage().from_(name.clone());
    (name, api)
}

/// A client acting as user `sub`: the anon key plus an `authenticated` token signed with the
/// stack's secret in `Authorization` (what `base_headers()` carries for a signed-in session).
async fn user(sub: &str) -> Client {
    let stack = reference_stack().await;
    let token = stack
        .mint_jwt(&serde_json::json!({
            "sub": sub, "role": "authenticated", "exp": 4_000_000_000u64,
        }))
        .expect("mint");
    Client::new(
        stack.url(),
        stack.anon_key(),
        ClientOptions::default().header("Authorization", format!("Bearer {token}")),
    )
    .expect("client")
}

/// A valid uuid, different per call.
fn uuid() -> String {
    format!("00000000-0000-4000-8000-{:012}", unique_id())
}
