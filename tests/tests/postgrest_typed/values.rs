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
