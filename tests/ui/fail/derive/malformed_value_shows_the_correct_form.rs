#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = 5)]
struct Planet {
    #[supabase(primary_key = true)]
    id: i64,
    #[supabase(rename(name))]
    name: String,
}

#[derive(Table, Deserialize)]
#[supabase(table = "moons", crate = "1up", read_only(yes))]
struct Moon {
    id: i64,
}

fn main() {}
