//! Resumable uploads over TUS 1.0.0, as storage-api serves them at `/upload/resumable`
//! (`src/http/routes/tus/`): `POST` creates an upload (its metadata base64-encoded in
//! `Upload-Metadata`), `PATCH` appends bytes at `Upload-Offset`, `HEAD` tells how many bytes
//! the server has. A transfer cut off midway is resumed from the server's offset: the server
//! refuses a `PATCH` whose offset is not its own (`409`), so no byte is ever written twice.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
use url::Url;

use super::body::{Progress, UploadBody};
use super::file::{FileApi, transport_error};
use super::types::{ExtraHeaders, FileOptions, UploadResponse};
use super::{StorageError, clean_path};
use crate::error::{Error, Result};
use crate::http::read_capped;
use crate::secret::Secret;

const TUS_VERSION: &str = "1.0.0";

/// Options of a resumable upload.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumableOptions {
    pub(crate) chunk_size: u64,
    pub(crate) max_resumes: u32,
    pub(crate) file: FileOptions,
}

impl Default for ResumableOptions {
    fn default() -> Self {
        ResumableOptions {
            // Supabase asks TUS clients for 6 MiB chunks.
            chunk_size: 6 * 1024 * 1024,
            max_resumes: 3,
            file: FileOptions::default(),
        }
    }
}

impl ResumableOptions {
    /// 6 MiB chunks, 3 resumes after failures, default [`FileOptions`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes per `PATCH` request (at least 1).
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = bytes.max(1);
        self
    }

    /// How many times a failed chunk is resumed from the server's offset before giving up.
    pub fn max_resumes(mut self, n: u32) -> Self {
        self.max_resumes = n;
        self
    }

    /// Content type, cache control, upsert and metadata of the object.
    pub fn file_options(mut self, options: FileOptions) -> Self {
        self.file = options;
        self
    }
}

/// An upload created on the server, which can be continued from wherever it stopped — by
/// this process or, given its [`url`](Self::url), another one.
#[derive(Debug, Clone)]
pub struct ResumableUpload {
    api: FileApi,
    url: Url,
    path: String,
    length: u64,
    /// The signed upload token sent as `x-signature` (uploads to a signed upload URL).
    signature: Option<Secret>,
    /// The caller's own headers ([`FileOptions::header`]), sent with every request of the
    /// upload, as tus-js-client sends its `headers`: a given `Authorization` wins on each.
    headers: ExtraHeaders,
}

impl FileApi {
    /// Uploads a file through the resumable endpoint in chunks, resuming from the server's
    /// offset after a failed chunk (up to `max_resumes` times).
    pub async fn upload_resumable(
        &self,
        path: &str,
        file: impl AsRef<Path>,
        options: ResumableOptions,
    ) -> Result<UploadResponse> {
        let file = file.as_ref();
        let length = tokio::fs::metadata(file)
            .await
            .map_err(|e| Error::config(format!("cannot stat `{}`: {e}", file.display())))?
            .len();
        let mut file_options = options.file.clone();
        if file_options.content_type.is_none() {
            file_options.content_type = mime_guess::from_path(file).first().map(|m| m.to_string());
        }
        let upload = self
            .create_resumable_upload(path, length, file_options)
            .await?;
        upload.upload_file(file, &options).await
    }

    /// [`upload_resumable`](Self::upload_resumable) to a signed upload URL: `token` comes from
    /// [`create_signed_upload_url`](Self::create_signed_upload_url), no other credentials are
    /// needed, and its owner and upsert setting apply (storage-api's
    /// `/upload/resumable/sign` with `x-signature`).
    pub async fn upload_resumable_to_signed_url(
        &self,
        path: &str,
        token: &str,
        file: impl AsRef<Path>,
        options: ResumableOptions,
    ) -> Result<UploadResponse> {
        let file = file.as_ref();
        let length = tokio::fs::metadata(file)
            .await
            .map_err(|e| Error::config(format!("cannot stat `{}`: {e}", file.display())))?
            .len();
        let mut file_options = options.file.clone();
        if file_options.content_type.is_none() {
            file_options.content_type = mime_guess::from_path(file).first().map(|m| m.to_string());
        }
        let upload = self
            .create_resumable_upload_to_signed_url(path, token, length, file_options)
            .await?;
        upload.upload_file(file, &options).await
    }

    /// Creates a resumable upload of `length` bytes at `path` (`POST /upload/resumable`).
    pub async fn create_resumable_upload(
        &self,
        path: &str,
        length: u64,
        options: FileOptions,
    ) -> Result<ResumableUpload> {
        self.create_tus(path, length, options, None).await
    }

    /// Creates a resumable upload with a signed upload token
    /// (`POST /upload/resumable/sign`, `x-signature: <token>`). The token's `upsert` applies,
    /// not `options.upsert`.
    pub async fn create_resumable_upload_to_signed_url(
        &self,
        path: &str,
        token: &str,
        length: u64,
        options: FileOptions,
    ) -> Result<ResumableUpload> {
        self.create_tus(path, length, options, Some(Secret::new(token.to_owned())))
            .await
    }

    async fn create_tus(
        &self,
        path: &str,
        length: u64,
        options: FileOptions,
        signature: Option<Secret>,
    ) -> Result<ResumableUpload> {
        let path = clean_path(path)?;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let content_type = options
            .content_type
            .clone()
            .or_else(|| mime_guess::from_path(&path).first().map(|m| m.to_string()))
            .unwrap_or_else(|| "application/octet-stream".to_owned());
        let mut metadata = vec![
            format!("bucketName {}", b64(&self.bucket)),
            format!("objectName {}", b64(&path)),
            format!("contentType {}", b64(&content_type)),
            format!("cacheControl {}", b64(&options.cache_control)),
        ];
        if let Some(md) = &options.metadata {
            metadata.push(format!("metadata {}", b64(&md.to_string())));
        }
        let mut headers = self
            .tus_headers(signature.as_ref(), &options.headers)
            .await?;
        set(&mut headers, "upload-length", &length.to_string())?;
        set(&mut headers, "upload-metadata", &metadata.join(","))?;
        set(
            &mut headers,
            "x-upsert",
            if options.upsert { "true" } else { "false" },
        )?;
        let url = match signature {
            Some(_) => self.storage.url(&["upload", "resumable", "sign"])?,
            None => self.storage.url(&["upload", "resumable"])?,
        };
        let mut req = self.storage.request(Method::POST, url, None);
        req.headers = headers;
        let resp = self.storage.client.inner.transport.send(req).await?;
        if resp.status != StatusCode::CREATED {
            return Err(Error::Storage(StorageError::from_tus(
                resp.status,
                &resp.body,
            )));
        }
        let location = resp
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Error::Decode {
                status: resp.status,
                path: "Location".into(),
                message: "the server created an upload but sent no Location".into(),
            })?;
        let base = self.storage.url(&["upload", "resumable", ""])?;
        let url = base.join(location).map_err(|e| Error::Decode {
            status: resp.status,
            path: "Location".into(),
            message: format!("invalid upload URL `{location}`: {e}"),
        })?;
        // Every later request carries the API key and the caller's token (and a signed
        // upload's `x-signature`): never to a host the server names, as redirects never are.
        // A server behind a TLS terminator may name its own host over http: that is taken as
        // https, which is how the client reached it.
        let mut url = url;
        if url.scheme() == "http"
            && base.scheme() == "https"
            && url.host() == base.host()
            && url.port_or_known_default() == Some(80)
        {
            let _ = url.set_scheme("https");
            let _ = url.set_port(base.port());
        }
        if url.origin() != base.origin() {
            return Err(Error::Decode {
                status: resp.status,
                path: "Location".into(),
                message: format!(
                    "the upload URL's origin `{}` is not the storage URL's `{}`",
                    url.origin().ascii_serialization(),
                    base.origin().ascii_serialization()
                ),
            });
        }
        // storage-api checks each PATCH with its own `x-upsert` (`onIncomingRequest`), as
        // tus-js-client sends its `headers` with every request: without it, a chunk replacing
        // an existing object is refused (409).
        let mut headers = options.headers;
        if options.upsert {
            headers.push("x-upsert".to_owned(), "true".to_owned());
        }
        Ok(ResumableUpload {
            api: self.clone(),
            url,
            path,
            length,
            signature,
            headers,
        })
    }

    /// An upload created earlier (by [`create_resumable_upload`](Self::create_resumable_upload),
    /// possibly in another process), to continue it. The headers it was created with are not
    /// known here: give them again with [`ResumableUpload::header`] (the user's
    /// `Authorization`, and `x-upsert: true` for an upload that replaces an object).
    pub fn resumable_upload_at(
        &self,
        url: &str,
        path: &str,
        length: u64,
    ) -> Result<ResumableUpload> {
        let url = Url::parse(url).map_err(|e| Error::config(format!("invalid upload URL: {e}")))?;
        Ok(ResumableUpload {
            api: self.clone(),
            url,
            path: clean_path(path)?,
            length,
            signature: None,
            headers: ExtraHeaders::default(),
        })
    }

    /// An upload created by
    /// [`create_resumable_upload_to_signed_url`](Self::create_resumable_upload_to_signed_url),
    /// to continue it with the same token.
    pub fn signed_resumable_upload_at(
        &self,
        url: &str,
        path: &str,
        length: u64,
        token: &str,
    ) -> Result<ResumableUpload> {
        let mut upload = self.resumable_upload_at(url, path, length)?;
        upload.signature = Some(Secret::new(token.to_owned()));
        Ok(upload)
    }

    /// The headers of every request of an upload: the client's and its current token (refreshed
    /// when about to expire), then the caller's own over them (an `Authorization` too, as
    /// storage-js merges them), then the protocol's: the TUS version and a signed upload's
    /// `x-signature`.
    async fn tus_headers(
        &self,
        signature: Option<&Secret>,
        own: &ExtraHeaders,
    ) -> Result<HeaderMap> {
        let mut headers = self.storage.client.base_headers();
        // A caller's own `Authorization` replaces the client's token: no refresh for it.
        if !own.has(http::header::AUTHORIZATION.as_str()) {
            self.storage
                .client
                .refresh_authorization(&mut headers)
                .await?;
        }
        own.apply(&mut headers)?;
        set(&mut headers, "tus-resumable", TUS_VERSION)?;
        if let Some(token) = signature {
            let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
                Error::config("the signed upload token is not a valid header value")
            })?;
            value.set_sensitive(true);
            headers.insert(HeaderName::from_static("x-signature"), value);
        }
        Ok(headers)
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) -> Result<()> {
    crate::http::set_header(headers, HeaderName::from_static(name), value)
}

impl ResumableUpload {
    /// A header sent with each later request of this upload (its chunks and offset checks),
    /// over the ones the client computes, as [`FileOptions::header`] is for an upload this
    /// process created: for an upload continued with
    /// [`resumable_upload_at`](FileApi::resumable_upload_at), the `Authorization` of
    /// the user it belongs to. The TUS protocol's own headers are set after it. An invalid name
    /// or value fails the next request with [`Error::Config`]. `Debug` shows the names only.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push(name.into(), value.into());
        self
    }

    /// The upload's URL on the server.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The object's total length in bytes.
    pub fn length(&self) -> u64 {
        self.length
    }

    /// How many bytes the server has (`HEAD`, `Upload-Offset`).
    pub async fn offset(&self) -> Result<u64> {
        let mut req = self
            .api
            .storage
            .request(Method::HEAD, self.url.clone(), None);
        req.headers = self
            .api
            .tus_headers(self.signature.as_ref(), &self.headers)
            .await?;
        let resp = self.api.storage.client.inner.transport.send(req).await?;
        if !resp.status.is_success() {
            return Err(Error::Storage(StorageError::from_tus(
                resp.status,
                &resp.body,
            )));
        }
        let offset = upload_offset(resp.status, &resp.headers)?;
        // An offset past the end would end `upload_file` as if the upload were complete.
        if offset > self.length {
            return Err(offset_error(
                resp.status,
                format!(
                    "Upload-Offset {offset} is past the upload's length {}",
                    self.length
                ),
            ));
        }
        Ok(offset)
    }

    /// Sends `body` (exactly `length` bytes) at `offset` (`PATCH`), streamed. Returns the
    /// server's new offset. Never retried: after a failure, ask [`offset`](Self::offset).
    pub async fn upload_chunk(&self, offset: u64, body: UploadBody, length: u64) -> Result<u64> {
        let mut headers = self
            .api
            .tus_headers(self.signature.as_ref(), &self.headers)
            .await?;
        set(&mut headers, "upload-offset", &offset.to_string())?;
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/offset+octet-stream"),
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        headers.remove(CACHE_CONTROL);
        let timeout: Option<Duration> =
            self.api.storage.client.inner.options.storage_client_timeout;
        let progress = Progress::new();
        let (body, _) = body.into_reqwest(&progress).await?;
        let transport = &self.api.storage.client.inner.transport;
        let request = transport
            .client()
            .patch(self.url.clone())
            .headers(headers)
            .body(body);
        let limit = self.api.storage.client.inner.options.max_response_body;
        // Queued for a slot before the stall timeout starts.
        let slot = transport.streamed_slot().await;
        let (status, resp_headers, bytes) = progress
            .watch(timeout, async move {
                let resp = transport
                    .send_streamed(&slot, request)
                    .await
                    .map_err(transport_error)?;
                let status = resp.status();
                let headers = resp.headers().clone();
                let bytes = read_capped(resp, limit, transport_error).await?;
                Ok((status, headers, bytes))
            })
            .await?;
        if !status.is_success() {
            return Err(Error::Storage(StorageError::from_tus(status, &bytes)));
        }
        let new_offset = upload_offset(status, &resp_headers)?;
        // The server has at least one more byte and none it was not sent; anything else would
        // send the same chunk again forever, or skip bytes.
        let received = new_offset.checked_sub(offset);
        if !matches!(received, Some(n) if n <= length && (n > 0 || length == 0)) {
            return Err(offset_error(
                status,
                format!("Upload-Offset {new_offset} after sending {length} bytes at {offset}"),
            ));
        }
        Ok(new_offset)
    }

    /// Sends the rest of `file` from the server's current offset, chunk by chunk, resuming
    /// from the server's offset after a failed chunk (up to `options.max_resumes` times).
    /// Memory use is bounded by the stream buffers, not the chunk size.
    pub async fn upload_file(
        &self,
        file: impl AsRef<Path>,
        options: &ResumableOptions,
    ) -> Result<UploadResponse> {
        let file: PathBuf = file.as_ref().to_owned();
        let mut failures = 0;
        let mut offset = self.offset().await?;
        while offset < self.length {
            let len = options.chunk_size.min(self.length - offset);
            let chunk = async {
                let mut f = tokio::fs::File::open(&file)
                    .await
                    .map_err(|e| Error::config(format!("cannot open `{}`: {e}", file.display())))?;
                f.seek(std::io::SeekFrom::Start(offset))
                    .await
                    .map_err(|e| {
                        Error::config(format!("cannot seek in `{}`: {e}", file.display()))
                    })?;
                self.upload_chunk(offset, UploadBody::reader(f.take(len), Some(len)), len)
                    .await
            };
            match chunk.await {
                Ok(new_offset) => offset = new_offset,
                Err(e @ Error::Config(_)) => return Err(e),
                Err(e) => {
                    failures += 1;
                    if failures > options.max_resumes {
                        return Err(e);
                    }
                    tracing::debug!(error = %e, "resumable chunk failed; resuming from the server's offset");
                    offset = self.offset().await?;
                }
            }
        }
        Ok(UploadResponse {
            id: None,
            path: self.path.clone(),
            full_path: format!("{}/{}", self.api.bucket, self.path),
        })
    }
}

/// The `Upload-Offset` a TUS response reports.
fn upload_offset(status: StatusCode, headers: &HeaderMap) -> Result<u64> {
    headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok()?.trim().parse().ok())
        .ok_or_else(|| offset_error(status, "missing or invalid Upload-Offset header".into()))
}

fn offset_error(status: StatusCode, message: String) -> Error {
    Error::Decode {
        status,
        path: "Upload-Offset".into(),
        message,
    }
}
