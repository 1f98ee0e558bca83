//! Rust types for Postgres values that have no obvious std counterpart: [`Range`] (every range
//! type) and [`Bytea`]. Codegen maps `int4range`, `tstzrange`, … and `bytea` to these.

mod bytea;
mod range;

pub use bytea::Bytea;
pub use range::Range;
