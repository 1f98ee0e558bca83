#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "categories")]
struct Category {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(Table, Deserialize)]
#[supabase(table = "tags")]
struct Tag {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

#[derive(Table, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

// One to-one relation (to `Category`) and nothing else: the compiler must not guess that an
// argument about another table meant `Category`.
#[derive(Table, Deserialize)]
#[supabase(
    table = "products",
    belongs_to(Category),
    belongs_to(User, foreign_key = "owner_id", name = owner)
)]
struct Product {
    #[supabase(primary_key)]
    id: i64,
    category_id: i64,
    owner_id: i64,
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    // Fine: the category is the one relation.
    let _ = client
        .from::<Product>()
        .select()
        .order_by_related(category::name.asc())
        .filter_embedded(category::name.eq("toys"))
        .order_embedded(category::name.desc());
    // No relation to `Tag` at all.
    let _ = client
        .from::<Product>()
        .select()
        .order_by_related(tag::name.asc());
    let _ = client
        .from::<Product>()
        .select()
        .filter_embedded(tag::name.eq("red"));
    let _ = client
        .from::<Product>()
        .select()
        .order_embedded(tag::name.asc());
    // The relation to `User` is named: it is reached with the `_via` methods.
    let _ = client
        .from::<Product>()
        .select()
        .filter_embedded(user::name.eq("Jane"));
    // The `owner` relation reaches `User`, not `Tag`.
    let _ = client
        .from::<Product>()
        .select()
        .filter_embedded_via(product::owner, tag::name.eq("red"))
        .order_embedded_via(product::owner, tag::name.asc())
        .order_by_related_via(product::owner, tag::name.asc());
}
