//! The blocking facade over storage: buckets and objects without async.

use supabase_core::Error;
use supabase_core::blocking;
use supabase_core::storage::{BucketOptions, ResumableOptions};
use supabase_tests::{reference_stack, unique_id};

#[test]
fn blocking_buckets_and_objects() {
    let (url, key) = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let stack = rt.block_on(reference_stack());
        (stack.url(), stack.service_role_key().to_owned())
    };
    let client = blocking::create_client(url, key).unwrap();
    let storage = client.storage();
    let name = format!("blk{}", unique_id());

    assert_eq!(
        storage
            .create_bucket_with(&name, BucketOptions::new().public(true))
            .unwrap(),
        name
    );
    assert!(storage.get_bucket(&name).unwrap().public);
    assert!(storage.list_buckets().unwrap().iter().any(|b| b.id == name));
    storage
        .update_bucket(&name, BucketOptions::new().public(false))
        .unwrap();
    assert!(!storage.get_bucket(&name).unwrap().public);

    let files = storage.from_(name.clone());
    let up = files.upload("dir/a.txt", b"alpha").unwrap();
    assert_eq!(up.full_path, format!("{name}/dir/a.txt"));
    assert_eq!(files.download("dir/a.txt").unwrap().as_ref(), b"alpha");
    files.update("dir/a.txt", b"beta").unwrap();
    assert!(files.exists("dir/a.txt").unwrap());
    assert_eq!(files.info("dir/a.txt").unwrap().size, Some(4));
    assert_eq!(
        files.copy("dir/a.txt", "dir/b.txt").unwrap(),
        format!("{name}/dir/b.txt")
    );
    files.move_("dir/b.txt", "dir/c.txt").unwrap();
    let listed: Vec<String> = files
        .list(Some("dir"))
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(listed, ["a.txt", "c.txt"]);

    let signed = files.create_signed_url("dir/a.txt", 60).unwrap();
    assert!(signed.contains("/object/sign/"), "{signed}");
    let upload = files.create_signed_upload_url("dir/d.txt").unwrap();
    files
        .upload_to_signed_url("dir/d.txt", upload.token.expose(), b"delta")
        .unwrap();
    assert_eq!(files.download("dir/d.txt").unwrap().as_ref(), b"delta");

    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("e.bin");
    std::fs::write(&local, vec![5u8; 300_000]).unwrap();
    files
        .upload_resumable(
            "dir/e.bin",
            &local,
            ResumableOptions::new().chunk_size(100_000),
        )
        .unwrap();
    assert_eq!(files.download("dir/e.bin").unwrap().len(), 300_000);

    let Err(Error::Storage(e)) = files.download("dir/missing.txt") else {
        panic!("a missing object downloaded")
    };
    assert!(e.is_not_found());

    assert_eq!(
        files
            .remove(["dir/a.txt", "dir/c.txt", "dir/d.txt", "dir/e.bin"])
            .unwrap()
            .len(),
        4
    );
    storage.empty_bucket(&name).unwrap();
    storage.delete_bucket(&name).unwrap();
    assert!(storage.get_bucket(&name).is_err());
}
