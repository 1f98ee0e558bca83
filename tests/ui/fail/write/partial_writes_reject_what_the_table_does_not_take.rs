#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

/// A view written through INSTEAD OF INSERT and UPDATE triggers: no delete.
#[derive(Table, Deserialize)]
#[supabase(table = "post_titles", writes(insert, update))]
struct PostTitle {
    id: i64,
    title: String,
}

/// Takes inserts only: no update, and so no upsert.
#[derive(Table, Deserialize)]
#[supabase(table = "inbox", writes(insert))]
struct Inbox {
    id: i64,
    body: String,
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    // What each takes compiles.
    let _ = client.from::<PostTitle>().insert(PostTitleInsert::new(1, "a"));
    let _ = client
        .from::<PostTitle>()
        .update(PostTitleUpdate::default().title("b"))
        .eq(post_title::id, 1);
    let _ = client.from::<PostTitle>().upsert(PostTitleInsert::new(1, "a"));
    let _ = client.from::<Inbox>().insert(InboxInsert::new(1, "hi"));
    // What it does not take does not.
    let _ = client.from::<PostTitle>().delete().eq(post_title::id, 1);
    let _ = client.from::<Inbox>().upsert(InboxInsert::new(1, "hi"));
    let _ = client.from::<Inbox>().update(Default::default());
}
