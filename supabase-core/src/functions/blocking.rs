//! The blocking form of [`Functions`](super::Functions) (feature `blocking`): the same
//! invocation, with the body read before returning (streams need the async client).

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::response::{decode_json, media_type};
use super::{FunctionRegion, Functions, InvokeOptions};
use crate::error::{Error, Result};
use crate::http::RedactedHeaders;

/// Edge Functions of a [`blocking::Client`](crate::blocking::Client).
#[derive(Debug, Clone)]
pub struct BlockingFunctions {
    inner: Functions,
}

/// A 2xx answer of a function, read whole.
#[derive(Clone)]
pub struct BlockingFunctionResponse {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl std::fmt::Debug for BlockingFunctionResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // As the async `FunctionResponse`: a function may answer with a session cookie.
        f.debug_struct("BlockingFunctionResponse")
            .field("status", &self.status)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl BlockingFunctions {
    pub(crate) fn new(inner: Functions) -> Self {
        BlockingFunctions { inner }
    }

    /// Invokes `name` in `region` unless an invocation says otherwise.
    #[must_use = "region returns a copy; the client is unchanged"]
    pub fn region(self, region: FunctionRegion) -> Self {
        BlockingFunctions {
            inner: self.inner.region(region),
        }
    }

    /// Sends `token` as the bearer of every invocation; see
    /// [`Functions::set_auth`](super::Functions::set_auth).
    #[must_use = "set_auth returns a copy that carries the token; the client is unchanged"]
    pub fn set_auth(self, token: impl AsRef<str>) -> Self {
        BlockingFunctions {
            inner: self.inner.set_auth(token),
        }
    }

    /// Invokes the function `name` and reads its whole answer; errors as
    /// [`Functions::invoke`](super::Functions::invoke).
    pub fn invoke(&self, name: &str, options: InvokeOptions) -> Result<BlockingFunctionResponse> {
        let runtime = crate::blocking::runtime(&self.inner.client)?;
        runtime.block_on(async {
            let resp = self.inner.invoke(name, options).await?;
            let (status, headers) = (resp.status(), resp.headers().clone());
            let body = resp.bytes().await?;
            Ok(BlockingFunctionResponse {
                status,
                headers,
                body,
            })
        })
    }
}

impl BlockingFunctionResponse {
    /// The HTTP status (2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The media type without parameters (`text/plain` when missing).
    pub fn content_type(&self) -> String {
        media_type(&self.headers)
    }

    /// The body decoded as JSON into `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(self.status, &self.body)
    }

    /// The body as UTF-8 text; other bytes are an [`Error::Decode`].
    pub fn text(&self) -> Result<String> {
        String::from_utf8(self.body.to_vec()).map_err(|e| Error::Decode {
            status: self.status,
            path: ".".into(),
            message: format!("the body is not UTF-8 text: {}", e.utf8_error()),
        })
    }

    /// The raw body.
    pub fn bytes(&self) -> &Bytes {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_a_session_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert("set-cookie", "sb-session=cookie-secret".parse().unwrap());
        headers.insert("content-type", "text/plain".parse().unwrap());
        let response = BlockingFunctionResponse {
            status: StatusCode::OK,
            headers,
            body: Bytes::from_static(b"hello"),
        };
        let shown = format!("{response:?}");
        assert!(!shown.contains("cookie-secret"), "{shown}");
        assert!(shown.contains("text/plain"), "{shown}");
    }
}
