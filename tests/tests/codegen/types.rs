//! The generated module for `time = true` and `decimal = true` (`rich_time_generated.rs`)
//! against PostgREST: the time crate's types and every digit of a `numeric`, in fields, ranges
//! and filters, through `supabase_core::types::Pg`.

use std::ops::Bound;

use rust_decimal::Decimal;
use supabase_core::create_client;
use supabase_core::typed::ColumnExt;
use supabase_core::types::{Multirange, Pg, Range};
use time::macros::{date, datetime, time};

use crate::fixture_stack;
use crate::rich_time_generated::public::{Authors, AuthorsInsert, AuthorsUpdate, authors};

fn decimal(text: &str) -> Decimal {
    Decimal::from_str_exact(text).expect("a decimal")
}

#[tokio::test]
async fn time_and_decimal_columns_round_trip_through_postgrest() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let name = format!("time-{}", supabase_tests::unique_id());
    let at = datetime!(2024-03-10 17:30:00.123456 +05:30);
    // 22 significant digits: an f64 would round the bound to 1.
    let fine = decimal("1.000000000000000000001");
    let inserted = client
        .from::<Authors>()
        .insert(
            AuthorsInsert::new(name.clone())
                .created_at(at)
                .born(date!(-0043 - 03 - 15))
                .wake_at(time!(08:30:00.25))
                .updated(datetime!(2024-02-29 23:59:59.5))
                .balance(decimal("1234567890.12"))
                .grid(vec![vec![1, 2], vec![3, 4]])
                .during(Range::closed_open(
                    Pg(at),
                    Pg(datetime!(2024-03-11 00:00 UTC)),
                ))
                .days(Range::closed(
                    Pg(date!(2024 - 01 - 01)),
                    Pg(date!(2024 - 01 - 02)),
                ))
                .amounts(Range::closed_open(Pg(fine), Pg(decimal("2")))),
        )
        .single()
        .await
        .expect("insert");

    assert_eq!(*inserted.created_at, at);
    assert_eq!(inserted.born.as_deref(), Some(&date!(-0043 - 03 - 15)));
    assert_eq!(inserted.wake_at.as_deref(), Some(&time!(08:30:00.25)));
    assert_eq!(
        inserted.updated.as_deref(),
        Some(&datetime!(2024-02-29 23:59:59.5))
    );
    assert_eq!(
        inserted.balance.map(|b| b.to_string()).as_deref(),
        Some("1234567890.12")
    );
    // A two-dimensional array (`int4[][]`) nests.
    assert_eq!(inserted.grid, Some(vec![vec![1, 2], vec![3, 4]]));
    // Postgres canonicalises a daterange to `[2024-01-01,2024-01-03)`.
    assert_eq!(
        inserted.days,
        Some(Range::closed_open(
            Pg(date!(2024 - 01 - 01)),
            Pg(date!(2024 - 01 - 03))
        ))
    );
    let during = inserted.during.expect("during");
    assert_eq!(during.lower(), Bound::Included(&Pg(at)));
    let amounts = inserted.amounts.expect("amounts");
    assert_eq!(
        amounts.lower().map(|d| d.to_string()),
        Bound::Included("1.000000000000000000001".to_owned())
    );

    // Ordered filters on the wrapped types: the one row inside [at, at + 1µs).
    let found = client
        .from::<Authors>()
        .select()
        .eq(authors::name, &name)
        .gte(authors::created_at, Pg(at))
        .lt(
            authors::created_at,
            Pg(at + time::Duration::microseconds(1)),
        )
        .eq(authors::balance, Pg(decimal("1234567890.12")))
        .lt(authors::born, Pg(date!(0001 - 01 - 01)))
        .await
        .expect("filter");
    assert_eq!(found.len(), 1, "{found:?}");
    let after = client
        .from::<Authors>()
        .select()
        .eq(authors::name, &name)
        .gt(authors::created_at, Pg(at))
        .await
        .expect("filter");
    assert!(after.is_empty(), "{after:?}");

    // An update writes the wrapped value; `None` writes NULL.
    let updated = client
        .from::<Authors>()
        .update(
            AuthorsUpdate::default()
                .balance(Pg(decimal("-0.05")))
                .wake_at(None),
        )
        .eq(authors::id, inserted.id)
        .single()
        .await
        .expect("update");
    assert_eq!(
        updated.balance.map(|b| b.to_string()).as_deref(),
        Some("-0.05")
    );
    assert_eq!(updated.wake_at, None);
}

/// A value the Rust type cannot hold is an error naming it, not a wrong value: Postgres's
/// `infinity` timestamp, and a numeric beyond rust_decimal's 28 digits.
#[tokio::test]
async fn values_the_types_cannot_hold_are_errors() {
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    // Inserts `column: value` untyped, then reads the row typed: the error it must give.
    let read_error = |column: &'static str, value: &'static str| {
        let client = client.clone();
        async move {
            let name = format!("{column}-{}", supabase_tests::unique_id());
            client
                .from_("authors")
                .insert(serde_json::json!({ "name": name, column: value }))
                .await
                .expect("insert untyped");
            let read = client
                .from::<Authors>()
                .select()
                .eq(authors::name, &name)
                .await;
            read.expect_err("the typed read refuses the value")
                .to_string()
        }
    };
    let err = read_error("created_at", "infinity").await;
    assert!(err.contains("`infinity` has no timestamptz value"), "{err}");
    // 32 digits do not fit in a Decimal.
    let err = read_error("amounts", "[1.00000000000000000000000000000001,2)").await;
    assert!(
        err.contains("not a numeric rust_decimal holds exactly"),
        "{err}"
    );
}

/// Columns the default mapping reads into a `String` or a `Value` take their Postgres type's
/// operators (codegen writes `sql_type`): ordering on uuid, timestamptz, inet and interval,
/// full-text search on a tsvector, JSON paths on a json column, all accepted by PostgREST.
/// Their absent operators (`like` on a uuid, `contains` on json) are compile errors:
/// `tests/ui/fail/filter/sql_type_decides_operators.rs`.
#[tokio::test]
async fn string_mapped_columns_take_their_postgres_types_operators() {
    use crate::rich_generated::public::{
        Authors as Plain, AuthorsInsert as PlainInsert, authors as plain,
    };
    use supabase_core::prelude::*;

    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let name = format!("Ada Lovelace {}", supabase_tests::unique_id());
    let row = client
        .from::<Plain>()
        .insert(
            PlainInsert::new(name.clone())
                .settings(serde_json::json!({ "lang": "en" }))
                .ip("10.1.2.3".to_owned())
                .dur("1 day".to_owned()),
        )
        .single()
        .await
        .expect("insert");
    let uuid = row.r#ref.clone().expect("a default uuid");
    let found = client
        .from::<Plain>()
        .select()
        .eq(plain::name, &name)
        .gte(plain::r#ref, &uuid)
        .lte(plain::r#ref, &uuid)
        .gt(plain::created_at, "2000-01-01T00:00:00Z")
        .lt(plain::ip, "10.1.2.4")
        .gt(plain::dur, "23 hours")
        .text_search(plain::words, "lovelace", TextSearch::default())
        .filter(plain::settings.json_text("lang").eq("en"))
        .await
        .expect("filters the server accepts");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].id, row.id);
    assert!(
        found[0]
            .words
            .as_deref()
            .is_some_and(|w| w.contains("lovelac")),
        "{:?}",
        found[0].words
    );
}

#[tokio::test]
async fn multiranges_round_trip_and_filter_through_postgrest() {
    // `int4multirange` and `tstzmultirange` as codegen maps them: `Multirange<i32>` and, with
    // `time = true`, `Multirange<Pg<OffsetDateTime>>`.
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let name = format!("multi-{}", supabase_tests::unique_id());
    let (from, to) = (
        datetime!(2024-03-10 17:30:00 UTC),
        datetime!(2024-03-10 18:30:00 UTC),
    );
    let inserted = client
        .from::<Authors>()
        .insert(
            AuthorsInsert::new(name.clone())
                .spans(Multirange(vec![
                    (1..3).into(),
                    (3..5).into(),
                    (10..12).into(),
                ]))
                .periods(Multirange(vec![Range::closed_open(Pg(from), Pg(to))])),
        )
        .single()
        .await
        .expect("insert");
    // Postgres merges adjacent ranges.
    assert_eq!(
        inserted.spans,
        Some(Multirange(vec![(1..5).into(), (10..12).into()]))
    );
    assert_eq!(
        inserted.periods,
        Some(Multirange(vec![Range::closed_open(Pg(from), Pg(to))]))
    );
    let empty = client
        .from::<Authors>()
        .insert(AuthorsInsert::new(format!("{name}-empty")).spans(Multirange::default()))
        .single()
        .await
        .expect("insert an empty multirange");
    assert_eq!(empty.spans, Some(Multirange::default()));

    let count = |filter: supabase_core::typed::Filter<Authors>| {
        let client = client.clone();
        let name = name.clone();
        async move {
            client
                .from::<Authors>()
                .select()
                .eq(authors::name, name)
                .filter(filter)
                .await
                .expect("select")
                .len()
        }
    };
    let of = |r: std::ops::Range<i32>| Multirange(vec![r.into()]);
    assert_eq!(count(authors::spans.contains(of(2..4))).await, 1);
    assert_eq!(count(authors::spans.contains(of(4..11))).await, 0);
    assert_eq!(count(authors::spans.overlaps(of(11..20))).await, 1);
    assert_eq!(count(authors::spans.overlaps(of(5..10))).await, 0);
    assert_eq!(count(authors::spans.range_lt(of(20..30))).await, 1);
    assert_eq!(count(authors::spans.range_adjacent(of(12..15))).await, 1);
}

/// Arrays declared with two dimensions through a domain (`create domain int_grid as
/// int4[][]`, its `typndims`) and in a composite type's attribute (`attndims`) are
/// `Vec<Vec<_>>`, as a table's declared columns are: PostgREST sends them nested.
#[tokio::test]
async fn declared_dimensions_of_domains_and_composite_fields_round_trip() {
    use crate::rich_generated::public::{Boards, BoardsInsert, Tile};
    let stack = fixture_stack("rich").await;
    let client = create_client(stack.url(), stack.service_role_key()).expect("client");
    let id = i32::try_from(supabase_tests::unique_id()).expect("a small id");
    let cells = vec![vec![1, 2], vec![3, 4]];
    let tile = Tile {
        label: Some("corner".to_owned()),
        cells: Some(vec![vec![5], vec![6]]),
    };
    let row = client
        .from::<Boards>()
        .insert(
            BoardsInsert::new(id)
                .cells(cells.clone())
                .tile(tile.clone()),
        )
        .single()
        .await
        .expect("insert and read back");
    assert_eq!((row.cells, row.tile), (Some(cells), Some(tile)));
}
