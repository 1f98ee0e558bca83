//! Fuzz target `rows`: the body is `supabase_fuzz::rows` (replayed on stable by
//! `supabase-tests`' `fuzz_corpus` test).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| supabase_fuzz::rows(data));
