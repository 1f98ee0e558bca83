//! [`Client`]: the entry point, holding the project URL, the API key, the options and the one
//! HTTP client every service shares.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::error::{Error, Result};
use crate::http::{RedactedHeaders, RetryPolicy, Transport};
use crate::postgrest::{Postgrest, TableQuery};
use crate::secret::Secret;

/// Creates a client for the project at `url` with an API key (anon / publishable for apps,
/// service_role / secret on trusted servers).
///
/// ```
/// # fn main() -> supabase_core::Result<()> {
/// let client = supabase_core::create_client("http://127.0.0.1:54321", "anon-key")?;
/// let req = client.from_("countries").select("*").build()?;
/// assert_eq!(req.path_and_query(), "/rest/v1/countries?select=*");
/// # Ok(()) }
/// ```
pub fn create_client(url: impl AsRef<str>, key: impl Into<String>) -> Result<Client> {
    Client::new(url, key, ClientOptions::default())
}

/// [`create_client`] under the name of the reference's async constructor, so that
/// `supabase = await acreate_client(url, key)` ports as `acreate_client(url, key).await?`.
///
/// Every Rust [`Client`] is async already (its requests are futures; the blocking facade is
/// `blocking::Client`, feature `blocking`), so there is no separate async client type: this
/// returns the same `Client` as `create_client`, and awaiting it does no I/O.
///
/// ```
/// # async fn run() -> supabase_core::Result<()> {
/// use supabase_core::{Client, acreate_client};
///
/// let client: Client = acreate_client("http://127.0.0.1:54321", "anon-key").await?;
/// let req = client.from_("countries").select("*").build()?;
/// assert_eq!(req.path_and_query(), "/rest/v1/countries?select=*");
/// # Ok(()) }
/// ```
pub async fn acreate_client(url: impl AsRef<str>, key: impl Into<String>) -> Result<Client> {
    create_client(url, key)
}

/// Options of a [`Client`], as `ClientOptions` in the reference.
///
/// The reference's `create_client(url, key, options=ClientOptions(...))` is
/// [`Client::new`]:
///
/// ```
/// use std::time::Duration;
/// use supabase_core::{Client, ClientOptions};
///
/// let options = ClientOptions::default()
///     .postgrest_client_timeout(Duration::from_secs(10))
///     .storage_client_timeout(Duration::from_secs(10))
///     .schema("public");
/// let client = Client::new("http://127.0.0.1:54321", "anon-key", options)?;
/// # let _ = client;
/// # Ok::<(), supabase_core::Error>(())
/// ```
///
/// It also deserializes from supabase-py's keyword arguments (`schema`, `headers`,
/// `auto_refresh_token`, `persist_session`, the three `*_client_timeout`s in seconds,
/// `flow_type`); an unknown key is an error that names it:
///
/// ```
/// use supabase_core::ClientOptions;
///
/// let options: ClientOptions = serde_json::from_value(serde_json::json!({
///     "postgrest_client_timeout": 10, "storage_client_timeout": 10, "schema": "public"
/// }))?;
/// # let _ = options;
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    pub(crate) schema: Cow<'static, str>,
    pub(crate) headers: HeaderMap,
    pub(crate) auto_refresh_token: bool,
    pub(crate) persist_session: bool,
    pub(crate) postgrest_client_timeout: Option<Duration>,
    pub(crate) storage_client_timeout: Option<Duration>,
    pub(crate) function_client_timeout: Option<Duration>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_body: Option<u64>,
    pub(crate) max_concurrent_requests: Option<usize>,
    pub(crate) header_error: Option<String>,
    pub(crate) auth: crate::auth::AuthConfig,
    pub(crate) realtime: crate::realtime::RealtimeOptions,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            schema: Cow::Borrowed("public"),
            headers: HeaderMap::new(),
            auto_refresh_token: true,
            persist_session: true,
            // supabase-py's defaults.
            postgrest_client_timeout: Some(Duration::from_secs(120)),
            storage_client_timeout: Some(Duration::from_secs(20)),
            function_client_timeout: Some(Duration::from_secs(5)),
            retry: RetryPolicy::default(),
            max_response_body: Some(crate::http::DEFAULT_MAX_RESPONSE_BODY),
            max_concurrent_requests: Some(crate::http::DEFAULT_MAX_CONCURRENT_REQUESTS),
            header_error: None,
            auth: crate::auth::AuthConfig::default(),
            realtime: crate::realtime::RealtimeOptions::default(),
        }
    }
}

impl ClientOptions {
    /// The database schema untyped queries use unless [`Client::schema`] picks another
    /// (default `public`). Typed queries use their struct's schema ([`Client::from`]).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Cow::Owned(schema.into());
        self
    }

    /// A header sent with every request of every service.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        match (
            HeaderName::try_from(name.as_ref()),
            HeaderValue::try_from(value.as_ref()),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => self.header_error = Some(format!("invalid header `{}`", name.as_ref())),
        }
        self
    }

    /// Whether the auth session is refreshed in the background before it expires (default true).
    pub fn auto_refresh_token(mut self, yes: bool) -> Self {
        self.auto_refresh_token = yes;
        self
    }

    /// Whether the auth session is kept in the session store (default true).
    pub fn persist_session(mut self, yes: bool) -> Self {
        self.persist_session = yes;
        self
    }

    /// Timeout of each database request (default 120 s, as supabase-py).
    pub fn postgrest_client_timeout(mut self, timeout: Duration) -> Self {
        self.postgrest_client_timeout = Some(timeout);
        self
    }

    /// Timeout of each storage request (default 20 s, as supabase-py).
    pub fn storage_client_timeout(mut self, timeout: Duration) -> Self {
        self.storage_client_timeout = Some(timeout);
        self
    }

    /// Timeout of each edge-function invocation (default 5 s, as supabase-py): one deadline
    /// from sending the request (its upload included) until a buffered body has been read; a
    /// streamed response (`stream`, `events`) is not cut off once its headers arrived. A function that runs longer before answering needs a longer timeout
    /// (`Duration::MAX` for none): supabase-py's 5 s bound each read and write instead, and
    /// functions-js sets none.
    pub fn function_client_timeout(mut self, timeout: Duration) -> Self {
        self.function_client_timeout = Some(timeout);
        self
    }

    /// Where the auth session is kept (default: in memory). Ignored when `persist_session` is
    /// off. See [`FileStore`](crate::auth::FileStore).
    pub fn session_store(mut self, store: impl crate::auth::SessionStore + 'static) -> Self {
        self.auth.store = Some(Arc::new(store));
        self
    }

    /// The key the session is stored under (default `sb-<project ref>-auth-token`, as
    /// supabase-js).
    pub fn storage_key(mut self, key: impl Into<String>) -> Self {
        self.auth.storage_key = Some(key.into());
        self
    }

    /// Timeout of each auth request (default 30 s).
    pub fn auth_client_timeout(mut self, timeout: Duration) -> Self {
        self.auth.timeout = Some(timeout);
        self
    }

    /// PKCE (default, as supabase-py) or implicit flow for redirect-based sign-ins.
    pub fn flow_type(mut self, flow: crate::auth::FlowType) -> Self {
        self.auth.flow_type = flow;
        self
    }

    /// Third-party auth (Clerk, Auth0, Firebase Auth, Cognito, WorkOS): every request asks
    /// `provider` for the access token it sends, as supabase-js's `accessToken` option.
    ///
    /// - The database, storage and edge functions ask before each request, so the provider
    ///   should answer from its own cache while the token is fresh. Requests in flight at
    ///   once share the latest answer; a retry resends the token its request was given.
    /// - Realtime asks when the socket connects, after each join and at every heartbeat, and
    ///   sends a changed token to joined channels, unless [`RealtimeClient::set_auth`] gave one.
    /// - `Ok(None)` sends the API key instead; an `Err` fails the request, which is not sent
    ///   ([`Error::AccessToken`]).
    /// - The client's own auth API is closed: every [`Auth`](crate::auth::Auth) method that
    ///   needs a session or the auth server fails with [`Error::Config`], as supabase-js
    ///   throws on `supabase.auth`. Use another client for Supabase Auth.
    ///
    /// ```no_run
    /// # async fn clerk_token() -> Result<String, std::io::Error> { Ok(String::new()) }
    /// let options = supabase_core::ClientOptions::default()
    ///     .access_token(|| async { clerk_token().await.map(Some) });
    /// # let _ = options;
    /// ```
    ///
    /// [`RealtimeClient::set_auth`]: crate::realtime::RealtimeClient::set_auth
    pub fn access_token<F, Fut, E>(mut self, provider: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = std::result::Result<Option<String>, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.auth.access_token = Some(crate::auth::third_party::AccessTokenProvider::new(provider));
        self
    }

    /// Options of the realtime socket (timeouts, heartbeat, reconnection backoff).
    pub fn realtime(mut self, options: crate::realtime::RealtimeOptions) -> Self {
        self.realtime = options;
        self
    }

    /// When idempotent requests are retried (see [`RetryPolicy`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Largest response body read into memory, in bytes (default 64 MiB); `None` for no limit.
    ///
    /// Applies to every answer the client reads whole (rows, auth, storage metadata, realtime
    /// REST broadcasts) and to each row of a `stream()`: a longer one stops being read and is
    /// [`Error::ResponseTooLarge`], so a runaway query or a hostile server cannot exhaust
    /// memory. Streams are the way to read large results: only one row at a time counts. Not
    /// limited: what the caller asks for explicitly as bytes (storage `download`,
    /// `download_stream`, edge-function bodies).
    pub fn max_response_body(mut self, bytes: Option<u64>) -> Self {
        self.max_response_body = bytes;
        self
    }

    /// Most HTTP requests one client (and its clones) has in flight at once (default 100);
    /// `None` for no limit. Over HTTP/1.1 each request in flight holds its own connection, so
    /// without a limit 1,000 concurrent calls open 1,000 sockets to the project; with it the
    /// others wait for a free slot and reuse the pooled connections. Streamed transfers
    /// (`stream()` rows, `download_stream`, storage uploads, edge functions) hold a slot at most
    /// until their response head arrives. Must be at least 1.
    pub fn max_concurrent_requests(mut self, requests: Option<usize>) -> Self {
        self.max_concurrent_requests = requests;
        self
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("schema", &self.schema)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("auto_refresh_token", &self.auto_refresh_token)
            .field("persist_session", &self.persist_session)
            .field("postgrest_client_timeout", &self.postgrest_client_timeout)
            .field("storage_client_timeout", &self.storage_client_timeout)
            .field("function_client_timeout", &self.function_client_timeout)
            .field("retry", &self.retry)
            .field("max_response_body", &self.max_response_body)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("auth", &self.auth)
            .field("realtime", &self.realtime)
            .finish()
    }
}

/// A Supabase client. Cheap to clone (one `Arc`); clones share the HTTP connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) url: Url,
    pub(crate) key: Secret,
    pub(crate) options: ClientOptions,
    pub(crate) transport: Transport,
    /// The auth session and settings, shared with the background refresh task.
    pub(crate) auth: Arc<crate::auth::AuthShared>,
    /// Global headers plus `apikey`/`Authorization`, validated once.
    base_headers: HeaderMap,
    /// The realtime client, created on first use.
    realtime: std::sync::OnceLock<crate::realtime::RealtimeClient>,
    /// The runtime of the blocking facade, when this client belongs to one.
    #[cfg(feature = "blocking")]
    pub(crate) runtime: Option<std::sync::Arc<tokio::runtime::Runtime>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.url.as_str())
            .field("key", &self.inner.key)
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Client {
    /// Creates a client for the project at `url` with `key` and `options`.
    ///
    /// Fails when the URL is not an `http(s)` URL or the key is empty.
    pub fn new(
        url: impl AsRef<str>,
        key: impl Into<String>,
        options: ClientOptions,
    ) -> Result<Self> {
        Client::build(url, key, options, |inner| inner)
    }

    /// [`Client::new`], letting the caller finish the shared state (the blocking facade adds
    /// its runtime).
    pub(crate) fn build(
        url: impl AsRef<str>,
        key: impl Into<String>,
        options: ClientOptions,
        finish: impl FnOnce(ClientInner) -> ClientInner,
    ) -> Result<Self> {
        let url = url.as_ref();
        let mut parsed = Url::parse(url)
            .map_err(|e| Error::config(format!("invalid Supabase URL `{url}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.cannot_be_a_base() {
            return Err(Error::config(format!(
                "invalid Supabase URL `{url}`: expected http:// or https://"
            )));
        }
        if !parsed.path().ends_with('/') {
            let path = format!("{}/", parsed.path());
            parsed.set_path(&path);
        }
        let key = key.into();
        if key.trim().is_empty() {
            return Err(Error::config("the Supabase API key is empty"));
        }
        if let Some(e) = &options.header_error {
            return Err(Error::config(e.clone()));
        }
        let transport = Transport::new(
            options.retry,
            options.max_response_body,
            options.max_concurrent_requests,
        )?;
        let mut base_headers = options.headers.clone();
        base_headers.insert(
            HeaderName::from_static("x-client-info"),
            HeaderValue::from_static(concat!("supabase-rs/", env!("CARGO_PKG_VERSION"))),
        );
        crate::http::set_auth_headers(&mut base_headers, &key, None)?;
        let auth = Arc::new(crate::auth::AuthShared::new(
            &parsed,
            &base_headers,
            transport.clone(),
            options.auth.clone(),
            options.persist_session,
            options.auto_refresh_token,
            options.headers.contains_key(http::header::AUTHORIZATION),
        )?);
        Ok(Client {
            inner: Arc::new(finish(ClientInner {
                url: parsed,
                key: Secret::new(key),
                options,
                transport,
                auth,
                base_headers,
                realtime: std::sync::OnceLock::new(),
                #[cfg(feature = "blocking")]
                runtime: None,
            })),
        })
    }

    /// The project URL.
    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The options this client was created with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The database API in the default schema.
    pub fn postgrest(&self) -> Postgrest {
        Postgrest::new(self.clone(), self.inner.options.schema.clone())
    }

    /// The database API in another schema (sent as `Accept-Profile` / `Content-Profile`).
    /// The schema must be exposed by PostgREST.
    pub fn schema(&self, schema: impl Into<String>) -> Postgrest {
        Postgrest::new(self.clone(), Cow::Owned(schema.into()))
    }

    /// Starts a typed query on table `T` (a `#[derive(Table)]` struct), in `T`'s schema
    /// (`#[supabase(schema = …)]`, which codegen writes for each table), whatever
    /// [`ClientOptions::schema`] says: a struct describes one table. `client.schema("s")
    /// .from::<T>()` reads the same shape in another schema.
    pub fn from<T: crate::Table>(&self) -> crate::typed::TypedTable<T> {
        crate::typed::TypedTable::new(Postgrest::new(self.clone(), Cow::Borrowed(T::SCHEMA)))
    }

    /// Starts a query on a table or view, as `supabase.table(name)`.
    pub fn table(&self, name: impl Into<String>) -> TableQuery {
        self.postgrest().from_(name)
    }

    /// Starts a query on a table or view, as `supabase.from_(name)` in the reference
    /// (`supabase.from(name)` in supabase-js). The typed form is `from::<T>()`.
    #[doc(alias = "from")]
    pub fn from_(&self, name: impl Into<String>) -> TableQuery {
        self.postgrest().from_(name)
    }

    /// Calls a Postgres function, as `supabase.rpc(name, params)`. Pass `()` for no arguments.
    pub fn rpc<A: serde::Serialize>(
        &self,
        function: impl Into<String>,
        args: A,
    ) -> crate::postgrest::Builder {
        self.postgrest().rpc(function, args)
    }

    /// Calls a Postgres function whose one argument is unnamed (`text`, `xml`, `bytea`, `json`
    /// or `jsonb`), with that argument as the whole body: PostgREST's "single unnamed
    /// parameter".
    pub fn rpc_body(
        &self,
        function: impl Into<String>,
        body: crate::RpcBody,
    ) -> crate::postgrest::Builder {
        self.postgrest().rpc_body(function, body)
    }

    /// Calls a Postgres function described by an [`Rpc`](crate::Rpc) type (codegen emits one
    /// per function). Awaited, the call gives the function's [`Output`](crate::Rpc::Output), as
    /// typed table queries give their rows; `.execute()` gives the whole response.
    pub fn call<F: crate::Rpc>(&self, args: F) -> crate::rpc::Call<F> {
        crate::rpc::Call::new(self, args)
    }

    /// Calls a set-returning function whose rows are a table's rows: the typed filters, order
    /// and limit of [`RpcRows::Row`](crate::RpcRows::Row) apply.
    pub fn call_rows<F: crate::RpcRows>(
        &self,
        args: F,
    ) -> crate::typed::Query<F::Row, Vec<F::Row>, crate::postgrest::Async, crate::typed::verb::Call>
    {
        crate::typed::Query::from_rpc(crate::rpc::call_builder(self, args))
    }

    /// The Edge Functions client: `client.functions().invoke(name, options)`.
    pub fn functions(&self) -> crate::functions::Functions {
        crate::functions::Functions::new(self.clone())
    }

    /// Supabase Storage: buckets, and `storage().from_(bucket)` for objects.
    pub fn storage(&self) -> crate::storage::Storage {
        crate::storage::Storage::new(self.clone())
    }

    /// The realtime client (one socket shared by every channel of this client).
    pub fn realtime(&self) -> crate::realtime::RealtimeClient {
        self.inner
            .realtime
            .get_or_init(|| crate::realtime::RealtimeClient::new(&self.inner))
            .clone()
    }

    /// A realtime channel on topic `realtime:<name>` with the default configuration, as
    /// `supabase.channel(name)`.
    pub fn channel(&self, name: impl Into<String>) -> crate::realtime::RealtimeChannel {
        self.realtime().channel(name)
    }

    /// A realtime channel with its configuration (broadcast, presence key, private), as
    /// `supabase.channel(name, opts)`.
    pub fn channel_with(
        &self,
        name: impl Into<String>,
        config: crate::realtime::ChannelConfig,
    ) -> crate::realtime::RealtimeChannel {
        self.realtime().channel_with(name, config)
    }

    /// Unsubscribes and forgets a channel, as `supabase.remove_channel(channel)`.
    pub async fn remove_channel(&self, channel: &crate::realtime::RealtimeChannel) -> Result<()> {
        self.realtime().remove_channel(channel).await
    }

    /// Unsubscribes and forgets every channel, as `supabase.remove_all_channels()`: each
    /// channel with the outcome of its leave
    /// ([`RealtimeClient::remove_all_channels`](crate::realtime::RealtimeClient::remove_all_channels)).
    pub async fn remove_all_channels(&self) -> Vec<(crate::realtime::RealtimeChannel, Result<()>)> {
        self.realtime().remove_all_channels().await
    }

    /// Every realtime channel of this client, as `supabase.get_channels()`.
    pub fn get_channels(&self) -> Vec<crate::realtime::RealtimeChannel> {
        self.realtime().get_channels()
    }

    /// URL of a service path under the project URL, e.g. `rest/v1/`.
    pub(crate) fn service_url(&self, path: &str) -> Result<Url> {
        self.inner
            .url
            .join(path)
            .map_err(|e| Error::config(format!("invalid path `{path}`: {e}")))
    }

    /// Makes sure the session is loaded from its store and not about to expire (refreshing it
    /// through the single-flight path if it is), so the next [`base_headers`](Self::base_headers)
    /// carry a valid token. Services await this before building each request. A failed refresh
    /// is left to the request itself, which goes out with the token in hand (still valid after
    /// an early refresh failed; else the server answers with its own error, and auth listeners
    /// got `SIGNED_OUT` if the refresh token was refused); for a minute after, requests do not
    /// try that refresh again.
    ///
    /// With an access-token provider ([`ClientOptions::access_token`]) the provider is asked
    /// instead, and its failure is the request's.
    pub(crate) async fn ensure_fresh_session(&self) -> Result<()> {
        let auth = &self.inner.auth;
        if auth.access_token_provider.is_some() {
            return auth.use_provider_token().await;
        }
        if let Err(e) = auth.ensure_fresh().await {
            tracing::debug!(error = %e, "could not refresh the session before a request");
        }
        Ok(())
    }

    /// [`ensure_fresh_session`](Self::ensure_fresh_session), then sets the
    /// `Authorization` to what [`base_headers`](Self::base_headers) now carry: for requests whose
    /// headers were built before the first await.
    /// Without one there (a `sb_publishable_` key and no user token now), the one rendered
    /// before goes too.
    pub(crate) async fn refresh_authorization(&self, headers: &mut HeaderMap) -> Result<()> {
        self.ensure_fresh_session().await?;
        match self.base_headers().remove(http::header::AUTHORIZATION) {
            Some(value) => headers.insert(http::header::AUTHORIZATION, value),
            None => headers.remove(http::header::AUTHORIZATION),
        };
        Ok(())
    }

    /// Headers every request carries: the global ones, then `apikey` and `Authorization` —
    /// the signed-in user's access token when there is a session, else the key (never an
    /// `sb_publishable_`/`sb_secret_` key). An `Authorization` given in the global headers wins,
    /// as in supabase-js.
    pub(crate) fn base_headers(&self) -> HeaderMap {
        let base = &self.inner.base_headers;
        // Room for `Authorization` and the headers each service adds (profile, `Accept`,
        // `Prefer`, `Content-Type`), so none of them regrows the map; a clone would have none.
        let mut headers = HeaderMap::with_capacity(base.len() + 5);
        headers.extend(
            base.iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        if let Some(bearer) = self.inner.auth.bearer()
            && !self
                .inner
                .options
                .headers
                .contains_key(http::header::AUTHORIZATION)
        {
            headers.insert(http::header::AUTHORIZATION, bearer);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_urls_and_empty_keys() {
        assert!(matches!(
            create_client("not a url", "k"),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            create_client("ftp://x", "k"),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            create_client("http://x", " "),
            Err(Error::Config(_))
        ));
        assert!(create_client("https://abc.supabase.co", "k").is_ok());
    }

    /// A request rendered with one provider token and refreshed when the provider has none:
    /// with a `sb_publishable_` key there is no `Authorization` to fall back to, so the old
    /// token must go rather than stay.
    #[tokio::test]
    async fn a_refreshed_request_drops_a_token_the_provider_no_longer_gives() {
        let token = Arc::new(std::sync::Mutex::new(Some("first".to_owned())));
        let given = Arc::clone(&token);
        let options = ClientOptions::default().access_token(move || {
            let token = given.lock().unwrap().clone();
            async move { Ok::<_, std::convert::Infallible>(token) }
        });
        let client = Client::new("http://localhost:1", "sb_publishable_abc", options).unwrap();
        client.ensure_fresh_session().await.unwrap();
        let mut headers = client.base_headers();
        assert_eq!(headers[http::header::AUTHORIZATION], "Bearer first");
        *token.lock().unwrap() = None;
        client.refresh_authorization(&mut headers).await.unwrap();
        assert_eq!(headers.get(http::header::AUTHORIZATION), None);
        *token.lock().unwrap() = Some("second".to_owned());
        client.refresh_authorization(&mut headers).await.unwrap();
        assert_eq!(headers[http::header::AUTHORIZATION], "Bearer second");
    }

    #[test]
    fn debug_hides_the_key() {
        let c = create_client("http://localhost:1", "eyJ.top.secret").unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("top.secret"), "{dbg}");
    }

    #[test]
    fn zero_request_slots_is_a_config_error() {
        let options = ClientOptions::default().max_concurrent_requests(Some(0));
        assert!(matches!(
            Client::new("http://localhost:1", "k", options),
            Err(Error::Config(_))
        ));
        let unlimited = ClientOptions::default()
            .max_concurrent_requests(None)
            .max_response_body(None);
        assert!(Client::new("http://localhost:1", "k", unlimited).is_ok());
    }

    #[test]
    fn a_project_path_prefix_is_kept() {
        let c = create_client("http://localhost:1/prefix", "k").unwrap();
        assert_eq!(
            c.service_url("rest/v1/").unwrap().path(),
            "/prefix/rest/v1/"
        );
    }
}
