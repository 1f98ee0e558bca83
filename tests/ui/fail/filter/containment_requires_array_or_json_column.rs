#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    moons: Option<i32>,
    tags: Vec<String>,
    discovered: bool,
}

fn main() {
    let _ = planet::name.contains("Earth");
    let _ = planet::moons.contained_by(1);
}
