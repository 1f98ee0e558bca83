//! Requests to GoTrue, as supabase/auth-js `src/lib/fetch.ts` (`_request`) makes them: the
//! project's `apikey` + `Authorization: Bearer <key>` (or the user's JWT when the call acts for a
//! user), `X-Supabase-Api-Version`, a JSON body, and `redirect_to` in the query string.

use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use super::AuthShared;
use super::errors::{API_VERSION, AuthError};
use crate::error::{Error, Result};
use crate::http::{HttpRequest, RawResponse};
use crate::secret::Secret;

/// One GoTrue call before rendering.
// No `Debug`: the body holds passwords and tokens.
pub(crate) struct Call {
    pub(crate) method: Method,
    /// Path under `/auth/v1/`, e.g. `token`; segments from callers are already encoded.
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
    /// The user's access token, sent instead of the key.
    pub(crate) jwt: Option<Secret>,
    /// A `GET` with an effect (it sends a code): never retried.
    pub(crate) once: bool,
    /// At most this long, if shorter than the client's auth timeout.
    pub(crate) within: Option<Duration>,
}

impl Call {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        Call {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            jwt: None,
            once: false,
            within: None,
        }
    }

    pub(crate) fn get(path: impl Into<String>) -> Self {
        Call::new(Method::GET, path)
    }

    pub(crate) fn post(path: impl Into<String>, body: Map<String, Value>) -> Self {
        Call::new(Method::POST, path).body(body)
    }

    pub(crate) fn body(mut self, body: Map<String, Value>) -> Self {
        self.body = Some(Value::Object(body));
        self
    }

    pub(crate) fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// `redirect_to` in the query string, when given.
    pub(crate) fn redirect_to(self, url: Option<&String>) -> Self {
        match url {
            Some(url) => self.query("redirect_to", url.clone()),
            None => self,
        }
    }

    pub(crate) fn jwt(mut self, jwt: &Secret) -> Self {
        self.jwt = Some(jwt.clone());
        self
    }

    /// Gives up after `limit` if the client's timeout is longer (or unset).
    pub(crate) fn within(mut self, limit: Duration) -> Self {
        self.within = Some(limit);
        self
    }

    /// Sends it once, even as a `GET`.
    pub(crate) fn once(mut self) -> Self {
        self.once = true;
        self
    }
}

/// A path segment from user input (an id), percent-encoded.
pub(crate) fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Builds the headers of every GoTrue request from the client's key headers.
pub(crate) fn auth_headers(key_headers: &HeaderMap) -> HeaderMap {
    let mut headers = key_headers.clone();
    headers.insert(
        HeaderName::from_static("x-supabase-api-version"),
        HeaderValue::from_static(API_VERSION),
    );
    headers
}

impl AuthShared {
    /// The request `call` renders to.
    pub(crate) fn render(&self, call: &Call) -> Result<HttpRequest> {
        let mut url: Url = self
            .base
            .join(&call.path)
            .map_err(|e| Error::config(format!("invalid auth path `{}`: {e}", call.path)))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let mut headers = self.headers.clone();
        if let Some(jwt) = &call.jwt {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", jwt.expose()))
                .map_err(|_| AuthError::InvalidJwt("not a valid header value".into()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let body = match &call.body {
            Some(body) if call.method != Method::GET => {
                headers.insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/json;charset=UTF-8"),
                );
                Some(Bytes::from(
                    serde_json::to_vec(body).map_err(|e| Error::Encode(e.to_string()))?,
                ))
            }
            _ => None,
        };
        Ok(HttpRequest {
            method: call.method.clone(),
            url,
            headers,
            body,
            timeout: match (self.timeout, call.within) {
                (Some(timeout), Some(limit)) => Some(timeout.min(limit)),
                (timeout, limit) => limit.or(timeout),
            },
            retry: true,
        })
    }

    /// Sends `call`; a non-success answer becomes [`Error::Auth`].
    pub(crate) async fn send(&self, call: Call) -> Result<RawResponse> {
        self.own_auth()?;
        let request = self.render(&call)?;
        let raw = if call.once {
            self.transport.send_once(request).await?
        } else {
            self.transport.send(request).await?
        };
        if raw.status.is_success() || raw.status.is_redirection() {
            Ok(raw)
        } else {
            Err(AuthError::from_response(raw.status, &raw.headers, &raw.body).into())
        }
    }

    /// Sends `call` and decodes its JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(&self, call: Call) -> Result<T> {
        let raw = self.send(call).await?;
        decode(raw.status, &raw.body)
    }
}

/// Decodes a JSON body, naming the path of the value that failed.
pub(crate) fn decode<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| Error::Decode {
        status,
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    de.end().map_err(|e| Error::Decode {
        status,
        path: ".".into(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// A JSON object under construction, skipping absent options.
// No `Debug`: it holds passwords and tokens.
#[derive(Default)]
pub(crate) struct Body(pub(crate) Map<String, Value>);

impl Body {
    pub(crate) fn new() -> Self {
        Body::default()
    }

    pub(crate) fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    pub(crate) fn opt(self, key: &str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    pub(crate) fn secret(self, key: &str, value: Option<&Secret>) -> Self {
        self.opt(key, value.map(|s| s.expose().to_owned()))
    }

    /// `gotrue_meta_security: {captcha_token}` (always present, as auth-js sends it).
    pub(crate) fn captcha(self, token: Option<&Secret>) -> Self {
        let inner = Body::new().secret("captcha_token", token);
        self.set("gotrue_meta_security", Value::Object(inner.0))
    }

    pub(crate) fn build(self) -> Map<String, Value> {
        self.0
    }
}
