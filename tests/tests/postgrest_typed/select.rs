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
#[supabase(
    table = "users",
    has_many(Message, foreign_key = "messages_sender_id_fkey", name = sent),
    has_many(Message, foreign_key = "messages_receiver_id_fkey", name = received),
    many_to_many(Team, through = "members")
)]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
    handle: Option<String>,
    #[serde(rename = "display_name")]
    display: Option<String>,
    address: Option<serde_json::Value>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(
    table = "messages",
    belongs_to(User, foreign_key = "sender_id", name = sender),
    belongs_to(User, foreign_key = "receiver_id", name = receiver)
)]
struct Message {
    #[supabase(primary_key)]
    id: i64,
    content: String,
    sender_id: i64,
    receiver_id: i64,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "teams", many_to_many(User, through = "members"))]
struct Team {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionSize {
    name: String,
    #[supabase(count = Instrument)]
    instruments: EmbeddedCount,
    #[supabase(count = Instrument)]
    #[serde(rename = "n")]
    instrument_count: EmbeddedCount,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = User)]
struct UserName {
    name: Option<String>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Message)]
struct MessageWithPeople {
    content: String,
    #[supabase(embed, via = sender)]
    sender: UserName,
    #[supabase(embed, via = receiver)]
    receiver: Option<UserName>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = User)]
struct UserActivity {
    name: Option<String>,
    #[supabase(count = Message, via = sent)]
    sent: EmbeddedCount,
    #[supabase(embed, via = received)]
    received: Vec<MessageText>,
    #[supabase(count = Team)]
    teams: EmbeddedCount,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Message)]
struct MessageText {
    content: String,
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

/// A cast whose type name holds a space.
#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Instrument)]
struct OctavesAsFloat {
    name: String,
    #[supabase(column = octave_range, cast = "double precision")]
    octaves: f64,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionWithMatches {
    name: String,
    #[supabase(embed, inner)]
    instruments: Vec<Instrument>,
}

/// Embedded before plain columns: PostgREST still writes `name` and `id` first.
#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct InstrumentsThenName {
    #[supabase(embed)]
    instruments: Vec<InstrumentName>,
    #[supabase(count = Instrument)]
    #[serde(rename = "n")]
    count: EmbeddedCount,
    name: String,
    id: i64,
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
    assert_eq!(
        SectionSize::select(),
        "name,instruments(count),n:instruments(count)"
    );
    assert_eq!(
        MessageWithPeople::select(),
        "content,sender:users!sender_id(name),receiver:users!receiver_id(name)"
    );
    assert_eq!(
        UserActivity::select(),
        "name,sent:messages!messages_sender_id_fkey(count),\
         received:messages!messages_receiver_id_fkey(content),teams!members(count)"
    );
}

/// `S`'s page as the real PostgREST writes it, decoded by the decoder `#[derive(Select)]`
/// generates: it must read the whole page, into the rows serde_json gives. Returns how many
/// rows the page had.
async fn decoded_as_serde_json_does<S: Select + std::fmt::Debug>() -> usize {
    let page: Box<serde_json::value::RawValue> = anon()
        .await
        .table(<S::From as Table>::NAME)
        .select(S::select())
        .returns()
        .await
        .unwrap()
        .data;
    let text = page.get();
    let decoded = S::decode_page(text, None)
        .unwrap_or_else(|| panic!("the decoder of {} reads the page {text}", S::select()));
    let by_serde: Vec<S> = serde_json::from_str(text).unwrap();
    assert_eq!(format!("{decoded:?}"), format!("{by_serde:?}"));
    decoded.len()
}

#[tokio::test]
async fn the_derived_decoder_reads_projection_pages_as_serde_json_does() {
    // Plain columns (renamed, cast, JSON paths) come first in each row, then embedded rows and
    // counts, whatever the order of the fields.
    for rows in [
        decoded_as_serde_json_does::<InstrumentWithSection>().await,
        decoded_as_serde_json_does::<SectionSize>().await,
        decoded_as_serde_json_does::<SectionWithInstruments>().await,
        decoded_as_serde_json_does::<SectionWithMatches>().await,
        decoded_as_serde_json_does::<MessageWithPeople>().await,
        decoded_as_serde_json_does::<UserActivity>().await,
        decoded_as_serde_json_does::<UserCity>().await,
        decoded_as_serde_json_does::<InstrumentsThenName>().await,
    ] {
        assert!(rows > 0);
    }
}

#[tokio::test]
async fn embedded_counts_count_related_rows() {
    let rows = anon()
        .await
        .from::<OrchestralSection>()
        .select_as::<SectionSize>()
        .order(orchestral_section::id.asc())
        .await
        .unwrap();
    let counts: Vec<(&str, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.name.as_str(),
                r.instruments.get(),
                i64::from(r.instrument_count),
            )
        })
        .collect();
    assert_eq!(
        counts,
        [("strings", 4, 4), ("woodwinds", 2, 2), ("percussion", 0, 0)]
    );
}

#[tokio::test]
async fn embedded_filters_restrict_what_is_counted() {
    let strings = anon()
        .await
        .from::<OrchestralSection>()
        .select_as::<SectionSize>()
        .eq(orchestral_section::name, "strings")
        .filter_embedded(instrument::name.like("v%"))
        .single()
        .await
        .unwrap();
    // violin and viola: the filter addresses the embedding keyed `instruments`; the one
    // aliased `n` still counts all four.
    assert_eq!(strings.instruments, 2);
    assert_eq!(strings.instrument_count, 4);
}

#[tokio::test]
async fn named_relations_embed_the_same_table_twice() {
    let rows = anon()
        .await
        .from::<Message>()
        .select_as::<MessageWithPeople>()
        .order(message::id.asc())
        .await
        .unwrap();
    let jane = || UserName {
        name: Some("Jane".into()),
    };
    let michael = || UserName {
        name: Some("Michael".into()),
    };
    assert_eq!(
        rows,
        [
            MessageWithPeople {
                content: "Hello, Michael".into(),
                sender: jane(),
                receiver: Some(michael()),
            },
            MessageWithPeople {
                content: "Hi Jane".into(),
                sender: michael(),
                receiver: Some(jane()),
            },
        ]
    );
}

#[tokio::test]
async fn named_relations_count_and_filter_through_their_name() {
    let rows = anon()
        .await
        .from::<User>()
        .select_as::<UserActivity>()
        .filter_embedded_via(user::received, message::content.like("Hi%"))
        .order(user::id.asc())
        .await
        .unwrap();
    let summary: Vec<(Option<&str>, i64, Vec<&str>, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.name.as_deref(),
                r.sent.get(),
                r.received.iter().map(|m| m.content.as_str()).collect(),
                r.teams.get(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Some("Jane"), 1, vec!["Hi Jane"], 1),
            (Some("Michael"), 1, vec![], 2),
            (Some("Saoirse"), 0, vec![], 0),
        ]
    );
}

#[tokio::test]
async fn a_filter_through_a_named_to_one_relation_empties_non_matching_embeds() {
    // `receiver.name=eq.Jane` keeps every message but embeds the receiver only where it matches.
    let rows = anon()
        .await
        .from::<Message>()
        .select_as::<MessageWithPeople>()
        .filter_embedded_via(message::receiver, user::name.eq("Jane"))
        .order(message::id.asc())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].receiver, None);
    assert_eq!(
        rows[1].receiver,
        Some(UserName {
            name: Some("Jane".into())
        })
    );
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

/// A cast is sent as written: PostgREST takes `double precision` (whitespace is stripped only
/// from hand-written select strings, as supabase-js does).
#[tokio::test]
async fn a_cast_keeps_the_space_in_its_type_name() {
    let c = anon().await;
    let query = || {
        c.from::<Instrument>()
            .select_as::<OctavesAsFloat>()
            .eq(instrument::name, "violin")
    };
    let built = query().build().unwrap();
    assert!(
        built
            .path_and_query()
            .contains("octaves:octave_range::double precision"),
        "{}",
        built.path_and_query()
    );
    assert_eq!(
        query().single().await.unwrap(),
        OctavesAsFloat {
            name: "violin".into(),
            octaves: 4.0
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

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionPlainName {
    name: String,
}

/// PostgREST orders by a column of the embedding as selected there: `name`, not aliased.
#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentAndSection {
    name: String,
    #[supabase(embed)]
    orchestral_sections: Option<SectionPlainName>,
}

#[tokio::test]
async fn embedded_ranges_and_parents_ordered_by_a_related_column() {
    let c = anon().await;
    // The reference's `range(1, 2, foreign_table="instruments")`, after ordering them.
    let rows = c
        .from::<OrchestralSection>()
        .select_as::<SectionWithInstruments>()
        .eq(orchestral_section::name, "strings")
        .order_embedded(instrument::name.asc())
        .range_embedded::<Instrument>(1, 2)
        .await
        .unwrap();
    let names: Vec<&str> = rows[0]
        .instruments
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["guqin", "viola"]);

    // The reference's `.order("section(name)")`: woodwinds before strings, then by name.
    let rows = c
        .from::<Instrument>()
        .select_as::<InstrumentAndSection>()
        .order_by_related(orchestral_section::name.desc())
        .order(instrument::name.asc())
        .await
        .unwrap();
    let names: Vec<&str> = rows.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        names,
        ["flute", "oboe", "cello", "guqin", "viola", "violin"]
    );

    // Through a named relation: messages by their sender's name, Michael's first.
    let rows = c
        .from::<Message>()
        .select_as::<MessageWithPeople>()
        .order_by_related_via(message::sender, user::name.desc())
        .await
        .unwrap();
    let contents: Vec<&str> = rows.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["Hi Jane", "Hello, Michael"]);
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = Message)]
struct MessageFromTo {
    content: String,
    #[supabase(embed, via = sender)]
    from: UserName,
    #[supabase(embed, via = receiver)]
    #[serde(rename = "to")]
    recipient: Option<UserName>,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = OrchestralSection)]
struct SectionMembers {
    name: String,
    #[supabase(embed)]
    members: Vec<InstrumentName>,
    #[supabase(count = Instrument)]
    size: EmbeddedCount,
}

/// An embedding is aliased by its field's (wire) name, and PostgREST knows an aliased embedding
/// by its alias only: embedded filters, order and limits address the field's name, whatever
/// the relation or table is called (they used the relation's name: PGRST108 "not an embedded
/// resource in this request", found by a user trial).
#[tokio::test]
async fn embedded_filters_and_order_address_the_fields_name() {
    let c = anon().await;
    let jane = || UserName {
        name: Some("Jane".into()),
    };
    let michael = || UserName {
        name: Some("Michael".into()),
    };
    let rows = c
        .from::<Message>()
        .select_as::<MessageFromTo>()
        .filter_embedded_via(message::receiver, user::name.eq("Jane"))
        .order_by_related_via(message::sender, user::name.desc())
        .await
        .unwrap();
    // Sender Michael (desc), then Jane; only Jane kept as a recipient.
    assert_eq!(
        rows,
        [
            MessageFromTo {
                content: "Hi Jane".into(),
                from: michael(),
                recipient: Some(jane()),
            },
            MessageFromTo {
                content: "Hello, Michael".into(),
                from: jane(),
                recipient: None,
            },
        ]
    );

    let rows = c
        .from::<OrchestralSection>()
        .select_as::<SectionMembers>()
        .eq(orchestral_section::name, "strings")
        .filter_embedded(instrument::name.neq("violin"))
        .order_embedded(instrument::name.desc())
        .limit_embedded::<Instrument>(2)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let names: Vec<&str> = rows[0].members.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["viola", "guqin"]);
    assert_eq!(
        rows[0].size.get(),
        4,
        "the count is its own embedding, unfiltered"
    );
}
