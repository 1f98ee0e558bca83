//! The untyped route to the storage options: each deserializes from the dict the Python
//! reference passes, with supabase/storage-py's keys (`storage3/types.py`: `FileOptions` with
//! `"cache-control"` / `"content-type"` / `"upsert"` as strings, `ListBucketFilesOptions` with
//! `"sortBy"`, `URLOptions`, `TransformOptions`, `CreateOrUpdateBucketOptions`). Unknown keys are
//! refused (`deny_unknown_fields`); values are built through the builders, so the JSON and typed
//! forms make equal values.

use serde::{Deserialize, Deserializer, de};
use serde_json::{Map, Value};

use super::types::{FileOptions, SearchOptions, SortOrder, TransformOptions, UrlOptions};

/// A string (as storage-py sends) or a bare number/bool, as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    String(String),
    Number(u64),
    Bool(bool),
}

/// `"true"` / `"false"` (storage-py's strings) or a bool.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(Text::Bool(b)) => Ok(Some(b)),
        Some(Text::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Text::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(Text::String(s)) => Err(de::Error::custom(format!(
            "`upsert` must be \"true\" or \"false\", not {s:?}"
        ))),
        Some(Text::Number(n)) => Err(de::Error::custom(format!(
            "`upsert` must be \"true\" or \"false\", not {n}"
        ))),
    }
}

/// Seconds as `"3600"` (storage-py) or `3600`.
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Text>::deserialize(d)? {
        None => Ok(None),
        Some(Text::String(s)) => Ok(Some(s)),
        Some(Text::Number(n)) => Ok(Some(n.to_string())),
        Some(Text::Bool(b)) => Err(de::Error::custom(format!(
            "`cache-control` must be a number of seconds, not {b}"
        ))),
    }
}

/// storage-py `FileOptions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileOptionsJson {
    #[serde(rename = "cache-control", default, deserialize_with = "seconds")]
    cache_control: Option<String>,
    #[serde(rename = "content-type")]
    content_type: Option<String>,
    #[serde(alias = "x-upsert", default, deserialize_with = "flag")]
    upsert: Option<bool>,
    metadata: Option<Map<String, Value>>,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

impl From<FileOptionsJson> for FileOptions {
    fn from(j: FileOptionsJson) -> Self {
        let mut o = FileOptions::new();
        if let Some(v) = j.cache_control {
            o = o.cache_control(v);
        }
        if let Some(v) = j.content_type {
            o = o.content_type(v);
        }
        if let Some(v) = j.upsert {
            o = o.upsert(v);
        }
        if let Some(v) = j.metadata {
            o = o.metadata(Value::Object(v));
        }
        for (name, value) in j.headers {
            o = o.header(name, value);
        }
        o
    }
}

/// storage-py `_sortByType`: either key may be left out (the default fills it).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SortByJson {
    column: Option<String>,
    order: Option<SortOrder>,
}

/// storage-py `ListBucketFilesOptions`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchOptionsJson {
    limit: Option<u32>,
    offset: Option<u32>,
    #[serde(rename = "sortBy")]
    sort_by: Option<SortByJson>,
    search: Option<String>,
}

impl From<SearchOptionsJson> for SearchOptions {
    fn from(j: SearchOptionsJson) -> Self {
        let mut o = SearchOptions::new();
        if let Some(v) = j.limit {
            o = o.limit(v);
        }
        if let Some(v) = j.offset {
            o = o.offset(v);
        }
        if let Some(s) = j.sort_by {
            let column = s.column.unwrap_or_else(|| o.sort_by.column.clone());
            let order = s.order.unwrap_or(o.sort_by.order);
            o = o.sort_by(column, order);
        }
        if let Some(v) = j.search {
            o = o.search(v);
        }
        o
    }
}

/// storage-py `URLOptions` (and `DownloadOptions`, `CreateSignedURLsOptions`): `download` is
/// `true` / `false` or a file name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UrlOptionsJson {
    download: Option<DownloadJson>,
    transform: Option<TransformOptions>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DownloadJson {
    Flag(bool),
    Name(String),
}

impl From<UrlOptionsJson> for UrlOptions {
    fn from(j: UrlOptionsJson) -> Self {
        let mut o = UrlOptions::new();
        match j.download {
            Some(DownloadJson::Flag(flag)) => o = o.download(flag),
            Some(DownloadJson::Name(name)) => o = o.download(name),
            None => {}
        }
        if let Some(t) = j.transform {
            o = o.transform(t);
        }
        o
    }
}
