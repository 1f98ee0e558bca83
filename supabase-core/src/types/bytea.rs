//! [`Bytea`]: `bytea` values, which PostgREST sends as `\x`-prefixed hex strings.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A `bytea` value. On the wire (JSON) it is Postgres's hex format, `"\\x48690a"`.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytea(pub Vec<u8>);

impl Bytea {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

impl From<Vec<u8>> for Bytea {
    fn from(bytes: Vec<u8>) -> Self {
        Bytea(bytes)
    }
}

impl From<&[u8]> for Bytea {
    fn from(bytes: &[u8]) -> Self {
        Bytea(bytes.to_vec())
    }
}

impl fmt::Debug for Bytea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bytea({} bytes)", self.0.len())
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(2 + bytes.len() * 2);
    out.push_str("\\x");
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let digits = s
        .strip_prefix("\\x")
        .ok_or_else(|| format!("a bytea in hex format starts with `\\x`, got `{s:.20}`"))?;
    if digits.len() % 2 != 0 {
        return Err("a bytea hex string has an odd number of digits".into());
    }
    let value = |c: u8| {
        char::from(c)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| format!("`{}` is not a hex digit", char::from(c)))
    };
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| Ok(value(pair[0])? << 4 | value(pair[1])?))
        .collect()
}

impl Serialize for Bytea {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytea {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HexVisitor;
        impl Visitor<'_> for HexVisitor {
            type Value = Bytea;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a bytea hex string like \"\\\\x0a0b\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Bytea, E> {
                unhex(s).map(Bytea).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(HexVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_postgres_hex() {
        let b = Bytea(vec![0, 0x48, 0xff]);
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#""\\x0048ff""#);
        assert_eq!(serde_json::from_str::<Bytea>(&json).unwrap(), b);
        assert!(serde_json::from_str::<Bytea>(r#""0048""#).is_err());
        assert!(serde_json::from_str::<Bytea>(r#""\\x0""#).is_err());
        assert!(serde_json::from_str::<Bytea>(r#""\\xzz""#).is_err());
    }
}
