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
        .route("/object/move", post(object::move_object))
        .route("/object/copy", post(object::copy_object))
        .route("/object/info/{bucket}/{*path}", get(object::info_any_token))
        .route(
            "/object/info/authenticated/{bucket}/{*path}",
            get(object::info),
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

/// What `limits.ts` allows in object keys and bucket names besides ASCII letters and digits
/// (its regexes' `\w|!|-|\.|\*|'|\(|\)| |&|\$|@|=|;|:|\+|,|\?`; keys also take `/`).
const NAME_SYMBOLS: &str = "_!-.*'() &$@=;:+,?";

/// storage-api's `isValidKey` (`src/storage/limits.ts`): ASCII letters, digits, `_` and
/// `/ ! - . * ' ( ) space & $ @ = ; : + , ?` only (its regex's `\w` is ASCII: a name with
/// `é`, `#`, `%` or `[` is `InvalidKey` on Supabase, supabase/storage#133), plus the stand-in's
/// own care for its paths: at most 1024 bytes, no empty, `.` or `..` segments.
fn valid_key(key: &str) -> ApiResult<()> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '/' || NAME_SYMBOLS.contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_key(key))
    }
}

/// storage-api's `isValidBucketName`: ASCII word characters and the key's symbols but `/`,
/// fewer than 64 characters.
fn valid_bucket_name(name: &str) -> ApiResult<()> {
    let ok = !name.is_empty()
        && name.len() < 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || NAME_SYMBOLS.contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_bucket_name())
    }
}
