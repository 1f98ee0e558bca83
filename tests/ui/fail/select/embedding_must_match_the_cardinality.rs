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

// An instrument belongs to one section: not a `Vec`.
#[derive(Select, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentWithSections {
    name: String,
    #[supabase(embed)]
    orchestral_sections: Vec<Section>,
}

// A section has many instruments: not an `Option`.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct SectionWithOneInstrument {
    name: String,
    #[supabase(embed)]
    instruments: Option<Instrument>,
}

fn main() {}
