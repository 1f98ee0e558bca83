//! RLS on `storage.objects` applies per user, exactly as on Supabase: a policy lets each user
//! touch only the folder named after their id; anon gets nothing.

use supabase_core::Error;
use supabase_core::storage::{BucketOptions, FileOptions, ResumableOptions, UploadBody};
use supabase_tests::{anon, reference_stack};

use super::{bucket, user, uuid};

#[tokio::test]
async fn users_touch_only_their_own_folder() {
    let (name, service_files) = bucket(BucketOptions::new()).await;
    reference_stack()
        .await
        .execute_sql(&format!(
            "create policy \"own folder insert {name}\" on storage.objects for insert \
               to authenticated with check (bucket_id = '{name}' \
               and (storage.foldername(name))[1] = auth.uid()::text); \
             create policy \"own folder select {name}\" on storage.objects for select \
               to authenticated using (bucket_id = '{name}' \
               and (storage.foldername(name))[1] = auth.uid()::text); \
             create policy \"own folder delete {name}\" on storage.objects for delete \
               to authenticated using (bucket_id = '{name}' \
               and (storage.foldername(name))[1] = auth.uid()::text);"
        ))
        .await
        .unwrap();
    let (a, b) = (uuid(), uuid());
    let alice = user(&a).await.storage().from_(name.clone());
    let bob = user(&b).await.storage().from_(name.clone());
    let nobody = anon().await.storage().from_(name.clone());

    let up = alice
        .upload(&format!("{a}/avatar.png"), b"alice's")
        .await
        .unwrap();
    assert!(up.id.is_some());
    bob.upload(&format!("{b}/avatar.png"), b"bob's")
        .await
        .unwrap();

    // Writing into someone else's folder: RLS refuses, 403 in storage-api's body.
    let Err(Error::Storage(e)) = alice.upload(&format!("{b}/evil.png"), b"x").await else {
        panic!("alice wrote into bob's folder")
    };
    assert_eq!(e.status.as_u16(), 403, "{e:?}");
    assert_eq!(e.message, "new row violates row-level security policy");
    // ...and nothing was left behind.
    assert!(
        !service_files
            .exists(&format!("{b}/evil.png"))
            .await
            .unwrap()
    );

    // Reading: own files only.
    assert_eq!(
        alice
            .download(&format!("{a}/avatar.png"))
            .await
            .unwrap()
            .as_ref(),
        b"alice's"
    );
    assert!(matches!(
        alice.download(&format!("{b}/avatar.png")).await,
        Err(Error::Storage(e)) if e.is_not_found()
    ));
    assert!(!alice.exists(&format!("{b}/avatar.png")).await.unwrap());
    assert!(matches!(
        alice.create_signed_url(&format!("{b}/avatar.png"), 60).await,
        Err(Error::Storage(e)) if e.is_not_found()
    ));
    // Listing shows only what the policy lets through.
    let root = alice.list(None).await.unwrap();
    assert_eq!(
        root.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        [a.as_str()]
    );
    assert!(alice.list(b.as_str()).await.unwrap().is_empty());

    // Removing: bob's file is invisible to alice, so nothing is removed.
    assert!(
        alice
            .remove([format!("{b}/avatar.png")])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        service_files
            .exists(&format!("{b}/avatar.png"))
            .await
            .unwrap()
    );

    // anon: no policy for anon at all.
    assert!(matches!(
        nobody.upload(&format!("{a}/anon.png"), b"x").await,
        Err(Error::Storage(e)) if e.status.as_u16() == 403
    ));
    assert!(matches!(
        nobody.download(&format!("{a}/avatar.png")).await,
        Err(Error::Storage(e)) if e.is_not_found()
    ));
    assert!(nobody.list(None).await.unwrap().is_empty());

    // The row records its owner.
    let owners = reference_stack()
        .await
        .query_json(&format!(
            "select owner::text, owner_id from storage.objects where bucket_id = '{name}' order by name"
        ))
        .await
        .unwrap();
    assert_eq!(owners[0]["owner"], a.as_str());
    assert_eq!(owners[0]["owner_id"], a.as_str());
    // The service role (no `sub`) overwriting or moving a file leaves its owner, as
    // storage-api skips the undefined owner columns: alice still reads her file.
    service_files
        .update(&format!("{a}/avatar.png"), b"alice's v2")
        .await
        .unwrap();
    service_files
        .move_(&format!("{a}/avatar.png"), &format!("{a}/moved.png"))
        .await
        .unwrap();
    service_files
        .move_(&format!("{a}/moved.png"), &format!("{a}/avatar.png"))
        .await
        .unwrap();
    let owner = reference_stack()
        .await
        .query_json(&format!(
            "select owner::text, owner_id from storage.objects \
             where bucket_id = '{name}' and name = '{a}/avatar.png'"
        ))
        .await
        .unwrap();
    assert_eq!(owner[0]["owner"], a.as_str());
    assert_eq!(owner[0]["owner_id"], a.as_str());

    // Own file removed by its owner.
    assert_eq!(
        alice
            .remove([format!("{a}/avatar.png")])
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn without_policies_only_the_service_role_gets_in() {
    let (name, service_files) = bucket(BucketOptions::new()).await;
    service_files.upload("x.txt", b"x").await.unwrap();
    let someone = user(&uuid()).await.storage().from_(name.clone());
    assert!(matches!(
        someone.upload("y.txt", b"y").await,
        Err(Error::Storage(e)) if e.status.as_u16() == 403
    ));
    assert!(matches!(
        someone.download("x.txt").await,
        Err(Error::Storage(e)) if e.is_not_found()
    ));
    assert!(matches!(
        someone.create_signed_upload_url("z.txt").await,
        Err(Error::Storage(e)) if e.status.as_u16() == 403
    ));
}

/// Replacing an object takes an UPDATE policy, whichever way the replacement comes: an upsert
/// upload, `update` (storage-api's PUT is an upsert), or a signed upload URL made with
/// `upsert`, which is refused when it is made: the upload itself runs as the superuser.
#[tokio::test]
async fn replacing_an_object_takes_an_update_policy() {
    let (name, service_files) = bucket(BucketOptions::new()).await;
    service_files
        .upload("shared.txt", b"original")
        .await
        .unwrap();
    let stack = reference_stack().await;
    stack
        .execute_sql(&format!(
            "create policy \"insert {name}\" on storage.objects for insert \
               to authenticated with check (bucket_id = '{name}'); \
             create policy \"select {name}\" on storage.objects for select \
               to authenticated using (bucket_id = '{name}');"
        ))
        .await
        .unwrap();
    let someone = user(&uuid()).await.storage().from_(name.clone());
    let forbidden = |r: Result<_, Error>| match r {
        Err(Error::Storage(e)) => e.status.as_u16() == 403,
        _ => false,
    };
    assert!(forbidden(
        someone
            .create_signed_upload_url_with("shared.txt", true)
            .await
            .map(|_| ())
    ));
    assert!(forbidden(
        someone.update("shared.txt", b"replaced").await.map(|_| ())
    ));
    assert!(forbidden(
        someone
            .upload_with("shared.txt", b"replaced", FileOptions::new().upsert(true))
            .await
            .map(|_| ())
    ));
    assert_eq!(
        service_files.download("shared.txt").await.unwrap().as_ref(),
        b"original"
    );
    // What does not exist yet takes only INSERT (and SELECT, which the upsert returns).
    someone.update("fresh.txt", b"fresh").await.unwrap();
    someone
        .create_signed_upload_url_with("fresh-signed.txt", true)
        .await
        .unwrap();

    // With an UPDATE policy, a signed upsert URL replaces the object.
    stack
        .execute_sql(&format!(
            "create policy \"update {name}\" on storage.objects for update \
               to authenticated using (bucket_id = '{name}');"
        ))
        .await
        .unwrap();
    let signed = someone
        .create_signed_upload_url_with("shared.txt", true)
        .await
        .unwrap();
    someone
        .upload_to_signed_url("shared.txt", signed.token.expose(), b"signed")
        .await
        .unwrap();
    assert_eq!(
        service_files.download("shared.txt").await.unwrap().as_ref(),
        b"signed"
    );
}

/// An `Authorization` given in an upload's own headers is the one sent (storage-js merges the
/// file options' headers last): here a user's token on an anon client, which RLS lets write
/// into that user's folder.
#[tokio::test]
async fn an_uploads_own_authorization_header_wins() {
    let (name, service_files) = bucket(BucketOptions::new()).await;
    let stack = reference_stack().await;
    stack
        .execute_sql(&format!(
            "create policy \"own folder insert {name}\" on storage.objects for insert \
               to authenticated with check (bucket_id = '{name}' \
               and (storage.foldername(name))[1] = auth.uid()::text);"
        ))
        .await
        .unwrap();
    let a = uuid();
    let token = stack
        .mint_jwt(&serde_json::json!({
            "sub": a, "role": "authenticated", "exp": 4_000_000_000u64,
        }))
        .unwrap();
    let nobody = anon().await.storage().from_(name.clone());
    let path = format!("{a}/given.png");
    let bearer = format!("Bearer {token}");
    nobody
        .upload_with(
            &path,
            b"x",
            FileOptions::new().header("Authorization", &bearer),
        )
        .await
        .unwrap();
    assert!(service_files.exists(&path).await.unwrap());

    // A resumable upload: the given `Authorization` goes with every request of it (the
    // chunks and the offset checks too, as tus-js-client sends its `headers`), not only with
    // the one that creates it; storage-api authorizes each and stores the object as the
    // caller of the last chunk.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("given.bin");
    std::fs::write(&file, vec![7u8; 3 * 1024 * 1024 + 1]).unwrap();
    let resumable = format!("{a}/resumable.bin");
    nobody
        .upload_resumable(
            &resumable,
            &file,
            ResumableOptions::new()
                .chunk_size(1024 * 1024)
                .file_options(FileOptions::new().header("Authorization", &bearer)),
        )
        .await
        .unwrap();
    let stored = service_files.info(&resumable).await.unwrap();
    assert_eq!(stored.size, Some(3 * 1024 * 1024 + 1));

    // Continued from its URL alone, as another process would: the header given to the
    // continued upload goes with its requests; without it, the upload is not the caller's.
    let continued = format!("{a}/continued.bin");
    let created = nobody
        .create_resumable_upload(
            &continued,
            3,
            FileOptions::new().header("Authorization", &bearer),
        )
        .await
        .unwrap();
    let bare = nobody
        .resumable_upload_at(created.url(), &continued, 3)
        .unwrap();
    // storage-api answers a HEAD without RLS (`onIncomingRequest`), a PATCH with it.
    assert_eq!(bare.offset().await.unwrap(), 0);
    let refused = bare
        .upload_chunk(0, UploadBody::from(b"abc".to_vec()), 3)
        .await;
    assert!(
        matches!(&refused, Err(Error::Storage(e)) if e.status.as_u16() == 403),
        "{refused:?}"
    );
    let resumed = bare.header("Authorization", &bearer);
    assert_eq!(
        resumed
            .upload_chunk(0, UploadBody::from(b"abc".to_vec()), 3)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        &service_files.download(&continued).await.unwrap()[..],
        b"abc"
    );
}

/// `moveObject` makes the mover the owner (`owner: request.owner`).
#[tokio::test]
async fn a_user_who_moves_a_file_becomes_its_owner() {
    let (name, _service_files) = bucket(BucketOptions::new()).await;
    reference_stack()
        .await
        .execute_sql(&format!(
            "create policy \"shared all {name}\" on storage.objects for all \
               to authenticated using (bucket_id = '{name}') with check (bucket_id = '{name}');"
        ))
        .await
        .unwrap();
    let (a, b) = (uuid(), uuid());
    let alice = user(&a).await.storage().from_(name.clone());
    let bob = user(&b).await.storage().from_(name.clone());
    alice.upload("shared.txt", b"alice's").await.unwrap();
    bob.move_("shared.txt", "moved.txt").await.unwrap();
    let owner = reference_stack()
        .await
        .query_json(&format!(
            "select owner::text, owner_id from storage.objects \
             where bucket_id = '{name}' and name = 'moved.txt'"
        ))
        .await
        .unwrap();
    assert_eq!(owner[0]["owner"], b.as_str());
    assert_eq!(owner[0]["owner_id"], b.as_str());
}

/// `emptyBucket`: what the caller may delete goes, and the files RLS kept are named in a 403.
#[tokio::test]
async fn emptying_a_bucket_names_what_rls_kept() {
    let (name, service_files) = bucket(BucketOptions::new()).await;
    let a = uuid();
    reference_stack()
        .await
        .execute_sql(&format!(
            "create policy \"see bucket {name}\" on storage.buckets for select \
               to authenticated using (id = '{name}'); \
             create policy \"see all {name}\" on storage.objects for select \
               to authenticated using (bucket_id = '{name}'); \
             create policy \"delete own {name}\" on storage.objects for delete \
               to authenticated using (bucket_id = '{name}' and owner_id = auth.uid()::text);"
        ))
        .await
        .unwrap();
    service_files.upload("theirs.txt", b"x").await.unwrap();
    service_files
        .upload(&format!("{a}.txt"), b"y")
        .await
        .unwrap();
    reference_stack()
        .await
        .execute_sql(&format!(
            "update storage.objects set owner_id = '{a}' where bucket_id = '{name}' and name = '{a}.txt'"
        ))
        .await
        .unwrap();
    let alice = user(&a).await;
    let Err(Error::Storage(e)) = alice.storage().empty_bucket(&name).await else {
        panic!("emptied though RLS kept a file")
    };
    assert_eq!(e.status.as_u16(), 403, "{e:?}");
    assert_eq!(
        e.message,
        "Cannot delete: theirs.txt, you may have SELECT but not DELETE permissions"
    );
    assert!(service_files.exists("theirs.txt").await.unwrap());
    assert!(!service_files.exists(&format!("{a}.txt")).await.unwrap());
}
