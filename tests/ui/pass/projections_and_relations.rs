//! `#[derive(Select)]` with every field kind, over relations declared by attribute.
#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "orchestral_sections", has_many(Instrument))]
pub struct Section {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    meta: Option<serde_json::Value>,
}

#[derive(Table, Deserialize)]
#[supabase(table = "instruments", belongs_to(Section, foreign_key = "section_id"))]
pub struct Instrument {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    section_id: Option<i64>,
}

#[derive(Table, Deserialize)]
#[supabase(table = "actors", many_to_many(Film, through = "film_actors"))]
pub struct Actor {
    id: i64,
}

#[derive(Table, Deserialize)]
#[supabase(table = "films", many_to_many(Actor, through = "film_actors"))]
pub struct Film {
    id: i64,
    title: String,
}

#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct Everything {
    name: String,
    #[supabase(column = name)]
    title: String,
    #[supabase(column = id, cast = "text")]
    id_text: String,
    #[supabase(json = "meta->>colour")]
    colour: Option<String>,
    #[supabase(embed, inner)]
    instruments: Vec<Instrument>,
}

#[derive(Select, Deserialize)]
#[supabase(from = Instrument)]
struct WithSection {
    #[supabase(embed)]
    orchestral_sections: Option<Section>,
    #[supabase(embed)]
    #[serde(rename = "section")]
    section: Section,
}

#[derive(Select, Deserialize)]
#[supabase(from = Actor)]
struct ActorFilms {
    #[supabase(embed)]
    films: Vec<Film>,
}

fn main() {
    assert_eq!(
        Everything::select(),
        "name,title:name,id_text:id::text,colour:meta->>colour,instruments!inner(id,name,section_id)"
    );
    assert_eq!(
        WithSection::select(),
        "orchestral_sections!section_id(id,name,meta),section:orchestral_sections!section_id(id,name,meta)"
    );
    assert_eq!(ActorFilms::select(), "films!film_actors(id,title)");
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let req = client
        .from::<Section>()
        .select_as::<Everything>()
        .filter_embedded(instrument::name.eq("flute"))
        .order_embedded(instrument::name.desc())
        .limit_embedded::<Instrument>(1)
        .build()
        .unwrap();
    assert!(req.path_and_query().contains("instruments.name=eq.flute"));
    assert!(req.path_and_query().contains("instruments.order=name.desc"));
    assert!(req.path_and_query().contains("instruments.limit=1"));
}
