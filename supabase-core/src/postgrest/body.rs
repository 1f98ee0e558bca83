//! A write's JSON body, and the `columns=` of a bulk write read off it while it is serialised.
//!
//! PostgREST inserts the columns named by `columns=` (the union of the rows' keys) instead of
//! taking the first row's keys. The keys are noted by a `serde_json` [`Formatter`] as the body is
//! written, so the body is never parsed back (that second pass cost a bulk insert about a third
//! of its client CPU).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter};

/// The body exactly as `serde_json::to_vec` writes it, and for an array of objects the union of
/// their keys in first-seen order (`None` for any other shape).
pub(crate) fn write_body<V: Serialize + ?Sized>(
    values: &V,
) -> serde_json::Result<(Vec<u8>, Option<Vec<String>>)> {
    let mut recorder = KeyRecorder::default();
    let mut body = Vec::with_capacity(128);
    values.serialize(&mut serde_json::Serializer::with_formatter(
        &mut body,
        &mut recorder,
    ))?;
    Ok((body, recorder.columns()))
}

/// Watches the compact output for the keys of objects directly inside a top-level array.
#[derive(Default)]
struct KeyRecorder {
    /// Arrays and objects open around the current position.
    depth: usize,
    /// Whether the outermost value is an array.
    top_array: bool,
    /// Elements of the top-level array, and how many of them are objects.
    elements: usize,
    objects: usize,
    /// Inside a row's key; the key so far, unescaped.
    in_key: bool,
    key: String,
    /// Where in `columns` the row's next key is expected: rows mostly share their keys, in the
    /// same order, so one comparison usually finds it.
    next_column: usize,
    /// A key written as something else than a string fragment (not JSON text we follow).
    odd_key: bool,
    columns: Vec<String>,
}

impl KeyRecorder {
    fn columns(self) -> Option<Vec<String>> {
        (self.top_array && self.elements == self.objects && !self.odd_key).then_some(self.columns)
    }

    fn open(&mut self, array: bool) {
        if self.depth == 0 {
            self.top_array = array;
        } else if self.depth == 1 && self.top_array && !array {
            self.objects += 1;
            self.next_column = 0;
        }
        self.depth += 1;
    }

    /// The end of the current key: its column is the expected one, another already noted, or
    /// a new one.
    fn end_key(&mut self) {
        let at = match self.columns.get(self.next_column) {
            Some(expected) if *expected == self.key => self.next_column,
            _ => match self.columns.iter().position(|c| *c == self.key) {
                Some(at) => at,
                None => {
                    self.columns.push(self.key.clone());
                    self.columns.len() - 1
                }
            },
        };
        self.next_column = at + 1;
    }

    /// Any write that is not part of a string's text.
    fn other(&mut self) {
        if self.in_key {
            self.odd_key = true;
        }
    }
}

/// Delegates a write to the compact formatter, noting that it is no string text.
macro_rules! non_text_writes {
    ($($name:ident($ty:ty)),* $(,)?) => {$(
        fn $name<W: ?Sized + Write>(&mut self, w: &mut W, value: $ty) -> io::Result<()> {
            self.other();
            CompactFormatter.$name(w, value)
        }
    )*};
}

impl Formatter for &mut KeyRecorder {
    non_text_writes!(
        write_bool(bool),
        write_i8(i8),
        write_i16(i16),
        write_i32(i32),
        write_i64(i64),
        write_i128(i128),
        write_u8(u8),
        write_u16(u16),
        write_u32(u32),
        write_u64(u64),
        write_u128(u128),
        write_f32(f32),
        write_f64(f64),
        write_number_str(&str),
        write_raw_fragment(&str),
        write_byte_array(&[u8]),
    );

    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.other();
        CompactFormatter.write_null(w)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(true);
        CompactFormatter.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_array(w)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.depth == 1 {
            self.elements += 1;
        }
        CompactFormatter.begin_array_value(w, first)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(false);
        CompactFormatter.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_object(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.depth == 2 && self.top_array {
            self.in_key = true;
            self.key.clear();
        }
        CompactFormatter.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.in_key {
            self.in_key = false;
            self.end_key();
        }
        CompactFormatter.end_object_key(w)
    }

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if self.in_key {
            self.key.push_str(fragment);
        }
        CompactFormatter.write_string_fragment(w, fragment)
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        if self.in_key {
            self.key.push(match escape {
                CharEscape::Quote => '"',
                CharEscape::ReverseSolidus => '\\',
                CharEscape::Solidus => '/',
                CharEscape::Backspace => '\u{8}',
                CharEscape::FormFeed => '\u{c}',
                CharEscape::LineFeed => '\n',
                CharEscape::CarriageReturn => '\r',
                CharEscape::Tab => '\t',
                CharEscape::AsciiControl(byte) => char::from(byte),
            });
        }
        CompactFormatter.write_char_escape(w, escape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn columns(value: &serde_json::Value) -> Option<Vec<String>> {
        let (body, columns) = write_body(value).unwrap();
        assert_eq!(
            body,
            serde_json::to_vec(value).unwrap(),
            "the body is to_vec's"
        );
        columns
    }

    #[test]
    fn the_union_of_the_rows_keys_in_first_seen_order() {
        let rows = json!([{"id": 1, "name": "Frodo"}, {"id": 2, "nick": "Sam", "name": "x"}]);
        assert_eq!(columns(&rows).unwrap(), ["id", "name", "nick"]);
        assert_eq!(columns(&json!([])).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn rows_with_their_keys_in_other_orders() {
        #[derive(Serialize)]
        #[serde(untagged)]
        enum Row {
            IdName {
                id: i32,
                name: &'static str,
            },
            NameNickId {
                name: &'static str,
                nick: &'static str,
                id: i32,
            },
            Nick {
                nick: &'static str,
            },
        }
        let rows = [
            Row::NameNickId {
                name: "a",
                nick: "b",
                id: 1,
            },
            Row::IdName { id: 2, name: "c" },
            Row::Nick { nick: "d" },
            Row::IdName { id: 3, name: "e" },
            Row::NameNickId {
                name: "f",
                nick: "g",
                id: 4,
            },
        ];
        let (body, columns) = write_body(&rows).unwrap();
        assert_eq!(body, serde_json::to_vec(&rows).unwrap());
        assert_eq!(columns.unwrap(), ["name", "nick", "id"]);
    }

    /// Rows as ordered key/value lists, written as JSON objects in that order.
    struct OrderedRows(Vec<Vec<(String, i32)>>);

    impl Serialize for OrderedRows {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{SerializeMap, SerializeSeq};
            let mut rows = s.serialize_seq(Some(self.0.len()))?;
            for row in &self.0 {
                struct Row<'a>(&'a [(String, i32)]);
                impl Serialize for Row<'_> {
                    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut map = s.serialize_map(Some(self.0.len()))?;
                        for (k, v) in self.0 {
                            map.serialize_entry(k, v)?;
                        }
                        map.end()
                    }
                }
                rows.serialize_element(&Row(row))?;
            }
            rows.end()
        }
    }

    proptest::proptest! {
        /// Keys drawn from a few that are prefixes of each other, need escapes, or are empty,
        /// in any order and any mix per row: the columns are the plain union in first-seen order.
        #[test]
        fn any_rows_give_the_union_of_their_keys(
            rows in proptest::collection::vec(
                proptest::collection::vec(
                    (proptest::sample::select(vec!["", "n", "na", "name", "names", "a\"b", "é\n", "\u{1}"]), 0..3i32),
                    0..5,
                ),
                0..6,
            )
        ) {
            let rows: Vec<Vec<(String, i32)>> = rows
                .into_iter()
                .map(|row| row.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                .collect();
            let mut union: Vec<String> = Vec::new();
            for (key, _) in rows.iter().flatten() {
                if !union.contains(key) {
                    union.push(key.clone());
                }
            }
            let rows = OrderedRows(rows);
            let (body, columns) = write_body(&rows).unwrap();
            proptest::prop_assert_eq!(body, serde_json::to_vec(&rows).unwrap());
            proptest::prop_assert_eq!(columns.unwrap(), union);
        }
    }

    #[test]
    fn only_an_array_of_objects_has_columns() {
        assert_eq!(columns(&json!({"id": 1})), None);
        assert_eq!(columns(&json!([1, 2])), None);
        assert_eq!(columns(&json!([{"id": 1}, 2])), None);
        assert_eq!(columns(&json!([[{"id": 1}]])), None);
        assert_eq!(columns(&json!("text")), None);
    }

    #[test]
    fn nested_keys_are_not_columns_and_escaped_keys_are_unescaped() {
        let rows = json!([{"a\"b\\c\n\u{1}/é": {"inner": [{"deep": 1}]}, "data": {"x": 1}}]);
        assert_eq!(columns(&rows).unwrap(), ["a\"b\\c\n\u{1}/é", "data"]);
    }

    #[test]
    fn keys_that_are_not_strings_give_no_columns() {
        let rows = vec![std::collections::BTreeMap::from([(1, "one")])];
        let (body, columns) = write_body(&rows).unwrap();
        assert_eq!(body, br#"[{"1":"one"}]"#);
        assert_eq!(columns, None);
    }
}
