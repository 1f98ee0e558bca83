//! Object bytes on disk: `<root>/objects/<version>` for stored objects, `<root>/incoming/` for
//! uploads being received (invisible until their row commits), `<root>/tus/` for resumable
//! uploads.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use md5::Digest;
use tokio::io::AsyncWriteExt;

use super::ApiResult;
use super::error::ApiError;
use crate::services::hex;

/// A fully received upload in a temporary file (removed on drop unless stored).
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) file: tempfile::TempPath,
    pub(crate) size: u64,
    /// Hex MD5 of the bytes (the S3-style ETag storage-api reports).
    pub(crate) md5: String,
}

pub(crate) fn objects_dir(root: &Path) -> PathBuf {
    root.join("objects")
}

pub(crate) fn object_path(root: &Path, version: &str) -> PathBuf {
    objects_dir(root).join(version)
}

pub(crate) fn tus_dir(root: &Path) -> PathBuf {
    root.join("tus")
}

async fn ensure(dir: &Path) -> ApiResult<()> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| ApiError::internal(format!("creating {}: {e}", dir.display())))
}

/// Streams `body` into a temporary file, failing with `EntityTooLarge` as soon as it exceeds
/// `limit`. A body cut off midway leaves nothing behind.
pub(crate) async fn receive(
    root: &Path,
    body: axum::body::Body,
    limit: Option<u64>,
) -> ApiResult<Received> {
    let mut stream = body.into_data_stream();
    let received = receive_stream(root, &mut stream, limit).await;
    if received.is_err() {
        drain(stream);
    }
    received
}

/// Reads and drops what is left of a refused body, in the background, as Node's HTTP server
/// does once a response has finished before its request was read (`_http_server.js`
/// `resOnFinish`: `req._dump()`). The answer goes out at once, and a client still sending
/// goes on to read it, where an unread body would end the connection under its write
/// (`EPIPE`, not the 413). Given up after a minute.
pub(crate) fn drain(mut body: axum::body::BodyDataStream) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while let Some(Ok(_)) = body.next().await {}
        })
        .await;
    });
}

/// [`receive`] for any stream of chunks (a multipart form's file field).
pub(crate) async fn receive_stream<S, E>(
    root: &Path,
    stream: S,
    limit: Option<u64>,
) -> ApiResult<Received>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>>,
    E: std::fmt::Display,
{
    let dir = root.join("incoming");
    ensure(&dir).await?;
    let temp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| ApiError::internal(format!("creating a temp file: {e}")))?;
    let (std_file, path) = temp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);
    let mut hasher = md5::Md5::new();
    let mut size: u64 = 0;
    let mut stream = std::pin::pin!(stream);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::invalid_request(format!("body cut off: {e}")))?;
        size += chunk.len() as u64;
        if limit.is_some_and(|l| size > l) {
            return Err(ApiError::entity_too_large("object"));
        }
        hasher.update(&chunk);
        file.write_all(&chunk)
            .await
            .map_err(|e| ApiError::internal(format!("writing an upload: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| ApiError::internal(format!("writing an upload: {e}")))?;
    Ok(Received {
        file: path,
        size,
        md5: hex(&hasher.finalize()),
    })
}

/// The MD5 and size of a file already on disk (a finished resumable upload).
pub(crate) async fn digest(path: &Path) -> ApiResult<(u64, String)> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| ApiError::internal(format!("reading an upload: {e}")))?;
    let mut hasher = md5::Md5::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .await
            .map_err(|e| ApiError::internal(format!("reading an upload: {e}")))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex(&hasher.finalize())))
}

/// Moves a received file into place as `version`'s bytes. Every stored object comes through
/// here (a plain upload's temp file or a finished resumable upload's), so the objects
/// directory is made here.
pub(crate) async fn place(root: &Path, file: &Path, version: &str) -> std::io::Result<()> {
    tokio::fs::create_dir_all(objects_dir(root)).await?;
    tokio::fs::rename(file, object_path(root, version)).await
}

/// Removes a stored version's bytes (best effort: a leftover file is only wasted space).
pub(crate) async fn remove_version(root: &Path, version: &str) {
    if !version.is_empty() && !version.contains('/') {
        let _ = tokio::fs::remove_file(object_path(root, version)).await;
    }
}
