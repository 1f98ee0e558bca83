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
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    // A value of the wrong type, in the second pair.
    let _ = client
        .from::<Planet>()
        .select()
        .match_(((planet::id, 2), (planet::name, 3)));
    // A column of another table.
    let _ = client.from::<Planet>().select().match_(((moon::id, 2),));
    // One bare pair instead of a tuple of pairs.
    let _ = client.from::<Planet>().select().match_((planet::id, 2));
    // Not a tuple at all.
    let _ = client.from::<Planet>().select().match_(planet::id);
}
