//! `multipart/form-data` uploads (what storage-js sends for a `Blob`/`File`) next to raw-body
//! uploads, on the same routes.

use supabase_core::Error;
use supabase_core::storage::{BucketOptions, FileOptions, UploadBody};
use supabase_tests::reference_stack;

use super::bucket;

#[tokio::test]
async fn client_uploads_both_body_kinds() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, b"%PDF-1.4 streamed from a file").unwrap();

    for (path, multipart) in [("raw/a.png", false), ("form/a.png", true)] {
        files
            .upload_with(
                path,
                b"\x89PNG bytes".to_vec(),
                FileOptions::new()
                    .cache_control("60")
                    .metadata(serde_json::json!({"kind": path}))
                    .multipart(multipart),
            )
            .await
            .unwrap();
        assert_eq!(
            files.download(path).await.unwrap().as_ref(),
            b"\x89PNG bytes"
        );
        let info = files.info(path).await.unwrap();
        assert_eq!(info.content_type.as_deref(), Some("image/png"), "{path}");
        assert_eq!(info.cache_control.as_deref(), Some("max-age=60"), "{path}");
        assert_eq!(info.metadata, Some(serde_json::json!({"kind": path})));
        assert_eq!(info.size, Some(10));
    }

    // A file streamed as a form part, then replaced (update) as a form.
    files
        .upload_with(
            "form/doc.pdf",
            UploadBody::file(&file),
            FileOptions::new().multipart(true),
        )
        .await
        .unwrap();
    assert_eq!(
        files
            .info("form/doc.pdf")
            .await
            .unwrap()
            .content_type
            .as_deref(),
        Some("application/pdf")
    );
    files
        .update_with(
            "form/doc.pdf",
            b"v2",
            FileOptions::new()
                .content_type("text/plain")
                .multipart(true),
        )
        .await
        .unwrap();
    assert_eq!(
        files.download("form/doc.pdf").await.unwrap().as_ref(),
        b"v2"
    );
    assert_eq!(
        files
            .info("form/doc.pdf")
            .await
            .unwrap()
            .content_type
            .as_deref(),
        Some("text/plain")
    );

    // Signed upload URLs take forms too.
    let signed = files
        .create_signed_upload_url("form/signed.txt")
        .await
        .unwrap();
    files
        .upload_to_signed_url_with(
            "form/signed.txt",
            signed.token.expose(),
            b"via a signed URL",
            FileOptions::new().multipart(true),
        )
        .await
        .unwrap();
    assert_eq!(
        files.download("form/signed.txt").await.unwrap().as_ref(),
        b"via a signed URL"
    );
}

#[tokio::test]
async fn form_rules_and_limits_apply() {
    let (_, files) = bucket(
        BucketOptions::new()
            .allowed_mime_types(["image/*"])
            .file_size_limit(16),
    )
    .await;

    // The part's type is checked against the bucket.
    let Err(Error::Storage(e)) = files
        .upload_with(
            "t.txt",
            b"hello",
            FileOptions::new()
                .content_type("text/plain")
                .multipart(true),
        )
        .await
    else {
        panic!("a disallowed mime type was accepted")
    };
    assert_eq!(e.status.as_u16(), 415, "{e:?}");

    // Oversized: 413, and nothing is left behind.
    let Err(Error::Storage(e)) = files
        .upload_with("big.png", vec![7u8; 17], FileOptions::new().multipart(true))
        .await
    else {
        panic!("an oversized upload was accepted")
    };
    assert_eq!(e.status.as_u16(), 413, "{e:?}");
    assert!(!files.exists("big.png").await.unwrap());
}

#[tokio::test]
async fn hand_made_forms_follow_storage_api() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let stack = reference_stack().await;
    let url = |path: &str| format!("{}/storage/v1/object/{name}/{path}", stack.url());
    let http = reqwest::Client::new();
    let key = stack.service_role_key();

    // A `contentType` field wins over the part's type; `userMetadata` is read too.
    let form = reqwest::multipart::Form::new()
        .text("contentType", "text/csv")
        .text("userMetadata", r#"{"a":1}"#)
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"x,y\n1,2\n".to_vec())
                .file_name("data.bin")
                .mime_str("application/octet-stream")
                .unwrap(),
        );
    let resp = http
        .post(url("hand/data.csv"))
        .bearer_auth(key)
        .header("apikey", key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let info = files.info("hand/data.csv").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("text/csv"));
    assert_eq!(info.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(info.metadata, Some(serde_json::json!({"a": 1})));

    // Fields only, no file: "No content provided".
    let form = reqwest::multipart::Form::new().text("cacheControl", "60");
    let resp = http
        .post(url("hand/empty.bin"))
        .bearer_auth(key)
        .header("apikey", key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], "400");
    assert_eq!(body["message"], "No content provided");
    assert!(!files.exists("hand/empty.bin").await.unwrap());
}

/// What busboy hands storage-api (`fileUploadFromRequest`): a part's type is lower-cased
/// without its parameters; a part typed `application/octet-stream` is the file even without a
/// file name; a field is cut to its first MiB, so a longer `metadata` is no longer JSON and is
/// dropped, and one whose cut splits a character grows past `MAX_CUSTOM_METADATA_SIZE` and is
/// `EntityTooLarge`. On a raw upload, an `x-metadata` that is not base64 JSON is no metadata.
#[tokio::test]
async fn form_fields_are_read_as_busboy_hands_them() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let stack = reference_stack().await;
    let url = |path: &str| format!("{}/storage/v1/object/{name}/{path}", stack.url());
    let http = reqwest::Client::new();
    let key = stack.service_role_key();
    let post = |path: &str, form: reqwest::multipart::Form| {
        http.post(url(path))
            .bearer_auth(key)
            .header("apikey", key)
            .multipart(form)
            .send()
    };
    let part = |bytes: &[u8], mime: &str| {
        reqwest::multipart::Part::bytes(bytes.to_vec())
            .mime_str(mime)
            .unwrap()
    };

    let form = reqwest::multipart::Form::new().part(
        "file",
        part(b"hi", "Text/Plain; charset=utf-8").file_name("a.txt"),
    );
    let resp = post("typed.txt", form).await.unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let info = files.info("typed.txt").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));

    // No file name: the octet-stream part is still the file.
    let form =
        reqwest::multipart::Form::new().part("file", part(b"raw", "application/octet-stream"));
    let resp = post("nameless.bin", form).await.unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    assert_eq!(
        files.download("nameless.bin").await.unwrap(),
        b"raw".to_vec()
    );

    const MIB: usize = 1024 * 1024;
    let long = format!(r#"{{"a":"{}"}}"#, "x".repeat(MIB));
    let form = reqwest::multipart::Form::new()
        .text("metadata", long)
        .part("file", part(b"1", "text/plain").file_name("m"));
    let resp = post("long-metadata", form).await.unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    // No metadata kept: `{}`, as storage-api's `{ ...request.userMetadata }` stores.
    assert_eq!(
        files.info("long-metadata").await.unwrap().metadata,
        Some(serde_json::json!({}))
    );

    // The cut leaves the first two bytes of a three-byte '€', decoded as one U+FFFD (three
    // bytes): one byte over the limit.
    let split = format!("{}€", "x".repeat(MIB - 2));
    let form = reqwest::multipart::Form::new()
        .text("metadata", split)
        .part("file", part(b"1", "text/plain").file_name("m"));
    let resp = post("split-metadata", form).await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], "413");
    assert_eq!(body["code"], "EntityTooLarge");
    assert_eq!(
        body["message"],
        "The user_metadata exceeded the maximum allowed size"
    );
    assert!(!files.exists("split-metadata").await.unwrap());

    // Not base64 JSON: no metadata (`{}`). Read as Node's base64 decoder reads it: the URL-safe
    // alphabet, no padding, white space skipped, the first `=` ending it.
    let q = Some(serde_json::json!({"q": "??>>~~"}));
    let none = Some(serde_json::json!({}));
    for (header, metadata) in [
        ("not base64!", none.clone()),
        ("bm90IGpzb24=", none),
        ("eyJxIjoiPz8-Pn5-In0", q.clone()),
        (" eyJxIjoiPz8+Pn5+\tIn0=", q.clone()),
        ("eyJxIjoiPz8+Pn5+In0=e30=", q),
    ] {
        let resp = http
            .post(url("raw-metadata"))
            .bearer_auth(key)
            .header("apikey", key)
            .header("x-upsert", "true")
            .header("x-metadata", header)
            .body("raw")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{header}: {:?}", resp.text().await);
        let info = files.info("raw-metadata").await.unwrap();
        assert_eq!(info.metadata, metadata, "{header:?}");
    }
}
