//! Object routes (storage-api `src/http/routes/object/`): createObject, updateObject,
//! getObject (authenticated and public), getObjectInfo, listObjects, moveObject, copyObject,
//! deleteObject(s). Object rows are read and written under the caller's role, so RLS on
//! `storage.objects` applies; public routes read as the superuser once the bucket is public.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::db::as_caller;
use super::error::{ApiError, JsonBody};
use super::write::{self, Write};
use super::{ApiResult, State, disk, valid_bucket_name, valid_key};
use crate::services::{Caller, DbError};

/// A stored object's row, as the download and info routes need it.
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) metadata: Value,
    pub(crate) user_metadata: Option<Value>,
    /// As storage-api writes it ([`JS_ISO`](super::JS_ISO)).
    pub(crate) created_at: String,
    /// As storage-api writes it ([`JS_ISO`](super::JS_ISO)).
    pub(crate) updated_at: String,
}

/// Finds `bucket/name` as `who` (RLS applies). `None`: missing or not visible.
pub(crate) async fn find(
    state: &State,
    who: &Caller,
    bucket: &str,
    name: &str,
) -> ApiResult<Option<Found>> {
    let row: Option<String> = as_caller!(state, who, |tx| {
        let row = tx
            .query_opt(
                "select json_build_object('id', id, 'version', version, 'metadata', metadata, \
                       'user_metadata', user_metadata, \
                       'created_at', to_char(created_at at time zone 'utc', $3), \
                       'updated_at', to_char(updated_at at time zone 'utc', $3))::text \
                     from storage.objects where bucket_id = $1 and name = $2",
                &[&bucket, &name, &super::JS_ISO],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    })?;
    let Some(text) = row else { return Ok(None) };
    let v: Value = serde_json::from_str(&text).map_err(|e| ApiError::internal(e.to_string()))?;
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Ok(Some(Found {
        id: s("id"),
        version: s("version"),
        metadata: v["metadata"].clone(),
        user_metadata: Some(v["user_metadata"].clone()).filter(|m| !m.is_null()),
        created_at: s("created_at"),
        updated_at: s("updated_at"),
    }))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The write described by an upload request's headers (`content-type`, `cache-control`,
/// `x-upsert`, `x-metadata`: storage-api `src/storage/uploader.ts` `fileUploadFromRequest`).
pub(crate) fn write_from_headers(
    headers: &HeaderMap,
    bucket: String,
    name: String,
    owner: Option<String>,
) -> ApiResult<Write> {
    let content_type = header_str(headers, "content-type")
        .unwrap_or("application/octet-stream")
        .to_owned();
    if is_multipart(headers) {
        // The form's fields say it all (`receive_form`).
        return Ok(Write {
            bucket,
            name,
            content_type,
            cache_control: "no-cache".to_owned(),
            upsert: header_str(headers, "x-upsert") == Some("true"),
            user_metadata: None,
            owner,
        });
    }
    let cache_control = header_str(headers, "cache-control")
        .unwrap_or("no-cache")
        .to_owned();
    let upsert = header_str(headers, "x-upsert") == Some("true");
    // `parseUserMetadata`: base64 of JSON; anything else is no metadata, not an error.
    let user_metadata = header_str(headers, "x-metadata")
        .and_then(|b64| serde_json::from_slice::<Value>(&node_base64(b64)).ok());
    Ok(Write {
        bucket,
        name,
        content_type,
        cache_control,
        upsert,
        user_metadata,
        owner,
    })
}

/// What Node's `Buffer.from(text, "base64")` makes of `text`, as `parseUserMetadata` reads it:
/// either alphabet (`-` and `_` are `+` and `/`), padding optional, the first `=` ends it,
/// any other character is skipped, and a last lone character (six bits) is dropped.
pub(crate) fn node_base64(text: &str) -> Vec<u8> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let mut sextets: Vec<u8> = text
        .bytes()
        .take_while(|&b| b != b'=')
        .filter_map(|b| match b {
            b'-' => Some(b'+'),
            b'_' => Some(b'/'),
            b if b.is_ascii_alphanumeric() || b == b'+' || b == b'/' => Some(b),
            _ => None,
        })
        .collect();
    if sextets.len() % 4 == 1 {
        sextets.pop();
    }
    LENIENT.decode(sextets).unwrap_or_default()
}

fn is_multipart(headers: &HeaderMap) -> bool {
    header_str(headers, "content-type").is_some_and(|ct| {
        ct.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    })
}

/// Receives the body (raw bytes, or a `multipart/form-data` form) and stores it as `who`.
/// Receives and stores an upload; answers `{Id, Key}` as `uploadObject.ts` /
/// `updateObject.ts` do.
pub(crate) async fn receive_and_store(
    state: &State,
    who: &Caller,
    w: Write,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let key = format!("{}/{}", w.bucket, w.name);
    let id = receive_and_store_id(state, who, w, headers, body).await?;
    Ok(Json(json!({ "Id": id, "Key": key })).into_response())
}

/// Receives and stores an upload; the object's id.
pub(crate) async fn receive_and_store_id(
    state: &State,
    who: &Caller,
    mut w: Write,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<String> {
    let received = if is_multipart(headers) {
        receive_form(state, &mut w, headers, body).await?
    } else {
        let length = header_str(headers, "content-length").and_then(|l| l.parse().ok());
        let limit = match write::precheck(state, &w, length).await {
            Ok(limit) => limit,
            Err(e) => {
                disk::drain(body.into_data_stream());
                return Err(e);
            }
        };
        disk::receive(&state.root, body, Some(limit)).await?
    };
    write::store(state, who, &w, received).await
}

/// A `multipart/form-data` upload, read as storage-api's `fileUploadFromRequest` reads it with
/// `@fastify/multipart`'s `request.file()`: the fields sent before the first file part
/// (`cacheControl` → `max-age=<n>`, else `no-cache`; `metadata` or `userMetadata` as JSON;
/// `contentType`, else the file part's own type), then the file part's bytes. No file part is
/// `400 InvalidRequest` "No content provided".
async fn receive_form(
    state: &State,
    w: &mut Write,
    headers: &HeaderMap,
    body: Body,
) -> ApiResult<disk::Received> {
    let no_content = |detail: Option<String>| {
        ApiError::invalid_request(detail.unwrap_or_else(|| "No content provided".to_owned()))
    };
    let boundary = header_str(headers, "content-type")
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| no_content(Some("Boundary not found".to_owned())))?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let mut fields: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| no_content(Some(e.to_string())))?
            .ok_or_else(|| no_content(None))?;
        let part_type = part_type(&field);
        // busboy's rule for what is a file.
        if field.file_name().is_none() && part_type != "application/octet-stream" {
            let name = field.name().unwrap_or_default().to_owned();
            let value = field_value(field)
                .await
                .map_err(|e| no_content(Some(e.to_string())))?;
            fields.entry(name).or_insert(value);
            continue;
        }
        w.content_type = fields
            .get("contentType")
            .filter(|c| !c.is_empty())
            .cloned()
            .unwrap_or(part_type);
        w.cache_control = match fields.get("cacheControl").filter(|c| !c.is_empty()) {
            Some(c) => format!("max-age={c}"),
            None => "no-cache".to_owned(),
        };
        w.user_metadata = match fields
            .get("metadata")
            .or_else(|| fields.get("userMetadata"))
        {
            Some(m) if m.len() > MAX_USER_METADATA => {
                return Err(ApiError::entity_too_large("user_metadata"));
            }
            // Metadata that is not JSON is no metadata, not an error.
            Some(m) => serde_json::from_str::<Value>(m).ok(),
            None => None,
        };
        // The form's length includes the other parts, so only the file part's bytes count.
        let limit = write::precheck(state, w, None).await?;
        return disk::receive_stream(&state.root, field, Some(limit)).await;
    }
}

/// storage-api's `MAX_CUSTOM_METADATA_SIZE`, checked on a form's `metadata` field.
const MAX_USER_METADATA: usize = 1024 * 1024;

/// busboy's `fieldSize` default, which storage-api keeps: a longer field value is cut to this
/// many bytes, and storage-api never looks at `valueTruncated`. (So a `metadata` field over
/// `MAX_USER_METADATA` arrives cut, usually no longer JSON, and is dropped.)
const FIELD_SIZE: usize = 1024 * 1024;

/// A form field's value as busboy hands it over: its first `FIELD_SIZE` bytes, decoded as
/// UTF-8 with a replacement for a character cut in two. The rest is read and dropped.
async fn field_value(mut field: multer::Field<'_>) -> Result<String, multer::Error> {
    let mut value = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        let room = FIELD_SIZE - value.len();
        value.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(String::from_utf8_lossy(&value).into_owned())
}

/// A file part's type as busboy reads it: the header's text before any parameters, lower-cased
/// (`Text/Plain; charset=utf-8` is `text/plain`); `text/plain` when the part has none.
fn part_type(field: &multer::Field<'_>) -> String {
    field
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| {
            let text = String::from_utf8_lossy(v.as_bytes());
            let essence = text.split(';').next().unwrap_or_default();
            essence
                .chars()
                .filter(|c| !matches!(c, ' ' | '\t'))
                .collect::<String>()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| "text/plain".to_owned())
}

pub(crate) async fn upload(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    let owner = caller.user_id().map(str::to_owned);
    let w = write_from_headers(&headers, bucket, name, owner)?;
    receive_and_store(&state, &caller, w, &headers, body).await
}

pub(crate) async fn update(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    let owner = caller.user_id().map(str::to_owned);
    // `updateObject.ts` uploads with `isUpsert: true` whatever `x-upsert` says: a missing
    // object is created, an existing one replaced (an INSERT, UPDATE and SELECT policy).
    let mut w = write_from_headers(&headers, bucket, name, owner)?;
    w.upsert = true;
    receive_and_store(&state, &caller, w, &headers, body).await
}

/// `?download` / `?download=<name>`.
#[derive(Debug, Deserialize)]
pub(crate) struct DownloadQuery {
    #[serde(default)]
    download: Option<String>,
}

/// What a download asks beyond the object (`renderer.ts` passes them to the backend): a byte
/// range, or the version the client already holds.
#[derive(Debug)]
pub(crate) struct Conditions {
    range: Option<String>,
    if_none_match: Option<String>,
    if_modified_since: Option<String>,
}

impl Conditions {
    pub(crate) fn of(headers: &HeaderMap) -> Self {
        let get = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Conditions {
            range: get(header::RANGE),
            if_none_match: get(header::IF_NONE_MATCH),
            if_modified_since: get(header::IF_MODIFIED_SINCE),
        }
    }
}

/// `Range: bytes=a-b`, `bytes=a-` or `bytes=-n` over `len` bytes: the inclusive span, or
/// `Err` when it asks for none of them (`InvalidRange`). Anything else (another
/// unit, several ranges) is ignored, as HTTP allows: the whole object is served.
fn byte_range(range: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = range.trim().strip_prefix("bytes=")?;
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let span = match (first.parse::<u64>().ok(), last.parse::<u64>().ok()) {
        (Some(a), Some(b)) if a <= b => (a, b.min(len.saturating_sub(1))),
        (Some(a), None) if last.is_empty() => (a, len.saturating_sub(1)),
        (None, Some(n)) if first.is_empty() && n > 0 => {
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        _ => return None,
    };
    Some(if span.0 < len { Ok(span) } else { Err(()) })
}

/// The stored `lastModified` (ISO 8601) as an HTTP date (`renderer.ts` sends
/// `lastModified.toUTCString()`).
fn last_modified(metadata: &Value) -> Option<std::time::SystemTime> {
    let text = metadata["lastModified"].as_str()?;
    let at =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(at.into())
}

/// Streams a found object's bytes with its stored headers (supabase/storage
/// `src/storage/renderer/renderer.ts`; ranges and conditional requests as
/// `src/storage/backend/file.ts` `getObject`: 206 with `Content-Range`, 304 when the client's
/// ETag matches or nothing changed since its date).
pub(crate) async fn serve(
    state: &State,
    found: &Found,
    download: Option<&str>,
    head: bool,
    conditions: &Conditions,
    expires: Option<u64>,
) -> ApiResult<Response> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let path = disk::object_path(&state.root, &found.version);
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::internal(format!("object bytes missing: {e}")))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .len();
    let md = &found.metadata;
    let modified = last_modified(md);
    let etag = md["eTag"].as_str();
    let unchanged = match (&conditions.if_none_match, &conditions.if_modified_since) {
        (Some(tag), _) => etag == Some(tag.as_str()),
        (None, Some(since)) => httpdate::parse_http_date(since)
            .ok()
            .zip(modified)
            .is_some_and(|(since, at)| at <= since),
        (None, None) => false,
    };
    // A current copy is answered before its range is looked at.
    let range = match conditions.range.as_deref().filter(|_| !unchanged) {
        Some(range) => match byte_range(range, size) {
            Some(Err(())) => return Err(ApiError::invalid_range()),
            Some(Ok(span)) => Some(span),
            None => None,
        },
        None => None,
    };
    let len = range.map_or(size, |(a, b)| b - a + 1);
    let body = if head || unchanged {
        Body::empty()
    } else if let Some((first, _)) = range {
        file.seek(std::io::SeekFrom::Start(first))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
            file.take(len),
            64 * 1024,
        ))
    } else {
        Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024))
    };
    let mut resp = Response::new(body);
    if unchanged {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
    } else if range.is_some() {
        *resp.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    let h = resp.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    // `renderer.ts` `normalizeContentType`: HTML is never served as HTML.
    let mime = md["mimetype"]
        .as_str()
        .unwrap_or("application/octet-stream");
    set(
        h,
        header::CONTENT_TYPE,
        if mime.contains("text/html") {
            "text/plain"
        } else {
            mime
        },
    );
    if !unchanged {
        set(h, header::CONTENT_LENGTH, &len.to_string());
    }
    if let Some((first, last)) = range {
        set(
            h,
            header::CONTENT_RANGE,
            &format!("bytes {first}-{last}/{size}"),
        );
    }
    set(h, header::ACCEPT_RANGES, "bytes");
    caching(h, md, expires);
    if let Some(etag) = etag {
        set(h, header::ETAG, etag);
    }
    if let Some(at) = modified {
        set(h, header::LAST_MODIFIED, &httpdate::fmt_http_date(at));
    }
    content_disposition(h, download);
    Ok(resp)
}

/// `renderer.ts`: an answer to a signed URL expires with its token (`Expires`, its `exp` as
/// `toUTCString()`); any other carries the object's own `Cache-Control`.
pub(crate) fn caching(h: &mut HeaderMap, metadata: &Value, expires: Option<u64>) {
    let (name, value) = match expires {
        Some(exp) => (
            header::EXPIRES,
            httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(exp)),
        ),
        None => (
            header::CACHE_CONTROL,
            metadata["cacheControl"]
                .as_str()
                .unwrap_or("no-cache")
                .to_owned(),
        ),
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(name, v);
    }
}

/// `renderer.ts` `handleDownload`: `?download` alone is a bare `attachment;`, a name is
/// given in both forms (`encodeURIComponent`).
pub(crate) fn content_disposition(h: &mut HeaderMap, download: Option<&str>) {
    let value = match download {
        None => return,
        Some("") => "attachment;".to_owned(),
        Some(name) => {
            let encoded = encode_uri_component(name);
            format!("attachment; filename={encoded}; filename*=UTF-8''{encoded};")
        }
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
}

/// JavaScript's `encodeURIComponent`: all but `A-Z a-z 0-9 - _ . ! ~ * ' ( )` escaped.
fn encode_uri_component(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Who reads an object on the routes that take a token (`getObject.ts`, `getObjectInfo.ts`):
/// the bucket is looked up as the superuser; a public bucket's objects are read as the
/// superuser (RLS does not apply), a private one's as the caller. The older routes
/// (`allowInvalidJwt`) also serve a request without a valid token, from a public bucket only;
/// on a private one it is `NoSuchBucket`, as a missing bucket is (the newest `getObject.ts`:
/// "The bucket must be public to access its content").
async fn reader(
    state: &State,
    headers: &HeaderMap,
    bucket: &str,
    allow_invalid_jwt: bool,
) -> ApiResult<Caller> {
    let caller = match state.caller(headers) {
        Ok(caller) => Some(caller),
        Err(_) if allow_invalid_jwt => None,
        Err(e) => return Err(e),
    };
    let public = match write::bucket_rules(state, bucket).await {
        Ok(rules) => Some(rules.public),
        Err(e) if e.code == "NoSuchBucket" => None,
        Err(e) => return Err(e),
    };
    match (caller, public) {
        (_, Some(true)) => Ok(state.superuser()),
        (None, _) | (Some(_), None) => Err(ApiError::no_such_bucket()),
        (Some(caller), Some(false)) => Ok(caller),
    }
}

async fn get_authenticated(
    state: &State,
    headers: &HeaderMap,
    (bucket, name): (&str, &str),
    allow_invalid_jwt: bool,
    download: Option<&str>,
    head: bool,
) -> ApiResult<Response> {
    let reader = reader(state, headers, bucket, allow_invalid_jwt).await?;
    valid_key(name)?;
    let found = find(state, &reader, bucket, name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    serve(
        state,
        &found,
        download,
        head,
        &Conditions::of(headers),
        None,
    )
    .await
}

/// An object of a public bucket, read without a token.
async fn find_public(state: &State, (bucket, name): (&str, &str)) -> ApiResult<Found> {
    valid_key(name)?;
    let rules = write::bucket_rules(state, bucket).await?;
    if !rules.public {
        return Err(ApiError::no_such_bucket());
    }
    find(state, &state.superuser(), bucket, name)
        .await?
        .ok_or_else(ApiError::no_such_key)
}

async fn get_public(
    state: &State,
    headers: &HeaderMap,
    object: (&str, &str),
    download: Option<&str>,
    head: bool,
) -> ApiResult<Response> {
    let found = find_public(state, object).await?;
    serve(
        state,
        &found,
        download,
        head,
        &Conditions::of(headers),
        None,
    )
    .await
}

/// `GET /object/authenticated/{bucket}/{path}`: a valid token is required.
pub(crate) async fn download(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let object = (bucket.as_str(), name.as_str());
    get_authenticated(
        &state,
        &headers,
        object,
        false,
        q.download.as_deref(),
        false,
    )
    .await
}

/// `GET /object/{bucket}/{path}` (the older route, `allowInvalidJwt`).
pub(crate) async fn download_any_token(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let object = (bucket.as_str(), name.as_str());
    get_authenticated(&state, &headers, object, true, q.download.as_deref(), false).await
}

/// `HEAD /object/authenticated/{bucket}/{path}`: a valid token is required.
pub(crate) async fn head(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let object = (bucket.as_str(), name.as_str());
    get_authenticated(&state, &headers, object, false, None, true).await
}

/// `HEAD /object/{bucket}/{path}` (`allowInvalidJwt`).
pub(crate) async fn head_any_token(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let object = (bucket.as_str(), name.as_str());
    get_authenticated(&state, &headers, object, true, None, true).await
}

pub(crate) async fn download_public(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let object = (bucket.as_str(), name.as_str());
    get_public(&state, &headers, object, q.download.as_deref(), false).await
}

pub(crate) async fn head_public(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    get_public(&state, &headers, (&bucket, &name), None, true).await
}

/// `GET /object/info/authenticated/{bucket}/{path}`: a valid token is required.
pub(crate) async fn info(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    info_of(&state, &headers, (&bucket, &name), false).await
}

/// `GET /object/info/{bucket}/{path}` (`allowInvalidJwt`).
pub(crate) async fn info_any_token(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    info_of(&state, &headers, (&bucket, &name), true).await
}

/// The info renderer's body (`src/storage/renderer/info.ts`).
async fn info_of(
    state: &State,
    headers: &HeaderMap,
    (bucket, name): (&str, &str),
    allow_invalid_jwt: bool,
) -> ApiResult<Response> {
    let reader = reader(state, headers, bucket, allow_invalid_jwt).await?;
    valid_key(name)?;
    let f = find(state, &reader, bucket, name)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    Ok(info_body(&f, (bucket, name)))
}

/// `GET /object/info/public/{bucket}/{path}`: no token needed on a public bucket
/// (`getObjectInfo.ts` `publicRoutes`).
pub(crate) async fn info_public(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let f = find_public(&state, (&bucket, &name)).await?;
    Ok(info_body(&f, (&bucket, &name)))
}

/// `InfoRenderer`'s body (`src/storage/renderer/info.ts`): `last_modified` is the row's
/// `updated_at`, and there is no `updated_at` key.
fn info_body(f: &Found, (bucket, name): (&str, &str)) -> Response {
    let md = &f.metadata;
    Json(json!({
        "id": f.id,
        "name": name,
        "version": f.version,
        "bucket_id": bucket,
        "size": md["size"],
        "content_type": md["mimetype"],
        "cache_control": md["cacheControl"],
        "etag": md["eTag"],
        "metadata": f.user_metadata,
        "last_modified": f.updated_at,
        "created_at": f.created_at,
    }))
    .into_response()
}

/// `POST /object/list/{bucket}` body.
#[derive(Debug, Deserialize)]
pub(crate) struct ListBody {
    prefix: String,
    #[serde(default)]
    limit: Option<i32>,
    #[serde(default)]
    offset: Option<i32>,
    #[serde(default, rename = "sortBy")]
    sort_by: Option<SortBy>,
    #[serde(default)]
    search: Option<String>,
}

/// A listing's `sortBy` (`list` and `list-v2`).
#[derive(Debug, Deserialize)]
pub(crate) struct SortBy {
    #[serde(default)]
    pub(crate) column: Option<String>,
    #[serde(default)]
    pub(crate) order: Option<String>,
}

impl SortBy {
    /// As the route's schema checks it, in AJV's words: `column` is required and one of
    /// `columns`, `order` (if given) `asc` or `desc`.
    pub(crate) fn checked(&self, columns: &[&str]) -> ApiResult<(&str, Option<&str>)> {
        let Some(column) = self.column.as_deref() else {
            return Err(ApiError::invalid_body(
                "body/sortBy must have required property 'column'",
            ));
        };
        if !columns.contains(&column) {
            return Err(ApiError::invalid_body(
                "body/sortBy/column must be equal to one of the allowed values",
            ));
        }
        let order = self.order.as_deref();
        if order.is_some_and(|o| !["asc", "desc"].contains(&o)) {
            return Err(ApiError::invalid_body(
                "body/sortBy/order must be equal to one of the allowed values",
            ));
        }
        Ok((column, order))
    }
}

pub(crate) async fn list(
    AxState(state): AxState<State>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ListBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    // `searchRequestBodySchema` (`routes/object/listObjects.ts`), in AJV's words.
    let limit = body.limit.unwrap_or(100);
    if limit < 1 {
        return Err(ApiError::invalid_body("body/limit must be >= 1"));
    }
    let offset = body.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid_body("body/offset must be >= 0"));
    }
    let (column, order) = match &body.sort_by {
        None => ("name", "asc"),
        Some(sort) => {
            let columns = ["name", "updated_at", "created_at", "last_accessed_at"];
            let (column, order) = sort.checked(&columns)?;
            (column, order.unwrap_or("asc"))
        }
    };
    // storage-api `searchObjects`: the prefix as a folder, its depth as `levels` (a leading
    // `/` is kept: no name starts with one, so `/folder` lists nothing, as on Supabase).
    let mut prefix = body.prefix.clone();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let levels = i32::try_from(prefix.split('/').count()).unwrap_or(i32::MAX);
    let search = body.search.unwrap_or_default();
    let text: String = as_caller!(state, &caller, |tx| {
        let row = tx
            .query_one(
                "select coalesce(json_agg(s), '[]')::text from \
                     storage.search($1, $2, $3, $4, $5, $6, $7, $8) s",
                &[
                    &prefix, &bucket, &limit, &levels, &offset, &search, &column, &order,
                ],
            )
            .await?;
        Ok(row.get(0))
    })?;
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        text,
    )
        .into_response())
}

/// `POST /object/move` and `/object/copy` body.
#[derive(Debug, Deserialize)]
pub(crate) struct TransferBody {
    #[serde(rename = "bucketId")]
    bucket_id: String,
    #[serde(rename = "sourceKey")]
    source_key: String,
    #[serde(rename = "destinationKey")]
    destination_key: String,
    #[serde(default, rename = "destinationBucket")]
    destination_bucket: Option<String>,
}

pub(crate) async fn move_object(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<TransferBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    // `moveObject` (`src/storage/object.ts`): `from(bucketId)` checks the bucket's name, then
    // only the destination key is checked and nothing is looked up first: a missing source
    // (or source bucket) is `NoSuchKey`, a taken destination `ResourceAlreadyExists`, a
    // missing destination bucket the foreign key's 404.
    valid_bucket_name(&b.bucket_id)?;
    valid_key(&b.destination_key)?;
    let dest_bucket = b
        .destination_bucket
        .clone()
        .unwrap_or_else(|| b.bucket_id.clone());
    // `moveObject`: the mover becomes the owner (`owner: request.owner`); a caller without a
    // `sub` (the service role) leaves it, as storage-api skips undefined columns.
    let owner = caller.user_id().map(str::to_owned);
    let n = as_caller!(state, &caller, |tx| {
        Ok(tx
            .execute(
                "update storage.objects set bucket_id = $3, name = $4, \
                   owner = coalesce($5::text::uuid, owner), owner_id = coalesce($6, owner_id) \
                 where bucket_id = $1 and name = $2",
                &[
                    &b.bucket_id,
                    &b.source_key,
                    &dest_bucket,
                    &b.destination_key,
                    &owner.as_deref().filter(|o| crate::services::is_uuid(o)),
                    &owner,
                ],
            )
            .await?)
    })?;
    if n == 0 {
        return Err(ApiError::no_such_key());
    }
    // The newest `moveObject.ts` also hands `Id` and `Key` to `send`, but its response schema
    // declares only `message`, and Fastify's serializer writes only declared properties.
    Ok(Json(json!({ "message": "Successfully moved" })).into_response())
}

pub(crate) async fn copy_object(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    JsonBody(b): JsonBody<TransferBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    // `copyObject` (`src/storage/object.ts`): as `moveObject`, no bucket is looked up; the
    // source is found as the caller, and the destination written as an upload would be.
    valid_bucket_name(&b.bucket_id)?;
    valid_key(&b.destination_key)?;
    let dest_bucket = b
        .destination_bucket
        .clone()
        .unwrap_or_else(|| b.bucket_id.clone());
    let source = find(&state, &caller, &b.bucket_id, &b.source_key)
        .await?
        .ok_or_else(ApiError::no_such_key)?;
    let w = Write {
        bucket: dest_bucket.clone(),
        name: b.destination_key.clone(),
        content_type: source.metadata["mimetype"]
            .as_str()
            .unwrap_or("application/octet-stream")
            .to_owned(),
        cache_control: source.metadata["cacheControl"]
            .as_str()
            .unwrap_or("no-cache")
            .to_owned(),
        upsert: header_str(&headers, "x-upsert") == Some("true"),
        user_metadata: source.user_metadata.clone(),
        owner: caller.user_id().map(str::to_owned),
    };
    // Never the destination bucket's types or size limit: a copy is not an upload.
    let src = tokio::fs::File::open(disk::object_path(&state.root, &source.version))
        .await
        .map_err(|e| ApiError::internal(format!("object bytes missing: {e}")))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(src));
    let received = disk::receive(&state.root, body, None).await?;
    let id = write::store(&state, &caller, &w, received).await?;
    Ok(
        Json(json!({ "Id": id, "Key": format!("{dest_bucket}/{}", b.destination_key) }))
            .into_response(),
    )
}

/// `DELETE /object/{bucket}` body.
#[derive(Debug, Deserialize)]
pub(crate) struct RemoveBody {
    prefixes: Vec<String>,
}

async fn delete_names(
    state: &State,
    who: &Caller,
    bucket: &str,
    names: &[String],
) -> ApiResult<Vec<Value>> {
    let text: String = as_caller!(state, who, |tx| {
        let row = tx
            .query_one(
                "with d as (delete from storage.objects where bucket_id = $1 \
                       and name = any($2) returning *) \
                     select coalesce(json_agg(json_build_object('bucket_id', bucket_id, \
                       'name', name, 'id', id, 'owner', owner, 'version', version, \
                       'updated_at', updated_at, 'created_at', created_at, \
                       'last_accessed_at', last_accessed_at, 'metadata', metadata)), '[]')::text \
                     from d",
                &[&bucket, &names],
            )
            .await
            .map_err(DbError::from)?;
        Ok(row.get(0))
    })?;
    let deleted: Vec<Value> =
        serde_json::from_str(&text).map_err(|e| ApiError::internal(e.to_string()))?;
    for d in &deleted {
        if let Some(v) = d["version"].as_str() {
            disk::remove_version(&state.root, v).await;
        }
    }
    Ok(deleted)
}

pub(crate) async fn remove_many(
    AxState(state): AxState<State>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<RemoveBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    // `deleteObjects.ts`: `prefixes` has `minItems: 1`, and no bucket lookup (a missing bucket
    // deletes nothing).
    if body.prefixes.is_empty() {
        return Err(ApiError::invalid_body(
            "body/prefixes must NOT have fewer than 1 items",
        ));
    }
    let deleted = delete_names(&state, &caller, &bucket, &body.prefixes).await?;
    Ok(Json(Value::Array(deleted)).into_response())
}

pub(crate) async fn remove_one(
    AxState(state): AxState<State>,
    Path((bucket, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    valid_bucket_name(&bucket)?;
    valid_key(&name)?;
    let deleted = delete_names(&state, &caller, &bucket, &[name]).await?;
    if deleted.is_empty() {
        return Err(ApiError::no_such_key());
    }
    Ok((
        StatusCode::OK,
        Json(json!({ "message": "Successfully deleted" })),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::node_base64;

    #[test]
    fn base64_is_read_as_node_reads_it() {
        // Each answer is what Node 20's `Buffer.from(text, "base64")` gives.
        for (text, node) in [
            ("eyJxIjoiPz8-Pn5-In0", r#"{"q":"??>>~~"}"#),
            (" eyJxIjoiPz8+Pn5+\tIn0=", r#"{"q":"??>>~~"}"#),
            ("eyJxIjoiPz8+Pn5+In0=e30=", r#"{"q":"??>>~~"}"#),
            ("YQ==YQ==", "a"),
            ("YW!Jj", "abc"),
            ("YWJjZ", "abc"),
            ("", ""),
        ] {
            assert_eq!(node_base64(text), node.as_bytes(), "{text:?}");
        }
    }
}
