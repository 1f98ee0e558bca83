//! Fuzz target `realtime_frame`: the body is `supabase_fuzz::realtime_frame` (replayed on stable by
//! `supabase-tests`' `fuzz_corpus` test).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| supabase_fuzz::realtime_frame(data));
