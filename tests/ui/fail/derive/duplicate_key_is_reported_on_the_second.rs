#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
#[supabase(table = "worlds", read_only, read_only)]
struct Planet {
    #[supabase(primary_key)]
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

fn main() {}
