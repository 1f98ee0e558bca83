#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets", tabel = "planets")]
struct Planet {
    #[supabase(primary_key, generated)]
    id: i64,
    name: String,
    #[supabase(default)]
    moons: Option<i32>,
}

fn main() {
    // Only the attribute error above: the derive still expands, so every use below resolves.
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client
        .from::<Planet>()
        .select()
        .eq(planet::name, "Earth")
        .order(planet::moons.desc());
    let _ = client
        .from::<Planet>()
        .insert(PlanetInsert::new("Earth").moons(1));
    let _ = client
        .from::<Planet>()
        .update(PlanetUpdate::default().moons(None))
        .eq(planet::id, 1);
    assert_eq!(Planet::NAME, "planets");
}
