//! GoTrue's error bodies (supabase/auth `internal/api/errors.go`, `apierrors/apierrors.go`,
//! `apierrors/errorcode.go`).
//!
//! Every handler error renders in GoTrue's initial shape, `{"code":<status>,"error_code":..,"msg":..}`,
//! and keeps itself in the response's extensions; [`api_version`] then re-renders it as
//! `{"code":<error_code>,"message":..}` and echoes `X-Supabase-Api-Version` when the request asked
//! for version 2024-01-01 or later, as `HandleResponseError` does.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::services::DbError;

/// The request/response header naming the API version.
pub(crate) const API_VERSION_HEADER: &str = "x-supabase-api-version";
const API_VERSION_2024_01_01: &str = "2024-01-01";
/// `x-sb-error-code`: the error's code, in either error shape.
const ERROR_CODE_HEADER: &str = "x-sb-error-code";

/// A GoTrue error response.
#[derive(Debug, Clone)]
pub(crate) enum ApiError {
    /// `HTTPError`: a status, an error code, a message.
    Http {
        status: StatusCode,
        code: &'static str,
        msg: String,
    },
    /// `WeakPasswordError`: 422 `weak_password` with the reasons.
    WeakPassword { msg: String, reasons: Vec<String> },
    /// `OAuthError` (`{"error":..,"error_description":..}`, always 400).
    OAuth { error: String, description: String },
    /// `storage.NewCommitWithError`: the error is answered, but the transaction's writes are kept.
    Commit(Box<ApiError>),
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, msg: impl Into<String>) -> Self {
        ApiError::Http {
            status,
            code,
            msg: msg.into(),
        }
    }
    pub(crate) fn bad_request(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, msg)
    }
    pub(crate) fn unprocessable(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
    }
    pub(crate) fn forbidden(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, msg)
    }
    pub(crate) fn not_found(code: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, msg)
    }
    pub(crate) fn validation(msg: impl Into<String>) -> Self {
        Self::bad_request("validation_failed", msg)
    }
    pub(crate) fn internal(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "unexpected_failure", msg)
    }
    pub(crate) fn oauth(error: &'static str, description: impl Into<String>) -> Self {
        ApiError::OAuth {
            error: error.to_owned(),
            description: description.into(),
        }
    }
    /// Keeps the transaction's writes even though the request fails.
    pub(crate) fn commit(self) -> Self {
        ApiError::Commit(Box::new(self))
    }

    /// `Token has expired or is invalid` (403 `otp_expired`), for every OTP mismatch.
    pub(crate) fn otp_expired() -> Self {
        Self::forbidden("otp_expired", "Token has expired or is invalid")
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::Http { status, .. } => *status,
            ApiError::WeakPassword { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::OAuth { .. } => StatusCode::BAD_REQUEST,
            ApiError::Commit(e) => e.status(),
        }
    }

    /// What the body says (`msg` / `message` / `error_description`).
    pub(crate) fn message(&self) -> String {
        match self {
            ApiError::Http { msg, .. } | ApiError::WeakPassword { msg, .. } => msg.clone(),
            ApiError::OAuth { description, .. } => description.clone(),
            ApiError::Commit(e) => e.message(),
        }
    }

    pub(crate) fn error_code(&self) -> &'static str {
        match self {
            ApiError::Http { code, .. } => code,
            ApiError::WeakPassword { .. } => "weak_password",
            ApiError::OAuth { .. } => "",
            ApiError::Commit(e) => e.error_code(),
        }
    }

    fn body(&self, v2024: bool) -> Value {
        match self {
            ApiError::Http { code, msg, .. } if v2024 => json!({"code": code, "message": msg}),
            ApiError::Http { status, code, msg } => {
                json!({"code": status.as_u16(), "error_code": code, "msg": msg})
            }
            ApiError::WeakPassword { msg, reasons } if v2024 => json!({
                "code": "weak_password", "message": msg, "weak_password": {"reasons": reasons}
            }),
            ApiError::WeakPassword { msg, reasons } => json!({
                "code": 422, "error_code": "weak_password", "msg": msg,
                "weak_password": {"reasons": reasons}
            }),
            ApiError::OAuth { error, description } => {
                json!({"error": error, "error_description": description})
            }
            ApiError::Commit(e) => e.body(v2024),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        tracing::error!("auth: database error: {e}");
        ApiError::internal("Database error querying schema")
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Commit(e) = self {
            return e.into_response();
        }
        let mut resp = (self.status(), axum::Json(self.body(false))).into_response();
        // `HandleResponseError` names an `HTTPError`'s code in a header too (not an OAuth one's).
        if !self.error_code().is_empty() {
            resp.headers_mut().insert(
                ERROR_CODE_HEADER,
                HeaderValue::from_static(self.error_code()),
            );
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

/// `DetermineClosestAPIVersion` (supabase/auth `internal/api/apiversions.go`): a date of the form
/// `YYYY-MM-DD`; 2024-01-01 or later selects the 2024-01-01 error shape. Anything else (absent,
/// malformed, earlier) is the initial version.
fn wants_2024(value: Option<&HeaderValue>) -> bool {
    let Some(v) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let b = v.as_bytes();
    let well_formed = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    well_formed && v >= API_VERSION_2024_01_01
}

/// Re-renders errors for clients that sent `X-Supabase-Api-Version: 2024-01-01` (or later).
pub(crate) async fn api_version(req: Request, next: Next) -> Response {
    let v2024 = wants_2024(req.headers().get(API_VERSION_HEADER));
    let mut resp = next.run(req).await;
    if !v2024 {
        return resp;
    }
    let Some(err) = resp.extensions_mut().remove::<ApiError>() else {
        return resp;
    };
    let mut out = (err.status(), axum::Json(err.body(true))).into_response();
    // `HandleResponseError` echoes the version before it looks at the error's kind.
    out.headers_mut().insert(
        API_VERSION_HEADER,
        HeaderValue::from_static(API_VERSION_2024_01_01),
    );
    if let Some(code) = resp.headers().get(ERROR_CODE_HEADER) {
        out.headers_mut().insert(ERROR_CODE_HEADER, code.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_dates() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert!(wants_2024(Some(&h("2024-01-01"))));
        assert!(wants_2024(Some(&h("2025-06-30"))));
        assert!(!wants_2024(Some(&h("2023-12-31"))));
        assert!(!wants_2024(Some(&h("2024-1-01"))));
        assert!(!wants_2024(Some(&h("latest"))));
        assert!(!wants_2024(None));
    }

    #[test]
    fn initial_and_2024_shapes() {
        let e = ApiError::bad_request("invalid_credentials", "Invalid login credentials");
        assert_eq!(
            e.body(false),
            json!({"code": 400, "error_code": "invalid_credentials", "msg": "Invalid login credentials"})
        );
        assert_eq!(
            e.body(true),
            json!({"code": "invalid_credentials", "message": "Invalid login credentials"})
        );
    }
}
