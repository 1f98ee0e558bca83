//! Bad input gets clear typed errors; storage-api's two error forms decode; no secret in
//! `Debug`; uploads are never retried.

use supabase_core::storage::{BucketOptions, FileOptions, ResumableOptions, UploadBody};
use supabase_core::{ClientOptions, Error, RetryPolicy, create_client};
use supabase_tests::fault::{Fault, FaultServer};
use supabase_tests::{reference_stack, service};

use super::bucket;

#[tokio::test]
async fn missing_objects_and_buckets_decode_the_400_with_a_string_status() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let Err(Error::Storage(e)) = files.download("no/such.txt").await else {
        panic!("downloaded a missing object")
    };
    // storage-api: HTTP 400, `"statusCode": "404"` in the body.
    assert_eq!(e.http_status.as_u16(), 400);
    assert_eq!(e.status.as_u16(), 404);
    // The code to match on, and the legacy `error` storage-api keeps beside it (`codes.ts`).
    assert_eq!(
        (e.code.as_str(), e.error.as_str()),
        ("NoSuchKey", "not_found")
    );
    assert_eq!(e.message, "Object not found");
    assert_eq!(Error::Storage(e).status().map(|s| s.as_u16()), Some(404));

    let storage = service().await.storage();
    let Err(Error::Storage(e)) = storage.from_("no-such-bucket").upload("a.txt", b"a").await else {
        panic!("uploaded into a missing bucket")
    };
    assert_eq!((e.status.as_u16(), e.code.as_str()), (404, "NoSuchBucket"));
    assert_eq!(e.error, "Bucket not found");
    assert_eq!(e.message, "Bucket not found");
}

#[tokio::test]
async fn limits_mime_types_and_bad_paths() {
    let (name, files) = bucket(
        BucketOptions::new()
            .allowed_mime_types(["image/png", "text/*"])
            .file_size_limit(1024),
    )
    .await;
    // Oversized: 413-status EntityTooLarge, and no partial object.
    let Err(Error::Storage(e)) = files.upload("big.png", vec![0u8; 4096]).await else {
        panic!("oversized upload accepted")
    };
    assert_eq!(e.status.as_u16(), 413, "{e:?}");
    assert_eq!(
        (e.code.as_str(), e.error.as_str()),
        ("EntityTooLarge", "Payload too large")
    );
    assert!(!files.exists("big.png").await.unwrap());

    // Disallowed mime type: 415.
    let Err(Error::Storage(e)) = files.upload("doc.pdf", b"pdf").await else {
        panic!("pdf accepted")
    };
    assert_eq!(e.status.as_u16(), 415);
    assert_eq!(e.message, "mime type application/pdf is not supported");
    // Wildcards: text/* lets text/plain in.
    files.upload("ok.txt", b"fine").await.unwrap();

    // Bad paths never leave the client.
    for bad in ["", "/", "a/../b.png", "./x.png"] {
        assert!(
            matches!(files.upload(bad, b"x").await, Err(Error::Config(_))),
            "{bad:?}"
        );
        assert!(
            matches!(files.download(bad).await, Err(Error::Config(_))),
            "{bad:?}"
        );
    }
    // The server refuses what its key rules refuse (a raw request with a zero-width space;
    // `..` segments are resolved away by any URL parser before they are sent).
    let stack = reference_stack().await;
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/storage/v1/object/{name}/a%E2%80%8Bb.txt",
            stack.url()
        ))
        .header("apikey", stack.service_role_key())
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"], "InvalidKey");
}

/// An upload far over the bucket's limit gets the server's 413, not a transport error: the
/// server answers as soon as the limit is crossed, while the client is still sending, and the
/// client reads that answer rather than failing on the write it was doing.
#[tokio::test]
async fn an_upload_far_over_the_limit_gets_the_413_while_still_sending() {
    let (_, files) = bucket(BucketOptions::new().file_size_limit(1024 * 1024)).await;
    for (path, body) in [
        (
            "far/bytes.bin",
            UploadBody::from(vec![7u8; 48 * 1024 * 1024]),
        ),
        (
            "far/stream.bin",
            UploadBody::reader(
                tokio::io::AsyncReadExt::take(tokio::io::repeat(7), 48 * 1024 * 1024),
                None,
            ),
        ),
    ] {
        let result = files.upload(path, body).await;
        let Err(Error::Storage(e)) = &result else {
            panic!("{path}: expected the server's 413, got {result:?}")
        };
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (413, "EntityTooLarge")
        );
        assert!(!files.exists(path).await.unwrap());
    }
}

#[tokio::test]
async fn invalid_jwt_is_a_typed_error() {
    let stack = reference_stack().await;
    let client = supabase_core::Client::new(
        stack.url(),
        stack.anon_key(),
        ClientOptions::default().header("Authorization", "Bearer not.a.jwt"),
    )
    .unwrap();
    let Err(Error::Storage(e)) = client.storage().list_buckets().await else {
        panic!("bad token accepted")
    };
    assert_eq!((e.status.as_u16(), e.code.as_str()), (400, "InvalidJWT"));
    assert_eq!(e.error, "InvalidJWT", "no legacy name: the code");
}

#[tokio::test]
async fn debug_output_hides_keys_and_tokens() {
    let client = create_client("http://localhost:1", "eyJ.super-secret.key").unwrap();
    let storage = client.storage();
    let files = storage.from_("avatars");
    for dbg in [
        format!("{storage:?}"),
        format!("{files:?}"),
        format!(
            "{:?}",
            files
                .resumable_upload_at("http://localhost:1/x", "a.bin", 3)
                .unwrap()
        ),
        format!("{:?}", UploadBody::from(b"body")),
        format!("{:?}", FileOptions::new()),
    ] {
        assert!(!dbg.contains("super-secret"), "{dbg}");
    }
}

#[tokio::test]
async fn uploads_are_sent_once_and_downloads_retried() {
    let server = FaultServer::start(vec![Fault::status(503)]).await;
    let client = supabase_core::Client::new(
        server.url(),
        "k",
        ClientOptions::default().retry(RetryPolicy {
            base_delay: std::time::Duration::from_millis(1),
            ..RetryPolicy::default()
        }),
    )
    .unwrap();
    let files = client.storage().from_("b");
    let r = files.upload("a.txt", b"a").await;
    assert!(matches!(r, Err(Error::Storage(e)) if e.http_status.as_u16() == 503));
    assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
    let r = files.download("a.txt").await;
    assert!(r.is_err());
    // The upload, then the GET and its retries.
    let retries = RetryPolicy::default().max_retries as usize;
    assert_eq!(
        server.requests().len(),
        2 + retries,
        "{:?}",
        server.requests()
    );
    let _ = files.create_signed_url("a.txt", 1).await;
    assert_eq!(server.requests().len(), 3 + retries, "a POST is sent once");
}

/// What a streamed transfer reads whole (an upload's answer, a download's error body) is held
/// to `max_response_body` like every other answer: a broken server cannot make the client
/// buffer an endless body.
#[tokio::test]
async fn a_streamed_transfer_reads_no_answer_over_the_size_limit() {
    use supabase_tests::fault::HugeShape;
    let limited = |server: &FaultServer| {
        supabase_core::Client::new(
            server.url(),
            "k",
            ClientOptions::default().max_response_body(Some(1 << 20)),
        )
        .unwrap()
    };
    for announce_length in [true, false] {
        let server = FaultServer::start(vec![Fault::Huge {
            rows: 100_000,
            announce_length,
            shape: HugeShape::Rows,
        }])
        .await;
        let client = limited(&server);
        let files = client.storage().from_("b");
        let r = files.upload("a.txt", b"a").await;
        assert!(
            matches!(r, Err(Error::ResponseTooLarge { limit, .. }) if limit == 1 << 20),
            "announced: {announce_length}: {r:?}"
        );
    }
    let server = FaultServer::start(vec![Fault::Respond {
        status: 500,
        headers: Vec::new(),
        body: "x".repeat(2 << 20),
    }])
    .await;
    let client = limited(&server);
    let r = client.storage().from_("b").download_stream("a.txt").await;
    assert!(
        matches!(r, Err(Error::ResponseTooLarge { .. })),
        "{:?}",
        r.map(drop)
    );
}

/// storage-api checks a bucket's name in `Storage.from(bucketId)`, before anything else on the
/// routes that act on a bucket's objects (400 `InvalidBucketName`); the routes that look the
/// bucket up first answer a bad name as a missing bucket.
#[tokio::test]
async fn an_invalid_bucket_name_is_refused_where_storage_api_refuses_it() {
    let storage = service().await.storage();
    let bad = storage.from_("café");
    let invalid = |r: Result<(), Error>, what: &str| match r {
        Err(Error::Storage(e)) => {
            assert_eq!(
                (e.status.as_u16(), e.code.as_str(), e.error.as_str()),
                (400, "InvalidBucketName", "Invalid Input"),
                "{what}"
            );
            assert_eq!(e.message, "Bucket name invalid", "{what}");
        }
        other => panic!("{what}: {other:?}"),
    };
    invalid(bad.upload("a.txt", b"a").await.map(drop), "upload");
    invalid(bad.update("a.txt", b"a".to_vec()).await.map(drop), "update");
    invalid(bad.list(None).await.map(drop), "list");
    invalid(bad.remove("a.txt").await.map(drop), "remove");
    invalid(bad.move_("a.txt", "b.txt").await.map(drop), "move");
    invalid(bad.copy("a.txt", "b.txt").await.map(drop), "copy");
    invalid(bad.create_signed_url("a.txt", 60).await.map(drop), "sign");
    // A resumable upload checks it when the upload is created (`UploadId`); TUS answers
    // carry the message alone.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, b"a").unwrap();
    let Err(Error::Storage(e)) = bad
        .upload_resumable("a.txt", &file, ResumableOptions::new())
        .await
    else {
        panic!("a resumable upload into an invalid bucket")
    };
    assert_eq!(
        (e.status.as_u16(), e.message.as_str()),
        (400, "Bucket name invalid")
    );
    // Reads look the bucket up (as the superuser) first.
    let Err(Error::Storage(e)) = bad.download("a.txt").await else {
        panic!("downloaded from an invalid bucket")
    };
    assert_eq!((e.status.as_u16(), e.code.as_str()), (404, "NoSuchBucket"));
}

/// A duplicate is `KeyAlreadyExists` when a new object is inserted (`createObject`), and
/// `ResourceAlreadyExists` otherwise (`fromDBError`): a move onto a taken name. A move or copy
/// into a missing bucket is the foreign key's 404; a move from one is a missing object.
#[tokio::test]
async fn duplicates_and_missing_buckets_on_move_and_copy_are_reported_as_storage_api_does() {
    let (_name, files) = bucket(BucketOptions::new()).await;
    for path in ["a.txt", "b.txt"] {
        files.upload(path, b"x").await.unwrap();
    }
    let code = |r: Result<(), Error>| match r {
        Err(Error::Storage(e)) => (e.status.as_u16(), e.code, e.message),
        other => panic!("{other:?}"),
    };
    let taken = (
        409,
        "KeyAlreadyExists".to_owned(),
        "The resource already exists".to_owned(),
    );
    assert_eq!(code(files.upload("a.txt", b"y").await.map(drop)), taken);
    assert_eq!(code(files.copy("a.txt", "b.txt").await.map(drop)), taken);
    assert_eq!(
        code(files.move_("a.txt", "b.txt").await.map(drop)),
        (
            409,
            "ResourceAlreadyExists".to_owned(),
            "The resource already exists".to_owned()
        )
    );
    let nowhere = (
        404,
        "InvalidRequest".to_owned(),
        "The related resource does not exist".to_owned(),
    );
    assert_eq!(
        code(
            files
                .move_to("a.txt", "no-such-bucket", "a.txt")
                .await
                .map(drop)
        ),
        nowhere
    );
    assert_eq!(
        code(
            files
                .copy_to("a.txt", "no-such-bucket", "a.txt")
                .await
                .map(drop)
        ),
        nowhere
    );
    let storage = service().await.storage();
    let Err(Error::Storage(e)) = storage
        .from_("no-such-bucket")
        .move_("a.txt", "b.txt")
        .await
    else {
        panic!("moved out of a missing bucket")
    };
    assert_eq!((e.status.as_u16(), e.code.as_str()), (404, "NoSuchKey"));
    // Nothing moved or was lost on the way.
    assert_eq!(&files.download("a.txt").await.unwrap()[..], b"x");
    assert_eq!(&files.download("b.txt").await.unwrap()[..], b"x");
}
