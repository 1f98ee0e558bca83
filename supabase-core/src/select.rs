//! Projections and embedding: [`Select`] (what `#[derive(Select)]` implements) and
//! [`Relation`] (what `#[supabase(belongs_to / has_one / has_many / many_to_many)]` declares).
//!
//! A `#[derive(Select)]` struct reads some columns of its `from` table, possibly under other
//! names, cast or through JSON paths, and embeds related rows. Every field is checked at compile
//! time: a column must exist on the table and have the field's type, an embedded struct must
//! read a table the `from` table declares a relation to, and `Vec<_>` / `Option<_>` must match
//! the relation's cardinality.
//!
//! # `#[derive(Select)]`
//!
//! On a struct with named fields that also derives `Deserialize`; read it with
//! `client.from::<Table>().select_as::<Projection>()`. A field without attributes reads the
//! column of the `from` table's field of the same name (and must have its type), under the
//! key serde expects for the field.
//!
//! | attribute | on | meaning |
//! |---|---|---|
//! | `from = Section` | struct | the table read (required) |
//! | `crate = "::my::supabase"` | struct | the path to `supabase_core`, when re-exported |
//! | `custom_deserialize` | struct | the struct's `Deserialize` is written by hand: pages decode through it |
//! | `column = name` | field | reads column `name` under the field's name (`title:name`) |
//! | `cast = "text"` | field | with a column: casts it on the server (`id_text:id::text`) |
//! | `json = "meta->>colour"` | field | a JSON path into a column (`->` keeps JSON, `->>` gives text) |
//! | `embed` | field | related rows: `Vec<R>` for a to-many relation, `Option<R>` for a to-one, or `R` for a to-one that always has its row ([`AlwaysOne`]: a `belongs_to` whose foreign key is NOT NULL) or with `inner`; `R` is the related [`Table`] or a `Select` from it |
//! | `inner` | field | with `embed`: only parents that have a related row (`!inner`) |
//! | `via = sender` | field | with `embed` or `count`: the relation named `sender` (`#[derive(Table)]`'s `name = sender`) |
//! | `count = Instrument` | field | the number of related rows, as an [`EmbeddedCount`] (to-many relations) |
//!
//! Each embedding and count is sent under its field's name, which is the key that
//! `filter_embedded`, `order_embedded`, `limit_embedded` and `range_embedded` then address.
//!
//! ```
//! use supabase_core::prelude::*;
//!
//! #[derive(Table, serde::Deserialize)]
//! #[supabase(table = "orchestral_sections", has_many(Instrument))]
//! struct Section {
//!     #[supabase(primary_key)]
//!     id: i64,
//!     name: String,
//! }
//!
//! #[derive(Table, serde::Deserialize)]
//! // `foreign_key` names the column, so the derive sees it may be null: an instrument
//! // embeds its section as `Option<Section>`.
//! #[supabase(table = "instruments", belongs_to(Section, foreign_key = "section_id"))]
//! struct Instrument {
//!     #[supabase(primary_key)]
//!     id: i64,
//!     name: String,
//!     section_id: Option<i64>,
//! }
//!
//! #[derive(Select, serde::Deserialize)]
//! #[supabase(from = Instrument)]
//! struct InstrumentName {
//!     name: String,
//! }
//!
//! #[derive(Select, serde::Deserialize)]
//! #[supabase(from = Section)]
//! struct SectionSummary {
//!     #[supabase(column = name)]
//!     title: String,
//!     #[supabase(column = id, cast = "text")]
//!     code: String,
//!     #[supabase(embed, inner)]
//!     instruments: Vec<InstrumentName>,
//!     #[supabase(count = Instrument)]
//!     size: EmbeddedCount,
//! }
//!
//! assert_eq!(
//!     SectionSummary::select(),
//!     "title:name,code:id::text,instruments!inner(name),size:instruments(count)"
//! );
//! ```

use serde::de::DeserializeOwned;

use crate::table::{Column, Table};

/// What a query reads and decodes into `Self`: the select list and the rows' type.
///
/// Every [`Table`] selects its own columns; `#[derive(Select)]` writes projections and
/// embeddings (see the crate docs for the attributes).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither a table nor a projection",
    label = "not `#[derive(Table)]` nor `#[derive(Select)]`",
    note = "embedded fields need a type that derives `Table` or `Select`"
)]
pub trait Select: DeserializeOwned + Send + 'static {
    /// The table the rows come from.
    type From: Table;

    /// Appends the select list (PostgREST's syntax) to `out`.
    fn write_select(out: &mut String);

    /// The select list, e.g. `name,instruments(id,name)`.
    fn select() -> String {
        let mut out = String::new();
        Self::write_select(&mut out);
        out
    }

    /// Decodes a page of rows as PostgREST writes them for [`select`](Self::select), as
    /// [`Table::decode_rows`] does for a table (and is, through the impl for every table):
    /// `None` when the text is not in the shape the decoder expects or
    /// holds a value it does not read exactly as serde_json would, and the caller then decodes
    /// the page with serde_json. The default always gives `None`.
    ///
    /// `#[derive(Select)]` generates one that expects each row's keys in the order PostgREST
    /// writes them (the plain columns in select order, then the embedded resources and counts
    /// in select order) and reads each plain column straight into its field. Embedded rows and
    /// counts are decoded by their own `Deserialize`. Not generated with
    /// `#[supabase(custom_deserialize)]` on the struct (for a hand-written `Deserialize`) or
    /// with a `#[serde(...)]` key that changes how a field is decoded (`with`, `alias`, …), as
    /// for `Table`.
    fn decode_page(json: &str, rows: Option<usize>) -> Option<Vec<Self>> {
        let _ = (json, rows);
        None
    }

    /// The key this projection embeds (or counts) the table of relation `(U, R)` under: its
    /// field's name, which embedded filters, order and limits must address (PostgREST knows an
    /// aliased embedding by its alias only). `relation` is `TypeId::of::<(U, R)>()` for table
    /// `U` through relation tag `R` (`U` itself for an unnamed relation). `None`: not embedded
    /// here, and the relation's own key is used. The derive generates it.
    #[doc(hidden)]
    fn embed_key(relation: std::any::TypeId) -> Option<&'static str> {
        let _ = relation;
        None
    }
}

impl<T: Table> Select for T {
    type From = T;

    fn write_select(out: &mut String) {
        out.push_str(T::SELECT);
    }

    fn decode_page(json: &str, rows: Option<usize>) -> Option<Vec<Self>> {
        T::decode_rows(json, rows)
    }
}

/// Marks a to-one relation: embeds as `Option<Row>`, or as `Row` when it always exists
/// ([`AlwaysOne`]) or is embedded `inner`.
#[derive(Debug)]
pub enum One {}

/// Marks a to-many relation: embeds as `Vec<Row>`.
#[derive(Debug)]
pub enum Many {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::One {}
    impl Sealed for super::Many {}
}

/// [`One`] or [`Many`].
pub trait Cardinality: sealed::Sealed {
    /// Whether this is [`Many`].
    const MANY: bool;
}
impl Cardinality for One {
    const MANY: bool = false;
}
impl Cardinality for Many {
    const MANY: bool = true;
}

/// `Self` has a foreign-key relationship to `Other` that PostgREST can embed.
///
/// Declared on a `#[derive(Table)]` struct (codegen writes these from the schema's foreign keys):
///
/// - `#[supabase(belongs_to(Other, foreign_key = "..."))]`: this table holds the foreign key (to-one);
/// - `#[supabase(has_one(Other, foreign_key = "..."))]`: `Other` holds a unique foreign key to this table;
/// - `#[supabase(has_many(Other, foreign_key = "..."))]`: `Other` holds a foreign key to this table;
/// - `#[supabase(many_to_many(Other, through = "join_table"))]`.
///
/// `foreign_key` (a column or constraint name) and `through` become PostgREST's `!hint`; leave
/// `foreign_key` out when only one foreign key links the two tables. A self reference names
/// the foreign-key *column*: `belongs_to(Employee, foreign_key = "manager_id", name = manager)`
/// embeds as `manager:manager_id(..)` and `has_many(Employee, foreign_key = "manager_id",
/// name = reports)` as `reports:employees!manager_id(..)`, as PostgREST 12 expects.
///
/// **Several relations to one table** (`messages.sender_id` and `messages.receiver_id`, both to
/// `users`) are told apart by a name: `belongs_to(User, foreign_key = "sender_id", name = sender)`
/// declares a relation marker type `message::sender` next to the columns, and implements
/// `Relation<User, message::sender>`. A relation without a name is `Relation<Other>` (its
/// `Name` is `Other` itself); at most one per target table. Projections pick a named relation
/// with `#[supabase(embed, via = sender)]`, typed embedded filters with
/// [`Query::filter_embedded_via`](crate::typed::Query::filter_embedded_via).
#[diagnostic::on_unimplemented(
    message = "`{Self}` declares no relation to `{Other}`",
    label = "cannot embed `{Other}` here",
    note = "declare it on `{Self}`: `#[supabase(has_many({Other}))]`, `has_one`, `belongs_to` or `many_to_many(.., through = \"..\")`; a named relation is picked with `via = its_name` in a projection, or with a query's `_via` methods"
)]
pub trait Relation<Other: Table, Name = Other>: Table {
    /// [`One`] or [`Many`].
    type Cardinality: Cardinality;
    /// What follows `!` in the embedding to pick the foreign key or join table, if needed.
    const HINT: Option<&'static str>;
    /// Where embedded filters, order and limit address the embedding when the projection does
    /// not say ([`Select::embed_key`]: a `#[derive(Select)]` struct gives its field's name):
    /// `Other`'s table name, or the relation's name for a named relation.
    const KEY: &'static str;
}

/// `Self` relates to many `B`s: required for a `Vec<_>` embedding. The derive implements it
/// (rather than a blanket impl) so a mismatch reports this trait's message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no to-many relation to `{B}`, so it cannot embed a `Vec` of it",
    label = "embedded here as a `Vec`",
    note = "a to-one relation embeds as `Option<_>`; a missing relation is declared with `#[supabase(has_many({B}))]` on `{Self}`"
)]
pub trait ToMany<B: Table, Name = B>: Relation<B, Name, Cardinality = Many> {}

/// `Self` relates to at most one `B`: required for an `Option<_>` (or plain) embedding.
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no to-one relation to `{B}`, so it cannot embed a single one",
    label = "embedded here as one row",
    note = "a to-many relation embeds as `Vec<_>`; a missing relation is declared with `#[supabase(belongs_to({B}))]` or `has_one` on `{Self}`"
)]
pub trait ToOne<B: Table, Name = B>: Relation<B, Name, Cardinality = One> {}

/// `Self`'s to-one relation to `B` always has its row: required to embed a plain `B` (not
/// `Option<B>`) without `inner`. The derive implements it for a `belongs_to` whose
/// foreign-key columns are all NOT NULL (a `foreign_key` column declared as `Option<_>`, or
/// the relation marked `optional`, says otherwise); a `has_one` may find no row. This is how
/// postgrest-js types embeddings (`select-query-parser/result.ts`: a to-one is `| null`
/// unless `!inner` or its foreign key's columns are non-nullable).
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no to-one relation to `{B}` that always has its row, so it cannot embed a plain `{B}`",
    label = "embedded here as a row that is always there",
    note = "a `has_one`, or a `belongs_to` whose foreign key may be null, may have no row: embed it as `Option<_>`, or with `#[supabase(embed, inner)]` to leave out the rows that have none"
)]
pub trait AlwaysOne<B: Table, Name = B>: ToOne<B, Name> {}

/// `Self` can count its related `B` rows (`#[supabase(count = B)]`): a to-many relation
/// (`has_many`, `many_to_many`). The derive implements it next to [`ToMany`].
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no to-many relation to `{B}`, so there is nothing to count",
    label = "counted here",
    note = "counts need a `has_many` or `many_to_many` relation on `{Self}` (a to-one relation has at most one row)"
)]
pub trait Countable<B: Table, Name = B>: ToMany<B, Name> {}

/// The number of related rows, read by a `#[supabase(count = Other)]` field of a
/// `#[derive(Select)]` struct (PostgREST's `other(count)`, which answers `[{"count": n}]`).
///
/// Compare it with an `i64` directly (`row.instruments == 3`) or take the number with
/// [`EmbeddedCount::get`] / `i64::from`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmbeddedCount(pub i64);

impl EmbeddedCount {
    /// The count.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<EmbeddedCount> for i64 {
    fn from(c: EmbeddedCount) -> i64 {
        c.0
    }
}

impl PartialEq<i64> for EmbeddedCount {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl std::fmt::Display for EmbeddedCount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> serde::Deserialize<'de> for EmbeddedCount {
    /// `[{"count": n}]` as PostgREST sends an embedded count; a bare `n` too.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Row {
            count: i64,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Rows(Vec<Row>),
            Number(i64),
        }
        match Wire::deserialize(deserializer)? {
            Wire::Number(n) => Ok(EmbeddedCount(n)),
            Wire::Rows(rows) => match rows.as_slice() {
                [row] => Ok(EmbeddedCount(row.count)),
                _ => Err(serde::de::Error::invalid_length(
                    rows.len(),
                    &"one `{\"count\": n}` row",
                )),
            },
        }
    }
}

/// The type of a `#[supabase(count = ..)]` field: [`EmbeddedCount`].
#[diagnostic::on_unimplemented(
    message = "an embedded count reads into `EmbeddedCount`, not `{Self}`",
    label = "declare this field as `EmbeddedCount`",
    note = "PostgREST sends a count as a one-row array; `EmbeddedCount` decodes it and compares with `i64`"
)]
pub trait CountField {}
impl CountField for EmbeddedCount {}

/// A field type that holds column `C`: exactly the type of the column's field in its table
/// struct (`Option<_>` for nullable columns). `#[derive(Table)]` implements it for each column.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot hold the column `{C}`",
    label = "this field's type differs from the column's",
    note = "use the column's type as its `#[derive(Table)]` struct declares it (nullable columns are `Option<_>`), or add a `cast`"
)]
pub trait FieldOf<C: Column> {}

/// Writes one embedding of `E`'s rows through relation `R` into `A`'s select list:
/// `key:table!hint!inner(columns)`.
#[doc(hidden)]
pub fn write_embed<A, E, R>(out: &mut String, key: &str, inner: bool)
where
    E: Select,
    A: Relation<E::From, R>,
{
    write_target::<A, E::From, R>(out, key, inner);
    out.push('(');
    E::write_select(out);
    out.push(')');
}

/// Writes a count of `B` rows through relation `R`: `key:table!hint(count)`.
#[doc(hidden)]
pub fn write_count<A, B, R>(out: &mut String, key: &str)
where
    B: Table,
    A: Relation<B, R>,
{
    write_target::<A, B, R>(out, key, false);
    out.push_str("(count)");
}

fn write_target<A: Relation<B, R>, B: Table, R>(out: &mut String, key: &str, inner: bool) {
    let table = B::NAME;
    // A to-one self reference (`employees.manager_id`) is embedded through its foreign-key
    // column, `manager:manager_id(..)`: PostgREST reads `employees!manager_id` as the
    // to-many direction.
    let self_to_one = A::NAME == B::NAME && A::SCHEMA == B::SCHEMA && !A::Cardinality::MANY;
    let target = match (self_to_one, A::HINT) {
        (true, Some(column)) => column,
        _ => table,
    };
    if key != target {
        push_name(out, key);
        out.push(':');
    }
    push_name(out, target);
    if let (false, Some(hint)) = (self_to_one, A::HINT) {
        out.push('!');
        push_name(out, hint);
    }
    if inner {
        out.push_str("!inner");
    }
}

/// Appends a column name as PostgREST's select syntax needs it (quoted unless plain).
fn push_name(out: &mut String, name: &str) {
    if crate::table::is_plain_name(name) {
        out.push_str(name);
    } else {
        crate::postgrest::encode::write_quoted_str(out, name);
    }
}

/// Writes one column: `key:name::cast`, the alias only when `key` differs from `name`.
#[doc(hidden)]
pub fn write_column(out: &mut String, key: &str, name: &str, cast: Option<&str>) {
    if key != name {
        push_name(out, key);
        out.push(':');
    }
    push_name(out, name);
    if let Some(cast) = cast {
        out.push_str("::");
        out.push_str(cast);
    }
}

/// Writes a JSON path into a column under its own key: `key:name->a->>b`.
#[doc(hidden)]
pub fn write_json(out: &mut String, key: &str, name: &str, path: &str) {
    push_name(out, key);
    out.push(':');
    push_name(out, name);
    out.push_str(path);
}
