//! Request options and response types of the storage API, shaped like storage-js'
//! `lib/types.ts` and storage-api's route schemas.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A bucket, as `GET /bucket/{id}` answers (storage-api `routes/bucket/getBucket.ts`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Bucket {
    /// The bucket id (equal to its name).
    pub id: String,
    /// The bucket name.
    pub name: String,
    /// The user who created it, when a user did.
    #[serde(default)]
    pub owner: Option<String>,
    /// Whether objects can be read without a token through public URLs.
    #[serde(default)]
    pub public: bool,
    /// Largest object size in bytes, if limited.
    #[serde(default)]
    pub file_size_limit: Option<u64>,
    /// Mime types objects may have (`image/*` wildcards allowed), if limited.
    #[serde(default)]
    pub allowed_mime_types: Option<Vec<String>>,
    /// Creation time (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update time (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// A file size limit: bytes, or a string storage-api parses (`"20MB"`, `"1GB"`, `"512KB"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FileSizeLimit {
    /// A number of bytes.
    Bytes(u64),
    /// A size with a unit, parsed by the server.
    Text(String),
}

impl From<u64> for FileSizeLimit {
    fn from(value: u64) -> Self {
        FileSizeLimit::Bytes(value)
    }
}

impl From<&str> for FileSizeLimit {
    fn from(value: &str) -> Self {
        FileSizeLimit::Text(value.to_owned())
    }
}

/// Options of `create_bucket` and `update_bucket`, as the reference's `options` dict.
///
/// ```
/// use supabase_core::storage::BucketOptions;
/// let options = BucketOptions::new()
///     .public(false)
///     .allowed_mime_types(["image/png"])
///     .file_size_limit(1024);
/// # let _ = options;
/// ```
///
/// A limit left out is not sent (an update keeps the bucket's); one removed
/// ([`remove_file_size_limit`](Self::remove_file_size_limit), or `null` in the dict) is sent as
/// `null`, which clears it, as supabase-js's `fileSizeLimit: null` does.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) public: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub(crate) allowed_mime_types: Option<Option<Vec<String>>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub(crate) file_size_limit: Option<Option<FileSizeLimit>>,
}

/// A field that is there, `null` included (`Some(None)`); a missing one stays `None`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

impl BucketOptions {
    /// No options: a private bucket without limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the bucket is public.
    pub fn public(mut self, public: bool) -> Self {
        self.public = Some(public);
        self
    }

    /// Mime types objects may have (`image/*` wildcards allowed).
    pub fn allowed_mime_types<S: Into<String>>(
        mut self,
        types: impl IntoIterator<Item = S>,
    ) -> Self {
        self.allowed_mime_types = Some(Some(types.into_iter().map(Into::into).collect()));
        self
    }

    /// Any mime type: sent as `null`, which clears the bucket's list on update.
    pub fn remove_allowed_mime_types(mut self) -> Self {
        self.allowed_mime_types = Some(None);
        self
    }

    /// Largest object size: bytes, or a string such as `"20MB"`.
    pub fn file_size_limit(mut self, limit: impl Into<FileSizeLimit>) -> Self {
        self.file_size_limit = Some(Some(limit.into()));
        self
    }

    /// No size limit of the bucket's own (the global one still applies): sent as `null`,
    /// which clears the bucket's limit on update.
    pub fn remove_file_size_limit(mut self) -> Self {
        self.file_size_limit = Some(None);
        self
    }
}

/// A `{ "message": … }` answer (update, delete and empty bucket, move).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MessageResponse {
    /// The server's message, e.g. `Successfully deleted`.
    pub message: String,
}

/// Options of an upload, as the reference's `file_options`.
///
/// The content type is guessed from the path's extension when not given
/// (`application/octet-stream` when unknown).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "super::json::FileOptionsJson")]
pub struct FileOptions {
    pub(crate) cache_control: String,
    pub(crate) content_type: Option<String>,
    pub(crate) upsert: bool,
    pub(crate) metadata: Option<Value>,
    pub(crate) multipart: bool,
    pub(crate) headers: ExtraHeaders,
}

/// The headers of [`FileOptions::header`], in order; `Debug` shows their names only (a value
/// may be a credential).
#[derive(Clone, Default, PartialEq)]
pub(crate) struct ExtraHeaders(Vec<(String, String)>);

impl ExtraHeaders {
    pub(crate) fn push(&mut self, name: String, value: String) {
        self.0.push((name, value));
    }

    /// Whether one of them is `name` (any case).
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// Sets each on `headers`, over what was there; an invalid name or value is
    /// [`Error::Config`](crate::Error::Config).
    pub(crate) fn apply(&self, headers: &mut http::HeaderMap) -> crate::Result<()> {
        for (name, value) in &self.0 {
            let name = http::HeaderName::try_from(name.as_str())
                .map_err(|_| crate::Error::config(format!("invalid header name `{name}`")))?;
            crate::http::set_header(headers, name, value)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for ExtraHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

impl Default for FileOptions {
    fn default() -> Self {
        FileOptions {
            // storage-js' DEFAULT_FILE_OPTIONS.
            cache_control: "3600".to_owned(),
            content_type: None,
            upsert: false,
            metadata: None,
            multipart: false,
            headers: ExtraHeaders::default(),
        }
    }
}

impl FileOptions {
    /// The defaults: cache for 3600 s, no upsert, content type from the extension.
    pub fn new() -> Self {
        Self::default()
    }

    /// `Cache-Control: max-age=<seconds>` served with the object (a number of seconds, as
    /// the reference's `"cache-control": "3600"`).
    pub fn cache_control(mut self, seconds: impl Into<String>) -> Self {
        self.cache_control = seconds.into();
        self
    }

    /// The object's content type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// Overwrite an existing object instead of failing with `409 Duplicate`.
    pub fn upsert(mut self, upsert: bool) -> Self {
        self.upsert = upsert;
        self
    }

    /// Custom metadata stored with the object (`user_metadata`).
    pub fn metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// A header sent with the upload (for a resumable upload, with each of its requests),
    /// over the ones these options compute: storage-py's `file_options["headers"]`. An
    /// invalid name or value fails the upload with [`Error::Config`](crate::Error::Config)
    /// before anything is sent. `Debug` shows the names only.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(name.into(), value.into());
        self
    }

    /// Send the upload as `multipart/form-data`, the way storage-js sends a `Blob` or `File`:
    /// a `cacheControl` field, a `metadata` field (when set), then the bytes as a file part
    /// whose `Content-Type` is the object's. The default is the raw body with `Cache-Control`,
    /// `Content-Type` and `x-metadata` headers (what storage-js does for other bodies). Both
    /// stream; storage-api accepts either on the same routes.
    pub fn multipart(mut self, multipart: bool) -> Self {
        self.multipart = multipart;
        self
    }
}

/// What an upload answers: the object id, its path in the bucket and its `bucket/path` key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadResponse {
    /// The object id (`storage.objects.id`), when the server returned it.
    pub id: Option<String>,
    /// The path inside the bucket.
    pub path: String,
    /// `bucket/path`.
    pub full_path: String,
}

/// Sort order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Ascending (the default).
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// A listing's sort: a column (`name`, `updated_at`, `created_at`, `last_accessed_at`) and an
/// order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SortBy {
    /// The column.
    pub column: String,
    /// The order.
    pub order: SortOrder,
}

/// Options of `list`, as the reference's `{"limit", "offset", "sortBy", "search"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "super::json::SearchOptionsJson")]
pub struct SearchOptions {
    pub(crate) limit: u32,
    pub(crate) offset: u32,
    #[serde(rename = "sortBy")]
    pub(crate) sort_by: SortBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) search: Option<String>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        // storage-js' DEFAULT_SEARCH_OPTIONS.
        SearchOptions {
            limit: 100,
            offset: 0,
            sort_by: SortBy {
                column: "name".to_owned(),
                order: SortOrder::Asc,
            },
            search: None,
        }
    }
}

impl SearchOptions {
    /// The defaults: 100 entries from offset 0, by name ascending.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many entries.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Skip this many entries.
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = offset;
        self
    }

    /// Sort by `column` in `order`.
    pub fn sort_by(mut self, column: impl Into<String>, order: SortOrder) -> Self {
        self.sort_by = SortBy {
            column: column.into(),
            order,
        };
        self
    }

    /// Only entries whose name (below the prefix) starts with this text, case-insensitively
    /// (storage-api's `search` function: `ILIKE prefix || search || '%'`).
    pub fn search(mut self, text: impl Into<String>) -> Self {
        self.search = Some(text.into());
        self
    }
}

/// An entry of a listing, or a removed object.
///
/// Folders have no `id` and no `metadata`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FileObject {
    /// Name relative to the listed prefix (listings) or full path (removals).
    pub name: String,
    /// Object id; `None` for a folder.
    #[serde(default)]
    pub id: Option<String>,
    /// The bucket, when the server includes it.
    #[serde(default)]
    pub bucket_id: Option<String>,
    /// Last update (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Creation (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last access (ISO 8601).
    #[serde(default)]
    pub last_accessed_at: Option<String>,
    /// `size`, `mimetype`, `eTag`, `cacheControl`, `lastModified`, … ; `None` for a folder.
    #[serde(default)]
    pub metadata: Option<Value>,
}

impl FileObject {
    /// Whether this entry is a folder (a common prefix rather than an object).
    pub fn is_folder(&self) -> bool {
        self.id.is_none()
    }
}

/// What `info` answers about one object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct FileInfo {
    /// Object id.
    pub id: String,
    /// Full path in the bucket.
    pub name: String,
    /// The bucket (storage-api versions that do not select it leave it out).
    #[serde(default)]
    pub bucket_id: Option<String>,
    /// Version id of the stored bytes.
    #[serde(default)]
    pub version: Option<String>,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Content type.
    #[serde(default)]
    pub content_type: Option<String>,
    /// `Cache-Control` served with it.
    #[serde(default)]
    pub cache_control: Option<String>,
    /// Entity tag.
    #[serde(default)]
    pub etag: Option<String>,
    /// Custom metadata given at upload.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Last modification (ISO 8601).
    #[serde(default)]
    pub last_modified: Option<String>,
    /// Creation (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
}

/// How an image is fitted into `width` × `height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resize {
    /// Crop to fill the box (default).
    Cover,
    /// Fit inside the box, keeping the aspect ratio.
    Contain,
    /// Stretch to the box.
    Fill,
}

/// Output format of a transformed image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// Keep the original format (no automatic WebP/AVIF).
    Origin,
    /// AVIF.
    Avif,
    /// WebP.
    Webp,
}

/// Image transformation options (storage-js `TransformOptions`), served by
/// `/render/image/...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformOptions {
    /// Width in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// Height in pixels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Resize mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resize: Option<Resize>,
    /// Output format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<ImageFormat>,
    /// Quality, 20 to 100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
}

impl TransformOptions {
    /// No transformation parameters yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Width in pixels.
    pub fn width(mut self, width: u32) -> Self {
        self.width = Some(width);
        self
    }

    /// Height in pixels.
    pub fn height(mut self, height: u32) -> Self {
        self.height = Some(height);
        self
    }

    /// Resize mode.
    pub fn resize(mut self, resize: Resize) -> Self {
        self.resize = Some(resize);
        self
    }

    /// Output format.
    pub fn format(mut self, format: ImageFormat) -> Self {
        self.format = Some(format);
        self
    }

    /// Quality, 20 to 100.
    pub fn quality(mut self, quality: u8) -> Self {
        self.quality = Some(quality);
        self
    }

    /// The query string storage-js sends (`width=100&height=100&quality=80`), in its order.
    /// A zero width, height or quality is left out, as storage-js leaves out falsy values.
    pub(crate) fn query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if let Some(w) = self.width.filter(|&w| w > 0) {
            q.push(("width", w.to_string()));
        }
        if let Some(h) = self.height.filter(|&h| h > 0) {
            q.push(("height", h.to_string()));
        }
        if let Some(r) = self.resize {
            q.push(("resize", enum_text(&r)));
        }
        if let Some(f) = self.format {
            q.push(("format", enum_text(&f)));
        }
        if let Some(quality) = self.quality.filter(|&q| q > 0) {
            q.push(("quality", quality.to_string()));
        }
        q
    }
}

fn enum_text<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Whether a URL makes the browser download the object: `download=` (keep the name) or
/// `download=<file name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download {
    /// Download under the object's own name.
    Yes,
    /// Download under this file name.
    As(String),
}

/// What [`UrlOptions::download`] takes: `true` or `false`, a file name, or a [`Download`].
pub trait IntoDownload {
    /// The download this asks for, or `None` for none.
    fn into_download(self) -> Option<Download>;
}

impl IntoDownload for bool {
    fn into_download(self) -> Option<Download> {
        self.then_some(Download::Yes)
    }
}

/// A file name; `""` asks for no download, as storage-js reads it.
impl IntoDownload for &str {
    fn into_download(self) -> Option<Download> {
        (!self.is_empty()).then(|| Download::As(self.to_owned()))
    }
}

impl IntoDownload for &String {
    fn into_download(self) -> Option<Download> {
        self.as_str().into_download()
    }
}

impl IntoDownload for String {
    fn into_download(self) -> Option<Download> {
        (!self.is_empty()).then_some(Download::As(self))
    }
}

impl IntoDownload for Download {
    fn into_download(self) -> Option<Download> {
        Some(self)
    }
}

/// Options of `get_public_url`, `create_signed_url` and `download`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "super::json::UrlOptionsJson")]
pub struct UrlOptions {
    pub(crate) download: Option<Download>,
    pub(crate) transform: Option<TransformOptions>,
}

impl UrlOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve as a download (`download(true)` or `download("name.png")`); `download(false)`
    /// serves the object inline, as without this call.
    pub fn download(mut self, download: impl IntoDownload) -> Self {
        self.download = download.into_download();
        self
    }

    /// Transform the image before serving it. Options with nothing set ask for no
    /// transformation: the object is served as it is, from `/object/…` (storage-js takes
    /// the render route only for a transform with a key in it).
    pub fn transform(mut self, transform: TransformOptions) -> Self {
        self.transform = (transform != TransformOptions::default()).then_some(transform);
        self
    }
}

/// One entry of `create_signed_urls`: the URL, or why there is none.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedUrlEntry {
    /// The path asked for.
    pub path: Option<String>,
    /// The full signed URL, when the object exists and the caller may read it.
    pub signed_url: Option<String>,
    /// Why there is no URL.
    pub error: Option<String>,
}

impl std::fmt::Debug for SignedUrlEntry {
    // The URL is the caller's to share, but not through logs: its query carries the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self
            .signed_url
            .as_deref()
            .map(|url| match url.split_once('?') {
                Some((before, _)) => format!("{before}?[redacted]"),
                None => url.to_owned(),
            });
        f.debug_struct("SignedUrlEntry")
            .field("path", &self.path)
            .field("signed_url", &url)
            .field("error", &self.error)
            .finish()
    }
}

/// A signed upload URL from `create_signed_upload_url`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignedUploadUrl {
    /// The full URL (its `token` query parameter included).
    pub signed_url: crate::Secret,
    /// The token to pass to `upload_to_signed_url`.
    pub token: crate::Secret,
    /// The path inside the bucket.
    pub path: String,
}

impl std::fmt::Debug for SignedUploadUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedUploadUrl")
            .field("signed_url", &self.signed_url)
            .field("token", &self.token)
            .field("path", &self.path)
            .finish()
    }
}
