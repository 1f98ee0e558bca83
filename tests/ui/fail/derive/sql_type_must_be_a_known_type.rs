#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "shapes")]
struct Shape {
    #[supabase(primary_key)]
    id: i64,
    // Not a type with a marker in `supabase_core::table::sql`: a field of a type implementing
    // the kinds it has (`Ordered`, ...) needs no `sql_type`.
    #[supabase(sql_type = "geometry")]
    outline: String,
}

fn main() {}
