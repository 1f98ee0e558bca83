#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "orchestral_sections", has_many(Instrument))]
struct Section {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

// `section_id` is nullable: an instrument may have no section.
#[derive(Table, Deserialize)]
#[supabase(table = "instruments", belongs_to(Section, foreign_key = "section_id"))]
struct Instrument {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    section_id: Option<i64>,
}

#[derive(Table, Deserialize)]
#[supabase(table = "users", has_one(Profile))]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: String,
}

// The key is not a column of the struct, so `optional` says it may be null.
#[derive(Table, Deserialize)]
#[supabase(table = "profiles", belongs_to(User, foreign_key = "profiles_user_fkey", optional))]
struct Profile {
    #[supabase(primary_key)]
    id: i64,
    bio: String,
}

#[derive(Select, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentWithSection {
    name: String,
    #[supabase(embed)]
    orchestral_sections: Section,
}

// A user may have no profile.
#[derive(Select, Deserialize)]
#[supabase(from = User)]
struct UserWithProfile {
    name: String,
    #[supabase(embed)]
    profiles: Profile,
}

#[derive(Select, Deserialize)]
#[supabase(from = Profile)]
struct ProfileWithUser {
    bio: String,
    #[supabase(embed)]
    users: User,
}

// These compile: `Option<_>`, or `inner`, which leaves out the rows without one.
#[derive(Select, Deserialize)]
#[supabase(from = Instrument)]
struct InstrumentMaybeInSection {
    name: String,
    #[supabase(embed)]
    orchestral_sections: Option<Section>,
}

#[derive(Select, Deserialize)]
#[supabase(from = User)]
struct UserWithSomeProfile {
    name: String,
    #[supabase(embed, inner)]
    profiles: Profile,
}

fn main() {}
