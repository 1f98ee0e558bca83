//! `list_v2`: the cursor-paged listing (`POST /object/list-v2/{bucket}`), as storage-js
//! `listV2` and storage-py `list_v2` send it, with their `SearchV2Options` and `SearchV2Result`.
//!
//! Unlike [`FileApi::list`], the prefix is a plain string prefix (`"photos/2024"` matches
//! `photos/2024.txt` too), names are full paths from the bucket's root, the listing is flat
//! and recursive unless [`with_delimiter`](SearchV2Options::with_delimiter) is set, and pages
//! follow each other by [`SearchV2Result::next_cursor`] rather than by an offset, so files
//! added meanwhile do not shift the pages after them.

use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::FileApi;
use super::types::SortOrder;
use crate::error::{Error, Result};

/// The column a `list_v2` listing is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortColumn {
    /// By name, bytewise (the default).
    #[default]
    Name,
    /// By last update.
    UpdatedAt,
    /// By creation.
    CreatedAt,
}

/// A `list_v2` sort (storage-py `SortByV2`): a column and, optionally, an order (ascending
/// when not given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SortByV2 {
    /// The column.
    pub column: SortColumn,
    /// The order; the server's default is ascending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
}

/// Options of `list_v2`, as the reference's `SearchV2Options` dict (`{"limit", "prefix",
/// "cursor", "with_delimiter", "sortBy"}`); every one is optional.
///
/// ```
/// use supabase_core::storage::{SearchV2Options, SortColumn, SortOrder};
///
/// let options: SearchV2Options = serde_json::from_value(serde_json::json!({
///     "prefix": "photos/", "with_delimiter": true, "limit": 50,
///     "sortBy": {"column": "created_at", "order": "desc"}
/// }))
/// .unwrap();
/// assert_eq!(
///     options,
///     SearchV2Options::new()
///         .prefix("photos/")
///         .with_delimiter(true)
///         .limit(50)
///         .sort_by(SortColumn::CreatedAt, SortOrder::Desc)
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchV2Options {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    with_delimiter: Option<bool>,
    #[serde(default, rename = "sortBy", skip_serializing_if = "Option::is_none")]
    sort_by: Option<SortByV2>,
}

impl SearchV2Options {
    /// No options: the server lists up to 1000 entries of the whole bucket, by name.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many entries a page (the server caps it at 1000).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Only names starting with this text (a plain prefix: end it with `/` for a folder's
    /// contents). A leading `/` is dropped, as no name starts with one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Resume after the page that gave this cursor ([`SearchV2Result::next_cursor`]). Send the
    /// same prefix and delimiter again: the cursor keeps only the sort.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// `true`: what lies below the next `/` after the prefix comes back as one folder.
    /// `false` (the default): every object under the prefix, however deep.
    pub fn with_delimiter(mut self, with_delimiter: bool) -> Self {
        self.with_delimiter = Some(with_delimiter);
        self
    }

    /// Sort by `column` in `order`.
    pub fn sort_by(mut self, column: SortColumn, order: SortOrder) -> Self {
        self.sort_by = Some(SortByV2 {
            column,
            order: Some(order),
        });
        self
    }
}

/// A page of a `list_v2` listing (storage-py `SearchV2Result`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct SearchV2Result {
    /// Whether another page follows.
    #[serde(rename = "hasNext")]
    pub has_next: bool,
    /// The cursor of the next page, when there is one.
    #[serde(rename = "nextCursor", default)]
    pub next_cursor: Option<String>,
    /// The folders (with a delimiter only).
    #[serde(default)]
    pub folders: Vec<SearchV2Folder>,
    /// The objects.
    #[serde(default)]
    pub objects: Vec<SearchV2Object>,
}

/// A folder of a `list_v2` listing (storage-py `SearchV2Folder`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SearchV2Folder {
    /// The folder's own name, below the prefix.
    pub key: String,
    /// The full path from the bucket's root, ending with `/`.
    pub name: String,
    /// By a timestamp sort, its objects' earliest creation; else `None`.
    #[serde(default)]
    pub created_at: Option<String>,
    /// As `created_at` (storage-api gives a folder one timestamp).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// An object of a `list_v2` listing (storage-py `SearchV2Object`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct SearchV2Object {
    /// The object's id.
    pub id: String,
    /// The full path from the bucket's root.
    pub name: String,
    /// The object's own name below the prefix (with a delimiter only).
    #[serde(default)]
    pub key: Option<String>,
    /// Last update (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Creation (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last access (ISO 8601).
    #[serde(default)]
    pub last_accessed_at: Option<String>,
    /// `size`, `mimetype`, `eTag`, `cacheControl`, `lastModified`, …
    #[serde(default)]
    pub metadata: Option<Value>,
}

impl FileApi {
    /// One page of the cursor-paged listing (`POST /object/list-v2/{bucket}`, storage-py
    /// `list_v2`). Pass [`next_cursor`](SearchV2Result::next_cursor) back in
    /// [`SearchV2Options::cursor`] for the next page:
    ///
    /// ```no_run
    /// use supabase_core::storage::SearchV2Options;
    ///
    /// # async fn run(files: supabase_core::storage::FileApi) -> supabase_core::Result<()> {
    /// let options = SearchV2Options::new().prefix("photos/").limit(100);
    /// let mut page = files.list_v2(options.clone()).await?;
    /// let mut names: Vec<String> = page.objects.iter().map(|o| o.name.clone()).collect();
    /// while let Some(cursor) = page.next_cursor.take() {
    ///     page = files.list_v2(options.clone().cursor(cursor)).await?;
    ///     names.extend(page.objects.iter().map(|o| o.name.clone()));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_v2(&self, mut options: SearchV2Options) -> Result<SearchV2Result> {
        if let Some(prefix) = options.prefix.as_mut() {
            *prefix = prefix.trim_start_matches('/').to_owned();
        }
        let body = serde_json::to_value(&options).map_err(|e| Error::Encode(e.to_string()))?;
        let url = self.storage.url(&["object", "list-v2", &self.bucket])?;
        self.storage.json(Method::POST, url, Some(body)).await
    }
}
