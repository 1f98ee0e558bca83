//! Bucket routes (storage-api `src/http/routes/bucket/`: createBucket, getAllBuckets,
//! getBucket, updateBucket, deleteBucket, emptyBucket), run under the caller's role: buckets
//! have RLS on, so without policies only the service role manages them.

use axum::Json;
use axum::extract::{Path, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::db::as_caller;
use super::error::{ApiError, JsonBody};
use super::{ApiResult, State, disk, valid_bucket_name};
use crate::services::DbError;

const COLUMNS: &str =
    "id, name, owner, public, file_size_limit, allowed_mime_types, created_at, updated_at";

/// `POST /bucket` and `PUT /bucket/{id}` bodies. The limits are `Some(None)` when sent as
/// `null`, which clears them on update, and `None` when left out, which keeps them.
#[derive(Debug, Deserialize)]
pub(crate) struct BucketBody {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    public: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    file_size_limit: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    allowed_mime_types: Option<Option<Vec<String>>>,
}

/// A field that is present, `null` included.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl BucketBody {
    /// The allowed types as stored: `normalizeAllowedMimeTypes` (`mime.rs`); `null` stays.
    fn allowed_mime_types(&self) -> ApiResult<Option<Vec<String>>> {
        self.allowed_mime_types
            .clone()
            .flatten()
            .map(|list| super::mime::normalize_allowed(&list))
            .transpose()
    }

    /// The size limit in bytes (`parseMaxSizeLimit`): larger than the global limit is
    /// `EntityTooLarge`.
    fn file_size_limit(&self) -> ApiResult<Option<i64>> {
        let limit = file_size_limit(self.file_size_limit.as_ref())?;
        if limit.is_some_and(|l| u64::try_from(l).is_ok_and(|l| l > super::write::GLOBAL_LIMIT)) {
            return Err(ApiError::entity_too_large("object"));
        }
        Ok(limit)
    }
}

/// storage-api's `parseFileSizeToBytes` (`src/storage/limits.ts`): a number of bytes, or a
/// string of digits (a fraction allowed) and a unit, `GB`, `MB`, `KB` or `B` in any case, in
/// decimal units (the schema `src/http/schemas/file-size-limit.ts`: no spaces).
fn file_size_limit(value: Option<&Value>) -> ApiResult<Option<i64>> {
    let invalid =
        || ApiError::invalid_request("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(invalid),
        Some(Value::String(s)) => {
            let lower = s.to_ascii_lowercase();
            let (digits, unit) = ["gb", "mb", "kb", "b"]
                .iter()
                .find_map(|u| lower.strip_suffix(u).map(|d| (d, *u)))
                .ok_or_else(invalid)?;
            // `^[0-9]+(?:\.[0-9]+)?`: no sign, exponent or bare point.
            let all_digits =
                |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            let well_formed = match digits.split_once('.') {
                Some((whole, fraction)) => all_digits(whole) && all_digits(fraction),
                None => all_digits(digits),
            };
            let number: f64 = digits
                .parse()
                .ok()
                .filter(|n: &f64| well_formed && n.is_finite())
                .ok_or_else(invalid)?;
            let factor = match unit {
                "gb" => 1e9,
                "mb" => 1e6,
                "kb" => 1e3,
                _ => 1.0,
            };
            #[allow(clippy::cast_possible_truncation)]
            Ok(Some((number * factor).round() as i64))
        }
        Some(_) => Err(invalid()),
    }
}

fn json_text(text: &str) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        text.to_owned(),
    )
        .into_response()
}

pub(crate) async fn list(
    AxState(state): AxState<State>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    let text: String = as_caller!(state, &caller, |tx| {
        let row = tx
            .query_one(
                &format!(
                    "select coalesce(json_agg(b), '[]')::text from \
                         (select {COLUMNS} from storage.buckets order by name) b"
                ),
                &[],
            )
            .await?;
        Ok(row.get(0))
    })?;
    Ok(json_text(&text))
}

pub(crate) async fn get(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    let text: Option<String> = as_caller!(state, &caller, |tx| {
        let row = tx
            .query_opt(
                &format!(
                    "select row_to_json(b)::text from \
                         (select {COLUMNS} from storage.buckets where id = $1) b"
                ),
                &[&id],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    })?;
    text.map(|t| json_text(&t))
        .ok_or_else(ApiError::no_such_bucket)
}

pub(crate) async fn create(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BucketBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    let name = body
        .name
        .clone()
        .or_else(|| body.id.clone())
        .ok_or_else(|| ApiError::missing_parameter("name"))?;
    let id = body.id.clone().unwrap_or_else(|| name.clone());
    valid_bucket_name(&id)?;
    valid_bucket_name(&name)?;
    let limit = body.file_size_limit()?;
    let types = body.allowed_mime_types()?;
    let owner = caller.user_id().map(str::to_owned);
    let result = as_caller!(state, &caller, |tx| {
        tx.execute(
            "insert into storage.buckets \
                   (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types) \
                 values ($1, $2, case when $3::text ~* '^[0-9a-f-]{36}$' then $3::text::uuid end, \
                         $3, coalesce($4, false), $5, $6)",
            &[&id, &name, &owner, &body.public, &limit, &types],
        )
        .await?;
        Ok(())
    });
    match result {
        Ok(()) => Ok(Json(json!({ "name": name })).into_response()),
        Err(e) if e.0.ends_with("(23505)") => Err(ApiError::bucket_already_exists()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn update(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<BucketBody>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    let limit = body.file_size_limit()?;
    let types = body.allowed_mime_types()?;
    let set_limit = body.file_size_limit.is_some();
    let set_types = body.allowed_mime_types.is_some();
    let n = as_caller!(state, &caller, |tx| {
        Ok(tx
            .execute(
                "update storage.buckets set \
                       public = coalesce($2, public), \
                       file_size_limit = case when $3 then $4 else file_size_limit end, \
                       allowed_mime_types = case when $5 then $6 else allowed_mime_types end, \
                       updated_at = now() \
                     where id = $1",
                &[&id, &body.public, &set_limit, &limit, &set_types, &types],
            )
            .await?)
    })?;
    if n == 0 {
        return Err(ApiError::no_such_bucket());
    }
    Ok(Json(json!({ "message": "Successfully updated" })).into_response())
}

pub(crate) async fn remove(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    let result = as_caller!(state, &caller, |tx| {
        let visible = tx
            .query_opt("select 1 from storage.buckets where id = $1", &[&id])
            .await?;
        if visible.is_none() {
            return Ok(None);
        }
        Ok(Some(
            tx.execute("delete from storage.buckets where id = $1", &[&id])
                .await?,
        ))
    });
    match result {
        Ok(Some(n)) if n > 0 => {
            Ok(Json(json!({ "message": "Successfully deleted" })).into_response())
        }
        Ok(_) => Err(ApiError::no_such_bucket()),
        // objects_bucketId_fkey: the bucket still has objects.
        Err(e) if e.0.ends_with("(23503)") => Err(ApiError::bucket_not_empty()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn empty(
    AxState(state): AxState<State>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    // `emptyBucket` (src/storage/storage.ts): the objects the caller can see are deleted as
    // the caller; the ones RLS kept are named in a 403, after the others are gone.
    type Emptied = (Vec<String>, Vec<String>);
    let emptied: Option<Emptied> = as_caller!(state, &caller, |tx| {
        if tx
            .query_opt("select 1 from storage.buckets where id = $1", &[&id])
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let visible: Vec<String> = tx
            .query(
                "select name from storage.objects where bucket_id = $1 order by name",
                &[&id],
            )
            .await
            .map_err(DbError::from)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let rows = tx
            .query(
                "delete from storage.objects where bucket_id = $1 returning name, version",
                &[&id],
            )
            .await
            .map_err(DbError::from)?;
        let deleted: std::collections::HashSet<String> = rows.iter().map(|r| r.get(0)).collect();
        let remaining = visible
            .into_iter()
            .filter(|n| !deleted.contains(n))
            .collect();
        Ok(Some((
            rows.iter().filter_map(|r| r.get(1)).collect(),
            remaining,
        )))
    })?;
    let (versions, remaining) = emptied.ok_or_else(ApiError::no_such_bucket)?;
    for v in versions {
        disk::remove_version(&state.root, &v).await;
    }
    if !remaining.is_empty() {
        return Err(ApiError::access_denied(format!(
            "Cannot delete: {}, you may have SELECT but not DELETE permissions",
            remaining.join(" ,")
        )));
    }
    Ok(Json(json!({ "message": "Successfully emptied" })).into_response())
}
