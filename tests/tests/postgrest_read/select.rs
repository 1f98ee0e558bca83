//! "Fetch data: select()".

use serde_json::{Value, json};
use supabase_core::postgrest::{Count, Order};
use supabase_core::{Client, ClientOptions, acreate_client};
use supabase_tests::{anon, reference_stack, sorted_strings, unique_id};

#[tokio::test]
async fn getting_your_data() {
    let rows = anon()
        .await
        .table("planets")
        .select("*")
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows, "name"),
        ["Earth", "Jupiter", "Mars", "Mercury", "Tatooine"]
    );
    assert_eq!(rows[0].as_object().unwrap().len(), 3, "all columns: {rows}");
}

#[tokio::test]
async fn selecting_specific_columns() {
    let rows = anon()
        .await
        .table("planets")
        .select("name")
        .await
        .unwrap()
        .data;
    for row in rows.as_array().unwrap() {
        assert_eq!(
            row.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["name"]
        );
    }
}

#[tokio::test]
async fn query_referenced_tables() {
    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("name, instruments(name)")
        .eq("name", "strings")
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows[0]["instruments"], "name"),
        ["cello", "guqin", "viola", "violin"]
    );
}

#[tokio::test]
async fn query_referenced_tables_through_a_join_table() {
    let rows = anon()
        .await
        .table("users")
        .select("name, teams(name)")
        .eq("name", "Michael")
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows[0]["teams"], "name"),
        ["Team Magma", "Team Rocket"]
    );
}

#[tokio::test]
async fn query_the_same_referenced_table_multiple_times() {
    let rows = anon()
        .await
        .table("messages")
        .select("content,from:sender_id(name),to:receiver_id(name)")
        .eq("id", 1)
        .await
        .unwrap()
        .data;
    assert_eq!(
        rows,
        json!([{"content": "Hello, Michael", "from": {"name": "Jane"}, "to": {"name": "Michael"}}])
    );
}

#[tokio::test]
async fn filtering_through_referenced_tables() {
    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("name, instruments(*)")
        .eq("instruments.name", "guqin")
        .order("id", Order::asc())
        .await
        .unwrap()
        .data;
    // Every section comes back; only the guqin survives among the embedded instruments.
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert_eq!(rows[0]["instruments"][0]["name"], "guqin");
    assert_eq!(rows[1]["instruments"], json!([]));
}

#[tokio::test]
async fn querying_referenced_table_with_count() {
    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("*, instruments(count)")
        .eq("name", "strings")
        .await
        .unwrap()
        .data;
    assert_eq!(rows[0]["instruments"], json!([{"count": 4}]));
}

#[tokio::test]
async fn querying_with_count_option() {
    let resp = anon()
        .await
        .table("planets")
        .select("*")
        .count(Count::Exact)
        .await
        .unwrap();
    assert_eq!(resp.count, Some(5));
    assert_eq!(resp.data.as_array().unwrap().len(), 5);

    for count in [Count::Planned, Count::Estimated] {
        let resp = anon()
            .await
            .table("planets")
            .select("*")
            .count(count)
            .await
            .unwrap();
        assert!(resp.count.is_some(), "{count:?} gives a count");
    }
}

#[tokio::test]
async fn querying_json_data() {
    let rows = anon()
        .await
        .table("users")
        .select("id, name, address->city")
        .eq("id", 1)
        .await
        .unwrap()
        .data;
    assert_eq!(
        rows,
        json!([{"id": 1, "name": "Jane", "city": "Beverly Hills"}])
    );
}

#[tokio::test]
async fn querying_referenced_table_with_inner_join() {
    let rows = anon()
        .await
        .table("instruments")
        .select("name, orchestral_sections!inner(name)")
        .eq("orchestral_sections.name", "woodwinds")
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "name"), ["flute", "oboe"]);
}

#[tokio::test]
async fn switching_schemas_per_query() {
    let client = anon().await;
    let rows = client
        .schema("myschema")
        .table("mytable")
        .select("*")
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"id": 1, "name": "from myschema"}]));
    // The default schema is untouched for the next query.
    let err = client.table("mytable").select("*").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
}

/// `ClientOptions::schema`: the client's queries read and write that schema (PostgREST's
/// `Accept-Profile` / `Content-Profile`), and `Client::schema` still switches per query.
#[tokio::test]
async fn the_schema_option_sets_the_default_schema() {
    let stack = reference_stack().await;
    let client = Client::new(
        stack.url(),
        stack.anon_key(),
        ClientOptions::default().schema("myschema"),
    )
    .unwrap();
    let rows = client.table("mytable").select("*").await.unwrap().data;
    assert_eq!(rows, json!([{"id": 1, "name": "from myschema"}]));

    let id = unique_id();
    let inserted = client
        .table("mytable")
        .insert(json!({"id": id, "name": "written to myschema"}))
        .await
        .unwrap()
        .data;
    assert_eq!(inserted, json!([{"id": id, "name": "written to myschema"}]));
    let in_db = stack
        .query_json(&format!(
            "select name from myschema.mytable where id = {id}"
        ))
        .await
        .unwrap();
    assert_eq!(in_db, json!([{"name": "written to myschema"}]));
    client.table("mytable").delete().eq("id", id).await.unwrap();

    // `public` is not the default any more…
    let err = client.table("planets").select("*").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    // …but is one call away.
    let rows = client
        .schema("public")
        .table("planets")
        .select("name")
        .eq("id", 1)
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"name": "Mercury"}]));
}

/// The reference's realtime overview creates its client with `await acreate_client(url, key)`:
/// the same `Client` as `create_client`, which answers queries.
#[tokio::test]
async fn acreate_client_returns_a_working_client() {
    let stack = reference_stack().await;
    let client: Client = acreate_client(stack.url(), stack.anon_key()).await.unwrap();
    let rows = client
        .table("planets")
        .select("name")
        .eq("id", 3)
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"name": "Mars"}]));
    let err = acreate_client("not a url", "key").await.unwrap_err();
    assert!(matches!(err, supabase_core::Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn casts_and_aliases() {
    let rows: Value = anon()
        .await
        .table("planets")
        .select("planet:name, moons_text:moons::text")
        .eq("id", 3)
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"planet": "Mars", "moons_text": "2"}]));
}

#[tokio::test]
async fn typed_rows() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Planet {
        id: i64,
        name: String,
        moons: Option<i32>,
    }
    let planets = anon()
        .await
        .from_("planets")
        .select("*")
        .lte("id", 2)
        .order("id", Order::asc())
        .returns::<Vec<Planet>>()
        .await
        .unwrap()
        .data;
    assert_eq!(
        planets,
        [
            Planet {
                id: 1,
                name: "Mercury".into(),
                moons: Some(0)
            },
            Planet {
                id: 2,
                name: "Earth".into(),
                moons: Some(1)
            },
        ]
    );
}
