#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "issues")]
struct Issue {
    #[supabase(primary_key)]
    id: i64,
    tags: Vec<String>,
    meta: serde_json::Value,
}

fn main() {
    // Arrays (and ranges) overlap; jsonb has `@>` and `<@` but no `&&`.
    let _ = issue::tags.overlaps(vec!["bug".to_owned()]);
    let _ = issue::meta.contains(serde_json::json!({"a": 1}));
    let _ = issue::meta.overlaps(serde_json::json!(["a"]));
}
