//! storage-api's error bodies: `{"statusCode": "404", "code": "NoSuchKey", "error":
//! "not_found", "message": "Object not found"}`, sent with HTTP 400 unless the status is 500
//! (`src/internal/errors/storage-error.ts` `render()`; `src/http/error-handler.ts` sends
//! `error: error.error || code`, the legacy name some errors keep). The constructors follow
//! `src/internal/errors/codes.ts`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::services::{CallerError, DbError};

/// An error storage-api would render.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    /// The legacy `error` of `codes.ts` (e.g. `not_found` for `NoSuchKey`); else the code.
    legacy: Option<&'static str>,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            legacy: None,
            message: message.into(),
        }
    }

    fn legacy(mut self, error: &'static str) -> Self {
        self.legacy = Some(error);
        self
    }

    pub(crate) fn no_such_bucket() -> Self {
        Self::new(404, "NoSuchBucket", "Bucket not found").legacy("Bucket not found")
    }

    pub(crate) fn no_such_key() -> Self {
        Self::new(404, "NoSuchKey", "Object not found").legacy("not_found")
    }

    /// `codes.ts` `InvalidRange`: a `Range` that selects none of the object's bytes.
    pub(crate) fn invalid_range() -> Self {
        Self::new(400, "InvalidRange", "invalid range provided").legacy("invalid_range")
    }

    pub(crate) fn invalid_jwt(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidJWT", message)
    }

    pub(crate) fn invalid_signature(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidSignature", message)
    }

    pub(crate) fn invalid_key(key: &str) -> Self {
        Self::new(400, "InvalidKey", format!("Invalid key: {key}"))
    }

    pub(crate) fn invalid_bucket_name() -> Self {
        Self::new(400, "InvalidBucketName", "Bucket name invalid").legacy("Invalid Input")
    }

    pub(crate) fn invalid_mime_type(mime: &str) -> Self {
        Self::new(
            415,
            "InvalidMimeType",
            format!("mime type {mime} is not supported"),
        )
        .legacy("invalid_mime_type")
    }

    /// `ERRORS.EntityTooLarge(e, entity)`: the object, or its `user_metadata`.
    pub(crate) fn entity_too_large(entity: &str) -> Self {
        Self::new(
            413,
            "EntityTooLarge",
            format!("The {entity} exceeded the maximum allowed size"),
        )
        .legacy("Payload too large")
    }

    pub(crate) fn key_already_exists() -> Self {
        Self::new(409, "KeyAlreadyExists", "The resource already exists").legacy("Duplicate")
    }

    /// Any other duplicate (`fromDBError`'s 23505), e.g. a move onto an existing name.
    pub(crate) fn resource_already_exists() -> Self {
        Self::new(409, "ResourceAlreadyExists", "The resource already exists").legacy("Duplicate")
    }

    /// `fromDBError`'s 23503: a row naming a bucket that does not exist (a move or copy into
    /// one; storage-api does not look the destination up first).
    pub(crate) fn related_resource_not_found() -> Self {
        Self::new(404, "InvalidRequest", "The related resource does not exist")
    }

    /// A failed insert of a new object, as `createObject` (`src/storage/database/knex.ts`)
    /// reports it: its duplicate is `KeyAlreadyExists`, not `ResourceAlreadyExists`.
    pub(crate) fn of_insert(self) -> Self {
        if self.code == "ResourceAlreadyExists" {
            Self::key_already_exists()
        } else {
            self
        }
    }

    pub(crate) fn bucket_already_exists() -> Self {
        Self::new(409, "BucketAlreadyExists", "The resource already exists").legacy("Duplicate")
    }

    pub(crate) fn bucket_not_empty() -> Self {
        Self::new(
            409,
            "ResourceNotEmpty",
            "The bucket you tried to delete is not empty",
        )
    }

    pub(crate) fn access_denied(message: impl Into<String>) -> Self {
        Self::new(403, "AccessDenied", message).legacy("Unauthorized")
    }

    /// A body its route's JSON schema refuses (Fastify's validation error, e.g. `minItems`).
    pub(crate) fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidRequest", message).legacy("Bad Request")
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidRequest", message)
    }

    pub(crate) fn missing_parameter(name: &str) -> Self {
        Self::new(
            400,
            "MissingParameter",
            format!("Missing Required Parameter {name}"),
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", message)
    }

    pub(crate) fn from_caller(e: CallerError) -> Self {
        match e {
            CallerError::Missing => Self::invalid_jwt("jwt must be provided"),
            CallerError::InvalidJwt(m) => Self::invalid_jwt(jwt_message(&m)),
        }
    }

    /// A database failure as storage-api reports it (`DBError.fromDBError`,
    /// src/storage/database/errors.ts): a permission failure is a 403, worded "new row
    /// violates row-level security policy" whenever RLS refused (else Postgres's message);
    /// a duplicate name a 409, a missing bucket a 404.
    pub(crate) fn from_db(e: DbError) -> Self {
        if e.is_permission_denied() {
            let message = if e.0.contains("row-level security") {
                "new row violates row-level security policy".to_owned()
            } else {
                e.0.trim_end_matches(" (42501)").to_owned()
            };
            return Self::access_denied(message);
        }
        if e.0.ends_with("(23505)") {
            return Self::resource_already_exists();
        }
        if e.0.ends_with("(23503)") {
            return Self::related_resource_not_found();
        }
        Self::internal(e.0)
    }

    /// The `{statusCode, code, error, message}` body.
    pub(crate) fn body(&self) -> serde_json::Value {
        serde_json::json!({
            "statusCode": self.status.to_string(),
            "code": self.code,
            "error": self.legacy.unwrap_or(self.code),
            "message": self.message,
        })
    }
}

/// jsonwebtoken's wording for the usual failures (what storage-api's `verifyJWT` reports).
fn jwt_message(detail: &str) -> String {
    let d = detail.to_ascii_lowercase();
    if d.contains("expired") {
        "jwt expired".into()
    } else if d.contains("signature") {
        "invalid signature".into()
    } else {
        "jwt malformed".into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let http = if self.status == 500 {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::BAD_REQUEST
        };
        let mut resp = (http, axum::Json(self.body())).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        resp
    }
}

/// A JSON request body, refused as storage-api refuses one: a body that is not JSON, or not
/// of the route's shape, is a 400 `InvalidRequest` in the error shape above (Fastify's parser
/// and its AJV validation, rendered by `error-handler.ts`), not axum's plain-text rejection.
/// A missing field is worded as AJV words it: `body must have required property 'prefix'`.
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(ApiError::from_json_rejection(&rejection)),
        }
    }
}

impl ApiError {
    fn from_json_rejection(rejection: &JsonRejection) -> Self {
        let text = rejection.body_text();
        if let JsonRejection::BytesRejection(_) = rejection {
            // The body could not be read (too large, cut off): its own status.
            return Self::new(rejection.status().as_u16(), "InvalidRequest", text);
        }
        // serde: "missing field `prefix` at line 1 column 2".
        let missing = text
            .split_once("missing field `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(field, _)| field);
        match missing {
            Some(field) => {
                Self::invalid_body(format!("body must have required property '{field}'"))
            }
            None => Self::invalid_body(text),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::from_db(e)
    }
}
