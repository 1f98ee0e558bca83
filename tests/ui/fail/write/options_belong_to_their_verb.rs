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

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    // An insert does not resolve conflicts: PostgREST would ignore these.
    let _ = client.from::<Planet>().insert(PlanetInsert::new(1, "Earth")).on_conflict(planet::id);
    let _ = client.from::<Planet>().insert(PlanetInsert::new(1, "Earth")).ignore_duplicates();
    // A read or an upsert affects no rows max_affected could limit.
    let _ = client.from::<Planet>().select().max_affected(1);
    let _ = client.from::<Planet>().upsert(PlanetInsert::new(1, "Earth")).max_affected(1);
    // A delete writes no rows of its own.
    let _ = client.from::<Planet>().delete().eq(planet::id, 1).default_to_null(true);
    // A table read is a GET already.
    let _ = client.from::<Planet>().select().get();
}
