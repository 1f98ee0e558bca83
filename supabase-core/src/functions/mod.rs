//! Edge Functions: `client.functions().invoke(name, options)`, as `supabase.functions.invoke` in
//! the reference (functions-py `supabase_functions/_async/functions_client.py`, functions-js
//! `src/FunctionsClient.ts`).
//!
//! ```no_run
//! use supabase_core::functions::{FunctionsError, InvokeOptions};
//!
//! # async fn run(client: supabase_core::Client) -> supabase_core::Result<()> {
//! #[derive(serde::Deserialize)]
//! struct Hello {
//!     message: String,
//! }
//!
//! let hello: Hello = client
//!     .functions()
//!     .invoke("hello-world", InvokeOptions::new().body(&serde_json::json!({ "name": "Functions" })))
//!     .await?
//!     .json()
//!     .await?;
//!
//! match client.functions().invoke("hello-world", InvokeOptions::new()).await {
//!     Err(supabase_core::Error::Functions(FunctionsError::Http(resp))) => {
//!         println!("Function returned an error {}: {}", resp.status(), resp.text());
//!     }
//!     Err(supabase_core::Error::Functions(FunctionsError::Relay(resp))) => {
//!         println!("Relay error: {}", resp.text());
//!     }
//!     other => { other?; }
//! }
//! # let _ = hello.message;
//! # Ok(()) }
//! ```
//!
//! Invocations are never retried (a function is not assumed idempotent), and the session's
//! access token is read for every call.

#[cfg(feature = "blocking")]
mod blocking;
mod error;
mod json;
mod options;
mod response;

use http::header::CONTENT_TYPE;
use http::{HeaderName, HeaderValue};
use tracing::Instrument;

#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub use blocking::{BlockingFunctionResponse, BlockingFunctions};
pub use error::{ErrorResponse, FunctionsError, FunctionsErrorDict};
pub use options::{Form, FunctionRegion, HttpMethod, InvokeOptions};
pub use response::{ByteStream, EventStream, FunctionData, FunctionResponse, SseEvent};

use crate::client::Client;
use crate::error::{Error, Result};
use options::Body;

/// The response header by which Supabase's relay flags its own failures.
const RELAY_ERROR_HEADER: &str = "x-relay-error";

/// The Edge Functions client of a [`Client`]: [`Client::functions`].
#[derive(Debug, Clone)]
pub struct Functions {
    pub(crate) client: Client,
    region: FunctionRegion,
    /// The token of [`set_auth`](Self::set_auth), sent over the session's.
    token: Option<crate::Secret>,
}

impl Functions {
    pub(crate) fn new(client: Client) -> Self {
        Functions {
            client,
            region: FunctionRegion::Any,
            token: None,
        }
    }

    /// A copy of this client that sends `token` as `Authorization: Bearer <token>` on every
    /// invocation (functions-js and supabase-py `set_auth`), over the session's token; a
    /// call's own `Authorization` header still wins. [`Error::Config`] at the next
    /// invocation when the token cannot be a header value.
    ///
    /// Unlike supabase-py's, it changes nothing in place: keep the copy
    /// (`let functions = client.functions().set_auth(token);`).
    #[must_use = "set_auth returns a copy that carries the token; the client is unchanged"]
    pub fn set_auth(mut self, token: impl AsRef<str>) -> Self {
        self.token = Some(crate::Secret::new(token.as_ref()));
        self
    }

    /// A copy of this client that invokes functions in `region` unless an invocation says
    /// otherwise (functions-js `new FunctionsClient(url, { region })`).
    #[must_use = "region returns a copy; the client is unchanged"]
    pub fn region(mut self, region: FunctionRegion) -> Self {
        self.region = region;
        self
    }

    /// Invokes the function `name` (`/functions/v1/<name>`).
    ///
    /// As in functions-js, the name may go on with a path and a query string for functions
    /// that route requests themselves: `"api/items/42?limit=10"` calls `api` with the path
    /// `/api/items/42` and the query `limit=10`, sent as written (the client only
    /// percent-encodes characters a URL cannot hold).
    ///
    /// A 2xx answer is a [`FunctionResponse`] to read as JSON, text, bytes or a stream; a
    /// non-2xx answer is [`FunctionsError::Http`], a relay failure [`FunctionsError::Relay`],
    /// a network failure [`FunctionsError::Fetch`], and running past the timeout
    /// [`Error::Timeout`]. [`Error::Config`], with nothing sent, when the function's name is
    /// not a slug (letters, digits, `_` and `-`, starting with a letter, as the Supabase CLI
    /// requires) or the path could lead elsewhere (a `.` or `..` segment, an encoded `.`, `/`
    /// or `\`, a `#`).
    pub async fn invoke(&self, name: &str, options: InvokeOptions) -> Result<FunctionResponse> {
        let InvokeOptions {
            headers: call_headers,
            method,
            region,
            body,
            timeout,
            error,
        } = options;
        if let Some(e) = error {
            return Err(e);
        }
        let (path, query) = split_target(name)?;
        let name = path.split('/').next().unwrap_or(path);
        if method == HttpMethod::Get && body.is_some() {
            return Err(Error::config("a GET invocation cannot carry a body"));
        }
        let mut url = self.client.service_url(&format!("functions/v1/{path}"))?;
        url.set_query(query);

        // Header precedence (functions-js): the body's Content-Type and x-region, then the
        // client's headers (a fresh copy: the session token is read per call), then this call's.
        let mut headers = http::HeaderMap::new();
        if let Some(ct) = body.as_ref().and_then(Body::default_content_type) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        // An empty identifier is no region either: functions-js and supabase-py skip a falsy
        // one, and take the client's instead (`if (!region) region = this.region`).
        let region = region
            .filter(|r| !r.as_str().is_empty())
            .unwrap_or_else(|| self.region.clone());
        if region != FunctionRegion::Any && !region.as_str().is_empty() {
            let value = HeaderValue::from_str(region.as_str())
                .map_err(|_| Error::config(format!("invalid region `{region}`")))?;
            headers.insert(HeaderName::from_static("x-region"), value);
            set_query_param(&mut url, "forceFunctionRegion", region.as_str());
        }
        self.client.ensure_fresh_session().await?;
        for (name, value) in &self.client.base_headers() {
            headers.insert(name, value.clone());
        }
        if let Some(token) = &self.token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::config("the token given to set_auth is not a valid header value")
                })?;
            value.set_sensitive(true);
            headers.insert(http::header::AUTHORIZATION, value);
        }
        for (name, value) in &call_headers {
            headers.insert(name, value.clone());
        }

        let method = method.as_http();
        let timeout = timeout.or(self.client.inner.options.function_client_timeout);
        let mut request = self
            .client
            .inner
            .transport
            .client()
            .request(method.clone(), url.clone());
        match body {
            None => {}
            Some(Body::Json(b) | Body::Bytes(b)) => request = request.body(b),
            Some(Body::Text(t)) => request = request.body(t),
            Some(Body::Form(form)) => request = request.multipart(form.into_reqwest()?),
            Some(Body::Stream(s)) => request = request.body(reqwest::Body::wrap_stream(s)),
        }
        // After `multipart`, so that a caller's Content-Type replaces the form's.
        let request = request.headers(headers);

        let span = tracing::debug_span!(
            "supabase.functions.invoke",
            function = name,
            method = %method,
            status = tracing::field::Empty,
        );
        async move {
            let transport = &self.client.inner.transport;
            // Held until the answer's head: the body is read (or streamed) after. Waiting for
            // it is not part of the timeout.
            let slot = transport.streamed_slot().await;
            // A timeout too long to schedule (`Duration::MAX`) is no timeout.
            let deadline =
                timeout.and_then(|t| Some((tokio::time::Instant::now().checked_add(t)?, t)));
            let sent = transport.send_streamed(&slot, request);
            let response = match deadline {
                Some((at, t)) => tokio::time::timeout_at(at, sent)
                    .await
                    .map_err(|_| Error::Timeout(Some(t)))?,
                None => sent.await,
            }
            .map_err(response::fetch_error)?;
            drop(slot);
            let status = response.status();
            tracing::Span::current().record("status", status.as_u16());
            let relay = response
                .headers()
                .get(RELAY_ERROR_HEADER)
                .is_some_and(|v| v.as_bytes() == b"true");
            let response = FunctionResponse { response, deadline };
            if !relay && status.is_success() {
                return Ok(response);
            }
            let headers = response.headers().clone();
            // The status is the answer: a body that stalls or breaks off is left empty rather
            // than turning the error into a timeout or a network failure (functions-js
            // rejects with the response before reading it). One over the size limit is still
            // refused.
            let body = match response
                .bytes_up_to(self.client.inner.options.max_response_body)
                .await
            {
                Ok(body) => body,
                Err(e @ Error::ResponseTooLarge { .. }) => return Err(e),
                Err(e) => {
                    tracing::debug!(error = %e, "could not read the body of a failed invocation");
                    bytes::Bytes::new()
                }
            };
            let resp = ErrorResponse::new(status, headers, body);
            Err(Error::Functions(if relay {
                FunctionsError::Relay(resp)
            } else {
                FunctionsError::Http(resp)
            }))
        }
        .instrument(span)
        .await
    }
}

/// Sets `name` to `value` in `url`'s query, replacing any value the caller's target carried
/// (functions-js `searchParams.set`); the caller's other parameters stay as written.
fn set_query_param(url: &mut url::Url, name: &str, value: &str) {
    let kept = url.query().map(|query| {
        query
            .split('&')
            .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
            .collect::<Vec<_>>()
            .join("&")
    });
    url.set_query(kept.as_deref().filter(|q| !q.is_empty()));
    url.query_pairs_mut().append_pair(name, value);
}

/// Splits what [`Functions::invoke`] was given into the path (the function's name, then any
/// sub-path) and the query string, refusing what could call another URL than the function's:
/// a name that is not a slug, `.` and `..` segments, percent-encoded `.`, `/` and `\` (which a
/// server may decode into one), `\`, and `#` (a fragment is never sent, so the rest would be
/// dropped silently).
fn split_target(target: &str) -> Result<(&str, Option<&str>)> {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    // The path alone, in any error: a query string or a fragment may hold a token.
    let shown = path.split('#').next().unwrap_or_default();
    let refused = || {
        Error::config(format!(
            "invalid function path {shown:?}: `.` and `..` segments, encoded `.`, `/` or `\\`, \
             and `#` are refused"
        ))
    };
    if target.contains('#') {
        return Err(refused());
    }
    let mut segments = path.split('/');
    validate_name(segments.next().unwrap_or_default())?;
    let escapes = |segment: &str| {
        let lower = segment.to_ascii_lowercase();
        segment == "."
            || segment == ".."
            || segment.contains('\\')
            || ["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e))
    };
    if segments.any(escapes) {
        return Err(refused());
    }
    Ok((path, query))
}

/// The Supabase CLI's function slug rule, `^[A-Za-z][A-Za-z0-9_-]*$` (supabase/cli
/// `pkg/config/config.go`, `ValidateFunctionSlug`).
fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::config(format!(
            "invalid function name {name:?}: it must start with a letter and contain only \
             letters, digits, `_` and `-`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_cli_slug_rule() {
        for ok in ["hello-world", "a", "fn_2", "Hello"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "../admin", "a/b", "..", "1abc", "-x", "a b", "a%2Fb", "é",
        ] {
            assert!(matches!(validate_name(bad), Err(Error::Config(_))), "{bad}");
        }
    }

    #[test]
    fn targets_split_into_path_and_query_and_cannot_leave_the_function() {
        assert_eq!(split_target("echo").unwrap(), ("echo", None));
        assert_eq!(
            split_target("api/items/42?limit=10&q=a/b").unwrap(),
            ("api/items/42", Some("limit=10&q=a/b"))
        );
        assert_eq!(split_target("api/").unwrap(), ("api/", None));
        assert_eq!(split_target("api?").unwrap(), ("api", Some("")));
        for bad in [
            "../admin",
            "/api",
            "api/../other",
            "api/./x",
            "api/%2e%2E/other",
            "api/a%2Fb",
            "api/a%5cb",
            "api/a\\b",
            "api#x",
            "api?x=1#y",
            "1api/x",
            "?x=1",
        ] {
            assert!(matches!(split_target(bad), Err(Error::Config(_))), "{bad}");
        }
        // No token in the message, whatever part of the target holds it.
        for bad in [
            "fn#access_token=t0k3n",
            "fn?x=t0k3n#y",
            "api/../x?t0k3n",
            "fn x?t0k3n",
        ] {
            let message = split_target(bad).unwrap_err().to_string();
            assert!(!message.contains("t0k3n"), "{bad}: {message}");
        }
    }

    #[test]
    fn debug_of_options_hides_secrets_and_bodies() {
        let opts = InvokeOptions::new()
            .header("Authorization", "Bearer eyJ.very.secret")
            .header("apikey", "eyJ.other.secret")
            .text("password=hunter2");
        let dbg = format!("{opts:?}");
        assert!(!dbg.contains("secret"), "{dbg}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
    }

    #[test]
    fn unserialisable_bodies_fail_before_sending() {
        let mut map = std::collections::HashMap::new();
        map.insert((1, 2), "tuple keys are not JSON");
        let opts = InvokeOptions::new().body(&map);
        assert!(matches!(opts.error, Some(Error::Encode(_))));
    }
}
