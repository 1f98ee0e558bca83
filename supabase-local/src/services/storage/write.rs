//! Storing an object: checks against the bucket (storage-api `src/storage/uploader.ts`:
//! `canUpload`, `validateMimeType`, the file size limit), then the row written under the
//! caller's role — so RLS decides — and the bytes moved into place before that row commits.

use std::path::PathBuf;

use serde_json::Value;

use super::db::as_caller;
use super::disk::{self, Received};
use super::error::ApiError;
use super::{ApiResult, State, valid_bucket_name, valid_key};
use crate::services::{Caller, DbError, is_uuid};

/// storage-api's global upload limit when the bucket sets none (`FILE_SIZE_LIMIT`, 50 MiB on
/// the CLI's stack is configurable; here 5 GiB so large-file tests fit).
pub(crate) const GLOBAL_LIMIT: u64 = 5 * 1024 * 1024 * 1024;

/// The bucket settings an upload is checked against.
#[derive(Debug, Clone)]
pub(crate) struct BucketRules {
    pub(crate) public: bool,
    pub(crate) file_size_limit: Option<u64>,
    pub(crate) allowed_mime_types: Option<Vec<String>>,
}

impl BucketRules {
    /// The most an object may take: 0 bytes for an empty folder's placeholder (storage-api
    /// `isEmptyFolder`), else the bucket's limit within the global one.
    pub(crate) fn limit_for(&self, name: &str) -> u64 {
        if is_empty_folder(name) {
            0
        } else {
            self.file_size_limit
                .map_or(GLOBAL_LIMIT, |l| l.min(GLOBAL_LIMIT))
        }
    }

    /// `validateMimeType` (`mime.rs`), when the bucket restricts types and the object is not
    /// an empty folder's placeholder.
    pub(crate) fn check_mime(&self, name: &str, mime: &str) -> ApiResult<()> {
        match &self.allowed_mime_types {
            Some(allowed) if !allowed.is_empty() && !is_empty_folder(name) => {
                super::mime::check(mime, allowed)
            }
            _ => Ok(()),
        }
    }
}

/// storage-api's `isEmptyFolder`: the placeholder the dashboard writes into an empty folder.
fn is_empty_folder(name: &str) -> bool {
    name.ends_with(".emptyFolderPlaceholder")
}

/// The bucket's rules, read as the superuser (storage-api's `asSuperUser().findBucket`).
pub(crate) async fn bucket_rules(state: &State, bucket: &str) -> ApiResult<BucketRules> {
    valid_bucket_name(bucket).map_err(|_| ApiError::no_such_bucket())?;
    let conn = state.db().get().await?;
    let row = conn
        .query_opt(
            "select public, file_size_limit, allowed_mime_types from storage.buckets where id = $1",
            &[&bucket],
        )
        .await
        .map_err(DbError::from)?
        .ok_or_else(ApiError::no_such_bucket)?;
    Ok(BucketRules {
        public: row.get::<_, Option<bool>>(0).unwrap_or(false),
        file_size_limit: row
            .get::<_, Option<i64>>(1)
            .and_then(|l| u64::try_from(l).ok()),
        allowed_mime_types: row.get(2),
    })
}

/// What is being written.
#[derive(Debug)]
pub(crate) struct Write {
    pub(crate) bucket: String,
    pub(crate) name: String,
    pub(crate) content_type: String,
    pub(crate) cache_control: String,
    pub(crate) upsert: bool,
    pub(crate) user_metadata: Option<Value>,
    /// The owner to record (the caller's `sub`, or a signed upload token's `owner`).
    pub(crate) owner: Option<String>,
}

/// Checks what can be checked before reading the body: the key, the type, and a declared
/// length (`content_length`, a raw body's `Content-Length`) against the limit, as
/// `fileUploadFromRequest` refuses a known-size body before reading it. Returns the limit the
/// body is read with.
pub(crate) async fn precheck(
    state: &State,
    w: &Write,
    content_length: Option<u64>,
) -> ApiResult<u64> {
    valid_key(&w.name)?;
    let rules = bucket_rules(state, &w.bucket).await?;
    rules.check_mime(&w.name, &w.content_type)?;
    let limit = rules.limit_for(&w.name);
    if content_length.is_some_and(|length| length > limit) {
        return Err(ApiError::entity_too_large("object"));
    }
    Ok(limit)
}

/// Records a received upload under `who`'s role and moves its bytes into place. Returns the
/// object's id.
pub(crate) async fn store(
    state: &State,
    who: &Caller,
    w: &Write,
    received: Received,
) -> ApiResult<String> {
    let metadata = serde_json::json!({
        "eTag": format!("\"{}\"", received.md5),
        "size": received.size,
        "mimetype": w.content_type,
        "cacheControl": w.cache_control,
        "contentLength": received.size,
        "httpStatusCode": 200,
    })
    .to_string();
    // `completeUpload`: `userMetadata: { ...request.userMetadata }`, so `{}` when none came.
    let user_metadata: String = w
        .user_metadata
        .as_ref()
        .map_or_else(|| "{}".to_owned(), Value::to_string);
    let owner_uuid = w.owner.as_deref().filter(|o| is_uuid(o)).map(str::to_owned);
    let root = state.root.clone();
    let temp: PathBuf = received.file.to_path_buf();
    let outcome = as_caller!(state, who, |tx| {
        let previous: Option<String> = tx
            .query_opt(
                "select version from storage.objects where bucket_id = $1 and name = $2",
                &[&w.bucket, &w.name],
            )
            .await?
            .and_then(|r| r.get(0));
        // Ids made up front: a plain insert needs only an INSERT policy (no RETURNING,
        // which would also need SELECT), as Supabase documents for uploads.
        let fresh = tx
            .query_one(
                "select gen_random_uuid()::text, gen_random_uuid()::text",
                &[],
            )
            .await?;
        let (fresh_id, version): (String, String) = (fresh.get(0), fresh.get(1));
        let last_modified = format!(
            "jsonb_build_object('lastModified', to_char(now() at time zone 'utc', '{}'))",
            super::JS_ISO
        );
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
            &w.bucket,
            &w.name,
            &metadata,
            &user_metadata,
            &owner_uuid,
            &w.owner,
            &version,
        ];
        let id = if w.upsert {
            let sql = format!(
                "insert into storage.objects \
                       (bucket_id, name, metadata, user_metadata, owner, owner_id, version) \
                     values ($1, $2, $3::text::jsonb || {last_modified}, $4::text::jsonb, $5::text::uuid, $6, $7) \
                     on conflict (bucket_id, name) do update set metadata = excluded.metadata, \
                       version = excluded.version, user_metadata = excluded.user_metadata, \
                       owner = coalesce(excluded.owner, storage.objects.owner), \
                       owner_id = coalesce(excluded.owner_id, storage.objects.owner_id), \
                       last_accessed_at = now() \
                     returning id::text"
            );
            tx.query_one(&sql, &params).await?.get::<_, String>(0)
        } else {
            let sql = format!(
                "insert into storage.objects \
                       (id, bucket_id, name, metadata, user_metadata, owner, owner_id, version) \
                     values ($8::text::uuid, $1, $2, $3::text::jsonb || {last_modified}, $4::text::jsonb, $5::text::uuid, $6, $7)"
            );
            let mut all: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.to_vec();
            all.push(&fresh_id);
            tx.execute(&sql, &all).await?;
            fresh_id.clone()
        };
        // Into place before the row commits: a reader never sees a row without bytes.
        disk::place(&root, &temp, &version)
            .await
            .map_err(|e| DbError(format!("storing the object: {e}")))?;
        Ok((id, version, previous))
    });
    match outcome {
        Ok((id, _version, previous)) => {
            if let Some(old) = previous {
                disk::remove_version(&state.root, &old).await;
            }
            Ok(id)
        }
        Err(e) => {
            // The row did not commit; drop the bytes if they were already moved.
            let _ = tokio::fs::remove_file(&temp).await;
            Err(ApiError::from_db(e).of_insert())
        }
    }
}

/// Marks a permission probe's transaction for rollback.
const PROBE: &str = "__storage_permission_probe__";

/// storage-api's `canUpload` (`src/storage/uploader.ts`): may `who` write `bucket/name`?
/// Tried in a transaction that is rolled back, as `testPermission` does. Without `upsert` it
/// is `createObject`'s plain insert (an existing object is a `409 Duplicate`); with it,
/// `upsertObject`'s `insert … on conflict do update … returning *`, so replacing an existing
/// object takes an UPDATE policy that lets the caller at that row, and a SELECT policy.
pub(crate) async fn can_upload(
    state: &State,
    who: &Caller,
    bucket: &str,
    name: &str,
    upsert: bool,
) -> ApiResult<()> {
    // The row as `store` writes it (`owner` when the caller's id is a uuid, `owner_id`), so
    // the policies judge the probe as they would judge the write.
    let owner_id = who.user_id().map(str::to_owned);
    let owner = owner_id.clone().filter(|o| is_uuid(o));
    let probe = as_caller!(state, who, |tx| {
        let insert = "insert into storage.objects (bucket_id, name, owner, owner_id, metadata) \
                      values ($1, $2, $3::text::uuid, $4, '{}')";
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
            [&bucket, &name, &owner, &owner_id];
        if upsert {
            let sql = format!(
                "{insert} on conflict (bucket_id, name) do update \
                   set owner = excluded.owner, owner_id = excluded.owner_id returning *"
            );
            tx.query(&sql, &params).await?;
        } else {
            tx.execute(insert, &params).await?;
        }
        Err::<(), _>(DbError(PROBE.into()))
    });
    match probe {
        Err(e) if e.0 == PROBE => Ok(()),
        Err(e) => Err(ApiError::from_db(e).of_insert()),
        Ok(()) => Ok(()),
    }
}
