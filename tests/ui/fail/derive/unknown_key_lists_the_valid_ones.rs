#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets", tabel = "planets")]
struct Planet {
    #[supabase(primary)]
    id: i64,
    name: String,
}

fn main() {}
