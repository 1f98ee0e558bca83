//! A storage-api stand-in at `/storage/v1` (supabase/storage `src/http/routes/`): buckets,
//! objects, signed URLs and TUS resumable uploads, with object bytes on disk under the stack's
//! data directory and rows in the real `storage.buckets` / `storage.objects` (see
//! `schema.sql`). Every bucket and object query a caller makes runs under the caller's role and
//! JWT claims ([`Db::as_caller`]), so RLS policies on `storage.objects` apply exactly as on
//! Supabase; storage-api's own lookups (bucket limits, public objects, signed URLs) run as the
//! superuser, as its `asSuperUser()` calls do.
//!
//! Image transformation is enabled (`/render/image/...`, see `render.rs`): the `image` crate
//! does what imgproxy does behind storage-api.

mod bucket;
mod db;
mod disk;
mod error;
mod list_v2;
mod mime;
mod object;
mod render;
mod sign;
mod tus;
mod write;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::{delete, get, post};

use super::{Caller, Db, ServiceEnv, caller};
use error::ApiError;

type ApiResult<T> = Result<T, ApiError>;

/// Shared state of the storage routes.
#[derive(Clone)]
pub(crate) struct State {
    env: ServiceEnv,
    /// `<data_dir>/storage`: `objects/<version>` and `tus/<upload id>`.
    root: PathBuf,
    /// One lock per resumable upload being written.
    tus_locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl State {
    fn db(&self) -> &Db {
        &self.env.db
    }

    /// The verified caller of a request (bearer token, else `apikey`).
    fn caller(&self, headers: &HeaderMap) -> ApiResult<Caller> {
        caller(headers, &self.env.jwt_secret).map_err(ApiError::from_caller)
    }

    /// The superuser, for storage-api's `asSuperUser()` paths (claims of the service role).
    fn superuser(&self) -> Caller {
        Caller {
            role: "service_role".into(),
            claims: serde_json::json!({ "role": "service_role" }),
        }
    }
}

/// The storage routes, mounted by the gateway at `/storage/v1`.
pub(crate) fn router(env: ServiceEnv) -> Router {
    let root = env.data_dir.join("storage");
    let state = State {
        env,
        root,
        tus_locks: Arc::default(),
    };
    Router::new()
        .route("/bucket", get(bucket::list).post(bucket::create))
        .route("/bucket/", get(bucket::list).post(bucket::create))
        .route(
            "/bucket/{id}",
            get(bucket::get).put(bucket::update).delete(bucket::remove),
        )
        .route("/bucket/{id}/empty", post(bucket::empty))
        .route("/object/list/{bucket}", post(object::list))
        .route("/object/list-v2/{bucket}", post(list_v2::list))
        .route("/object/move", post(object::move_object))
        .route("/object/copy", post(object::copy_object))
        .route("/object/info/{bucket}/{*path}", get(object::info_any_token))
        .route(
            "/object/info/authenticated/{bucket}/{*path}",
            get(object::info),
        )
        .route(
            "/object/info/public/{bucket}/{*path}",
            get(object::info_public),
        )
        .route(
            "/object/authenticated/{bucket}/{*path}",
            get(object::download).head(object::head),
        )
        .route(
            "/object/public/{bucket}/{*path}",
            get(object::download_public).head(object::head_public),
        )
        .route(
            "/object/sign/{bucket}/{*path}",
            post(sign::create).get(sign::download),
        )
        .route("/object/sign/{bucket}", post(sign::create_many))
        .route(
            "/object/upload/sign/{bucket}/{*path}",
            post(sign::create_upload).put(sign::upload),
        )
        .route("/object/{bucket}", delete(object::remove_many))
        .route(
            "/object/{bucket}/{*path}",
            post(object::upload)
                .put(object::update)
                .get(object::download_any_token)
                .head(object::head_any_token)
                .delete(object::remove_one),
        )
        .route(
            "/render/image/authenticated/{bucket}/{*path}",
            get(render::authenticated),
        )
        .route("/render/image/public/{bucket}/{*path}", get(render::public))
        .route("/render/image/sign/{bucket}/{*path}", get(render::signed))
        .route("/upload/resumable", post(tus::create).options(tus::options))
        .route(
            "/upload/resumable/",
            post(tus::create).options(tus::options),
        )
        .route(
            "/upload/resumable/sign",
            post(tus::create_signed).options(tus::options),
        )
        .route(
            "/upload/resumable/sign/",
            post(tus::create_signed).options(tus::options),
        )
        .route(
            "/upload/resumable/sign/{id}",
            axum::routing::head(tus::head_signed)
                .patch(tus::patch_signed)
                .delete(tus::terminate_signed)
                .options(tus::options),
        )
        .route(
            "/upload/resumable/{id}",
            axum::routing::head(tus::head)
                .patch(tus::patch)
                .delete(tus::terminate)
                .options(tus::options),
        )
        .fallback(not_found)
        .with_state(state)
}

/// Fastify's answer for a route that is not registered (`{statusCode: 404, error: "Not
/// Found", message: "Route GET:/x not found"}`, status as a number and as the HTTP status).
fn route_not_found(method: &axum::http::Method, path: &str) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({
            "statusCode": 404,
            "error": "Not Found",
            "message": format!("Route {method}:{path} not found"),
        })),
    )
        .into_response()
}

async fn not_found(req: axum::extract::Request) -> axum::response::Response {
    route_not_found(req.method(), req.uri().path())
}

/// What `limits.ts` allows in bucket names besides ASCII letters and digits (its
/// `VALID_BUCKET_NAME`, `[A-Za-z0-9_!.*'() &$=@;:+,?-]`).
const BUCKET_NAME_SYMBOLS: &str = "_!-.*'() &$@=;:+,?";

/// `to_char`'s pattern for a timestamp as storage-api answers it: node-pg hands it a `Date`,
/// which JSON writes with JavaScript's `toISOString` (`2024-05-22T23:06:05.574Z`).
const JS_ISO: &str = "YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"";

/// The most bytes an object key may take (`MAX_OBJECT_KEY_BYTES`, S3's limit).
const MAX_OBJECT_KEY_BYTES: usize = 1024;

/// Characters `VALID_OBJECT_KEY` refuses: C0 and C1 controls and DEL, S3's "characters to
/// avoid", and the invisible ones that could hide or spoof a path (zero-width space, BiDi
/// overrides, …). ZWJ and ZWNJ stay allowed: emoji sequences and scripts use them.
fn refused_in_key(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '#' | '[' | ']' | '{' | '}' | '^' | '`' | '"' | '<' | '>' | '\\' | '|' | '%' | '~'
        | '\u{34f}' | '\u{61c}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{ad}' | '\u{180e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// storage-api's `isValidKey` (`src/storage/limits.ts`, the version that takes "the full
/// UTF-8 range that S3 itself accepts"): any character but those `refused_in_key` names, at
/// most 1024 bytes, and no `.` or `..` segment. (Older storage-api took ASCII only.)
fn valid_key(key: &str) -> ApiResult<()> {
    let ok = !key.is_empty()
        && key.len() <= MAX_OBJECT_KEY_BYTES
        && !key.chars().any(refused_in_key)
        && !key.split('/').any(|s| s == "." || s == "..");
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_key(key))
    }
}

/// storage-api's `isValidBucketName`: ASCII letters, digits and `BUCKET_NAME_SYMBOLS`,
/// fewer than 101 characters. Checked where storage-api checks it: on creating a bucket, and
/// by `Storage.from(bucketId)` (`src/storage/storage.ts`), which the routes that act on a
/// bucket's objects call first (upload, update, delete, list, move, copy, sign); the routes
/// that look the bucket up first (reads, info) answer a bad name `NoSuchBucket`.
fn valid_bucket_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() < 101
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || BUCKET_NAME_SYMBOLS.contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_bucket_name())
    }
}
