//! The blocking form of [`Storage`] and [`FileApi`] (feature `blocking`): the same bucket and
//! object methods, each run to completion on the blocking client's runtime. Download streams
//! need the async client; everything else is here.

use std::path::Path;

use bytes::Bytes;

use super::{
    Bucket, BucketOptions, FileApi, FileInfo, FileObject, FileOptions, MessageResponse,
    ResumableOptions, SearchOptions, SignedUploadUrl, SignedUrlEntry, Storage, UploadBody,
    UploadResponse, UrlOptions,
};
use crate::error::Result;

/// Storage of a [`blocking::Client`](crate::blocking::Client): buckets, and
/// [`from_`](Self::from_) for the objects of one bucket.
#[derive(Debug, Clone)]
pub struct BlockingStorage {
    inner: Storage,
}

/// The objects of one bucket, blocking (from [`BlockingStorage::from_`]).
#[derive(Debug, Clone)]
pub struct BlockingFileApi {
    inner: FileApi,
}

fn block_on<T>(client: &crate::Client, work: impl Future<Output = Result<T>>) -> Result<T> {
    crate::blocking::runtime(client)?.block_on(work)
}

impl BlockingStorage {
    pub(crate) fn new(inner: Storage) -> Self {
        BlockingStorage { inner }
    }

    fn run<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        block_on(&self.inner.client, work)
    }

    /// The objects of `bucket`.
    #[doc(alias = "from")]
    pub fn from_(&self, bucket: impl Into<String>) -> BlockingFileApi {
        BlockingFileApi {
            inner: self.inner.from_(bucket),
        }
    }

    /// [`Storage::create_bucket`], blocking.
    pub fn create_bucket(&self, id: &str) -> Result<String> {
        self.run(self.inner.create_bucket(id))
    }

    /// [`Storage::create_bucket_with`], blocking.
    pub fn create_bucket_with(&self, id: &str, options: BucketOptions) -> Result<String> {
        self.run(self.inner.create_bucket_with(id, options))
    }

    /// [`Storage::get_bucket`], blocking.
    pub fn get_bucket(&self, id: &str) -> Result<Bucket> {
        self.run(self.inner.get_bucket(id))
    }

    /// [`Storage::list_buckets`], blocking.
    pub fn list_buckets(&self) -> Result<Vec<Bucket>> {
        self.run(self.inner.list_buckets())
    }

    /// [`Storage::update_bucket`], blocking.
    pub fn update_bucket(&self, id: &str, options: BucketOptions) -> Result<MessageResponse> {
        self.run(self.inner.update_bucket(id, options))
    }

    /// [`Storage::delete_bucket`], blocking.
    pub fn delete_bucket(&self, id: &str) -> Result<MessageResponse> {
        self.run(self.inner.delete_bucket(id))
    }

    /// [`Storage::empty_bucket`], blocking.
    pub fn empty_bucket(&self, id: &str) -> Result<MessageResponse> {
        self.run(self.inner.empty_bucket(id))
    }
}

impl BlockingFileApi {
    fn run<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        block_on(&self.inner.storage.client, work)
    }

    /// The bucket's id.
    pub fn bucket_id(&self) -> &str {
        self.inner.bucket_id()
    }

    /// [`FileApi::upload`], blocking (bytes or [`UploadBody::file`], streamed).
    pub fn upload(&self, path: &str, body: impl Into<UploadBody>) -> Result<UploadResponse> {
        self.run(self.inner.upload(path, body))
    }

    /// [`FileApi::upload_with`], blocking.
    pub fn upload_with(
        &self,
        path: &str,
        body: impl Into<UploadBody>,
        options: FileOptions,
    ) -> Result<UploadResponse> {
        self.run(self.inner.upload_with(path, body, options))
    }

    /// [`FileApi::update`], blocking.
    pub fn update(&self, path: &str, body: impl Into<UploadBody>) -> Result<UploadResponse> {
        self.run(self.inner.update(path, body))
    }

    /// [`FileApi::update_with`], blocking.
    pub fn update_with(
        &self,
        path: &str,
        body: impl Into<UploadBody>,
        options: FileOptions,
    ) -> Result<UploadResponse> {
        self.run(self.inner.update_with(path, body, options))
    }

    /// [`FileApi::upload_to_signed_url`], blocking.
    pub fn upload_to_signed_url(
        &self,
        path: &str,
        token: &str,
        body: impl Into<UploadBody>,
    ) -> Result<UploadResponse> {
        self.run(self.inner.upload_to_signed_url(path, token, body))
    }

    /// [`FileApi::upload_to_signed_url_with`], blocking.
    pub fn upload_to_signed_url_with(
        &self,
        path: &str,
        token: &str,
        body: impl Into<UploadBody>,
        options: FileOptions,
    ) -> Result<UploadResponse> {
        self.run(
            self.inner
                .upload_to_signed_url_with(path, token, body, options),
        )
    }

    /// [`FileApi::upload_resumable`], blocking.
    pub fn upload_resumable(
        &self,
        path: &str,
        file: impl AsRef<Path>,
        options: ResumableOptions,
    ) -> Result<UploadResponse> {
        self.run(self.inner.upload_resumable(path, file, options))
    }

    /// [`FileApi::upload_resumable_to_signed_url`], blocking.
    pub fn upload_resumable_to_signed_url(
        &self,
        path: &str,
        token: &str,
        file: impl AsRef<Path>,
        options: ResumableOptions,
    ) -> Result<UploadResponse> {
        self.run(
            self.inner
                .upload_resumable_to_signed_url(path, token, file, options),
        )
    }

    /// [`FileApi::download`], blocking.
    pub fn download(&self, path: &str) -> Result<Bytes> {
        self.run(self.inner.download(path))
    }

    /// [`FileApi::download_with`], blocking (e.g. with a transform).
    pub fn download_with(&self, path: &str, options: UrlOptions) -> Result<Bytes> {
        self.run(self.inner.download_with(path, options))
    }

    /// [`FileApi::list`], blocking.
    pub fn list<'a>(&self, prefix: impl Into<Option<&'a str>>) -> Result<Vec<FileObject>> {
        self.run(self.inner.list(prefix))
    }

    /// [`FileApi::list_with`], blocking.
    pub fn list_with<'a>(
        &self,
        prefix: impl Into<Option<&'a str>>,
        options: SearchOptions,
    ) -> Result<Vec<FileObject>> {
        self.run(self.inner.list_with(prefix, options))
    }

    /// [`FileApi::list_v2`], blocking.
    pub fn list_v2(&self, options: super::SearchV2Options) -> Result<super::SearchV2Result> {
        self.run(self.inner.list_v2(options))
    }

    /// [`FileApi::move_`], blocking.
    pub fn move_(&self, from: &str, to: &str) -> Result<MessageResponse> {
        self.run(self.inner.move_(from, to))
    }

    /// [`FileApi::move_to`], blocking.
    pub fn move_to(&self, from: &str, bucket: &str, to: &str) -> Result<MessageResponse> {
        self.run(self.inner.move_to(from, bucket, to))
    }

    /// [`FileApi::copy`], blocking.
    pub fn copy(&self, from: &str, to: &str) -> Result<String> {
        self.run(self.inner.copy(from, to))
    }

    /// [`FileApi::copy_to`], blocking.
    pub fn copy_to(&self, from: &str, bucket: &str, to: &str) -> Result<String> {
        self.run(self.inner.copy_to(from, bucket, to))
    }

    /// [`FileApi::remove`], blocking.
    pub fn remove(&self, paths: impl super::ObjectPaths) -> Result<Vec<FileObject>> {
        self.run(self.inner.remove(paths))
    }

    /// [`FileApi::info`], blocking.
    pub fn info(&self, path: &str) -> Result<FileInfo> {
        self.run(self.inner.info(path))
    }

    /// [`FileApi::exists`], blocking.
    pub fn exists(&self, path: &str) -> Result<bool> {
        self.run(self.inner.exists(path))
    }

    /// [`FileApi::create_signed_url`], blocking.
    pub fn create_signed_url(&self, path: &str, expires_in: u64) -> Result<String> {
        self.run(self.inner.create_signed_url(path, expires_in))
    }

    /// [`FileApi::create_signed_url_with`], blocking.
    pub fn create_signed_url_with(
        &self,
        path: &str,
        expires_in: u64,
        options: UrlOptions,
    ) -> Result<String> {
        self.run(self.inner.create_signed_url_with(path, expires_in, options))
    }

    /// [`FileApi::create_signed_urls`], blocking.
    pub fn create_signed_urls<S: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = S>,
        expires_in: u64,
    ) -> Result<Vec<SignedUrlEntry>> {
        self.run(self.inner.create_signed_urls(paths, expires_in))
    }

    /// [`FileApi::create_signed_urls_with`], blocking.
    pub fn create_signed_urls_with<S: AsRef<str>>(
        &self,
        paths: impl IntoIterator<Item = S>,
        expires_in: u64,
        options: UrlOptions,
    ) -> Result<Vec<SignedUrlEntry>> {
        self.run(
            self.inner
                .create_signed_urls_with(paths, expires_in, options),
        )
    }

    /// [`FileApi::create_signed_upload_url`], blocking.
    pub fn create_signed_upload_url(&self, path: &str) -> Result<SignedUploadUrl> {
        self.run(self.inner.create_signed_upload_url(path))
    }

    /// [`FileApi::create_signed_upload_url_with`], blocking.
    pub fn create_signed_upload_url_with(
        &self,
        path: &str,
        upsert: bool,
    ) -> Result<SignedUploadUrl> {
        self.run(self.inner.create_signed_upload_url_with(path, upsert))
    }

    /// [`FileApi::get_public_url`] (no request is made).
    pub fn get_public_url(&self, path: &str) -> Result<String> {
        self.inner.get_public_url(path)
    }

    /// [`FileApi::get_public_url_with`] (no request is made).
    pub fn get_public_url_with(&self, path: &str, options: UrlOptions) -> Result<String> {
        self.inner.get_public_url_with(path, options)
    }
}
