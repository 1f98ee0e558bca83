//! Large JSON bodies parsed with simd-json, into the same `T` serde_json would make.
//!
//! simd-json finds the structure of the whole body first (with SIMD instructions), then serde
//! walks the result: on a page of 1000 rows that is fewer instructions than serde_json's byte by
//! byte parse, and the row vector is sized from the array's known length. It parses in place,
//! so the body is copied into a scratch buffer first, and it needs working buffers of about
//! the body's size: both are kept per thread and reused (bodies up to 1 MiB only), since
//! allocating them for each body costs more in page faults than the parse saves (`docs/decisions.md`, Database API).
//!
//! Anything simd-json does not decode (an error in the body, a type that needs serde_json
//! itself, such as `RawValue`) returns `None`, and the caller decodes with serde_json, which
//! then gives the result or the error it always has.

use std::cell::RefCell;

use serde::de::DeserializeOwned;

/// The bodies that go to simd-json: from 16 KiB, as below that a parse is too short for the
/// structural pass to pay for its set-up, up to 1 MiB, so the scratch a thread keeps stays
/// small (a larger body is parsed by serde_json, without a copy).
pub(crate) const SIMD_SIZES: std::ops::RangeInclusive<usize> = 16 * 1024..=1024 * 1024;

/// serde_json's nesting limit: its `recursion_limit` of 128 admits 127 levels (simd-json's own
/// limit is 1024).
const MAX_DEPTH: usize = 127;

/// The body's copy and simd-json's working buffers, reused by the thread's next decode.
#[derive(Default)]
struct Scratch {
    input: Vec<u8>,
    buffers: Option<simd_json::Buffers>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

/// `json` decoded as a `T` by simd-json, or `None` when it could not (the caller then uses
/// serde_json, which has the final word).
pub(crate) fn decode<T: DeserializeOwned>(json: &[u8]) -> Option<T> {
    if has_integer_negative_zero(json) {
        return None;
    }
    // `try_with`: a thread tearing down its locals decodes with serde_json.
    SCRATCH
        .try_with(|scratch| {
            // A `Deserialize` impl that itself decodes a large body would find it borrowed.
            let mut scratch = scratch.try_borrow_mut().ok()?;
            let Scratch { input, buffers } = &mut *scratch;
            input.clear();
            input.extend_from_slice(json);
            // serde_json's nesting limit, so a body decodes or fails the same whatever its size.
            let buffers = buffers
                .get_or_insert_with(|| simd_json::Buffers::with_max_depth(json.len(), MAX_DEPTH));
            simd_json::serde::from_slice_with_buffers(input, buffers).ok()
        })
        .ok()
        .flatten()
}

/// Whether `json` may hold the number `-0` written without a fraction or an exponent, which
/// Postgres writes for a `float8` negative zero: serde_json reads it as `-0.0`, simd-json as the
/// integer 0. Conservative: the same bytes inside a string (`"a:-0"`) also count.
fn has_integer_negative_zero(json: &[u8]) -> bool {
    memchr::memmem::find_iter(json, b"-0").any(|at| {
        let before = at.checked_sub(1).map(|i| json[i]);
        let after = json.get(at + 2);
        matches!(
            before,
            None | Some(b'[' | b',' | b':' | b' ' | b'\n' | b'\r' | b'\t')
        ) && !matches!(after, Some(b'0'..=b'9' | b'.' | b'e' | b'E'))
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::decode;

    /// serde_json's reading of `text`, the reference every simd-json result must equal.
    fn serde(text: &str) -> Option<Value> {
        serde_json::from_str(text).ok()
    }

    /// Any JSON value, nested a few levels, with the number and string forms a body carries.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A number as Postgres `numeric` or a hand may write it: many digits, a fraction, an
    /// exponent, signs.
    fn number_text() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            "(0|[1-9][0-9]{0,30})",
            proptest::option::of("[0-9]{1,40}"),
            proptest::option::of((any::<bool>(), 0u32..330)),
        )
            .prop_map(|(negative, int, frac, exp)| {
                let mut s = String::new();
                if negative {
                    s.push('-');
                }
                s.push_str(&int);
                if let Some(frac) = frac {
                    s.push('.');
                    s.push_str(&frac);
                }
                if let Some((down, e)) = exp {
                    s.push_str(if down { "e-" } else { "E+" });
                    s.push_str(&e.to_string());
                }
                s
            })
    }

    /// Nesting around serde_json's limit, in a body large enough for simd-json: it decodes
    /// exactly where serde_json does.
    #[test]
    fn nesting_is_limited_as_serde_json_limits_it() {
        for depth in [126, 127, 128, 129, 130, 500] {
            let padding = "x".repeat(20 * 1024);
            let text = format!(
                "[\"{padding}\",{}1{}]",
                "[".repeat(depth - 1),
                "]".repeat(depth - 1)
            );
            assert_eq!(
                decode::<Value>(text.as_bytes()).is_some(),
                serde(&text).is_some(),
                "depth {depth}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_value_decodes_as_serde_json_decodes_it(value in any_json()) {
            let text = serde_json::to_string(&value).unwrap();
            prop_assert_eq!(decode::<Value>(text.as_bytes()), Some(value));
        }

        #[test]
        fn numbers_read_to_the_same_value(number in number_text()) {
            let text = format!("[{number}]");
            // Where simd-json declines (an integer past u64), serde_json decodes instead.
            if let Some(simd) = decode::<Vec<Value>>(text.as_bytes()) {
                prop_assert_eq!(Some(Value::Array(simd)), serde(&text), "{}", text);
            }
            if let Some(simd) = decode::<Vec<f64>>(text.as_bytes()) {
                let reference: Vec<f64> = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(simd[0].to_bits(), reference[0].to_bits(), "{}", text);
            }
        }

        #[test]
        fn whatever_it_accepts_serde_json_accepts_the_same(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Some(simd) = decode::<Value>(&bytes) {
                prop_assert_eq!(Some(simd), serde_json::from_slice(&bytes).ok());
            }
        }
    }

    #[test]
    fn negative_zero_is_left_to_serde_json() {
        for text in ["-0", "[-0]", "{\"a\": -0}", "[1,-0 ]", "[\"x:-0\"]"] {
            assert_eq!(decode::<Value>(text.as_bytes()), None, "{text:?}");
        }
        for text in ["[-0.0]", "[-0e1]", "[-01]", "[\"2024-01-05\"]", "[-10]"] {
            assert_eq!(decode::<Value>(text.as_bytes()), serde(text), "{text:?}");
        }
    }

    #[test]
    fn malformed_bodies_are_left_to_serde_json() {
        for text in [
            "",
            "[1,]",
            "{\"a\":1",
            "[\"\\ud800\"]",
            "[1] 2",
            "\"\u{1}\"",
            "[01]",
            "[1e]",
        ] {
            assert_eq!(decode::<Value>(text.as_bytes()), None, "{text:?}");
            assert_eq!(serde(text), None, "{text:?}");
        }
        assert_eq!(decode::<Value>(b"[\"\xff\"]"), None);
    }

    #[test]
    fn rows_decode_into_structs_and_raw_values_fall_back() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Row {
            id: i64,
            name: String,
            tags: Vec<String>,
            note: Option<String>,
        }
        let rows: Vec<Value> = (0..2000)
            .map(|i| json!({"id": i, "name": format!("row \"{i}\" é"), "tags": ["a", "\u{1F600}"], "note": null}))
            .collect();
        let text = serde_json::to_string(&rows).unwrap();
        assert!(super::SIMD_SIZES.contains(&text.len()));
        let simd: Vec<Row> = decode(text.as_bytes()).expect("decoded by simd-json");
        let reference: Vec<Row> = serde_json::from_str(&text).unwrap();
        assert_eq!(simd, reference);
        // serde_json's own `RawValue` needs serde_json: simd-json declines it.
        assert!(decode::<Vec<Box<serde_json::value::RawValue>>>(text.as_bytes()).is_none());
        // An escaped surrogate pair is one character.
        assert_eq!(
            decode::<Vec<String>>(br#"["\ud83d\ude00 \u00e9"]"#),
            Some(vec!["\u{1F600} \u{e9}".to_owned()])
        );
    }
}
