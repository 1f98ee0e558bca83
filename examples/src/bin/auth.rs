//! Auth: sign up, sign in with a password, the session, the user, sign out.
//!
//! ```sh
//! # Local: `TOUR_KEEP=1 cargo xtask tour` keeps a stack up and prints the two variables.
//! SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_KEY=<anon key> \
//!     cargo run -p supabase-examples --bin auth
//! ```
//!
//! On a hosted project with email confirmations on, sign-up returns no session: confirm the
//! address from the mail, then sign in (or turn confirmations off for the example).

use supabase_core::Client;
use supabase_core::auth::{SignInWithPasswordCredentials, SignUpCredentials};
use supabase_examples::db::public::{Note, NoteInsert};
use supabase_examples::{env_client, unique_suffix};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(env_client()?).await
}

/// The example, with any client (`tests/tests/reliability/examples.rs` runs it on a local stack).
pub(crate) async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    let auth = client.auth();
    let email = format!("example-{}@example.com", unique_suffix());
    let password = "example password 1234";

    let signed_up = auth
        .sign_up(SignUpCredentials::email(&email, password))
        .await?;
    println!(
        "signed up {email}; session: {}",
        if signed_up.session.is_some() {
            "yes"
        } else {
            "no (confirm the email first)"
        }
    );

    let signed_in = auth
        .sign_in_with_password(SignInWithPasswordCredentials::email(&email, password))
        .await?;
    let session = signed_in.session.ok_or("no session")?;
    println!(
        "signed in as {}; the token expires in {}s",
        session.user.id, session.expires_in
    );

    // Every service now sends the user's token: RLS sees auth.uid().
    client
        .from::<Note>()
        .insert(NoteInsert::new("written by the auth example"))
        .await?;
    let notes: Vec<Note> = client.from::<Note>().select().await?;
    println!("the user's notes: {}", notes.len());

    let user = auth.get_user().await?;
    println!("get_user: {:?}", user.email);
    auth.sign_out().await?;
    println!("signed out; session now: {:?}", auth.get_session().await?);
    Ok(())
}
