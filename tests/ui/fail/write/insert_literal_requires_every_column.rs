#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    // `lower(name)`, computed by the database.
    #[supabase(generated)]
    slug: String,
    moons: i32,
    #[supabase(default)]
    status: String,
    note: Option<String>,
}

fn main() {
    let _ = PlanetInsert {
        id: 3,
        name: "Earth".to_owned(),
        status: None,
        note: None,
    };
}
