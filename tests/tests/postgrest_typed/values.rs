//! Column types beyond numbers and text: ranges, timestamps, and their value kinds.

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;
use supabase_core::prelude::*;
use supabase_core::types::Range;
use supabase_tests::anon;

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "reservations")]
struct Reservation {
    #[supabase(primary_key)]
    id: i64,
    room_name: String,
    during: Range<DateTime<Utc>>,
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, day, hour, 0, 0).unwrap()
}

#[tokio::test]
async fn tstzrange_columns_decode_and_filter_as_ranges() {
    let client = anon().await;
    let rows = client
        .from::<Reservation>()
        .select()
        .order(reservation::id.asc())
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].during, Range::closed_open(at(1, 13), at(1, 15)));
    assert!(rows[0].during.contains(&at(1, 14)));

    // Range operators take a typed range operand.
    let later = client
        .from::<Reservation>()
        .select()
        .range_gt(
            reservation::during,
            Range::closed_open(at(1, 14), at(1, 15)),
        )
        .await
        .unwrap();
    assert_eq!(later.iter().map(|r| r.id).collect::<Vec<_>>(), [2]);

    let overlapping = client
        .from::<Reservation>()
        .select()
        .overlaps(reservation::during, Range::closed(at(2, 9), at(2, 9)))
        .await
        .unwrap();
    assert_eq!(overlapping.iter().map(|r| r.id).collect::<Vec<_>>(), [2]);
}

#[tokio::test]
async fn every_range_operator_compares_typed_ranges() {
    // Row 1 is [01-01 13:00, 01-01 15:00), row 2 [01-02 09:00, 01-02 10:00).
    let client = anon().await;
    let ids = |rows: Vec<Reservation>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
    let noon_to_one = Range::closed_open(at(1, 12), at(1, 13));
    let day_two = Range::closed_open(at(2, 0), at(3, 0));
    let query = || {
        client
            .from::<Reservation>()
            .select()
            .order(reservation::id.asc())
    };

    // Does not extend left of [01-01 12:00, …): both.
    let rows = query().range_gte(reservation::during, noon_to_one.clone());
    assert_eq!(ids(rows.await.unwrap()), [1, 2]);
    // Strictly left of day two: row 1 only.
    let rows = query().range_lt(reservation::during, day_two.clone());
    assert_eq!(ids(rows.await.unwrap()), [1]);
    // Does not extend right of day two's end: both.
    let rows = query().range_lte(reservation::during, day_two.clone());
    assert_eq!(ids(rows.await.unwrap()), [1, 2]);
    // Adjacent to [12:00, 13:00): row 1 starts where it ends.
    let rows = query().range_adjacent(reservation::during, noon_to_one);
    assert_eq!(ids(rows.await.unwrap()), [1]);
    // Contained in day two: row 2; containing 14:00–14:30 on day one: row 1.
    let rows = query().contained_by(reservation::during, day_two);
    assert_eq!(ids(rows.await.unwrap()), [2]);
    let half_hour = Range::closed(at(1, 14), at(1, 14) + chrono::Duration::minutes(30));
    let rows = query().contains(reservation::during, half_hour);
    assert_eq!(ids(rows.await.unwrap()), [1]);
}
