//! Sending requests: one shared `reqwest` client, timeouts, retries of idempotent requests, and
//! `tracing` spans. Every service builds an [`HttpRequest`] and hands it to [`Transport::send`].

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{AUTHORIZATION, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tracing::Instrument;
use url::Url;

use crate::error::{Error, HttpError, Result};
use crate::secret::{is_secret_name, redact_query, redact_text};

/// A fully built request: what would go over the wire.
///
/// Every query builder can produce one without sending it (`build()`), for debugging and for
/// tests that assert on the request. `Debug` redacts secret headers (`apikey`, `Authorization`, …).
#[derive(Clone)]
pub struct HttpRequest {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) timeout: Option<Duration>,
    /// Whether the client's [`RetryPolicy`] applies (to a `GET` or `HEAD`); `false` sends it
    /// once.
    pub(crate) retry: bool,
}

impl HttpRequest {
    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URL, query string included.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Path and query string, percent-decoded, e.g. `/rest/v1/planets?select=*&name=eq.Earth`.
    /// Handy for readable assertions.
    pub fn path_and_query(&self) -> String {
        let raw = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_owned(),
        };
        percent_encoding::percent_decode_str(&raw)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// The request headers (including the secret ones; `Debug` hides them).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The value of one header as text, if present and textual.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request body.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The per-request timeout, if one is set.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether the client's [`RetryPolicy`] may send this request again (`false` after a
    /// builder's `retry(false)`; writes are never sent twice either way).
    pub fn retry(&self) -> bool {
        self.retry
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &redacted_url(&self.url))
            .field("headers", &RedactedHeaders(&self.headers))
            .field(
                "body",
                &self
                    .body
                    .as_ref()
                    .map(|b| redact_text(&String::from_utf8_lossy(b))),
            )
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

/// `url` with its secret query values redacted ([`redact_query`]).
fn redacted_url(url: &Url) -> String {
    match url.query() {
        Some(query) => {
            let mut shown = url.clone();
            shown.set_query(None);
            format!("{shown}?{}", redact_query(query))
        }
        None => url.to_string(),
    }
}

/// `Debug` for a header map that hides secret values.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    /// Values of secret-named headers ([`is_secret_name`]) are `[redacted]`; a `Location` shows
    /// no user info, query or fragment, where a redirect may carry tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in self.0 {
            if value.is_sensitive() || is_secret_name(name.as_str()) {
                map.entry(&name.as_str(), &"[redacted]");
            } else if name == http::header::LOCATION {
                map.entry(&name.as_str(), &redacted_location(value.as_bytes()));
            } else {
                map.entry(&name.as_str(), &value);
            }
        }
        map.finish()
    }
}

/// A `Location` without what may carry a secret: user info, query and fragment (a relative
/// one is cut at its `?` or `#`).
fn redacted_location(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    if let Ok(mut url) = Url::parse(&text) {
        let hidden = url.password().is_some()
            || !url.username().is_empty()
            || url.query().is_some()
            || url.fragment().is_some();
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_query(None);
        url.set_fragment(None);
        return if hidden {
            format!("{url}[redacted]")
        } else {
            url.into()
        };
    }
    match text.find(['?', '#']) {
        Some(at) => format!("{}[redacted]", &text[..at]),
        None => text.into_owned(),
    }
}

/// When idempotent requests are retried.
///
/// Only `GET` and `HEAD` are ever retried, on a connection failure or a `503` or `520`–`524`
/// answer, with exponential backoff that honours `Retry-After`, each retry saying which it is in
/// `X-Retry-Count`. A write is never sent twice.
///
/// The default tries 6 more times after 0.1 s, 0.2 s, 0.4 s … 3.2 s: a dropped connection is
/// retried at once, and a PostgREST still loading its schema cache (`503 PGRST002`, sent
/// without `Retry-After`) gets about 6 s to finish, as supabase-js's 1 s, 2 s and 4 s give it
/// 7 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 disables retries).
    pub max_retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Upper bound of one delay, `Retry-After` included: a server asking for a longer wait gets
    /// its error returned instead.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay)
    }
}

/// A complete response: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// The default of [`ClientOptions::max_response_body`](crate::ClientOptions::max_response_body):
/// 64 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY: u64 = 64 * 1024 * 1024;

/// The default of
/// [`ClientOptions::max_concurrent_requests`](crate::ClientOptions::max_concurrent_requests).
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 100;

/// The shared HTTP machinery of a [`Client`](crate::Client).
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    retry: RetryPolicy,
    /// Largest body [`Transport::send`] reads into memory (`None`: no limit).
    max_body: Option<u64>,
    /// Requests in flight at once (each on its own HTTP/1.1 connection); `None`: no limit.
    in_flight: Option<std::sync::Arc<tokio::sync::Semaphore>>,
}

/// The outcome of one attempt: final, or worth retrying (with the server's `Retry-After`).
enum Attempt {
    Done(Result<RawResponse>),
    Retry(Option<Duration>, Result<RawResponse>),
}

impl Transport {
    pub(crate) fn new(
        retry: RetryPolicy,
        max_body: Option<u64>,
        max_in_flight: Option<usize>,
    ) -> Result<Self> {
        if max_in_flight == Some(0) {
            return Err(Error::config("max_concurrent_requests must be at least 1"));
        }
        let mut builder = reqwest::Client::builder().redirect(same_origin_redirects());
        if let Some(n) = max_in_flight {
            // No more idle connections than requests that can use them.
            builder = builder.pool_max_idle_per_host(n);
        }
        let http = builder
            .build()
            .map_err(|e| Error::config(format!("could not build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            retry,
            max_body,
            in_flight: max_in_flight.map(|n| std::sync::Arc::new(tokio::sync::Semaphore::new(n))),
        })
    }

    /// Waits for a free request slot (held until the returned permit drops).
    async fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        match &self.in_flight {
            // The semaphore is never closed.
            Some(semaphore) => semaphore.acquire().await.ok(),
            None => None,
        }
    }

    /// The shared `reqwest` client, for streamed transfers that cannot go through
    /// [`Transport::send`] (which reads whole bodies and may retry): storage uploads and
    /// downloads, edge functions.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// Waits for a request slot for a streamed transfer, held until the returned [`Slot`]
    /// drops. Taken before the transfer's timeout starts: a transfer queued behind others (the
    /// client's `max_concurrent_requests`) has not stalled.
    pub(crate) async fn streamed_slot(&self) -> Slot<'_> {
        Slot {
            _permit: self.slot().await,
        }
    }

    /// Sends a request built on [`Transport::client`] once, in a slot the caller holds (for as
    /// long as its transfer runs): for streamed transfers, which are never retried (a streamed
    /// body cannot be sent again, and a function call is not assumed idempotent).
    pub(crate) async fn send_streamed(
        &self,
        _: &Slot<'_>,
        request: reqwest::RequestBuilder,
    ) -> reqwest::Result<reqwest::Response> {
        request.send().await
    }

    /// Sends the request and reads the whole body, retrying idempotent requests as the
    /// [`RetryPolicy`] says. A `503` that is still there after the last retry is returned as a
    /// response, for the caller to turn into its service's typed error. A body longer than the
    /// client's `max_response_body` is not read: [`Error::ResponseTooLarge`].
    ///
    /// These wrappers are plain functions returning [`Transport::exchange`]'s future, not
    /// `async fn`s: each `async` layer would hold its own copy of the arguments and copy the
    /// future below it into itself, on every request.
    pub(crate) fn send(
        &self,
        req: HttpRequest,
    ) -> impl Future<Output = Result<RawResponse>> + Send + '_ {
        let retry = req.retried();
        self.exchange(req.clone(), move || Ok(req.clone()), self.max_body, retry)
    }

    /// [`Transport::send`] for a `GET` that is not idempotent on the server (it sends a message
    /// or spends a code): never retried, like a write.
    pub(crate) fn send_once(
        &self,
        req: HttpRequest,
    ) -> impl Future<Output = Result<RawResponse>> + Send + '_ {
        let never = || Err(Error::config("a request sent once is not rendered again"));
        self.exchange(req, never, self.max_body, false)
    }

    /// [`Transport::send`] without the body size limit, for bodies the caller asked for whole
    /// (a storage object downloaded into memory).
    pub(crate) fn send_unlimited(
        &self,
        req: HttpRequest,
    ) -> impl Future<Output = Result<RawResponse>> + Send + '_ {
        let retry = req.retried();
        self.exchange(req.clone(), move || Ok(req.clone()), None, retry)
    }

    /// [`Transport::send`] for a request that can be rendered again: `first` is sent as it is
    /// (not copied), and `render` makes the request anew only for a retry.
    pub(crate) fn send_rendered<'a>(
        &'a self,
        first: HttpRequest,
        render: impl Fn() -> Result<HttpRequest> + Send + 'a,
    ) -> impl Future<Output = Result<RawResponse>> + Send + 'a {
        let retry = first.retried();
        self.exchange(first, render, self.max_body, retry)
    }

    /// The loop of attempts. The first request becomes reqwest's (boxed, pointer-sized) pending
    /// future before the `async` block, so neither this future nor the ones below it hold a
    /// copy of it (only a `render` that keeps one to send again does, as [`Transport::send`]'s):
    /// every layer of an `async` future is copied into the one above it on every request, and
    /// an [`HttpRequest`] is 256 bytes. reqwest sends nothing before its
    /// future is first polled, so building it ahead of the request slot changes no order.
    fn exchange<'a>(
        &'a self,
        first: HttpRequest,
        render: impl Fn() -> Result<HttpRequest> + Send + 'a,
        limit: Option<u64>,
        idempotent: bool,
    ) -> impl Future<Output = Result<RawResponse>> + Send + 'a {
        let span = tracing::debug_span!(
            "supabase.http",
            method = %first.method,
            path = %first.url.path(),
            status = tracing::field::Empty,
        );
        let timeout = first.timeout;
        let mut next = Some(self.http.execute(into_reqwest(first)));
        async move {
            let mut attempt = 0;
            loop {
                let pending = match next.take() {
                    Some(pending) => pending,
                    None => {
                        let mut again = render()?;
                        again
                            .headers
                            .insert(RETRY_COUNT, HeaderValue::from(attempt));
                        self.http.execute(into_reqwest(again))
                    }
                };
                // One slot for the whole exchange, body included; released before any retry
                // delay.
                let slot = self.slot().await;
                // The timeout covers the head and the body. It is kept out of reqwest's
                // request, where setting it costs an extensions map (three allocations) on
                // every request.
                let outcome = match timeout {
                    None => receive(pending, idempotent, limit).await,
                    Some(timeout) => {
                        tokio::time::timeout(timeout, receive(pending, idempotent, limit))
                            .await
                            .unwrap_or_else(|_| Attempt::Done(Err(Error::Timeout(Some(timeout)))))
                    }
                };
                drop(slot);
                let outcome = match outcome {
                    Attempt::Done(outcome) => outcome,
                    Attempt::Retry(retry_after, outcome) => {
                        let delay = retry_after.unwrap_or_else(|| self.retry.backoff(attempt));
                        if attempt < self.retry.max_retries && delay <= self.retry.max_delay {
                            tracing::debug!(attempt, ?delay, "retrying idempotent request");
                            tokio::time::sleep(delay).await;
                            attempt += 1;
                            continue;
                        }
                        outcome
                    }
                };
                if let Ok(resp) = &outcome {
                    tracing::Span::current().record("status", resp.status.as_u16());
                }
                return outcome;
            }
        }
        .instrument(span)
    }

    /// Sends the request and returns the response as soon as its head arrives, for the caller
    /// to stream the body. Idempotent requests are retried as in [`Transport::send`], but only
    /// before any of the body has been handed out. The request's timeout bounds the wait for
    /// the head only: a stream's body takes as long as it takes (its reader bounds each wait
    /// for more).
    pub(crate) async fn open(&self, req: HttpRequest) -> Result<reqwest::Response> {
        let idempotent = req.retried();
        let mut attempt = 0;
        loop {
            // A slot until the head arrives; the caller streams the body outside the limit.
            let slot = self.slot().await;
            let mut request = to_reqwest(&req);
            if attempt > 0 {
                request
                    .headers_mut()
                    .insert(RETRY_COUNT, HeaderValue::from(attempt));
            }
            let sent = match req.timeout {
                None => self.http.execute(request).await,
                Some(timeout) => {
                    match tokio::time::timeout(timeout, self.http.execute(request)).await {
                        Ok(sent) => sent,
                        Err(_) => return Err(Error::Timeout(Some(timeout))),
                    }
                }
            };
            drop(slot);
            let (retry_after, outcome) = match sent {
                Ok(resp) if idempotent && retried_status(resp.status()) => {
                    (retry_after(resp.headers()), Ok(resp))
                }
                Ok(resp) => return Ok(resp),
                Err(e) if e.is_timeout() => return Err(Error::Timeout(req.timeout)),
                Err(e) if !idempotent || e.is_redirect() => {
                    return Err(Error::Http(HttpError::new(e)));
                }
                Err(e) => (None, Err(Error::Http(HttpError::new(e)))),
            };
            let delay = retry_after.unwrap_or_else(|| self.retry.backoff(attempt));
            if attempt >= self.retry.max_retries || delay > self.retry.max_delay {
                return outcome;
            }
            tracing::debug!(attempt, ?delay, "retrying idempotent request");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

/// A request slot of a streamed transfer ([`Transport::streamed_slot`]).
pub(crate) struct Slot<'a> {
    /// Released when the slot drops.
    _permit: Option<tokio::sync::SemaphorePermit<'a>>,
}

/// The whole body of a streamed transfer's answer, up to `limit` bytes (the client's
/// `max_response_body`): an announced length over it is refused before reading, a longer body
/// is cut off there, as [`Transport::send`] does. `failed` maps the service's read errors.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: Option<u64>,
    failed: impl Fn(reqwest::Error) -> Error,
) -> Result<Bytes> {
    let status = response.status();
    let too_large = |limit, response: &reqwest::Response| Error::ResponseTooLarge {
        status,
        limit,
        path: response.url().path().to_owned(),
    };
    if let (Some(limit), Some(length)) = (limit, response.content_length())
        && length > limit
    {
        return Err(too_large(limit, &response));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(&failed)? {
        if let Some(limit) = limit
            && (body.len() + chunk.len()) as u64 > limit
        {
            return Err(too_large(limit, &response));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// One attempt: the response to `pending` and its whole body, without a timeout
/// ([`Transport::exchange`] sets it).
async fn receive(
    pending: impl Future<Output = reqwest::Result<reqwest::Response>>,
    idempotent: bool,
    limit: Option<u64>,
) -> Attempt {
    let failed = |e: reqwest::Error| {
        // A redirect loop would loop again: not worth a retry.
        let retry = idempotent && !e.is_redirect();
        let err = Error::Http(HttpError::new(e));
        if retry {
            Attempt::Retry(None, Err(err))
        } else {
            Attempt::Done(Err(err))
        }
    };
    let mut resp = match pending.await {
        Ok(resp) => resp,
        Err(e) => return failed(e),
    };
    let status = resp.status();
    let headers = std::mem::take(resp.headers_mut());
    let too_large = |limit, path: &str| {
        Attempt::Done(Err(Error::ResponseTooLarge {
            status,
            limit,
            path: path.to_owned(),
        }))
    };
    // Announced too long: not a byte read.
    if let (Some(limit), Some(length)) = (limit, resp.content_length())
        && length > limit
    {
        return too_large(limit, resp.url().path());
    }
    // Else read chunk by chunk, stopping and dropping the connection as soon as the limit is
    // passed.
    let mut body = Body::new(resp.content_length(), limit);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if let Some(limit) = limit
                    && body.len() + chunk.len() as u64 > limit
                {
                    return too_large(limit, resp.url().path());
                }
                body.push(chunk);
            }
            Ok(None) => break,
            Err(e) => return failed(e),
        }
    }
    let body = body.finish();
    let raw = RawResponse {
        status,
        headers,
        body,
    };
    if idempotent && retried_status(status) {
        return Attempt::Retry(retry_after(&raw.headers), Ok(raw));
    }
    Attempt::Done(Ok(raw))
}

/// The header telling the server which retry an attempt is (postgrest-js and postgrest-py
/// `X-Retry-Count`: `1` on the first retry), for its logs.
const RETRY_COUNT: HeaderName = HeaderName::from_static("x-retry-count");

/// The answers after which an idempotent request is sent again: 503 (PostgREST's schema
/// cache reloading, a gateway's overload), Cloudflare's 520 (an unknown origin answer) and
/// 521–524 (origin down, connection timed out, unreachable, timed out), where the edge got no
/// usable answer from the origin; not 525 and up (TLS), which a retry does not mend
/// (postgrest-js `retry.test.ts`).
fn retried_status(status: StatusCode) -> bool {
    status == StatusCode::SERVICE_UNAVAILABLE || (520..=524).contains(&status.as_u16())
}

/// A response body as it arrives.
///
/// With its length announced, it goes into one buffer of that size (capped, as the length is the
/// server's word). Without (PostgREST's bodies are chunked), the chunks are kept as they came
/// and joined once at the end, with one allocation of their total, or none for a body that came
/// in one chunk; past [`JOIN_AT_END_UP_TO`] they move into one growing buffer instead, so a huge
/// body never needs twice its size.
enum Body {
    /// None yet, or one: most bodies, kept without a list.
    One(Bytes),
    Chunks(Vec<Bytes>, u64),
    Buffer(BytesMut),
}

/// Most bytes reserved up front from a `content-length`.
const PREALLOCATE_AT_MOST: u64 = 256 * 1024 * 1024;

/// Most bytes of an unannounced body kept as separate chunks.
const JOIN_AT_END_UP_TO: u64 = 4 * 1024 * 1024;

impl Body {
    fn new(content_length: Option<u64>, limit: Option<u64>) -> Body {
        match content_length {
            Some(length) => {
                let capacity = length
                    .min(limit.unwrap_or(u64::MAX))
                    .min(PREALLOCATE_AT_MOST);
                Body::Buffer(BytesMut::with_capacity(capacity as usize))
            }
            None => Body::One(Bytes::new()),
        }
    }

    fn len(&self) -> u64 {
        match self {
            Body::One(chunk) => chunk.len() as u64,
            Body::Chunks(_, len) => *len,
            Body::Buffer(buffer) => buffer.len() as u64,
        }
    }

    fn push(&mut self, chunk: Bytes) {
        match self {
            Body::One(first) if first.is_empty() => *first = chunk,
            Body::One(first) => {
                let len = first.len() as u64;
                *self = Body::Chunks(vec![std::mem::take(first)], len);
                self.push(chunk);
            }
            Body::Chunks(chunks, len) => {
                *len += chunk.len() as u64;
                chunks.push(chunk);
                if *len > JOIN_AT_END_UP_TO {
                    // Room to grow; a length past the address space could not be held anyway.
                    let room = usize::try_from(*len).map_or(0, |len| len.saturating_mul(2));
                    let mut buffer = BytesMut::with_capacity(room);
                    chunks.iter().for_each(|c| buffer.extend_from_slice(c));
                    *self = Body::Buffer(buffer);
                }
            }
            Body::Buffer(buffer) => buffer.extend_from_slice(&chunk),
        }
    }

    fn finish(self) -> Bytes {
        match self {
            Body::One(chunk) => chunk,
            Body::Chunks(chunks, _) => chunks.concat().into(),
            Body::Buffer(buffer) => buffer.freeze(),
        }
    }
}

/// The `reqwest` request for `req`, leaving `req` as it is (for a retry).
fn to_reqwest(req: &HttpRequest) -> reqwest::Request {
    let mut request = reqwest::Request::new(req.method.clone(), req.url.clone());
    *request.headers_mut() = req.headers.clone();
    *request.body_mut() = req.body.clone().map(reqwest::Body::from);
    request
}

/// The `reqwest` request for `req`, consuming it, without its timeout: [`Transport::exchange`]
/// times the exchange itself.
fn into_reqwest(req: HttpRequest) -> reqwest::Request {
    let mut request = reqwest::Request::new(req.method, req.url);
    *request.headers_mut() = req.headers;
    *request.body_mut() = req.body.map(reqwest::Body::from);
    request
}

/// Redirects are followed only within the origin of the request (scheme, host and port; at most
/// 10 hops): every request carries the project's key (`apikey`, possibly the service role's),
/// and on a redirect to another host reqwest strips only `Authorization`, `Cookie`, `Cookie2`,
/// `Proxy-Authorization` and `WWW-Authenticate`. A redirect elsewhere (an edge
/// function answering `Response.redirect("https://…")`) comes back as the `3xx` response, for
/// the caller to follow knowingly.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt
            .previous()
            .first()
            .is_some_and(|first| first.origin() == attempt.url().origin());
        if !same_origin {
            attempt.stop()
        } else if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else {
            attempt.follow()
        }
    })
}

impl HttpRequest {
    /// Whether a failure may send this request again: a `GET` or `HEAD` (unless sent with
    /// [`Transport::send_once`]) that did not opt out with `retry(false)`.
    fn retried(&self) -> bool {
        self.retry && (self.method == Method::GET || self.method == Method::HEAD)
    }
}

/// `Retry-After` in its delay-seconds form. (The HTTP-date form falls back to backoff.)
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Sets `name: value` on `headers`, replacing any earlier value.
pub(crate) fn set_header(headers: &mut HeaderMap, name: HeaderName, value: &str) -> Result<()> {
    let value = http::HeaderValue::from_str(value).map_err(|_| invalid_header(&name))?;
    headers.insert(name, value);
    Ok(())
}

/// [`set_header`], without copying a `'static` value (checked as `from_str` checks it).
#[allow(
    clippy::ptr_arg,
    reason = "whether the value is borrowed for `'static` is the point"
)]
pub(crate) fn set_header_cow(
    headers: &mut HeaderMap,
    name: HeaderName,
    value: &Cow<'static, str>,
) -> Result<()> {
    let value = match value {
        Cow::Borrowed(value) => {
            http::HeaderValue::from_maybe_shared(Bytes::from_static(value.as_bytes()))
        }
        Cow::Owned(value) => http::HeaderValue::from_str(value),
    }
    .map_err(|_| invalid_header(&name))?;
    headers.insert(name, value);
    Ok(())
}

fn invalid_header(name: &HeaderName) -> Error {
    Error::config(format!("invalid value for header `{name}`"))
}

/// Sets the `apikey` and `Authorization` headers from a key and an optional access token.
///
/// New-style keys (`sb_publishable_…`, `sb_secret_…`) are not JWTs and are never sent as a
/// Bearer token; a user's access token, when there is one, always is.
pub(crate) fn set_auth_headers(
    headers: &mut HeaderMap,
    api_key: &str,
    access_token: Option<&str>,
) -> Result<()> {
    set_header(headers, HeaderName::from_static("apikey"), api_key)?;
    let bearer = match access_token {
        Some(token) => Some(token),
        None if is_opaque_key(api_key) => None,
        None => Some(api_key),
    };
    if let Some(token) = bearer
        && !headers.contains_key(AUTHORIZATION)
    {
        set_header(headers, AUTHORIZATION, &format!("Bearer {token}"))?;
    }
    Ok(())
}

/// Whether `key` is one of Supabase's new opaque API keys rather than a JWT.
pub(crate) fn is_opaque_key(key: &str) -> bool {
    key.starts_with("sb_publishable_") || key.starts_with("sb_secret_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_millis(100));
        assert_eq!(p.backoff(1), Duration::from_millis(200));
        assert_eq!(p.backoff(30), p.max_delay);
    }

    #[test]
    fn new_style_keys_are_not_bearer_tokens() {
        let mut h = HeaderMap::new();
        set_auth_headers(&mut h, "sb_publishable_abc", None).unwrap();
        assert_eq!(h["apikey"], "sb_publishable_abc");
        assert!(h.get(AUTHORIZATION).is_none());

        let mut h = HeaderMap::new();
        set_auth_headers(&mut h, "sb_secret_abc", Some("user.jwt")).unwrap();
        assert_eq!(h[AUTHORIZATION], "Bearer user.jwt");

        let mut h = HeaderMap::new();
        set_auth_headers(&mut h, "eyJ.legacy.jwt", None).unwrap();
        assert_eq!(h[AUTHORIZATION], "Bearer eyJ.legacy.jwt");
    }

    #[test]
    fn debug_redacts_secret_headers() {
        let mut headers = HeaderMap::new();
        set_auth_headers(&mut headers, "eyJ.super.secret", None).unwrap();
        headers.insert("x-other", "visible".parse().unwrap());
        headers.insert("set-cookie", "sb-auth-token=cookie-secret".parse().unwrap());
        headers.insert("proxy-authorization", "Basic proxy-secret".parse().unwrap());
        headers.insert("x-signature", "upload-token-secret".parse().unwrap());
        let mut marked = http::HeaderValue::from_static("marked-secret");
        marked.set_sensitive(true);
        headers.insert("x-custom-token", marked);
        let req = HttpRequest {
            method: Method::GET,
            url: Url::parse("http://localhost/rest/v1/t").unwrap(),
            headers,
            body: None,
            timeout: None,
            retry: true,
        };
        let dbg = format!("{req:?}");
        for secret in [
            "super",
            "cookie-secret",
            "proxy-secret",
            "upload-token-secret",
            "marked-secret",
        ] {
            assert!(!dbg.contains(secret), "{dbg}");
        }
        assert!(dbg.contains("visible"));
    }

    #[test]
    fn debug_hides_secret_values_in_the_query_and_the_body() {
        let options = crate::ClientOptions::default();
        let client = crate::Client::new("http://localhost:9", "k3y", options).unwrap();
        let users = || client.table("users");
        let read = users()
            .select("*")
            .eq("password", "hunter2")
            .eq("name", "ann")
            .or_("api_key.eq.hunter2,name.eq.bob")
            .or_where([crate::postgrest::Condition::new(
                "secret",
                crate::postgrest::Op::In,
                ["hunter2", "x"],
            )]);
        let condition =
            crate::postgrest::Condition::new("password", crate::postgrest::Op::Eq, "hunter2");
        let write = users().insert(serde_json::json!({"password": "hunter2", "t": "eyJa.b.c"}));
        let dbgs = [
            format!("{read:?}"),
            format!("{:?}", read.build().unwrap()),
            format!("{write:?}"),
            format!("{:?}", write.build().unwrap()),
            format!("{condition:?}"),
            format!("{:?}", crate::postgrest::Condition::or([condition])),
        ];
        for dbg in dbgs {
            assert!(!dbg.contains("hunter2") && !dbg.contains("eyJ"), "{dbg}");
            assert!(dbg.contains("[redacted]"), "{dbg}");
        }
        assert!(format!("{read:?}").contains("eq.ann"));
        assert!(format!("{read:?}").contains("name.eq.bob"));
    }

    #[test]
    fn unannounced_bodies_are_joined_in_order_and_a_single_chunk_is_not_copied() {
        let one = Bytes::from_static(b"[1,2,3]");
        let mut body = Body::new(None, None);
        assert_eq!(body.len(), 0);
        body.push(one.clone());
        assert!(matches!(body, Body::One(_)));
        let joined = body.finish();
        assert_eq!(
            joined.as_ptr(),
            one.as_ptr(),
            "one chunk is handed on as it came"
        );

        let mut body = Body::new(None, None);
        for part in ["[1,", "2,", "3]"] {
            body.push(Bytes::from_static(part.as_bytes()));
        }
        assert_eq!(body.len(), 7);
        assert_eq!(&body.finish()[..], b"[1,2,3]");
        assert_eq!(&Body::new(None, None).finish()[..], b"");

        // Past the threshold, one growing buffer, still in order.
        let big = Bytes::from(vec![b'x'; JOIN_AT_END_UP_TO as usize]);
        let mut body = Body::new(None, None);
        body.push(Bytes::from_static(b"<"));
        body.push(big);
        assert!(matches!(body, Body::Buffer(_)));
        body.push(Bytes::from_static(b">"));
        let all = body.finish();
        assert_eq!(all.len() as u64, JOIN_AT_END_UP_TO + 2);
        assert_eq!((all[0], all[all.len() - 1]), (b'<', b'>'));
    }

    #[test]
    fn cow_header_values_are_checked_like_str_ones_and_static_ones_not_copied() {
        let name = HeaderName::from_static("accept-profile");
        let mut headers = HeaderMap::new();
        let public: Cow<'static, str> = Cow::Borrowed("public");
        set_header_cow(&mut headers, name.clone(), &public).unwrap();
        assert_eq!(headers[&name].as_bytes().as_ptr(), public.as_ptr());
        for bad in [Cow::Borrowed("a\nb"), Cow::Owned("a\nb".to_owned())] {
            let err = set_header_cow(&mut headers, name.clone(), &bad).unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{err:?}");
        }
        for odd in [Cow::Borrowed("schéma"), Cow::Owned("schéma".to_owned())] {
            set_header_cow(&mut headers, name.clone(), &odd).unwrap();
            assert_eq!(headers[&name].as_bytes(), "schéma".as_bytes());
        }
    }

    /// A request's future is copied into the box `IntoFuture` returns, and each layer of it into
    /// the one above, on every request (`memcpy` was the largest source of data-cache misses of
    /// a point lookup under valgrind's cache simulation). It was 2,616 bytes with the request
    /// stored in three layers and an `async fn` storing its arguments twice; 1,200 with rustc
    /// 1.95 and reqwest 0.13 since.
    #[tokio::test]
    async fn a_requests_future_holds_no_copy_of_the_request() {
        let client = crate::Client::new("http://127.0.0.1:1", "key", Default::default()).unwrap();
        let query = client.table("t").select("*").eq("id", 1);
        let size = std::mem::size_of_val(&query.execute());
        assert!(size <= 1536, "{size} bytes");
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
