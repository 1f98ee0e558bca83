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

#[derive(Table, Deserialize)]
#[supabase(table = "countries")]
struct Country {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

// `name` is `text`, read into an integer.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct SectionName {
    name: i32,
}

// A nullable column read into a non-`Option` field.
#[derive(Select, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentSection {
    section_id: i64,
}

fn main() {}
