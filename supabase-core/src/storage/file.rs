//! [`FileApi`]: the objects of one bucket (storage-js `StorageFileApi.ts`, storage-py
//! `_async/file_api.py`).

use base64::Engine as _;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::json;
use tracing::Instrument as _;
use url::Url;

use super::body::{ByteStream, Progress, UploadBody};
use super::types::{
    Download, FileInfo, FileObject, FileOptions, MessageResponse, SearchOptions, SignedUploadUrl,
    SignedUrlEntry, TransformOptions, UploadResponse, UrlOptions,
};
use super::{Storage, StorageError, clean_path, decode};
use crate::error::{Error, HttpError, Result};
use crate::http::read_capped;
use crate::secret::Secret;

/// What JavaScript's `encodeURI` leaves alone: storage-js passes signed URLs through it.
const ENCODE_URI: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b';')
    .remove(b',')
    .remove(b'/')
    .remove(b'?')
    .remove(b':')
    .remove(b'@')
    .remove(b'&')
    .remove(b'=')
    .remove(b'+')
    .remove(b'$')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'#')
    .remove(b'%');

/// The objects of one bucket, from [`Storage::from_`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct FileApi {
    pub(crate) storage: Storage,
    pub(crate) bucket: String,
}

impl FileApi {
    pub(crate) fn new(storage: Storage, bucket: String) -> Self {
        FileApi { storage, bucket }
    }

    /// The bucket's id.
    pub fn bucket_id(&self) -> &str {
        &self.bucket
    }

    /// Uploads a new object at `path` (`POST /object/{bucket}/{path}`); fails with a
    /// `409 Duplicate` [`StorageError`] when it exists (see [`upload_with`](Self::upload_with)
    /// for `upsert`, the content type and the cache control).
    ///
    /// The body streams: bytes, [`UploadBody::file`] or [`UploadBody::reader`]. Sent once:
    /// uploads are never retried.
    pub async fn upload(&self, path: &str, body: impl Into<UploadBody>) -> Result<UploadResponse> {
        self.upload_with(path, body, FileOptions::default()).await
    }

    /// [`upload`](Self::upload) with options; fails with a `409 Duplicate` [`StorageError`]
    /// when the object exists, unless `options.upsert(true)`.
    pub async fn upload_with(
        &self,
        path: &str,
        body: impl Into<UploadBody>,
        options: FileOptions,
    ) -> Result<UploadResponse> {
        let path = clean_path(path)?;
        let url = self.storage.object_url(&["object"], &self.bucket, &path)?;
        self.send_upload(Method::POST, url, &path, body.into(), &options)
            .await
    }

    /// Replaces the object at `path` (`PUT /object/{bucket}/{path}`). Storage writes it as an
    /// upsert whatever [`FileOptions::upsert`] says: an object that does not exist yet is
    /// created.
    /// Under RLS this takes INSERT, UPDATE and SELECT policies on `storage.objects`.
    pub async fn update(&self, path: &str, body: impl Into<UploadBody>) -> Result<UploadResponse> {
        self.update_with(path, body, FileOptions::default()).await
    }

    /// [`update`](Self::update) with options (content type, cache control, metadata).
    pub async fn update_with(
        &self,
        path: &str,
        body: impl Into<UploadBody>,
        options: FileOptions,
    ) -> Result<UploadResponse> {
        let path = clean_path(path)?;
        let url = self.storage.object_url(&["object"], &self.bucket, &path)?;
        self.send_upload(Method::PUT, url, &path, body.into(), &options)
            .await
    }

    /// Uploads with a token from [`create_signed_upload_url`](Self::create_signed_upload_url)
    /// (`PUT /object/upload/sign/{bucket}/{path}?token=…`); no other credentials needed.
    pub async fn upload_to_signed_url(
        &self,
        path: &str,
        token: &str,
        body: impl Into<UploadBody>,
    ) -> Result<UploadResponse> {
        self.upload_to_signed_url_with(path, token, body, FileOptions::default())
            .await
    }

    /// [`upload_to_signed_url`](Self::upload_to_signed_url) with options.
    pub async fn upload_to_signed_url_with(
        &self,
        path: &str,
        token: &str,
        body: impl Into<UploadBody>,
        options: FileOptions,
    ) -> Result<UploadResponse> {
        let path = clean_path(path)?;
        let mut url =
            self.storage
                .object_url(&["object", "upload", "sign"], &self.bucket, &path)?;
        url.query_pairs_mut().append_pair("token", token);
        self.send_upload(Method::PUT, url, &path, body.into(), &options)
            .await
    }

    async fn send_upload(
        &self,
        method: Method,
        url: Url,
        path: &str,
        body: UploadBody,
        options: &FileOptions,
    ) -> Result<UploadResponse> {
        let mut headers = self.upload_headers(path, &body, options)?;
        self.storage
            .client
            .refresh_authorization(&mut headers)
            .await?;
        // Last, so that they win, an `Authorization` too (as storage-js merges them).
        options.headers.apply(&mut headers)?;
        let timeout = self.storage.client.inner.options.storage_client_timeout;
        let progress = Progress::new();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let (body, length) = body.into_reqwest(&progress).await?;
        let transport = &self.storage.client.inner.transport;
        let http = transport.client();
        let request = if options.multipart {
            // storage-js `uploadOrUpdate` with a Blob: the options travel as form fields.
            for name in [CONTENT_TYPE, CACHE_CONTROL] {
                headers.remove(name);
            }
            headers.remove("x-metadata");
            let mut form =
                reqwest::multipart::Form::new().text("cacheControl", options.cache_control.clone());
            if let Some(metadata) = &options.metadata {
                form = form.text("metadata", metadata.to_string());
            }
            let part = match length {
                Some(length) => reqwest::multipart::Part::stream_with_length(body, length),
                None => reqwest::multipart::Part::stream(body),
            }
            .file_name("blob")
            .mime_str(&content_type)
            .map_err(|e| Error::config(format!("invalid content type `{content_type}`: {e}")))?;
            http.request(method.clone(), url.clone())
                .headers(headers)
                .multipart(form.part("", part))
        } else {
            if let Some(length) = length {
                headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
            }
            http.request(method.clone(), url.clone())
                .headers(headers)
                .body(body)
        };
        let span = tracing::debug_span!("supabase.storage.upload", %method, path = %url.path());
        let limit = self.storage.client.inner.options.max_response_body;
        // Queued for a slot before the stall timeout starts: a queued upload has not stalled.
        let slot = transport.streamed_slot().await;
        let (status, bytes) = progress
            .watch(
                timeout,
                async move {
                    let resp = transport
                        .send_streamed(&slot, request)
                        .await
                        .map_err(transport_error)?;
                    let status = resp.status();
                    let bytes = read_capped(resp, limit, transport_error).await?;
                    Ok((status, bytes))
                }
                .instrument(span),
            )
            .await?;
        if !status.is_success() {
            return Err(Error::Storage(StorageError::from_body(status, &bytes)));
        }
        #[derive(serde::Deserialize)]
        struct Uploaded {
            #[serde(rename = "Id", default)]
            id: Option<String>,
            #[serde(rename = "Key")]
            key: String,
        }
        let up: Uploaded = decode(status, &bytes)?;
        Ok(UploadResponse {
            id: up.id,
            path: path.to_owned(),
            full_path: up.key,
        })
    }

    fn upload_headers(
        &self,
        path: &str,
        body: &UploadBody,
        options: &FileOptions,
    ) -> Result<HeaderMap> {
        let mut headers = self.storage.client.base_headers();
        let content_type = match &options.content_type {
            Some(ct) => ct.clone(),
            None => body
                .file_name()
                .and_then(|p| mime_guess::from_path(p).first())
                .or_else(|| mime_guess::from_path(path).first())
                .map_or_else(|| "application/octet-stream".to_owned(), |m| m.to_string()),
        };
        let set = |headers: &mut HeaderMap, name: HeaderName, value: &str| {
            crate::http::set_header(headers, name, value)
        };
        set(&mut headers, CONTENT_TYPE, &content_type)?;
        set(
            &mut headers,
            CACHE_CONTROL,
            &format!("max-age={}", options.cache_control),
        )?;
        set(
            &mut headers,
            HeaderName::from_static("x-upsert"),
            if options.upsert { "true" } else { "false" },
        )?;
        if let Some(metadata) = &options.metadata {
            let json = serde_json::to_vec(metadata).map_err(|e| Error::Encode(e.to_string()))?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(json);
            set(
                &mut headers,
                HeaderName::from_static("x-metadata"),
                &encoded,
            )?;
        }
        Ok(headers)
    }

    /// Downloads an object into memory (`GET /object/{bucket}/{path}`). For large objects use
    /// [`download_stream`](Self::download_stream).
    pub async fn download(&self, path: &str) -> Result<Bytes> {
        self.download_with(path, UrlOptions::new()).await
    }

    /// [`download`](Self::download) with options: a `transform` goes through
    /// `/render/image/authenticated/…`.
    pub async fn download_with(&self, path: &str, options: UrlOptions) -> Result<Bytes> {
        let url = self.download_url(path, &options)?;
        let mut req = self.storage.request(Method::GET, url, None);
        req.headers.remove(CONTENT_TYPE);
        Ok(self.storage.send_unlimited(req).await?.body)
    }

    /// Downloads an object as a stream of chunks, never holding it whole in memory.
    pub async fn download_stream(&self, path: &str) -> Result<ByteStream> {
        self.download_stream_with(path, UrlOptions::new()).await
    }

    /// [`download_stream`](Self::download_stream) with options (e.g. a `transform`).
    pub async fn download_stream_with(
        &self,
        path: &str,
        options: UrlOptions,
    ) -> Result<ByteStream> {
        let url = self.download_url(path, &options)?;
        let timeout = self.storage.client.inner.options.storage_client_timeout;
        self.storage.client.ensure_fresh_session().await?;
        let transport = &self.storage.client.inner.transport;
        // Queued for a slot (held until the answer's head) before the timeout starts.
        let slot = transport.streamed_slot().await;
        let send = transport.send_streamed(
            &slot,
            transport
                .client()
                .get(url)
                .headers(self.storage.client.base_headers()),
        );
        let resp = match timeout {
            Some(t) => tokio::time::timeout(t, send)
                .await
                .map_err(|_| Error::Timeout(Some(t)))?,
            None => send.await,
        }
        .map_err(transport_error)?;
        drop(slot);
        let status = resp.status();
        if !status.is_success() {
            let limit = self.storage.client.inner.options.max_response_body;
            let body = read_capped(resp, limit, transport_error).await?;
            return Err(Error::Storage(StorageError::from_body(status, &body)));
        }
        Ok(ByteStream::new(resp, timeout))
    }

    fn download_url(&self, path: &str, options: &UrlOptions) -> Result<Url> {
        let path = clean_path(path)?;
        let mut url = match &options.transform {
            Some(_) => self.storage.object_url(
                &["render", "image", "authenticated"],
                &self.bucket,
                &path,
            )?,
            None => self.storage.object_url(&["object"], &self.bucket, &path)?,
        };
        append_query(
            &mut url,
            options.download.as_ref(),
            options.transform.as_ref(),
        );
        Ok(url)
    }

    /// Lists the files and folders directly under `prefix` (`None` or `""` for the bucket's
    /// top level; `POST /object/list/{bucket}`), the first 100 by name. Folders come back with
    /// no `id` ([`FileObject::is_folder`]).
    pub async fn list<'a>(&self, prefix: impl Into<Option<&'a str>>) -> Result<Vec<FileObject>> {
        self.list_with(prefix, SearchOptions::default()).await
    }

    /// [`list`](Self::list) with options: `limit`, `offset`, `sort_by`, `search`.
    pub async fn list_with<'a>(
        &self,
        prefix: impl Into<Option<&'a str>>,
        options: SearchOptions,
    ) -> Result<Vec<FileObject>> {
        let prefix: Option<&str> = prefix.into();
        let mut body = serde_json::to_value(&options).map_err(|e| Error::Encode(e.to_string()))?;
        // Without a leading `/`, as every other path (storage-api would list nothing: no name
        // starts with one).
        body["prefix"] = prefix.unwrap_or("").trim_start_matches('/').into();
        let url = self.storage.url(&["object", "list", &self.bucket])?;
        self.storage.json(Method::POST, url, Some(body)).await
    }

    /// Moves (renames) an object inside the bucket (`POST /object/move`), as `move` in the
    /// reference (a Rust keyword).
    #[doc(alias = "move")]
    pub async fn move_(&self, from: &str, to: &str) -> Result<MessageResponse> {
        self.move_to(from, &self.bucket.clone(), to).await
    }

    /// Moves an object to `to` in another bucket.
    pub async fn move_to(&self, from: &str, bucket: &str, to: &str) -> Result<MessageResponse> {
        let body = self.transfer_body(from, bucket, to)?;
        let url = self.storage.url(&["object", "move"])?;
        self.storage.json(Method::POST, url, Some(body)).await
    }

    /// Copies an object inside the bucket (`POST /object/copy`). Returns the new object's key
    /// (`bucket/path`).
    pub async fn copy(&self, from: &str, to: &str) -> Result<String> {
        self.copy_to(from, &self.bucket.clone(), to).await
    }

    /// Copies an object to `to` in another bucket. Returns the new key (`bucket/path`).
    pub async fn copy_to(&self, from: &str, bucket: &str, to: &str) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Copied {
            #[serde(rename = "Key")]
            key: String,
        }
        let body = self.transfer_body(from, bucket, to)?;
        let url = self.storage.url(&["object", "copy"])?;
        let copied: Copied = self.storage.json(Method::POST, url, Some(body)).await?;
        Ok(copied.key)
    }

    fn transfer_body(&self, from: &str, bucket: &str, to: &str) -> Result<serde_json::Value> {
        Ok(json!({
            "bucketId": self.bucket,
            "sourceKey": clean_path(from)?,
            "destinationBucket": bucket,
            "destinationKey": clean_path(to)?,
        }))
    }

    /// Deletes objects (`DELETE /object/{bucket}` with `{"prefixes": [...]}`): one path
    /// (`remove("a.png")`) or several (`remove(["a.png", "b.png"])`, a `Vec`, a slice). Returns
    /// the objects that were deleted; paths that do not exist (or that RLS hides) are skipped.
    /// Paths are cleaned as every other method's (`/docs//a.pdf` is `docs/a.pdf`): the server
    /// matches names exactly.
    pub async fn remove(&self, paths: impl ObjectPaths) -> Result<Vec<FileObject>> {
        let prefixes = clean_paths(paths.into_paths())?;
        let url = self.storage.url(&["object", &self.bucket])?;
        self.storage
            .json(Method::DELETE, url, Some(json!({ "prefixes": prefixes })))
            .await
    }

    /// An object's details (`GET /object/info/{bucket}/{path}`).
    pub async fn info(&self, path: &str) -> Result<FileInfo> {
        let path = clean_path(path)?;
        let url = self
            .storage
            .object_url(&["object", "info"], &self.bucket, &path)?;
        self.storage.json(Method::GET, url, None).await
    }

    /// Whether an object exists and the caller may read it (`HEAD /object/{bucket}/{path}`).
    ///
    /// `false` for any 400 or 404 answer, as storage-js: a HEAD response has no body, and
    /// storage-api answers every refusal with 400, so a refused token also reads as `false`
    /// (use [`info`](Self::info) to see why).
    pub async fn exists(&self, path: &str) -> Result<bool> {
        let path = clean_path(path)?;
        let url = self.storage.object_url(&["object"], &self.bucket, &path)?;
        match self
            .storage
            .send(self.storage.request(Method::HEAD, url, None))
            .await
        {
            Ok(_) => Ok(true),
            // storage-js: a 400 or 404 means "no such object".
            Err(Error::Storage(e))
                if e.http_status == StatusCode::BAD_REQUEST
                    || e.http_status == StatusCode::NOT_FOUND
                    || e.status == StatusCode::NOT_FOUND =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// A URL that serves the object without credentials for `expires_in` seconds
    /// (`POST /object/sign/{bucket}/{path}`).
    pub async fn create_signed_url(&self, path: &str, expires_in: u64) -> Result<String> {
        self.create_signed_url_with(path, expires_in, UrlOptions::new())
            .await
    }

    /// [`create_signed_url`](Self::create_signed_url) with options: `download`, `transform`.
    pub async fn create_signed_url_with(
        &self,
        path: &str,
        expires_in: u64,
        options: UrlOptions,
    ) -> Result<String> {
        #[derive(serde::Deserialize)]
        struct Signed {
            #[serde(rename = "signedURL")]
            signed_url: String,
        }
        let path = clean_path(path)?;
        let mut body = json!({ "expiresIn": expires_in });
        if let Some(t) = &options.transform {
            body["transform"] =
                serde_json::to_value(t).map_err(|e| Error::Encode(e.to_string()))?;
        }
        let url = self
            .storage
            .object_url(&["object", "sign"], &self.bucket, &path)?;
        let signed: Signed = self.storage.json(Method::POST, url, Some(body)).await?;
        Ok(self.absolute(&signed.signed_url, options.download.as_ref()))
    }

    /// Signed URLs for several objects at once (`POST /object/sign/{bucket}`). An entry has an
    /// `error` instead of a URL when its object does not exist or the caller cannot read it.
    pub async fn create_signed_urls<S: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = S>,
        expires_in: u64,
    ) -> Result<Vec<SignedUrlEntry>> {
        self.create_signed_urls_with(paths, expires_in, UrlOptions::new())
            .await
    }

    /// [`create_signed_urls`](Self::create_signed_urls) with options.
    ///
    /// `options` takes `download` only: Storage signs no transformation in a batch
    /// (storage-js and storage-py send none), so a `transform` is an [`Error::Config`] rather
    /// than URLs silently without it; sign one at a time with
    /// [`create_signed_url_with`](Self::create_signed_url_with) for that.
    pub async fn create_signed_urls_with<S: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = S>,
        expires_in: u64,
        options: UrlOptions,
    ) -> Result<Vec<SignedUrlEntry>> {
        if options.transform.is_some() {
            return Err(Error::config(
                "create_signed_urls takes no transform: sign each with create_signed_url_with",
            ));
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            #[serde(default)]
            error: Option<String>,
            #[serde(default)]
            path: Option<String>,
            #[serde(rename = "signedURL", default)]
            signed_url: Option<String>,
        }
        let paths = clean_paths(paths)?;
        let url = self.storage.url(&["object", "sign", &self.bucket])?;
        let entries: Vec<Entry> = self
            .storage
            .json(
                Method::POST,
                url,
                Some(json!({ "expiresIn": expires_in, "paths": paths })),
            )
            .await?;
        Ok(entries
            .into_iter()
            .map(|e| SignedUrlEntry {
                signed_url: e
                    .signed_url
                    .map(|u| self.absolute(&u, options.download.as_ref())),
                path: e.path,
                error: e.error,
            })
            .collect())
    }

    /// A URL anyone can upload `path` to, once, for two hours
    /// (`POST /object/upload/sign/{bucket}/{path}`); use it with
    /// [`upload_to_signed_url`](Self::upload_to_signed_url).
    pub async fn create_signed_upload_url(&self, path: &str) -> Result<SignedUploadUrl> {
        self.create_signed_upload_url_with(path, false).await
    }

    /// [`create_signed_upload_url`](Self::create_signed_upload_url), allowing the upload to
    /// overwrite an existing object when `upsert`.
    pub async fn create_signed_upload_url_with(
        &self,
        path: &str,
        upsert: bool,
    ) -> Result<SignedUploadUrl> {
        #[derive(serde::Deserialize)]
        struct Signed {
            url: String,
        }
        let path = clean_path(path)?;
        let url = self
            .storage
            .object_url(&["object", "upload", "sign"], &self.bucket, &path)?;
        let mut req = self
            .storage
            .request(Method::POST, url, Some(Bytes::from_static(b"{}")));
        if upsert {
            req.headers.insert(
                HeaderName::from_static("x-upsert"),
                HeaderValue::from_static("true"),
            );
        }
        let resp = self.storage.send(req).await?;
        let signed: Signed = decode(resp.status, &resp.body)?;
        let full = self.absolute(&signed.url, None);
        let token = Url::parse(&full)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "token")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or_else(|| Error::Decode {
                status: resp.status,
                path: "url".into(),
                message: "no token returned by the API".into(),
            })?;
        Ok(SignedUploadUrl {
            signed_url: Secret::new(full),
            token: Secret::new(token),
            path,
        })
    }

    /// The public URL of an object in a public bucket (no request is made, and whether the
    /// bucket is public is not checked).
    pub fn get_public_url(&self, path: &str) -> Result<String> {
        self.get_public_url_with(path, UrlOptions::new())
    }

    /// [`get_public_url`](Self::get_public_url) with options: `download`, `transform` (served
    /// by `/render/image/public/…`).
    pub fn get_public_url_with(&self, path: &str, options: UrlOptions) -> Result<String> {
        let path = clean_path(path)?;
        let mut url = match &options.transform {
            Some(_) => {
                self.storage
                    .object_url(&["render", "image", "public"], &self.bucket, &path)?
            }
            None => self
                .storage
                .object_url(&["object", "public"], &self.bucket, &path)?,
        };
        append_query(
            &mut url,
            options.download.as_ref(),
            options.transform.as_ref(),
        );
        Ok(url.to_string())
    }

    /// `<storage url><path from the server>[&download=…]`: the URL through `encodeURI` as
    /// storage-js, the file name encoded as a query value (as storage-py's `extend_query`), so
    /// a name with `&`, `#` or `%` reaches the server whole.
    fn absolute(&self, server_path: &str, download: Option<&Download>) -> String {
        let base = self
            .storage
            .url(&[])
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let mut out = utf8_percent_encode(&format!("{base}{server_path}"), ENCODE_URI).to_string();
        match download {
            Some(Download::Yes) => out.push_str("&download="),
            Some(Download::As(name)) => {
                out.push_str("&download=");
                out.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
            }
            None => {}
        }
        out
    }
}

/// `download` first, then the transform parameters, as storage-js orders them.
fn append_query(url: &mut Url, download: Option<&Download>, transform: Option<&TransformOptions>) {
    let params: Vec<(&str, String)> = download
        .map(|d| match d {
            Download::Yes => ("download", String::new()),
            Download::As(name) => ("download", name.clone()),
        })
        .into_iter()
        .chain(transform.map(TransformOptions::query).unwrap_or_default())
        .collect();
    if !params.is_empty() {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, &v);
        }
    }
}

/// [`clean_path`] for each of `paths`.
fn clean_paths<S: AsRef<str>>(paths: impl IntoIterator<Item = S>) -> Result<Vec<String>> {
    paths.into_iter().map(|p| clean_path(p.as_ref())).collect()
}

pub(crate) fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(None)
    } else {
        Error::Http(HttpError::new(e))
    }
}

/// What [`FileApi::remove`] takes: one object path, or several (an array, a `Vec`, a slice, or
/// a reference to one). Collect an iterator into a `Vec` first.
pub trait ObjectPaths {
    /// The paths, owned.
    fn into_paths(self) -> Vec<String>;
}

impl ObjectPaths for &str {
    fn into_paths(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}

impl ObjectPaths for String {
    fn into_paths(self) -> Vec<String> {
        vec![self]
    }
}

impl ObjectPaths for &String {
    fn into_paths(self) -> Vec<String> {
        vec![self.clone()]
    }
}

/// Each path of `paths`, owned.
fn owned_paths<S: AsRef<str>>(paths: &[S]) -> Vec<String> {
    paths.iter().map(|p| p.as_ref().to_owned()).collect()
}

impl<S: AsRef<str>, const N: usize> ObjectPaths for [S; N] {
    fn into_paths(self) -> Vec<String> {
        owned_paths(&self)
    }
}

impl<S: AsRef<str>> ObjectPaths for Vec<S> {
    fn into_paths(self) -> Vec<String> {
        owned_paths(&self)
    }
}

impl<S: AsRef<str>> ObjectPaths for &Vec<S> {
    fn into_paths(self) -> Vec<String> {
        owned_paths(self)
    }
}

impl<S: AsRef<str>, const N: usize> ObjectPaths for &[S; N] {
    fn into_paths(self) -> Vec<String> {
        owned_paths(self)
    }
}

impl<S: AsRef<str>> ObjectPaths for &[S] {
    fn into_paths(self) -> Vec<String> {
        owned_paths(self)
    }
}
