//! Property test: any string survives `eq`, `in_`, `or_where`, `like` and `contains` through the
//! real PostgREST — the value encoder never lets a value change the meaning of a filter.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::json;
use supabase_core::Client;
use supabase_core::postgrest::{Condition, Op};
use supabase_tests::{anon, unique_id};

/// Strings heavy in PostgREST's and URL's reserved characters, plus any Unicode (no NUL, which
/// Postgres text cannot hold).
fn nasty_string() -> impl Strategy<Value = String> {
    let reserved = prop::sample::select(vec![
        ",", ".", ":", "(", ")", "\"", "\\", "*", "%", "_", "'", " ", "{", "}", "[", "]", "&", "=",
        "+", "#", "?", "/", "not.", "eq.", "or(", "null", "\n", "\t", "é", "👋", "%20",
    ]);
    let piece = prop_oneof![reserved.prop_map(str::to_owned), "[^\u{0}]{0,3}",];
    prop::collection::vec(piece, 0..8).prop_map(|v| v.concat())
}

/// Escapes LIKE's wildcards so the pattern matches the string literally.
fn like_literal(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

async fn check(client: &Client, value: &str) -> Result<(), TestCaseError> {
    let id = unique_id();
    let inserted = client
        .table("probe")
        .insert(json!({"id": id, "t": value, "tags": [value, "other"]}))
        .await
        .map_err(|e| TestCaseError::fail(format!("insert: {e}")))?;
    prop_assert_eq!(&inserted.data[0]["t"], &json!(value));

    let count = |q: supabase_core::postgrest::Builder| async move {
        q.eq("id", id)
            .await
            .map(|r| r.data.as_array().map_or(0, Vec::len))
            .map_err(|e| TestCaseError::fail(e.to_string()))
    };
    let t = || client.table("probe").select("id");

    prop_assert_eq!(count(t().eq("t", value)).await?, 1, "eq");
    prop_assert_eq!(count(t().neq("t", value)).await?, 0, "neq");
    prop_assert_eq!(count(t().in_("t", [value, "zz-other"])).await?, 1, "in_");
    prop_assert_eq!(count(t().not_().in_("t", [value])).await?, 0, "not in_");
    prop_assert_eq!(
        count(t().or_where([
            Condition::new("t", Op::Eq, value),
            Condition::new("id", Op::Eq, -1)
        ]))
        .await?,
        1,
        "or_where"
    );
    prop_assert_eq!(
        count(t().or_where([
            Condition::and([
                Condition::new("t", Op::Eq, value),
                Condition::new("t", Op::In, [value])
            ]),
            !!Condition::new("t", Op::Eq, "never-this"),
        ]))
        .await?,
        1,
        "nested and"
    );
    prop_assert_eq!(count(t().contains("tags", [value])).await?, 1, "contains");
    prop_assert_eq!(
        count(t().or_where([Condition::new("tags", Op::Contains, [value])])).await?,
        1,
        "contains inside or"
    );
    if !value.contains('*') {
        // PostgREST rewrites `*` to `%` in LIKE patterns; nothing else is special.
        prop_assert_eq!(count(t().like("t", like_literal(value))).await?, 1, "like");
        prop_assert_eq!(
            count(t().ilike("t", like_literal(value))).await?,
            1,
            "ilike"
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_string_round_trips_through_every_filter() {
    let client = anon().await;
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Config {
            cases: 150,
            ..Config::default()
        });
        runner
            .run(&nasty_string(), |value| {
                handle.block_on(check(&client, &value))
            })
            .unwrap_or_else(|e| panic!("{e}"));
    })
    .await
    .unwrap();
}
