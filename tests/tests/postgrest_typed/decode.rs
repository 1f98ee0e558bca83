//! The row decoder `#[derive(Table)]` generates (`Table::decode_rows`), on the pages the real
//! PostgREST writes: it must read every row, and read it exactly as serde_json does.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use supabase_core::prelude::*;
use supabase_tests::anon;

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "wire_values")]
struct WireValue {
    #[supabase(primary_key)]
    id: i64,
    label: Option<String>,
    ratio: Option<f64>,
    small: Option<i16>,
    amount: Option<f64>,
    flags: Option<Vec<Option<bool>>>,
    doc: Option<serde_json::Value>,
    stamp: Option<DateTime<Utc>>,
    key: Option<String>,
}

/// The same columns, with a field whose `Deserialize` is not serde's derive: no decoder is
/// generated, so pages go to serde_json.
#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "wire_values", read_only)]
struct WireLabel {
    id: i64,
    #[serde(deserialize_with = "shout")]
    label: Option<String>,
}

fn shout<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(|s| s.to_uppercase()))
}

#[tokio::test]
async fn the_derived_decoder_reads_every_page_postgrest_writes_as_serde_json_does() {
    let client = anon().await;
    // The page's text, exactly as PostgREST wrote it.
    let page: Box<RawValue> = client
        .table("wire_values")
        .select(WireValue::SELECT)
        .order("id", Order::asc())
        .returns()
        .await
        .unwrap()
        .data;
    let text = page.get();
    let decoded = WireValue::decode_rows(text, None).expect("the decoder reads the whole page");
    let by_serde: Vec<WireValue> = serde_json::from_str(text).unwrap();
    // Debug shows what `==` does not: `-0.0` against `0.0`.
    assert_eq!(format!("{decoded:?}"), format!("{by_serde:?}"));
    assert_eq!(decoded.len(), 7);

    // The typed select decodes the same rows (through the decoder).
    let typed = client
        .from::<WireValue>()
        .select()
        .order(wire_value::id.asc())
        .await
        .unwrap();
    assert_eq!(format!("{typed:?}"), format!("{by_serde:?}"));

    // And they hold what the seed wrote.
    let row = |id: i64| &typed[usize::try_from(id - 1).unwrap()];
    assert_eq!(
        row(2).label.as_deref(),
        Some("say \"hi\" \\ back\\slash\ttab\nline\u{1} ünï 🦀 /")
    );
    assert_eq!(row(6).label.as_deref(), Some("é😀"));
    assert_eq!(row(3).label.as_deref(), Some(""));
    assert_eq!(row(4).label, None);
    assert!(row(2).ratio.unwrap().is_sign_negative() && row(2).ratio.unwrap() == 0.0);
    assert_eq!(row(3).ratio, Some(1e300));
    assert_eq!(row(4).ratio, Some(5e-324));
    assert_eq!(row(5).ratio, Some(0.1));
    assert_eq!(row(6).ratio, Some(f64::MAX));
    assert_eq!(row(7).ratio, Some(std::f64::consts::PI));
    assert_eq!(row(2).small, Some(i16::MIN));
    assert_eq!(row(3).small, Some(i16::MAX));
    assert_eq!(row(2).amount, Some(12345678901234567890.123456789));
    assert_eq!(row(6).amount, Some(9007199254740993_u64 as f64));
    assert_eq!(row(3).flags, Some(vec![None, Some(true)]));
    assert_eq!(row(1).doc, Some(serde_json::json!({"a": [1, 2.5, "x"]})));
    assert_eq!(row(3).doc, None, "JSON null in a nullable jsonb column");
    assert_eq!(
        row(1).stamp.map(|s| s.to_rfc3339()),
        Some("2024-01-02T03:04:05.123456+00:00".into())
    );
    assert_eq!(
        row(5).key.as_deref(),
        Some("ffffffff-ffff-ffff-ffff-ffffffffffff")
    );
}

#[tokio::test]
async fn a_field_with_its_own_deserializer_is_decoded_by_serde() {
    assert_eq!(
        WireLabel::decode_rows(r#"[{"id":1,"label":"x"}]"#, None),
        None
    );
    let client = anon().await;
    let rows = client
        .from::<WireLabel>()
        .select()
        .eq(wire_label::id, 1)
        .await
        .unwrap();
    assert_eq!(rows[0].label.as_deref(), Some("PLAIN"));
}

/// `strip_nulls` (postgrest-js `stripNulls`): PostgREST leaves null keys out of the rows; the
/// derived decoder and serde read a missing `Option` as `None`, so the typed rows are the same.
#[tokio::test]
async fn stripped_nulls_read_as_none() {
    let client = anon().await;
    let rows: serde_json::Value = client
        .table("wire_values")
        .select("id,label,small")
        .eq("id", 4)
        .strip_nulls()
        .await
        .unwrap()
        .data;
    assert_eq!(rows, serde_json::json!([{"id": 4}]));
    let row: serde_json::Value = client
        .table("wire_values")
        .select("id,label,doc")
        .eq("id", 3)
        .single()
        .strip_nulls()
        .await
        .unwrap()
        .data;
    // A JSON null inside jsonb is a null value too.
    assert_eq!(row, serde_json::json!({"id": 3, "label": ""}));

    let full = client
        .from::<WireValue>()
        .select()
        .order(wire_value::id.asc())
        .await
        .unwrap();
    let stripped = client
        .from::<WireValue>()
        .select()
        .order(wire_value::id.asc())
        .strip_nulls()
        .await
        .unwrap();
    // PostgREST strips with `json_strip_nulls`, which goes into JSON values too: row 5's
    // `[{}, [], {"k": null}]` comes back as `[{}, [], {}]`. Nothing else differs.
    let mut expected = full.clone();
    expected[4].doc = Some(serde_json::json!([{}, [], {}]));
    assert_eq!(format!("{stripped:?}"), format!("{expected:?}"));

    let Err(supabase_core::Error::Config(message)) = client
        .table("wire_values")
        .select("id")
        .strip_nulls()
        .csv()
        .await
    else {
        panic!("csv with stripped nulls was sent")
    };
    assert!(
        message.contains("strip_nulls() cannot be used with csv()"),
        "{message}"
    );
}
