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

// `nmae` is no column of `Section`.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct SectionName {
    nmae: String,
}

fn main() {}
