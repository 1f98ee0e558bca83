//! Typed Postgres functions: [`Rpc`] describes one function (codegen emits one type per
//! function: its arguments as fields, its result as [`Rpc::Output`]) and [`RpcRows`] marks
//! set-returning functions whose rows are a table's rows, so typed filters apply to them.
//!
//! ```
//! use supabase_core::Rpc;
//!
//! #[derive(serde::Serialize)]
//! struct AddOneEach { arr: Vec<i32> }
//!
//! impl Rpc for AddOneEach {
//!     const NAME: &'static str = "add_one_each";
//!     const SCHEMA: &'static str = "public";
//!     const READ_ONLY: bool = true;
//!     type Output = Vec<i32>;
//! }
//!
//! # fn main() -> supabase_core::Result<()> {
//! let client = supabase_core::create_client("http://127.0.0.1:54321", "anon-key")?;
//! let req = client.call(AddOneEach { arr: vec![1, 2] }).build()?;
//! assert_eq!(req.path_and_query(), "/rest/v1/rpc/add_one_each");
//! assert_eq!(req.body(), Some(&br#"{"arr":[1,2]}"#[..]));
//! // Awaited, a call gives its output, as typed table queries give their rows:
//! // `let out: Vec<i32> = client.call(AddOneEach { arr: vec![1, 2] }).await?;`
//! # Ok(()) }
//! ```

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::FutureExt as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::http::HttpRequest;
use crate::postgrest::{Async, Builder, Response};
use crate::table::Table;

/// A Postgres function callable through PostgREST: `Self` holds the named arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe a Postgres function",
    label = "not an `Rpc` type",
    note = "`supabase-codegen` emits one `Rpc` type per function; or implement `Rpc` by hand"
)]
pub trait Rpc: Serialize {
    /// The function's name.
    const NAME: &'static str;
    /// The function's schema.
    const SCHEMA: &'static str;
    /// `true` for `STABLE` and `IMMUTABLE` functions. Calls use `POST` either way (as
    /// supabase-js does); `.get()` sends one as `GET`, which PostgREST runs in a read-only
    /// transaction, so a function that writes fails there. Codegen from PostgREST's OpenAPI
    /// document cannot see volatility and writes `false`.
    const READ_ONLY: bool;
    /// The result, decoded: a scalar `T`, `Option<T>`, or `Vec<T>` for set-returning functions.
    type Output: DeserializeOwned;
    /// The function returns one composite value (a table's row or a composite type), which
    /// PostgREST sends as an object of nulls when the function returns NULL: with `true`, the
    /// call reads such an object as `null`, so an `Option` output is `None`. Codegen sets it
    /// for such functions.
    const RETURNS_ROW: bool = false;

    /// For a function whose one argument is unnamed (`text`, `xml`, `bytea`, `json` or
    /// `jsonb`): that argument, which PostgREST takes as the whole request body ([`RpcBody`]).
    /// The default, `Err(self)`, sends the fields as named arguments.
    fn into_body(self) -> std::result::Result<RpcBody, Self>
    where
        Self: Sized,
    {
        Err(self)
    }
}

/// The single unnamed argument of a function, sent as the whole body of the call: PostgREST
/// picks the function by the body's `Content-Type`, among those whose one argument is unnamed
/// and of exactly that type (not a domain over it, nor `varchar`). Such a call is always a
/// `POST`: a query string only has named arguments.
///
/// ```
/// use supabase_core::RpcBody;
///
/// # fn main() -> supabase_core::Result<()> {
/// let client = supabase_core::create_client("http://127.0.0.1:54321", "anon-key")?;
/// // create function shout(text) returns text ...
/// let req = client.rpc_body("shout", RpcBody::Text("hello".into())).build()?;
/// assert_eq!(req.path_and_query(), "/rest/v1/rpc/shout");
/// assert_eq!(req.headers()["content-type"], "text/plain");
/// assert_eq!(req.body(), Some(&b"hello"[..]));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RpcBody {
    /// For `f(text)`: sent as `text/plain`.
    Text(String),
    /// For `f(xml)`: sent as `text/xml`.
    Xml(String),
    /// For `f(bytea)`: sent as `application/octet-stream`.
    Binary(Bytes),
    /// For `f(json)` or `f(jsonb)`: the object, as JSON. An object whose keys are all the
    /// arguments of a named overload (an empty one: of an overload without arguments, or whose
    /// arguments all have defaults) calls that overload instead.
    Json(serde_json::Map<String, serde_json::Value>),
}

impl RpcBody {
    /// The `Content-Type` PostgREST picks the function by.
    pub fn content_type(&self) -> &'static str {
        match self {
            RpcBody::Text(_) => "text/plain",
            RpcBody::Xml(_) => "text/xml",
            RpcBody::Binary(_) => "application/octet-stream",
            RpcBody::Json(_) => "application/json",
        }
    }

    pub(crate) fn into_bytes(self) -> crate::Result<Bytes> {
        Ok(match self {
            RpcBody::Text(s) | RpcBody::Xml(s) => Bytes::from(s),
            RpcBody::Binary(b) => b,
            RpcBody::Json(object) => Bytes::from(
                serde_json::to_vec(&object).map_err(|e| crate::Error::Encode(e.to_string()))?,
            ),
        })
    }
}

/// A set-returning function whose rows are rows of a table (`RETURNS SETOF planets`): the typed
/// filters, order and limit of [`Row`](RpcRows::Row) apply to its result.
pub trait RpcRows: Rpc<Output = Vec<Self::Row>> {
    /// The table whose rows the function returns.
    type Row: Table;
}

/// A typed function call, made by [`Client::call`](crate::Client::call). Awaited, it gives the
/// function's [`Rpc::Output`] (as a typed table query gives its rows); [`execute`](Self::execute)
/// gives the whole [`Response`] (status, count). The blocking client's calls
/// (`blocking::Client::call`) are sent by `execute`.
#[must_use = "a call does nothing until awaited"]
pub struct Call<F: Rpc, M = Async> {
    inner: Builder<F::Output, M>,
}

impl<F: Rpc, M> std::fmt::Debug for Call<F, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Call").field(&self.inner).finish()
    }
}

impl<F: Rpc, M> Call<F, M> {
    /// The call of `args` in `F`'s schema, on `client`.
    pub(crate) fn new(client: &crate::Client, args: F) -> Self {
        let builder = call_builder::<F, M>(client, args);
        Call {
            inner: builder.map_state(|s| s.null_row = F::RETURNS_ROW).returns(),
        }
    }

    fn map(self, f: impl FnOnce(Builder<F::Output, M>) -> Builder<F::Output, M>) -> Self {
        Call {
            inner: f(self.inner),
        }
    }

    /// Sends the call as `GET`, its arguments in the query string (the reference's
    /// `rpc(..., get=True)`): PostgREST runs it in a read-only transaction, so this suits
    /// `STABLE` and `IMMUTABLE` functions ([`Rpc::READ_ONLY`]).
    pub fn get(self) -> Self {
        self.map(Builder::get)
    }

    /// A timeout for this call only.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map(|b| b.timeout(timeout))
    }

    /// `false`: sent once, even as a `GET` the client's retry policy would send again (see
    /// the untyped [`retry`](crate::postgrest::Builder::retry)).
    pub fn retry(self, enabled: bool) -> Self {
        self.map(|b| b.retry(enabled))
    }

    /// A header for this call only.
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        self.map(|b| b.header(name, value))
    }

    /// The request this call would send, without sending it.
    pub fn build(&self) -> Result<HttpRequest> {
        self.inner.build()
    }

    /// The untyped builder underneath, for what the typed call does not express.
    pub fn into_untyped(self) -> Builder<F::Output, M> {
        self.inner
    }
}

/// The untyped call `args` makes, in `F`'s schema: named arguments, or an unnamed one as the
/// body.
pub(crate) fn call_builder<F: Rpc, M>(
    client: &crate::Client,
    args: F,
) -> Builder<serde_json::Value, M> {
    let postgrest = crate::postgrest::Postgrest::<M>::new(
        client.clone(),
        std::borrow::Cow::Borrowed(F::SCHEMA),
    );
    match args.into_body() {
        Ok(body) => postgrest.rpc_body(F::NAME, body),
        Err(args) => postgrest.rpc(F::NAME, args),
    }
}

impl<F: Rpc> Call<F>
where
    F::Output: Send + 'static,
{
    /// Sends the call: the output, with the status (and a count, if asked for through
    /// [`into_untyped`](Self::into_untyped)).
    pub fn execute(self) -> impl Future<Output = Result<Response<F::Output>>> {
        self.inner.execute()
    }
}

#[cfg(feature = "blocking")]
impl<F: Rpc> Call<F, crate::postgrest::Blocking> {
    /// Sends the call, blocking: the output, with the status.
    pub fn execute(self) -> Result<Response<F::Output>> {
        self.inner.execute()
    }
}

impl<F: Rpc> IntoFuture for Call<F>
where
    F::Output: Send + 'static,
{
    type Output = Result<F::Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<F::Output>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.inner.execute().map(|response| Ok(response?.data)))
    }
}

#[cfg(test)]
mod tests {
    use super::RpcBody;

    #[test]
    fn each_body_is_sent_with_its_content_type() {
        let client = crate::create_client("http://127.0.0.1:1", "key").unwrap();
        let object = serde_json::json!({ "event": "signup" });
        let object = object.as_object().cloned().unwrap();
        for (body, content_type, bytes) in [
            (RpcBody::Text("a b".into()), "text/plain", &b"a b"[..]),
            (RpcBody::Xml("<a/>".into()), "text/xml", b"<a/>"),
            (
                RpcBody::Binary(vec![0, 255].into()),
                "application/octet-stream",
                b"\0\xff",
            ),
            (
                RpcBody::Json(object),
                "application/json",
                br#"{"event":"signup"}"#,
            ),
        ] {
            let built = client.rpc_body("f", body.clone()).build().unwrap();
            assert_eq!(built.method(), "POST");
            assert_eq!(built.headers()["content-type"], content_type);
            assert_eq!(built.body(), Some(bytes));
            // A query string has no unnamed argument.
            let refused = client.rpc_body("f", body).get().build();
            assert!(
                matches!(refused, Err(crate::Error::Config(_))),
                "{refused:?}"
            );
        }
    }
}
