//! [`Filter<T>`]: a condition on the rows of table `T`, built from its columns with the
//! [`ColumnExt`] methods (`planet::moons.gte(2)`), combined with `&`, `|` and `!`.

use std::any::TypeId;
use std::borrow::Cow;
use std::marker::PhantomData;

use super::json::{JsonKey, JsonPath, JsonText};
use crate::postgrest::{Condition, Op, Order, TextSearch};
use crate::table::{
    Boolean, Column, ColumnOf, Containable, IsOperand, Json, NullableColumn, Ordered, Overlapping,
    RangeValue, Searchable, Table, Text, ValueOf, query_name,
};

/// A condition on rows of table `T`. Combine with [`Filter::and`], [`Filter::or`] (or `&`, `|`)
/// and `!`.
#[must_use]
pub struct Filter<T> {
    pub(crate) condition: Condition,
    _table: PhantomData<fn() -> T>,
}

impl<T> Clone for Filter<T> {
    fn clone(&self) -> Self {
        Filter::new(self.condition.clone())
    }
}

impl<T> std::fmt::Debug for Filter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Filter").field(&self.condition).finish()
    }
}

impl<T> Filter<T> {
    pub(crate) fn new(condition: Condition) -> Self {
        Filter {
            condition,
            _table: PhantomData,
        }
    }

    /// Both conditions.
    pub fn and(self, other: Filter<T>) -> Self {
        Filter::all([self, other])
    }

    /// Either condition.
    pub fn or(self, other: Filter<T>) -> Self {
        Filter::any([self, other])
    }

    /// All of `filters`.
    pub fn all(filters: impl IntoIterator<Item = Filter<T>>) -> Self {
        Filter::new(Condition::and(filters.into_iter().map(|f| f.condition)))
    }

    /// At least one of `filters`.
    pub fn any(filters: impl IntoIterator<Item = Filter<T>>) -> Self {
        Filter::new(Condition::or(filters.into_iter().map(|f| f.condition)))
    }

    /// The untyped condition underneath.
    pub fn into_condition(self) -> Condition {
        self.condition
    }
}

impl<T> std::ops::Not for Filter<T> {
    type Output = Filter<T>;
    fn not(self) -> Filter<T> {
        Filter::new(!self.condition)
    }
}

impl<T> std::ops::BitAnd for Filter<T> {
    type Output = Filter<T>;
    fn bitand(self, rhs: Filter<T>) -> Filter<T> {
        self.and(rhs)
    }
}

impl<T> std::ops::BitOr for Filter<T> {
    type Output = Filter<T>;
    fn bitor(self, rhs: Filter<T>) -> Filter<T> {
        self.or(rhs)
    }
}

/// One `(column, value)` pair of table `T` in the tuple the typed
/// [`match_`](super::Query::match_) takes: the column must be `T`'s and the value of its type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `(column, value)` pair of `{T}`",
    label = "expected a tuple of `(column, value)` pairs of `{T}`",
    note = "`match_` takes a tuple of pairs, `((column, value), (column, value))`, or `((column, value),)` for one, each with a column of `{T}` and a value of that column's type"
)]
pub trait ColumnValue<T: Table> {
    /// `column = value`.
    fn into_filter(self) -> Filter<T>;
}

impl<T: Table, C: ColumnOf<T>, V: ValueOf<C::Value>> ColumnValue<T> for (C, V) {
    fn into_filter(self) -> Filter<T> {
        self.0.eq(self.1)
    }
}

/// What the typed [`match_`](super::Query::match_) takes: a tuple of one to eight
/// [`(column, value)`](ColumnValue) pairs of table `T`. The reference's
/// `.match({"id": 2, "name": "Earth"})` is `.match_(((planet::id, 2), (planet::name, "Earth")))`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tuple of `(column, value)` pairs of `{T}`",
    label = "expected `((column, value), (column, value), ..)`",
    note = "`match_` takes a tuple of pairs, `((column, value), (column, value))`, or `((column, value),)` for one, each with a column of `{T}` and a value of that column's type"
)]
pub trait ColumnValues<T: Table> {
    /// `column = value` for every pair, in order.
    fn into_filters(self) -> Vec<Filter<T>>;
}

macro_rules! column_value_tuples {
    ($(($($p:ident $i:tt),+)),*) => {$(
        impl<T: Table, $($p: ColumnValue<T>),+> ColumnValues<T> for ($($p,)+) {
            fn into_filters(self) -> Vec<Filter<T>> {
                vec![$(self.$i.into_filter()),+]
            }
        }
    )*};
}

column_value_tuples!(
    (P0 0),
    (P0 0, P1 1),
    (P0 0, P1 1, P2 2),
    (P0 0, P1 1, P2 2, P3 3),
    (P0 0, P1 1, P2 2, P3 3, P4 4),
    (P0 0, P1 1, P2 2, P3 3, P4 4, P5 5),
    (P0 0, P1 1, P2 2, P3 3, P4 4, P5 5, P6 6),
    (P0 0, P1 1, P2 2, P3 3, P4 4, P5 5, P6 6, P7 7)
);

/// An ordering of table `T`'s rows by one column (`planet::name.desc()`) or a JSON path into one
/// (`user::address.json_text("city").asc()`).
#[derive(Debug, Clone)]
#[must_use]
pub struct OrderBy<T> {
    pub(crate) column: Cow<'static, str>,
    pub(crate) order: Order,
    _table: PhantomData<fn() -> T>,
}

impl<T> OrderBy<T> {
    pub(crate) fn new(column: Cow<'static, str>, order: Order) -> Self {
        OrderBy {
            column,
            order,
            _table: PhantomData,
        }
    }

    /// NULLs first.
    pub fn nulls_first(mut self) -> Self {
        self.order = self.order.nulls_first();
        self
    }

    /// NULLs last.
    pub fn nulls_last(mut self) -> Self {
        self.order = self.order.nulls_last();
        self
    }
}

fn leaf<C: Column, V: serde::Serialize>(op: Op, value: V) -> Filter<C::Table> {
    // A json or jsonb column (`serde_json::Value`, as codegen types them) takes its operand as
    // JSON text: PostgREST casts the operand to the column's type, so a string must keep its
    // quotes and an array is a JSON array, not a Postgres array literal (`{"a"}` is no jsonb).
    // The comparison is of two constants: the branch not taken is compiled out.
    let condition = if TypeId::of::<C::Value>() == TypeId::of::<serde_json::Value>() {
        Condition::json_leaf(query_name::<C>(), op, &value)
    } else {
        Condition::leaf(query_name::<C>(), op, &value)
    };
    Filter::new(condition)
}

/// Filter and ordering methods on every column (in the prelude). Each operator exists only for
/// the column types it makes sense for, and takes values of the column's type.
pub trait ColumnExt: Column {
    /// `= value`.
    fn eq<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table> {
        leaf::<Self, V>(Op::Eq, value)
    }

    /// `<> value`.
    fn neq<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table> {
        leaf::<Self, V>(Op::Neq, value)
    }

    /// One of `values`.
    #[doc(alias = "in")]
    fn in_<I>(self, values: I) -> Filter<Self::Table>
    where
        I: IntoIterator,
        I::Item: ValueOf<Self::Value>,
    {
        leaf::<Self, _>(Op::In, values.into_iter().collect::<Vec<_>>())
    }

    /// `> value`.
    fn gt<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Ordered,
    {
        leaf::<Self, V>(Op::Gt, value)
    }

    /// `>= value`.
    fn gte<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Ordered,
    {
        leaf::<Self, V>(Op::Gte, value)
    }

    /// `< value`.
    fn lt<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Ordered,
    {
        leaf::<Self, V>(Op::Lt, value)
    }

    /// `<= value`.
    fn lte<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Ordered,
    {
        leaf::<Self, V>(Op::Lte, value)
    }

    /// `LIKE pattern`.
    fn like(self, pattern: &str) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, _>(Op::Like, pattern)
    }

    /// `ILIKE pattern`.
    fn ilike(self, pattern: &str) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, _>(Op::Ilike, pattern)
    }

    /// Matches every pattern.
    fn like_all_of<'a>(self, patterns: impl IntoIterator<Item = &'a str>) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, _>(Op::LikeAllOf, patterns.into_iter().collect::<Vec<_>>())
    }

    /// Matches any pattern.
    fn like_any_of<'a>(self, patterns: impl IntoIterator<Item = &'a str>) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, _>(Op::LikeAnyOf, patterns.into_iter().collect::<Vec<_>>())
    }

    /// Matches every pattern, case-insensitively.
    fn ilike_all_of<'a>(self, patterns: impl IntoIterator<Item = &'a str>) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, _>(Op::IlikeAllOf, patterns.into_iter().collect::<Vec<_>>())
    }

    /// Matches any pattern, case-insensitively.
    fn ilike_any_of<'a>(self, patterns: impl IntoIterator<Item = &'a str>) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, _>(Op::IlikeAnyOf, patterns.into_iter().collect::<Vec<_>>())
    }

    /// Full-text search.
    fn text_search(self, query: &str, options: TextSearch) -> Filter<Self::Table>
    where
        Self::Kind: Searchable,
    {
        Filter::new(Condition::text_search(
            query_name::<Self>(),
            query,
            &options,
        ))
    }

    /// Contains every element of `value` (arrays), the value (jsonb) or the range.
    fn contains<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Containable,
    {
        leaf::<Self, V>(Op::Contains, value)
    }

    /// Contained in `value`.
    fn contained_by<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Containable,
    {
        leaf::<Self, V>(Op::ContainedBy, value)
    }

    /// Shares an element (arrays) or a point (ranges) with `value`.
    fn overlaps<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Overlapping,
    {
        leaf::<Self, V>(Op::Overlaps, value)
    }

    /// Strictly right of the range.
    fn range_gt<V: ValueOf<Self::Value>>(self, range: V) -> Filter<Self::Table>
    where
        Self::Kind: RangeValue,
    {
        leaf::<Self, V>(Op::RangeGt, range)
    }

    /// Does not extend left of the range.
    fn range_gte<V: ValueOf<Self::Value>>(self, range: V) -> Filter<Self::Table>
    where
        Self::Kind: RangeValue,
    {
        leaf::<Self, V>(Op::RangeGte, range)
    }

    /// Strictly left of the range.
    fn range_lt<V: ValueOf<Self::Value>>(self, range: V) -> Filter<Self::Table>
    where
        Self::Kind: RangeValue,
    {
        leaf::<Self, V>(Op::RangeLt, range)
    }

    /// Does not extend right of the range.
    fn range_lte<V: ValueOf<Self::Value>>(self, range: V) -> Filter<Self::Table>
    where
        Self::Kind: RangeValue,
    {
        leaf::<Self, V>(Op::RangeLte, range)
    }

    /// Adjacent to the range.
    fn range_adjacent<V: ValueOf<Self::Value>>(self, range: V) -> Filter<Self::Table>
    where
        Self::Kind: RangeValue,
    {
        leaf::<Self, V>(Op::RangeAdjacent, range)
    }

    /// Matches the POSIX regular expression `pattern` (`~`, PostgREST's `match`).
    #[doc(alias = "match")]
    fn match_(self, pattern: &str) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, &str>(Op::Match, pattern)
    }

    /// Matches the POSIX regular expression `pattern`, ignoring case (`~*`, `imatch`).
    fn imatch(self, pattern: &str) -> Filter<Self::Table>
    where
        Self::Kind: Text,
    {
        leaf::<Self, &str>(Op::Imatch, pattern)
    }

    /// `IS DISTINCT FROM value`: unequal, a NULL counting as a value (`isdistinct`).
    fn is_distinct<V: ValueOf<Self::Value>>(self, value: V) -> Filter<Self::Table> {
        leaf::<Self, V>(Op::IsDistinct, value)
    }

    /// `IS NULL` (nullable columns only).
    fn is_null(self) -> Filter<Self::Table>
    where
        Self: NullableColumn,
    {
        Filter::new(Condition::is_leaf(
            query_name::<Self>(),
            crate::postgrest::Is::Null,
        ))
    }

    /// `IS TRUE` / `IS FALSE` (`true` / `false`), or `IS NULL` (`None`, nullable columns only)
    /// on a boolean column: the reference's `is_`. Negate with `!` for `IS NOT TRUE` and so on.
    #[doc(alias = "is")]
    fn is_<V: IsOperand<Self>>(self, value: V) -> Filter<Self::Table>
    where
        Self::Kind: Boolean,
    {
        Filter::new(Condition::is_leaf(query_name::<Self>(), value.keyword()))
    }

    /// `IS NOT NULL` (nullable columns only).
    fn is_not_null(self) -> Filter<Self::Table>
    where
        Self: NullableColumn,
    {
        !self.is_null()
    }

    /// Ascending order by this column.
    fn asc(self) -> OrderBy<Self::Table> {
        OrderBy::new(query_name::<Self>(), Order::asc())
    }

    /// Descending order by this column.
    fn desc(self) -> OrderBy<Self::Table> {
        OrderBy::new(query_name::<Self>(), Order::desc())
    }

    /// The value at `key` (an object key, or an array index) of a json or jsonb column, compared
    /// as JSON: `user::address.json("postcode").eq(90210)` is PostgREST's
    /// `address->postcode=eq.90210`.
    fn json(self, key: impl Into<JsonKey>) -> JsonPath<Self::Table>
    where
        Self::Kind: Json,
    {
        JsonPath::new(&query_name::<Self>(), key.into())
    }

    /// The value at `key` of a json or jsonb column, as text: `user::address.json_text("city")`
    /// is PostgREST's `address->>city`.
    fn json_text(self, key: impl Into<JsonKey>) -> JsonText<Self::Table>
    where
        Self::Kind: Json,
    {
        JsonText::new(&query_name::<Self>(), key.into())
    }
}

impl<C: Column> ColumnExt for C {}
