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

// A to-one relation has nothing to count.
#[derive(Select, Deserialize)]
#[supabase(from = Instrument)]
struct CountsItsSection {
    #[supabase(count = Section)]
    sections: EmbeddedCount,
}

// `Section` declares no relation to `Country`.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct CountsUnrelated {
    #[supabase(count = Country)]
    countries: EmbeddedCount,
}

// A count of something that is no table.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct CountsNoTable {
    #[supabase(count = String)]
    strings: EmbeddedCount,
}

// A count reads into `EmbeddedCount`, not a plain integer.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct CountsIntoAnInteger {
    #[supabase(count = Instrument)]
    instruments: i64,
}

fn main() {}
