//! Telling serde how many rows a response holds, so the `Vec` they are decoded into is allocated
//! once.
//!
//! PostgREST states the range of rows it sends in `Content-Range` (`0-999/*`), but JSON carries
//! no length, so serde's `Vec` starts empty and doubles its way up: a 1000-row page is ten
//! allocations and copies of the growing buffer. [`RowsHint`] wraps the body's deserializer and
//! gives the top-level array a `size_hint` of that row count. serde itself caps what it
//! preallocates from a hint (1 MiB), so a wrong header costs at most that, never correctness.

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

/// The number of rows in `content_range` (`0-999/*` → 1000, `*/0` → 0), if it names a range.
pub(crate) fn rows_in_range(content_range: &str) -> Option<usize> {
    let range = content_range.split_once('/')?.0;
    let (first, last) = range.split_once('-')?;
    let (first, last): (usize, usize) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    last.checked_sub(first)?.checked_add(1)
}

/// A deserializer whose top-level sequence reports `rows` elements; everything else is `D`'s.
pub(crate) struct RowsHint<D> {
    pub(crate) inner: D,
    pub(crate) rows: usize,
}

macro_rules! forward {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.inner.$method(visitor)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for RowsHint<D> {
    type Error = D::Error;

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_seq(HintVisitor {
            inner: visitor,
            rows: self.rows,
        })
    }

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_unit deserialize_map deserialize_identifier
        deserialize_ignored_any
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_enum(name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Hands `V` the sequence with the hint attached.
struct HintVisitor<V> {
    inner: V,
    rows: usize,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for HintVisitor<V> {
    type Value = V::Value;

    // Anything but an array is refused by serde's default `visit_*`, naming what `V` expects.
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.expecting(f)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(HintSeq {
            inner: seq,
            rows: self.rows,
        })
    }
}

/// The top-level array's elements, with `rows` as their expected count.
struct HintSeq<A> {
    inner: A,
    rows: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for HintSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn decode<T: for<'de> Deserialize<'de>>(json: &str, rows: usize) -> serde_json::Result<T> {
        let mut de = serde_json::Deserializer::from_str(json);
        let value = T::deserialize(RowsHint {
            inner: &mut de,
            rows,
        })?;
        de.end()?;
        Ok(value)
    }

    #[test]
    fn ranges() {
        assert_eq!(rows_in_range("0-999/*"), Some(1000));
        assert_eq!(rows_in_range("10-10/3573"), Some(1));
        assert_eq!(rows_in_range("*/0"), None);
        assert_eq!(rows_in_range("9-3/*"), None);
        assert_eq!(rows_in_range("0-18446744073709551615/*"), None);
        assert_eq!(rows_in_range("garbage"), None);
    }

    #[test]
    fn the_row_vector_is_allocated_once_and_values_are_unchanged() {
        let rows: Vec<(i32, String)> = decode(r#"[[1,"a"],[2,"b"],[3,"c"]]"#, 3).unwrap();
        assert_eq!(rows, [(1, "a".into()), (2, "b".into()), (3, "c".into())]);
        assert_eq!(rows.capacity(), 3);
        // A hint that is wrong either way changes nothing but the first allocation.
        let few: Vec<i32> = decode("[1,2,3,4,5]", 1).unwrap();
        assert_eq!(few, [1, 2, 3, 4, 5]);
        let many: Vec<u8> = decode("[1]", usize::MAX).unwrap();
        assert_eq!(many, [1]);
        assert!(
            many.capacity() <= 1 << 20,
            "serde caps what a hint preallocates"
        );
    }

    #[test]
    fn other_shapes_decode_as_without_the_hint() {
        let v: serde_json::Value = decode(r#"{"a":[1,{"b":null}]}"#, 7).unwrap();
        assert_eq!(v, serde_json::json!({"a": [1, {"b": null}]}));
        let one: Option<String> = decode("null", 1).unwrap();
        assert_eq!(one, None);
        let err = decode::<Vec<i32>>(r#"{"a":1}"#, 1).unwrap_err().to_string();
        assert!(err.contains("expected a sequence"), "{err}");
        assert!(decode::<Vec<i32>>("[1] x", 1).is_err(), "trailing text");
    }
}
