#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "orchestral_sections", has_many(Instrument))]
struct Section {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(Table, Deserialize)]
#[supabase(table = "instruments", belongs_to(Section))]
struct Instrument {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    section_id: Option<i64>,
}

fn main() {
    let client = supabase_core::create_client("http://127.0.0.1:54321", "key").unwrap();
    // Fine: each instrument has one section to order by.
    let _ = client
        .from::<Instrument>()
        .select()
        .order_by_related(section::name.asc());
    // A section has many instruments: there is no one instrument name to order it by.
    let _ = client
        .from::<Section>()
        .select()
        .order_by_related(instrument::name.asc());
}
