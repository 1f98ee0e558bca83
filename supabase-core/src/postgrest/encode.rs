//! The one place where values become PostgREST filter text.
//!
//! Any `Serialize` value is first turned into a [`Literal`] (scalar, list or JSON), then written
//! in the syntax of the place it goes to. PostgREST's grammar (`ApiRequest/QueryParams.hs`):
//!
//! * a top-level operand (`?name=eq.<value>`) is taken verbatim up to the end of the parameter,
//!   so it needs no quoting, only percent-encoding;
//! * `in.(…)` list elements and operands inside `or=(…)`/`and(…)` trees end at `,` or `)`
//!   unless double-quoted; inside quotes a backslash escapes the next character;
//! * array literals (`cs.{…}`) and range literals (`sr.(…)`) are parsed by Postgres itself, whose
//!   quoting rules are the same: `"…"` with `\"` and `\\`.
//!
//! Strings are therefore always double-quoted wherever quoting exists, so no value can end a
//! list, open a nested condition or change an operator. The one thing no encoding can prevent is
//! PostgREST's own rewriting of `*` to `%` in `like`/`ilike` patterns.

use std::fmt::Write as _;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;
use serde::ser;

use crate::error::{Error, Result};

/// Characters left as they are in query strings (beyond ASCII letters and digits): the ones
/// PostgREST's syntax uses, so built URLs stay readable. Everything else is percent-encoded —
/// notably `&`, `=`, `+` (which would read as a space), `%`, `#`, `"` and spaces.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b',')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b':')
    .remove(b'!');

/// The bytes [`QUERY`] leaves as they are, as a table for the fast path of [`push_encoded`]
/// (checked against [`QUERY`] by a test).
const QUERY_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'_' | b'.' | b'~' | b',' | b'(' | b')' | b'*' | b':' | b'!'
            );
        b += 1;
    }
    table
};

/// Characters percent-encoded in a path segment (table and function names).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Appends `key=value&…` to `out`, percent-encoding both sides.
pub(crate) fn write_query<K: AsRef<str>, V: AsRef<str>>(out: &mut String, params: &[(K, V)]) {
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(out, k.as_ref());
        out.push('=');
        push_encoded(out, v.as_ref());
    }
}

/// Appends `s` percent-encoded with [`QUERY`]. Most keys and values (column names, numbers,
/// operators) need no encoding and are copied whole.
fn push_encoded(out: &mut String, s: &str) {
    if s.bytes().all(|b| QUERY_SAFE[usize::from(b)]) {
        out.push_str(s);
    } else {
        out.extend(utf8_percent_encode(s, QUERY));
    }
}

/// A table or function name as one URL path segment.
pub(crate) fn path_segment(name: &str) -> String {
    // Most names need no encoding: copied whole, without the encoder's per-character iteration.
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    if name.bytes().all(unreserved) {
        name.to_owned()
    } else {
        utf8_percent_encode(name, SEGMENT).to_string()
    }
}

/// A value reduced to what PostgREST can express.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Null,
    Bool(bool),
    /// A number, already in Postgres's text form (`NaN` and `Infinity` included).
    Number(String),
    Text(String),
    List(Vec<Literal>),
    /// A map or struct, as JSON text.
    Json(String),
}

/// Where an operand goes: decides how a [`Literal`] is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `eq`, `gt`, `like`, … : the value itself (a list becomes an array literal).
    Plain,
    /// `in`: a parenthesised list.
    List,
    /// `like(all)` and friends: an array literal; a string is taken as the inside of one.
    Patterns,
    /// `cs`, `cd`, `ov`: a string is passed as written (a range or array literal), a list becomes
    /// an array literal, a map becomes JSON.
    Containment,
    /// `sr`, `nxl`, `sl`, `nxr`, `adj`: a string is a range literal as written; a two-element list
    /// becomes `(lower,upper)`.
    Range,
}

/// Renders `value` as the operand of an operator of the given shape (top-level syntax).
pub(crate) fn operand<V: Serialize + ?Sized>(shape: Shape, value: &V) -> Result<String> {
    let mut out = String::new();
    write_operand(shape, value, &mut out)?;
    Ok(out)
}

/// Appends `value`, rendered as by [`operand`], to `out`.
///
/// A scalar operand of a plain operator (`eq`, `gt`, `like`, …: most filters) is written
/// straight into `out`; anything else goes through a [`Literal`] first.
pub(crate) fn write_operand<V: Serialize + ?Sized>(
    shape: Shape,
    value: &V,
    out: &mut String,
) -> Result<()> {
    if shape == Shape::Plain {
        let start = out.len();
        if value.serialize(ScalarWriter(out)).is_ok() {
            return Ok(());
        }
        // Not a scalar (or its `Serialize` failed): the full path renders it or reports why.
        out.truncate(start);
    }
    let lit = to_literal(value)?;
    match (shape, lit) {
        (Shape::List, Literal::List(mut items)) => {
            // PostgREST reads `in.()` as the list `[""]` and treats that as the empty list, so a
            // lone empty string would vanish; `("","")` is the same set and survives.
            if items == [Literal::Text(String::new())] {
                items.push(Literal::Text(String::new()));
            }
            // PostgREST quotes every element into a text array (`pgBuildArrayLiteral`), so a
            // NULL would be the string "NULL", matching a row holding that text; in SQL, NULL
            // in an `IN` list never matches anyway.
            if items.contains(&Literal::Null) {
                return Err(Error::config(
                    "an `in` list cannot hold NULL (PostgREST would compare with the text \
                     \"NULL\"): test NULL with `is_null`, in an `or` if needed",
                ));
            }
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                match item {
                    // An array element (`in.("{a,b}",…)`, for an array column) is quoted
                    // whole: PostgREST's `pListElement` ends an unquoted one at any comma.
                    Literal::List(array) => {
                        let mut literal = String::new();
                        write_array(&mut literal, array);
                        write_quoted_str(out, &literal);
                    }
                    _ => item.write_quoted(out),
                }
            }
            out.push(')');
        }
        (Shape::List, other) => {
            return Err(Error::config(format!(
                "`in_` expects a list of values, got {}",
                other.kind()
            )));
        }
        (Shape::Patterns, Literal::Text(s)) => {
            out.push('{');
            out.push_str(&s);
            out.push('}');
        }
        (Shape::Range, Literal::List(items)) => {
            let [lower, upper] = items.as_slice() else {
                return Err(Error::config(format!(
                    "a range needs exactly two bounds, got {}",
                    items.len()
                )));
            };
            // A missing bound is an unbounded side, written empty (`(,5)`): range literals
            // have no NULL.
            out.push('(');
            if *lower != Literal::Null {
                lower.write_quoted(out);
            }
            out.push(',');
            if *upper != Literal::Null {
                upper.write_quoted(out);
            }
            out.push(')');
        }
        (Shape::Range, Literal::Text(s)) => out.push_str(&s),
        (Shape::Range, other) => {
            return Err(Error::config(format!(
                "a range must be a range literal string or two bounds, got {}",
                other.kind()
            )));
        }
        (_, lit) => lit.write_plain(out),
    }
    Ok(())
}

/// Quotes a rendered operand for use inside an `or=(…)` / `and(…)` tree, where an unquoted
/// value would end at the first `,` or `)`.
pub(crate) fn quote_for_tree(shape: Shape, rendered: &str) -> String {
    if shape == Shape::List {
        // A list is already a parenthesised run of quoted elements.
        return rendered.to_owned();
    }
    let mut out = String::with_capacity(rendered.len() + 2);
    write_quoted_str(&mut out, rendered);
    out
}

impl Literal {
    fn kind(&self) -> &'static str {
        match self {
            Literal::Null => "null",
            Literal::Bool(_) => "a boolean",
            Literal::Number(_) => "a number",
            Literal::Text(_) => "a string",
            Literal::List(_) => "a list",
            Literal::Json(_) => "an object",
        }
    }

    /// The value as a top-level operand.
    fn write_plain(&self, out: &mut String) {
        match self {
            Literal::Null => out.push_str("null"),
            Literal::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Literal::Number(n) => out.push_str(n),
            Literal::Text(s) | Literal::Json(s) => out.push_str(s),
            Literal::List(items) => write_array(out, items),
        }
    }

    /// The value as an element of a list or array literal: strings always quoted.
    fn write_quoted(&self, out: &mut String) {
        match self {
            Literal::Null => out.push_str("NULL"),
            Literal::Bool(_) | Literal::Number(_) => self.write_plain(out),
            Literal::Text(s) | Literal::Json(s) => write_quoted_str(out, s),
            Literal::List(items) => write_array(out, items),
        }
    }
}

/// A Postgres array literal: `{"a","b"}`.
fn write_array(out: &mut String, items: &[Literal]) {
    out.push('{');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item.write_quoted(out);
    }
    out.push('}');
}

/// `"…"` with `"` and `\` backslash-escaped: the quoting of PostgREST lists and trees and of
/// Postgres array and range literals alike.
pub(crate) fn write_quoted_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Turns any `Serialize` value into a [`Literal`].
pub(crate) fn to_literal<V: Serialize + ?Sized>(value: &V) -> Result<Literal> {
    value
        .serialize(LiteralSerializer)
        .map_err(|e| Error::Encode(e.0))
}

/// Turns any `Serialize` value into a JSON object map (for `match_` and RPC arguments).
pub(crate) fn to_object<V: Serialize + ?Sized>(
    value: &V,
    what: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    match serde_json::to_value(value).map_err(|e| Error::Encode(e.to_string()))? {
        serde_json::Value::Object(map) => Ok(map),
        serde_json::Value::Null => Ok(serde_json::Map::new()),
        other => Err(Error::config(format!(
            "{what} expects an object (a map or struct), got `{other}`"
        ))),
    }
}

#[derive(Debug)]
struct EncodeError(String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

struct LiteralSerializer;

type JsonSer = serde_json::value::Serializer;

fn number(n: impl std::fmt::Display) -> Literal {
    Literal::Number(n.to_string())
}

fn float(f: f64) -> Literal {
    let mut s = String::new();
    write_float(&mut s, f);
    Literal::Number(s)
}

/// `f` as Postgres reads it back: `NaN` and `±Infinity` spelled out, finite values in Rust's
/// shortest round-tripping form.
fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let _ = write!(out, "{f}");
    }
}

fn write_bytes(out: &mut String, v: &[u8]) {
    // PostgREST reads and writes bytea in Postgres's hex form.
    out.reserve(2 + v.len() * 2);
    out.push_str("\\x");
    for b in v {
        let _ = write!(out, "{b:02x}");
    }
}

fn json_error(e: serde_json::Error) -> EncodeError {
    // By value: it is the `map_err` callback.
    EncodeError(e.to_string())
}

impl ser::Serializer for LiteralSerializer {
    type Ok = Literal;
    type Error = EncodeError;
    type SerializeSeq = SeqLiteral;
    type SerializeTuple = SeqLiteral;
    type SerializeTupleStruct = SeqLiteral;
    type SerializeTupleVariant = JsonLiteral<<JsonSer as ser::Serializer>::SerializeTupleVariant>;
    type SerializeMap = JsonLiteral<<JsonSer as ser::Serializer>::SerializeMap>;
    type SerializeStruct = JsonLiteral<<JsonSer as ser::Serializer>::SerializeStruct>;
    type SerializeStructVariant = JsonLiteral<<JsonSer as ser::Serializer>::SerializeStructVariant>;

    fn serialize_bool(self, v: bool) -> Result<Literal, EncodeError> {
        Ok(Literal::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_u16(self, v: u16) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_u32(self, v: u32) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_u64(self, v: u64) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_u128(self, v: u128) -> Result<Literal, EncodeError> {
        Ok(number(v))
    }
    fn serialize_f32(self, v: f32) -> Result<Literal, EncodeError> {
        // Through the shortest f32 text, so 0.1f32 stays "0.1".
        if v.is_finite() {
            Ok(number(v))
        } else {
            Ok(float(f64::from(v)))
        }
    }
    fn serialize_f64(self, v: f64) -> Result<Literal, EncodeError> {
        Ok(float(v))
    }
    fn serialize_char(self, v: char) -> Result<Literal, EncodeError> {
        Ok(Literal::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Literal, EncodeError> {
        Ok(Literal::Text(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Literal, EncodeError> {
        let mut s = String::new();
        write_bytes(&mut s, v);
        Ok(Literal::Text(s))
    }
    fn serialize_none(self) -> Result<Literal, EncodeError> {
        Ok(Literal::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Literal, EncodeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Literal, EncodeError> {
        Ok(Literal::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Literal, EncodeError> {
        Ok(Literal::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Literal, EncodeError> {
        // Enums (Postgres enums included) travel as their (serde-renamed) variant name.
        Ok(Literal::Text(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Literal, EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Literal, EncodeError> {
        let v = ser::Serializer::serialize_newtype_variant(
            serde_json::value::Serializer,
            name,
            index,
            variant,
            value,
        )
        .map_err(json_error)?;
        Ok(Literal::Json(v.to_string()))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqLiteral, EncodeError> {
        Ok(SeqLiteral(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqLiteral, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqLiteral, EncodeError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        ser::Serializer::serialize_tuple_variant(
            serde_json::value::Serializer,
            name,
            index,
            variant,
            len,
        )
        .map(JsonLiteral)
        .map_err(json_error)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        ser::Serializer::serialize_map(serde_json::value::Serializer, len)
            .map(JsonLiteral)
            .map_err(json_error)
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        ser::Serializer::serialize_struct(serde_json::value::Serializer, name, len)
            .map(JsonLiteral)
            .map_err(json_error)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        ser::Serializer::serialize_struct_variant(
            serde_json::value::Serializer,
            name,
            index,
            variant,
            len,
        )
        .map(JsonLiteral)
        .map_err(json_error)
    }
}

/// Writes a scalar the way [`Literal::write_plain`] would, without building the literal; any
/// other value is refused ([`NotScalar`]) before anything is written.
struct ScalarWriter<'a>(&'a mut String);

#[derive(Debug)]
struct NotScalar;

impl std::fmt::Display for NotScalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a scalar")
    }
}

impl std::error::Error for NotScalar {}

impl ser::Error for NotScalar {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        NotScalar
    }
}

impl ScalarWriter<'_> {
    fn display(self, v: impl std::fmt::Display) -> Result<(), NotScalar> {
        let _ = write!(self.0, "{v}");
        Ok(())
    }
}

/// Serializer methods that write their integer as `Display` does.
macro_rules! display {
    ($($method:ident: $int:ty,)*) => {$(
        fn $method(self, v: $int) -> Result<(), NotScalar> {
            self.display(v)
        }
    )*};
}

type NoCompound = ser::Impossible<(), NotScalar>;

impl ser::Serializer for ScalarWriter<'_> {
    type Ok = ();
    type Error = NotScalar;
    type SerializeSeq = NoCompound;
    type SerializeTuple = NoCompound;
    type SerializeTupleStruct = NoCompound;
    type SerializeTupleVariant = NoCompound;
    type SerializeMap = NoCompound;
    type SerializeStruct = NoCompound;
    type SerializeStructVariant = NoCompound;

    fn serialize_bool(self, v: bool) -> Result<(), NotScalar> {
        self.0.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    display! {
        serialize_i8: i8,
        serialize_i16: i16,
        serialize_i32: i32,
        serialize_i64: i64,
        serialize_i128: i128,
        serialize_u8: u8,
        serialize_u16: u16,
        serialize_u32: u32,
        serialize_u64: u64,
        serialize_u128: u128,
    }
    fn serialize_f32(self, v: f32) -> Result<(), NotScalar> {
        if v.is_finite() {
            self.display(v)
        } else {
            self.serialize_f64(f64::from(v))
        }
    }
    fn serialize_f64(self, v: f64) -> Result<(), NotScalar> {
        write_float(self.0, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), NotScalar> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), NotScalar> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), NotScalar> {
        write_bytes(self.0, v);
        Ok(())
    }
    fn serialize_none(self) -> Result<(), NotScalar> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NotScalar> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), NotScalar> {
        self.0.push_str("null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), NotScalar> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), NotScalar> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), NotScalar> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), NotScalar> {
        Err(NotScalar)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple(self, _len: usize) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<NoCompound, NotScalar> {
        Err(NotScalar)
    }
}

/// Collects a sequence into [`Literal::List`].
struct SeqLiteral(Vec<Literal>);

impl ser::SerializeSeq for SeqLiteral {
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.0.push(value.serialize(LiteralSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Literal, EncodeError> {
        Ok(Literal::List(self.0))
    }
}

impl ser::SerializeTuple for SeqLiteral {
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Literal, EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqLiteral {
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Literal, EncodeError> {
        ser::SerializeSeq::end(self)
    }
}

/// Maps, structs and data-carrying enum variants: built by serde_json, kept as JSON text.
struct JsonLiteral<I>(I);

fn json_literal(v: Result<serde_json::Value, serde_json::Error>) -> Result<Literal, EncodeError> {
    Ok(Literal::Json(v.map_err(json_error)?.to_string()))
}

impl<I> ser::SerializeMap for JsonLiteral<I>
where
    I: ser::SerializeMap<Ok = serde_json::Value, Error = serde_json::Error>,
{
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        self.0.serialize_key(key).map_err(json_error)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.0.serialize_value(value).map_err(json_error)
    }
    fn end(self) -> Result<Literal, EncodeError> {
        json_literal(self.0.end())
    }
}

impl<I> ser::SerializeStruct for JsonLiteral<I>
where
    I: ser::SerializeStruct<Ok = serde_json::Value, Error = serde_json::Error>,
{
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.0.serialize_field(key, value).map_err(json_error)
    }
    fn end(self) -> Result<Literal, EncodeError> {
        json_literal(self.0.end())
    }
}

impl<I> ser::SerializeTupleVariant for JsonLiteral<I>
where
    I: ser::SerializeTupleVariant<Ok = serde_json::Value, Error = serde_json::Error>,
{
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.0.serialize_field(value).map_err(json_error)
    }
    fn end(self) -> Result<Literal, EncodeError> {
        json_literal(self.0.end())
    }
}

impl<I> ser::SerializeStructVariant for JsonLiteral<I>
where
    I: ser::SerializeStructVariant<Ok = serde_json::Value, Error = serde_json::Error>,
{
    type Ok = Literal;
    type Error = EncodeError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.0.serialize_field(key, value).map_err(json_error)
    }
    fn end(self) -> Result<Literal, EncodeError> {
        json_literal(self.0.end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_fast_path_table_is_the_query_set() {
        for b in 0..=255u8 {
            let encoded = utf8_percent_encode(std::str::from_utf8(&[b]).unwrap_or("\u{80}"), QUERY)
                .to_string();
            let unchanged = b.is_ascii() && encoded.as_bytes() == [b];
            assert_eq!(QUERY_SAFE[usize::from(b)], unchanged, "byte {b:#x}");
        }
        let mut out = String::new();
        write_query(
            &mut out,
            &[("a b", "x&y=é".to_owned()), ("id", "eq.5".to_owned())],
        );
        assert_eq!(out, "a%20b=x%26y%3D%C3%A9&id=eq.5");
    }

    #[test]
    fn path_segments_are_encoded_as_the_segment_set_says() {
        for b in 0..=127u8 {
            let name = format!("a{}b", char::from(b));
            assert_eq!(
                path_segment(&name),
                utf8_percent_encode(&name, SEGMENT).to_string(),
                "byte {b:#x}"
            );
        }
        assert_eq!(path_segment("bench_rows"), "bench_rows");
        assert_eq!(path_segment("my table/é"), "my%20table%2F%C3%A9");
    }

    fn plain<V: Serialize + ?Sized>(v: &V) -> String {
        operand(Shape::Plain, v).unwrap()
    }

    #[test]
    fn scalars_are_written_verbatim_at_top_level() {
        assert_eq!(plain("Earth"), "Earth");
        assert_eq!(plain("a,b.c:(d)\"e"), "a,b.c:(d)\"e");
        assert_eq!(plain(&42), "42");
        assert_eq!(plain(&-1.5), "-1.5");
        assert_eq!(plain(&f64::NAN), "NaN");
        assert_eq!(plain(&f64::NEG_INFINITY), "-Infinity");
        assert_eq!(plain(&true), "true");
        assert_eq!(plain(&None::<i32>), "null");
        assert_eq!(plain(&json!({"postcode": 90210})), r#"{"postcode":90210}"#);
    }

    #[test]
    fn the_scalar_writer_writes_what_the_literal_would() {
        #[derive(Serialize)]
        struct Id(i64);
        #[derive(Serialize)]
        enum Mood {
            #[serde(rename = "very happy")]
            VeryHappy,
        }
        fn both<V: Serialize>(v: V) {
            let mut literal = String::new();
            to_literal(&v).unwrap().write_plain(&mut literal);
            let mut direct = "eq.".to_owned();
            v.serialize(ScalarWriter(&mut direct)).unwrap();
            assert_eq!(direct.strip_prefix("eq."), Some(literal.as_str()));
            assert_eq!(plain(&v), literal);
        }
        both(true);
        both(-7i8);
        both(i64::MIN);
        both(u128::MAX);
        both(0.1f32);
        both(f32::INFINITY);
        both(f64::NAN);
        both(1e300);
        both(-0.0);
        both('é');
        both("a,b\"c");
        both(serde_bytes_like(&[0, 255]));
        both(Some(Some(3)));
        both(None::<String>);
        both(());
        both(Id(5));
        both(Mood::VeryHappy);
    }

    /// A value serialised with `serialize_bytes`.
    fn serde_bytes_like(b: &[u8]) -> impl Serialize + '_ {
        struct Bytes<'a>(&'a [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        Bytes(b)
    }

    #[test]
    fn compound_values_leave_no_trace_of_the_scalar_attempt() {
        let mut out = "cs.".to_owned();
        write_operand(Shape::Plain, &json!({"a": [1, 2]}), &mut out).unwrap();
        assert_eq!(out, r#"cs.{"a":[1,2]}"#);
        let mut out = "eq.".to_owned();
        write_operand(Shape::Plain, &Some(vec!["x"]), &mut out).unwrap();
        assert_eq!(out, r#"eq.{"x"}"#);
    }

    #[test]
    fn lists_quote_every_string() {
        assert_eq!(
            operand(Shape::List, &["Earth", "a,b", "q\"uote", "back\\slash"]).unwrap(),
            r#"("Earth","a,b","q\"uote","back\\slash")"#
        );
        assert_eq!(operand(Shape::List, &[1, 2, 3]).unwrap(), "(1,2,3)");
        assert_eq!(operand(Shape::List, &[""]).unwrap(), r#"("","")"#);
        assert_eq!(operand(Shape::List, &Vec::<String>::new()).unwrap(), "()");
        // An array element is quoted whole, or PostgREST would end it at its first comma.
        assert_eq!(
            operand(Shape::List, &[vec!["a", "b,c"], vec!["d"]]).unwrap(),
            r#"("{\"a\",\"b,c\"}","{\"d\"}")"#
        );
        assert!(operand(Shape::List, "Earth").is_err());
    }

    #[test]
    fn containment_by_value_kind() {
        assert_eq!(
            operand(Shape::Containment, &["is:open", "priority:low"]).unwrap(),
            r#"{"is:open","priority:low"}"#
        );
        assert_eq!(
            operand(Shape::Containment, "[2000-01-01 13:00, 2000-01-01 13:30)").unwrap(),
            "[2000-01-01 13:00, 2000-01-01 13:30)"
        );
        assert_eq!(operand(Shape::Containment, &json!({})).unwrap(), "{}");
    }

    #[test]
    fn ranges_from_two_bounds() {
        assert_eq!(
            operand(Shape::Range, &["2000-01-02 08:00", "2000-01-02 09:00"]).unwrap(),
            r#"("2000-01-02 08:00","2000-01-02 09:00")"#
        );
        assert!(operand(Shape::Range, &[1]).is_err());
        // A missing bound is an unbounded side.
        assert_eq!(
            operand(Shape::Range, &[None, Some("2000-01-02")]).unwrap(),
            r#"(,"2000-01-02")"#
        );
        assert_eq!(operand(Shape::Range, &[Some(3), None]).unwrap(), "(3,)");
    }

    #[test]
    fn an_in_list_refuses_null() {
        let err = operand(Shape::List, &[Some("a"), None]).unwrap_err();
        assert!(err.to_string().contains("is_null"), "{err}");
        assert_eq!(operand(Shape::List, &["NULL"]).unwrap(), r#"("NULL")"#);
    }

    #[test]
    fn patterns() {
        assert_eq!(operand(Shape::Patterns, "%a%,%b%").unwrap(), "{%a%,%b%}");
        assert_eq!(
            operand(Shape::Patterns, &["%a,%", "%b%"]).unwrap(),
            r#"{"%a,%","%b%"}"#
        );
    }

    #[test]
    fn tree_operands_are_quoted() {
        assert_eq!(quote_for_tree(Shape::Plain, "a,b)"), r#""a,b)""#);
        assert_eq!(quote_for_tree(Shape::List, r#"("a")"#), r#"("a")"#);
    }

    #[test]
    fn bytes_and_enums() {
        #[derive(Serialize)]
        enum Mood {
            #[serde(rename = "very happy")]
            VeryHappy,
        }
        assert_eq!(plain(&Mood::VeryHappy), "very happy");
        assert_eq!(
            ser::Serializer::serialize_bytes(LiteralSerializer, &[0xde, 0xad]).unwrap(),
            Literal::Text("\\xdead".into())
        );
    }

    #[test]
    fn query_strings_encode_reserved_url_characters() {
        let mut out = String::new();
        write_query(&mut out, &[("name", "eq.a&b=c+d e%#\""), ("select", "*")]);
        assert_eq!(out, "name=eq.a%26b%3Dc%2Bd%20e%25%23%22&select=*");
    }
}
