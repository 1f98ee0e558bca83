//! What the embedded-table methods of [`Query`] take: a [`Filter<U>`] or an [`OrderBy<U>`] on a
//! table `U` that the queried table `T` relates to.
//!
//! The methods take their argument through these traits rather than as `Filter<U>` with a
//! `T: Relation<U>` bound on the method, for the compiler's sake. With the bound on the method,
//! rustc settled `U` from the relations `T` declares before it looked at the argument: on a
//! table with one candidate relation, a filter on any other table failed as a bare "mismatched
//! types". Through a trait, `U` comes from the argument, and a missing relation is reported as
//! one: "`Product` declares no relation to `Tag`".

use std::marker::PhantomData;

use super::Query;
use crate::select::{Relation, ToOne};
use crate::table::Table;
use crate::typed::{Filter, OrderBy};

/// The relation is the only one to the argument's table: `filter_embedded` and its siblings.
#[derive(Debug)]
pub enum Unnamed {}

/// The relation named `R` (`message::sender`): `filter_embedded_via` and its siblings.
#[derive(Debug)]
pub struct Named<R>(PhantomData<fn() -> R>);

/// A filter on a table that `T` embeds: what [`Query::filter_embedded`] (`Pick` = [`Unnamed`])
/// and [`Query::filter_embedded_via`] ([`Named`]) take. Implemented for [`Filter<U>`] when `T`
/// declares that relation to `U`.
pub trait EmbeddedFilter<T: Table, Pick = Unnamed> {
    /// Applies the filter to `query`.
    #[doc(hidden)]
    fn filter_embedded<Out, M, Verb>(self, query: Query<T, Out, M, Verb>)
    -> Query<T, Out, M, Verb>;
}

impl<T: Relation<U>, U: Table> EmbeddedFilter<T> for Filter<U> {
    fn filter_embedded<Out, M, Verb>(
        self,
        query: Query<T, Out, M, Verb>,
    ) -> Query<T, Out, M, Verb> {
        query.filter_rel::<U, U>(self)
    }
}

impl<T: Relation<U, R>, U: Table, R: 'static> EmbeddedFilter<T, Named<R>> for Filter<U> {
    fn filter_embedded<Out, M, Verb>(
        self,
        query: Query<T, Out, M, Verb>,
    ) -> Query<T, Out, M, Verb> {
        query.filter_rel::<U, R>(self)
    }
}

/// An order of the rows of a table that `T` embeds: what [`Query::order_embedded`] and
/// [`Query::order_embedded_via`] take. Implemented for [`OrderBy<U>`] when `T` declares that
/// relation to `U`.
pub trait EmbeddedOrder<T: Table, Pick = Unnamed> {
    /// Applies the order to `query`.
    #[doc(hidden)]
    fn order_embedded<Out, M, Verb>(self, query: Query<T, Out, M, Verb>) -> Query<T, Out, M, Verb>;
}

impl<T: Relation<U>, U: Table> EmbeddedOrder<T> for OrderBy<U> {
    fn order_embedded<Out, M, Verb>(self, query: Query<T, Out, M, Verb>) -> Query<T, Out, M, Verb> {
        query.order_rel::<U, U>(self)
    }
}

impl<T: Relation<U, R>, U: Table, R: 'static> EmbeddedOrder<T, Named<R>> for OrderBy<U> {
    fn order_embedded<Out, M, Verb>(self, query: Query<T, Out, M, Verb>) -> Query<T, Out, M, Verb> {
        query.order_rel::<U, R>(self)
    }
}

/// An order by a column of the one row `T` embeds: what [`Query::order_by_related`] and
/// [`Query::order_by_related_via`] take. Implemented for [`OrderBy<U>`] when that relation of
/// `T` to `U` is to-one.
pub trait RelatedOrder<T: Table, Pick = Unnamed> {
    /// Orders `query`'s rows.
    #[doc(hidden)]
    fn order_by_related<Out, M, Verb>(
        self,
        query: Query<T, Out, M, Verb>,
    ) -> Query<T, Out, M, Verb>;
}

impl<T: ToOne<U>, U: Table> RelatedOrder<T> for OrderBy<U> {
    fn order_by_related<Out, M, Verb>(
        self,
        query: Query<T, Out, M, Verb>,
    ) -> Query<T, Out, M, Verb> {
        query.order_by_rel::<U, U>(self)
    }
}

impl<T: ToOne<U, R>, U: Table, R: 'static> RelatedOrder<T, Named<R>> for OrderBy<U> {
    fn order_by_related<Out, M, Verb>(
        self,
        query: Query<T, Out, M, Verb>,
    ) -> Query<T, Out, M, Verb> {
        query.order_by_rel::<U, R>(self)
    }
}
