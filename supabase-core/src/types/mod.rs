//! Rust types for Postgres values that have no obvious std counterpart: [`Range`] (every range
//! type), [`Multirange`] (every multirange type), [`Bytea`], and [`Pg`] (a crate's type in
//! Postgres's text form). Codegen maps `int4range`, `tstzrange`, …, `int4multirange`, …,
//! `bytea`, and under `time`/`decimal` the date, time and `numeric` types to these.

mod bytea;
mod multirange;
mod pg;
mod range;

pub use bytea::Bytea;
pub use multirange::Multirange;
pub use pg::{Pg, PgText};
pub use range::Range;
