//! Large streamed transfers and resumable (TUS) uploads that survive an interruption.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use supabase_core::storage::{BucketOptions, FileApi, FileOptions, ResumableOptions, UploadBody};
use tokio::io::{AsyncRead, ReadBuf};

use super::bucket;

const MIB: usize = 1024 * 1024;

/// Deterministic, non-repeating-looking content.
fn content(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

async fn streamed_hash(files: &FileApi, path: &str) -> (usize, Vec<u8>) {
    let mut stream = files.download_stream(path).await.unwrap();
    let (mut len, mut hasher) = (0, Sha256::new());
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        len += chunk.len();
        hasher.update(&chunk);
    }
    (len, hasher.finalize().to_vec())
}

#[tokio::test]
async fn sixty_four_mib_streamed_from_a_file_and_back() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let data = content(64 * MIB);
    std::fs::write(&path, &data).unwrap();
    let expected = Sha256::digest(&data).to_vec();
    drop(data);

    files
        .upload("big/big.bin", UploadBody::file(&path))
        .await
        .unwrap();
    let (len, hash) = streamed_hash(&files, "big/big.bin").await;
    assert_eq!(len, 64 * MIB);
    assert_eq!(hash, expected);
    assert_eq!(
        files.info("big/big.bin").await.unwrap().size,
        Some(64 * MIB as u64)
    );
}

#[tokio::test]
async fn any_async_reader_streams_with_or_without_a_length() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let data = content(3 * MIB + 17);
    files
        .upload(
            "r/known.bin",
            UploadBody::reader(std::io::Cursor::new(data.clone()), Some(data.len() as u64)),
        )
        .await
        .unwrap();
    files
        .upload(
            "r/chunked.bin",
            UploadBody::reader(std::io::Cursor::new(data.clone()), None),
        )
        .await
        .unwrap();
    for p in ["r/known.bin", "r/chunked.bin"] {
        assert_eq!(files.download(p).await.unwrap().as_ref(), &data[..], "{p}");
    }
    assert_eq!(
        files
            .info("r/known.bin")
            .await
            .unwrap()
            .content_type
            .as_deref(),
        Some("application/octet-stream")
    );
}

/// Yields `data` but fails after `fail_after` bytes, like a connection dropping mid-transfer.
struct Interrupted {
    data: Vec<u8>,
    pos: usize,
    fail_after: usize,
}

impl AsyncRead for Interrupted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.pos >= self.fail_after {
            return Poll::Ready(Err(std::io::Error::other("connection dropped")));
        }
        let end = (self.pos + buf.remaining()).min(self.fail_after);
        let pos = self.pos;
        buf.put_slice(&self.data[pos..end]);
        self.pos = end;
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn resumable_upload_interrupted_midway_then_resumed() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("movie.bin");
    let data = content(20 * MIB + 5);
    std::fs::write(&path, &data).unwrap();
    let len = data.len() as u64;

    let upload = files
        .create_resumable_upload("videos/movie.bin", len, FileOptions::new())
        .await
        .unwrap();
    assert_eq!(upload.offset().await.unwrap(), 0);

    // First attempt: the body dies after 5 MiB + 123 bytes of an 8 MiB PATCH.
    let cut = 5 * MIB + 123;
    let attempt = upload
        .upload_chunk(
            0,
            UploadBody::reader(
                Interrupted {
                    data: data.clone(),
                    pos: 0,
                    fail_after: cut,
                },
                Some(8 * MIB as u64),
            ),
            8 * MIB as u64,
        )
        .await;
    assert!(attempt.is_err(), "the interrupted PATCH must fail");
    // Nothing visible yet: an upload cut off leaves no object.
    assert!(!files.exists("videos/movie.bin").await.unwrap());

    // The server kept what arrived, no more than was sent.
    let offset = upload.offset().await.unwrap();
    assert!(offset <= cut as u64, "offset {offset} > {cut}");
    // A PATCH at a stale offset is refused (no byte written twice).
    if offset > 0 {
        let stale = upload
            .upload_chunk(0, UploadBody::from(data[..10].to_vec()), 10)
            .await;
        assert!(
            matches!(&stale, Err(supabase_core::Error::Storage(e)) if e.status.as_u16() == 409),
            "{stale:?}"
        );
    }

    // Resume, as another process would: from the URL alone.
    let resumed = files
        .resumable_upload_at(upload.url(), "videos/movie.bin", len)
        .unwrap();
    let done = resumed
        .upload_file(&path, &ResumableOptions::new().chunk_size(6 * MIB as u64))
        .await
        .unwrap();
    assert_eq!(done.path, "videos/movie.bin");

    let (got_len, hash) = streamed_hash(&files, "videos/movie.bin").await;
    assert_eq!(got_len as u64, len);
    assert_eq!(hash, Sha256::digest(&data).to_vec());
}

/// A stack whose first stored object comes from a resumable upload (no plain upload has made
/// the objects directory yet).
#[tokio::test]
async fn a_fresh_stacks_first_object_may_be_a_resumable_upload() {
    let stack = supabase_local::Stack::builder().start().await.unwrap();
    let client = supabase_core::create_client(stack.url(), stack.service_role_key()).unwrap();
    let name = format!("b{}", supabase_tests::unique_id());
    client.storage().create_bucket(&name).await.unwrap();
    let files = client.storage().from_(name);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("first.txt");
    std::fs::write(&path, b"first").unwrap();
    files
        .upload_resumable("first.txt", &path, ResumableOptions::new())
        .await
        .unwrap();
    assert_eq!(&files.download("first.txt").await.unwrap()[..], b"first");
}

#[tokio::test]
async fn upload_resumable_in_one_call_with_metadata() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.png");
    let data = content(MIB + 3);
    std::fs::write(&path, &data).unwrap();
    files
        .upload_resumable(
            "p/photo.png",
            &path,
            ResumableOptions::new()
                .chunk_size(256 * 1024)
                .file_options(FileOptions::new().metadata(serde_json::json!({"camera": "x"}))),
        )
        .await
        .unwrap();
    assert_eq!(
        files.download("p/photo.png").await.unwrap().as_ref(),
        &data[..]
    );
    let info = files.info("p/photo.png").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("image/png"));
    assert_eq!(info.cache_control.as_deref(), Some("max-age=3600"));
    assert_eq!(info.metadata, Some(serde_json::json!({"camera": "x"})));

    // Same path again without upsert: refused when the upload is created.
    let again = files
        .upload_resumable("p/photo.png", &path, ResumableOptions::new())
        .await;
    assert!(
        matches!(&again, Err(supabase_core::Error::Storage(e)) if e.status.as_u16() == 409),
        "{again:?}"
    );

    // With upsert it replaces the object. storage-api checks each chunk with that chunk's
    // own `x-upsert`, so the flag goes with every request of the upload, not only the first.
    let newer = content(MIB / 2);
    std::fs::write(&path, &newer).unwrap();
    files
        .upload_resumable(
            "p/photo.png",
            &path,
            ResumableOptions::new()
                .chunk_size(256 * 1024)
                .file_options(FileOptions::new().upsert(true)),
        )
        .await
        .unwrap();
    assert_eq!(
        files.download("p/photo.png").await.unwrap().as_ref(),
        &newer[..]
    );
}

#[tokio::test]
async fn resumable_upload_to_a_signed_url_interrupted_then_resumed() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.bin");
    let data = content(9 * MIB + 11);
    std::fs::write(&path, &data).unwrap();
    let len = data.len() as u64;

    // The service role signs; an anonymous client (no rights on the bucket) uploads.
    let signed = files
        .create_signed_upload_url("signed/clip.bin")
        .await
        .unwrap();
    let token = signed.token.expose().to_owned();
    let anon = supabase_tests::anon().await.storage().from_(name.clone());

    // Without the signature the plain endpoint refuses the anonymous caller (RLS).
    let refused = anon
        .create_resumable_upload("signed/clip.bin", len, FileOptions::new())
        .await;
    assert!(
        matches!(&refused, Err(supabase_core::Error::Storage(_))),
        "{refused:?}"
    );
    // A token for another object is refused.
    let other = files
        .create_signed_upload_url("signed/other.bin")
        .await
        .unwrap();
    let wrong = anon
        .create_resumable_upload_to_signed_url(
            "signed/clip.bin",
            other.token.expose(),
            len,
            FileOptions::new(),
        )
        .await;
    assert!(
        matches!(&wrong, Err(supabase_core::Error::Storage(e)) if e.status.as_u16() == 400),
        "{wrong:?}"
    );

    let upload = anon
        .create_resumable_upload_to_signed_url("signed/clip.bin", &token, len, FileOptions::new())
        .await
        .unwrap();
    assert!(
        upload.url().contains("/upload/resumable/sign/"),
        "{}",
        upload.url()
    );
    assert!(
        !format!("{upload:?}").contains(&token),
        "the token leaks through Debug"
    );

    // Cut off after 2 MiB + 5 bytes of a 4 MiB PATCH.
    let cut = 2 * MIB + 5;
    let attempt = upload
        .upload_chunk(
            0,
            UploadBody::reader(
                Interrupted {
                    data: data.clone(),
                    pos: 0,
                    fail_after: cut,
                },
                Some(4 * MIB as u64),
            ),
            4 * MIB as u64,
        )
        .await;
    assert!(attempt.is_err());
    assert!(!files.exists("signed/clip.bin").await.unwrap());
    let offset = upload.offset().await.unwrap();
    assert!(offset <= cut as u64, "offset {offset} > {cut}");

    // Without x-signature the signed upload URL answers 400.
    let stack = supabase_tests::reference_stack().await;
    let resp = reqwest::Client::new()
        .head(upload.url())
        .header("tus-resumable", "1.0.0")
        .header("apikey", stack.anon_key())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // Resume from the URL and the token alone.
    let resumed = anon
        .signed_resumable_upload_at(upload.url(), "signed/clip.bin", len, &token)
        .unwrap();
    resumed
        .upload_file(&path, &ResumableOptions::new().chunk_size(3 * MIB as u64))
        .await
        .unwrap();
    let (got_len, hash) = streamed_hash(&files, "signed/clip.bin").await;
    assert_eq!(got_len as u64, len);
    assert_eq!(hash, Sha256::digest(&data).to_vec());

    // One call, with the token's upsert (none): the object exists now, so it is refused.
    let again = anon
        .upload_resumable_to_signed_url("signed/clip.bin", &token, &path, ResumableOptions::new())
        .await;
    assert!(
        matches!(&again, Err(supabase_core::Error::Storage(e)) if e.status.as_u16() == 409),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_form_upload_cut_off_midway_leaves_no_object() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let data = content(3 * MIB);
    let result = files
        .upload_with(
            "cut/form.bin",
            UploadBody::reader(
                Interrupted {
                    data,
                    pos: 0,
                    fail_after: MIB + 7,
                },
                Some(3 * MIB as u64),
            ),
            FileOptions::new().multipart(true),
        )
        .await;
    assert!(result.is_err(), "{result:?}");
    assert!(!files.exists("cut/form.bin").await.unwrap());
    assert!(
        files
            .list_with(Some("cut"), supabase_core::storage::SearchOptions::new())
            .await
            .unwrap()
            .is_empty()
    );
}

/// An `AsyncRead` giving one byte every 200 ms: a slow transfer that never stalls.
struct Trickle {
    left: usize,
    pause: Pin<Box<tokio::time::Sleep>>,
}

impl Trickle {
    fn new(bytes: usize) -> Self {
        Trickle {
            left: bytes,
            pause: Box::pin(tokio::time::sleep(std::time::Duration::from_millis(200))),
        }
    }
}

impl AsyncRead for Trickle {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.left == 0 {
            return Poll::Ready(Ok(()));
        }
        std::task::ready!(self.pause.as_mut().poll(cx));
        let next = tokio::time::Instant::now() + std::time::Duration::from_millis(200);
        self.pause.as_mut().reset(next);
        self.left -= 1;
        buf.put_slice(b"t");
        Poll::Ready(Ok(()))
    }
}

/// The storage timeout is for a transfer that stops making progress: one queued for a request
/// slot (`max_concurrent_requests`) behind a slow but steady transfer has not stalled, and is
/// sent when the slot frees.
#[tokio::test]
async fn a_transfer_queued_for_a_request_slot_has_not_stalled() {
    let (name, files) = bucket(BucketOptions::new()).await;
    files
        .upload("queue/there.txt", b"there".to_vec())
        .await
        .unwrap();
    let stack = supabase_tests::reference_stack().await;
    let client = supabase_core::Client::new(
        stack.url(),
        stack.service_role_key(),
        supabase_core::ClientOptions::default()
            .max_concurrent_requests(Some(1))
            .storage_client_timeout(std::time::Duration::from_secs(1)),
    )
    .unwrap();
    let files = client.storage().from_(name);
    // 12 bytes over 2.4 s, against a 1 s timeout.
    let slow =
        |path: &'static str| files.upload(path, UploadBody::reader(Trickle::new(12), Some(12)));
    let later = || tokio::time::sleep(std::time::Duration::from_millis(100));
    let (slow_done, quick) = tokio::join!(slow("queue/slow-1.bin"), async {
        later().await;
        files.upload("queue/quick.txt", b"quick".to_vec()).await
    });
    slow_done.unwrap();
    quick.expect("the upload queued behind the slow one");
    let (slow_done, download) = tokio::join!(slow("queue/slow-2.bin"), async {
        later().await;
        let mut stream = files.download_stream("queue/there.txt").await?;
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            body.extend_from_slice(&chunk?);
        }
        Ok::<_, supabase_core::Error>(body)
    });
    slow_done.unwrap();
    assert_eq!(
        download.expect("the download queued behind the slow upload"),
        b"there"
    );
}
