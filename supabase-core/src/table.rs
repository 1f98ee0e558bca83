//! The typed layer's vocabulary: [`Table`], [`Column`] and the value kinds that decide which
//! filters a column accepts.
//!
//! `#[derive(Table)]` implements these traits (you can also implement them by hand): the struct
//! becomes a [`Table`], and a module named after it (`Planet` → `planet`) gets one zero-sized type
//! per column implementing [`Column`] and [`ColumnOf<Planet>`](ColumnOf). Filters bound on
//! those traits, so a column of another table, a value of the wrong type or an operator the
//! column's type does not support is a compile error.
//!
//! # `#[derive(Table)]`
//!
//! On a struct with named fields, one per column; `supabase-codegen` writes these structs from a
//! live schema. The derive generates:
//!
//! - `impl Table` (name, schema, columns, primary key, a page decoder) and the writes it
//!   takes: [`Insertable`], [`Updatable`] and [`Deletable`], unless `read_only` or
//!   `writes(..)` leaves them out;
//! - a module named after the struct in snake case (`Planet` → `planet`, exactly as visible as
//!   the struct) with a zero-sized type per column (`planet::name`) and a marker per named
//!   relation;
//! - when it takes inserts, `PlanetInsert`, whose `new(..)` takes the required columns in
//!   field order and whose setters add the optional ones (nullable or `default`); when it
//!   takes updates, `PlanetUpdate`, `Default` with a setter per column (a nullable column's
//!   setter takes an `Option`, so `None` writes NULL while an unset column is left alone; see
//!   [`Patch`]);
//! - [`Relation`](crate::select::Relation) impls for the declared relations.
//!
//! ## Attributes on the struct
//!
//! | attribute | meaning |
//! |---|---|
//! | `table = "planets"` | the table or view's name (required) |
//! | `schema = "stats"` | its schema (default `public`); its queries are sent to that schema (the profile headers) |
//! | `read_only` | a view, or a table this program must not write: no insert, update, upsert or delete compiles |
//! | `writes(insert, update)` | the writes a view takes, when not all three: here no delete compiles (an upsert needs `insert` and `update`); `writes()` is `read_only` |
//! | `belongs_to(Other)` | this table holds a foreign key to `Other` (to-one: embeds as `Option<Other>`, or as `Other` when the key is NOT NULL) |
//! | `belongs_to(Other, optional)` | the foreign key may be null, so the row may be missing: embeds as `Option<Other>` (or `inner`). Implied when `foreign_key` names a column of this struct that is an `Option<_>`; without it, say so (codegen does) |
//! | `has_one(Other)` | `Other` holds a unique foreign key to this table (to-one) |
//! | `has_many(Other)` | `Other` holds a foreign key to this table (to-many: embeds as `Vec<Other>`) |
//! | `many_to_many(Other, through = "join_table")` | related through a join table (to-many) |
//! | `…, foreign_key = "fk"` | which foreign key, when there are several: a column or a constraint name (PostgREST's `!hint`) |
//! | `…, name = sender` | names the relation when two tables relate several ways; picked with `via = sender` and the `_via` query methods |
//! | `custom_deserialize` | the struct's `Deserialize` is written by hand: pages decode through it, not the generated decoder |
//! | `crate = "::my::supabase"` | the path to `supabase_core`, when it is re-exported under another name |
//!
//! ## Attributes on a field
//!
//! | attribute | meaning |
//! |---|---|
//! | `primary_key` | part of the primary key, listed in `Table::PRIMARY_KEY` (the server decides upsert conflicts by its own key) |
//! | `default` | the database has a default: optional in `PlanetInsert::new` (a setter instead) |
//! | `generated` | never written (identity `ALWAYS`, generated columns): left out of insert and update types |
//! | `skip` | not a column (needs `#[serde(skip)]` or `#[serde(default)]`) |
//! | `rename = "display_name"` | states the column's name; it must agree with `#[serde(rename)]`, which sets it |
//! | `sql_type = "uuid"` | the column's Postgres type, when the field's type (a `String`, a `serde_json::Value`) would allow operators that type lacks: the operators follow the marker in [`sql`] (codegen writes it) |
//!
//! A column's name is serde's name for the field (`#[serde(rename = "kind")] r#type: String`
//! is the column `kind`); `#[serde(rename_all)]` is refused so every wire name stays visible.
//! `Option<T>` marks a nullable column, which alone allows `is_null` and NULL writes.
//!
//! ```
//! use supabase_core::prelude::*;
//!
//! #[derive(Table, serde::Deserialize)]
//! #[supabase(table = "planets", has_many(Moon))]
//! struct Planet {
//!     #[supabase(primary_key, generated)]
//!     id: i64,
//!     name: String,
//!     #[supabase(default)]
//!     status: String,
//!     moons: Option<i32>,
//! }
//!
//! #[derive(Table, serde::Deserialize)]
//! #[supabase(table = "moons", belongs_to(Planet))]
//! struct Moon {
//!     #[supabase(primary_key)]
//!     id: i64,
//!     planet_id: i64,
//! }
//!
//! assert_eq!(Planet::SELECT, "id,name,status,moons");
//! assert_eq!(Planet::PRIMARY_KEY, ["id"]);
//! // `name` is required; `status` (default) and `moons` (nullable) are optional; `id` is
//! // generated, so it cannot be written at all.
//! let new = PlanetInsert::new("Pluto").moons(5);
//! assert_eq!(serde_json::to_string(&new).unwrap(), r#"{"name":"Pluto","moons":5}"#);
//! // `None` writes NULL; columns without a setter call are left alone.
//! let change = PlanetUpdate::default().moons(None);
//! assert_eq!(serde_json::to_string(&change).unwrap(), r#"{"moons":null}"#);
//! ```

use std::borrow::Cow;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A table or view whose rows decode into `Self`.
///
/// Pages of rows (`Vec<Self>` from a typed read or write) are decoded by
/// [`decode_rows`](Table::decode_rows), which `#[derive(Table)]` generates: it reads each
/// column into its field with the field type's `Deserialize` (or a direct reader giving the
/// same value, for integers, `f64`, `bool`, `String`, `Option` and `Vec` of those), exactly as
/// serde's derive would. It is not generated when serde would decode differently: a
/// `#[serde(...)]` key such as `with`, `deserialize_with`, `skip`, `from` or `transparent`, or
/// a `#[supabase(skip)]` field. A struct whose `Deserialize` is written by hand must say so
/// with `#[supabase(custom_deserialize)]`, so that every row goes through it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a table",
    label = "not a `#[derive(Table)]` struct",
    note = "derive it with `#[derive(Table)]` and `#[supabase(table = \"...\")]`"
)]
pub trait Table: DeserializeOwned + Send + 'static {
    /// Table (or view) name in the database.
    const NAME: &'static str;
    /// Schema of the table (`public` unless `#[supabase(schema = "...")]`).
    const SCHEMA: &'static str;
    /// The wire names of the columns, in field order.
    const COLUMNS: &'static [&'static str];
    /// The select list reading exactly the struct's columns: `id,name,moons`.
    const SELECT: &'static str;
    /// Wire names of the primary key columns.
    const PRIMARY_KEY: &'static [&'static str];

    /// Decodes a page of rows as PostgREST writes them for [`SELECT`](Self::SELECT): a JSON
    /// array of objects with exactly the [`COLUMNS`](Self::COLUMNS) as keys, in that order.
    /// `rows` is the number of rows if known, to size the vector once.
    ///
    /// `None` when the text is not in that shape or holds a value this decoder does not read
    /// exactly as serde_json would; the caller then decodes the body with serde_json, so the
    /// rows are the same either way. `#[derive(Table)]` generates a decoder that reads each
    /// column straight into its field (no serde visitor walk over keys); the default always
    /// gives `None`. Typed reads and writes returning `Vec<Self>` call it.
    fn decode_rows(json: &str, rows: Option<usize>) -> Option<Vec<Self>> {
        let _ = (json, rows);
        None
    }
}

/// A table that takes inserts (and, with [`Updatable`], upserts). The derive implements it
/// unless the struct is `read_only` or lists `writes(..)` without `insert`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not take inserts",
    label = "a `read_only` table or view, or one whose `writes(..)` leaves out `insert`",
    note = "only tables that take inserts get an `Insert` type; `supabase-codegen` reads which writes a view takes from Postgres"
)]
pub trait Insertable: Table {
    /// A row to insert: defaulted and nullable columns optional, generated columns absent.
    type Insert: Serialize + Send;
}

/// A table that takes updates. The derive implements it unless the struct is `read_only` or
/// lists `writes(..)` without `update`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not take updates",
    label = "a `read_only` table or view, or one whose `writes(..)` leaves out `update`",
    note = "only tables that take updates get an `Update` type; `supabase-codegen` reads which writes a view takes from Postgres"
)]
pub trait Updatable: Table {
    /// Changes to apply: every column optional, "set NULL" distinct from "leave alone".
    type Update: Serialize + Send;
}

/// A table that takes deletes. The derive implements it unless the struct is `read_only` or
/// lists `writes(..)` without `delete`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not take deletes",
    label = "a `read_only` table or view, or one whose `writes(..)` leaves out `delete`",
    note = "`supabase-codegen` reads which writes a view takes from Postgres"
)]
pub trait Deletable: Table {}

/// A column: a zero-sized type naming one column of [`Column::Table`].
pub trait Column: Copy + Send + Sync + 'static {
    /// The table the column belongs to.
    type Table: Table;
    /// The column's type without nullability: `i32` for a nullable `Option<i32>` field.
    type Value: Serialize + 'static;
    /// The type whose kinds ([`Ordered`], [`Text`], [`Containable`], …) decide which operators
    /// the column takes: [`Value`](Column::Value) itself, or, for a field declared
    /// `#[supabase(sql_type = "uuid")]`, the marker [`sql::uuid`]. A `uuid` column read into a
    /// `String` is ordered but has no `LIKE`.
    type Kind: 'static;
    /// Wire name of the column.
    const NAME: &'static str;
}

/// A column's name as PostgREST's query grammar reads it in selects, filters, `order` and
/// `on_conflict`: as it is when [plain](is_plain_name), else in double quotes with `\` and
/// `"` escaped by a backslash (`pQuotedValue`), since `.` (an embedded resource), `:` (an
/// alias or cast), `,` (a list), `(` and `->` mean something there. The derive's select list
/// quotes by the same rule.
pub(crate) fn query_name<C: Column>() -> Cow<'static, str> {
    // Decided when the column's type is compiled, not on every filter.
    if const { is_plain_name(C::NAME) } {
        Cow::Borrowed(C::NAME)
    } else {
        let mut quoted = String::new();
        crate::postgrest::encode::write_quoted_str(&mut quoted, C::NAME);
        Cow::Owned(quoted)
    }
}

/// A name made of ASCII letters, digits, `_` and `$` only, which PostgREST reads bare.
pub(crate) const fn is_plain_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$') {
            return false;
        }
        i += 1;
    }
    !bytes.is_empty()
}

/// `Self` is a column of table `T`. The derive implements it for each column of its table;
/// filters require it, so a column of another table does not compile.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column of `{T}`",
    label = "this column belongs to another table",
    note = "use a column from the module generated for `{T}`"
)]
pub trait ColumnOf<T: Table>: Column<Table = T> {}

/// What a typed upsert's [`on_conflict`](crate::typed::Query::on_conflict) takes: one column
/// of `T`, or a tuple of up to four of them for a unique constraint over several columns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a column of `{T}` nor a tuple of its columns",
    label = "not a conflict target of `{T}`",
    note = "name the column(s) of `{T}`'s unique constraint: `on_conflict(col)` or `on_conflict((a, b))`"
)]
pub trait ConflictTarget<T: Table> {
    /// The columns' names, comma-separated and quoted as they need (PostgREST's
    /// `on_conflict`).
    fn conflict_columns(&self) -> Cow<'static, str>;
}

impl<T: Table, C: ColumnOf<T>> ConflictTarget<T> for C {
    fn conflict_columns(&self) -> Cow<'static, str> {
        query_name::<C>()
    }
}

macro_rules! conflict_tuples {
    ($(($($c:ident),+)),*) => {$(
        impl<T: Table, $($c: ColumnOf<T>),+> ConflictTarget<T> for ($($c,)+) {
            fn conflict_columns(&self) -> Cow<'static, str> {
                Cow::Owned([$(query_name::<$c>()),+].join(","))
            }
        }
    )*};
}

conflict_tuples!((A, B), (A, B, C), (A, B, C, D));

/// A column that can be NULL (its field is an `Option`): only these take `is_null`, and
/// `is_(None)`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is NOT NULL, so a NULL test (`is_null`, `is_not_null`, `is_(None)`) would always be false / true",
    label = "a column whose field is not an `Option`",
    note = "only columns declared as `Option<_>` are nullable"
)]
pub trait NullableColumn: Column {}

/// Boolean types: `is_` (`IS TRUE`, `IS FALSE`, and `IS NULL` / `IS UNKNOWN` on nullable
/// columns).
#[diagnostic::on_unimplemented(
    message = "`is_` (IS TRUE / IS FALSE / IS UNKNOWN) needs a boolean column, not `{Self}`",
    label = "the column's type is `{Self}`",
    note = "for IS NULL on other nullable columns use `is_null` / `is_not_null`"
)]
pub trait Boolean {}

impl Boolean for bool {}

/// A value the typed `is_` takes for the boolean column `C`: `true` / `false` on any boolean
/// column, and `Option<bool>` (`None` is `IS NULL`, which for booleans is `IS UNKNOWN`) only on
/// a nullable one, since a NOT NULL column is never NULL.
#[diagnostic::on_unimplemented(
    message = "`is_` on `{C}` takes `true` / `false` (or `Option<bool>` on a nullable column), not `{Self}`",
    label = "expected `bool` or `Option<bool>`"
)]
pub trait IsOperand<C: Column> {
    /// The keyword this value stands for.
    fn keyword(self) -> crate::postgrest::Is;
}

// No `C::Value: Boolean` bound here: `is_` requires it, and repeating it would report a
// non-boolean column twice.
impl<C: Column> IsOperand<C> for bool {
    fn keyword(self) -> crate::postgrest::Is {
        self.into()
    }
}

impl<C: NullableColumn> IsOperand<C> for Option<bool> {
    fn keyword(self) -> crate::postgrest::Is {
        self.into()
    }
}

/// A value usable where the column type `T` is expected: `T` itself, `&T`, and `&str` for text.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` is not a value of the column's type `{T}`",
    label = "expected a value of type `{T}`"
)]
pub trait ValueOf<T: ?Sized>: Serialize {}

impl<T: Serialize> ValueOf<T> for T {}
impl<T: Serialize + ?Sized> ValueOf<T> for &T {}
impl ValueOf<String> for &str {}
impl ValueOf<String> for Box<str> {}
impl ValueOf<String> for std::borrow::Cow<'_, str> {}
/// Array columns take arrays and slices of their element type (`["a", "b"]` for `text[]`).
impl<T, U: ValueOf<T>, const N: usize> ValueOf<Vec<T>> for [U; N] where [U; N]: Serialize {}
impl<T, U: ValueOf<T>> ValueOf<Vec<T>> for &[U] {}

/// Types with an order: `gt`, `gte`, `lt`, `lte` (numbers and text; implement it for your own
/// ordered types).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no order: `gt`/`gte`/`lt`/`lte` need a numeric or text column",
    label = "the column's type is `{Self}`"
)]
pub trait Ordered {}

/// Text types: `like`, `ilike`, the `*_all_of`/`*_any_of` patterns, `match_`/`imatch` and
/// `text_search`.
#[diagnostic::on_unimplemented(
    message = "text operators (`like`, `ilike`, `match_`) need a text column, not `{Self}`",
    label = "the column's type is `{Self}`"
)]
pub trait Text {}

/// Types full-text search applies to: `text_search` (text, and [`sql::tsvector`]).
#[diagnostic::on_unimplemented(
    message = "`text_search` needs a text or tsvector column, not `{Self}`",
    label = "the column's type is `{Self}`"
)]
pub trait Searchable {}

/// Types with containment: `contains`, `contained_by` (arrays, jsonb, ranges).
#[diagnostic::on_unimplemented(
    message = "containment (`contains`, `contained_by`) needs an array, jsonb or range column, not `{Self}`",
    label = "the column's type is `{Self}`"
)]
pub trait Containable {}

/// Types that can share an element or a point: `overlaps` (arrays and ranges; Postgres has no
/// `&&` for jsonb).
#[diagnostic::on_unimplemented(
    message = "`overlaps` needs an array or range column, not `{Self}`",
    label = "the column's type is `{Self}`"
)]
pub trait Overlapping {}

/// JSON types (json and jsonb columns): JSON paths, `column.json("key")` and
/// `column.json_text("key")`. Implement it for your own types stored as JSON.
#[diagnostic::on_unimplemented(
    message = "JSON paths (`json`, `json_text`) need a json or jsonb column, not `{Self}`",
    label = "the column's type is `{Self}`"
)]
pub trait Json {}

/// Range and multirange types: `range_gt`, `range_gte`, `range_lt`, `range_lte`,
/// `range_adjacent`.
#[diagnostic::on_unimplemented(
    message = "range operators need a range column, not `{Self}`",
    label = "the column's type is `{Self}`"
)]
pub trait RangeValue {}

impl Ordered for i8 {}
impl Ordered for i16 {}
impl Ordered for i32 {}
impl Ordered for i64 {}
impl Ordered for i128 {}
impl Ordered for u8 {}
impl Ordered for u16 {}
impl Ordered for u32 {}
impl Ordered for u64 {}
impl Ordered for u128 {}
impl Ordered for f32 {}
impl Ordered for f64 {}
impl Ordered for char {}
impl Ordered for String {}
impl Text for String {}
impl Searchable for String {}
impl Containable for serde_json::Value {}
impl<T> Containable for Vec<T> {}
impl<T> Containable for crate::types::Range<T> {}
impl<T> Overlapping for Vec<T> {}
impl<T> Overlapping for crate::types::Range<T> {}
impl<T> RangeValue for crate::types::Range<T> {}
impl<T> Containable for crate::types::Multirange<T> {}
impl<T> Overlapping for crate::types::Multirange<T> {}
impl<T> RangeValue for crate::types::Multirange<T> {}

impl Json for serde_json::Value {}

/// Postgres types that codegen reads into a `String` or a `serde_json::Value` (no standard
/// Rust type, or its feature is off) but whose operators differ from that type's: the markers
/// `#[supabase(sql_type = "...")]` names, by Postgres's name for the type
/// (`pg_type.typname`: `timestamptz`, not `timestamp with time zone`).
///
/// | marker | operators besides `eq`, `neq`, `in_`, `is_distinct` |
/// |---|---|
/// | `uuid`, `date`, `time`, `timetz`, `timestamp`, `timestamptz`, `interval`, `inet`, `cidr`, `macaddr`, `macaddr8`, `money`, `bit`, `varbit`, `tsquery` | ordering (`gt`, `gte`, `lt`, `lte`) |
/// | `tsvector` | ordering and `text_search` |
/// | `json` | JSON paths (`json`, `json_text`); unlike jsonb, no containment |
/// | `xml` | none |
///
/// ```compile_fail
/// use supabase_core::prelude::*;
///
/// #[derive(Table, serde::Deserialize)]
/// #[supabase(table = "sessions")]
/// struct Session {
///     #[supabase(primary_key, sql_type = "uuid")]
///     id: String,
/// }
///
/// // Postgres has no `uuid ~~ text`: a compile error, not a 42883 at run time.
/// let _ = session::id.like("abc%");
/// ```
#[allow(non_camel_case_types)]
pub mod sql {
    use super::{Json, Ordered, Searchable};

    macro_rules! markers {
        ($($name:ident: $($kind:ident),*;)*) => {$(
            #[doc = concat!("Postgres's `", stringify!($name), "`.")]
            #[derive(Debug, Clone, Copy)]
            pub enum $name {}
            $(impl $kind for $name {})*
        )*};
    }

    markers! {
        uuid: Ordered;
        date: Ordered;
        time: Ordered;
        timetz: Ordered;
        timestamp: Ordered;
        timestamptz: Ordered;
        interval: Ordered;
        inet: Ordered;
        cidr: Ordered;
        macaddr: Ordered;
        macaddr8: Ordered;
        money: Ordered;
        bit: Ordered;
        varbit: Ordered;
        tsquery: Ordered;
        tsvector: Ordered, Searchable;
        json: Json;
        xml: ;
    }
}

#[cfg(feature = "chrono")]
mod chrono_kinds {
    use super::Ordered;
    impl<Tz: chrono::TimeZone> Ordered for chrono::DateTime<Tz> {}
    impl Ordered for chrono::NaiveDateTime {}
    impl Ordered for chrono::NaiveDate {}
    impl Ordered for chrono::NaiveTime {}
}
#[cfg(feature = "uuid")]
impl Ordered for uuid::Uuid {}
#[cfg(feature = "decimal")]
impl Ordered for rust_decimal::Decimal {}

/// One column's new value in an update: [`Patch::Keep`] leaves it alone, [`Patch::Set`] writes
/// it (`Set(None)` writes NULL to a nullable column).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Leave the column as it is (not sent).
    #[default]
    Keep,
    /// Write this value.
    Set(T),
}

impl<T> Patch<T> {
    /// Whether the column is left alone (used by `skip_serializing_if`).
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(v) => v.serialize(serializer),
            // Only reached without `skip_serializing_if`: a kept column is absent, never null.
            Patch::Keep => Err(serde::ser::Error::custom(
                "Patch::Keep must be skipped, not serialised",
            )),
        }
    }
}
