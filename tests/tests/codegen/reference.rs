//! The module generated from the reference schema (`tests/fixtures/reference`, the schema of the
//! PostgREST integration tests) is compiled into this test binary (`reference_generated.rs`),
//! must equal what supabase-codegen generates from the live schema now, and drives typed queries
//! against the stack.
//!
//! Regenerate the file with `SUPABASE_CODEGEN_BLESS=1 cargo test -p supabase-tests --test codegen`.

use std::path::PathBuf;

use supabase_codegen::{Config, check, source};
use supabase_core::create_client;
use supabase_core::prelude::*;
use supabase_tests::reference_stack;

use crate::generated::myschema::Mytable;
use crate::generated::public::{
    AddOneEach, Echo, Instruments, Issues, ListStoredPlanets, Messages, OrchestralSections,
    Planets, Reservations, Teams, Users, instruments, issues, messages, orchestral_sections,
    planets, teams, users,
};
use supabase_core::{Rpc, RpcRows};

/// The configuration the checked-in file was generated with.
pub(crate) fn reference_config() -> Config {
    Config::from_toml(
        r#"
        schemas = ["public", "myschema"]
        chrono = true
        "#,
    )
    .expect("config")
}

fn generated_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/codegen/reference_generated.rs")
}

#[tokio::test]
async fn generated_reference_module_is_current() {
    let stack = reference_stack().await;
    let config = reference_config();
    let ir = source::postgres::introspect(&stack.db_url(), &config.schemas)
        .await
        .expect("introspect");
    let code = supabase_codegen::generate(&ir, &config);
    let path = generated_path();
    if std::env::var_os("SUPABASE_CODEGEN_BLESS").is_some() {
        std::fs::write(&path, &code).expect("write");
        return;
    }
    let on_disk = std::fs::read_to_string(&path).expect("read reference_generated.rs");
    if let Some(diff) = check::diff("reference_generated.rs", &on_disk, &code) {
        panic!(
            "reference_generated.rs is stale (SUPABASE_CODEGEN_BLESS=1 regenerates it):\n{diff}"
        );
    }
}

#[tokio::test]
async fn generated_structs_run_typed_queries() {
    let stack = reference_stack().await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");

    let rows: Vec<Planets> = client
        .from::<Planets>()
        .select()
        .gte(planets::moons, 1)
        .order(planets::id.asc())
        .await
        .expect("typed select");
    let names: Vec<Option<String>> = rows.iter().map(|p| p.name.clone()).collect();
    let expected = stack
        .query_json(
            "select coalesce(json_agg(name order by id), '[]') as names from planets where moons >= 1",
        )
        .await
        .expect("sql");
    assert_eq!(
        serde_json::to_value(&names).expect("json"),
        expected[0]["names"]
    );
    assert!(names.contains(&Some("Earth".to_owned())), "{names:?}");

    // Defaulted array column, and a column with a Rust keyword-free name.
    let issue: Issues = client
        .from::<Issues>()
        .select()
        .eq(issues::id, 1)
        .single()
        .await
        .expect("issue");
    assert!(
        issue.tags.contains(&"severity:high".to_owned()),
        "{issue:?}"
    );

    // A range column through the range stand-in, a table in another schema.
    let reservations: Vec<Reservations> = client
        .from::<Reservations>()
        .select()
        .await
        .expect("ranges");
    assert!(!reservations.is_empty());
    assert!(
        reservations
            .iter()
            .all(|r| matches!(r.during, supabase_core::types::Range::Bounded(..))),
        "{reservations:?}"
    );
    let _: Vec<Mytable> = client.from::<Mytable>().select().await.expect("myschema");
}

#[tokio::test]
async fn generated_rpc_types_call_functions() {
    let stack = reference_stack().await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");

    let out = client
        .call(AddOneEach { arr: vec![1, 2, 3] })
        .await
        .expect("rpc");
    assert_eq!(out, Some(vec![2, 3, 4]));
    let out = client
        .call(Echo {
            say: "hi".to_owned(),
        })
        .await
        .expect("rpc");
    assert_eq!(out.as_deref(), Some("hi"));
    // SETOF planets: the rows are the table's, and its typed filters apply.
    let rows: Vec<Planets> = client
        .call_rows(ListStoredPlanets {})
        .eq(planets::name, "Mars")
        .await
        .expect("rpc rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].moons, Some(2));
    fn rows_of<F: RpcRows<Row = Planets>>() {}
    rows_of::<ListStoredPlanets>();
    // The reference declares no volatility, so Postgres's default, VOLATILE: POST only.
    assert!(!AddOneEach::READ_ONLY && AddOneEach::SCHEMA == "public");
}

/// Projections over the generated relations: one-to-many, many-to-one, many-to-many.
#[derive(supabase_core::Select, Debug, serde::Deserialize)]
#[supabase(from = OrchestralSections)]
struct SectionWithInstruments {
    name: String,
    #[supabase(embed)]
    instruments: Vec<Instruments>,
}

#[derive(supabase_core::Select, Debug, serde::Deserialize)]
#[supabase(from = Instruments)]
struct InstrumentWithSection {
    name: String,
    #[supabase(embed)]
    orchestral_sections: Option<OrchestralSections>,
}

#[derive(supabase_core::Select, Debug, serde::Deserialize)]
#[supabase(from = Teams)]
struct TeamWithUsers {
    name: String,
    #[supabase(embed)]
    users: Vec<Users>,
}

#[tokio::test]
async fn generated_relations_embed() {
    let stack = reference_stack().await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");
    let sections: Vec<SectionWithInstruments> = client
        .from::<OrchestralSections>()
        .select_as::<SectionWithInstruments>()
        .eq(orchestral_sections::name, "strings")
        .await
        .expect("one-to-many");
    assert_eq!(sections[0].name, "strings");
    let mut names: Vec<&str> = sections[0]
        .instruments
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["cello", "guqin", "viola", "violin"]);

    let flute: InstrumentWithSection = client
        .from::<Instruments>()
        .select_as::<InstrumentWithSection>()
        .eq(instruments::name, "flute")
        .single()
        .await
        .expect("many-to-one");
    assert_eq!(flute.name, "flute");
    assert_eq!(
        flute.orchestral_sections.map(|s| s.name).as_deref(),
        Some("woodwinds")
    );

    let rocket: TeamWithUsers = client
        .from::<Teams>()
        .select_as::<TeamWithUsers>()
        .eq(teams::id, 1)
        .single()
        .await
        .expect("many-to-many");
    let mut members: Vec<i64> = rocket.users.iter().map(|u| u.id).collect();
    members.sort_unstable();
    assert_eq!((rocket.name.as_str(), members), ("Team Rocket", vec![1, 2]));
}

/// Two foreign keys from `messages` to `users`: codegen names both relations (`sender`,
/// `receiver` on `Messages`; `messages_by_sender`, `messages_by_receiver` on `Users`).
#[derive(supabase_core::Select, Debug, PartialEq, serde::Deserialize)]
#[supabase(from = Messages)]
struct MessageWithPeople {
    content: String,
    #[supabase(embed, via = sender)]
    sender: UserName,
    #[supabase(embed, via = receiver)]
    receiver: UserName,
}

#[derive(supabase_core::Select, Debug, PartialEq, serde::Deserialize)]
#[supabase(from = Users)]
struct UserName {
    name: Option<String>,
}

#[derive(supabase_core::Select, Debug, PartialEq, serde::Deserialize)]
#[supabase(from = Users)]
struct UserMessageCounts {
    id: i64,
    #[supabase(count = Messages, via = messages_by_sender)]
    sent: EmbeddedCount,
    #[supabase(count = Messages, via = messages_by_receiver)]
    received: EmbeddedCount,
    #[supabase(count = Teams)]
    teams: EmbeddedCount,
}

#[tokio::test]
async fn generated_named_relations_embed_and_count() {
    let stack = reference_stack().await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");
    let rows = client
        .from::<Messages>()
        .select_as::<MessageWithPeople>()
        .order(messages::id.asc())
        .await
        .expect("both foreign keys embed");
    let people: Vec<(&str, Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|m| {
            (
                m.content.as_str(),
                m.sender.name.as_deref(),
                m.receiver.name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        people,
        [
            ("Hello, Michael", Some("Jane"), Some("Michael")),
            ("Hi Jane", Some("Michael"), Some("Jane")),
        ]
    );
    let counts = client
        .from::<Users>()
        .select_as::<UserMessageCounts>()
        .order(users::id.asc())
        .await
        .expect("counts through named relations");
    let counts: Vec<(i64, i64, i64, i64)> = counts
        .iter()
        .map(|u| (u.id, u.sent.get(), u.received.get(), u.teams.get()))
        .collect();
    assert_eq!(counts, [(1, 1, 1, 1), (2, 1, 1, 2), (3, 0, 0, 0)]);
}
