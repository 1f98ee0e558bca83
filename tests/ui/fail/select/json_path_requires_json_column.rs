#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    address: Option<serde_json::Value>,
}

// A JSON path into `address` is fine; into the text column `name` it is not.
#[derive(Select, Deserialize)]
#[supabase(from = User)]
struct Cities {
    #[supabase(json = "address->>city")]
    city: Option<String>,
    #[supabase(json = "name->>first")]
    first: Option<String>,
}

fn main() {}
