#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "a", writes = "insert")]
struct A {
    id: i64,
}

#[derive(Table, Deserialize)]
#[supabase(table = "b", writes(insert, upsert, insert, delete = true))]
struct B {
    id: i64,
}

#[derive(Table, Deserialize)]
#[supabase(table = "c", read_only, writes(insert))]
struct C {
    id: i64,
}

#[derive(Table, Deserialize)]
#[supabase(table = "d", writes(insert), writes(update))]
struct D {
    id: i64,
}

fn main() {}
