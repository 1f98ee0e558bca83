//! Fuzz target `storage_path`: the body is `supabase_fuzz::storage_path` (replayed on stable by
//! `supabase-tests`' `fuzz_corpus` test).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| supabase_fuzz::storage_path(data));
