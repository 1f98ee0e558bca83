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
    // `section_id` may be null: a plain `Section` takes `inner` (instruments without one are
    // left out).
    #[supabase(embed, inner)]
    #[serde(rename = "section")]
    section: Section,
}

#[derive(Select, Deserialize)]
#[supabase(from = Actor)]
struct ActorFilms {
    #[supabase(embed)]
    films: Vec<Film>,
}

#[derive(Table, Deserialize)]
#[supabase(
    table = "users",
    has_many(Message, foreign_key = "messages_sender_id_fkey", name = sent),
    has_many(Message, foreign_key = "messages_receiver_id_fkey", name = received)
)]
pub struct User {
    id: i64,
    name: Option<String>,
}

#[derive(Table, Deserialize)]
#[supabase(
    table = "messages",
    belongs_to(User, foreign_key = "sender_id", name = sender),
    belongs_to(User, foreign_key = "receiver_id", name = receiver)
)]
pub struct Message {
    id: i64,
    sender_id: i64,
    receiver_id: i64,
}

#[derive(Select, Deserialize)]
#[supabase(from = User)]
struct UserName {
    name: Option<String>,
}

#[derive(Select, Deserialize)]
#[supabase(from = Message)]
struct MessagePeople {
    #[supabase(embed, via = sender)]
    sender: UserName,
    #[supabase(embed, inner, via = receiver)]
    #[serde(rename = "to")]
    receiver: Option<UserName>,
}

#[derive(Select, Deserialize)]
#[supabase(from = User)]
struct UserCounts {
    #[supabase(count = Message, via = sent)]
    sent: EmbeddedCount,
    #[supabase(count = Message, via = received)]
    received: EmbeddedCount,
}

#[derive(Select, Deserialize)]
#[supabase(from = Section)]
struct SectionSize {
    #[supabase(count = Instrument)]
    #[serde(rename = "size")]
    instruments: EmbeddedCount,
}

#[derive(Select, Deserialize)]
#[supabase(from = Actor)]
struct FilmCount {
    #[supabase(count = Film)]
    films: EmbeddedCount,
}

fn main() {
    assert_eq!(
        MessagePeople::select(),
        "sender:users!sender_id(name),to:users!receiver_id!inner(name)"
    );
    assert_eq!(
        UserCounts::select(),
        "sent:messages!messages_sender_id_fkey(count),received:messages!messages_receiver_id_fkey(count)"
    );
    assert_eq!(SectionSize::select(), "size:instruments(count)");
    assert_eq!(FilmCount::select(), "films!film_actors(count)");
    let counted: SectionSize = serde_json::from_str(r#"{"size":[{"count":3}]}"#).unwrap();
    assert_eq!(counted.instruments, 3);
    assert_eq!(
        Everything::select(),
        "name,title:name,id_text:id::text,colour:meta->>colour,instruments!inner(id,name,section_id)"
    );
    assert_eq!(
        WithSection::select(),
        "orchestral_sections!section_id(id,name,meta),section:orchestral_sections!section_id!inner(id,name,meta)"
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
    let req = client
        .from::<User>()
        .select_as::<UserCounts>()
        .filter_embedded_via(user::sent, message::id.gt(1))
        .order_embedded_via(user::received, message::id.desc())
        .limit_embedded_via(user::received, 2)
        .build()
        .unwrap();
    assert!(req.path_and_query().contains("sent.id=gt.1"));
    assert!(req.path_and_query().contains("received.order=id.desc"));
    assert!(req.path_and_query().contains("received.limit=2"));
}
