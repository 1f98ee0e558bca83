#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "planets")]
struct Planet(i64, String);

#[derive(Table, Deserialize)]
#[supabase(table = "moons")]
enum Moon {
    Luna,
}

#[derive(Table, Deserialize)]
#[supabase(table = "stars")]
struct Star<T> {
    id: T,
}

fn main() {}
