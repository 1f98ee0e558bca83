#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    id: i64,
    #[supabase(skip)]
    cached: Option<String>,
}

fn main() {}
