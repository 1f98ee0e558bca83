#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planet_stats", read_only)]
struct PlanetStat {
    name: String,
    moons: i64,
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client
        .from::<PlanetStat>()
        .delete()
        .eq(planet_stat::name, "Earth");
}
