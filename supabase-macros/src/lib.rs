//! Internal proc-macros for [`supabase-core`](https://docs.rs/supabase-core).
//!
//! Depend on `supabase-core` (its default `macros` feature re-exports these derives);
//! this crate has no stable API of its own.
