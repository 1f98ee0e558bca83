//! A blocking facade over the async client, for programs without an async runtime (like
//! `reqwest::blocking`). Feature `blocking`.
//!
//! The same builders, filters and modifiers as the async client; `execute()` blocks instead of
//! being awaited. The client owns a small tokio runtime (one worker thread) that drives its
//! requests. Don't use it from inside an async runtime: `execute()` returns an error there.
//!
//! Database, auth, storage and edge functions have blocking forms; realtime has none, as in
//! the reference ("Realtime in Python only works with the asynchronous client"): a
//! subscription is a stream of events, which needs a runtime to arrive on.
//!
//! ```no_run
//! # fn main() -> supabase_core::Result<()> {
//! let client = supabase_core::blocking::create_client("http://127.0.0.1:54321", "anon-key")?;
//! let planets = client.from_("planets").select("*").eq("name", "Earth").execute()?.data;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::postgrest::{Blocking, Builder, Postgrest, TableQuery};
use crate::{ClientOptions, client};

/// Creates a blocking client, as [`crate::create_client`].
pub fn create_client(url: impl AsRef<str>, key: impl Into<String>) -> Result<Client> {
    Client::new(url, key, ClientOptions::default())
}

/// A blocking Supabase client. Cheap to clone; clones share the runtime and connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    inner: client::Client,
}

impl Client {
    /// Creates a blocking client with options.
    pub fn new(
        url: impl AsRef<str>,
        key: impl Into<String>,
        options: ClientOptions,
    ) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("supabase-blocking")
            .enable_all()
            .build()
            .map_err(|e| {
                Error::config(format!(
                    "could not start the blocking client's runtime: {e}"
                ))
            })?;
        let runtime = Some(Arc::new(runtime));
        let inner = client::Client::build(url, key, options, |mut inner| {
            inner.runtime = runtime;
            inner
        })?;
        Ok(Client { inner })
    }

    /// The async client underneath (same connection pool and options).
    pub fn as_async(&self) -> &client::Client {
        &self.inner
    }

    /// The database API in the default schema.
    pub fn postgrest(&self) -> Postgrest<Blocking> {
        Postgrest::new(self.inner.clone(), self.inner.options().schema.clone())
    }

    /// The database API in another schema.
    pub fn schema(&self, schema: impl Into<String>) -> Postgrest<Blocking> {
        Postgrest::new(self.inner.clone(), std::borrow::Cow::Owned(schema.into()))
    }

    /// Starts a query on a table or view.
    pub fn from_(&self, table: impl Into<String>) -> TableQuery<Blocking> {
        self.postgrest().from_(table)
    }

    /// Same as [`Client::from_`].
    pub fn table(&self, table: impl Into<String>) -> TableQuery<Blocking> {
        self.postgrest().from_(table)
    }

    /// Starts a typed query on table `T`, in `T`'s schema, as the async
    /// [`Client::from`](client::Client::from); sent by `execute()`.
    pub fn from<T: crate::Table>(&self) -> crate::typed::TypedTable<T, Blocking> {
        crate::typed::TypedTable::new(Postgrest::new(
            self.inner.clone(),
            std::borrow::Cow::Borrowed(T::SCHEMA),
        ))
    }

    /// Calls a Postgres function with typed arguments, as the async
    /// [`Client::call`](client::Client::call); sent by `execute()`.
    pub fn call<F: crate::Rpc>(&self, args: F) -> crate::rpc::Call<F, Blocking> {
        crate::rpc::Call::new(&self.inner, args)
    }

    /// Calls a set-returning function whose rows are a table's rows, as the async
    /// [`Client::call_rows`](client::Client::call_rows); sent by `execute()`.
    pub fn call_rows<F: crate::RpcRows>(
        &self,
        args: F,
    ) -> crate::typed::Query<F::Row, Vec<F::Row>, Blocking, crate::typed::verb::Call> {
        crate::typed::Query::from_rpc(crate::rpc::call_builder(&self.inner, args))
    }

    /// Edge Functions: `client.functions().invoke(name, options)`, blocking.
    pub fn functions(&self) -> crate::functions::BlockingFunctions {
        crate::functions::BlockingFunctions::new(self.inner.functions())
    }

    /// Storage: buckets and (through `from_`) objects, blocking.
    pub fn storage(&self) -> crate::storage::BlockingStorage {
        crate::storage::BlockingStorage::new(self.inner.storage())
    }

    /// The auth API (GoTrue), blocking: `client.auth().sign_in_with_password(..)?`. The session
    /// it holds is the one every blocking request sends.
    pub fn auth(&self) -> crate::auth::BlockingAuth {
        crate::auth::BlockingAuth::new(self.inner.clone())
    }

    /// Calls a Postgres function.
    pub fn rpc<A: Serialize>(
        &self,
        function: impl Into<String>,
        args: A,
    ) -> Builder<serde_json::Value, Blocking> {
        self.postgrest().rpc(function, args)
    }

    /// Calls a Postgres function with its one unnamed argument as the body.
    pub fn rpc_body(
        &self,
        function: impl Into<String>,
        body: crate::RpcBody,
    ) -> Builder<serde_json::Value, Blocking> {
        self.postgrest().rpc_body(function, body)
    }
}

/// The runtime that blocking builders run on.
pub(crate) fn runtime(client: &client::Client) -> Result<&tokio::runtime::Runtime> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::config(
            "the blocking client cannot run inside an async runtime; use the async client there",
        ));
    }
    client
        .inner
        .runtime
        .as_deref()
        .ok_or_else(|| Error::config("this builder does not belong to a blocking client"))
}
