//! `cargo xtask tour`: the main demo. For now a smoke query through the gateway of a local stack
//! started from `examples/`; it will grow into a tour of `supabase-core` (replace [`tour`]).

use std::time::Instant;

use supabase_local::Stack;

use crate::{root, secs};

pub(crate) async fn run() -> Result<(), String> {
    let project = root().join("examples");
    println!("Starting a local stack from {} ...", project.display());
    let started = Instant::now();
    let stack = Stack::builder()
        .project_dir(&project)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Stack ready in {}: API {}  DB {}",
        secs(started.elapsed()),
        stack.url(),
        stack.db_url()
    );
    tour(&stack).await
}

/// The demo itself: everything it needs is in `stack` (URL and keys).
async fn tour(stack: &Stack) -> Result<(), String> {
    let url = format!(
        "{}/rest/v1/countries?select=name,iso2,continent&order=name",
        stack.url()
    );
    println!("\nGET {url}\n    apikey: <anon key>");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .get(&url)
        .header("apikey", stack.anon_key())
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    let body = resp.text().await.map_err(|e| e.to_string())?;
    println!("<-- {status}\n{body}\n");
    if !status.is_success() {
        return Err(format!("the smoke query answered {status}"));
    }
    let rows = body.matches("\"iso2\"").count();
    if rows == 0 {
        return Err("the smoke query returned no countries".into());
    }
    println!(
        "Tour OK: {rows} countries read through the gateway with the anon key (RLS select policy)."
    );
    Ok(())
}
