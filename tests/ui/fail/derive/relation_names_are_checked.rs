#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
}

// Two unnamed relations to one table, a name used twice, a name that is also a column, and a
// key that does not belong: each reported once, on its own tokens.
#[derive(Table, Deserialize)]
#[supabase(
    table = "messages",
    belongs_to(User, foreign_key = "sender_id"),
    belongs_to(User, foreign_key = "receiver_id"),
    belongs_to(User, foreign_key = "editor_id", name = editor),
    belongs_to(User, foreign_key = "reviewer_id", name = editor),
    belongs_to(User, foreign_key = "owner_id", name = owner_id),
    belongs_to(User, foreign_key = "a", name = b, foreign_key = "c"),
    belongs_to(User, label = "x")
)]
struct Message {
    #[supabase(primary_key)]
    id: i64,
    sender_id: i64,
    receiver_id: i64,
    owner_id: i64,
}

#[derive(Select, Deserialize)]
#[supabase(from = Message)]
struct Mistakes {
    // `via` without `embed` or `count`; `count` with `embed`.
    #[supabase(via = editor)]
    id: i64,
    #[supabase(count = User, embed)]
    users: EmbeddedCount,
}

fn main() {}
