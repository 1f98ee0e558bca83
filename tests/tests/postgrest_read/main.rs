//! Read-only examples of the reference's database sections, against the real PostgREST.
//! (Writes live in `postgrest_write`, with a stack of their own, so these see the seed only.)

mod blocking;
mod errors;
mod filters;
mod modifiers;
mod rpc;
mod select;
