//! `supabase-codegen`: introspect a Postgres schema (or PostgREST's OpenAPI document) into an IR and
//! write `#[derive(Table)]` structs for `supabase-core` from it.
//!
//! Stages: introspect → IR → emit. Not implemented yet: see the codegen issue.
