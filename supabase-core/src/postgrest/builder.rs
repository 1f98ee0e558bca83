//! [`Builder`]: a database request being built; awaiting it sends it.

use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::body::write_body;
use super::request::QueryState;
use super::response::{Response, asks_rollback, check_rolled_back, decode, null_row_as_null};
use crate::Client;
use crate::error::{Error, Result};
use crate::http::HttpRequest;

/// A database request being built: filters and modifiers are methods, and awaiting it (or
/// calling [`Builder::execute`]) sends it and decodes the body into `T`.
///
/// `T` is `serde_json::Value` until [`Builder::returns`] names another type; any
/// `T: DeserializeOwned` works (`Vec<Row>`, a single struct after [`Builder::single`], …).
///
/// ```no_run
/// # async fn run(client: supabase_core::Client) -> supabase_core::Result<()> {
/// #[derive(serde::Deserialize)]
/// struct Planet { id: i64, name: String }
///
/// let planets = client
///     .from_("planets")
///     .select("id, name")
///     .eq("name", "Earth")
///     .returns::<Vec<Planet>>()
///     .await?
///     .data;
/// # Ok(()) }
/// ```
///
/// `M` is [`Async`] (awaited) or [`Blocking`] (from `supabase_core::blocking`, feature `blocking`; run with
/// `execute()`); filters and modifiers are the same for both.
#[must_use = "a query does nothing until it is awaited"]
pub struct Builder<T = serde_json::Value, M = Async> {
    pub(crate) client: Client,
    pub(crate) state: QueryState,
    /// A faster decoder of a JSON array into `T` than serde's, when one is known: set by the
    /// typed layer for `Vec<Row>` of a `#[derive(Table)]` row ([`Table::decode_rows`]).
    ///
    /// [`Table::decode_rows`]: crate::table::Table::decode_rows
    pub(crate) rows_decoder: Option<RowsDecoder<T>>,
    _out: PhantomData<fn() -> (T, M)>,
}

/// Decodes a JSON array (the text, and its number of rows if known) into `T`, or gives `None`
/// for serde_json to decode it instead.
pub(crate) type RowsDecoder<T> = fn(&str, Option<usize>) -> Option<T>;

/// Marks a [`Builder`] that runs when awaited.
#[derive(Debug, Clone, Copy)]
pub struct Async;

/// Marks a [`Builder`] of the blocking facade (`supabase_core::blocking`, feature `blocking`):
/// `execute()` blocks.
#[derive(Debug, Clone, Copy)]
pub struct Blocking;

impl<T, M> std::fmt::Debug for Builder<T, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<M> Builder<serde_json::Value, M> {
    pub(crate) fn new(client: Client, state: QueryState) -> Self {
        Builder {
            client,
            state,
            rows_decoder: None,
            _out: PhantomData,
        }
    }

    /// Serialises a write's body; a list of rows also gets `columns=` (not an empty list's:
    /// PostgREST refuses `columns=` with no column, and postgrest-js leaves it out).
    pub(crate) fn with_body<V: Serialize + ?Sized>(mut self, values: &V) -> Self {
        match write_body(values) {
            Ok((body, columns)) => {
                if let Some(columns) = columns.filter(|c| !c.is_empty()) {
                    // Each quoted, with `\` and `"` escaped (PostgREST's `pQuotedValue`).
                    let mut list = String::new();
                    for (i, column) in columns.iter().enumerate() {
                        if i > 0 {
                            list.push(',');
                        }
                        super::encode::write_quoted_str(&mut list, column);
                    }
                    self.state.set_param("columns", list);
                }
                self.state.body = Some(Bytes::from(body));
            }
            Err(e) => self.state.fail(Error::Encode(e.to_string())),
        }
        self
    }

    pub(crate) fn with_rpc_args(
        mut self,
        args: Result<serde_json::Map<String, serde_json::Value>>,
    ) -> Self {
        match args {
            Ok(args) => self.state.rpc_args = Some(args),
            Err(e) => self.state.fail(e),
        }
        self
    }
}

impl<T, M> Builder<T, M> {
    /// Changes the type the response body is decoded into.
    pub fn returns<U>(self) -> Builder<U, M> {
        Builder {
            client: self.client,
            state: self.state,
            rows_decoder: None,
            _out: PhantomData,
        }
    }

    pub(crate) fn map_state(mut self, f: impl FnOnce(&mut QueryState)) -> Self {
        f(&mut self.state);
        self
    }

    /// The request this builder would send, without sending it: method, URL, headers and body.
    /// For debugging and for tests. Fails if a value given to the builder could not be encoded.
    /// Its `Authorization` is the token in use now: sending refreshes a session about to
    /// expire, or asks an access-token provider, first.
    pub fn build(&self) -> Result<HttpRequest> {
        self.state.render(&self.client)
    }
}

impl<T: DeserializeOwned, M> Builder<T, M> {
    // A plain function returning an `async` block: the arguments of an `async fn` are stored
    // twice in its future (as given and as locals), and this future is copied into the box
    // `IntoFuture` returns on every request.
    #[allow(clippy::manual_async_fn)]
    fn send(self) -> impl Future<Output = Result<Response<T>>> {
        async move {
            self.client.ensure_fresh_session().await?;
            let request = self.state.render(&self.client)?;
            // PostgREST answers a plan without `Preference-Applied`: nothing to check there.
            let rollback = (asks_rollback(&request.headers) && self.state.explain.is_none())
                .then(|| request.url.path().to_owned());
            let raw = self
                .client
                .inner
                .transport
                .send_rendered(request, || self.state.render(&self.client))
                .await?;
            if let Some(path) = rollback {
                check_rolled_back(raw.status, &raw.headers, &path)?;
            }
            let raw = if self.state.null_row {
                null_row_as_null(raw)
            } else {
                raw
            };
            // Worked out again rather than kept across the request: the future stays small
            // (`a_requests_future_holds_no_copy_of_the_request`).
            let accept = self.state.accept_asked();
            decode(
                raw,
                Some(&accept),
                self.state.cardinality,
                self.rows_decoder,
            )
        }
    }
}

impl<T: DeserializeOwned> Builder<T, Async> {
    /// Sends the request and decodes the response (the same as awaiting the builder).
    // A plain function returning `send`'s future, so no `async` layer of its own is built and
    // copied on every request.
    pub fn execute(self) -> impl Future<Output = Result<Response<T>>> {
        self.send()
    }
}

#[cfg(feature = "blocking")]
impl<T: DeserializeOwned> Builder<T, Blocking> {
    /// Sends the request, blocking the current thread, and decodes the response.
    ///
    /// Fails with [`Error::Config`] when called inside an async runtime (await the async
    /// client there instead).
    pub fn execute(self) -> Result<Response<T>> {
        let client = self.client.clone();
        crate::blocking::runtime(&client)?.block_on(self.send())
    }
}

impl<R: DeserializeOwned + Send + 'static> Builder<Vec<R>, Async> {
    /// Sends the request and yields the rows one by one as the response arrives, decoding each
    /// on its own: memory stays bounded by one row whatever the number of rows.
    ///
    /// A failure (an error status, a broken connection, a malformed row) is yielded as an
    /// `Err` and ends the stream. The timeout bounds the wait for the response's head and then
    /// each wait for more of the body, never the whole stream: a body that stalls that long is
    /// [`Error::Timeout`](crate::Error::Timeout). For an untyped builder, pick the row type first:
    /// `.returns::<Vec<serde_json::Value>>().stream()`.
    pub fn stream(self) -> impl futures_util::Stream<Item = Result<R>> + Send + 'static {
        let request = self.state.render(&self.client);
        super::stream::rows(self.client, request)
    }
}

impl<T: DeserializeOwned + Send + 'static> IntoFuture for Builder<T, Async> {
    type Output = Result<Response<T>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
