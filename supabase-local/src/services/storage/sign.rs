//! Signed URLs (storage-api `src/http/routes/object/getSignedURL.ts`, `getSignedURLs.ts`,
//! `getSignedObject.ts`, `getSignedUploadURL.ts`, `uploadSignedObject.ts`, and
//! `src/storage/object.ts` `signObjectUrl` / `signUploadObjectUrl` / `verifyObjectSignature`):
//! HS256 JWTs signed with the project's secret carrying `url` = `bucket/path`, a scope, and
//! `exp`. Upload tokens also carry the `owner` and `upsert` of whoever asked for them.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::db::as_caller;
use super::error::{ApiError, JsonBody};
use super::object::{self, find, write_from_headers};
use super::render::Transform;
use super::{ApiResult, State, valid_bucket_name, valid_key, write};
use crate::services::verify_jwt;

const SCOPE_DOWNLOAD: &str = "download";
const SCOPE_UPLOAD: &str = "upload";
/// storage-api's `UPLOAD_SIGNED_URL_EXPIRATION_TIME` default: two hours.
const UPLOAD_EXPIRY_SECS: u64 = 2 * 60 * 60;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn sign(state: &State, mut claims: Value, expires_in: u64) -> ApiResult<String> {
    let iat = now();
    claims["iat"] = iat.into();
    claims["exp"] = iat.saturating_add(expires_in).into();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(state.env.jwt_secret.as_bytes()),
    )
    .map_err(|e| ApiError::internal(format!("signing a URL: {e}")))
}

/// `verifyObjectSignature`: a valid, unexpired token of the right scope for exactly this
/// object.
fn verify(state: &State, token: &str, bucket: &str, name: &str, scope: &str) -> ApiResult<Value> {
    let claims = verify_jwt(token, &state.env.jwt_secret).map_err(ApiError::from_caller)?;
    if claims["scope"].as_str() != Some(scope) {
        return Err(ApiError::invalid_signature(format!(
            "Token is not scoped for {scope}"
        )));
    }
    if claims["url"].as_str() != Some(&format!("{bucket}/{name}")) {
        return Err(ApiError::invalid_signature("Invalid signature"));
    }
    Ok(claims)
}

/// `POST /object/sign/{bucket}/{path}` body.
#[derive(Debug, Deserialize)]
pub(crate) struct SignBody {
    #[serde(rename = "expiresIn")]
    expires_in: Value,
    #[serde(default)]
    transform: Option<TransformBody>,
}

/// `transform` of a signed URL request (`transformationOptionsSchema`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TransformBody {
    #[serde(default)]
    width: Option<Value>,
    #[serde(default)]
    height: Option<Value>,
    #[serde(default)]
    resize: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    quality: Option<Value>,
}

impl TransformBody {
    fn validate(&self) -> ApiResult<Transform> {
        let int = |name: &str, v: &Option<Value>| -> ApiResult<Option<u64>> {
            match v {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v.as_u64().map(Some).ok_or_else(|| {
                    ApiError::invalid_request(format!("body/transform/{name} must be integer"))
                }),
            }
        };
        Transform::from_parts(
            int("width", &self.width)?,
            int("height", &self.height)?,
            self.resize.as_deref(),
            self.format.as_deref(),
            int("quality", &self.quality)?,
            "body/transform",
        )
    }
}

/// An upload token (`create_signed_upload_url`) for exactly `bucket/name` (TUS `/sign`).
pub(crate) fn verify_upload(
    state: &State,
    token: &str,
    bucket: &str,
    name: &str,
) -> ApiResult<Value> {
    verify(state, token, bucket, name, SCOPE_UPLOAD)
}

/// A download token for exactly `bucket/name` (object and render routes).
pub(crate) fn verify_download(
    state: &State,
    token: &str,
    bucket: &str,
    name: &str,
) -> ApiResult<Value> {
    verify(state, token, bucket, name, SCOPE_DOWNLOAD)
}

fn expires_in(v: &Value) -> ApiResult<u64> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::invalid_request("body/expiresIn must be >= 1"))
}

pub(crate) async fn create(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    valid_key(&name)?;
    let expires = expires_in(&body.expires_in)?;
    find(&state, &caller, &bucket, &name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    let transform = body
        .transform
        .as_ref()
        .map(TransformBody::validate)
        .transpose()?;
    let url = format!("{bucket}/{name}");
    // `signObjectUrl`: a non-empty `transformations` claim (and `format`) makes it a render URL.
    let mut claims = json!({ "url": url, "scope": SCOPE_DOWNLOAD });
    let mut route = "object";
    if let Some(t) = &transform {
        let transformations = t.claim();
        if !transformations.is_empty() {
            claims["transformations"] = transformations.into();
            route = "render/image";
        }
        if let Some(f) = t.format.as_deref().filter(|f| !f.is_empty()) {
            claims["format"] = f.into();
        }
    }
    let token = sign(&state, claims, expires)?;
    Ok(Json(json!({ "signedURL": format!("/{route}/sign/{url}?token={token}") })).into_response())
}

/// `POST /object/sign/{bucket}` body.
#[derive(Debug, Deserialize)]
pub(crate) struct SignManyBody {
    #[serde(rename = "expiresIn")]
    expires_in: Value,
    paths: Vec<String>,
}

pub(crate) async fn create_many(
    AxState(state): AxState<State>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<SignManyBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    let expires = expires_in(&body.expires_in)?;
    // `getSignedURLs.ts`: `paths` has `minItems: 1`.
    if body.paths.is_empty() {
        return Err(ApiError::invalid_body(
            "body/paths must NOT have fewer than 1 items",
        ));
    }
    let visible: Vec<String> = as_caller!(state, &caller, |tx| {
        let rows = tx
            .query(
                "select name from storage.objects where bucket_id = $1 and name = any($2)",
                &[&bucket, &body.paths],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    })?;
    let mut out = Vec::with_capacity(body.paths.len());
    for path in &body.paths {
        if visible.contains(path) {
            let url = format!("{bucket}/{path}");
            let token = sign(
                &state,
                json!({ "url": url, "scope": SCOPE_DOWNLOAD }),
                expires,
            )?;
            out.push(json!({
                "error": null,
                "path": path,
                "signedURL": format!("/object/sign/{url}?token={token}"),
            }));
        } else {
            out.push(json!({
                "error": "Either the object does not exist or you do not have access to it",
                "path": path,
                "signedURL": null,
            }));
        }
    }
    Ok(Json(Value::Array(out)).into_response())
}

/// `?token=…&download=…`. No `Debug`: it holds the token.
#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    download: Option<String>,
}

pub(crate) async fn download(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let token = q
        .token
        .ok_or_else(|| ApiError::missing_parameter("token"))?;
    let claims = verify(&state, &token, &bucket, &name, SCOPE_DOWNLOAD)?;
    let found = find(&state, &state.superuser(), &bucket, &name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    let conditions = object::Conditions::of(&headers);
    let expires = claims["exp"].as_u64();
    let download = q.download.as_deref();
    object::serve(&state, &found, download, false, &conditions, expires).await
}

pub(crate) async fn create_upload(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    valid_key(&name)?;
    write::bucket_rules(&state, &bucket).await?;
    let upsert = headers.get("x-upsert").and_then(|v| v.to_str().ok()) == Some("true");
    write::can_upload(&state, &caller, &bucket, &name, upsert).await?;
    let owner = caller.user_id().map(str::to_owned);
    let url = format!("{bucket}/{name}");
    let token = sign(
        &state,
        json!({ "owner": owner, "url": url, "upsert": upsert, "scope": SCOPE_UPLOAD }),
        UPLOAD_EXPIRY_SECS,
    )?;
    Ok(Json(json!({
        "url": format!("/object/upload/sign/{url}?token={token}"),
        "token": token,
    }))
    .into_response())
}

pub(crate) async fn upload(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let token = q
        .token
        .ok_or_else(|| ApiError::missing_parameter("token"))?;
    let claims = verify(&state, &token, &bucket, &name, SCOPE_UPLOAD)?;
    let owner = claims["owner"].as_str().map(str::to_owned);
    let mut w = write_from_headers(&headers, bucket, name, owner)?;
    w.upsert = claims["upsert"].as_bool().unwrap_or(false);
    // storage-api writes signed uploads as the superuser, with the token's owner, and answers
    // `{Key}` alone (`uploadSignedObject.ts`).
    let key = format!("{}/{}", w.bucket, w.name);
    object::receive_and_store_id(&state, &state.superuser(), w, &headers, body).await?;
    Ok(Json(json!({ "Key": key })).into_response())
}
