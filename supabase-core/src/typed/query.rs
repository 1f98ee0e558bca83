//! [`TypedTable`] and [`Query`]: the typed builders, thin wrappers over the untyped
//! [`Builder`] (one request model, one encoder, one response path).

use std::any::TypeId;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use futures_util::FutureExt as _;
use serde::de::DeserializeOwned;

use super::filter::{ColumnValues, Filter, OrderBy};
use crate::error::Result;
use crate::http::HttpRequest;
use crate::postgrest::{Async, Builder, Count, Explain, Postgrest, Response, TextSearch};
use crate::select::{Relation, Select, ToOne};
use crate::table::{
    Boolean, ColumnOf, ConflictTarget, Containable, Deletable, Insertable, IsOperand,
    NullableColumn, Ordered, Overlapping, RangeValue, Searchable, Table, Text, Updatable, ValueOf,
};

use super::filter::ColumnExt;
use super::verb;

mod embedded;
pub use embedded::{EmbeddedFilter, EmbeddedOrder, Named, RelatedOrder, Unnamed};

/// Table `T`, before the verb is chosen. Made by [`Client::from`](crate::Client::from).
#[must_use = "a table query does nothing until a verb (select, insert, …) is chosen and awaited"]
pub struct TypedTable<T, M = Async> {
    postgrest: Postgrest<M>,
    _table: PhantomData<fn() -> T>,
}

impl<T, M> std::fmt::Debug for TypedTable<T, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedTable")
            .field("table", &std::any::type_name::<T>())
            .finish_non_exhaustive()
    }
}

impl<T: Table, M> TypedTable<T, M> {
    pub(crate) fn new(postgrest: Postgrest<M>) -> Self {
        TypedTable {
            postgrest,
            _table: PhantomData,
        }
    }

    fn untyped(&self) -> crate::postgrest::TableQuery<M> {
        self.postgrest.query(std::borrow::Cow::Borrowed(T::NAME))
    }

    /// Reads rows, selecting exactly `T`'s columns.
    pub fn select(self) -> Query<T, Vec<T>, M, verb::Select> {
        // `T::SELECT` is generated without whitespace: no need to strip it.
        Query::new(
            self.untyped()
                .builder(crate::postgrest::Verb::Select)
                .map_state(|s| s.set_param("select", T::SELECT)),
        )
    }

    /// Reads rows as the projection `S` (a `#[derive(Select)]` struct on `T`): its columns and
    /// embedded related rows.
    pub fn select_as<S: Select<From = T>>(self) -> Query<T, Vec<S>, M, verb::Select> {
        // Not through `Builder::select`, which strips whitespace as supabase-js does: a cast
        // may hold a space (`double precision`), and the derive writes none elsewhere.
        let mut inner: Builder<Vec<S>, M> = self
            .untyped()
            .builder(crate::postgrest::Verb::Select)
            .map_state(|s| s.set_param("select", S::select()))
            .returns();
        inner.rows_decoder = Some(S::decode_page);
        Query {
            inner,
            embed_key: S::embed_key,
            _table: PhantomData,
        }
    }

    /// Inserts one row and returns it as stored (defaults filled in).
    pub fn insert(self, row: T::Insert) -> Query<T, Vec<T>, M, verb::Insert>
    where
        T: Insertable,
    {
        Query::write(self.untyped().insert(row))
    }

    /// Inserts several rows; a column a row leaves out takes its default (unless
    /// [`default_to_null(true)`](Query::default_to_null)).
    pub fn insert_many(
        self,
        rows: impl IntoIterator<Item = T::Insert>,
    ) -> Query<T, Vec<T>, M, verb::Insert>
    where
        T: Insertable,
    {
        let rows: Vec<T::Insert> = rows.into_iter().collect();
        Query::write(self.untyped().insert(rows))
    }

    /// Inserts a row or updates the row it conflicts with (on the primary key, or
    /// [`Query::on_conflict`]). Postgres needs a unique index for it: a table's, or the one
    /// under a view Postgres updates by itself; a view written through INSTEAD OF triggers
    /// has none (42P10).
    pub fn upsert(self, row: T::Insert) -> Query<T, Vec<T>, M, verb::Upsert>
    where
        T: Insertable + Updatable,
    {
        Query::write(self.untyped().upsert(row))
    }

    /// Upserts several rows, in one statement over the columns any of them sets: a
    /// conflicting row whose field is `None` where another row's is set has that column set
    /// to its default, not kept (as the untyped [`upsert`](crate::postgrest::TableQuery::upsert)
    /// of a list). Rows that leave different fields out keep stored values only when
    /// upserted in separate calls.
    pub fn upsert_many(
        self,
        rows: impl IntoIterator<Item = T::Insert>,
    ) -> Query<T, Vec<T>, M, verb::Upsert>
    where
        T: Insertable + Updatable,
    {
        let rows: Vec<T::Insert> = rows.into_iter().collect();
        Query::write(self.untyped().upsert(rows))
    }

    /// Applies `changes` to the rows the filters that follow match, returning them.
    pub fn update(self, changes: T::Update) -> Query<T, Vec<T>, M, verb::Update>
    where
        T: Updatable,
    {
        Query::new(self.untyped().update(changes).select(T::SELECT))
    }

    /// Deletes the rows the filters that follow match, returning them.
    pub fn delete(self) -> Query<T, Vec<T>, M, verb::Delete>
    where
        T: Deletable,
    {
        Query::new(self.untyped().delete().select(T::SELECT))
    }
}

/// `Query` methods that are shorthand for `.filter(column.op(value))`, for operators that
/// need the column's value kind to be `$kind`.
macro_rules! compare_shortcuts {
    ($($(#[$doc:meta])* $op:ident: $kind:ident,)*) => {$(
        $(#[$doc])*
        pub fn $op<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
        where
            C::Kind: $kind,
        {
            self.filter(column.$op(value))
        }
    )*};
}

/// `Query` methods that are shorthand for `.filter(column.op(patterns))` on text columns.
macro_rules! pattern_shortcuts {
    ($($(#[$doc:meta])* $op:ident,)*) => {$(
        $(#[$doc])*
        pub fn $op<'a, C: ColumnOf<T>>(
            self,
            column: C,
            patterns: impl IntoIterator<Item = &'a str>,
        ) -> Self
        where
            C::Kind: Text,
        {
            self.filter(column.$op(patterns))
        }
    )*};
}

/// A typed request on table `T` whose response decodes into `Out` (`Vec<T>`, `T` after
/// [`single`](Query::single), `Option<T>` after [`maybe_single`](Query::maybe_single)).
///
/// Awaiting it gives the data; [`execute`](Query::execute) gives the whole [`Response`]
/// (count and status too). `Verb` is its [verb](verb): options of one kind of request only
/// (`on_conflict` for an upsert, `max_affected` for an update or a delete…) are methods of
/// that kind only.
#[must_use = "a query does nothing until it is awaited"]
pub struct Query<T, Out = Vec<T>, M = Async, Verb = verb::Select> {
    inner: Builder<Out, M>,
    /// The key the projection embeds a relation under ([`Select::embed_key`]): embedded
    /// filters, order and limits address that key.
    embed_key: fn(TypeId) -> Option<&'static str>,
    _table: PhantomData<fn() -> (T, Verb)>,
}

/// A projection without embeddings.
fn no_embeddings(_relation: TypeId) -> Option<&'static str> {
    None
}

impl<T, Out, M, Verb> std::fmt::Debug for Query<T, Out, M, Verb> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Query").field(&self.inner).finish()
    }
}

impl<T: Table, M, Verb> Query<T, Vec<T>, M, Verb> {
    fn new(inner: Builder<serde_json::Value, M>) -> Self {
        let mut inner: Builder<Vec<T>, M> = inner.returns();
        inner.rows_decoder = Some(T::decode_rows);
        Query {
            inner,
            embed_key: no_embeddings,
            _table: PhantomData,
        }
    }

    /// A set-returning function's rows, selecting exactly `T`'s columns.
    pub(crate) fn from_rpc(inner: Builder<serde_json::Value, M>) -> Self
    where
        Verb: verb::Calls,
    {
        Query::new(inner.select(T::SELECT))
    }

    /// Writes return the stored rows; keys a row leaves out take the column default.
    fn write(inner: Builder<serde_json::Value, M>) -> Self {
        Query::new(inner.select(T::SELECT).default_to_null(false))
    }
}

impl<T: Table, Out, M, Verb> Query<T, Out, M, Verb> {
    fn map(self, f: impl FnOnce(Builder<Out, M>) -> Builder<Out, M>) -> Self {
        Query {
            inner: f(self.inner),
            ..self
        }
    }

    fn map_out<U>(self, f: impl FnOnce(Builder<Out, M>) -> Builder<U, M>) -> Query<T, U, M, Verb> {
        Query {
            inner: f(self.inner),
            embed_key: self.embed_key,
            _table: PhantomData,
        }
    }

    /// Where embedded filters, order and limits address `U` through relation `R`: the key the
    /// projection embeds it under (its field's name), else the relation's own key.
    fn embedded_key<U: Table, R: 'static>(&self) -> &'static str
    where
        T: Relation<U, R>,
    {
        (self.embed_key)(TypeId::of::<(U, R)>()).unwrap_or(<T as Relation<U, R>>::KEY)
    }

    /// Keeps the rows matching `filter` (built from `T`'s columns: `planet::moons.gte(2)`).
    pub fn filter(self, filter: Filter<T>) -> Self {
        self.map(|b| b.where_(filter.condition))
    }

    /// Keeps the rows matching at least one of `filters`.
    #[doc(alias = "or")]
    pub fn or_(self, filters: impl IntoIterator<Item = Filter<T>>) -> Self {
        self.filter(Filter::any(filters))
    }

    /// Negates the filter that follows (the reference's `.not_`); `!filter` does the same.
    #[doc(alias = "not")]
    pub fn not_(self) -> Self {
        self.map(Builder::not_)
    }

    /// `column = value`.
    pub fn eq<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self {
        self.filter(column.eq(value))
    }

    /// `column <> value`.
    pub fn neq<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self {
        self.filter(column.neq(value))
    }

    compare_shortcuts! {
        /// `column > value`.
        gt: Ordered,
        /// `column >= value`.
        gte: Ordered,
        /// `column < value`.
        lt: Ordered,
        /// `column <= value`.
        lte: Ordered,
        /// Contains every element of `value` (arrays), the value (jsonb) or the range.
        contains: Containable,
        /// Contained in `value`.
        contained_by: Containable,
        /// Shares an element (arrays) or a point (ranges) with `value`.
        overlaps: Overlapping,
        /// Strictly right of the range.
        range_gt: RangeValue,
        /// Does not extend left of the range.
        range_gte: RangeValue,
        /// Strictly left of the range.
        range_lt: RangeValue,
        /// Does not extend right of the range.
        range_lte: RangeValue,
        /// Adjacent to the range.
        range_adjacent: RangeValue,
    }

    /// `column LIKE pattern`.
    pub fn like<C: ColumnOf<T>>(self, column: C, pattern: &str) -> Self
    where
        C::Kind: Text,
    {
        self.filter(column.like(pattern))
    }

    /// `column ILIKE pattern`.
    pub fn ilike<C: ColumnOf<T>>(self, column: C, pattern: &str) -> Self
    where
        C::Kind: Text,
    {
        self.filter(column.ilike(pattern))
    }

    pattern_shortcuts! {
        /// Matches every pattern (`LIKE ALL`).
        like_all_of,
        /// Matches any pattern (`LIKE ANY`).
        like_any_of,
        /// Matches every pattern, case-insensitively (`ILIKE ALL`).
        ilike_all_of,
        /// Matches any pattern, case-insensitively (`ILIKE ANY`).
        ilike_any_of,
    }

    /// Full-text search on a text or `tsvector` column (PostgREST's `fts`, `plfts`, `phfts`,
    /// `wfts` per [`TextSearch`]).
    #[doc(alias = "fts")]
    pub fn text_search<C: ColumnOf<T>>(self, column: C, query: &str, options: TextSearch) -> Self
    where
        C::Kind: Searchable,
    {
        self.filter(column.text_search(query, options))
    }

    /// Rows where every column equals its value: the reference's `match`, with a tuple of
    /// `(column, value)` pairs, `.match_(((planet::id, 2), (planet::name, "Earth")))`
    /// (`((planet::id, 2),)` for one pair).
    #[doc(alias = "match")]
    pub fn match_(self, pairs: impl ColumnValues<T>) -> Self {
        pairs.into_filters().into_iter().fold(self, Self::filter)
    }

    /// `column` is one of `values`.
    #[doc(alias = "in")]
    pub fn in_<C: ColumnOf<T>, I>(self, column: C, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: ValueOf<C::Value>,
    {
        self.filter(column.in_(values))
    }

    /// `column IS NULL` (nullable columns only).
    pub fn is_null<C: ColumnOf<T> + NullableColumn>(self, column: C) -> Self {
        self.filter(column.is_null())
    }

    /// `column IS value` on a boolean column (see [`ColumnExt::is_`]): `true` / `false`, or
    /// `Option<bool>` on a nullable column.
    #[doc(alias = "is")]
    pub fn is_<C: ColumnOf<T>, V: IsOperand<C>>(self, column: C, value: V) -> Self
    where
        C::Kind: Boolean,
    {
        self.filter(column.is_(value))
    }

    /// Keeps only the embedded `U` rows matching `filter` (PostgREST's `u_table.column=…`). With
    /// an `inner` embedding, parents without a match are dropped; with an embedded count, only
    /// matching rows are counted.
    pub fn filter_embedded(self, filter: impl EmbeddedFilter<T>) -> Self {
        filter.filter_embedded(self)
    }

    /// Orders the embedded `U` rows: `.order_embedded(instrument::name.desc())`.
    pub fn order_embedded(self, order: impl EmbeddedOrder<T>) -> Self {
        order.order_embedded(self)
    }

    /// At most `count` embedded `U` rows per parent row.
    pub fn limit_embedded<U: Table>(self, count: u64) -> Self
    where
        T: Relation<U>,
    {
        self.limit_rel::<U, U>(count)
    }

    /// Embedded `U` rows `from` to `to` (inclusive, counted from 0) of each parent row: the
    /// reference's `range(0, 1, foreign_table="instruments")`.
    pub fn range_embedded<U: Table>(self, from: u64, to: u64) -> Self
    where
        T: Relation<U>,
    {
        self.range_rel::<U, U>(from, to)
    }

    /// Orders the parent rows by a column of the one `U` row each embeds (a to-one relation):
    /// `.order_by_related(orchestral_section::name.asc())` is PostgREST's
    /// `order=orchestral_sections(name).asc`. PostgREST orders by the embedding's output, so
    /// the column must be in its select under its own name (not aliased); otherwise the server
    /// answers `42703`.
    pub fn order_by_related(self, order: impl RelatedOrder<T>) -> Self {
        order.order_by_related(self)
    }

    /// [`filter_embedded`](Self::filter_embedded) through a named relation, for tables related
    /// several ways: `.filter_embedded_via(message::sender, user::name.eq("Jane"))`. The
    /// embedding is addressed by the relation's name (the embedding field's name).
    pub fn filter_embedded_via<R>(
        self,
        _relation: R,
        filter: impl EmbeddedFilter<T, Named<R>>,
    ) -> Self {
        filter.filter_embedded(self)
    }

    /// [`order_embedded`](Self::order_embedded) through a named relation.
    pub fn order_embedded_via<R>(
        self,
        _relation: R,
        order: impl EmbeddedOrder<T, Named<R>>,
    ) -> Self {
        order.order_embedded(self)
    }

    /// [`limit_embedded`](Self::limit_embedded) through a named relation.
    pub fn limit_embedded_via<U: Table, R: 'static>(self, _relation: R, count: u64) -> Self
    where
        T: Relation<U, R>,
    {
        self.limit_rel::<U, R>(count)
    }

    /// [`range_embedded`](Self::range_embedded) through a named relation.
    pub fn range_embedded_via<U: Table, R: 'static>(self, _relation: R, from: u64, to: u64) -> Self
    where
        T: Relation<U, R>,
    {
        self.range_rel::<U, R>(from, to)
    }

    /// [`order_by_related`](Self::order_by_related) through a named relation:
    /// `.order_by_related_via(instrument::section, orchestral_section::name.desc())` is
    /// `order=section(name).desc`.
    pub fn order_by_related_via<R>(
        self,
        _relation: R,
        order: impl RelatedOrder<T, Named<R>>,
    ) -> Self {
        order.order_by_related(self)
    }

    fn filter_rel<U: Table, R: 'static>(self, filter: Filter<U>) -> Self
    where
        T: Relation<U, R>,
    {
        let key = self.embedded_key::<U, R>();
        self.map(|b| b.where_referenced(key, filter.condition))
    }

    fn order_rel<U: Table, R: 'static>(self, order: OrderBy<U>) -> Self
    where
        T: Relation<U, R>,
    {
        let key = self.embedded_key::<U, R>();
        self.map(|b| b.order(order.column, order.order.referenced_table(key)))
    }

    fn limit_rel<U: Table, R: 'static>(self, count: u64) -> Self
    where
        T: Relation<U, R>,
    {
        let key = self.embedded_key::<U, R>();
        self.map(|b| b.limit_referenced(key, count))
    }

    fn range_rel<U: Table, R: 'static>(self, from: u64, to: u64) -> Self
    where
        T: Relation<U, R>,
    {
        let key = self.embedded_key::<U, R>();
        self.map(|b| b.range_referenced(key, from, to))
    }

    fn order_by_rel<U: Table, R: 'static>(self, order: OrderBy<U>) -> Self
    where
        T: ToOne<U, R>,
    {
        let key = self.embedded_key::<U, R>();
        let column = format!("{key}({})", order.column);
        self.map(|b| b.order(column, order.order))
    }

    /// Orders by a column of `T`: `.order(planet::name.desc())`. Several calls order by several
    /// columns.
    pub fn order(self, order: OrderBy<T>) -> Self {
        self.map(|b| b.order(order.column, order.order))
    }

    /// At most `count` rows.
    pub fn limit(self, count: u64) -> Self {
        self.map(|b| b.limit(count))
    }

    /// Rows `from` to `to`, inclusive, counted from 0.
    pub fn range(self, from: u64, to: u64) -> Self {
        self.map(|b| b.range(from, to))
    }

    /// Counts the matching rows; read the total from [`Response::count`] via
    /// [`execute`](Query::execute).
    pub fn count(self, count: Count) -> Self {
        self.map(|b| b.count(count))
    }

    /// Upsert: decide conflicts on this unique column, or on these columns of one unique
    /// constraint (`on_conflict((a, b))`), instead of the primary key.
    pub fn on_conflict(self, columns: impl ConflictTarget<T>) -> Self
    where
        Verb: verb::Resolves,
    {
        let columns = columns.conflict_columns();
        self.map(|b| b.on_conflict(columns))
    }

    /// Upsert: leave conflicting rows alone.
    pub fn ignore_duplicates(self) -> Self
    where
        Verb: verb::Resolves,
    {
        self.map(Builder::ignore_duplicates)
    }

    /// Runs the request and rolls it back; an error if the server committed it instead (see
    /// the untyped [`rollback`](crate::postgrest::Builder::rollback)).
    pub fn rollback(self) -> Self {
        self.map(Builder::rollback)
    }

    /// Fails the request, writing nothing, when it would affect more than `rows` rows (see the
    /// untyped [`max_affected`](crate::postgrest::Builder::max_affected)).
    pub fn max_affected(self, rows: u64) -> Self
    where
        Verb: verb::Affects,
    {
        self.map(|b| b.max_affected(rows))
    }

    /// A timeout for this request only.
    pub fn timeout(self, timeout: std::time::Duration) -> Self {
        self.map(|b| b.timeout(timeout))
    }

    /// `false`: sent once, even a read the client's retry policy would send again (see the
    /// untyped [`retry`](crate::postgrest::Builder::retry)).
    pub fn retry(self, enabled: bool) -> Self {
        self.map(|b| b.retry(enabled))
    }

    /// A header for this request only (it wins over the client's headers and over those the
    /// query sets, so an `Accept` of another format makes the typed rows undecodable); an
    /// invalid name or value is an error when the query runs.
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.map(|b| b.header(name, value))
    }

    /// [`insert_many`](TypedTable::insert_many) and [`upsert_many`](TypedTable::upsert_many):
    /// with `true`, a column one row leaves out while another sets it is written as NULL rather
    /// than its default (`Prefer: missing=default` is then not sent). Typed writes default to
    /// `false`, since a left-out column is one the row did not set. A single row's left-out
    /// columns always take their defaults (the row alone names the columns written).
    pub fn default_to_null(self, yes: bool) -> Self
    where
        Verb: verb::WritesRows,
    {
        self.map(|b| b.default_to_null(yes))
    }

    /// Leaves out of each row the keys whose value is null (see the untyped
    /// [`strip_nulls`](crate::postgrest::Builder::strip_nulls)); the row type's `Option` fields
    /// read a missing key as `None`.
    pub fn strip_nulls(self) -> Self {
        self.map(Builder::strip_nulls)
    }

    /// The result as CSV text instead of rows.
    pub fn csv(self) -> Query<T, String, M, Verb> {
        self.map_out(Builder::csv)
    }

    /// The rows as a GeoJSON `FeatureCollection` (PostGIS geometry columns), as the untyped
    /// [`geojson`](crate::postgrest::Builder::geojson).
    pub fn geojson(self) -> Query<T, serde_json::Value, M, Verb> {
        self.map_out(Builder::geojson)
    }

    /// The query plan instead of the rows (see the untyped
    /// [`explain`](crate::postgrest::Builder::explain)).
    pub fn explain(self, options: Explain) -> Query<T, serde_json::Value, M, Verb> {
        self.map_out(|b| b.explain(options))
    }

    /// Only the status and the count: no rows come back (see [`Builder::head`]: `HEAD` for
    /// reads and function calls, which then carry their arguments in the query string and run
    /// read-only, as postgrest-js's `rpc(.., {head: true})`; `return=minimal` for writes).
    /// The typed form of `returning(Returning::Minimal)`: a write that returns nothing has no
    /// rows to decode.
    #[doc(alias = "returning")]
    #[doc(alias = "minimal")]
    pub fn head(self) -> Query<T, (), M, Verb> {
        self.map_out(Builder::head)
    }

    /// A function call ([`Client::call_rows`](crate::Client::call_rows)) sent as `GET`, its
    /// arguments in the query string: PostgREST runs it in a read-only transaction, so this
    /// suits `STABLE` and `IMMUTABLE` functions ([`Rpc::READ_ONLY`](crate::Rpc::READ_ONLY)).
    /// Function calls only: a table read is a `GET` already.
    pub fn get(self) -> Self
    where
        Verb: verb::Calls,
    {
        self.map(Builder::get)
    }

    /// The request this query would send, without sending it.
    pub fn build(&self) -> Result<HttpRequest> {
        self.inner.build()
    }

    /// The untyped builder underneath, for what the typed layer does not express.
    pub fn into_untyped(self) -> Builder<Out, M> {
        self.inner
    }
}

impl<T: Table, R, M, Verb> Query<T, Vec<R>, M, Verb> {
    /// Exactly one row (an error for zero or several).
    pub fn single(self) -> Query<T, R, M, Verb> {
        self.map_out(|b| b.single().returns())
    }

    /// Zero or one row.
    pub fn maybe_single(self) -> Query<T, Option<R>, M, Verb> {
        self.map_out(|b| b.maybe_single().returns())
    }
}

impl<T: Table, R: DeserializeOwned + Send + 'static, Verb> Query<T, Vec<R>, Async, Verb> {
    /// Yields the rows one by one as the response arrives (see [`Builder::stream`]): a
    /// million-row read holds one row at a time.
    pub fn stream(self) -> impl futures_util::Stream<Item = Result<R>> + Send + 'static {
        self.inner.stream()
    }
}

impl<T: Table, Out: DeserializeOwned, Verb> Query<T, Out, Async, Verb> {
    /// Sends the request: data, count and status.
    pub fn execute(self) -> impl Future<Output = Result<Response<Out>>> {
        self.inner.execute()
    }
}

#[cfg(feature = "blocking")]
impl<T: Table, Out: DeserializeOwned, Verb> Query<T, Out, crate::postgrest::Blocking, Verb> {
    /// Sends the request, blocking: data, count and status.
    pub fn execute(self) -> Result<Response<Out>> {
        self.inner.execute()
    }
}

impl<T: Table, Out: DeserializeOwned + Send + 'static, Verb> IntoFuture
    for Query<T, Out, Async, Verb>
{
    type Output = Result<Out>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Out>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        // A combinator rather than an `async` block: no layer of its own to build and copy.
        Box::pin(self.inner.execute().map(|response| Ok(response?.data)))
    }
}
