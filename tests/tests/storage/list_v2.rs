//! `list_v2`, the cursor-paged listing, against the stand-in's `POST /object/list-v2`
//! (storage-api `listObjectsV2`: a plain prefix, full names, folders with a delimiter, cursors
//! that carry the sort).

use supabase_core::Error;
use supabase_core::storage::{
    BucketOptions, FileApi, SearchV2Options, SearchV2Result, SortColumn, SortOrder,
};
use supabase_tests::reference_stack;

use super::{bucket, user, uuid};

/// Uploaded one after another, so each is created after the one before.
const FILES: [&str; 8] = [
    "photos/2.jpg",
    "b.txt",
    "aal/y/z.txt",
    "a.txt",
    "photos.txt",
    "aal.txt",
    "aal/x.txt",
    "photos/1.jpg",
];

async fn filled() -> (String, FileApi) {
    let (name, files) = bucket(BucketOptions::new()).await;
    for path in FILES {
        files.upload(path, path.as_bytes()).await.unwrap();
    }
    (name, files)
}

/// A page's entries in the server's order: folders and objects are one stream, so they are
/// put back together by position (by name, a folder sits where `name/` would).
fn names(page: &SearchV2Result) -> (Vec<String>, Vec<String>) {
    (
        page.folders.iter().map(|f| f.name.clone()).collect(),
        page.objects.iter().map(|o| o.name.clone()).collect(),
    )
}

/// Every page of a listing, following the cursors; the pages' folders and objects.
async fn all_pages(files: &FileApi, options: SearchV2Options) -> Vec<(Vec<String>, Vec<String>)> {
    let mut pages = Vec::new();
    let mut page = files.list_v2(options.clone()).await.unwrap();
    loop {
        pages.push(names(&page));
        let Some(cursor) = page.next_cursor.take() else {
            assert!(!page.has_next);
            return pages;
        };
        assert!(page.has_next);
        page = files.list_v2(options.clone().cursor(cursor)).await.unwrap();
        assert!(pages.len() < 20, "the cursor does not advance");
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn flat_and_delimited_listings_with_a_plain_prefix() {
    let (_name, files) = filled().await;
    // Flat: every object under the prefix, however deep, bytewise, full names, no `key`.
    let page = files.list_v2(SearchV2Options::new()).await.unwrap();
    let mut sorted = strings(&FILES);
    sorted.sort();
    assert_eq!(names(&page), (vec![], sorted));
    assert!(!page.has_next && page.next_cursor.is_none());
    assert!(page.objects.iter().all(|o| o.key.is_none()));
    let a = &page.objects[0];
    assert_eq!(a.metadata.as_ref().unwrap()["size"], 5);
    assert!(a.created_at.as_deref().unwrap().ends_with('Z'));

    // With the delimiter: the next level, folders with a trailing `/`.
    let page = files
        .list_v2(SearchV2Options::new().with_delimiter(true))
        .await
        .unwrap();
    assert_eq!(
        names(&page),
        (
            strings(&["aal/", "photos/"]),
            strings(&["a.txt", "aal.txt", "b.txt", "photos.txt"])
        )
    );
    assert_eq!(page.folders[0].key, "aal");
    assert_eq!(page.folders[0].created_at, None, "no timestamps by name");
    assert_eq!(page.objects[0].key.as_deref(), Some("a.txt"));

    // The prefix is a string prefix, not a folder.
    let page = files
        .list_v2(SearchV2Options::new().prefix("aal").with_delimiter(true))
        .await
        .unwrap();
    assert_eq!(names(&page), (strings(&["aal/"]), strings(&["aal.txt"])));
    // A folder's contents: full names, and each entry's own segment as `key`.
    let page = files
        .list_v2(SearchV2Options::new().prefix("aal/").with_delimiter(true))
        .await
        .unwrap();
    assert_eq!(
        names(&page),
        (strings(&["aal/y/"]), strings(&["aal/x.txt"]))
    );
    assert_eq!(page.folders[0].key, "y");
    assert_eq!(page.objects[0].key.as_deref(), Some("x.txt"));
    let page = files
        .list_v2(SearchV2Options::new().prefix("/aal/").with_delimiter(true))
        .await
        .unwrap();
    assert_eq!(
        names(&page).1,
        strings(&["aal/x.txt"]),
        "a leading / is dropped"
    );
}

#[tokio::test]
async fn cursors_page_through_folders_and_objects_without_gaps() {
    let (_name, files) = filled().await;
    // By name, folders sit where their objects do: `aal.txt` (`.`) before `aal/` (`/`).
    let order = ["a.txt", "aal.txt", "aal/", "b.txt", "photos.txt", "photos/"];
    for limit in [1, 2, 4] {
        let pages = all_pages(
            &files,
            SearchV2Options::new().with_delimiter(true).limit(limit),
        )
        .await;
        assert_eq!(
            pages.len(),
            order.len().div_ceil(limit as usize),
            "limit {limit}"
        );
        let mut seen: Vec<String> = Vec::new();
        for (folders, objects) in &pages {
            assert!(folders.len() + objects.len() <= limit as usize);
            seen.extend(folders.iter().chain(objects).cloned());
        }
        seen.sort_by_key(|n| order.iter().position(|o| o == n));
        assert_eq!(seen, strings(&order), "limit {limit}");
    }
    // Descending, one at a time: the same entries backwards.
    let pages = all_pages(
        &files,
        SearchV2Options::new()
            .with_delimiter(true)
            .limit(1)
            .sort_by(SortColumn::Name, SortOrder::Desc),
    )
    .await;
    let seen: Vec<String> = pages
        .into_iter()
        .flat_map(|(f, o)| f.into_iter().chain(o))
        .collect();
    let mut backwards = strings(&order);
    backwards.reverse();
    assert_eq!(seen, backwards);
    // Flat, three at a time.
    let pages = all_pages(&files, SearchV2Options::new().limit(3)).await;
    let seen: Vec<String> = pages.into_iter().flat_map(|(_, o)| o).collect();
    let mut sorted = strings(&FILES);
    sorted.sort();
    assert_eq!(seen, sorted);
}

#[tokio::test]
async fn by_creation_a_folder_takes_its_first_objects_time() {
    let (_name, files) = filled().await;
    // Newest first (see `FILES`): a folder is as old as its oldest object, so `aal/` (begun by
    // the third upload) comes after `a.txt` (the fourth), and `photos/` (the first) is last.
    let newest_first = ["aal.txt", "photos.txt", "a.txt", "aal/", "b.txt", "photos/"];
    let options = SearchV2Options::new()
        .with_delimiter(true)
        .sort_by(SortColumn::CreatedAt, SortOrder::Desc);
    let pages = all_pages(&files, options.clone().limit(2)).await;
    assert_eq!(pages.len(), 3);
    for (k, (folders, objects)) in pages.iter().enumerate() {
        let mut page: Vec<&String> = folders.iter().chain(objects).collect();
        page.sort();
        let mut expected: Vec<&str> = newest_first[2 * k..2 * k + 2].to_vec();
        expected.sort_unstable();
        assert_eq!(page, expected, "page {k}");
    }
    let page = files.list_v2(options).await.unwrap();
    let photos = page.folders.iter().find(|f| f.name == "photos/").unwrap();
    let oldest = files
        .list_v2(SearchV2Options::new().prefix("photos/2.jpg"))
        .await
        .unwrap();
    assert_eq!(photos.created_at, oldest.objects[0].created_at);
    assert_eq!(photos.updated_at, photos.created_at);
}

#[tokio::test]
async fn what_the_server_refuses_and_what_rls_hides() {
    let (name, files) = filled().await;
    let refused = |r: Result<SearchV2Result, Error>| match r {
        Err(Error::Storage(e)) => (e.status.as_u16(), e.code, e.message),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        refused(
            files
                .list_v2(SearchV2Options::new().cursor("bm9wZQ=="))
                .await
        ),
        (
            400,
            "InvalidParameter".to_owned(),
            "Invalid Parameter continuation token".to_owned()
        )
    );
    assert_eq!(
        refused(files.list_v2(SearchV2Options::new().limit(0)).await).2,
        "body/limit must be >= 1"
    );
    let storage = supabase_tests::service().await.storage();
    assert_eq!(
        refused(storage.from_("café").list_v2(SearchV2Options::new()).await).1,
        "InvalidBucketName"
    );
    // A missing bucket is not looked up: it lists nothing.
    let none = storage
        .from_("no-such-bucket")
        .list_v2(SearchV2Options::new())
        .await
        .unwrap();
    assert!(none.objects.is_empty() && none.folders.is_empty() && !none.has_next);

    // Under RLS a user lists only what the policies let them see, folders included.
    let me = uuid();
    files
        .upload(&format!("{me}/mine.txt"), b"mine")
        .await
        .unwrap();
    reference_stack()
        .await
        .execute_sql(&format!(
            "create policy \"list v2 select {name}\" on storage.objects for select \
               to authenticated using (bucket_id = '{name}' \
               and (storage.foldername(name))[1] = auth.uid()::text)"
        ))
        .await
        .unwrap();
    let mine = user(&me).await.storage().from_(name.clone());
    let page = mine
        .list_v2(SearchV2Options::new().with_delimiter(true))
        .await
        .unwrap();
    assert_eq!(names(&page), (vec![format!("{me}/")], vec![]));
    let page = mine.list_v2(SearchV2Options::new()).await.unwrap();
    assert_eq!(names(&page), (vec![], vec![format!("{me}/mine.txt")]));
}

/// A file named as a folder (`a` beside `a/x`) and one between them (`a.txt`: `.` sorts
/// before `/`): one at a time, in either order, flat or with the delimiter, every entry comes
/// once and the listing ends.
#[tokio::test]
async fn a_file_named_as_a_folder_neither_hides_nor_repeats_entries() {
    let (_name, files) = bucket(BucketOptions::new()).await;
    for path in ["a", "a.txt", "a/x"] {
        files.upload(path, b"x").await.unwrap();
    }
    for (delimiter, expected) in [(false, ["a", "a.txt", "a/x"]), (true, ["a", "a.txt", "a/"])] {
        for order in [SortOrder::Asc, SortOrder::Desc] {
            let pages = all_pages(
                &files,
                SearchV2Options::new()
                    .with_delimiter(delimiter)
                    .limit(1)
                    .sort_by(SortColumn::Name, order),
            )
            .await;
            let seen: Vec<String> = pages
                .into_iter()
                .flat_map(|(f, o)| f.into_iter().chain(o))
                .collect();
            let mut want = strings(&expected);
            if order == SortOrder::Desc {
                want.reverse();
            }
            assert_eq!(seen, want, "delimiter {delimiter}, {order:?}");
        }
    }
}
