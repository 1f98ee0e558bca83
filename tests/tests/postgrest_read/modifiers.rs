//! "Using Modifiers": order, limit, range, single, maybe_single, csv, explain; count and head.

use serde_json::Value;
use supabase_core::Error;
use supabase_core::postgrest::{Count, Explain, ExplainFormat, Order};
use supabase_tests::{anon, sorted_strings};

fn names(rows: &Value) -> Vec<&str> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn order_desc() {
    let rows = anon()
        .await
        .table("planets")
        .select("*")
        .order("name", Order::desc())
        .await
        .unwrap()
        .data;
    assert_eq!(
        names(&rows),
        ["Tatooine", "Mercury", "Mars", "Jupiter", "Earth"]
    );
}

#[tokio::test]
async fn order_by_several_columns_and_nulls() {
    let rows = anon()
        .await
        .table("instruments")
        .select("name")
        .order("octave_range", Order::asc())
        .order("name", Order::desc().nulls_last())
        .await
        .unwrap()
        .data;
    assert_eq!(
        names(&rows),
        ["oboe", "viola", "flute", "violin", "guqin", "cello"]
    );
}

#[tokio::test]
async fn nulls_first_and_last_place_the_null_row() {
    // Saoirse's address is null; ascending order puts NULLs last unless asked otherwise.
    let client = anon().await;
    let ordered = |order: Order| {
        let client = client.clone();
        async move {
            let query = client
                .table("users")
                .select("name")
                .order("address->>city", order);
            let url = query.build().unwrap().url().to_string();
            let data = query.await.unwrap().data;
            (url, names(&data).join(","))
        }
    };
    let (url, first) = ordered(Order::asc().nulls_first()).await;
    assert!(
        url.contains("order=address-%3E%3Ecity.asc.nullsfirst"),
        "{url}"
    );
    assert_eq!(first, "Saoirse,Jane,Michael");
    let (url, last) = ordered(Order::asc().nulls_last()).await;
    assert!(url.contains(".asc.nullslast"), "{url}");
    assert_eq!(last, "Jane,Michael,Saoirse");
}

#[tokio::test]
async fn order_on_a_referenced_table() {
    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("name, instruments(name)")
        .eq("name", "strings")
        .order("name", Order::desc().referenced_table("instruments"))
        .await
        .unwrap()
        .data;
    assert_eq!(
        names(&rows[0]["instruments"]),
        ["violin", "viola", "guqin", "cello"]
    );
}

#[tokio::test]
async fn order_parent_by_a_referenced_table() {
    let rows = anon()
        .await
        .table("instruments")
        .select("name, section:orchestral_sections(name)")
        .order("section(name)", Order::asc())
        .order("name", Order::asc())
        .await
        .unwrap()
        .data;
    assert_eq!(
        names(&rows),
        ["cello", "guqin", "viola", "violin", "flute", "oboe"]
    );
}

#[tokio::test]
async fn limit_and_limit_on_a_referenced_table() {
    let rows = anon()
        .await
        .table("planets")
        .select("name")
        .limit(1)
        .await
        .unwrap()
        .data;
    assert_eq!(rows.as_array().unwrap().len(), 1);

    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("name, instruments(name)")
        .limit_referenced("instruments", 1)
        .await
        .unwrap()
        .data;
    let strings = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "strings")
        .unwrap();
    assert_eq!(strings["instruments"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn range_and_range_on_a_referenced_table() {
    let rows = anon()
        .await
        .table("planets")
        .select("name")
        .order("id", Order::asc())
        .range(0, 1)
        .await
        .unwrap()
        .data;
    assert_eq!(names(&rows), ["Mercury", "Earth"]);
    let rows = anon()
        .await
        .table("planets")
        .select("name")
        .order("id", Order::asc())
        .range(2, 3)
        .await
        .unwrap()
        .data;
    assert_eq!(names(&rows), ["Mars", "Jupiter"]);
    // To the end: 2^64 rows (it once overflowed computing the limit).
    let rows = anon()
        .await
        .table("planets")
        .select("name")
        .order("id", Order::asc())
        .range(0, u64::MAX)
        .await
        .unwrap()
        .data;
    assert_eq!(names(&rows)[..2], ["Mercury", "Earth"]);

    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("name, instruments(name)")
        .eq("name", "strings")
        .order("name", Order::asc().referenced_table("instruments"))
        .range_referenced("instruments", 0, 1)
        .await
        .unwrap()
        .data;
    assert_eq!(names(&rows[0]["instruments"]), ["cello", "guqin"]);
}

#[tokio::test]
async fn single_row() {
    let row = anon()
        .await
        .table("planets")
        .select("name")
        .limit(1)
        .single()
        .await
        .unwrap()
        .data;
    assert!(row.is_object(), "{row}");

    let err = anon()
        .await
        .table("planets")
        .select("name")
        .single()
        .await
        .unwrap_err();
    match err {
        Error::Postgrest(e) => {
            assert_eq!(e.status.as_u16(), 406);
            assert_eq!(e.code.as_deref(), Some("PGRST116"));
        }
        other => panic!("{other:?}"),
    }

    #[derive(serde::Deserialize)]
    struct Name {
        name: String,
    }
    let earth = anon()
        .await
        .table("planets")
        .select("name")
        .eq("id", 2)
        .single()
        .returns::<Name>()
        .await
        .unwrap()
        .data;
    assert_eq!(earth.name, "Earth");
}

#[tokio::test]
async fn maybe_single_row() {
    let row = anon()
        .await
        .table("planets")
        .select("*")
        .eq("name", "Earth")
        .maybe_single()
        .await
        .unwrap()
        .data;
    assert_eq!(row["id"], 2);
    let none = anon()
        .await
        .table("planets")
        .select("*")
        .eq("name", "Pluto")
        .maybe_single()
        .returns::<Option<Value>>()
        .await
        .unwrap()
        .data;
    assert_eq!(none, None);
    let err = anon()
        .await
        .table("planets")
        .select("*")
        .maybe_single()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Postgrest(ref e) if e.code.as_deref() == Some("PGRST116")),
        "{err:?}"
    );
}

#[tokio::test]
async fn csv() {
    let text = anon()
        .await
        .table("planets")
        .select("*")
        .order("id", Order::asc())
        .limit(2)
        .csv()
        .await
        .unwrap()
        .data;
    assert_eq!(text, "id,name,moons\n1,Mercury,0\n2,Earth,1");

    // No rows: PostgREST writes no header, only the line break, and that text is the data
    // (the client once took a blank body for JSON's `null`).
    let empty = anon()
        .await
        .table("planets")
        .select("*")
        .eq("name", "Vulcan")
        .csv()
        .await
        .unwrap()
        .data;
    assert_eq!(empty, "\n");
}

#[tokio::test]
async fn explain_the_plan() {
    let plan = anon()
        .await
        .table("planets")
        .select("*")
        .explain(Explain::new())
        .await
        .unwrap()
        .data;
    let plan = plan.as_str().expect("a text plan");
    assert!(plan.contains("Scan"), "{plan}");
    assert!(!plan.contains("actual time"), "{plan}");

    let plan = anon()
        .await
        .table("planets")
        .select("*")
        .explain(Explain::new().analyze().verbose())
        .await
        .unwrap()
        .data;
    let plan = plan.as_str().unwrap();
    assert!(plan.contains("actual time"), "analyze: {plan}");
    assert!(plan.contains("Output:"), "verbose: {plan}");

    let plan = anon()
        .await
        .table("planets")
        .select("*")
        .explain(Explain::new().format(ExplainFormat::Json))
        .await
        .unwrap()
        .data;
    assert!(plan[0]["Plan"]["Node Type"].is_string(), "{plan}");

    // The other options reach Postgres: each adds its part of the plan.
    let plan = anon()
        .await
        .table("planets")
        .select("*")
        .explain(
            Explain::new()
                .analyze()
                .buffers()
                .wal()
                .settings()
                .format(ExplainFormat::Json),
        )
        .await
        .unwrap()
        .data;
    let node = &plan[0]["Plan"];
    assert!(node["Shared Hit Blocks"].is_number(), "buffers: {plan}");
    assert!(node["WAL Records"].is_number(), "wal: {plan}");
    assert!(plan[0].get("Settings").is_some(), "settings: {plan}");
}

#[tokio::test]
async fn head_with_count() {
    let resp = anon()
        .await
        .table("planets")
        .select("*")
        .count(Count::Exact)
        .head()
        .await
        .unwrap();
    assert_eq!(resp.count, Some(5));
    assert_eq!(resp.data, ());
}

#[tokio::test]
async fn per_request_headers_and_timeouts_reach_the_server() {
    // PostgREST reads `Prefer: count=exact` from our header even without `.count()`.
    let resp = anon()
        .await
        .table("planets")
        .select("id")
        .header("Prefer", "count=exact")
        .await
        .unwrap();
    assert_eq!(resp.count, Some(5));
    let rows = anon()
        .await
        .table("countries")
        .select("name")
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows, "name"),
        ["Afghanistan", "Albania", "Algeria"]
    );
}

#[test]
fn per_request_secret_headers_stay_out_of_debug() {
    let client = supabase_core::create_client("http://127.0.0.1:1", "anon-key").unwrap();
    let query = client
        .table("planets")
        .select("id")
        .header("Authorization", "Bearer per-request-token")
        .header("apikey", "per-request-key")
        .header("x-trace", "visible-trace");
    let shown = format!("{query:?}");
    assert!(!shown.contains("per-request-token"), "{shown}");
    assert!(!shown.contains("per-request-key"), "{shown}");
    assert!(shown.contains("visible-trace"), "{shown}");
}
