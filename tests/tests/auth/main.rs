//! The auth client: its wire format and session handling against a recording GoTrue double
//! (`client`, `redaction`), and whole flows end to end against the local stack's GoTrue
//! stand-in with real Postgres, PostgREST and RLS.

mod client;
mod mock;
mod redaction;
