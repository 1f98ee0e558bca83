#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    id: i64,
    #[serde(skip)]
    #[supabase(skip, primary_key)]
    cached: Option<String>,
}

fn main() {}
