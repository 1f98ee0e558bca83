#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
    address: Option<serde_json::Value>,
}

fn main() {
    // Fine: a jsonb column.
    let _ = user::address.json("postcode").eq(90210);
    // A text column has no JSON path.
    let _ = user::name.json("postcode");
    let _ = user::id.json_text("postcode");
}
