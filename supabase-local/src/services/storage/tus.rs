//! TUS 1.0.0 resumable uploads at `/upload/resumable` (storage-api `src/http/routes/tus/`:
//! `index.ts`, `lifecycle.ts`): the upload id is `base64url(bucket/object/version)`, metadata
//! comes base64-encoded in `Upload-Metadata` (`bucketName`, `objectName`, `contentType`,
//! `cacheControl`, `metadata`), bytes are appended at `Upload-Offset`, and the object row is
//! written when the last byte arrives. A `PATCH` cut off midway keeps what arrived, as
//! tus-node-server's file store does, so the client resumes from `HEAD`'s offset. Errors are
//! answered with their real status and the message as text (`onResponseError`).
//!
//! The same endpoints under `/upload/resumable/sign` take no JWT: every request carries the
//! token of `create_signed_upload_url` in `x-signature`, checked against the upload's object
//! (`lifecycle.ts` `onIncomingRequest`); the token's `owner` and `upsert` apply and the row is
//! written as the superuser (`dbSuperUser`), as for a signed upload URL.

use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Digest as _;
use tokio::io::AsyncWriteExt;

use super::disk::{self, Received};
use super::error::ApiError;
use super::write::{self, GLOBAL_LIMIT, Write};
use super::{ApiResult, State, valid_bucket_name, valid_key};
use crate::services::Caller;

const TUS_VERSION: &str = "1.0.0";

/// What the server remembers about an upload (`<id>.json` next to `<id>.bin`).
#[derive(Debug, Serialize, Deserialize)]
struct Info {
    bucket: String,
    name: String,
    length: u64,
    content_type: String,
    cache_control: String,
    user_metadata: Option<Value>,
}

/// Who a request acts as: the JWT's caller, or a signed upload token (`/sign` routes).
#[derive(Debug)]
enum Access {
    Caller(Caller),
    Signed { owner: Option<String>, upsert: bool },
}

impl Access {
    /// The unsigned routes need a valid JWT; the signed ones an `x-signature` upload token
    /// for exactly `bucket/name`.
    fn of(
        state: &State,
        headers: &HeaderMap,
        signed: bool,
        bucket: &str,
        name: &str,
    ) -> ApiResult<Self> {
        if !signed {
            return Ok(Access::Caller(state.caller(headers)?));
        }
        let token = header(headers, "x-signature")
            .ok_or_else(|| ApiError::invalid_signature("Missing x-signature header"))?;
        let claims = super::sign::verify_upload(state, token, bucket, name)?;
        Ok(Access::Signed {
            owner: claims["owner"].as_str().map(str::to_owned),
            upsert: claims["upsert"].as_bool().unwrap_or(false),
        })
    }

    /// The role the object row is written as, and the owner recorded.
    fn writer(&self, state: &State) -> (Caller, Option<String>) {
        match self {
            Access::Caller(c) => (c.clone(), c.user_id().map(str::to_owned)),
            Access::Signed { owner, .. } => (state.superuser(), owner.clone()),
        }
    }
}

fn tus_error(e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = (status, e.message.clone()).into_response();
    resp.headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    resp
}

fn tus(status: u16, message: &str) -> ApiError {
    ApiError::new(status, "TusError", message)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn require_version(headers: &HeaderMap) -> ApiResult<()> {
    match header(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(tus(412, "Unsupported version")),
    }
}

/// `key base64,key base64,…`
fn parse_metadata(raw: &str) -> ApiResult<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| tus(400, "Upload-Metadata is invalid. It MUST consist of one or more comma-separated key-value pairs. The key and value MUST be separated by a space. The key MUST NOT contain spaces and commas and MUST NOT be empty. The key SHOULD be ASCII encoded and the value MUST be Base64 encoded. All keys MUST be unique"))?;
        out.insert(key.to_owned(), decoded);
    }
    Ok(out)
}

fn paths(state: &State, id: &str) -> ApiResult<(std::path::PathBuf, std::path::PathBuf)> {
    // Ids are base64url: nothing that could escape the directory.
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(tus(404, "The file for this url was not found"));
    }
    // Files are named by the id's hash: the id holds the bucket and key (up to 100 and 1024
    // bytes), longer than a file name may be.
    let stem = crate::services::hex(&sha2::Sha256::digest(id.as_bytes()));
    let dir = disk::tus_dir(&state.root);
    Ok((
        dir.join(format!("{stem}.bin")),
        dir.join(format!("{stem}.json")),
    ))
}

async fn read_info(state: &State, id: &str) -> ApiResult<(Info, std::path::PathBuf, u64)> {
    let (data, meta) = paths(state, id)?;
    let text = tokio::fs::read_to_string(&meta)
        .await
        .map_err(|_| tus(404, "The file for this url was not found"))?;
    let info: Info = serde_json::from_str(&text).map_err(|e| ApiError::internal(e.to_string()))?;
    let size = tokio::fs::metadata(&data)
        .await
        .map_err(|_| tus(404, "The file for this url was not found"))?
        .len();
    Ok((info, data, size))
}

pub(crate) async fn options() -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    h.insert(
        "tus-extension",
        HeaderValue::from_static("creation,creation-with-upload,termination"),
    );
    h.insert("tus-max-size", HeaderValue::from(GLOBAL_LIMIT));
    resp
}

pub(crate) async fn create(AxState(state): AxState<State>, headers: HeaderMap) -> Response {
    match create_inner(&state, &headers, false).await {
        Ok(resp) => resp,
        Err(e) => tus_error(&e),
    }
}

pub(crate) async fn create_signed(AxState(state): AxState<State>, headers: HeaderMap) -> Response {
    match create_inner(&state, &headers, true).await {
        Ok(resp) => resp,
        Err(e) => tus_error(&e),
    }
}

async fn create_inner(state: &State, headers: &HeaderMap, signed: bool) -> ApiResult<Response> {
    if !signed {
        state.caller(headers)?;
    }
    require_version(headers)?;
    let length: u64 = header(headers, "upload-length")
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| tus(400, "Upload-Length or Upload-Defer-Length header required"))?;
    let metadata = parse_metadata(header(headers, "upload-metadata").unwrap_or(""))?;
    let (Some(bucket), Some(name)) = (metadata.get("bucketName"), metadata.get("objectName"))
    else {
        return Err(ApiError::invalid_request("Metadata header is required"));
    };
    // `UploadId`'s constructor (`src/storage/protocols/tus/upload-id.ts`): the bucket's name,
    // then the key.
    valid_bucket_name(bucket)?;
    valid_key(name)?;
    let rules = write::bucket_rules(state, bucket).await?;
    // `onCreate` checks the type only when the upload names one; the object then reads back
    // as `application/octet-stream`.
    let content_type = match metadata.get("contentType").filter(|c| !c.is_empty()) {
        Some(given) => {
            rules.check_mime(name, given)?;
            given.clone()
        }
        None => "application/octet-stream".to_owned(),
    };
    if length > rules.limit_for(name) {
        return Err(ApiError::entity_too_large("object"));
    }
    let access = Access::of(state, headers, signed, bucket, name)?;
    // Whether the object may be replaced is asked again with each PATCH's own `x-upsert`
    // (`patch_inner`), and a signed upload's comes from its token each time.
    match &access {
        Access::Caller(caller) => {
            let upsert = header(headers, "x-upsert") == Some("true");
            write::can_upload(state, caller, bucket, name, upsert).await?;
        }
        // storage-api skips `canUpload` here (and `completeUpload` would then overwrite);
        // refusing an existing object up front keeps the token's "no upsert" meaningful.
        Access::Signed { upsert, .. } => {
            if !*upsert {
                write::can_upload(state, &state.superuser(), bucket, name, false).await?;
            }
        }
    }
    // `onCreate`: a numeric cacheControl becomes `max-age=<n>`, anything else `no-cache`.
    let cache_control = match metadata.get("cacheControl") {
        Some(c) if c.trim().parse::<i64>().is_ok() => format!("max-age={}", c.trim()),
        _ => "no-cache".to_owned(),
    };
    let user_metadata = metadata
        .get("metadata")
        .and_then(|m| serde_json::from_str::<Value>(m).ok());
    let conn = state.db().get().await?;
    let version: String = conn
        .query_one("select gen_random_uuid()::text", &[])
        .await
        .map_err(crate::services::DbError::from)?
        .get(0);
    drop(conn);
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{bucket}/{name}/{version}"));
    let dir = disk::tus_dir(&state.root);
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let (data, meta) = paths(state, &id)?;
    let info = Info {
        bucket: bucket.clone(),
        name: name.clone(),
        length,
        content_type,
        cache_control,
        user_metadata,
    };
    tokio::fs::write(&data, b"")
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    tokio::fs::write(
        &meta,
        serde_json::to_vec(&info).map_err(|e| ApiError::internal(e.to_string()))?,
    )
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let base = if signed {
        "upload/resumable/sign"
    } else {
        "upload/resumable"
    };
    let location = format!("{}/storage/v1/{base}/{id}", state.env.public_url);
    let mut resp = StatusCode::CREATED.into_response();
    let h = resp.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert(
        "location",
        HeaderValue::from_str(&location).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok(resp)
}

// `src/http/routes/tus/index.ts` registers the unsigned routes, HEAD included, inside the
// `jwt` plugin's scope: a HEAD needs a valid token too.
pub(crate) async fn head(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    // The plugin checks the token before the route looks for the upload.
    if let Err(e) = state.caller(&headers) {
        return tus_error(&e);
    }
    head_inner(&state, &id, &headers, false).await
}

pub(crate) async fn head_signed(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    head_inner(&state, &id, &headers, true).await
}

/// `signed`: a `/sign` request, whose `x-signature` must match the upload; else the caller's
/// JWT must be valid.
async fn head_inner(state: &State, id: &str, headers: &HeaderMap, signed: bool) -> Response {
    // The offset of an upload whose PATCH is still draining is not final yet: wait for it.
    let lock = upload_lock(state, id);
    let _guard = match lock {
        Ok(lock) => tokio::time::timeout(std::time::Duration::from_secs(5), lock.lock_owned())
            .await
            .ok(),
        Err(e) => return tus_error(&e),
    };
    let found = read_info(state, id).await.and_then(|(info, data, size)| {
        Access::of(state, headers, signed, &info.bucket, &info.name)?;
        Ok((info, data, size))
    });
    match found {
        Ok((info, _, size)) => {
            let mut resp = StatusCode::OK.into_response();
            let h = resp.headers_mut();
            h.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
            h.insert("upload-offset", HeaderValue::from(size));
            h.insert("upload-length", HeaderValue::from(info.length));
            h.insert("cache-control", HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => tus_error(&e),
    }
}

pub(crate) async fn patch(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match patch_inner(&state, &id, &headers, body, false).await {
        Ok(resp) => resp,
        Err(e) => tus_error(&e),
    }
}

pub(crate) async fn patch_signed(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match patch_inner(&state, &id, &headers, body, true).await {
        Ok(resp) => resp,
        Err(e) => tus_error(&e),
    }
}

/// The lock serialising PATCHes (and offset reads) of one upload.
fn upload_lock(state: &State, id: &str) -> ApiResult<std::sync::Arc<tokio::sync::Mutex<()>>> {
    let mut locks = state
        .tus_locks
        .lock()
        .map_err(|_| ApiError::internal("lock poisoned"))?;
    Ok(std::sync::Arc::clone(
        locks.entry(id.to_owned()).or_default(),
    ))
}

async fn patch_inner(
    state: &State,
    id: &str,
    headers: &HeaderMap,
    body: Body,
    signed: bool,
) -> ApiResult<Response> {
    if !signed {
        state.caller(headers)?;
    }
    require_version(headers)?;
    if header(headers, "content-type") != Some("application/offset+octet-stream") {
        return Err(tus(415, "Unsupported Media Type"));
    }
    let offset: u64 = header(headers, "upload-offset")
        .and_then(|o| o.trim().parse().ok())
        .ok_or_else(|| tus(403, "Upload-Offset header required"))?;
    let lock = upload_lock(state, id)?;
    // A PATCH whose client gave up may still be draining its body; wait for it (as tus-node-server
    // asks the holder to release) before answering 423, so a prompt resume is not refused.
    let _guard = tokio::time::timeout(std::time::Duration::from_secs(5), lock.lock())
        .await
        .map_err(|_| tus(423, "The resource is locked"))?;
    let (info, data, size) = read_info(state, id).await?;
    let access = Access::of(state, headers, signed, &info.bucket, &info.name)?;
    // `onIncomingRequest` (storage-api `src/http/routes/tus/lifecycle.ts`) asks `canUpload`
    // on every PATCH, before a byte is taken, with this request's `x-upsert`: a caller the
    // policies refuse gets 403 and the upload stays as it was. The last PATCH's `x-upsert` is
    // also the one the object is written with (`req.upload.isUpsert`); a signed upload's is
    // its token's.
    let upsert = match &access {
        Access::Caller(caller) => {
            let upsert = header(headers, "x-upsert") == Some("true");
            write::can_upload(state, caller, &info.bucket, &info.name, upsert).await?;
            upsert
        }
        Access::Signed { upsert, .. } => *upsert,
    };
    if offset != size {
        return Err(tus(409, "Offset conflict"));
    }
    let mut file = tokio::fs::OpenOptions::new()
        .append(true)
        .open(&data)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut written = size;
    let mut stream = body.into_data_stream();
    let mut cut_off = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => {
                if written + chunk.len() as u64 > info.length {
                    file.flush().await.ok();
                    return Err(tus(413, "Maximum size exceeded"));
                }
                file.write_all(&chunk)
                    .await
                    .map_err(|e| ApiError::internal(e.to_string()))?;
                written += chunk.len() as u64;
            }
            Err(e) => {
                cut_off = Some(e.to_string());
                break;
            }
        }
    }
    file.flush()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    drop(file);
    if let Some(why) = cut_off {
        // Keep what arrived: the client resumes from HEAD's offset.
        return Err(tus(400, &format!("request body cut off: {why}")));
    }
    if written == info.length {
        finish(state, &access, upsert, id, &info, &data).await?;
    }
    let mut resp = StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert("upload-offset", HeaderValue::from(written));
    if written == info.length {
        h.insert("tus-complete", HeaderValue::from_static("1"));
    }
    Ok(resp)
}

/// `onUploadFinish`: the object row, written as the caller of the last `PATCH`.
async fn finish(
    state: &State,
    access: &Access,
    upsert: bool,
    id: &str,
    info: &Info,
    data: &std::path::Path,
) -> ApiResult<()> {
    let (size, md5) = disk::digest(data).await?;
    let (writer, owner) = access.writer(state);
    let w = Write {
        bucket: info.bucket.clone(),
        name: info.name.clone(),
        content_type: info.content_type.clone(),
        cache_control: info.cache_control.clone(),
        upsert,
        user_metadata: info.user_metadata.clone(),
        owner,
    };
    let (_, meta) = paths(state, id)?;
    let received = Received {
        file: tempfile::TempPath::try_from_path(data)
            .map_err(|e| ApiError::internal(e.to_string()))?,
        size,
        md5,
    };
    let stored = write::store(state, &writer, &w, received).await;
    let _ = tokio::fs::remove_file(&meta).await;
    stored.map(|_| ())
}

pub(crate) async fn terminate(AxState(state): AxState<State>, Path(id): Path<String>) -> Response {
    terminate_inner(&state, &id).await
}

pub(crate) async fn terminate_signed(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match read_info(&state, &id).await {
        Ok((info, _, _)) => match Access::of(&state, &headers, true, &info.bucket, &info.name) {
            Ok(_) => terminate_inner(&state, &id).await,
            Err(e) => tus_error(&e),
        },
        Err(e) => tus_error(&e),
    }
}

async fn terminate_inner(state: &State, id: &str) -> Response {
    match paths(state, id) {
        Ok((data, meta)) => {
            if tokio::fs::remove_file(&meta).await.is_err() {
                return tus_error(&tus(404, "The file for this url was not found"));
            }
            let _ = tokio::fs::remove_file(&data).await;
            let mut resp = StatusCode::NO_CONTENT.into_response();
            resp.headers_mut()
                .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
            resp
        }
        Err(e) => tus_error(&e),
    }
}
