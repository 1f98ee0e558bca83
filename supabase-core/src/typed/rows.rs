//! The reader behind the page decoder `#[derive(Table)]` generates ([`Table::decode_rows`]).
//!
//! A typed read selects exactly the struct's columns, so PostgREST writes every row with the
//! same keys in the same order: `[{"id":1,"name":"Earth"},…]`. The generated decoder matches
//! each key as one comparison of bytes, in that order, and reads each value straight into the
//! field: integers, floats, booleans, strings, options and vectors of those by the readers
//! here ([`ReadValue`](crate::typed::rows::ReadValue)), any other type by its own
//! `Deserialize` through serde_json ([`Via`](crate::typed::rows::Via)). No intermediate
//! structure (simd-json's tape, serde's visitor walk over keys) is built.
//!
//! Every reader gives exactly what serde_json gives for the same text, or `None`: the decoder
//! then gives up on the page and serde_json decodes it, so it has the final word on anything
//! unusual (a row with other keys, a number no reader here matches exactly, a malformed body).
//!
//! [`Table::decode_rows`]: crate::table::Table::decode_rows

use std::marker::PhantomData;

use serde::de::DeserializeOwned;

/// A JSON text read forward from `pos`.
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The position only: the text is row data.
        f.debug_struct("Reader")
            .field("pos", &self.pos)
            .field("len", &self.text.len())
            .finish()
    }
}

/// A top-level array of rows, each read by `row`; `None` unless the whole text is that array.
/// `rows` is the number of rows if known (from `Content-Range`), to size the vector once.
pub fn rows<'a, T>(
    json: &'a str,
    rows: Option<usize>,
    mut row: impl FnMut(&mut Reader<'a>) -> Option<T>,
) -> Option<Vec<T>> {
    let mut reader = Reader { text: json, pos: 0 };
    reader.eat(b'[')?;
    // A row takes at least `{}`, and the count only sizes the first 1 MiB: a wrong count
    // cannot make a large allocation (as `RowsHint` on the serde path).
    let most = (1 << 20) / std::mem::size_of::<T>().max(1);
    let mut out = Vec::with_capacity(rows.unwrap_or(0).min(json.len() / 2).min(most));
    reader.array_items(&mut out, &mut row)?;
    reader.skip_whitespace();
    (reader.pos == json.len()).then_some(out)
}

impl<'a> Reader<'a> {
    /// The items of an array whose `[` was read, each by `item`, into `out`; then its `]`.
    fn array_items<T>(
        &mut self,
        out: &mut Vec<T>,
        item: &mut impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<()> {
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(());
        }
        loop {
            // Postgres's `json_agg` puts `\n ` between rows: skipped here, so a row's keys are
            // then matched in one comparison each.
            self.skip_whitespace();
            out.push(item(self)?);
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace, then `byte`.
    #[inline]
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Skips whitespace, then the literal `word` (`null`, `true`, …) if it is next.
    fn eat_word(&mut self, word: &str) -> bool {
        self.skip_whitespace();
        let found = self.bytes()[self.pos..].starts_with(word.as_bytes());
        if found {
            self.pos += word.len();
        }
        found
    }

    /// The key `name` and its colon, after the object's `{` (`first`) or a `,` (the others).
    /// `name` is matched as written, so a name the text escapes never matches: the caller
    /// (the derive) only generates keys with no `"`, `\` or control character.
    ///
    /// Inlined into the generated decoder, where `name` is a constant: the comparison becomes
    /// a few loads.
    #[inline]
    pub fn key(&mut self, first: bool, name: &str) -> Option<()> {
        let open = if first { b'{' } else { b',' };
        // PostgREST writes `,"name":` with no whitespace: one comparison.
        let rest = &self.bytes()[self.pos..];
        let n = name.len();
        // One length check up front, so the ones below compile away.
        if rest.len() > n + 3
            && rest[0] == open
            && starts_with_quoted(&rest[1..], name)
            && rest[n + 3] == b':'
        {
            self.pos += n + 4;
            return Some(());
        }
        self.spaced_key(open, name)
    }

    /// [`key`](Self::key) with whitespace around its tokens.
    fn spaced_key(&mut self, open: u8, name: &str) -> Option<()> {
        self.eat(open)?;
        self.skip_whitespace();
        if !starts_with_quoted(&self.bytes()[self.pos..], name) {
            return None;
        }
        self.pos += name.len() + 2;
        self.eat(b':')
    }

    /// The `}` closing a row.
    #[inline]
    pub fn end_object(&mut self) -> Option<()> {
        self.eat(b'}')
    }

    /// The next value, decoded by `T`'s `Deserialize` with serde_json.
    ///
    /// A fresh deserializer allows 128 levels of nesting, where serde_json decoding the whole
    /// page allows a field's value 125 (the page's array and the row's object take two, and
    /// the limit is reached at the 128th): a value with more opening brackets than that, in
    /// strings or not, is left to serde_json.
    fn serde<T: DeserializeOwned>(&mut self) -> Option<T> {
        const FIELD_DEPTH: usize = 125;
        self.skip_whitespace();
        let rest = &self.text[self.pos..];
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<T>();
        let value = values.next()?.ok()?;
        let text = &rest.as_bytes()[..values.byte_offset()];
        if text.len() > FIELD_DEPTH
            && text.iter().filter(|&&b| b == b'[' || b == b'{').count() > FIELD_DEPTH
        {
            return None;
        }
        self.pos += text.len();
        Some(value)
    }

    /// A string: its text between the quotes, unescaped.
    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = self.plain_run(start)?;
        if self.bytes()[end] == b'"' {
            self.pos = end + 1;
            return Some(self.text[start..end].to_owned());
        }
        self.escaped_string(start, end)
    }

    /// Where the run of plain characters from `from` ends: at the next `"` or `\`. `None`
    /// at the end of the text or at a control character, which JSON does not allow unescaped.
    fn plain_run(&self, from: usize) -> Option<usize> {
        let bytes = self.bytes();
        let mut at = from;
        // Eight bytes a step (most strings end within one or two), then byte by byte.
        while let Some(chunk) = bytes.get(at..at + 8) {
            let word = u64::from_le_bytes(chunk.try_into().ok()?);
            let stops = special_bytes(word);
            if stops != 0 {
                at += (stops.trailing_zeros() / 8) as usize;
                return (bytes[at] >= 0x20).then_some(at);
            }
            at += 8;
        }
        loop {
            match *bytes.get(at)? {
                b'"' | b'\\' => return Some(at),
                0..0x20 => return None,
                _ => at += 1,
            }
        }
    }

    /// The rest of a string whose plain run from `start` stopped at a `\` at `at`.
    fn escaped_string(&mut self, start: usize, mut at: usize) -> Option<String> {
        let bytes = self.bytes();
        let mut out = String::with_capacity(at - start + 8);
        out.push_str(&self.text[start..at]);
        while bytes[at] == b'\\' {
            let escape = *bytes.get(at + 1)?;
            at += 2;
            let unescaped = match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let (c, len) = self.unicode_escape(at)?;
                    at += len;
                    c
                }
                _ => return None,
            };
            out.push(unescaped);
            let end = self.plain_run(at)?;
            out.push_str(&self.text[at..end]);
            at = end;
        }
        self.pos = at + 1;
        Some(out)
    }

    /// The character of the `\u` escape whose hex digits start at `at`, and how many bytes
    /// after `at` it takes: 4, or 10 for a surrogate pair (`\ud83d\ude00`). A lone surrogate
    /// is `None` (serde_json rejects it in a string).
    fn unicode_escape(&self, at: usize) -> Option<(char, usize)> {
        let high = self.hex4(at)?;
        if !(0xD800..=0xDFFF).contains(&high) {
            return Some((char::from_u32(high)?, 4));
        }
        if high >= 0xDC00 || self.bytes().get(at + 4..at + 6)? != b"\\u" {
            return None;
        }
        let low = self.hex4(at + 6)?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            return None;
        }
        let c = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))?;
        Some((c, 10))
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.text.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    /// A number as serde_json reads it: a non-negative integer as `U`, a negative one as `I`
    /// (`-0` and anything below `i64::MIN` as `F`, as serde_json does), and a decimal as `F`.
    fn number(&mut self) -> Option<Number> {
        self.skip_whitespace();
        let bytes = self.bytes();
        let start = self.pos;
        let negative = bytes.get(start) == Some(&b'-');
        let int_start = start + usize::from(negative);
        // The significand is accumulated as the digits are scanned; it wraps past 19 digits,
        // where it is not used as it is.
        let mut significand = 0u64;
        let mut at = int_start;
        while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
            significand = significand
                .wrapping_mul(10)
                .wrapping_add(u64::from(digit - b'0'));
            at += 1;
        }
        let int_len = at - int_start;
        if int_len == 0 || (int_len > 1 && bytes[int_start] == b'0') {
            return None;
        }
        let decimal = matches!(bytes.get(at), Some(b'.' | b'e' | b'E'));
        if !decimal && int_len <= 19 {
            self.pos = at;
            return Some(Number::integer(negative, significand));
        }
        let mut fraction_len = 0;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            let fraction_start = at;
            while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
                significand = significand
                    .wrapping_mul(10)
                    .wrapping_add(u64::from(digit - b'0'));
                at += 1;
            }
            fraction_len = at - fraction_start;
            if fraction_len == 0 {
                return None;
            }
        }
        let mut exponent = 0i64;
        if let Some(b'e' | b'E') = bytes.get(at) {
            at += 1;
            let exponent_negative = bytes.get(at) == Some(&b'-');
            at += usize::from(matches!(bytes.get(at), Some(b'+' | b'-')));
            let exponent_start = at;
            while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
                // Capped: far past any `f64`, and no overflow.
                exponent = (exponent * 10 + i64::from(digit - b'0')).min(1 << 20);
                at += 1;
            }
            if at == exponent_start {
                return None;
            }
            if exponent_negative {
                exponent = -exponent;
            }
        }
        self.pos = at;
        if !decimal {
            // Twenty digits or more: a `u64` if it fits, else a float (below).
            let digits = &bytes[int_start..at];
            if let Some(value) = digits.iter().try_fold(0u64, |n, d| {
                n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
            }) {
                return Some(Number::integer(negative, value));
            }
        }
        let scale = exponent - i64::try_from(fraction_len).ok()?;
        let value = match exact_decimal(significand, int_len + fraction_len, scale) {
            Some(value) if negative => -value,
            Some(value) => value,
            None => serde_json::from_str::<f64>(&self.text[start..at]).ok()?,
        };
        Some(Number::F(value))
    }
}

/// `significand × 10^scale` (`digits` being the significand's digit count) when it can be
/// computed with one correctly rounded operation: at most 15 digits (exact in an `f64`)
/// scaled by a power of ten up to 10^22 (also exact). That is the correctly rounded value,
/// which serde_json (with `float_roundtrip`, or on this path without it) gives too; anything
/// else is `None`.
fn exact_decimal(significand: u64, digits: usize, scale: i64) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    if digits > 15 {
        return None;
    }
    let power = *POW10.get(usize::try_from(scale.unsigned_abs()).ok()?)?;
    let significand = significand as f64;
    Some(if scale >= 0 {
        significand * power
    } else {
        significand / power
    })
}

/// Whether `bytes` starts with `name` between quotes.
#[inline]
fn starts_with_quoted(bytes: &[u8], name: &str) -> bool {
    let end = name.len() + 1;
    bytes.len() > end && bytes[0] == b'"' && bytes[end] == b'"' && &bytes[1..end] == name.as_bytes()
}

/// The high bit of each byte of `word` that is `"`, `\` or below 0x20 is set, and no bit of a
/// byte before the first such byte (bits of later bytes may be set by the subtraction's borrow,
/// so only the lowest set bit is exact).
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    quote | backslash | control
}

/// A JSON number, as serde_json hands it to a visitor.
enum Number {
    U(u64),
    I(i64),
    F(f64),
}

impl Number {
    /// The integer `value`, negated if `negative`, as serde_json reads it: what does not
    /// negate into a negative `i64` (`-0`, below `i64::MIN`) is a float.
    fn integer(negative: bool, value: u64) -> Number {
        if !negative {
            return Number::U(value);
        }
        let negated = (value as i64).wrapping_neg();
        if negated >= 0 {
            Number::F(-(value as f64))
        } else {
            Number::I(negated)
        }
    }
}

/// A type whose value the [`Reader`] decodes directly, exactly as its `Deserialize` with
/// serde_json would. (Not `f32`: serde_json rounds a decimal to it directly, not through
/// `f64`, and rejects what overflows it.)
pub trait ReadValue: Sized {
    /// The next value, or `None` when it is not one serde_json would decode into `Self` the
    /// same way.
    fn read(reader: &mut Reader<'_>) -> Option<Self>;
}

macro_rules! read_integer {
    ($($t:ty)*) => {$(
        impl ReadValue for $t {
            fn read(reader: &mut Reader<'_>) -> Option<Self> {
                match reader.number()? {
                    Number::U(n) => n.try_into().ok(),
                    Number::I(n) => n.try_into().ok(),
                    Number::F(_) => None,
                }
            }
        }
    )*};
}
read_integer!(i8 i16 i32 i64 u8 u16 u32 u64);

impl ReadValue for f64 {
    fn read(reader: &mut Reader<'_>) -> Option<Self> {
        Some(match reader.number()? {
            Number::U(n) => n as f64,
            Number::I(n) => n as f64,
            Number::F(n) => n,
        })
    }
}

impl ReadValue for bool {
    fn read(reader: &mut Reader<'_>) -> Option<Self> {
        if reader.eat_word("true") {
            Some(true)
        } else if reader.eat_word("false") {
            Some(false)
        } else {
            None
        }
    }
}

impl ReadValue for String {
    fn read(reader: &mut Reader<'_>) -> Option<Self> {
        reader.string()
    }
}

impl<T: ReadValue> ReadValue for Option<T> {
    fn read(reader: &mut Reader<'_>) -> Option<Self> {
        if reader.eat_word("null") {
            Some(None)
        } else {
            T::read(reader).map(Some)
        }
    }
}

impl<T: ReadValue> ReadValue for Vec<T> {
    fn read(reader: &mut Reader<'_>) -> Option<Self> {
        reader.eat(b'[')?;
        let mut out = Vec::new();
        reader.array_items(&mut out, &mut T::read)?;
        Some(out)
    }
}

/// Picks the reader of a field's type in generated code, where the type is known:
/// `(&&Via::<T>::NEW).read_value(reader)` resolves to [`ReadDirect`] when `T` implements
/// [`ReadValue`], else to [`ReadSerde`] (`T`'s own `Deserialize`). Method resolution tries
/// the receiver `&&Via<T>` before dereferencing it to `&Via<T>`, which orders the two.
#[derive(Debug)]
pub struct Via<T>(PhantomData<fn() -> T>);

impl<T> Via<T> {
    /// The value to call the readers on.
    pub const NEW: Self = Via(PhantomData);
}

/// The direct reader, for a [`ReadValue`] type (see [`Via`]).
pub trait ReadDirect<T> {
    /// The next value.
    fn read_value(&self, reader: &mut Reader<'_>) -> Option<T>;
}

impl<T: ReadValue> ReadDirect<T> for &Via<T> {
    fn read_value(&self, reader: &mut Reader<'_>) -> Option<T> {
        T::read(reader)
    }
}

/// The fallback reader: the type's own `Deserialize`, with serde_json (see [`Via`]).
pub trait ReadSerde<T> {
    /// The next value.
    fn read_value(&self, reader: &mut Reader<'_>) -> Option<T>;
}

impl<T: DeserializeOwned> ReadSerde<T> for Via<T> {
    fn read_value(&self, reader: &mut Reader<'_>) -> Option<T> {
        reader.serde()
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// `text` read whole as a `T` by the direct reader.
    fn read<T: ReadValue>(text: &str) -> Option<T> {
        let mut reader = Reader { text, pos: 0 };
        let value = T::read(&mut reader)?;
        reader.skip_whitespace();
        (reader.pos == text.len()).then_some(value)
    }

    /// Whatever the reader gives for `text` is what serde_json gives; returns whether it gave
    /// anything.
    fn agrees<T: ReadValue + DeserializeOwned + PartialEq + Debug>(text: &str) -> bool {
        let Some(value) = read::<T>(text) else {
            return false;
        };
        match serde_json::from_str::<T>(text) {
            Ok(expected) => assert_eq!(value, expected, "{text:?}"),
            Err(e) => panic!("read {value:?} from {text:?}, which serde_json rejects: {e}"),
        }
        true
    }

    /// The same for floats, bit for bit (`-0.0` is not `0.0`).
    fn float_agrees(text: &str) -> bool {
        let Some(value) = read::<f64>(text) else {
            return false;
        };
        let expected: f64 = serde_json::from_str(text).expect("serde_json reads it");
        assert_eq!(value.to_bits(), expected.to_bits(), "{text:?}");
        true
    }

    fn all_number_types_agree(text: &str) {
        agrees::<i8>(text);
        agrees::<i16>(text);
        agrees::<i32>(text);
        agrees::<i64>(text);
        agrees::<u8>(text);
        agrees::<u16>(text);
        agrees::<u32>(text);
        agrees::<u64>(text);
        float_agrees(text);
    }

    #[test]
    fn numbers_read_as_serde_json_reads_them() {
        for text in [
            "0",
            "-0",
            "7",
            "-7",
            "127",
            "128",
            "-129",
            "255",
            "256",
            "65535",
            "-32769",
            "4294967295",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "1.5",
            "-0.0",
            "0.1",
            "1e3",
            "1E-3",
            "2.5e+2",
            "123456789012345",
            "1234567890123456",
            "0.000001",
            "1e22",
            "1e23",
            "1e-22",
            "1e-23",
            "1.7976931348623157e308",
            "5e-324",
            "1e400",
        ] {
            all_number_types_agree(text);
        }
        // Each of these has a value only in the types that hold it.
        assert!(agrees::<i64>("-9223372036854775808"));
        assert!(!agrees::<i64>("9223372036854775808"));
        assert!(agrees::<u64>("18446744073709551615"));
        assert!(!agrees::<u64>("18446744073709551616"));
        assert!(!agrees::<u8>("256"));
        assert!(!agrees::<i64>("-0"), "serde_json reads -0 as a float");
        assert!(!agrees::<i64>("1.0"));
        assert!(float_agrees("-0"));
        assert!(float_agrees("1.5"));
        // Not JSON: no value, whatever the type.
        for text in [
            "01", "-", "1.", ".5", "1e", "1e+", "+1", "--1", "0x10", "NaN", "1_000",
        ] {
            assert!(read::<i64>(text).is_none(), "{text}");
            assert!(read::<f64>(text).is_none(), "{text}");
        }
    }

    #[test]
    fn short_decimals_are_computed_without_serde_json() {
        assert_eq!(exact_decimal(15, 2, -1), Some(1.5));
        assert_eq!(exact_decimal(74985, 5, -1), Some(7498.5));
        assert_eq!(exact_decimal(1225, 4, 0), Some(1225.0));
        assert_eq!(exact_decimal(3, 1, -1), Some(0.3));
        assert_eq!(exact_decimal(1, 1, 22), Some(1e22));
        // Past 15 digits or 10^22, serde_json computes it.
        assert_eq!(exact_decimal(1_234_567_890_123_456, 16, -15), None);
        assert_eq!(exact_decimal(1, 1, 23), None);
        assert_eq!(exact_decimal(1, 1, -23), None);
    }

    #[test]
    fn strings_read_as_serde_json_reads_them() {
        for text in [
            r#""""#,
            r#""plain""#,
            r#""ünïcödé 🦀""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u0000\uFFFF""#,
            r#""\ud83e\udd80 crab""#,
            r#""tail\n""#,
        ] {
            assert!(agrees::<String>(text), "{text}");
        }
        for text in [
            "\"raw\ncontrol\"",
            r#""lone \ud83e""#,
            r#""lone \udd80""#,
            r#""\ud83e\u0041""#,
            r#""bad \x""#,
            r#""\u12G4""#,
            r#""unterminated"#,
            r#""unterminated\"#,
        ] {
            assert!(read::<String>(text).is_none(), "{text}");
        }
    }

    #[test]
    fn a_special_byte_is_found_at_every_position_of_the_eight_byte_steps() {
        for len in 0..24 {
            for at in 0..len {
                for special in ['"', '\\', '\u{1}', '\u{1f}', '\u{7f}', 'é', '\u{80}'] {
                    let mut text: String = "a".repeat(len);
                    text.replace_range(at..=at, &special.to_string());
                    for quoted in [format!("\"{text}\""), format!("\"{text}\" ")] {
                        let read = read::<String>(&quoted);
                        let serde = serde_json::from_str::<String>(&quoted).ok();
                        assert_eq!(read, serde, "{quoted:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn options_vectors_and_booleans() {
        assert!(agrees::<Option<i64>>("null"));
        assert!(agrees::<Option<i64>>("5"));
        assert!(agrees::<Vec<String>>(r#"["a", "b" ,"c"]"#));
        assert!(agrees::<Vec<i32>>("[ ]"));
        assert!(agrees::<Vec<Option<bool>>>("[true,null,false]"));
        assert!(agrees::<Vec<Vec<u8>>>("[[1,2],[]]"));
        assert!(read::<Vec<i32>>("[1,]").is_none());
        assert!(read::<Vec<i32>>("[1 2]").is_none());
        assert!(read::<bool>("nul").is_none());
    }

    /// A row of three columns, read as the derive's decoder reads it.
    type Row = (i64, Option<String>, Value);

    // The `&&` is what picks the reader (see `Via`).
    #[allow(clippy::needless_borrow)]
    fn decode(json: &str) -> Option<Vec<Row>> {
        rows(json, None, |reader| {
            reader.key(true, "id")?;
            let id = (&&Via::<i64>::NEW).read_value(reader)?;
            reader.key(false, "name")?;
            let name = (&&Via::<Option<String>>::NEW).read_value(reader)?;
            reader.key(false, "extra")?;
            // No direct reader: the type's own `Deserialize`.
            let extra = (&&Via::<Value>::NEW).read_value(reader)?;
            reader.end_object()?;
            Some((id, name, extra))
        })
    }

    #[test]
    fn rows_in_column_order_decode_and_anything_else_is_left_to_serde() {
        let json = r#"[{"id":1,"name":"a","extra":{"k":[1,2.5,"x"]}},
            { "id" : 2 , "name" : null , "extra" : 3 } ]"#;
        let rows = decode(json).expect("decoded");
        assert_eq!(
            rows,
            vec![
                (1, Some("a".into()), serde_json::json!({"k": [1, 2.5, "x"]})),
                (2, None, serde_json::json!(3)),
            ]
        );
        assert_eq!(decode("[]"), Some(vec![]));
        assert_eq!(decode(" [ ] "), Some(vec![]));
        for other in [
            // Keys in another order, missing, extra, or another name.
            r#"[{"name":"a","id":1,"extra":0}]"#,
            r#"[{"id":1,"name":"a"}]"#,
            r#"[{"id":1,"name":"a","extra":0,"more":1}]"#,
            r#"[{"id":1,"nam":"a","extra":0}]"#,
            r#"[{"id":1,"name\u0065":"a","extra":0}]"#,
            // Not an array of objects, or something after it.
            r#"{"id":1,"name":"a","extra":0}"#,
            r#"[{"id":1,"name":"a","extra":0}] x"#,
            r#"[{"id":1,"name":"a","extra":0},]"#,
            r#"[{"id":1,"name":"a","extra":0}"#,
            r#"[{"id":1,"name":"a","extra":}]"#,
            "",
        ] {
            assert_eq!(decode(other), None, "{other}");
        }
    }

    #[test]
    fn a_value_nested_deeper_than_the_page_allows_is_left_to_serde_json() {
        use crate::table::Table;

        #[derive(crate::Table, serde::Deserialize, Debug, PartialEq)]
        #[supabase(table = "nested")]
        struct Nested {
            id: i64,
            extra: Value,
        }
        let page = |depth: usize| {
            format!(
                r#"[{{"id":1,"extra":{}{}}}]"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        for depth in [1, 100, 125, 126, 127, 200] {
            let whole = serde_json::from_str::<Vec<Nested>>(&page(depth)).ok();
            assert_eq!(
                Nested::decode_rows(&page(depth), None),
                whole,
                "depth {depth}"
            );
        }
        assert!(Nested::decode_rows(&page(125), None).is_some());
    }

    #[test]
    fn a_wrong_row_count_does_not_allocate_for_it() {
        let empty = rows("[]", Some(usize::MAX), |_| Some(0u8)).expect("decoded");
        assert!(empty.capacity() <= 1);
        // Room for 2 million rows by the text's length, but rows of 512 bytes: 1 MiB's worth.
        let spaced = format!("[0{}]", " ".repeat(4_000_000));
        let big = rows(&spaced, Some(usize::MAX), |r| Some([u64::read(r)?; 64])).expect("decoded");
        assert_eq!(big.len(), 1);
        assert_eq!(big.capacity(), 2048);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_number_text_reads_as_serde_json_reads_it(
            text in r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,4})?",
        ) {
            all_number_types_agree(&text);
        }

        #[test]
        fn any_float_reads_back_exactly(value in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            for text in [value.to_string(), format!("{value:e}"), serde_json::to_string(&value).unwrap()] {
                prop_assert!(float_agrees(&text), "{}", text);
            }
        }

        #[test]
        fn any_integer_reads_back(value in any::<i64>(), unsigned in any::<u64>()) {
            prop_assert!(agrees::<i64>(&value.to_string()));
            prop_assert!(agrees::<u64>(&unsigned.to_string()));
        }

        #[test]
        fn any_string_reads_back(value in any::<String>()) {
            let text = serde_json::to_string(&value).unwrap();
            prop_assert!(agrees::<String>(&text), "{}", text);
        }

        #[test]
        fn any_escaped_text_reads_as_serde_json_reads_it(
            parts in proptest::collection::vec(
                prop_oneof![
                    r"[a-z é🦀]{0,5}",
                    r#"\\["\\/bfnrt]"#,
                    r"\\u[0-9a-fA-F]{4}",
                    r"\\u[dD][89abAB][0-9a-fA-F]{2}(\\u[dD][c-fC-F][0-9a-fA-F]{2})?",
                    r"[\x00-\x1f]",
                    r"\\[a-z]",
                ],
                0..6,
            ),
        ) {
            let text = format!("\"{}\"", parts.concat());
            agrees::<String>(&text);
        }
    }
}
