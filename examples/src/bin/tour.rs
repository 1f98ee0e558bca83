//! The tour: one walk through `supabase-core` against the examples' schema (`supabase/`); the
//! walk itself is `supabase_examples::tour::run`.
//!
//! ```sh
//! cargo xtask tour      # starts a local stack, regenerates src/db.rs, runs this program
//! ```
//!
//! Against a project of your own (with `supabase/migrations` applied and the `hello-world`
//! function deployed, email confirmations off):
//!
//! ```sh
//! SUPABASE_URL=https://<ref>.supabase.co SUPABASE_KEY=<anon key> \
//!     cargo run -p supabase-examples --bin tour
//! ```
//!
//! Every section prints what it does and how long it took; any failure exits non-zero.

use std::process::ExitCode;
use std::time::Instant;

use supabase_examples::{env_url_key, short, tour};

#[tokio::main]
async fn main() -> ExitCode {
    let started = Instant::now();
    let run = async {
        let (url, key) = env_url_key()?;
        Box::pin(tour::run(&url, &key)).await
    };
    match run.await {
        Ok(_) => {
            println!(
                "\nTour OK: database, auth + RLS, storage, functions, realtime in {}.",
                short(started.elapsed())
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nTour FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}
