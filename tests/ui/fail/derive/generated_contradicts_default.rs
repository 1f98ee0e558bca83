#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(generated, default)]
    id: i64,
    name: String,
}

fn main() {}
