#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
}

#[derive(Table, Deserialize)]
#[supabase(
    table = "messages",
    belongs_to(User, foreign_key = "sender_id", name = sender),
    belongs_to(User, foreign_key = "receiver_id", name = receiver)
)]
struct Message {
    #[supabase(primary_key)]
    id: i64,
    sender_id: i64,
    receiver_id: i64,
}

#[derive(Select, Deserialize)]
#[supabase(from = User)]
struct UserName {
    name: Option<String>,
}

// Both relations to `User` are named: an embedding must say which one.
#[derive(Select, Deserialize)]
#[supabase(from = Message)]
struct Unnamed {
    #[supabase(embed)]
    users: UserName,
}

// No relation is named `author`.
#[derive(Select, Deserialize)]
#[supabase(from = Message)]
struct UnknownName {
    #[supabase(embed, via = author)]
    author: UserName,
}

fn main() {
    // Embedded filters through a relation of another table.
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let _ = client
        .from::<User>()
        .select()
        .filter_embedded_via(message::sender, user::name.eq("Jane"));
}
