#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "users")]
struct User {
    id: i64,
    // serde reads `display`, the column would be `display_name`.
    #[supabase(rename = "display_name")]
    display: String,
    // serde reads `full_name`, the column would be `name`.
    #[serde(rename = "full_name")]
    #[supabase(rename = "name")]
    name: String,
}

fn main() {}
