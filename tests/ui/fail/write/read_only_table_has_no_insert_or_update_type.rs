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
    let _ = PlanetStatInsert::new("Earth", 1);
    let _ = PlanetStatUpdate::default();
}
