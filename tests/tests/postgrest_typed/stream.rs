//! Streaming reads: rows arrive one by one, decoded as the body streams in.

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use supabase_core::prelude::*;
use supabase_tests::anon;

use super::{Planet, planet};

#[derive(Debug, Deserialize)]
struct SeriesRow {
    id: i32,
    label: String,
}

#[tokio::test]
async fn a_typed_select_streams_its_rows_in_order() {
    let rows: Vec<Planet> = anon()
        .await
        .from::<Planet>()
        .select()
        .lte(planet::id, 5)
        .order(planet::id.asc())
        .stream()
        .map(Result::unwrap)
        .collect()
        .await;
    let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn a_large_result_streams_every_row() {
    // Supabase caps a response at `max_rows` (1000 by default); lift it for this stack.
    let stack = supabase_local::Stack::builder()
        .project_dir(supabase_tests::fixture("reference"))
        .max_rows(None)
        .start()
        .await
        .unwrap();
    let client = create_client(stack.url(), stack.anon_key()).unwrap();
    const N: i32 = 200_000;
    let mut stream = std::pin::pin!(
        client
            .rpc("series", json!({ "n": N }))
            .returns::<Vec<SeriesRow>>()
            .stream()
    );
    let mut expected = 1;
    while let Some(row) = stream.next().await {
        let row = row.unwrap();
        assert_eq!(row.id, expected);
        assert_eq!(row.label, format!("row {expected}"));
        expected += 1;
    }
    assert_eq!(expected, N + 1);
}

#[tokio::test]
async fn errors_end_the_stream_typed() {
    let mut stream = std::pin::pin!(
        anon()
            .await
            .table("no_such_table")
            .select("*")
            .returns::<Vec<serde_json::Value>>()
            .stream()
    );
    let first = stream.next().await.unwrap().unwrap_err();
    assert_eq!(first.status().map(|s| s.as_u16()), Some(404));
    assert!(stream.next().await.is_none());

    // A row that does not fit the type is a decode error naming its index.
    #[derive(Debug, Deserialize)]
    struct NeedsName {
        #[allow(dead_code)]
        name: String,
    }
    let mut stream = std::pin::pin!(
        anon()
            .await
            .rpc("series", json!({ "n": 3 }))
            .returns::<Vec<NeedsName>>()
            .stream()
    );
    match stream.next().await.unwrap() {
        Err(supabase_core::Error::Decode { path, .. }) => assert_eq!(path, "[0]"),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn responses_are_capped_at_max_rows_like_supabase() {
    let rows = anon()
        .await
        .rpc("series", json!({ "n": 1500 }))
        .returns::<Vec<SeriesRow>>()
        .await
        .unwrap()
        .data;
    assert_eq!(rows.len(), 1000);
}
