//! The database API: PostgREST queries, filters, modifiers and RPC.
//!
//! [`Client::from_`](crate::Client::from_) (or [`Client::table`](crate::Client::table)) starts a
//! [`TableQuery`]; its verbs (`select`, `insert`, `upsert`, `update`, `delete`) return a
//! [`Builder`] that takes filters and modifiers and runs when awaited.
//!
//! ```
//! # fn main() -> supabase_core::Result<()> {
//! let client = supabase_core::create_client("http://127.0.0.1:54321", "anon-key")?;
//! let query = client
//!     .from_("instruments")
//!     .select("name, section_id")
//!     .gte("octave_range", 3)
//!     .lt("octave_range", 7);
//! assert_eq!(
//!     query.build()?.path_and_query(),
//!     "/rest/v1/instruments?select=name,section_id&octave_range=gte.3&octave_range=lt.7"
//! );
//! # Ok(()) }
//! ```
//!
//! Every value goes through one encoder (`encode.rs`): strings are quoted wherever PostgREST's
//! grammar would otherwise let them end a list or open a condition.

mod body;
mod builder;
mod condition;
pub(crate) mod encode;
mod filters;
mod modifiers;
pub(crate) mod request;
pub(crate) mod response;
mod rows_hint;
mod simd;
pub(crate) mod stream;

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Serialize;

pub use builder::{Async, Blocking, Builder};
pub use condition::{Condition, Op};
pub use filters::{IntoIs, Is, TextSearch};
pub use modifiers::{Count, Explain, ExplainFormat, Order, Returning};
pub use response::Response;

use crate::Client;
use request::QueryState;
pub(crate) use request::Verb;

/// The database API bound to one schema. Made by [`Client::postgrest`] and [`Client::schema`].
pub struct Postgrest<M = Async> {
    client: Client,
    schema: Cow<'static, str>,
    _mode: PhantomData<M>,
}

impl<M> Clone for Postgrest<M> {
    fn clone(&self) -> Self {
        Postgrest::new(self.client.clone(), self.schema.clone())
    }
}

impl<M> std::fmt::Debug for Postgrest<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgrest")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

impl<M> Postgrest<M> {
    pub(crate) fn new(client: Client, schema: Cow<'static, str>) -> Self {
        Postgrest {
            client,
            schema,
            _mode: PhantomData,
        }
    }

    /// Starts a query on a table or view.
    pub fn from_(&self, table: impl Into<String>) -> TableQuery<M> {
        self.query(Cow::Owned(table.into()))
    }

    /// Starts a typed query on table `T` in this schema rather than `T`'s own
    /// (`#[supabase(schema = …)]`, `public` by default): one struct for a table whose shape
    /// several schemas share, as `client.schema("tenant_a").from::<Todo>()`.
    pub fn from<T: crate::Table>(&self) -> crate::typed::TypedTable<T, M> {
        crate::typed::TypedTable::new(self.clone())
    }

    /// [`Postgrest::from_`] with a name that may be borrowed (a typed table's).
    pub(crate) fn query(&self, table: Cow<'static, str>) -> TableQuery<M> {
        TableQuery {
            client: self.client.clone(),
            schema: self.schema.clone(),
            table,
            _mode: PhantomData,
        }
    }

    /// Same as [`Postgrest::from_`], as `supabase.table(name)`.
    pub fn table(&self, table: impl Into<String>) -> TableQuery<M> {
        self.from_(table)
    }

    /// Calls a Postgres function with named arguments (a map or struct; `()` for none).
    ///
    /// Sent as `POST /rest/v1/rpc/<name>`; [`Builder::get`] sends it as a `GET` instead (for
    /// functions that only read), [`Builder::head`] as a `HEAD`. Functions returning a set of
    /// rows accept filters and modifiers.
    ///
    /// ```
    /// # fn main() -> supabase_core::Result<()> {
    /// # let client = supabase_core::create_client("http://localhost:54321", "key")?;
    /// let req = client.rpc("echo", serde_json::json!({ "say": "👋" })).build()?;
    /// assert_eq!(req.method(), "POST");
    /// assert_eq!(req.path_and_query(), "/rest/v1/rpc/echo");
    /// assert_eq!(req.body(), Some(r#"{"say":"👋"}"#.as_bytes()));
    /// # Ok(()) }
    /// ```
    pub fn rpc<A: Serialize>(
        &self,
        function: impl Into<String>,
        args: A,
    ) -> Builder<serde_json::Value, M> {
        let args = encode::to_object(&args, "rpc arguments");
        Builder::new(self.client.clone(), self.rpc_state(function.into())).with_rpc_args(args)
    }

    /// A call of `function`, before its arguments.
    fn rpc_state(&self, function: String) -> QueryState {
        let path = format!("rpc/{}", encode::path_segment(&function));
        let mut state = QueryState::new(self.schema.clone(), path, Verb::Rpc);
        refuse_blank(&mut state, "function", &function);
        state
    }

    /// Calls a Postgres function whose one argument is unnamed (`text`, `xml`, `bytea`, `json`
    /// or `jsonb`), sending that argument as the whole body ([`RpcBody`](crate::RpcBody)), with
    /// the `Content-Type` PostgREST picks the function by. Always a `POST`.
    pub fn rpc_body(
        &self,
        function: impl Into<String>,
        body: crate::RpcBody,
    ) -> Builder<serde_json::Value, M> {
        let mut state = self.rpc_state(function.into());
        state.body_type = body.content_type();
        match body.into_bytes() {
            Ok(bytes) => state.body = Some(bytes),
            Err(e) => state.fail(e),
        }
        Builder::new(self.client.clone(), state)
    }
}

/// A blank name would send the request to PostgREST's root (its OpenAPI description, answered
/// as if it were rows) or to `rpc/`; refused as postgrest-js's `from` refuses it ("Invalid
/// relation name").
fn refuse_blank(state: &mut QueryState, what: &str, name: &str) {
    if name.trim().is_empty() {
        state.fail(crate::Error::config(format!("the {what} name is empty")));
    }
}

/// A table or view, before the verb is chosen. Made by [`Client::from_`](crate::Client::from_).
#[must_use = "a table query does nothing until a verb (select, insert, …) is chosen and awaited"]
pub struct TableQuery<M = Async> {
    client: Client,
    schema: Cow<'static, str>,
    table: Cow<'static, str>,
    _mode: PhantomData<M>,
}

impl<M> std::fmt::Debug for TableQuery<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableQuery")
            .field("schema", &self.schema)
            .field("table", &self.table)
            .finish_non_exhaustive()
    }
}

impl<M> TableQuery<M> {
    pub(crate) fn builder(self, verb: Verb) -> Builder<serde_json::Value, M> {
        let mut state = QueryState::new(self.schema, encode::path_segment(&self.table), verb);
        refuse_blank(&mut state, "table", &self.table);
        Builder::new(self.client, state)
    }

    /// Reads rows: `columns` is PostgREST's select syntax (`*`, `name, instruments(name)`,
    /// `alias:column`, `column::cast`, `address->city`, `rel!inner(*)`, `rel(count)`).
    /// Whitespace outside double quotes is removed, as supabase-js does.
    pub fn select(self, columns: impl AsRef<str>) -> Builder<serde_json::Value, M> {
        self.builder(Verb::Select).select(columns)
    }

    /// Inserts one row (a map or struct) or many (a list of them).
    ///
    /// For a list, the union of the rows' keys is sent as `columns=` so PostgREST inserts exactly
    /// those columns (missing keys become NULL, or the column default with
    /// [`Builder::default_to_null`]`(false)`). Returns the inserted rows unless
    /// [`Builder::returning`] asks for nothing.
    pub fn insert<V: Serialize>(self, values: V) -> Builder<serde_json::Value, M> {
        self.builder(Verb::Insert).with_body(&values)
    }

    /// Inserts, or updates rows that conflict on the primary key (or on
    /// [`Builder::on_conflict`] columns); [`Builder::ignore_duplicates`] leaves them alone.
    ///
    /// A list goes as one statement over the union of the rows' keys, as for
    /// [`insert`](Self::insert): a conflicting row that leaves out a key another row has
    /// updates that column too, to NULL or its default. To keep stored values, upsert rows
    /// with different keys in separate calls.
    pub fn upsert<V: Serialize>(self, values: V) -> Builder<serde_json::Value, M> {
        self.builder(Verb::Upsert).with_body(&values)
    }

    /// Updates the rows matched by the filters that follow with `values`.
    pub fn update<V: Serialize>(self, values: V) -> Builder<serde_json::Value, M> {
        self.builder(Verb::Update).with_body(&values)
    }

    /// Deletes the rows matched by the filters that follow.
    pub fn delete(self) -> Builder<serde_json::Value, M> {
        self.builder(Verb::Delete)
    }
}
