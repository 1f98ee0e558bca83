//! `#[derive(Select)]` projections and embedding over declared relations, against the real
//! PostgREST.

use serde::Deserialize;
use supabase_core::prelude::*;
use supabase_tests::anon;

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "orchestral_sections", has_many(Instrument))]
struct OrchestralSection {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(
    table = "instruments",
    belongs_to(OrchestralSection, foreign_key = "section_id")
)]
struct Instrument {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    section_id: Option<i64>,
    octave_range: Option<i32>,
    book_id: Option<i32>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
    handle: Option<String>,
    #[serde(rename = "display_name")]
    display: Option<String>,
    address: Option<serde_json::Value>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentName {
    name: String,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionWithInstruments {
    name: String,
    #[supabase(embed)]
    instruments: Vec<InstrumentName>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionName {
    #[supabase(column = name)]
    title: String,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentWithSection {
    name: String,
    #[supabase(column = id, cast = "text")]
    id_text: String,
    #[supabase(embed)]
    orchestral_sections: Option<SectionName>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionWithMatches {
    name: String,
    #[supabase(embed, inner)]
    instruments: Vec<Instrument>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = User)]
struct UserCity {
    #[serde(rename = "who")]
    #[supabase(column = display)]
    who: Option<String>,
    #[supabase(json = "address->>city")]
    city: Option<String>,
}

#[test]
fn select_lists_follow_the_structs() {
    assert_eq!(SectionWithInstruments::select(), "name,instruments(name)");
    assert_eq!(SectionName::select(), "title:name");
    assert_eq!(
        InstrumentWithSection::select(),
        "name,id_text:id::text,orchestral_sections!section_id(title:name)"
    );
    assert_eq!(
        SectionWithMatches::select(),
        "name,instruments!inner(id,name,section_id,octave_range,book_id)"
    );
    assert_eq!(UserCity::select(), "who:display_name,city:address->>city");
}

#[tokio::test]
async fn embeds_to_many_rows_with_embedded_order_and_limit() {
    let rows = anon()
        .await
        .from::<OrchestralSection>()
        .select_as::<SectionWithInstruments>()
        .eq(orchestral_section::name, "strings")
        .order_embedded(instrument::name.asc())
        .limit_embedded::<Instrument>(2)
        .await
        .unwrap();
    assert_eq!(
        rows,
        [SectionWithInstruments {
            name: "strings".into(),
            instruments: vec![
                InstrumentName {
                    name: "cello".into()
                },
                InstrumentName {
                    name: "guqin".into()
                },
            ],
        }]
    );
}

#[tokio::test]
async fn embeds_a_to_one_row_with_aliases_and_casts() {
    let flute = anon()
        .await
        .from::<Instrument>()
        .select_as::<InstrumentWithSection>()
        .eq(instrument::name, "flute")
        .single()
        .await
        .unwrap();
    assert_eq!(
        flute,
        InstrumentWithSection {
            name: "flute".into(),
            id_text: "3".into(),
            orchestral_sections: Some(SectionName {
                title: "woodwinds".into()
            }),
        }
    );
}

#[tokio::test]
async fn inner_embedding_with_an_embedded_filter_drops_parents_without_matches() {
    let rows = anon()
        .await
        .from::<OrchestralSection>()
        .select_as::<SectionWithMatches>()
        .filter_embedded(instrument::name.eq("oboe"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "woodwinds");
    assert_eq!(rows[0].instruments.len(), 1);
    assert_eq!(rows[0].instruments[0].name, "oboe");
}

#[tokio::test]
async fn json_paths_read_into_fields() {
    let rows = anon()
        .await
        .from::<User>()
        .select_as::<UserCity>()
        .lte(user::id, 3)
        .order(user::id.asc())
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            UserCity {
                who: Some("Jane D".into()),
                city: Some("Beverly Hills".into())
            },
            UserCity {
                who: Some("Mike".into()),
                city: Some("Los Angeles".into())
            },
            UserCity {
                who: Some("S".into()),
                city: None
            },
        ]
    );
}
