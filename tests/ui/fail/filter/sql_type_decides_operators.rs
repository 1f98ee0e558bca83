#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

// Fields read into a `String` or a `Value` whose Postgres type lacks that type's operators:
// `sql_type` names the Postgres type (codegen writes it), and its operators apply.
#[derive(Table, Deserialize)]
#[supabase(table = "sessions")]
struct Session {
    #[supabase(primary_key, sql_type = "uuid")]
    id: String,
    #[supabase(sql_type = "tsvector")]
    words: String,
    #[supabase(sql_type = "json")]
    settings: Option<serde_json::Value>,
    #[supabase(sql_type = "xml")]
    page: String,
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    // Postgres has no `uuid ~~ text`, `tsvector ~~* text`, `json @> json` nor an order on xml.
    let _ = client.from::<Session>().select().like(session::id, "a%");
    let _ = session::words.ilike("a%");
    let _ = session::settings.contains(serde_json::json!({ "a": 1 }));
    let _ = session::page.gt("<a/>");
    // The operators they have compile: ordering on a uuid, search on a tsvector, JSON paths.
    let _ = session::id.gt("00000000-0000-0000-0000-000000000000");
    let _ = session::words.text_search("fat & cat", TextSearch::default());
    let _ = session::settings.json_text("lang").eq("en");
}
