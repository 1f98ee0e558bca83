//! The blocking facade: the same queries without async.

use serde_json::json;
use supabase_core::postgrest::{Count, Order};
use supabase_core::{Error, blocking};
use supabase_tests::reference_stack;

fn stack_url_and_key() -> (String, String) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stack = rt.block_on(reference_stack());
    (stack.url(), stack.anon_key().to_owned())
}

#[test]
fn blocking_queries_filters_and_rpc() {
    let (url, key) = stack_url_and_key();
    let client = blocking::create_client(url, key).unwrap();

    let resp = client
        .from_("planets")
        .select("name")
        .lte("id", 2)
        .order("id", Order::asc())
        .count(Count::Exact)
        .execute()
        .unwrap();
    assert_eq!(resp.data, json!([{"name": "Mercury"}, {"name": "Earth"}]));
    assert_eq!(resp.count, Some(2));

    let hello = client.rpc("hello_world", ()).execute().unwrap().data;
    assert_eq!(hello, json!("Hello world"));

    let mine = client
        .schema("myschema")
        .from_("mytable")
        .select("name")
        .single()
        .execute();
    assert_eq!(mine.unwrap().data, json!({"name": "from myschema"}));

    let err = client
        .from_("no_such_table")
        .select("*")
        .execute()
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

#[derive(supabase_core::Table, Debug, PartialEq, serde::Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
    moons: Option<i32>,
}

/// A table outside `public`: the typed query goes to its own schema.
#[derive(supabase_core::Table, Debug, PartialEq, serde::Deserialize)]
#[supabase(table = "mytable", schema = "myschema")]
struct MyTable {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(serde::Serialize)]
struct HelloWorld {}

impl supabase_core::Rpc for HelloWorld {
    const NAME: &'static str = "hello_world";
    const SCHEMA: &'static str = "public";
    const READ_ONLY: bool = true;
    type Output = Option<String>;
}

#[derive(serde::Serialize)]
struct ListStoredPlanets {}

impl supabase_core::Rpc for ListStoredPlanets {
    const NAME: &'static str = "list_stored_planets";
    const SCHEMA: &'static str = "public";
    const READ_ONLY: bool = false;
    type Output = Vec<Planet>;
}

impl supabase_core::RpcRows for ListStoredPlanets {
    type Row = Planet;
}

/// The typed entry points of the async client, blocking: `from::<T>()` in `T`'s own schema,
/// `call` and `call_rows`.
#[test]
fn blocking_typed_queries_and_calls() {
    use supabase_core::prelude::*;
    let (url, key) = stack_url_and_key();
    let client = blocking::create_client(url, key).unwrap();
    let rows = client
        .from::<Planet>()
        .select()
        .filter(planet::id.lte(2))
        .order(planet::id.asc())
        .execute()
        .unwrap()
        .data;
    assert_eq!(
        rows.iter().map(|p| p.name.as_deref()).collect::<Vec<_>>(),
        [Some("Mercury"), Some("Earth")]
    );
    let mine = client.from::<MyTable>().select().execute().unwrap().data;
    assert_eq!(
        mine,
        [MyTable {
            id: 1,
            name: "from myschema".into()
        }]
    );
    let hello = client.call(HelloWorld {}).execute().unwrap().data;
    assert_eq!(hello.as_deref(), Some("Hello world"));
    let moons = client
        .call_rows(ListStoredPlanets {})
        .filter(planet::moons.gte(3))
        .order(planet::id.asc())
        .execute()
        .unwrap()
        .data;
    assert_eq!(moons.iter().map(|p| p.id).collect::<Vec<_>>(), [4, 5]);
}

#[tokio::test]
async fn blocking_inside_a_runtime_is_an_error_not_a_panic() {
    let stack = reference_stack().await;
    let client = tokio::task::spawn_blocking({
        let (url, key) = (stack.url(), stack.anon_key().to_owned());
        move || blocking::create_client(url, key).unwrap()
    })
    .await
    .unwrap();
    let err = client.from_("planets").select("*").execute().unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    // Dropping a runtime inside another one panics: hand the client back to a blocking thread.
    tokio::task::spawn_blocking(move || drop(client))
        .await
        .unwrap();
}
