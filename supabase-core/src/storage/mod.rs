//! Supabase Storage: buckets ([`Storage`]) and the objects in one bucket ([`FileApi`], from
//! [`Storage::from_`]), with streamed uploads and downloads, signed URLs, image transforms and
//! resumable (TUS) uploads.
//!
//! Follows storage-js (`packages/StorageBucketApi.ts`, `packages/StorageFileApi.ts`,
//! `lib/fetch.ts`) and storage-py for the wire format, and storage-api
//! (`src/http/routes/{bucket,object,tus}`) for what the server accepts.
//!
//! ```no_run
//! use supabase_core::storage::{BucketOptions, FileOptions, UploadBody};
//!
//! # async fn run(client: supabase_core::Client) -> supabase_core::Result<()> {
//! let storage = client.storage();
//! storage
//!     .create_bucket_with("avatars", BucketOptions::new().public(false).file_size_limit(1024))
//!     .await?;
//! let avatars = storage.from_("avatars");
//! avatars
//!     .upload("public/avatar1.png", UploadBody::file("./avatar1.png"))
//!     .await?;
//! // Options are the `_with` forms' last argument.
//! avatars
//!     .upload_with(
//!         "public/avatar2.png",
//!         UploadBody::file("./avatar2.png"),
//!         FileOptions::new().cache_control("3600").upsert(true),
//!     )
//!     .await?;
//! let bytes = avatars.download("public/avatar1.png").await?;
//! let url = avatars.create_signed_url("public/avatar1.png", 60).await?;
//! # let _ = (bytes, url);
//! # Ok(()) }
//! ```
//!
//! Requests carry the client's headers (`apikey`, and the user's access token once signed in),
//! so storage-api applies the row-level security policies of `storage.objects` to the caller.
//! Each request is bounded by the client's storage timeout
//! ([`ClientOptions::storage_client_timeout`](crate::ClientOptions::storage_client_timeout));
//! streamed transfers (files, readers, download streams) use it as an idle timeout instead, so
//! a large file is never cut off while it is making progress. Only `GET`/`HEAD` requests are
//! retried; uploads are sent once.
//!
//! The options types ([`BucketOptions`], [`FileOptions`], [`SearchOptions`], [`UrlOptions`],
//! [`TransformOptions`]) also deserialize from the reference's dicts, with storage-py's keys
//! (`{"cache-control": "3600", "upsert": "false"}`, `{"sortBy": {"column": "name", "order":
//! "desc"}}`, `{"download": true}`); unknown keys are refused with an error naming them.
//!
//! ```
//! use supabase_core::storage::FileOptions;
//!
//! let options: FileOptions =
//!     serde_json::from_value(serde_json::json!({"cache-control": "3600", "upsert": "true"}))
//!         .unwrap();
//! assert_eq!(options, FileOptions::new().cache_control("3600").upsert(true));
//! ```

#[cfg(feature = "blocking")]
mod blocking;
mod body;
mod error;
mod file;
mod json;
mod list_v2;
mod tus;
mod types;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, RawResponse};

#[cfg(feature = "blocking")]
pub use blocking::{BlockingFileApi, BlockingStorage};
/// What is percent-encoded in a storage path segment: what `Url` encodes in a segment of an
/// `http` URL (its `SPECIAL_PATH_SEGMENT` set), controls included. Encoding ourselves, rather
/// than through `PathSegmentsMut::push`, keeps tabs and newlines: the URL parser silently drops
/// raw ones, so `a\tb` would have named the object `ab` (found by the `storage_path` fuzz target).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'#')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%')
    .add(b'\\');

pub use body::{ByteStream, UploadBody};
pub use error::StorageError;
pub use file::{FileApi, ObjectPaths};
pub use list_v2::{
    SearchV2Folder, SearchV2Object, SearchV2Options, SearchV2Result, SortByV2, SortColumn,
};
pub use tus::{ResumableOptions, ResumableUpload};
pub use types::{
    Bucket, BucketOptions, Download, FileInfo, FileObject, FileOptions, FileSizeLimit, ImageFormat,
    IntoDownload, MessageResponse, Resize, SearchOptions, SignedUploadUrl, SignedUrlEntry, SortBy,
    SortOrder, TransformOptions, UploadResponse, UrlOptions,
};

/// The storage API of a [`Client`]: bucket management, and [`from_`](Self::from_) for the
/// objects of one bucket. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Storage {
    pub(crate) client: Client,
}

impl Storage {
    pub(crate) fn new(client: Client) -> Self {
        Storage { client }
    }

    /// The objects of `bucket`, as `supabase.storage.from_("avatars")`.
    #[doc(alias = "from")]
    pub fn from_(&self, bucket: impl Into<String>) -> FileApi {
        FileApi::new(self.clone(), bucket.into())
    }

    /// Creates a private bucket with no limits (`POST /bucket`), as `create_bucket("avatars")`.
    /// Returns its name, which is its id.
    pub async fn create_bucket(&self, id: &str) -> Result<String> {
        self.create_bucket_with(id, BucketOptions::new()).await
    }

    /// Creates a bucket with `options` (public, size limit, MIME types), as
    /// `create_bucket("avatars", options={...})`. Returns its name, which is its id.
    pub async fn create_bucket_with(&self, id: &str, options: BucketOptions) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Created {
            name: String,
        }
        let mut body = serde_json::to_value(&options).map_err(|e| Error::Encode(e.to_string()))?;
        body["id"] = id.into();
        body["name"] = id.into();
        let created: Created = self
            .json(Method::POST, self.url(&["bucket"])?, Some(body))
            .await?;
        Ok(created.name)
    }

    /// The bucket `id` (`GET /bucket/{id}`).
    pub async fn get_bucket(&self, id: &str) -> Result<Bucket> {
        self.json(Method::GET, self.url(&["bucket", id])?, None)
            .await
    }

    /// Every bucket the caller can see (`GET /bucket`).
    pub async fn list_buckets(&self) -> Result<Vec<Bucket>> {
        self.json(Method::GET, self.url(&["bucket"])?, None).await
    }

    /// Changes a bucket's settings (`PUT /bucket/{id}`). Settings left out of `options` keep
    /// their value.
    pub async fn update_bucket(&self, id: &str, options: BucketOptions) -> Result<MessageResponse> {
        let mut body = serde_json::to_value(&options).map_err(|e| Error::Encode(e.to_string()))?;
        body["id"] = id.into();
        body["name"] = id.into();
        self.json(Method::PUT, self.url(&["bucket", id])?, Some(body))
            .await
    }

    /// Deletes an empty bucket (`DELETE /bucket/{id}`); a bucket with objects gives a
    /// `409`-status [`StorageError`]: [`empty_bucket`](Self::empty_bucket) first.
    pub async fn delete_bucket(&self, id: &str) -> Result<MessageResponse> {
        self.json(Method::DELETE, self.url(&["bucket", id])?, None)
            .await
    }

    /// Removes every object of a bucket (`POST /bucket/{id}/empty`).
    pub async fn empty_bucket(&self, id: &str) -> Result<MessageResponse> {
        self.json(
            Method::POST,
            self.url(&["bucket", id, "empty"])?,
            Some(serde_json::json!({})),
        )
        .await
    }

    /// `<project>/storage/v1/<segments…>`, each segment percent-encoded. A `.` or `..` segment
    /// (a bucket id: object paths are cleaned before) is refused: URL normalisation would drop
    /// it or climb out of the route, sending the request to another endpoint or bucket.
    pub(crate) fn url(&self, segments: &[&str]) -> Result<Url> {
        if let Some(bad) = segments.iter().find(|s| **s == "." || **s == "..") {
            return Err(Error::config(format!(
                "invalid storage name `{bad}`: `.` and `..` are not allowed"
            )));
        }
        let mut url = self.client.service_url("storage/v1/")?;
        if url.cannot_be_a_base() {
            return Err(Error::config("the Supabase URL cannot have a path"));
        }
        let mut path = url.path().trim_end_matches('/').to_owned();
        for s in segments {
            path.push('/');
            path.extend(utf8_percent_encode(s, SEGMENT));
        }
        url.set_path(&path);
        Ok(url)
    }

    /// `url` + `bucket/<object path split on '/'>`.
    pub(crate) fn object_url(&self, prefix: &[&str], bucket: &str, path: &str) -> Result<Url> {
        let mut segments: Vec<&str> = prefix.to_vec();
        segments.push(bucket);
        segments.extend(path.split('/'));
        self.url(&segments)
    }

    /// A request with the client's headers and the storage timeout.
    pub(crate) fn request(&self, method: Method, url: Url, body: Option<Bytes>) -> HttpRequest {
        let mut headers: HeaderMap = self.client.base_headers();
        if body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        HttpRequest {
            method,
            url,
            headers,
            body,
            timeout: self.client.inner.options.storage_client_timeout,
            retry: true,
        }
    }

    /// Sends a request, returning the response when it succeeded and a [`StorageError`]
    /// otherwise.
    pub(crate) async fn send(&self, req: HttpRequest) -> Result<RawResponse> {
        self.send_with(req, true).await
    }

    /// [`Storage::send`] without the client's response size limit: for an object the caller
    /// downloads into memory on purpose.
    pub(crate) async fn send_unlimited(&self, req: HttpRequest) -> Result<RawResponse> {
        self.send_with(req, false).await
    }

    async fn send_with(&self, mut req: HttpRequest, limited: bool) -> Result<RawResponse> {
        self.client.refresh_authorization(&mut req.headers).await?;
        let transport = &self.client.inner.transport;
        let resp = if limited {
            transport.send(req).await?
        } else {
            transport.send_unlimited(req).await?
        };
        if resp.status.is_success() {
            Ok(resp)
        } else {
            Err(Error::Storage(StorageError::from_body(
                resp.status,
                &resp.body,
            )))
        }
    }

    /// Sends a JSON request and decodes the JSON answer.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<serde_json::Value>,
    ) -> Result<T> {
        let body = body
            .map(|b| serde_json::to_vec(&b).map(Bytes::from))
            .transpose()
            .map_err(|e| Error::Encode(e.to_string()))?;
        let resp = self.send(self.request(method, url, body)).await?;
        decode(resp.status, &resp.body)
    }
}

/// Decodes a JSON body, naming the path that failed.
pub(crate) fn decode<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| Error::Decode {
        status,
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// The object path as storage-js sends it: no leading/trailing `/`, no empty segments.
/// Empty paths and `.`/`..` segments are refused before anything is sent.
pub(crate) fn clean_path(path: &str) -> Result<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Err(Error::config(format!(
            "invalid object path `{path}`: it is empty"
        )));
    }
    if let Some(bad) = segments.iter().find(|s| **s == "." || **s == "..") {
        return Err(Error::config(format!(
            "invalid object path `{path}`: `{bad}` segments are not allowed"
        )));
    }
    Ok(segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_and_dot_segments_refused() {
        assert_eq!(clean_path("/a//b/c.png/").unwrap(), "a/b/c.png");
        assert!(matches!(clean_path(""), Err(Error::Config(_))));
        assert!(matches!(clean_path("//"), Err(Error::Config(_))));
        assert!(matches!(clean_path("a/../b"), Err(Error::Config(_))));
        assert!(matches!(clean_path("./b"), Err(Error::Config(_))));
        assert_eq!(clean_path("a/..b/c").unwrap(), "a/..b/c");
    }

    #[test]
    fn dot_bucket_ids_are_refused_not_normalised_away() {
        // Found by the `storage_path` fuzz target: `Url` drops a `.` segment and pops the one
        // before for `..`, so bucket `..` addressed `/storage/v1/object/<path>`.
        let c = crate::create_client("http://localhost:1", "k").unwrap();
        for bucket in [".", ".."] {
            let err = c
                .storage()
                .object_url(&["object"], bucket, "secret.txt")
                .unwrap_err();
            assert!(matches!(err, Error::Config(_)), "{bucket}: {err:?}");
            assert!(c.storage().url(&["bucket", bucket]).is_err());
        }
        assert!(c.storage().object_url(&["object"], "..b", "a").is_ok());
    }

    #[test]
    fn control_characters_are_encoded_not_dropped() {
        // Found by the `storage_path` fuzz target: `Url` strips raw tabs and newlines.
        let c = crate::create_client("http://localhost:1", "k").unwrap();
        let url = c
            .storage()
            .object_url(&["object"], "b", "tab\there/new\nline\r/%2e%2e/a\\b")
            .unwrap();
        assert_eq!(
            url.path(),
            "/storage/v1/object/b/tab%09here/new%0Aline%0D/%252e%252e/a%5Cb"
        );
        let base = c.storage().url(&["upload", "resumable", ""]).unwrap();
        assert_eq!(base.path(), "/storage/v1/upload/resumable/");
        assert_eq!(c.storage().url(&[]).unwrap().path(), "/storage/v1");
    }

    #[test]
    fn urls_encode_each_segment() {
        let c = crate::create_client("http://localhost:1", "k").unwrap();
        let url = c
            .storage()
            .object_url(&["object"], "my bucket", "a b/ü?#.png")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "http://localhost:1/storage/v1/object/my%20bucket/a%20b/%C3%BC%3F%23.png"
        );
    }
}
