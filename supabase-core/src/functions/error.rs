//! [`FunctionsError`]: the three failures of functions-js (`src/types.ts`): the function answered
//! a non-2xx status (`FunctionsHttpError`), the relay could not reach it (`FunctionsRelayError`,
//! flagged by the `x-relay-error: true` header), or the request never got an answer
//! (`FunctionsFetchError`).

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::{Error, HttpError};
use crate::http::RedactedHeaders;
use crate::secret::redact_text;

/// An edge-function invocation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionsError {
    /// The function answered with a non-2xx status; the response (status, headers, body) is
    /// kept. `FunctionsHttpError` in the reference.
    #[doc(alias = "FunctionsHttpError")]
    #[error("Edge Function returned a non-2xx status code (HTTP {})", .0.status())]
    Http(ErrorResponse),

    /// The relay in front of the functions could not invoke it (the response carries
    /// `x-relay-error: true`). `FunctionsRelayError` in the reference.
    #[doc(alias = "FunctionsRelayError")]
    #[error("Relay Error invoking the Edge Function (HTTP {})", .0.status())]
    Relay(ErrorResponse),

    /// The request could not be sent or its response not read (connection refused, reset).
    /// `FunctionsFetchError` in the reference. A timeout is [`Error::Timeout`] instead.
    #[doc(alias = "FunctionsFetchError")]
    #[error("Failed to send a request to the Edge Function: {0}")]
    Fetch(#[source] HttpError),
}

impl FunctionsError {
    /// The error response, for [`Http`](Self::Http) and [`Relay`](Self::Relay).
    pub fn response(&self) -> Option<&ErrorResponse> {
        match self {
            FunctionsError::Http(r) | FunctionsError::Relay(r) => Some(r),
            FunctionsError::Fetch(_) => None,
        }
    }

    /// The HTTP status, for [`Http`](Self::Http) and [`Relay`](Self::Relay).
    pub fn status(&self) -> Option<StatusCode> {
        self.response().map(ErrorResponse::status)
    }

    /// The reference's class name: `FunctionsHttpError`, `FunctionsRelayError` or
    /// `FunctionsFetchError`.
    pub fn name(&self) -> &'static str {
        match self {
            FunctionsError::Http(_) => "FunctionsHttpError",
            FunctionsError::Relay(_) => "FunctionsRelayError",
            FunctionsError::Fetch(_) => "FunctionsFetchError",
        }
    }

    /// The error as the reference's `to_dict()` gives it: `name`, `message`, `status`.
    ///
    /// ```
    /// # fn show(e: supabase_core::functions::FunctionsError) {
    /// let err = e.to_dict();
    /// println!("{} returned an error: {}", err.name, err.message);
    /// # }
    /// ```
    pub fn to_dict(&self) -> FunctionsErrorDict {
        // supafunc takes the body's `error`; edge runtimes write `message` (BOOT_ERROR, …).
        let message = self.response().and_then(|r| {
            let body = r.json::<serde_json::Value>().ok()?;
            let text = body
                .get("error")
                .or_else(|| body.get("message"))?
                .as_str()?;
            Some(text.to_owned())
        });
        FunctionsErrorDict {
            name: self.name(),
            message: message.unwrap_or_else(|| self.to_string()),
            status: self.status().map(|s| s.as_u16()),
        }
    }
}

/// [`FunctionsError::to_dict`]: the reference's `FunctionsApiErrorDict`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct FunctionsErrorDict {
    /// [`FunctionsError::name`].
    pub name: &'static str,
    /// The function's own message (the string `error`, else `message`, of a JSON body), else
    /// this error's text.
    pub message: String,
    /// The HTTP status; `None` for a fetch error (no response).
    pub status: Option<u16>,
}

/// A non-2xx response of a function or of the relay: status, headers and the whole body.
/// Cheap to clone.
#[derive(Clone)]
pub struct ErrorResponse(Arc<Inner>);

struct Inner {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl ErrorResponse {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, body: Bytes) -> Self {
        ErrorResponse(Arc::new(Inner {
            status,
            headers,
            body,
        }))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.0.body
    }

    /// The body as text (invalid UTF-8 replaced by `�`).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.body).into_owned()
    }

    /// The body decoded as JSON, e.g. a function's `{"error": "..."}`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        super::response::decode_json(self.0.status, &self.0.body)
    }
}

/// How much of an error body `Debug` shows.
const DEBUG_BODY_PREVIEW: usize = 256;

impl fmt::Debug for ErrorResponse {
    /// The status, the headers (credentials redacted) and the start of the body with anything
    /// shaped like a JWT or a Supabase secret key redacted: functions often echo the request's
    /// headers in their errors, and a body can be huge.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = &self.0.body;
        let preview = String::from_utf8_lossy(&body[..body.len().min(DEBUG_BODY_PREVIEW)]);
        let mut debug = f.debug_struct("ErrorResponse");
        debug
            .field("status", &self.0.status)
            .field("headers", &RedactedHeaders(&self.0.headers))
            .field("body", &redact_text(&preview));
        if body.len() > DEBUG_BODY_PREVIEW {
            debug.field("body_len", &body.len());
        }
        debug.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_start_of_the_body_without_tokens() {
        let body = format!(
            r#"{{"error":"bad","seen":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2ln","key":"sb_secret_abc-123","pad":"{}"}}"#,
            "x".repeat(1000)
        );
        let resp = ErrorResponse::new(StatusCode::BAD_REQUEST, HeaderMap::new(), body.into());
        let dbg = format!("{resp:?}");
        assert!(dbg.contains(r#"\"error\":\"bad\""#), "{dbg}");
        assert!(dbg.contains(r#"Bearer [redacted]\""#), "{dbg}");
        assert!(dbg.contains(r#"\"key\":\"[redacted]\""#), "{dbg}");
        assert!(!dbg.contains("eyJ") && !dbg.contains("sb_secret"), "{dbg}");
        assert!(dbg.contains("body_len: 1"), "{dbg}");
        assert!(dbg.len() < 600, "{dbg}");
    }

    #[test]
    fn debug_hides_secret_named_json_values_and_a_locations_query() {
        let body = r#"{"error":"bad","got":{"password":"hunter2","refresh_token":"v2l3y4"},"list":[{"apiKey":"k"}]}"#;
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::LOCATION,
            "https://app.example/cb?code=c0de#access_token=abc"
                .parse()
                .unwrap(),
        );
        headers.insert("x-webhook-secret", "s3cr3t".parse().unwrap());
        let resp = ErrorResponse::new(StatusCode::BAD_REQUEST, headers, body.into());
        let dbg = format!("{resp:?}");
        for secret in [
            "hunter2", "v2l3y4", "\"k\"", "c0de", "abc", "s3cr3t", "pw", "user",
        ] {
            assert!(!dbg.contains(secret), "{secret} in {dbg}");
        }
        assert!(dbg.contains(r#"\"error\":\"bad\""#), "{dbg}");
        assert!(dbg.contains("https://app.example/cb[redacted]"), "{dbg}");
    }
}
