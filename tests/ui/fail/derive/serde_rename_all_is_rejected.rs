#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
#[serde(rename_all = "camelCase")]
struct Planet {
    id: i64,
    moon_count: i32,
}

fn main() {}
