#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(tabel = "planets", schema = 1, read_only = true)]
#[serde(rename_all = "camelCase")]
struct Planet {
    #[supabase(primary_key, primary_key)]
    id: i64,
    #[supabase(skip)]
    cached: Option<String>,
    #[supabase(rename = "title")]
    name: String,
    #[supabase(nullable)]
    moons: Option<i32>,
}

fn main() {}
