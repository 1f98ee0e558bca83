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
    AddOneEach, Echo, Issues, ListStoredPlanets, Planets, Reservations, issues, planets,
};
use crate::shim::{Rpc, RpcRows};

/// The configuration the checked-in file was generated with.
pub(crate) fn reference_config() -> Config {
    Config::from_toml(
        r#"
        schemas = ["public", "myschema"]
        # supabase-core does not have Rpc and types yet: see shim.rs.
        core_path = "crate::shim"
        # derive(Table) does not accept relation attributes yet.
        relations = false
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
    assert!(
        reservations
            .iter()
            .all(|r| r.during.0.starts_with('[') || r.during.0.starts_with('('))
    );
    let _: Vec<Mytable> = client.from::<Mytable>().select().await.expect("myschema");
}

#[tokio::test]
async fn generated_rpc_types_call_functions() {
    let stack = reference_stack().await;
    let client = create_client(stack.url(), stack.anon_key()).expect("client");

    async fn call<F: Rpc + Send + 'static>(client: &supabase_core::Client, args: F) -> F::Output
    where
        F::Output: Send + 'static,
    {
        client
            .rpc(F::NAME, args)
            .returns::<F::Output>()
            .await
            .expect("rpc")
            .data
    }
    assert_eq!(
        call(&client, AddOneEach { arr: vec![1, 2, 3] }).await,
        vec![2, 3, 4]
    );
    assert_eq!(
        call(
            &client,
            Echo {
                say: "hi".to_owned()
            }
        )
        .await,
        "hi"
    );
    let planets = call(&client, ListStoredPlanets {}).await;
    assert!(planets.iter().any(|p| p.name.as_deref() == Some("Mars")));
    // SETOF planets: the typed rows are the table's.
    fn rows_of<F: RpcRows<Row = Planets>>() {}
    rows_of::<ListStoredPlanets>();
    // The reference declares no volatility, so Postgres's default, VOLATILE: POST only.
    assert!(!AddOneEach::READ_ONLY && AddOneEach::SCHEMA == "public");
}
