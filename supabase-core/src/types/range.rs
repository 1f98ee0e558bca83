//! [`Range`]: Postgres range values (`int4range`, `numrange`, `tstzrange`, `daterange`, …),
//! which PostgREST reads and writes as range literals like `"[1,10)"`.

use std::fmt;
use std::ops::Bound;

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// A range of `T`: empty, or two bounds each inclusive, exclusive or unbounded.
///
/// On the wire it is Postgres's range literal (`"[1,10)"`, `"(,\"2024-01-01 00:00:00+00\"]"`,
/// `"empty"`), so it works as a column type and as a filter operand.
///
/// ```
/// use supabase_core::types::Range;
/// let r: Range<i32> = (1..10).into();
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#""[1,10)""#);
/// assert_eq!(serde_json::from_str::<Range<i32>>(r#""[1,10)""#).unwrap(), r);
/// assert!(r.contains(&9) && !r.contains(&10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Range<T> {
    /// The empty range (`'empty'`).
    Empty,
    /// A range between two bounds.
    Bounded(Bound<T>, Bound<T>),
}

impl<T> Range<T> {
    /// A range from its bounds.
    pub fn new(lower: Bound<T>, upper: Bound<T>) -> Self {
        Range::Bounded(lower, upper)
    }

    /// `[lower, upper)`, Postgres's canonical form for discrete types.
    pub fn closed_open(lower: T, upper: T) -> Self {
        Range::Bounded(Bound::Included(lower), Bound::Excluded(upper))
    }

    /// `[lower, upper]`.
    pub fn closed(lower: T, upper: T) -> Self {
        Range::Bounded(Bound::Included(lower), Bound::Included(upper))
    }

    /// The lower bound (`Unbounded` for an empty range).
    pub fn lower(&self) -> Bound<&T> {
        match self {
            Range::Empty => Bound::Unbounded,
            Range::Bounded(l, _) => l.as_ref(),
        }
    }

    /// The upper bound (`Unbounded` for an empty range).
    pub fn upper(&self) -> Bound<&T> {
        match self {
            Range::Empty => Bound::Unbounded,
            Range::Bounded(_, u) => u.as_ref(),
        }
    }

    /// Whether `value` lies in the range.
    pub fn contains(&self, value: &T) -> bool
    where
        T: PartialOrd,
    {
        match self {
            Range::Empty => false,
            Range::Bounded(l, u) => {
                std::ops::RangeBounds::contains(&(l.as_ref(), u.as_ref()), value)
            }
        }
    }
}

impl<T> From<std::ops::Range<T>> for Range<T> {
    fn from(r: std::ops::Range<T>) -> Self {
        Range::closed_open(r.start, r.end)
    }
}

impl<T> From<std::ops::RangeInclusive<T>> for Range<T> {
    fn from(r: std::ops::RangeInclusive<T>) -> Self {
        let (start, end) = r.into_inner();
        Range::closed(start, end)
    }
}

/// A bound's value as range-literal text: numbers as they are, strings double-quoted.
fn bound_text<T: Serialize>(value: &T) -> Result<String, String> {
    match serde_json::to_value(value).map_err(|e| e.to_string())? {
        Value::String(s) => Ok(format!(
            "\"{}\"",
            s.replace('\\', "\\\\").replace('"', "\\\"")
        )),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!("a range bound must be a scalar, not {other}")),
    }
}

impl<T: Serialize> Range<T> {
    /// The range literal: `[1,10)`, `(,"b"]`, `empty`.
    pub(super) fn literal(&self) -> Result<String, String> {
        let (l, u) = match self {
            Range::Empty => return Ok("empty".to_owned()),
            Range::Bounded(l, u) => (l, u),
        };
        let side = |b: &Bound<T>| -> Result<String, String> {
            match b {
                Bound::Included(v) | Bound::Excluded(v) => bound_text(v),
                Bound::Unbounded => Ok(String::new()),
            }
        };
        let open = if matches!(l, Bound::Included(_)) {
            '['
        } else {
            '('
        };
        let close = if matches!(u, Bound::Included(_)) {
            ']'
        } else {
            ')'
        };
        Ok(format!("{open}{},{}{close}", side(l)?, side(u)?))
    }
}

impl<T: Serialize> Serialize for Range<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.literal().map_err(S::Error::custom)?)
    }
}

/// Splits the inside of a range literal at its top-level comma, unquoting quoted bounds.
/// `None` for an empty (unbounded) side.
fn split_bounds(inner: &str) -> Result<(Option<String>, Option<String>), String> {
    let mut parts = vec![String::new()];
    let mut quoted = vec![false];
    let (mut in_quotes, mut chars) = (false, inner.chars());
    while let Some(c) = chars.next() {
        let last = parts.len() - 1;
        match c {
            '"' if in_quotes && chars.as_str().starts_with('"') => {
                chars.next();
                parts[last].push('"');
            }
            '"' => {
                in_quotes = !in_quotes;
                quoted[last] = true;
            }
            '\\' => parts[last].extend(chars.next()),
            ',' if !in_quotes => {
                parts.push(String::new());
                quoted.push(false);
            }
            c => parts[last].push(c),
        }
    }
    if parts.len() != 2 || in_quotes {
        return Err(format!("`{inner}` is not two range bounds"));
    }
    let side = |i: usize| (quoted[i] || !parts[i].is_empty()).then(|| parts[i].clone());
    Ok((side(0), side(1)))
}

/// A bound's text as `T`: as a JSON string first (text, timestamps, dates), then as a JSON
/// literal (numbers). Postgres writes a timestamptz bound's offset as `+00`; RFC 3339 parsers
/// want `+00:00`, so that form is tried as well.
fn parse_bound<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let as_string = |s: &str| serde_json::from_value::<T>(Value::String(s.to_owned()));
    as_string(text)
        .or_else(|e| {
            // Postgres writes timestamps with a space (`2024-01-01 10:00:00+00`); RFC 3339
            // parsers (chrono's `NaiveDateTime`, `DateTime`) want a `T` and a `+00:00` offset.
            let bytes = text.as_bytes();
            let n = bytes.len();
            let mut iso = text.to_owned();
            if n > 10 && bytes[4] == b'-' && bytes[7] == b'-' && bytes[10] == b' ' {
                iso.replace_range(10..11, "T");
            }
            let short_offset = n > 3
                && matches!(bytes[n - 3], b'+' | b'-')
                && bytes[n - 2..].iter().all(u8::is_ascii_digit);
            if short_offset {
                iso.push_str(":00");
            }
            if iso == text { Err(e) } else { as_string(&iso) }
        })
        .or_else(|e| serde_json::from_str::<T>(text).map_err(|_| e))
        .map_err(|e| format!("range bound `{text}`: {e}"))
}

impl<T: DeserializeOwned> Range<T> {
    /// A range read from its literal (`[1,10)`, `empty`).
    pub(super) fn parse_literal(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("empty") {
            return Ok(Range::Empty);
        }
        let bad = || format!("`{text}` is not a range literal");
        let lower_inclusive = match text.chars().next() {
            Some('[') => true,
            Some('(') => false,
            _ => return Err(bad()),
        };
        let upper_inclusive = match text.chars().last() {
            Some(']') => true,
            Some(')') => false,
            _ => return Err(bad()),
        };
        let inner = text.get(1..text.len() - 1).ok_or_else(bad)?;
        let (l, u) = split_bounds(inner)?;
        let bound = |text: Option<String>, inclusive: bool| -> Result<Bound<T>, String> {
            Ok(match text {
                None => Bound::Unbounded,
                Some(t) => {
                    let v = parse_bound(&t)?;
                    if inclusive {
                        Bound::Included(v)
                    } else {
                        Bound::Excluded(v)
                    }
                }
            })
        };
        Ok(Range::Bounded(
            bound(l, lower_inclusive)?,
            bound(u, upper_inclusive)?,
        ))
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Range<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Range::parse_literal(&String::deserialize(deserializer)?).map_err(D::Error::custom)
    }
}

impl<T: fmt::Display> fmt::Display for Range<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Empty => f.write_str("empty"),
            Range::Bounded(l, u) => {
                let open = if matches!(l, Bound::Included(_)) {
                    '['
                } else {
                    '('
                };
                let close = if matches!(u, Bound::Included(_)) {
                    ']'
                } else {
                    ')'
                };
                let side = |b: &Bound<T>| match b {
                    Bound::Included(v) | Bound::Excluded(v) => v.to_string(),
                    Bound::Unbounded => String::new(),
                };
                write!(f, "{open}{},{}{close}", side(l), side(u))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "chrono")]
    #[test]
    fn timestamp_bounds_as_postgres_writes_them_decode_with_chrono() {
        // tsrange and tstzrange: a space between date and time, a `+00` offset.
        let naive: Range<chrono::NaiveDateTime> =
            parse(r#"["2024-01-01 00:00:00","2024-01-02 12:30:00.5")"#).unwrap();
        let Range::Bounded(Bound::Included(from), Bound::Excluded(to)) = naive else {
            panic!("{naive:?}");
        };
        assert_eq!(from.to_string(), "2024-01-01 00:00:00");
        assert_eq!(to.to_string(), "2024-01-02 12:30:00.500");
        let aware: Range<chrono::DateTime<chrono::Utc>> =
            parse(r#"["2024-01-01 00:00:00+00",)"#).unwrap();
        let Range::Bounded(Bound::Included(from), Bound::Unbounded) = aware else {
            panic!("{aware:?}");
        };
        assert_eq!(from.to_rfc3339(), "2024-01-01T00:00:00+00:00");
    }

    fn parse<T: DeserializeOwned>(s: &str) -> Result<Range<T>, serde_json::Error> {
        serde_json::from_value(Value::String(s.to_owned()))
    }

    #[test]
    fn reads_postgres_range_output() {
        assert_eq!(parse::<i32>("[1,10)").unwrap(), Range::closed_open(1, 10));
        assert_eq!(parse::<i32>("empty").unwrap(), Range::Empty);
        assert_eq!(
            parse::<i64>("(,5]").unwrap(),
            Range::new(Bound::Unbounded, Bound::Included(5))
        );
        assert_eq!(
            parse::<String>(r#"["a,b","c\"d")"#).unwrap(),
            Range::closed_open("a,b".to_owned(), "c\"d".to_owned())
        );
        assert_eq!(
            parse::<f64>("[1.5,)").unwrap(),
            Range::new(Bound::Included(1.5), Bound::Unbounded)
        );
        assert!(parse::<i32>("[1,2,3)").is_err());
        assert!(parse::<i32>("1,2").is_err());
        assert!(parse::<i32>("[a,2)").is_err());
    }

    #[test]
    fn writes_range_literals() {
        let r: Range<String> = Range::closed("a b".into(), "q\"".into());
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            Value::String(r#"["a b","q\""]"#.into())
        );
        let r: Range<i32> = Range::new(Bound::Excluded(1), Bound::Unbounded);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            Value::String("(1,)".into())
        );
        assert_eq!(r.to_string(), "(1,)");
    }
}
