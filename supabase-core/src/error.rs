//! Errors returned by every service of the client.

use std::time::Duration;

use http::StatusCode;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure the client reports.
///
/// Server-side errors are typed per service ([`PostgrestError`] for the database), transport
/// failures are [`Error::Http`] or [`Error::Timeout`], and responses that do not have the expected
/// shape are [`Error::Decode`] with the JSON path that failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// PostgREST answered with an error (`{code, message, details, hint}` and the HTTP status).
    #[error(transparent)]
    Postgrest(#[from] PostgrestError),

    /// An edge function failed: its non-2xx answer, a relay error, or a network failure.
    #[error(transparent)]
    Functions(#[from] crate::functions::FunctionsError),
    /// GoTrue (auth) answered with an error, or an auth call could not be made (no session, a
    /// JWT that does not verify, …). See [`AuthError::code`](crate::auth::AuthError::code).
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// Storage answered with an error (`{statusCode, error, message}`).
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// A realtime operation failed (a refused join, a timeout, a lost connection).
    #[error(transparent)]
    Realtime(#[from] crate::realtime::RealtimeError),

    /// The request could not be sent or its response could not be read (connection refused,
    /// reset, TLS failure, body cut off).
    #[error("HTTP transport error: {0}")]
    Http(#[source] HttpError),

    /// The request did not complete within its timeout.
    #[error("request timed out{}", .0.map(|d| format!(" after {d:?}")).unwrap_or_default())]
    Timeout(Option<Duration>),

    /// The response body did not have the expected shape.
    #[error("could not decode the response (HTTP {status}) at `{path}`: {message}")]
    Decode {
        /// HTTP status of the response.
        status: StatusCode,
        /// Path of the value that failed, e.g. `[3].moons` (`.` for the whole body).
        path: String,
        /// What the decoder expected and found.
        message: String,
    },

    /// The response body (or one row of a `stream()`) is longer than
    /// [`ClientOptions::max_response_body`](crate::ClientOptions::max_response_body) (default
    /// 64 MiB): reading stopped there, so a huge or endless answer cannot exhaust memory. Stream
    /// large results instead (`stream()` for rows, `download_stream` for files), or raise the
    /// limit.
    #[error(
        "the response to `{path}` (HTTP {status}) is larger than the {limit}-byte limit \
         (ClientOptions::max_response_body); stream it or raise the limit"
    )]
    ResponseTooLarge {
        /// HTTP status of the response.
        status: StatusCode,
        /// The limit, in bytes.
        limit: u64,
        /// URL path of the request.
        path: String,
    },

    /// The request asked PostgREST to roll its transaction back (`Prefer: tx=rollback`, from
    /// [`rollback()`](crate::postgrest::Builder::rollback) or by hand) and the server
    /// **committed** it instead: PostgREST honours the preference only with `db-tx-end =
    /// commit-allow-override`, which Supabase projects do not set, and says so in
    /// `Preference-Applied`. A write's change is in the database.
    #[error(
        "`{path}` (HTTP {status}) was committed, not rolled back: the server ignored \
         `Prefer: tx=rollback` (PostgREST honours it only with `db-tx-end = commit-allow-override`), \
         so any change the request made was kept"
    )]
    NotRolledBack {
        /// HTTP status of the (successful) response.
        status: StatusCode,
        /// URL path of the request.
        path: String,
    },

    /// A request body or filter value could not be serialised.
    #[error("could not encode the request: {0}")]
    Encode(String),

    /// The access-token provider given to
    /// [`ClientOptions::access_token`](crate::ClientOptions::access_token) failed; the request
    /// that asked for the token was not sent.
    #[error("the access_token provider failed: {0}")]
    AccessToken(#[source] std::sync::Arc<dyn std::error::Error + Send + Sync>),
    /// The client was configured or called with something invalid (a bad URL, an empty key, a
    /// builder argument that cannot be encoded).
    #[error("invalid input: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status of the response that caused this error, when there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Postgrest(e) => Some(e.status),
            Error::Auth(e) => e.status(),
            Error::Storage(e) => Some(e.status),
            Error::Decode { status, .. }
            | Error::ResponseTooLarge { status, .. }
            | Error::NotRolledBack { status, .. } => Some(*status),
            Error::Functions(e) => e.status(),
            _ => None,
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }
}

/// A transport failure (opaque wrapper, so the HTTP library is not part of this crate's API).
#[derive(Debug, Clone)]
pub struct HttpError(pub(crate) std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl HttpError {
    /// Wraps a transport failure of reqwest, keeping the URL's scheme, host and path but not its
    /// query, fragment or user info: reqwest's `Display` and `Debug` show the URL, and queries
    /// carry secrets (a signed upload's `?token=`, an `apikey` parameter).
    pub(crate) fn new(mut e: reqwest::Error) -> Self {
        if let Some(url) = e.url_mut() {
            url.set_query(None);
            url.set_fragment(None);
            // Both fail only for URLs that cannot have user info, which then have none.
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        HttpError(std::sync::Arc::new(e))
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // reqwest's Display omits the cause ("error sending request"); show the whole chain.
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

/// An error answered by PostgREST: its JSON error body plus the HTTP status.
///
/// `code` is a Postgres SQLSTATE (`23505`, `42501`, …) or a PostgREST code (`PGRST116`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Deserialize)]
#[error("{message} (HTTP {status}{})", self.code.as_deref().map(|c| format!(", code {c}")).unwrap_or_default())]
pub struct PostgrestError {
    /// HTTP status of the response.
    #[serde(skip, default)]
    pub status: StatusCode,
    /// SQLSTATE or `PGRSTxxx` code. A gateway in front of PostgREST may send a number
    /// (`{"code": 502, ..}`); it is kept as its text.
    #[serde(default, deserialize_with = "text_or_json")]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: String,
    /// Extra detail, when PostgREST gives one. Usually text; when PostgREST sends JSON (the
    /// candidate relationships of an ambiguous embedding, `PGRST201`), that JSON as text.
    #[serde(default, deserialize_with = "text_or_json")]
    pub details: Option<String>,
    /// A hint on how to fix the problem, when PostgREST gives one.
    #[serde(default, deserialize_with = "text_or_json")]
    pub hint: Option<String>,
}

/// The `error` parameter of a `Proxy-Status` member (RFC 9209) named `PostgREST`.
fn postgrest_proxy_status_error(member: &str) -> Option<String> {
    let mut parts = member.split(';');
    if parts.next()?.trim() != "PostgREST" {
        return None;
    }
    parts.find_map(|p| {
        let value = p.trim().strip_prefix("error=")?;
        let value = value.trim_matches('"');
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// A string as it is, any other JSON value (but `null`) as its JSON text.
pub(crate) fn text_or_json<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

impl PostgrestError {
    /// Builds the error from a non-success response body. A body that is not PostgREST's JSON
    /// error (a proxy's HTML page, say) keeps its text as the message.
    ///
    /// So does JSON without PostgREST's fields (a gateway's `{"error": ..}` or `{"msg": ..}`):
    /// every field is optional, so it would otherwise decode into an error that says nothing.
    pub(crate) fn from_body(status: StatusCode, body: &[u8]) -> Self {
        match serde_json::from_slice::<PostgrestError>(body) {
            Ok(mut e) if !e.message.is_empty() || e.code.is_some() => {
                e.status = status;
                e
            }
            _ => PostgrestError {
                status,
                code: None,
                message: String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned(),
                details: None,
                hint: None,
            },
        }
    }

    /// [`from_body`](Self::from_body), with the code from the `Proxy-Status` header when the
    /// body has none: PostgREST 13 names every error's code there (`PostgREST; error=57014`),
    /// which is all a failed `HEAD` (a count) can carry, as postgrest-js reads it. Only the
    /// `PostgREST` member counts; another proxy's is not PostgREST's code. An empty body says so.
    pub(crate) fn from_response(
        status: StatusCode,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Self {
        let mut e = Self::from_body(status, body);
        if e.code.is_none() {
            e.code = headers
                .get_all("proxy-status")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .find_map(postgrest_proxy_status_error);
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            e.message = "no response body".to_owned();
        }
        e
    }

    /// For `PGRST116` (a single object was asked for): how many rows there were, read from
    /// `details` ("The result contains 0 rows"; before PostgREST 12, "Results contain 0 rows,
    /// ..."), the first number in it.
    pub(crate) fn singular_row_count(&self) -> Option<u64> {
        if self.code.as_deref() != Some("PGRST116") {
            return None;
        }
        let details = self.details.as_deref()?;
        let start = details.find(|c: char| c.is_ascii_digit())?;
        let digits = &details[start..];
        let end = digits
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(digits.len());
        digits[..end].parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_without_postgrests_fields_keeps_its_text() {
        let e = PostgrestError::from_body(StatusCode::BAD_GATEWAY, br#"{"error":"upstream down"}"#);
        assert_eq!(e.message, r#"{"error":"upstream down"}"#);
        let e = PostgrestError::from_body(
            StatusCode::BAD_REQUEST,
            br#"{"code":"22P02","message":"invalid input","details":null,"hint":null}"#,
        );
        assert_eq!(
            (e.code.as_deref(), e.message.as_str()),
            (Some("22P02"), "invalid input")
        );
    }

    #[test]
    fn a_numeric_code_keeps_the_other_fields() {
        let e = PostgrestError::from_body(
            StatusCode::BAD_GATEWAY,
            br#"{"code":502,"message":"upstream down","hint":"retry"}"#,
        );
        assert_eq!(
            (e.code.as_deref(), e.message.as_str(), e.hint.as_deref()),
            (Some("502"), "upstream down", Some("retry"))
        );
    }

    #[test]
    fn the_row_count_of_a_singularity_error_in_either_wording() {
        let error = |details: &str| PostgrestError {
            status: StatusCode::NOT_ACCEPTABLE,
            code: Some("PGRST116".into()),
            message: String::new(),
            details: Some(details.into()),
            hint: None,
        };
        assert_eq!(
            error("The result contains 0 rows").singular_row_count(),
            Some(0)
        );
        assert_eq!(
            error("The result contains 10 rows").singular_row_count(),
            Some(10)
        );
        assert_eq!(
            error("Results contain 0 rows, application/vnd.pgrst.object+json requires 1 row")
                .singular_row_count(),
            Some(0)
        );
    }
}
