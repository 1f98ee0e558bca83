#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "flags")]
struct Flag {
    #[supabase(primary_key)]
    id: i64,
    label: Option<String>,
    done: bool,
    approved: Option<bool>,
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    // Not a boolean column.
    let _ = client.from::<Flag>().select().is_(flag::id, true);
    let _ = flag::label.is_(None);
    // NOT NULL: never NULL, so `IS NULL` is meaningless.
    let _ = flag::done.is_(None);
    // Not a boolean value.
    let _ = flag::approved.is_("true");
    // These compile.
    let _ = flag::done.is_(false);
    let _ = client.from::<Flag>().select().is_(flag::approved, None);
}
