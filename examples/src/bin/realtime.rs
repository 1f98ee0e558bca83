//! Realtime: broadcast on a channel, and postgres changes on `notes` as a signed-in user.
//!
//! ```sh
//! # Local: `TOUR_KEEP=1 cargo xtask tour` keeps a stack up and prints the two variables.
//! SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_KEY=<anon key> \
//!     cargo run -p supabase-examples --bin realtime
//! ```
//!
//! Signs up a fresh user (email confirmations off): RLS lets each user see only their notes'
//! changes.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use supabase_core::Client;
use supabase_core::auth::SignUpCredentials;
use supabase_core::realtime::{ChannelConfig, PostgresChangeEvent, TableChanges};
use supabase_examples::db::public::{Note, NoteInsert};
use supabase_examples::{env_client, unique_suffix};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(env_client()?).await
}

/// The example, with any client (`tests/tests/reliability/examples.rs` runs it on a local stack).
pub(crate) async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    client
        .auth()
        .sign_up(SignUpCredentials::email(
            format!("realtime-{}@example.com", unique_suffix()),
            "example password 1234",
        ))
        .await?;

    // `self_broadcast` so this client hears its own message.
    let channel = client.channel_with(
        format!("example-{}", unique_suffix()),
        ChannelConfig::default().broadcast_self(true),
    );
    let mut greetings = channel.broadcast_stream("greeting");
    let mut notes =
        channel.postgres_changes_stream(PostgresChangeEvent::Insert, TableChanges::<Note>::new());
    channel.subscribe().await?;

    channel
        .send_broadcast("greeting", json!({ "hello": "realtime" }))
        .await?;
    let message = tokio::time::timeout(Duration::from_secs(10), greetings.next())
        .await?
        .ok_or("channel closed")?;
    println!("broadcast: {}", message.payload);

    client
        .from::<Note>()
        .insert(NoteInsert::new("seen by realtime"))
        .await?;
    let change = tokio::time::timeout(Duration::from_secs(10), notes.next())
        .await?
        .ok_or("channel closed")??;
    println!(
        "{:?} on {}: {:?}",
        change.event_type,
        change.table,
        change.new.map(|n| n.body)
    );

    client.remove_channel(&channel).await?;
    Ok(())
}
