//! storage-api's rules as a client meets them, each checked against the storage-api source the
//! stand-in follows (cited there): which object keys exist, who reads a public bucket, what a
//! bucket update leaves alone, empty lists, signed-upload answers, download headers, listing
//! order.

use supabase_core::Error;
use supabase_core::storage::{BucketOptions, FileOptions, SearchOptions, SortOrder, UrlOptions};
use supabase_tests::{reference_stack, service, unique_id};

use super::{bucket, user, uuid};

#[tokio::test]
async fn keys_outside_storage_apis_characters_are_invalid() {
    let (_, files) = bucket(BucketOptions::new()).await;
    // `isValidKey` takes any UTF-8 but S3's "characters to avoid" (`#`, `%`, brackets,
    // quotes, `~`, …), controls, and invisible characters that could hide a path.
    for key in [
        "a#b.txt",
        "50%.txt",
        "x[1].txt",
        "q\"t.txt",
        "a~b.txt",
        "zero\u{200b}width.txt",
        "evil\u{202e}txt.exe",
        "tab\t.txt",
    ] {
        let Err(Error::Storage(e)) = files.upload(key, b"x").await else {
            panic!("{key} was accepted")
        };
        assert_eq!(
            (e.status.as_u16(), e.code.as_str()),
            (400, "InvalidKey"),
            "{key}"
        );
    }
    // Every symbol it allows, in one key.
    let key = "dir/a b!-.*'()&$@=;:+,?_Z9.txt";
    files.upload(key, b"allowed").await.unwrap();
    assert_eq!(&files.download(key).await.unwrap()[..], b"allowed");
    let listed = files.list(Some("dir")).await.unwrap();
    assert_eq!(listed[0].name, "a b!-.*'()&$@=;:+,?_Z9.txt");

    // Accents, other scripts and emoji (a ZWJ sequence too) round-trip, folders included.
    let family = "\u{1f468}\u{200d}\u{1f469}\u{200d}\u{1f467}";
    let keys = [
        "unicode/café.txt".to_owned(),
        "unicode/文件/報告.txt".to_owned(),
        format!("unicode/{family}.txt"),
    ];
    for key in &keys {
        files.upload(key, key.clone().into_bytes()).await.unwrap();
        assert_eq!(&files.download(key).await.unwrap()[..], key.as_bytes());
        assert_eq!(files.info(key).await.unwrap().name, *key);
    }
    let mut names: Vec<String> = files
        .list(Some("unicode"))
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    names.sort();
    let mut expected = vec![
        "café.txt".to_owned(),
        format!("{family}.txt"),
        "文件".to_owned(),
    ];
    expected.sort();
    assert_eq!(names, expected);
}

#[tokio::test]
async fn a_public_buckets_objects_are_read_without_rls() {
    // No policy on storage.objects lets this user read anything: in a public bucket the reads
    // run as storage-api's superuser, in a private one under RLS.
    let reader = user(&uuid()).await;
    let stack = reference_stack().await;
    let expired = stack
        .mint_jwt(&serde_json::json!({"sub": uuid(), "role": "authenticated", "exp": 1_000}))
        .unwrap();
    let expired = supabase_core::Client::new(
        stack.url(),
        stack.anon_key(),
        supabase_core::ClientOptions::default()
            .header("Authorization", format!("Bearer {expired}")),
    )
    .unwrap();
    for public in [true, false] {
        let (name, files) = bucket(BucketOptions::new().public(public)).await;
        files.upload("doc.txt", b"words").await.unwrap();
        let theirs = reader.storage().from_(name.clone());
        let download = theirs.download("doc.txt").await;
        let info = theirs.info("doc.txt").await;
        let exists = theirs.exists("doc.txt").await.unwrap();
        // The older routes the reference uses take an invalid token too (`allowInvalidJwt`):
        // public objects are served, private ones refused.
        let stale = expired
            .storage()
            .from_(name.clone())
            .download("doc.txt")
            .await;
        if public {
            assert_eq!(&download.unwrap()[..], b"words");
            assert_eq!(info.unwrap().name, "doc.txt");
            assert!(exists);
            assert_eq!(&stale.unwrap()[..], b"words");
        } else {
            let Err(Error::Storage(e)) = download else {
                panic!("read a private object without a policy")
            };
            assert_eq!(e.code, "NoSuchKey");
            assert!(matches!(info, Err(Error::Storage(e)) if e.code == "NoSuchKey"));
            assert!(!exists);
            let Err(Error::Storage(e)) = stale else {
                panic!("an expired token read a private object")
            };
            // As a missing bucket (`getObject.ts`: "The bucket must be public to access
            // its content").
            assert_eq!((e.status.as_u16(), e.code.as_str()), (404, "NoSuchBucket"));
        }
    }
}

#[tokio::test]
async fn public_object_info_needs_no_token() {
    let (name, files) = bucket(BucketOptions::new().public(true)).await;
    files
        .upload_with(
            "doc.txt",
            b"words",
            FileOptions::new().content_type("text/plain"),
        )
        .await
        .unwrap();
    let stack = reference_stack().await;
    let url = format!(
        "{}/storage/v1/object/info/public/{name}/doc.txt",
        stack.url()
    );
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    let info: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (&info["name"], &info["bucket_id"], &info["size"]),
        (
            &serde_json::json!("doc.txt"),
            &serde_json::json!(name),
            &serde_json::json!(5)
        )
    );
    // `InfoRenderer`'s keys, and no others: `last_modified` is the row's `updated_at`.
    let mut keys: Vec<&str> = info
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "bucket_id",
            "cache_control",
            "content_type",
            "created_at",
            "etag",
            "id",
            "last_modified",
            "metadata",
            "name",
            "size",
            "version"
        ]
    );
    // Written as storage-api's JSON writes a `Date` (`toISOString`).
    let updated_at = stack
        .query_json(&format!(
            "select to_char(updated_at at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') \
               as t from storage.objects where bucket_id = '{name}' and name = 'doc.txt'"
        ))
        .await
        .unwrap();
    assert_eq!(info["last_modified"], updated_at[0]["t"]);
    assert!(info["created_at"].as_str().unwrap().ends_with('Z'));
    // A private bucket's objects are not public.
    let (private, files) = bucket(BucketOptions::new()).await;
    files.upload("doc.txt", b"words").await.unwrap();
    let url = format!(
        "{}/storage/v1/object/info/public/{private}/doc.txt",
        stack.url()
    );
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 400);
}

#[tokio::test]
async fn updating_a_bucket_leaves_out_what_is_not_given() {
    let storage = service().await.storage();
    let (name, _) = bucket(BucketOptions::new().public(true).file_size_limit(2048)).await;
    storage
        .update_bucket(
            &name,
            BucketOptions::new().allowed_mime_types(["text/plain"]),
        )
        .await
        .unwrap();
    let b = storage.get_bucket(&name).await.unwrap();
    assert!(b.public, "public was not given: it stays");
    assert_eq!(b.file_size_limit, Some(2048));
    assert_eq!(b.allowed_mime_types, Some(vec!["text/plain".to_owned()]));
}

#[tokio::test]
async fn empty_lists_are_refused_and_a_missing_bucket_removes_nothing() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let none: [&str; 0] = [];
    let Err(Error::Storage(e)) = files.remove(none).await else {
        panic!("remove([]) accepted")
    };
    assert_eq!(e.status.as_u16(), 400);
    let Err(Error::Storage(e)) = files.create_signed_urls(none, 60).await else {
        panic!("create_signed_urls([]) accepted")
    };
    assert_eq!(e.status.as_u16(), 400);
    // `deleteObjects` does not look the bucket up.
    let gone = service()
        .await
        .storage()
        .from_(format!("nobucket{}", unique_id()))
        .remove(["a.txt"])
        .await
        .unwrap();
    assert!(gone.is_empty());
}

#[tokio::test]
async fn a_signed_upload_answers_its_key_alone() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let signed = files.create_signed_upload_url("up.txt").await.unwrap();
    let done = files
        .upload_to_signed_url("up.txt", signed.token.expose(), b"x")
        .await
        .unwrap();
    // `uploadSignedObject.ts` sends `{Key}`: no id.
    assert_eq!(done.id, None);
    assert_eq!(done.full_path, format!("{name}/up.txt"));
}

#[tokio::test]
async fn html_is_served_as_text_and_a_bare_download_is_a_bare_attachment() {
    let (_, files) = bucket(BucketOptions::new().public(true)).await;
    files
        .upload_with(
            "page.html",
            b"<script>alert(1)</script>",
            FileOptions::new().content_type("text/html"),
        )
        .await
        .unwrap();
    let url = files
        .get_public_url_with("page.html", UrlOptions::new().download(true))
        .unwrap();
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain");
    assert_eq!(resp.headers()["content-disposition"], "attachment;");
    let url = files
        .get_public_url_with(
            "page.html",
            UrlOptions::new().download(String::from("a b.html")),
        )
        .unwrap();
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=a%20b.html; filename*=UTF-8''a%20b.html;"
    );
}

/// `renderer.ts` hands `Range`, `If-None-Match` and `If-Modified-Since` to the backend
/// (`backend/file.ts` `getObject`): a part of the object (206), or nothing when the client's
/// copy is current (304). `Last-Modified` is an HTTP date.
#[tokio::test]
async fn downloads_take_ranges_and_answer_conditional_requests() {
    let (_, files) = bucket(BucketOptions::new().public(true)).await;
    files.upload("digits.txt", b"0123456789").await.unwrap();
    let url = files.get_public_url("digits.txt").unwrap();
    let http = reqwest::Client::new();
    let get = |headers: &[(&str, &str)]| {
        let mut req = http.get(&url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let whole = get(&[]).await.unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
    let modified = whole.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    httpdate::parse_http_date(&modified).expect("an HTTP date");
    assert_eq!(&whole.bytes().await.unwrap()[..], b"0123456789");

    for (range, part, content_range) in [
        ("bytes=2-5", &b"2345"[..], "bytes 2-5/10"),
        ("bytes=7-", b"789", "bytes 7-9/10"),
        ("bytes=-3", b"789", "bytes 7-9/10"),
        ("bytes=8-100", b"89", "bytes 8-9/10"),
    ] {
        let resp = get(&[("range", range)]).await.unwrap();
        assert_eq!(resp.status(), 206, "{range}");
        assert_eq!(resp.headers()["content-range"], content_range, "{range}");
        assert_eq!(&resp.bytes().await.unwrap()[..], part, "{range}");
    }
    let beyond = get(&[("range", "bytes=10-")]).await.unwrap();
    assert_eq!(beyond.status(), 400);
    let body: serde_json::Value = beyond.json().await.unwrap();
    assert_eq!(body["code"], "InvalidRange", "{body}");

    let current = get(&[("if-none-match", &etag)]).await.unwrap();
    assert_eq!(current.status(), 304);
    let current_range = get(&[("if-none-match", &etag), ("range", "bytes=10-")])
        .await
        .unwrap();
    assert_eq!(
        current_range.status(),
        304,
        "a current copy before its range"
    );
    let stale = get(&[("if-none-match", "\"other\"")]).await.unwrap();
    assert_eq!(stale.status(), 200);
    let unchanged = get(&[("if-modified-since", "Fri, 01 Jan 2100 00:00:00 GMT")])
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);
    let changed = get(&[("if-modified-since", "Mon, 01 Jan 2001 00:00:00 GMT")])
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
}

#[tokio::test]
async fn listings_order_as_storage_api_and_a_leading_slash_is_ignored() {
    let (_, files) = bucket(BucketOptions::new()).await;
    for key in ["d/b.txt", "d/A.txt", "d/c/x.txt", "d/B/y.txt"] {
        files.upload(key, b"x").await.unwrap();
    }
    let names = |entries: Vec<supabase_core::storage::FileObject>| {
        entries.into_iter().map(|e| e.name).collect::<Vec<_>>()
    };
    // By name: folders and files together, by their objects' lower-cased names (so `b.txt`
    // before the folder `B`, whose objects are `b/...`: `.` sorts before `/`).
    let by_name = files.list(Some("d")).await.unwrap();
    assert_eq!(names(by_name), ["A.txt", "b.txt", "B", "c"]);
    // By another column: the folders first.
    let by_time = files
        .list_with(
            Some("d"),
            SearchOptions::new().sort_by("created_at", SortOrder::Asc),
        )
        .await
        .unwrap();
    assert_eq!(names(by_time), ["B", "c", "b.txt", "A.txt"]);
    // The client strips a leading `/`, as it does from every path (storage-api would list
    // nothing: no name starts with `/`).
    let slashed = files.list(Some("/d")).await.unwrap();
    assert_eq!(names(slashed), ["A.txt", "b.txt", "B", "c"]);
    // At most 1500 entries a page, whatever the limit asked.
    let many = files
        .list_with(Some("d"), SearchOptions::new().limit(100_000))
        .await
        .unwrap();
    assert_eq!(many.len(), 4);
}

#[tokio::test]
async fn a_resumable_uploads_head_needs_a_valid_token() {
    // `routes/tus/index.ts` registers HEAD inside the `jwt` plugin's scope.
    let stack = reference_stack().await;
    let url = format!(
        "{}/storage/v1/upload/resumable/bm8tc3VjaC11cGxvYWQ",
        stack.url()
    );
    let head = |token: &str| {
        reqwest::Client::new()
            .head(&url)
            .header("tus-resumable", "1.0.0")
            .header("apikey", stack.anon_key())
            .header("authorization", format!("Bearer {token}"))
            .send()
    };
    assert_eq!(head("not.a.jwt").await.unwrap().status(), 400);
    assert_eq!(head(stack.anon_key()).await.unwrap().status(), 404);
}

/// A resumable upload that names no type is not checked against the bucket's types
/// (`lifecycle.ts` `onCreate`), and reads back as `application/octet-stream`.
#[tokio::test]
async fn a_resumable_upload_without_a_type_skips_the_type_check() {
    use base64::Engine;
    let (name, files) = bucket(BucketOptions::new().allowed_mime_types(["image/*"])).await;
    let stack = reference_stack().await;
    let http = reqwest::Client::new();
    let key = stack.service_role_key();
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let create = |metadata: String| {
        http.post(format!("{}/storage/v1/upload/resumable", stack.url()))
            .bearer_auth(key)
            .header("apikey", key)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", "3")
            .header("upload-metadata", metadata)
            .send()
    };
    let named = |object: &str| format!("bucketName {},objectName {}", b64(&name), b64(object));

    let typed = format!("{},contentType {}", named("typed"), b64("text/plain"));
    // The tus server answers with the error's own status.
    assert_eq!(create(typed).await.unwrap().status(), 415);

    let created = create(named("untyped")).await.unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let patched = http
        .patch(location)
        .bearer_auth(key)
        .header("apikey", key)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204, "{:?}", patched.text().await);
    let info = files.info("untyped").await.unwrap();
    assert_eq!(
        info.content_type.as_deref(),
        Some("application/octet-stream")
    );
}

/// The code of a storage error, or a panic naming what was accepted.
fn storage_code<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, String) {
    match result {
        Err(Error::Storage(e)) => (e.status.as_u16(), e.code),
        other => panic!("{other:?}"),
    }
}

/// `normalizeAllowedMimeTypes`: a bucket stores bare, lower-cased media types, each once, and
/// refuses what is not one; an upload's type must be a media type matching one exactly or by
/// its `type/*`, parameters aside; an empty folder's placeholder is not checked, and takes
/// 0 bytes.
#[tokio::test]
async fn allowed_mime_types_are_stored_and_compared_as_media_types() {
    let storage = service().await.storage();
    let (name, files) = bucket(BucketOptions::new().allowed_mime_types([
        " Text/Plain; charset=\"UTF-8\" ",
        "IMAGE/*",
        "image/*",
    ]))
    .await;
    let b = storage.get_bucket(&name).await.unwrap();
    assert_eq!(
        b.allowed_mime_types,
        Some(vec!["text/plain".to_owned(), "image/*".to_owned()])
    );
    for (i, ok) in ["text/plain; charset=utf-8", "image/PNG", "Text/Plain"]
        .iter()
        .enumerate()
    {
        files
            .upload_with(
                &format!("ok{i}"),
                b"x",
                FileOptions::new().content_type(*ok),
            )
            .await
            .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in ["text/html", "image", "image/*"] {
        let refused = files
            .upload_with("bad", b"x", FileOptions::new().content_type(bad))
            .await;
        assert_eq!(
            storage_code(refused),
            (415, "InvalidMimeType".into()),
            "{bad}"
        );
    }
    let placeholder = "folder/.emptyFolderPlaceholder";
    let typed = FileOptions::new().content_type("application/octet-stream");
    files
        .upload_with(placeholder, b"", typed.clone())
        .await
        .unwrap();
    let refused = files
        .upload_with("other/.emptyFolderPlaceholder", b"x", typed)
        .await;
    assert_eq!(storage_code(refused), (413, "EntityTooLarge".into()));

    for bad in ["*/*", "image/p*", "text/plain; charset"] {
        let refused = storage
            .create_bucket_with(
                &format!("b{}", unique_id()),
                BucketOptions::new().allowed_mime_types([bad]),
            )
            .await;
        assert_eq!(
            storage_code(refused),
            (415, "InvalidMimeType".into()),
            "{bad}"
        );
    }
}

/// A bucket limit above the global one is refused (`parseMaxSizeLimit`); `null` (the
/// `remove_*` options) clears a bucket's limit and types on update, where leaving them out
/// keeps them.
#[tokio::test]
async fn bucket_limits_are_checked_and_null_clears_them() {
    let storage = service().await.storage();
    let too_large = storage
        .create_bucket_with(
            &format!("b{}", unique_id()),
            BucketOptions::new().file_size_limit("6GB"),
        )
        .await;
    assert_eq!(storage_code(too_large), (413, "EntityTooLarge".into()));
    for spaced in ["20 MB", " 20MB", "1e3MB", ".5MB", "-1MB"] {
        let refused = storage
            .create_bucket_with(
                &format!("b{}", unique_id()),
                BucketOptions::new().file_size_limit(spaced),
            )
            .await;
        assert_eq!(storage_code(refused).0, 400, "{spaced}");
    }

    let (name, _) = bucket(
        BucketOptions::new()
            .file_size_limit("1.5kB")
            .allowed_mime_types(["text/plain"]),
    )
    .await;
    assert_eq!(
        storage.get_bucket(&name).await.unwrap().file_size_limit,
        Some(1500)
    );
    // Sent as `{"file_size_limit": null, "allowed_mime_types": null}`.
    let cleared = BucketOptions::new()
        .remove_file_size_limit()
        .remove_allowed_mime_types();
    storage.update_bucket(&name, cleared).await.unwrap();
    let b = storage.get_bucket(&name).await.unwrap();
    assert_eq!((b.file_size_limit, b.allowed_mime_types), (None, None));
}

/// A raw upload whose `Content-Length` is over the limit is refused before its body is read
/// (`fileUploadFromRequest`): here the body never comes, and the answer does.
#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_before_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (name, _) = bucket(BucketOptions::new().file_size_limit(1024)).await;
    let stack = reference_stack().await;
    let address = stack.url().trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let key = stack.service_role_key();
    let head = format!(
        "POST /storage/v1/object/{name}/big.bin HTTP/1.1\r\nHost: {address}\r\napikey: {key}\r\n\
         Authorization: Bearer {key}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 5000\r\nConnection: close\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    // The answer comes while the body is still awaited (the connection stays open to read
    // and drop it, as Node does): read until the JSON body has arrived.
    let mut answer = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        while !answer.ends_with(b"}") {
            let n = tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the answer");
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("an answer without the body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("EntityTooLarge"), "{answer}");
}

#[tokio::test]
async fn bodies_of_the_wrong_shape_get_storage_apis_error_not_a_plain_text_rejection() {
    // Fastify parses the JSON and validates it against the route's schema (AJV), and
    // `error-handler.ts` renders the refusal as every other error: a JSON body with a code.
    let (bucket, _) = bucket(BucketOptions::new()).await;
    let stack = reference_stack().await;
    let key = stack.service_role_key();
    let http = reqwest::Client::new();
    let post = |path: String, body: &'static str| {
        http.post(format!("{}/storage/v1/{path}", stack.url()))
            .header("apikey", key)
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let list = format!("object/list/{bucket}");
    for (path, body, message) in [
        (
            list.clone(),
            "{}",
            Some("body must have required property 'prefix'"),
        ),
        (list.clone(), "{\"prefix\": ", None),
        (
            list.clone(),
            r#"{"prefix": "", "sortBy": {"order": "desc"}}"#,
            Some("body/sortBy must have required property 'column'"),
        ),
        (
            list.clone(),
            r#"{"prefix": "", "sortBy": {"column": "name", "order": "sideways"}}"#,
            Some("body/sortBy/order must be equal to one of the allowed values"),
        ),
        (
            list.clone(),
            r#"{"prefix": "", "sortBy": {"column": "size"}}"#,
            Some("body/sortBy/column must be equal to one of the allowed values"),
        ),
        (
            list.clone(),
            r#"{"prefix": "", "limit": 0}"#,
            Some("body/limit must be >= 1"),
        ),
        (
            list.clone(),
            r#"{"prefix": "", "offset": -1}"#,
            Some("body/offset must be >= 0"),
        ),
        (
            "object/move".to_owned(),
            r#"{"bucketId": "b"}"#,
            Some("body must have required property 'sourceKey'"),
        ),
        (format!("object/sign/{bucket}"), "[]", None),
    ] {
        let resp = post(path.clone(), body).await.unwrap();
        assert_eq!(resp.status(), 400, "{path} {body}");
        let error: serde_json::Value = resp.json().await.expect("a JSON error body");
        assert_eq!(
            (&error["statusCode"], &error["code"], &error["error"]),
            (
                &"400".into(),
                &"InvalidRequest".into(),
                &"Bad Request".into()
            ),
            "{path} {body}: {error}"
        );
        if let Some(message) = message {
            assert_eq!(error["message"], message, "{path} {body}");
        }
    }
}
