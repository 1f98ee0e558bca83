//! [`Multirange`]: Postgres multirange values (`int4multirange`, `tstzmultirange`, …, Postgres
//! 14+), which PostgREST reads and writes as multirange literals like `"{[1,3),[5,7)}"`.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};

use super::Range;

/// An ordered set of non-overlapping, non-adjacent ranges of `T`; empty when it has none.
///
/// On the wire it is Postgres's multirange literal: its ranges' literals in braces
/// (`"{[1,3),[5,7)}"`, `"{}"`). Postgres keeps a multirange normalised (sorted, merged, without
/// empty ranges), so what it sends back may differ from what was written.
///
/// ```
/// use supabase_core::types::{Multirange, Range};
/// let m = Multirange(vec![(1..3).into(), (5..7).into()]);
/// assert_eq!(serde_json::to_string(&m).unwrap(), r#""{[1,3),[5,7)}""#);
/// assert_eq!(serde_json::from_str::<Multirange<i32>>(r#""{[1,3),[5,7)}""#).unwrap(), m);
/// assert!(m.contains(&6) && !m.contains(&4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Multirange<T>(pub Vec<Range<T>>);

impl<T> Default for Multirange<T> {
    fn default() -> Self {
        Multirange(Vec::new())
    }
}

impl<T> Multirange<T> {
    /// Whether `value` lies in one of the ranges.
    pub fn contains(&self, value: &T) -> bool
    where
        T: PartialOrd,
    {
        self.0.iter().any(|r| r.contains(value))
    }
}

impl<T> FromIterator<Range<T>> for Multirange<T> {
    fn from_iter<I: IntoIterator<Item = Range<T>>>(ranges: I) -> Self {
        Multirange(ranges.into_iter().collect())
    }
}

impl<T: Serialize> Serialize for Multirange<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = String::from("{");
        for (i, range) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&range.literal().map_err(serde::ser::Error::custom)?);
        }
        out.push('}');
        serializer.serialize_str(&out)
    }
}

/// The range literals of a multirange literal, as written between its braces.
fn range_literals(text: &str) -> Result<Vec<&str>, String> {
    let bad = || format!("`{text}` is not a multirange literal");
    let inner = text
        .trim()
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .ok_or_else(bad)?;
    let bytes = inner.as_bytes();
    let mut literals = Vec::new();
    let mut at = 0;
    loop {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        if at == bytes.len() && literals.is_empty() {
            return Ok(literals);
        }
        // One range literal: from its `[`/`(` to the first `]`/`)` outside quotes.
        if !matches!(bytes.get(at), Some(b'[' | b'(')) {
            return Err(bad());
        }
        let start = at;
        let mut in_quotes = false;
        let end = loop {
            at += 1;
            match bytes.get(at) {
                None => return Err(bad()),
                Some(b'\\') => at += 1,
                Some(b'"') => in_quotes = !in_quotes,
                Some(b']' | b')') if !in_quotes => break at + 1,
                Some(_) => {}
            }
        };
        literals.push(&inner[start..end]);
        at = end;
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        match bytes.get(at) {
            None => return Ok(literals),
            Some(b',') => at += 1,
            Some(_) => return Err(bad()),
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Multirange<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        range_literals(&text)
            .map_err(D::Error::custom)?
            .into_iter()
            .map(|literal| Range::parse_literal(literal).map_err(D::Error::custom))
            .collect()
    }
}

impl<T: fmt::Display> fmt::Display for Multirange<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, range) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{range}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use serde_json::Value;

    use super::*;

    fn parse<T: DeserializeOwned>(s: &str) -> Result<Multirange<T>, serde_json::Error> {
        serde_json::from_value(Value::String(s.to_owned()))
    }

    #[test]
    fn reads_postgres_multirange_output() {
        assert_eq!(parse::<i32>("{}").unwrap(), Multirange::default());
        assert_eq!(
            parse::<i32>("{[1,3),[5,7)}").unwrap(),
            Multirange(vec![Range::closed_open(1, 3), Range::closed_open(5, 7)])
        );
        assert_eq!(
            parse::<i64>("{(,0], [10,)}").unwrap(),
            Multirange(vec![
                Range::new(Bound::Unbounded, Bound::Included(0)),
                Range::new(Bound::Included(10), Bound::Unbounded),
            ])
        );
        // Quoted bounds may hold the delimiters.
        assert_eq!(
            parse::<String>(r#"{["a)b","c\"]"),["x","y"]}"#).unwrap(),
            Multirange(vec![
                Range::closed_open("a)b".to_owned(), "c\"]".to_owned()),
                Range::closed("x".to_owned(), "y".to_owned()),
            ])
        );
        for bad in [
            "",
            "[1,3)",
            "{[1,3)",
            "{[1,3) [5,7)}",
            "{[1,3),}",
            "{,}",
            "{[1,3),x}",
        ] {
            assert!(parse::<i32>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn writes_multirange_literals() {
        let m: Multirange<String> = [Range::closed("a,b".into(), "c".into())]
            .into_iter()
            .collect();
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            Value::String(r#"{["a,b","c"]}"#.into())
        );
        assert_eq!(
            serde_json::to_value(Multirange::<i32>::default()).unwrap(),
            Value::String("{}".into())
        );
        let m = Multirange(vec![Range::closed_open(1, 3), Range::closed_open(5, 7)]);
        assert_eq!(m.to_string(), "{[1,3),[5,7)}");
        assert_eq!(parse::<i32>(&m.to_string()).unwrap(), m);
    }
}
