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
