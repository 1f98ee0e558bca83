//! The typed `is_`: `IS TRUE` / `IS FALSE` on boolean columns, `IS NULL` (`None`) only on
//! nullable ones (misuse is a compile error: `tests/ui/fail/filter/is_requires_boolean_column.rs`).

use serde::Deserialize;
use supabase_core::prelude::*;
use supabase_tests::{anon, flags_stack};

/// `public.flags`, created by [`flags_stack`].
#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "flags")]
struct Flag {
    #[supabase(primary_key)]
    id: i64,
    done: bool,
    approved: Option<bool>,
}

fn ids(rows: &[Flag]) -> Vec<i64> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn typed_is_matches_true_false_and_unknown() {
    flags_stack().await;
    let c = anon().await;
    let q = || c.from::<Flag>().select();
    assert_eq!(ids(&q().is_(flag::done, true).await.unwrap()), [1, 2]);
    assert_eq!(ids(&q().is_(flag::done, false).await.unwrap()), [3, 4]);
    assert_eq!(ids(&q().is_(flag::approved, None).await.unwrap()), [3]);
    assert_eq!(
        ids(&q().is_(flag::approved, Some(false)).await.unwrap()),
        [2]
    );
    assert_eq!(
        ids(&q().not_().is_(flag::approved, true).await.unwrap()),
        [2, 3],
        "IS NOT TRUE keeps the unknown row"
    );
    let rows = q()
        .filter(!flag::approved.is_(true) & flag::done.is_(true))
        .await
        .unwrap();
    assert_eq!(
        rows,
        [Flag {
            id: 2,
            done: true,
            approved: Some(false)
        }]
    );
    assert_eq!(
        ids(&q()
            .or_([flag::approved.is_(None), flag::done.is_(false)])
            .await
            .unwrap()),
        [3, 4]
    );
}
