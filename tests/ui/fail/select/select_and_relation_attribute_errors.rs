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

// Every mistake at once: an unknown key, `inner` without `embed`, `embed` with `cast`,
// a malformed JSON path, and a missing `from` on the second struct.
#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct Mistakes {
    #[supabase(colum = name)]
    a: String,
    #[supabase(inner)]
    name: String,
    #[supabase(embed, cast = "text")]
    instruments: Vec<Instrument>,
    #[supabase(json = "name.first")]
    b: String,
}

#[derive(Select, Deserialize)]
struct NoFrom {
    name: String,
}

// Relation attributes: no target, and a key that does not belong.
#[derive(Table, Deserialize)]
#[supabase(table = "a", has_many, belongs_to(Section, through = "x"), many_to_many(Country))]
struct A {
    id: i64,
}


// Two relations to the same table cannot both be typed.
#[derive(Table, Deserialize)]
#[supabase(
    table = "messages",
    belongs_to(Country, foreign_key = "sender_id"),
    belongs_to(Country, foreign_key = "receiver_id")
)]
struct Message {
    id: i64,
}

fn main() {}
