//! The verb of a typed [`Query`](super::Query), in its type: options that only one kind of
//! request has are methods of that kind only, so `insert(row).on_conflict(..)` or
//! `select().max_affected(1)`, which PostgREST would quietly ignore, do not compile.
//! postgrest-js refuses the same combinations by type.

mod sealed {
    pub trait Sealed {}
}

/// A verb of a typed query.
pub trait Verb: sealed::Sealed {}

/// A read: [`select`](super::TypedTable::select), [`select_as`](super::TypedTable::select_as).
#[derive(Debug, Clone, Copy)]
pub enum Select {}
/// A call of a set-returning function ([`Client::call_rows`](crate::Client::call_rows)).
#[derive(Debug, Clone, Copy)]
pub enum Call {}
/// [`insert`](super::TypedTable::insert), [`insert_many`](super::TypedTable::insert_many).
#[derive(Debug, Clone, Copy)]
pub enum Insert {}
/// [`upsert`](super::TypedTable::upsert), [`upsert_many`](super::TypedTable::upsert_many).
#[derive(Debug, Clone, Copy)]
pub enum Upsert {}
/// [`update`](super::TypedTable::update).
#[derive(Debug, Clone, Copy)]
pub enum Update {}
/// [`delete`](super::TypedTable::delete).
#[derive(Debug, Clone, Copy)]
pub enum Delete {}

macro_rules! verbs {
    ($($verb:ident),*) => {$(
        impl sealed::Sealed for $verb {}
        impl Verb for $verb {}
    )*};
}
verbs!(Select, Call, Insert, Upsert, Update, Delete);

/// Verbs that decide conflicts: [`on_conflict`](super::Query::on_conflict) and
/// [`ignore_duplicates`](super::Query::ignore_duplicates).
#[diagnostic::on_unimplemented(
    message = "`on_conflict` and `ignore_duplicates` apply to an upsert, not to a `{Self}` query",
    label = "not an upsert",
    note = "start the query with `upsert` or `upsert_many`"
)]
pub trait Resolves: Verb {}
impl Resolves for Upsert {}

/// Verbs whose affected rows [`max_affected`](super::Query::max_affected) can limit: updates,
/// deletes, and function calls (whatever the function writes, as postgrest-js allows it on
/// `rpc`).
#[diagnostic::on_unimplemented(
    message = "`max_affected` limits an update, a delete or a function call, not a `{Self}` query",
    label = "affects no existing rows"
)]
pub trait Affects: Verb {}
impl Affects for Update {}
impl Affects for Delete {}
impl Affects for Call {}

/// Verbs that write rows given in the request:
/// [`default_to_null`](super::Query::default_to_null).
#[diagnostic::on_unimplemented(
    message = "`default_to_null` applies to an insert or an upsert, not to a `{Self}` query",
    label = "writes no rows of its own"
)]
pub trait WritesRows: Verb {}
impl WritesRows for Insert {}
impl WritesRows for Upsert {}

/// Function calls: [`get`](super::Query::get).
#[diagnostic::on_unimplemented(
    message = "`get` sends a function call as GET; a `{Self}` query is not one",
    label = "not a function call",
    note = "a table read is a GET already"
)]
pub trait Calls: Verb {}
impl Calls for Call {}
