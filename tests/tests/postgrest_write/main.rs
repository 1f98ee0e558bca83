//! Writes (insert, upsert, update, delete) and the value-encoding property test, against the
//! real PostgREST. Every test writes rows keyed by `unique_id()`.

mod encoding;
mod writes;
