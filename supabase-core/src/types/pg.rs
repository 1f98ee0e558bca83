//! [`Pg`]: a value read and written in Postgres's own text form, for Rust types whose serde
//! form is not the one PostgREST speaks.
//!
//! PostgREST's JSON carries timestamps, dates and times as Postgres writes them
//! (`"2024-01-01T12:00:00.5+00:00"`, and `"2024-01-01 12:00:00+00"` inside a range literal), and
//! `numeric` as a JSON number with every digit. The time crate's serde formats are other ones (a
//! space and a `+00:00:00` offset, or tuples without its `serde-human-readable` feature), and
//! rust_decimal's reads a number through an `f64`. `Pg<T>` reads and writes Postgres's forms
//! instead, wherever the value sits: a field, an `Option`, a `Vec`, a [`Range`](super::Range)
//! bound or a filter operand. Codegen maps `timestamptz`, `timestamp`, `date` and `time` to
//! `Pg<time::…>` under `time = true`, and `numeric` to `Pg<rust_decimal::Decimal>` under
//! `decimal = true`.

use std::fmt;
use std::ops::{Deref, DerefMut};

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A type with a Postgres text form, which [`Pg`] reads and writes. Implemented for the time
/// crate's date and time types (feature `time`) and for `rust_decimal::Decimal` (feature
/// `decimal`); implement it for your own types the same way.
pub trait PgText: Sized {
    /// PostgREST sends the type as a JSON number (`numeric`), rather than a string: `Pg` then
    /// reads the number's exact text from the body, which needs serde_json as the
    /// deserializer (its `RawValue`; typed realtime records are read from their text too).
    /// From a `serde_json::Value` the text is the `f64`'s, already rounded; inside
    /// `#[serde(flatten)]` or an untagged enum serde buffers the value and no `RawValue` can
    /// be read.
    const JSON_NUMBER: bool = false;

    /// The value from Postgres's text (without JSON quotes).
    fn parse_pg(text: &str) -> Result<Self, String>;

    /// The value as Postgres reads it back.
    fn write_pg(&self) -> Result<String, String>;
}

/// `T` in Postgres's text form on the wire.
///
/// PostgREST's JSON carries timestamps, dates and times as Postgres writes them
/// (`"2024-01-01T12:00:00.5+00:00"`, and `"2024-01-01 12:00:00+00"` inside a range literal), and
/// `numeric` as a JSON number with every digit. The time crate's serde forms are other ones, and
/// rust_decimal's reads a number through an `f64`. `Pg<T>` reads and writes Postgres's forms
/// (through [`PgText`]) wherever the value sits: a field, an `Option`, a `Vec`, a
/// [`Range`](super::Range) bound or a filter operand. It derefs to `T`, and `From<T>` lets the
/// derive's insert and update setters take a `T` directly.
///
/// ```
/// # #[cfg(feature = "decimal")] {
/// use supabase_core::types::Pg;
/// use rust_decimal::Decimal;
///
/// // Every digit of a `numeric`, which an `f64` would round.
/// let v: Pg<Decimal> = serde_json::from_str("12345678901234567.89").unwrap();
/// assert_eq!(v.to_string(), "12345678901234567.89");
/// assert_eq!(serde_json::to_string(&v).unwrap(), r#""12345678901234567.89""#);
/// # }
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pg<T>(pub T);

impl<T> Pg<T> {
    /// The value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Pg<T> {
    fn from(value: T) -> Self {
        Pg(value)
    }
}

impl<T> Deref for Pg<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Pg<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Pg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: fmt::Display> fmt::Display for Pg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: PgText> Serialize for Pg<T> {
    /// A JSON string, which PostgREST hands to the column type's input function (for
    /// `numeric` too: a string keeps every digit without serde_json's `arbitrary_precision`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let text = self.0.write_pg().map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&text)
    }
}

impl<'de, T: PgText> Deserialize<'de> for Pg<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if T::JSON_NUMBER {
            let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
            let text = raw.get();
            let parsed = if text.starts_with('"') {
                let unquoted: String = serde_json::from_str(text).map_err(de::Error::custom)?;
                T::parse_pg(&unquoted)
            } else {
                T::parse_pg(text)
            };
            return parsed.map(Pg).map_err(de::Error::custom);
        }
        struct Text<T>(std::marker::PhantomData<T>);
        impl<T: PgText> Visitor<'_> for Text<T> {
            type Value = Pg<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a {} in Postgres's text form",
                    std::any::type_name::<T>()
                )
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Pg<T>, E> {
                T::parse_pg(text).map(Pg).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Text(std::marker::PhantomData))
    }
}

impl<T: crate::table::Ordered> crate::table::Ordered for Pg<T> {}

/// `oid`, which PostgREST sends as a JSON string (`"16384"`): only Postgres's integer, float and
/// `numeric` types become JSON numbers (`json_categorize_type`).
impl PgText for u32 {
    fn parse_pg(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|e| format!("`{text:.40}` is not an oid: {e}"))
    }

    fn write_pg(&self) -> Result<String, String> {
        Ok(self.to_string())
    }
}

#[cfg(feature = "decimal")]
impl PgText for rust_decimal::Decimal {
    const JSON_NUMBER: bool = true;

    /// Every digit, or an error: a value rust_decimal cannot hold exactly (more than 28
    /// significant digits, a scale above 28, `NaN`, `Infinity`) is refused, never rounded.
    /// Postgres writes no exponent, so one means the number went through an `f64` on the way
    /// (a `serde_json::Value`, or a server that decoded it), its digits lost: refused too.
    fn parse_pg(text: &str) -> Result<Self, String> {
        if text.contains(['e', 'E']) {
            return Err(format!(
                "`{text:.40}` went through an f64 (an exponent), so its exact digits are lost"
            ));
        }
        rust_decimal::Decimal::from_str_exact(text)
            .map_err(|e| format!("`{text:.40}` is not a numeric rust_decimal holds exactly: {e}"))
    }

    fn write_pg(&self) -> Result<String, String> {
        Ok(self.to_string())
    }
}

#[cfg(feature = "time")]
mod time_text {
    //! The time crate's types in Postgres's forms. Postgres writes `2024-01-01T12:00:00+00:00`
    //! in JSON and `2024-01-01 12:00:00+00` in range literals and realtime records, a fraction
    //! only when there is one, an offset with seconds for old local times (`+00:19:32`), and
    //! years before 1 as `0044-03-15 BC` (Postgres's `EncodeDateOnly`, `EncodeDateTime`).

    use std::borrow::Cow;

    use time::format_description::BorrowedFormatItem;
    use time::macros::format_description;
    use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

    use super::PgText;

    const DATE: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");
    const TIME: &[BorrowedFormatItem<'_>] =
        format_description!("[hour]:[minute]:[second][optional [.[subsecond]]]");
    const DATE_TIME: &[BorrowedFormatItem<'_>] = format_description!(
        "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    const DATE_TIME_OFFSET: &[BorrowedFormatItem<'_>] = format_description!(
        "[year]-[month]-[day][first [T][ ]][hour]:[minute]:[second][optional [.[subsecond]]]\
         [offset_hour sign:mandatory][optional [:[offset_minute]]][optional [:[offset_second]]]"
    );
    const WRITE_TIME: &[BorrowedFormatItem<'_>] =
        format_description!("[hour]:[minute]:[second].[subsecond]");

    /// The text with a ` BC` year rewritten as the proleptic year the time crate counts
    /// (`0044-03-15 BC` → `-0043-03-15`, `0001-02-29 BC` → `0000-02-29`, a leap day), so
    /// the date is checked in its own year.
    fn proleptic(text: &str) -> Cow<'_, str> {
        let Some(rest) = text.strip_suffix(" BC") else {
            return Cow::Borrowed(text);
        };
        let Some((year, tail)) = rest.split_once('-') else {
            return Cow::Borrowed(text);
        };
        match year.parse::<i32>() {
            Ok(bc @ 1..) => {
                let year = 1 - bc;
                let sign = if year < 0 { "-" } else { "" };
                Cow::Owned(format!("{sign}{:04}-{tail}", year.unsigned_abs()))
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// `date` as Postgres reads it: `2024-02-29`, or `0044-03-15` with a ` BC` suffix for
    /// the proleptic year -43 (returned apart, since it follows the time and offset).
    fn write_date(date: Date) -> (String, &'static str) {
        let (year, suffix) = match date.year() {
            y if y > 0 => (y, ""),
            y => (1 - y, " BC"),
        };
        let text = format!("{year:04}-{:02}-{:02}", u8::from(date.month()), date.day());
        (text, suffix)
    }

    fn write_time(time: Time) -> Result<String, String> {
        time.format(WRITE_TIME).map_err(|e| e.to_string())
    }

    fn refused(text: &str, what: &str, e: impl std::fmt::Display) -> String {
        let why = match text {
            "infinity" | "-infinity" => format!("Postgres's `{text}` has no {what} value"),
            _ if text.starts_with("24:00:00") => {
                format!(
                    "Postgres's `24:00:00` has no {what} value (the time crate ends at 23:59:59.999999999)"
                )
            }
            _ => e.to_string(),
        };
        format!("`{text:.60}` is not a Postgres {what}: {why}")
    }

    impl PgText for Date {
        fn parse_pg(text: &str) -> Result<Self, String> {
            Date::parse(&proleptic(text), DATE).map_err(|e| refused(text, "date", e))
        }
        fn write_pg(&self) -> Result<String, String> {
            let (date, suffix) = write_date(*self);
            Ok(date + suffix)
        }
    }

    impl PgText for Time {
        fn parse_pg(text: &str) -> Result<Self, String> {
            Time::parse(text, TIME).map_err(|e| refused(text, "time", e))
        }
        fn write_pg(&self) -> Result<String, String> {
            write_time(*self)
        }
    }

    impl PgText for PrimitiveDateTime {
        fn parse_pg(text: &str) -> Result<Self, String> {
            PrimitiveDateTime::parse(&proleptic(text), DATE_TIME)
                .map_err(|e| refused(text, "timestamp", e))
        }
        fn write_pg(&self) -> Result<String, String> {
            let (date, suffix) = write_date(self.date());
            Ok(format!("{date}T{}{suffix}", write_time(self.time())?))
        }
    }

    impl PgText for OffsetDateTime {
        fn parse_pg(text: &str) -> Result<Self, String> {
            OffsetDateTime::parse(&proleptic(text), DATE_TIME_OFFSET)
                .map_err(|e| refused(text, "timestamptz", e))
        }
        /// In UTC (`+00:00`): a timestamptz is an instant, and UTC needs no offset seconds.
        fn write_pg(&self) -> Result<String, String> {
            let utc = self
                .checked_to_offset(UtcOffset::UTC)
                .ok_or_else(|| format!("{self} is outside the time crate's years in UTC"))?;
            let (date, suffix) = write_date(utc.date());
            Ok(format!("{date}T{}+00:00{suffix}", write_time(utc.time())?))
        }
    }

    impl crate::table::Ordered for Date {}
    impl crate::table::Ordered for Time {}
    impl crate::table::Ordered for PrimitiveDateTime {}
    impl crate::table::Ordered for OffsetDateTime {}
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "decimal")]
    #[test]
    fn numeric_keeps_every_digit_and_refuses_what_it_cannot_hold() {
        use super::Pg;
        use rust_decimal::Decimal;
        let read = |json: &str| serde_json::from_str::<Pg<Decimal>>(json).map(|d| d.to_string());
        assert_eq!(
            read("12345678901234567.89").unwrap(),
            "12345678901234567.89"
        );
        assert_eq!(read("0.10").unwrap(), "0.10");
        assert_eq!(read("-5").unwrap(), "-5");
        // A string (a range bound, a value sent as text) reads the same.
        assert_eq!(read(r#""12.50""#).unwrap(), "12.50");
        // Postgres writes NaN as a string; more than 28 digits do not fit: errors, not rounding.
        assert!(read(r#""NaN""#).unwrap_err().to_string().contains("NaN"));
        assert!(read("1234567890123456789012345678901.5").is_err());
        // A number that went through an f64 (a `Value`) has an exponent and lost its digits.
        let through_value = serde_json::json!(12345678901234567.89);
        let e = serde_json::from_value::<Pg<Decimal>>(through_value).unwrap_err();
        assert!(e.to_string().contains("went through an f64"), "{e}");
        let value = serde_json::from_str::<Pg<Decimal>>("1.005").unwrap();
        assert_eq!(serde_json::to_string(&value).unwrap(), r#""1.005""#);
    }

    #[cfg(feature = "time")]
    mod time {
        use time::macros::{date, datetime, time};
        use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

        use crate::types::{Pg, Range};

        fn read<T: super::super::PgText>(json: &str) -> Result<T, String> {
            serde_json::from_str::<Pg<T>>(json)
                .map(Pg::into_inner)
                .map_err(|e| e.to_string())
        }

        fn write<T: super::super::PgText>(value: T) -> String {
            serde_json::to_string(&Pg(value)).unwrap()
        }

        #[test]
        fn reads_what_postgres_writes() {
            assert_eq!(
                read::<OffsetDateTime>(r#""2024-01-01T12:00:00+00:00""#),
                Ok(datetime!(2024-01-01 12:00 UTC))
            );
            assert_eq!(
                read::<OffsetDateTime>(r#""2024-01-01T12:00:00.123456+05:30""#),
                Ok(datetime!(2024-01-01 12:00:00.123456 +05:30))
            );
            // Range bounds and realtime records: a space and a short offset; old local times.
            assert_eq!(
                read::<OffsetDateTime>(r#""2024-01-01 12:00:00+00""#),
                Ok(datetime!(2024-01-01 12:00 UTC))
            );
            assert_eq!(
                read::<OffsetDateTime>(r#""1850-01-01T00:00:00+00:19:32""#),
                Ok(datetime!(1850-01-01 00:00 +00:19:32))
            );
            assert_eq!(
                read::<PrimitiveDateTime>(r#""2024-02-29T23:59:59.5""#),
                Ok(datetime!(2024-02-29 23:59:59.5))
            );
            assert_eq!(read::<Date>(r#""2024-02-29""#), Ok(date!(2024 - 02 - 29)));
            assert_eq!(
                read::<Date>(r#""0044-03-15 BC""#),
                Ok(date!(-0043 - 03 - 15))
            );
            assert_eq!(read::<Time>(r#""08:30:00""#), Ok(time!(08:30)));
            assert_eq!(read::<Time>(r#""08:30:00.25""#), Ok(time!(08:30:00.25)));
        }

        #[test]
        fn writes_what_postgres_reads() {
            assert_eq!(
                write(datetime!(2024-01-01 17:30 +05:30)),
                r#""2024-01-01T12:00:00.0+00:00""#
            );
            assert_eq!(
                write(datetime!(2024-01-01 12:00:00.25)),
                r#""2024-01-01T12:00:00.25""#
            );
            assert_eq!(write(date!(-0043 - 03 - 15)), r#""0044-03-15 BC""#);
            assert_eq!(write(time!(08:30)), r#""08:30:00.0""#);
            // Year 1 BC (proleptic 0) is a leap year; 5 BC too.
            assert_eq!(write(date!(-0004 - 02 - 29)), r#""0005-02-29 BC""#);
            assert_eq!(
                write(datetime!(-0043-03-15 10:00 UTC)),
                r#""0044-03-15T10:00:00.0+00:00 BC""#
            );
            for text in [
                "2024-02-29",
                "0001-01-01 BC",
                "0001-02-29 BC",
                "0005-02-29 BC",
            ] {
                let date: Date = read(&format!("\"{text}\"")).unwrap();
                assert_eq!(write(date), format!("\"{text}\""));
            }
        }

        #[test]
        fn refuses_what_it_cannot_hold_with_the_reason() {
            let e = read::<OffsetDateTime>(r#""infinity""#).unwrap_err();
            assert!(e.contains("`infinity` has no timestamptz value"), "{e}");
            assert!(read::<Date>(r#""2024-02-30""#).is_err());
            let e = read::<Date>(r#""20240101""#).unwrap_err();
            assert!(e.contains("is not a Postgres date"), "{e}");
            let e = read::<Time>(r#""24:00:00""#).unwrap_err();
            assert!(e.contains("`24:00:00` has no time value"), "{e}");
            // Years beyond the time crate's ±9999 in UTC: an error, not a panic.
            let far = time::macros::datetime!(9999-12-31 23:00 -05:00);
            assert!(serde_json::to_string(&Pg(far)).is_err());
        }

        #[test]
        fn works_inside_ranges_options_and_vectors() {
            let r: Range<Pg<OffsetDateTime>> = serde_json::from_str(
                r#""[\"2024-01-01 00:00:00+00\",\"2024-01-02 00:00:00+00\")""#,
            )
            .unwrap();
            assert!(r.contains(&Pg(datetime!(2024-01-01 12:00 UTC))));
            let days: Range<Pg<Date>> =
                serde_json::from_str(r#""[2024-01-01,2024-01-03)""#).unwrap();
            assert!(days.contains(&Pg(date!(2024 - 01 - 02))));
            let many: Vec<Option<Pg<Time>>> =
                serde_json::from_str(r#"["08:00:00", null]"#).unwrap();
            assert_eq!(many, [Some(Pg(time!(08:00))), None]);
        }
    }
}
