//! "Postgres functions: rpc()".

use serde_json::json;
use supabase_core::postgrest::Count;
use supabase_tests::anon;

#[tokio::test]
async fn call_a_function_without_arguments() {
    let data = anon().await.rpc("hello_world", ()).await.unwrap().data;
    assert_eq!(data, json!("Hello world"));
}

#[tokio::test]
async fn call_a_function_with_arguments() {
    let data = anon()
        .await
        .rpc("echo", json!({ "say": "👋" }))
        .await
        .unwrap()
        .data;
    assert_eq!(data, json!("👋"));
}

#[tokio::test]
async fn bulk_processing() {
    let data = anon()
        .await
        .rpc("add_one_each", json!({"arr": [1, 2, 3]}))
        .await
        .unwrap()
        .data;
    assert_eq!(data, json!([2, 3, 4]));
}

#[tokio::test]
async fn call_a_function_with_filters() {
    let data = anon()
        .await
        .rpc("list_stored_planets", ())
        .eq("id", 1)
        .single()
        .await
        .unwrap()
        .data;
    assert_eq!(data, json!({"id": 1, "name": "Mercury", "moons": 0}));
}

#[tokio::test]
async fn call_a_read_only_function() {
    let client = anon().await;
    let builder = client.rpc("hello_world", ()).get();
    assert_eq!(builder.build().unwrap().method(), "GET");
    assert_eq!(builder.await.unwrap().data, json!("Hello world"));

    // Arguments of a GET call travel in the query string, quoted like any value.
    let builder = client.rpc("echo", json!({"say": "a&b=c, (d)"})).get();
    assert_eq!(builder.build().unwrap().body(), None);
    assert_eq!(builder.await.unwrap().data, json!("a&b=c, (d)"));
    let data = client
        .rpc("add_one_each", json!({"arr": [1, 2]}))
        .get()
        .await
        .unwrap()
        .data;
    assert_eq!(data, json!([2, 3]));
}

#[tokio::test]
async fn head_and_count_on_a_set_returning_function() {
    let resp = anon()
        .await
        .rpc("list_stored_planets", ())
        .count(Count::Exact)
        .head()
        .await
        .unwrap();
    assert_eq!(resp.count, Some(5));
    let resp = anon()
        .await
        .rpc("list_stored_planets", ())
        .gt("moons", 1)
        .count(Count::Exact)
        .await
        .unwrap();
    assert_eq!(resp.count, Some(3));
}

/// A query string has no SQL NULL (`say=null` is the text 'null'), so a null argument of a
/// `GET` call is left out: here `echo` has no default, and PostgREST says so, where it used to
/// answer "null".
#[tokio::test]
async fn a_null_argument_of_a_get_call_is_left_out() {
    let builder = anon().await.rpc("echo", json!({"say": null})).get();
    assert!(
        !builder.build().unwrap().path_and_query().contains("say"),
        "{}",
        builder.build().unwrap().path_and_query()
    );
    let err = builder.await.unwrap_err();
    assert!(
        matches!(&err, supabase_core::Error::Postgrest(e) if e.code.as_deref() == Some("PGRST202")),
        "{err:?}"
    );
}
