#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
struct Planet {
    id: i64,
}

#[derive(Table, Deserialize)]
#[supabase(table = "")]
struct Moon {
    id: i64,
}

fn main() {}
