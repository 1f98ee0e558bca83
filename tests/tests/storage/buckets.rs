//! Bucket methods of the reference.

use supabase_core::Error;
use supabase_core::storage::BucketOptions;
use supabase_tests::{anon, service, unique_id};

#[tokio::test]
async fn create_get_list_update_empty_delete() {
    let storage = service().await.storage();
    let id = format!("avatars{}", unique_id());
    // The reference's example: private, png only, 1024 bytes.
    let name = storage
        .create_bucket_with(
            &id,
            BucketOptions::new()
                .public(false)
                .allowed_mime_types(["image/png"])
                .file_size_limit(1024),
        )
        .await
        .unwrap();
    assert_eq!(name, id);

    let b = storage.get_bucket(&id).await.unwrap();
    assert_eq!(b.id, id);
    assert!(!b.public);
    assert_eq!(b.file_size_limit, Some(1024));
    assert_eq!(
        b.allowed_mime_types.as_deref(),
        Some(&["image/png".to_owned()][..])
    );
    assert!(b.created_at.is_some());

    let all = storage.list_buckets().await.unwrap();
    assert!(all.iter().any(|b| b.id == id));

    let msg = storage
        .update_bucket(
            &id,
            BucketOptions::new()
                .public(true)
                .allowed_mime_types(["image/*"])
                .file_size_limit("2KB"),
        )
        .await
        .unwrap();
    assert_eq!(msg.message, "Successfully updated");
    let b = storage.get_bucket(&id).await.unwrap();
    assert!(b.public);
    assert_eq!(b.file_size_limit, Some(2000));
    assert_eq!(
        b.allowed_mime_types.as_deref(),
        Some(&["image/*".to_owned()][..])
    );

    let files = storage.from_(id.clone());
    files.upload("a/x.png", b"png".to_vec()).await.unwrap();
    // Not empty: 409-status error, as storage-api.
    let Err(Error::Storage(e)) = storage.delete_bucket(&id).await else {
        panic!("deleting a bucket with objects must fail")
    };
    assert_eq!(e.status.as_u16(), 409);
    assert_eq!(e.http_status.as_u16(), 400);

    assert_eq!(
        storage.empty_bucket(&id).await.unwrap().message,
        "Successfully emptied"
    );
    assert!(!files.exists("a/x.png").await.unwrap());
    assert_eq!(
        storage.delete_bucket(&id).await.unwrap().message,
        "Successfully deleted"
    );
    let Err(Error::Storage(e)) = storage.get_bucket(&id).await else {
        panic!("deleted bucket still there")
    };
    assert!(e.is_not_found(), "{e:?}");

    // The older reference's `create_bucket(name)`: private, without limits.
    assert_eq!(storage.create_bucket(&id).await.unwrap(), id);
    let b = storage.get_bucket(&id).await.unwrap();
    assert!(!b.public);
    assert_eq!((b.file_size_limit, b.allowed_mime_types), (None, None));
    storage.delete_bucket(&id).await.unwrap();
}

#[tokio::test]
async fn anon_cannot_create_or_see_buckets_without_policies() {
    let storage = anon().await.storage();
    let id = format!("nope{}", unique_id());
    let Err(Error::Storage(e)) = storage.create_bucket(&id).await else {
        panic!("anon created a bucket")
    };
    assert_eq!(e.status.as_u16(), 403, "{e:?}");
    assert!(e.message.contains("row-level security"), "{e:?}");

    let (name, _) = super::bucket(BucketOptions::new()).await;
    assert!(
        !storage
            .list_buckets()
            .await
            .unwrap()
            .iter()
            .any(|b| b.id == name)
    );
}

#[tokio::test]
async fn duplicate_and_invalid_bucket_names() {
    let storage = service().await.storage();
    let (name, _) = super::bucket(BucketOptions::new()).await;
    let Err(Error::Storage(e)) = storage.create_bucket(&name).await else {
        panic!("duplicate bucket")
    };
    assert_eq!(e.status.as_u16(), 409);
    for bad in ["a/b".to_owned(), "é".to_owned(), "x".repeat(101)] {
        let Err(Error::Storage(e)) = storage.create_bucket(&bad).await else {
            panic!("bucket name {bad:?} accepted")
        };
        assert_eq!(
            (e.code.as_str(), e.error.as_str()),
            ("InvalidBucketName", "Invalid Input")
        );
    }
    // Up to 100 characters.
    let long = format!("{}{}", unique_id(), "l".repeat(80));
    storage.create_bucket(&long).await.unwrap();
    storage.delete_bucket(&long).await.unwrap();
    let Err(Error::Storage(e)) = storage
        .create_bucket_with(
            &format!("z{}", unique_id()),
            BucketOptions::new().file_size_limit("12 parsecs"),
        )
        .await
    else {
        panic!("bad size limit accepted")
    };
    assert_eq!(e.status.as_u16(), 400);
    assert!(e.message.contains("Invalid file size format"), "{e:?}");
}
