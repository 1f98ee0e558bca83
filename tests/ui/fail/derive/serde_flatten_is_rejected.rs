#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Deserialize)]
struct Extra {
    note: String,
}

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    id: i64,
    #[serde(flatten)]
    extra: Extra,
}

fn main() {}
