#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(Table, Deserialize)]
#[supabase(table = "moons")]
struct Moon {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client.from::<Planet>().upsert(PlanetInsert::new(1, "Earth")).on_conflict(moon::name);
    let _ = client
        .from::<Planet>()
        .upsert(PlanetInsert::new(1, "Earth"))
        .on_conflict((planet::name, moon::name));
}
