//! Bad input: typed PostgREST errors, decode errors with paths, timeouts.

use std::time::Duration;

use serde_json::json;
use supabase_core::{Error, create_client};
use supabase_tests::{anon, reference_stack};

#[tokio::test]
async fn unknown_table_is_a_typed_error() {
    let err = anon()
        .await
        .table("no_such_table")
        .select("*")
        .await
        .unwrap_err();
    let Error::Postgrest(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status.as_u16(), 404);
    assert!(e.code.is_some(), "{e:?}");
    assert!(e.message.contains("no_such_table"), "{e:?}");
}

/// PGRST201 (HTTP 300) sends its candidate relationships as a JSON array in `details`: still a
/// decoded error, the array kept as JSON text (it was left undecoded, the raw body cut short).
#[tokio::test]
async fn an_ambiguous_embedding_is_decoded_with_its_candidates() {
    let err = anon()
        .await
        .table("messages")
        .select("content, users(name)")
        .await
        .unwrap_err();
    let Error::Postgrest(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status.as_u16(), 300);
    assert_eq!(e.code.as_deref(), Some("PGRST201"), "{e:?}");
    assert!(e.message.starts_with("Could not embed"), "{e:?}");
    let candidates: serde_json::Value =
        serde_json::from_str(e.details.as_deref().expect("details")).unwrap();
    assert_eq!(candidates.as_array().map(Vec::len), Some(2), "{candidates}");
    assert!(e.hint.is_some_and(|h| h.contains("sender_id")));
}

#[tokio::test]
async fn unknown_column_is_a_typed_error() {
    let err = anon()
        .await
        .table("planets")
        .select("nope")
        .await
        .unwrap_err();
    let Error::Postgrest(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status.as_u16(), 400);
    assert_eq!(e.code.as_deref(), Some("42703"), "{e:?}");

    let err = anon()
        .await
        .table("planets")
        .select("*")
        .eq("nope", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Postgrest(ref e) if e.code.as_deref() == Some("42703")),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_filter_syntax_is_a_typed_error() {
    let err = anon()
        .await
        .table("planets")
        .select("*")
        .filter("id", "nosuchop", "1")
        .await
        .unwrap_err();
    let Error::Postgrest(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status.as_u16(), 400);
    assert!(
        e.code.as_deref().unwrap_or_default().starts_with("PGRST"),
        "{e:?}"
    );
}

#[tokio::test]
async fn wrong_type_is_a_decode_error_naming_the_path() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        id: i64,
        name: i64,
    }
    let err = anon()
        .await
        .table("planets")
        .select("*")
        .returns::<Vec<Wrong>>()
        .await
        .unwrap_err();
    match err {
        Error::Decode { path, status, .. } => {
            assert_eq!(path, "[0].name");
            assert_eq!(status.as_u16(), 200);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_slow_request_times_out_with_a_typed_error() {
    let err = anon()
        .await
        .rpc("sleep_for", json!({"seconds": 2}))
        .timeout(Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_refused_connection_is_a_typed_error() {
    let client = create_client("http://127.0.0.1:1", "key").unwrap();
    let err = client.table("planets").select("*").await.unwrap_err();
    assert!(matches!(err, Error::Http(_)), "{err:?}");
}

#[tokio::test]
async fn the_gateway_rejects_a_wrong_key() {
    let stack = reference_stack().await;
    let client = create_client(stack.url(), "not-the-key").unwrap();
    let err = client.table("planets").select("*").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
}
