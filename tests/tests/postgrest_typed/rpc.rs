//! Typed Postgres functions: `Rpc` types (as codegen emits them) called with `client.call`.

use serde::Serialize;
use supabase_core::prelude::*;
use supabase_tests::anon;

use super::{Planet, planet};

#[derive(Serialize)]
struct AddOneEach {
    arr: Vec<i32>,
}

impl Rpc for AddOneEach {
    const NAME: &'static str = "add_one_each";
    const SCHEMA: &'static str = "public";
    const READ_ONLY: bool = false;
    type Output = Vec<i32>;
}

#[derive(Serialize)]
struct ListStoredPlanets {}

impl Rpc for ListStoredPlanets {
    const NAME: &'static str = "list_stored_planets";
    const SCHEMA: &'static str = "public";
    const READ_ONLY: bool = false;
    type Output = Vec<Planet>;
}

impl RpcRows for ListStoredPlanets {
    type Row = Planet;
}

#[tokio::test]
async fn a_scalar_function_returns_its_output_type() {
    let client = anon().await;
    let out: Vec<i32> = client
        .call(AddOneEach { arr: vec![1, 2, 3] })
        .await
        .unwrap();
    assert_eq!(out, [2, 3, 4]);
    // The whole response, as typed table queries give it.
    let response = client
        .call(AddOneEach { arr: vec![5] })
        .execute()
        .await
        .unwrap();
    assert_eq!((response.status.as_u16(), response.data), (200, vec![6]));
}

#[tokio::test]
async fn a_set_returning_function_takes_typed_filters() {
    let rows = anon()
        .await
        .call_rows(ListStoredPlanets {})
        .gte(planet::moons, 2)
        .lte(planet::id, 5)
        .order(planet::name.asc())
        .await
        .unwrap();
    let names: Vec<_> = rows.iter().filter_map(|p| p.name.as_deref()).collect();
    assert_eq!(names, ["Jupiter", "Mars", "Tatooine"]);
}

#[derive(Serialize)]
struct Echo {
    say: String,
}

impl Rpc for Echo {
    const NAME: &'static str = "echo";
    const SCHEMA: &'static str = "public";
    const READ_ONLY: bool = false;
    type Output = String;
}

#[tokio::test]
async fn typed_calls_go_as_get_when_asked() {
    // The reference's `rpc(..., get=True)`, typed: arguments in the query string.
    let c = anon().await;
    let call = c
        .call(Echo {
            say: "hi there".into(),
        })
        .get();
    let built = call.build().unwrap();
    assert_eq!(built.method(), "GET");
    assert_eq!(built.path_and_query(), "/rest/v1/rpc/echo?say=hi there");
    assert_eq!(call.await.unwrap(), "hi there");

    let rows = c
        .call_rows(ListStoredPlanets {})
        .get()
        .gte(planet::moons, 2)
        .order(planet::name.asc());
    assert_eq!(rows.build().unwrap().method(), "GET");
    let rows = rows.await.unwrap();
    let names: Vec<_> = rows.iter().filter_map(|p| p.name.as_deref()).collect();
    assert_eq!(names, ["Jupiter", "Mars", "Tatooine"]);

    // A function call takes `max_affected`, as postgrest-js's `rpc` does.
    let limited = c.call_rows(ListStoredPlanets {}).max_affected(10);
    assert!(
        limited.build().unwrap().headers()["prefer"]
            .to_str()
            .unwrap()
            .contains("max-affected=10")
    );
}

/// `head()` on a typed function call sends `HEAD` (as postgrest-js's `rpc(.., {head: true})`):
/// PostgREST answers a function call's body whatever `return=` says, so a `POST` with
/// `return=minimal` came back with rows that `()` cannot hold.
#[tokio::test]
async fn head_on_a_function_call_counts_without_rows() {
    let query = anon()
        .await
        .call_rows(ListStoredPlanets {})
        .gte(planet::moons, 2)
        .count(Count::Exact)
        .head();
    assert_eq!(query.build().unwrap().method(), "HEAD");
    let resp = query.execute().await.unwrap();
    assert_eq!(resp.count, Some(3));
}
