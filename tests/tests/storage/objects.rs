//! Object methods of the reference, through the service role.

use supabase_core::Error;
use supabase_core::storage::{
    BucketOptions, FileOptions, SearchOptions, SortOrder, TransformOptions, UrlOptions,
};

use super::bucket;

#[tokio::test]
async fn upload_download_update_upsert_info_exists() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("avatar1.png");
    std::fs::write(&png, b"\x89PNG fake").unwrap();

    // The reference's "upload file using filepath": cache-control 3600, no upsert. A path
    // uploads the file's contents (as `UploadBody::file`), as supabase-py opens a path.
    let up = files
        .upload_with(
            "public/avatar1.png",
            png.as_path(),
            FileOptions::new().cache_control("3600").upsert(false),
        )
        .await
        .unwrap();
    assert_eq!(up.path, "public/avatar1.png");
    assert_eq!(up.full_path, format!("{name}/public/avatar1.png"));
    assert!(up.id.is_some());
    assert_eq!(
        files.download("public/avatar1.png").await.unwrap().as_ref(),
        b"\x89PNG fake"
    );

    let info = files.info("public/avatar1.png").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("image/png")); // guessed from the extension
    assert_eq!(info.cache_control.as_deref(), Some("max-age=3600"));
    assert_eq!(info.size, Some(9));
    assert_eq!(Some(info.id), up.id);
    assert!(info.etag.is_some());

    // Same path again without upsert: 409 Duplicate.
    let Err(Error::Storage(e)) = files.upload("public/avatar1.png", b"other").await else {
        panic!("duplicate upload accepted")
    };
    assert_eq!(e.status.as_u16(), 409);
    // With upsert it replaces.
    files
        .upload_with(
            "public/avatar1.png",
            b"replaced",
            FileOptions::new()
                .upsert(true)
                .metadata(serde_json::json!({"k": 1})),
        )
        .await
        .unwrap();
    assert_eq!(
        files.download("public/avatar1.png").await.unwrap().as_ref(),
        b"replaced"
    );
    assert_eq!(
        files.info("public/avatar1.png").await.unwrap().metadata,
        Some(serde_json::json!({"k": 1}))
    );

    // The reference's update.
    files
        .update_with(
            "public/avatar1.png",
            b"updated".to_vec(),
            FileOptions::new()
                .cache_control("60")
                .content_type("image/webp"),
        )
        .await
        .unwrap();
    let info = files.info("public/avatar1.png").await.unwrap();
    assert_eq!(info.content_type.as_deref(), Some("image/webp"));
    // storage-py's `file_options["headers"]` go out over the computed ones, raw or multipart.
    for multipart in [false, true] {
        files
            .update_with(
                "public/avatar1.png",
                b"updated".to_vec(),
                FileOptions::new()
                    .content_type("image/webp")
                    .header("content-type", "text/x-from-header")
                    .multipart(multipart),
            )
            .await
            .unwrap();
        let info = files.info("public/avatar1.png").await.unwrap();
        assert_eq!(info.content_type.as_deref(), Some("text/x-from-header"));
    }
    let bad = files
        .update_with(
            "public/avatar1.png",
            b"never sent".to_vec(),
            FileOptions::new().header("bad header", "x"),
        )
        .await;
    assert!(matches!(bad, Err(Error::Config(_))), "{bad:?}");
    assert_eq!(
        files.download("public/avatar1.png").await.unwrap().as_ref(),
        b"updated"
    );
    // Updating what does not exist creates it: storage-api's PUT is an upsert.
    files.update("public/new.png", b"new").await.unwrap();
    assert_eq!(
        files.download("public/new.png").await.unwrap().as_ref(),
        b"new"
    );

    assert!(files.exists("public/avatar1.png").await.unwrap());
    assert!(!files.exists("public/avatar2.png").await.unwrap());
}

#[tokio::test]
async fn list_search_sort_and_folders() {
    let (_, files) = bucket(BucketOptions::new()).await;
    for p in [
        "folder/jon.txt",
        "folder/jonas.txt",
        "folder/ann.txt",
        "folder/sub/deep.txt",
        "top.txt",
    ] {
        files.upload(p, p.to_owned().into_bytes()).await.unwrap();
    }
    let names = |v: &[supabase_core::storage::FileObject]| {
        v.iter().map(|f| f.name.clone()).collect::<Vec<_>>()
    };
    // The reference's example: limit 100, offset 0, by name descending.
    let listed = files
        .list_with(
            Some("folder"),
            SearchOptions::new()
                .limit(100)
                .offset(0)
                .sort_by("name", SortOrder::Desc),
        )
        .await
        .unwrap();
    assert_eq!(names(&listed), ["sub", "jonas.txt", "jon.txt", "ann.txt"]);
    let sub = listed.iter().find(|f| f.name == "sub").unwrap();
    assert!(sub.is_folder() && sub.metadata.is_none());
    let jon = listed.iter().find(|f| f.name == "jon.txt").unwrap();
    assert!(!jon.is_folder());
    assert_eq!(jon.metadata.as_ref().unwrap()["size"], 14);

    // Search "jon", as the reference.
    let found = files
        .list_with(Some("folder"), SearchOptions::new().search("jon"))
        .await
        .unwrap();
    assert_eq!(names(&found), ["jon.txt", "jonas.txt"]);

    let page = files
        .list_with(Some("folder/"), SearchOptions::new().limit(2).offset(1))
        .await
        .unwrap();
    assert_eq!(names(&page), ["jon.txt", "jonas.txt"]);
    let root = files.list(None).await.unwrap();
    assert_eq!(names(&root), ["folder", "top.txt"]);
}

#[tokio::test]
async fn move_copy_across_buckets_and_remove() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let (other, other_files) = bucket(BucketOptions::new()).await;
    files.upload("public/avatar1.png", b"one").await.unwrap();

    // The reference's move and copy.
    let moved = files
        .move_("public/avatar1.png", "private/avatar2.png")
        .await
        .unwrap();
    assert_eq!(moved.message, "Successfully moved");
    assert!(!files.exists("public/avatar1.png").await.unwrap());
    let key = files
        .copy("private/avatar2.png", "public/avatar1.png")
        .await
        .unwrap();
    assert_eq!(key, format!("{name}/public/avatar1.png"));
    assert_eq!(
        files.download("public/avatar1.png").await.unwrap().as_ref(),
        b"one"
    );

    let key = files
        .copy_to("private/avatar2.png", &other, "copied.png")
        .await
        .unwrap();
    assert_eq!(key, format!("{other}/copied.png"));
    assert_eq!(
        other_files.download("copied.png").await.unwrap().as_ref(),
        b"one"
    );
    // A copy is not an upload: the destination bucket's types and size limit are not
    // checked (`copyObject` checks the key and the policies only).
    let (strict, strict_files) = bucket(
        BucketOptions::new()
            .allowed_mime_types(["image/*"])
            .file_size_limit(1),
    )
    .await;
    files
        .upload_with(
            "notes.txt",
            b"plain text",
            FileOptions::new().content_type("text/plain"),
        )
        .await
        .unwrap();
    files
        .copy_to("notes.txt", &strict, "notes.txt")
        .await
        .unwrap();
    assert_eq!(
        strict_files.download("notes.txt").await.unwrap().as_ref(),
        b"plain text"
    );
    files
        .move_to("public/avatar1.png", &other, "moved.png")
        .await
        .unwrap();
    assert_eq!(
        other_files.download("moved.png").await.unwrap().as_ref(),
        b"one"
    );

    // Moving onto an existing object fails; moving a missing one too.
    files.upload("a.txt", b"a").await.unwrap();
    files.upload("b.txt", b"b").await.unwrap();
    assert!(
        matches!(files.move_("a.txt", "b.txt").await, Err(Error::Storage(e)) if e.status.as_u16() == 409)
    );
    assert!(
        matches!(files.move_("zzz.txt", "c.txt").await, Err(Error::Storage(e)) if e.is_not_found())
    );

    // The reference's remove (many at once; missing paths skipped).
    let removed = files
        .remove(["a.txt", "b.txt", "missing.txt"])
        .await
        .unwrap();
    let mut removed: Vec<_> = removed.into_iter().map(|f| f.name).collect();
    removed.sort();
    assert_eq!(removed, ["a.txt", "b.txt"]);
    assert!(!files.exists("a.txt").await.unwrap());

    // The older reference's `remove('test.jpg')`: one path alone.
    files.upload("test.jpg", b"x").await.unwrap();
    let removed = files.remove("test.jpg").await.unwrap();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].name, "test.jpg");
    assert!(!files.exists("test.jpg").await.unwrap());
}

#[tokio::test]
async fn signed_urls_work_and_expire() {
    let (_, files) = bucket(BucketOptions::new()).await;
    files
        .upload("folder/avatar1.png", b"secret bytes")
        .await
        .unwrap();
    let http = reqwest::Client::new();

    // The reference's create_signed_url(path, 60).
    let url = files
        .create_signed_url("folder/avatar1.png", 60)
        .await
        .unwrap();
    assert!(url.contains("/storage/v1/object/sign/"), "{url}");
    let resp = http.get(&url).send().await.unwrap(); // no apikey, no token
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"secret bytes");

    // download=true: served as an attachment.
    let url = files
        .create_signed_url_with("folder/avatar1.png", 60, UrlOptions::new().download(true))
        .await
        .unwrap();
    assert!(url.ends_with("&download="), "{url}");
    let resp = http.get(&url).send().await.unwrap();
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    // `renderer.ts`: a bare `download` is a bare `attachment;`.
    assert_eq!(cd, "attachment;");

    // download("name"): an attachment under that name; download(false): no attachment, as
    // without the option.
    let url = files
        .create_signed_url_with(
            "folder/avatar1.png",
            60,
            UrlOptions::new().download(String::from("mine.png")),
        )
        .await
        .unwrap();
    assert!(url.ends_with("&download=mine.png"), "{url}");
    let resp = http.get(&url).send().await.unwrap();
    let cd = resp.headers()["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment; filename=mine.png"), "{cd}");
    // A name with the characters a query gives meaning to arrives whole.
    let odd = "a&b #1=100%+ é.png";
    let url = files
        .create_signed_url_with(
            "folder/avatar1.png",
            60,
            UrlOptions::new().download(odd.to_owned()),
        )
        .await
        .unwrap();
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{url}");
    let cd = resp.headers()["content-disposition"].to_str().unwrap();
    let encoded = "a%26b%20%231%3D100%25%2B%20%C3%A9.png";
    assert!(
        cd.starts_with(&format!("attachment; filename={encoded};")),
        "{cd}"
    );
    let urls = files
        .create_signed_urls_with(
            ["folder/avatar1.png"],
            60,
            UrlOptions::new().download(odd.to_owned()),
        )
        .await
        .unwrap();
    let resp = http
        .get(urls[0].signed_url.as_deref().unwrap())
        .send()
        .await
        .unwrap();
    let cd = resp.headers()["content-disposition"].to_str().unwrap();
    assert!(
        cd.starts_with(&format!("attachment; filename={encoded};")),
        "{cd}"
    );
    let url = files
        .create_signed_url_with("folder/avatar1.png", 60, UrlOptions::new().download(false))
        .await
        .unwrap();
    assert!(!url.contains("download"), "{url}");
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-disposition").is_none());
    // A signed URL's answer expires with its token instead of carrying the object's cache
    // control (`renderer.ts`).
    let expires = resp.headers()["expires"].to_str().unwrap();
    let at = httpdate::parse_http_date(expires).unwrap();
    let ahead = at.duration_since(std::time::SystemTime::now()).unwrap();
    assert!((30..=60).contains(&ahead.as_secs()), "{expires}");
    assert!(resp.headers().get("cache-control").is_none());

    // A URL signed for 1 s stops working once it expires (the token's `exp`, checked by the
    // server; we wait past it rather than time anything).
    let short = files
        .create_signed_url("folder/avatar1.png", 1)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let resp = http.get(&short).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["statusCode"], "400");
    assert_eq!(body["error"], "InvalidJWT");
    assert_eq!(body["message"], "jwt expired");

    // A token for another object is refused.
    let tampered = url.replace("avatar1.png", "avatar2.png");
    let resp = http.get(&tampered).send().await.unwrap();
    assert_eq!(resp.status(), 400);

    // create_signed_urls: one entry per path, an error for a missing one.
    let entries = files
        .create_signed_urls(["folder/avatar1.png", "folder/missing.png"], 60)
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert!(entries[0].error.is_none());
    let got = http
        .get(entries[0].signed_url.as_ref().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.bytes().await.unwrap().as_ref(), b"secret bytes");
    // Debug shows where the URL goes, not its token.
    let url = entries[0].signed_url.as_deref().unwrap();
    let (before, token) = url.split_once("?token=").unwrap();
    let shown = format!("{:?}", entries[0]);
    assert!(shown.contains(before) && !shown.contains(token), "{shown}");
    assert!(entries[1].signed_url.is_none());
    assert!(
        entries[1]
            .error
            .as_deref()
            .unwrap()
            .contains("does not exist")
    );
    // A batch signs no transformation: refused, not silently left out.
    let transform = UrlOptions::new().transform(TransformOptions::new().width(10));
    let refused = files
        .create_signed_urls_with(["folder/avatar1.png"], 60, transform)
        .await;
    assert!(matches!(refused, Err(Error::Config(_))), "{refused:?}");

    // Signing a missing object fails.
    assert!(matches!(
        files.create_signed_url("nope.png", 60).await,
        Err(Error::Storage(e)) if e.is_not_found()
    ));
}

#[tokio::test]
async fn signed_upload_url_then_upload_without_credentials() {
    let (name, files) = bucket(BucketOptions::new()).await;
    let signed = files
        .create_signed_upload_url("folder/cat.jpg")
        .await
        .unwrap();
    assert_eq!(signed.path, "folder/cat.jpg");
    assert!(signed.signed_url.expose().contains("/object/upload/sign/"));
    // Its Debug hides the token.
    let dbg = format!("{signed:?}");
    assert!(!dbg.contains(signed.token.expose()), "{dbg}");

    // Upload through a client with only the anon key (no policies: anon could not upload).
    let anon_files = supabase_tests::anon().await.storage().from_(name.clone());
    let up = anon_files
        .upload_to_signed_url("folder/cat.jpg", signed.token.expose(), b"meow")
        .await
        .unwrap();
    assert_eq!(up.full_path, format!("{name}/folder/cat.jpg"));
    assert_eq!(
        files.download("folder/cat.jpg").await.unwrap().as_ref(),
        b"meow"
    );
    assert_eq!(
        files
            .info("folder/cat.jpg")
            .await
            .unwrap()
            .content_type
            .as_deref(),
        Some("image/jpeg")
    );
    // Used again without upsert: the object exists now.
    assert!(matches!(
        anon_files
            .upload_to_signed_url("folder/cat.jpg", signed.token.expose(), b"again")
            .await,
        Err(Error::Storage(e)) if e.status.as_u16() == 409
    ));
    // A token for one path does not upload another.
    assert!(matches!(
        anon_files
            .upload_to_signed_url("folder/dog.jpg", signed.token.expose(), b"woof")
            .await,
        Err(Error::Storage(e)) if e.error == "InvalidSignature"
    ));
    // Creating one for an existing path without upsert fails up front.
    assert!(matches!(
        files.create_signed_upload_url("folder/cat.jpg").await,
        Err(Error::Storage(e)) if e.status.as_u16() == 409
    ));
    assert!(
        files
            .create_signed_upload_url_with("folder/cat.jpg", true)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn public_urls_and_transforms() {
    let (name, files) = bucket(BucketOptions::new().public(true)).await;
    files
        .upload("folder/avatar1.jpg", b"jpeg bytes")
        .await
        .unwrap();
    let stack = supabase_tests::reference_stack().await;

    // The reference's three get_public_url examples.
    let url = files.get_public_url("folder/avatar1.jpg").unwrap();
    assert_eq!(
        url,
        format!(
            "{}/storage/v1/object/public/{name}/folder/avatar1.jpg",
            stack.url()
        )
    );
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"jpeg bytes");

    let url = files
        .get_public_url_with(
            "folder/avatar1.jpg",
            UrlOptions::new().transform(TransformOptions::new().width(100).height(100)),
        )
        .unwrap();
    assert_eq!(
        url,
        format!(
            "{}/storage/v1/render/image/public/{name}/folder/avatar1.jpg?width=100&height=100",
            stack.url()
        )
    );
    // The render route exists, but "jpeg bytes" is no image: imgproxy's failure, rendered by
    // storage-api as a 400 carrying 422 (decoded images are tested in `images.rs`).
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["statusCode"], "422");

    // A transform with nothing in it is no transformation (storage-js checks for keys); a
    // zero is left out, as storage-js leaves out what is falsy.
    let url = files
        .get_public_url_with(
            "folder/avatar1.jpg",
            UrlOptions::new().transform(TransformOptions::new()),
        )
        .unwrap();
    assert!(url.contains("/object/public/"), "{url}");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    let url = files
        .get_public_url_with(
            "folder/avatar1.jpg",
            UrlOptions::new().transform(TransformOptions::new().width(0).height(20)),
        )
        .unwrap();
    assert!(url.ends_with("/folder/avatar1.jpg?height=20"), "{url}");

    let url = files
        .get_public_url_with("folder/avatar1.jpg", UrlOptions::new().download(true))
        .unwrap();
    assert!(url.ends_with("/folder/avatar1.jpg?download="), "{url}");
    let resp = reqwest::get(&url).await.unwrap();
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );

    // A private bucket's public URL serves nothing.
    let (_, private) = bucket(BucketOptions::new()).await;
    private.upload("x.txt", b"x").await.unwrap();
    let resp = reqwest::get(private.get_public_url("x.txt").unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    // download with transform goes to render/image/authenticated and reports the error typed.
    let Err(Error::Storage(e)) = files
        .download_with(
            "folder/avatar1.jpg",
            UrlOptions::new().transform(TransformOptions::new().width(100).height(100).quality(80)),
        )
        .await
    else {
        panic!("text transformed as an image")
    };
    assert_eq!(e.status.as_u16(), 422);
    assert_eq!(e.http_status.as_u16(), 400);
    assert_eq!(e.code, "InvalidRequest");
}

/// The reference's dicts as JSON: bucket options, `file_options` with its string `"upsert"`,
/// list options with `sortBy`, and URL options, against the stand-in.
#[tokio::test]
async fn reference_dicts_as_json_options() {
    use serde_json::json;
    let options: BucketOptions = serde_json::from_value(json!({
        "public": false, "allowed_mime_types": ["image/png", "text/plain"], "file_size_limit": 1024,
    }))
    .unwrap();
    let (name, files) = bucket(options).await;
    let bucket_row = super::service()
        .await
        .storage()
        .get_bucket(&name)
        .await
        .unwrap();
    assert!(!bucket_row.public);
    assert_eq!(bucket_row.file_size_limit, Some(1024));

    let first: FileOptions = serde_json::from_value(
        json!({"cache-control": "120", "upsert": "false", "content-type": "text/plain"}),
    )
    .unwrap();
    files
        .upload_with("folder/a.txt", b"one", first)
        .await
        .unwrap();
    let info = files.info("folder/a.txt").await.unwrap();
    assert_eq!(info.cache_control.as_deref(), Some("max-age=120"));
    assert_eq!(info.content_type.as_deref(), Some("text/plain"));
    // "upsert": "false" is honoured: a second upload is a 409.
    let again: FileOptions =
        serde_json::from_value(json!({"cache-control": "3600", "upsert": "false"})).unwrap();
    let Err(Error::Storage(e)) = files.upload_with("folder/a.txt", b"two", again).await else {
        panic!("duplicate upload accepted")
    };
    assert_eq!(e.status.as_u16(), 409);
    // "upsert": "true" replaces (the reference's update example).
    let replace: FileOptions =
        serde_json::from_value(json!({"cache-control": "3600", "upsert": "true"})).unwrap();
    files
        .upload_with("folder/a.txt", b"two", replace)
        .await
        .unwrap();
    assert_eq!(
        files.download("folder/a.txt").await.unwrap().as_ref(),
        b"two"
    );
    files.upload("folder/b.txt", b"b").await.unwrap();

    let list: SearchOptions = serde_json::from_value(json!({
        "limit": 100, "offset": 0, "sortBy": {"column": "name", "order": "desc"},
    }))
    .unwrap();
    let names: Vec<String> = files
        .list_with(Some("folder"), list)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["b.txt", "a.txt"]);
    let search: SearchOptions =
        serde_json::from_value(json!({"limit": 100, "offset": 0, "search": "a."})).unwrap();
    let names: Vec<String> = files
        .list_with(Some("folder"), search)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["a.txt"]);

    let url_options: UrlOptions = serde_json::from_value(json!({"download": true})).unwrap();
    let url = files
        .create_signed_url_with("folder/a.txt", 60, url_options)
        .await
        .unwrap();
    let resp = reqwest::get(&url).await.unwrap();
    assert!(
        resp.headers()
            .get("content-disposition")
            .is_some_and(|v| v.to_str().unwrap().starts_with("attachment")),
        "{:?}",
        resp.headers()
    );
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"two");
}

/// `remove` and `create_signed_urls` clean paths as every other method does: what `upload`
/// stored under `/dir//a.txt` (as `dir/a.txt`) is found by the same string.
#[tokio::test]
async fn remove_and_signed_urls_clean_paths_as_upload_does() {
    let (_, files) = bucket(BucketOptions::new()).await;
    let messy = "/dir//a.txt";
    files.upload(messy, b"a".to_vec()).await.unwrap();
    assert!(files.exists("dir/a.txt").await.unwrap());
    let signed = files.create_signed_urls([messy], 60).await.unwrap();
    assert!(signed[0].signed_url.is_some(), "{signed:?}");
    assert!(signed[0].error.is_none(), "{signed:?}");
    let removed = files.remove(messy).await.unwrap();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(!files.exists("dir/a.txt").await.unwrap());
    assert!(
        files.remove("//").await.is_err(),
        "an empty path is refused"
    );
}
