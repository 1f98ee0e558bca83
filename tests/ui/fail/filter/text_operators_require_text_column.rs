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
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client.from::<Planet>().select().like(planet::moons, "%1%");
    let _ = planet::id.ilike("%1%");
}
