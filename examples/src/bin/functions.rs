//! Edge functions: invoke `hello-world` (examples/supabase/functions/hello-world) with a JSON body.
//!
//! ```sh
//! # Local: `TOUR_KEEP=1 cargo xtask tour` keeps a stack up and prints the two variables.
//! SUPABASE_URL=http://127.0.0.1:54321 SUPABASE_KEY=<anon key> \
//!     cargo run -p supabase-examples --bin functions
//! ```
//!
//! On a hosted project: `supabase functions deploy hello-world` first.

use serde::Deserialize;
use serde_json::json;
use supabase_core::functions::InvokeOptions;
use supabase_core::{Client, Error};
use supabase_examples::env_client;

#[derive(Debug, Deserialize)]
struct Greeting {
    message: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(env_client()?).await
}

/// The example, with any client (`tests/tests/reliability/examples.rs` runs it on a local stack).
pub(crate) async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    let greeting: Greeting = client
        .functions()
        .invoke(
            "hello-world",
            InvokeOptions::new().body(&json!({ "name": "Functions" })),
        )
        .await?
        .json()
        .await?;
    println!("hello-world: {}", greeting.message);

    // Errors are typed: a missing function is an HTTP error with the status and body
    // (`FunctionsError::Http`; `Relay` when the relay failed), and `to_dict()` gives the
    // reference's `{name, message, status}`.
    match client
        .functions()
        .invoke("no-such-function", InvokeOptions::new())
        .await
    {
        Ok(_) => println!("no-such-function answered?"),
        Err(Error::Functions(e)) => {
            let err = e.to_dict();
            println!("{} from no-such-function: {}", err.name, err.message);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
