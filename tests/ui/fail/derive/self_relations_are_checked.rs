#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

// A table embeds itself through its foreign-key column, which `foreign_key` must name.
#[derive(Table, Deserialize)]
#[supabase(table = "employees", belongs_to(Employee, name = manager))]
struct Employee {
    #[supabase(primary_key)]
    id: i64,
    manager_id: Option<i64>,
}

#[derive(Table, Deserialize)]
#[supabase(table = "staff", belongs_to(Self, foreign_key = "staff_manager_fkey", name = boss))]
struct Staff {
    #[supabase(primary_key)]
    id: i64,
    boss_id: Option<i64>,
}

// PostgREST 12 finds no one-to-one relationship of a table to itself.
#[derive(Table, Deserialize)]
#[supabase(table = "presidents", has_one(President, foreign_key = "predecessor_id"))]
struct President {
    #[supabase(primary_key)]
    id: i64,
    predecessor_id: Option<i64>,
}

// `optional` is for `belongs_to`.
#[derive(Table, Deserialize)]
#[supabase(table = "teams", has_many(Employee, optional))]
struct Team {
    #[supabase(primary_key)]
    id: i64,
}

fn main() {}
