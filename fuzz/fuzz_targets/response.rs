//! Fuzz target `response`: the body is `supabase_fuzz::response` (replayed on stable by
//! `supabase-tests`' `fuzz_corpus` test).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| supabase_fuzz::response(data));
