//! Storage: upload into the private `notes` bucket, list, download, a signed URL, remove.
//!
//! ```sh
//! # Local: `TOUR_KEEP=1 cargo xtask tour` keeps a stack up and prints the two variables.
//! SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_KEY=<anon key> \
//!     cargo run -p supabase-examples --bin storage
//! ```
//!
//! The bucket's policy lets a signed-in user manage `<user id>/...` only, so the example signs
//! up a fresh user first (email confirmations off).

use supabase_core::Client;
use supabase_core::auth::SignUpCredentials;
use supabase_core::storage::FileOptions;
use supabase_examples::{env_client, unique_suffix};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(env_client()?).await
}

/// The example, with any client (`tests/tests/reliability/examples.rs` runs it on a local stack).
pub(crate) async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    let email = format!("storage-{}@example.com", unique_suffix());
    let user = client
        .auth()
        .sign_up(SignUpCredentials::email(&email, "example password 1234"))
        .await?
        .user
        .ok_or("no user")?;

    let files = client.storage().from_("notes");
    let path = format!("{}/hello.txt", user.id);
    files
        .upload_with(
            &path,
            b"hello, storage",
            FileOptions::new().content_type("text/plain"),
        )
        .await?;
    println!("uploaded notes/{path}");

    let listed = files.list(user.id.as_str()).await?;
    println!(
        "in {}/: {:?}",
        user.id,
        listed.iter().map(|f| &f.name).collect::<Vec<_>>()
    );

    let bytes = files.download(&path).await?;
    println!("downloaded: {:?}", String::from_utf8_lossy(&bytes));

    // A signed URL works without any key, until it expires.
    let url = files.create_signed_url(&path, 60).await?;
    let body = reqwest::get(&url).await?.text().await?;
    println!("through the signed URL: {body:?}");

    files.remove([path.as_str()]).await?;
    println!("removed; exists now: {}", files.exists(&path).await?);
    Ok(())
}
