//! `POST /object/list-v2/{bucket}`: storage-api's cursor-paged listing
//! (`src/http/routes/object/listObjectsV2.ts`, `ObjectStorage.listObjectsV2` in
//! `src/storage/object.ts` and the SQL `storage.search_v2` with its `list_objects_with_delimiter`
//! and `search_by_timestamp`).
//!
//! - The prefix is a plain string prefix (`aal` lists `aal.txt` and the folder `aal/`).
//! - Without `with_delimiter` the listing is flat and recursive; with it, the objects below the
//!   next `/` are one folder, named by its full path with a trailing `/`, and every entry
//!   carries `key`, its own segment.
//! - By name, folders sit where their objects would (`photos.txt` before `photos/`); by a
//!   timestamp, a folder takes its objects' earliest `created_at`, in both columns.
//! - At most 1000 entries a page (the default). One more is read to tell whether a next page
//!   exists, and the page's cursor is base64 of `l:<last name>` (by name, a folder's with its
//!   `/`, as storage-api's versioned listing writes it), `o:<order>`, `c:<column>` and,
//!   by a timestamp, `a:<its ISO value>`. A cursor's order and column win over the body's.
//! - Runs as the caller, under RLS. The bucket is never looked up: a missing one lists nothing.

use axum::extract::{Path, State as AxState};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Json, Response};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::db::as_caller;
use super::error::{ApiError, JsonBody};
use super::object::{SortBy, node_base64};
use super::{ApiResult, State, valid_bucket_name};

/// `searchRequestBodySchema`.
#[derive(Debug, Deserialize)]
pub(crate) struct Body {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    with_delimiter: Option<bool>,
    #[serde(default, rename = "sortBy")]
    sort_by: Option<SortBy>,
}

/// `listObjectsV2`'s page size: the default, and the most a page holds.
const MAX_KEYS: i64 = 1000;

/// A decoded continuation token (`parseContinuationToken`): every part is optional.
#[derive(Debug, Default, PartialEq)]
struct Cursor {
    start_after: String,
    order: Option<String>,
    column: Option<String>,
    after: Option<String>,
}

impl Cursor {
    /// Lines `k:value` (`l`, `o`, `c`, `a`), base64-encoded. Anything else is refused as
    /// storage-api refuses it: "Invalid Parameter continuation token".
    fn parse(token: &str) -> ApiResult<Cursor> {
        let text = String::from_utf8_lossy(&node_base64(token)).into_owned();
        let mut cursor = Cursor::default();
        for part in text.split('\n') {
            let (key, value) = part
                .split_once(':')
                .filter(|(k, _)| k.chars().count() == 1 && !k.trim().is_empty())
                .ok_or_else(invalid_cursor)?;
            let value = value.to_owned();
            match key {
                "l" => cursor.start_after = value,
                "o" => cursor.order = Some(value),
                "c" => cursor.column = Some(value),
                "a" => cursor.after = Some(value),
                _ => return Err(invalid_cursor()),
            }
        }
        Ok(cursor)
    }

    /// `encodeContinuationToken`: only the parts that are set, in this order.
    fn encode(&self) -> String {
        let parts = [
            (
                "l",
                Some(self.start_after.as_str()).filter(|s| !s.is_empty()),
            ),
            ("o", self.order.as_deref().filter(|s| !s.is_empty())),
            ("c", self.column.as_deref().filter(|s| !s.is_empty())),
            ("a", self.after.as_deref().filter(|s| !s.is_empty())),
        ];
        let text: Vec<String> = parts
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}:{v}")))
            .collect();
        base64::engine::general_purpose::STANDARD.encode(text.join("\n"))
    }
}

fn invalid_cursor() -> ApiError {
    ApiError::new(
        400,
        "InvalidParameter",
        "Invalid Parameter continuation token",
    )
}

/// The sort the SQL runs: `search_v2` reads an unknown order as `asc` and an unknown column as
/// `name`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Name,
    UpdatedAt,
    CreatedAt,
}

impl Column {
    fn of(text: &str) -> Column {
        match text.to_ascii_lowercase().as_str() {
            "updated_at" => Column::UpdatedAt,
            "created_at" => Column::CreatedAt,
            _ => Column::Name,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::UpdatedAt => "updated_at",
            Column::CreatedAt => "created_at",
        }
    }
}

/// The body's shape, in AJV's words.
fn validate(body: &Body) -> ApiResult<()> {
    if body.limit.is_some_and(|l| l < 1) {
        return Err(ApiError::invalid_body("body/limit must be >= 1"));
    }
    if let Some(sort) = &body.sort_by {
        sort.checked(&["name", "updated_at", "created_at"])?;
    }
    Ok(())
}

/// The page's rows, as the caller may see them: `(name, is folder, sort value, entry)`.
fn query(column: Column, desc: bool) -> String {
    // Timestamps as storage-api writes them.
    let iso = format!("'{}'", super::JS_ISO);
    let ord = if desc { "desc" } else { "asc" };
    let op = if desc { "<" } else { ">" };
    let folder_ts = match column {
        Column::Name => "null::timestamptz".to_owned(),
        _ => "min(created_at)".to_owned(),
    };
    let (seek, order) = match column {
        // By name, a folder sits where its objects do (`photos/` after `photos.txt`), and its
        // cursor names it with its `/`: the page after it resumes after all of it, and a file
        // of the same name is never taken for it.
        Column::Name => (
            format!("e.seek collate \"C\" {op} p.l"),
            format!("e.seek collate \"C\" {ord}"),
        ),
        // `search_by_timestamp`: the value to the millisecond, then the name.
        col => {
            let c = col.sql();
            (
                format!(
                    "row(coalesce(date_trunc('milliseconds', e.{c}), 'epoch'), e.name collate \"C\") \
                     {op} row(coalesce(nullif(p.a, '')::timestamptz, 'epoch'), p.l)"
                ),
                format!(
                    "coalesce(date_trunc('milliseconds', e.{c}), 'epoch') {ord}, e.name collate \"C\" {ord}"
                ),
            )
        }
    };
    let sort_value = match column {
        Column::Name => "null::text".to_owned(),
        col => format!("to_char(e.{} at time zone 'utc', {iso})", col.sql()),
    };
    format!(
        "with raw as ( \
           select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata, \
             case when $3 and strpos(substr(o.name, length($2) + 1), '/') > 0 \
               then left(o.name, length($2) + strpos(substr(o.name, length($2) + 1), '/') - 1) \
             end as folder \
           from storage.objects o \
           where o.bucket_id = $1 and left(o.name, length($2)) = $2 \
         ), entries as ( \
           select folder as name, null::uuid as id, {folder_ts} as updated_at, \
             {folder_ts} as created_at, null::timestamptz as last_accessed_at, \
             null::jsonb as metadata, folder || '/' as seek \
           from raw where folder is not null group by folder \
           union all \
           select name, id, updated_at, created_at, last_accessed_at, metadata, name as seek \
           from raw where folder is null \
         ), params as (select $5::text as l, $6::text as a) \
         select e.name, e.id is null, {sort_value}, \
           json_build_object('key', split_part(e.name, '/', $7), 'name', e.name, 'id', e.id, \
             'updated_at', to_char(e.updated_at at time zone 'utc', {iso}), \
             'created_at', to_char(e.created_at at time zone 'utc', {iso}), \
             'last_accessed_at', to_char(e.last_accessed_at at time zone 'utc', {iso}), \
             'metadata', e.metadata)::text \
         from entries e, params p \
         where p.l = '' or {seek} \
         order by {order} \
         limit $4"
    )
}

pub(crate) async fn list(
    AxState(state): AxState<State>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Body>,
) -> ApiResult<Response> {
    let caller = state.caller(&headers)?;
    validate(&body)?;
    valid_bucket_name(&bucket)?;
    let cursor = match body.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(token) => Some(Cursor::parse(token)?),
        None => None,
    };
    let limit = body.limit.unwrap_or(MAX_KEYS).min(MAX_KEYS);
    let prefix = body.prefix.clone().unwrap_or_default();
    let delimiter = body.with_delimiter.unwrap_or(false);
    let sort = body.sort_by.as_ref();
    // A cursor's order and column win (a decoded cursor's order is at least `asc`).
    let order = match &cursor {
        Some(c) => Some(c.order.clone().unwrap_or_else(|| "asc".to_owned())),
        None => sort.and_then(|s| s.order.clone()),
    };
    let column_text = cursor
        .as_ref()
        .and_then(|c| c.column.clone())
        .or_else(|| sort.and_then(|s| s.column.clone()));
    let column = Column::of(column_text.as_deref().unwrap_or("name"));
    let desc = order
        .as_deref()
        .is_some_and(|o| o.eq_ignore_ascii_case("desc"));
    let start_after = cursor
        .as_ref()
        .map(|c| c.start_after.clone())
        .unwrap_or_default();
    let after = cursor
        .as_ref()
        .and_then(|c| c.after.clone())
        .unwrap_or_default();
    let levels = if prefix.is_empty() {
        1
    } else {
        i32::try_from(prefix.split('/').count()).unwrap_or(i32::MAX)
    };
    let sql = query(column, desc);
    let fetch = limit + 1;
    let rows: Vec<(String, bool, Option<String>, String)> = as_caller!(state, &caller, |tx| {
        let rows = tx
            .query(
                &sql,
                &[
                    &bucket,
                    &prefix,
                    &delimiter,
                    &fetch,
                    &start_after,
                    &after,
                    &levels,
                ],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
            .collect())
    })?;
    let has_next = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let page = &rows[..rows.len().min(usize::try_from(limit).unwrap_or(usize::MAX))];
    let mut folders = Vec::new();
    let mut objects = Vec::new();
    for (name, is_folder, _, entry) in page {
        let mut entry: Value =
            serde_json::from_str(entry).map_err(|e| ApiError::internal(e.to_string()))?;
        if !delimiter && let Some(map) = entry.as_object_mut() {
            map.remove("key");
        }
        if *is_folder {
            entry["name"] = format!("{name}/").into();
            folders.push(entry);
        } else {
            objects.push(entry);
        }
    }
    let mut answer = json!({ "hasNext": has_next, "folders": folders, "objects": objects });
    if let Some((last, is_folder, sort_value, _)) = page.last().filter(|_| has_next) {
        // By a timestamp the name goes with the time; by name a folder's keeps its `/`.
        let last = if *is_folder && column == Column::Name {
            format!("{last}/")
        } else {
            last.clone()
        };
        let next = Cursor {
            start_after: last.clone(),
            order,
            column: column_text,
            after: sort_value.clone(),
        };
        answer["nextCursor"] = next.encode().into();
        answer["nextCursorKey"] = last.into();
    }
    Ok(Json(answer).into_response())
}

#[cfg(test)]
mod tests {
    use super::Cursor;

    #[test]
    fn cursors_are_storage_api_tokens() {
        // `encodeContinuationToken({startAfter: 'a.txt'})`.
        let first = Cursor {
            start_after: "a.txt".into(),
            ..Cursor::default()
        };
        assert_eq!(first.encode(), "bDphLnR4dA==");
        let full = Cursor {
            start_after: "photos/x.jpg".into(),
            order: Some("desc".into()),
            column: Some("updated_at".into()),
            after: Some("2024-05-22T23:06:05.574Z".into()),
        };
        assert_eq!(Cursor::parse(&full.encode()).unwrap(), full);
        for bad in ["bm9wZQ==", "eDp5"] {
            // "nope" (no `k:`), "x:y" (an unknown key).
            let e = Cursor::parse(bad).unwrap_err();
            assert_eq!((e.status, e.code), (400, "InvalidParameter"));
        }
    }
}
