//! Paths into json and jsonb columns, for filters and ordering: `user::address.json("postcode")`
//! is PostgREST's `address->postcode` (compared as JSON), `user::address.json_text("city")` its
//! `address->>city` (compared as text).

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Serialize;

use super::filter::{Filter, OrderBy};
use crate::postgrest::{Condition, Is, Op, Order};
use crate::table::ValueOf;

/// One step of a JSON path: an object key (`"postcode"`) or an array index (`0`, `-1` from the
/// end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonKey {
    /// An object's key.
    Key(String),
    /// An array's index; negative counts from the end.
    Index(i64),
}

impl From<&str> for JsonKey {
    fn from(key: &str) -> Self {
        JsonKey::Key(key.to_owned())
    }
}

impl From<String> for JsonKey {
    fn from(key: String) -> Self {
        JsonKey::Key(key)
    }
}

impl From<&String> for JsonKey {
    fn from(key: &String) -> Self {
        JsonKey::Key(key.clone())
    }
}

impl From<usize> for JsonKey {
    fn from(index: usize) -> Self {
        // No array has more than `i64::MAX` elements: past it, the index reaches nothing anyway.
        JsonKey::Index(i64::try_from(index).unwrap_or(i64::MAX))
    }
}

macro_rules! index_keys {
    ($($t:ty),*) => {$(
        impl From<$t> for JsonKey {
            fn from(index: $t) -> Self {
                JsonKey::Index(i64::from(index))
            }
        }
    )*};
}

index_keys!(i8, i16, i32, i64, u8, u16, u32);

/// Appends `arrow` and `key` to `path`. A key of ASCII letters, digits, `_` and `$` (not all
/// digits, which would read as an index) goes as it is; any other is double-quoted, as
/// PostgREST reads a quoted field name.
fn push_step(path: &mut String, arrow: &str, key: JsonKey) {
    path.push_str(arrow);
    match key {
        JsonKey::Index(index) => path.push_str(&index.to_string()),
        JsonKey::Key(key)
            if !key.is_empty()
                && !key.bytes().all(|b| b.is_ascii_digit())
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$') =>
        {
            path.push_str(&key);
        }
        JsonKey::Key(key) => {
            path.push('"');
            for c in key.chars() {
                if matches!(c, '"' | '\\') {
                    path.push('\\');
                }
                path.push(c);
            }
            path.push('"');
        }
    }
}

/// A path into a json or jsonb column of table `T` ending with `->`: what it reaches is compared
/// as JSON, so `eq(90210)` matches the number and `eq("90210")` the string. Made by
/// [`ColumnExt::json`](super::ColumnExt::json).
#[must_use]
pub struct JsonPath<T> {
    path: String,
    _table: PhantomData<fn() -> T>,
}

/// A path into a json or jsonb column of table `T` ending with `->>`: what it reaches is compared
/// as text (`like`, `ilike` and text order apply). Made by
/// [`ColumnExt::json_text`](super::ColumnExt::json_text) or [`JsonPath::json_text`].
#[must_use]
pub struct JsonText<T> {
    path: String,
    _table: PhantomData<fn() -> T>,
}

macro_rules! path_common {
    ($ty:ident, $arrow:literal) => {
        impl<T> Clone for $ty<T> {
            fn clone(&self) -> Self {
                $ty {
                    path: self.path.clone(),
                    _table: PhantomData,
                }
            }
        }

        impl<T> std::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($ty)).field(&self.path).finish()
            }
        }

        impl<T> $ty<T> {
            pub(crate) fn new(column: &str, key: JsonKey) -> Self {
                Self::extended(column.to_owned(), key)
            }

            /// `path`, then this type's arrow and `key`.
            fn extended(mut path: String, key: JsonKey) -> Self {
                push_step(&mut path, $arrow, key);
                $ty {
                    path,
                    _table: PhantomData,
                }
            }

            /// The path in PostgREST's syntax, e.g. `address->postcode`.
            pub fn as_str(&self) -> &str {
                &self.path
            }

            /// Ascending order by the value the path reaches.
            pub fn asc(self) -> OrderBy<T> {
                OrderBy::new(Cow::Owned(self.path), Order::asc())
            }

            /// Descending order by the value the path reaches.
            pub fn desc(self) -> OrderBy<T> {
                OrderBy::new(Cow::Owned(self.path), Order::desc())
            }
        }
    };
}

path_common!(JsonPath, "->");
path_common!(JsonText, "->>");

impl<T> JsonPath<T> {
    /// `IS NULL`: the path leads nowhere (a missing key). A JSON `null` stored there is not SQL
    /// NULL through `->`; match it with `eq(serde_json::Value::Null)`, or use
    /// [`json_text`](Self::json_text), which turns it into NULL.
    pub fn is_null(self) -> Filter<T> {
        Filter::new(Condition::is_leaf(Cow::Owned(self.path), Is::Null))
    }

    /// `IS NOT NULL`: the path leads to a value (a JSON `null` included).
    pub fn is_not_null(self) -> Filter<T> {
        !self.is_null()
    }

    /// One step further, still as JSON: `address.json("geo").json("lat")` is `address->geo->lat`.
    pub fn json(self, key: impl Into<JsonKey>) -> JsonPath<T> {
        JsonPath::extended(self.path, key.into())
    }

    /// One step further, as text: `address.json("geo").json_text("lat")` is
    /// `address->geo->>lat`.
    pub fn json_text(self, key: impl Into<JsonKey>) -> JsonText<T> {
        JsonText::extended(self.path, key.into())
    }

    fn leaf(self, op: Op, value: &(impl Serialize + ?Sized)) -> Filter<T> {
        Filter::new(Condition::json_leaf(Cow::Owned(self.path), op, value))
    }

    /// `= value`, compared as JSON.
    pub fn eq(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Eq, &value)
    }

    /// `<> value`, compared as JSON.
    pub fn neq(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Neq, &value)
    }

    /// `> value` in jsonb's order (numbers by value, strings as text, …).
    pub fn gt(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Gt, &value)
    }

    /// `>= value` in jsonb's order.
    pub fn gte(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Gte, &value)
    }

    /// `< value` in jsonb's order.
    pub fn lt(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Lt, &value)
    }

    /// `<= value` in jsonb's order.
    pub fn lte(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Lte, &value)
    }

    /// One of `values`, each compared as JSON.
    #[doc(alias = "in")]
    pub fn in_<V: Serialize>(self, values: impl IntoIterator<Item = V>) -> Filter<T> {
        self.leaf(Op::In, &values.into_iter().collect::<Vec<_>>())
    }

    /// Contains `value` (jsonb `@>`): `json("tags").contains(["a"])`.
    pub fn contains(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::Contains, &value)
    }

    /// Contained in `value` (jsonb `<@`).
    pub fn contained_by(self, value: impl Serialize) -> Filter<T> {
        self.leaf(Op::ContainedBy, &value)
    }
}

impl<T> JsonText<T> {
    /// `IS NULL`: the path leads nowhere, or to a JSON `null`.
    pub fn is_null(self) -> Filter<T> {
        Filter::new(Condition::is_leaf(Cow::Owned(self.path), Is::Null))
    }

    /// `IS NOT NULL`: the path leads to a value other than `null`.
    pub fn is_not_null(self) -> Filter<T> {
        !self.is_null()
    }

    fn leaf(self, op: Op, value: &(impl Serialize + ?Sized)) -> Filter<T> {
        Filter::new(Condition::leaf(Cow::Owned(self.path), op, value))
    }

    /// `= value`, compared as text.
    pub fn eq(self, value: impl ValueOf<String>) -> Filter<T> {
        self.leaf(Op::Eq, &value)
    }

    /// `<> value`, compared as text.
    pub fn neq(self, value: impl ValueOf<String>) -> Filter<T> {
        self.leaf(Op::Neq, &value)
    }

    /// `> value`, in text order.
    pub fn gt(self, value: impl ValueOf<String>) -> Filter<T> {
        self.leaf(Op::Gt, &value)
    }

    /// `>= value`, in text order.
    pub fn gte(self, value: impl ValueOf<String>) -> Filter<T> {
        self.leaf(Op::Gte, &value)
    }

    /// `< value`, in text order.
    pub fn lt(self, value: impl ValueOf<String>) -> Filter<T> {
        self.leaf(Op::Lt, &value)
    }

    /// `<= value`, in text order.
    pub fn lte(self, value: impl ValueOf<String>) -> Filter<T> {
        self.leaf(Op::Lte, &value)
    }

    /// One of `values`.
    #[doc(alias = "in")]
    pub fn in_<V: ValueOf<String>>(self, values: impl IntoIterator<Item = V>) -> Filter<T> {
        self.leaf(Op::In, &values.into_iter().collect::<Vec<_>>())
    }

    /// `LIKE pattern`.
    pub fn like(self, pattern: &str) -> Filter<T> {
        self.leaf(Op::Like, pattern)
    }

    /// `ILIKE pattern`.
    pub fn ilike(self, pattern: &str) -> Filter<T> {
        self.leaf(Op::Ilike, pattern)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(key: impl Into<JsonKey>) -> String {
        JsonText::<()>::new("c", key.into()).path
    }

    #[test]
    fn keys_are_quoted_unless_plain() {
        assert_eq!(text("postcode"), "c->>postcode");
        assert_eq!(text("post_code$1"), "c->>post_code$1");
        assert_eq!(text("straße"), "c->>\"straße\"");
        assert_eq!(text(3usize), "c->>3");
        assert_eq!(text(0), "c->>0");
        assert_eq!(text(-1), "c->>-1");
        // A key of digits is a key, not an index.
        assert_eq!(text("0"), "c->>\"0\"");
        assert_eq!(text("post code"), "c->>\"post code\"");
        assert_eq!(text("a->b"), "c->>\"a->b\"");
        assert_eq!(text("say \"hi\""), "c->>\"say \\\"hi\\\"\"");
        assert_eq!(text(""), "c->>\"\"");
        let path = JsonPath::<()>::new("c", "a".into()).json(1).json_text("b");
        assert_eq!(path.as_str(), "c->a->1->>b");
    }
}
