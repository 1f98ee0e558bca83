#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
struct Planet {
    id: i64,
    name: String,
}

fn main() {
    // Only "missing the table name": the columns and write types still exist.
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client.from::<Planet>().select().eq(planet::name, "Earth");
    let _ = PlanetInsert::new(1, "Earth");
}
