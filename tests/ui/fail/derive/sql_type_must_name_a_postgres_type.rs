#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "events")]
struct Event {
    #[supabase(primary_key)]
    id: i64,
    // SQL's spelling, not Postgres's type name (`timestamptz`).
    #[supabase(sql_type = "timestamp with time zone")]
    at: String,
}

fn main() {}
