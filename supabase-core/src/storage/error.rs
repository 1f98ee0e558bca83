//! [`StorageError`]: an error answered by storage-api.

use http::StatusCode;

/// An error answered by Supabase Storage (storage-api).
///
/// storage-api renders its errors as `{"statusCode": "404", "code": "NoSuchKey", "error":
/// "not_found", "message": "Object not found"}` and usually sends them with HTTP **400** whatever
/// the real status is
/// (its `error-handler.ts` answers 400 for every rendered error except 500s); the real status is
/// the string in the body. Framework errors (a route that does not exist) carry it as a number
/// and as the HTTP status. Both forms decode here: [`status`](Self::status) is the body's
/// `statusCode` when there is one, [`http_status`](Self::http_status) what the response said.
///
/// The resumable (TUS) endpoint answers with real statuses and a plain-text message; those decode
/// with `error` set to `"TusError"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} ({}, status {status})", if code.is_empty() { error } else { code })]
pub struct StorageError {
    /// The status the error stands for (the body's `statusCode`, else the HTTP status).
    pub status: StatusCode,
    /// The HTTP status of the response.
    pub http_status: StatusCode,
    /// storage-api's error code (`src/internal/errors/codes.ts`), the one to match on:
    /// `NoSuchKey`, `NoSuchBucket`, `KeyAlreadyExists`, `InvalidJWT`, `EntityTooLarge`, …;
    /// empty when the body has none (a route that does not exist, a proxy's page).
    pub code: String,
    /// The body's `error`: the legacy name some errors keep (`not_found` for `NoSuchKey`,
    /// `Duplicate`, `Bucket not found`, `Payload too large`), else the code; for framework
    /// errors their name (`Not Found`).
    pub error: String,
    /// Human-readable message.
    pub message: String,
}

#[derive(serde::Deserialize)]
struct Body {
    #[serde(default, rename = "statusCode")]
    status_code: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "crate::error::text_or_json")]
    code: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl StorageError {
    /// Decodes a non-success response body. A body that is not storage-api's JSON (a proxy's
    /// HTML page, TUS's text) keeps its text as the message.
    pub(crate) fn from_body(http_status: StatusCode, body: &[u8]) -> Self {
        let parsed = serde_json::from_slice::<Body>(body).ok();
        match parsed {
            Some(b) if b.message.is_some() || b.error.is_some() || b.status_code.is_some() => {
                let status = b
                    .status_code
                    .as_ref()
                    .and_then(|v| match v {
                        serde_json::Value::String(s) => s.trim().parse::<u16>().ok(),
                        serde_json::Value::Number(n) => {
                            n.as_u64().and_then(|n| u16::try_from(n).ok())
                        }
                        _ => None,
                    })
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(http_status);
                StorageError {
                    status,
                    http_status,
                    error: b.error.or_else(|| b.code.clone()).unwrap_or_default(),
                    code: b.code.unwrap_or_default(),
                    message: b.message.unwrap_or_default(),
                }
            }
            _ => StorageError {
                status: http_status,
                http_status,
                code: String::new(),
                error: String::new(),
                message: String::from_utf8_lossy(&body[..body.len().min(512)])
                    .trim()
                    .to_owned(),
            },
        }
    }

    /// A TUS endpoint's error: real status, plain-text body.
    pub(crate) fn from_tus(http_status: StatusCode, body: &[u8]) -> Self {
        let mut e = StorageError::from_body(http_status, body);
        if e.code.is_empty() {
            e.code = "TusError".to_owned();
        }
        if e.error.is_empty() {
            e.error = "TusError".to_owned();
        }
        e
    }

    /// Whether the error means "no such object or bucket" (or no access to it: storage-api does
    /// not tell them apart).
    pub fn is_not_found(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_as_a_string_in_a_400() {
        let e = StorageError::from_body(
            StatusCode::BAD_REQUEST,
            br#"{"statusCode":"404","code":"NoSuchKey","error":"not_found","message":"Object not found"}"#,
        );
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(e.http_status, StatusCode::BAD_REQUEST);
        assert_eq!(e.error, "not_found");
        assert_eq!(e.code, "NoSuchKey");
        assert_eq!(e.message, "Object not found");
        assert_eq!(
            e.to_string(),
            "Object not found (NoSuchKey, status 404 Not Found)"
        );
        assert!(e.is_not_found());
    }

    #[test]
    fn status_as_a_number_and_code_without_error() {
        let e = StorageError::from_body(
            StatusCode::NOT_FOUND,
            br#"{"statusCode":404,"code":"Missing","message":"Route GET:/x not found"}"#,
        );
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(e.error, "Missing");
    }

    #[test]
    fn a_numeric_code_keeps_the_message() {
        let e = StorageError::from_body(
            StatusCode::BAD_GATEWAY,
            br#"{"code":502,"message":"upstream down"}"#,
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("502", "upstream down")
        );
    }

    #[test]
    fn non_json_and_garbage_status() {
        let e = StorageError::from_body(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert_eq!(e.status, StatusCode::BAD_GATEWAY);
        assert_eq!(e.message, "<html>bad gateway</html>");
        let e = StorageError::from_body(
            StatusCode::BAD_REQUEST,
            br#"{"statusCode":"abc","error":"x","message":"m"}"#,
        );
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e = StorageError::from_tus(StatusCode::CONFLICT, b"Upload-Offset conflict");
        assert_eq!(
            (e.code.as_str(), e.error.as_str()),
            ("TusError", "TusError")
        );
        assert_eq!(e.message, "Upload-Offset conflict");
    }
}
