//! `supabase-codegen`: typed Rust for `supabase-core` from a live schema.
#![doc = include_str!("../README.md")]

pub mod check;
pub mod config;
pub mod emit;
pub mod error;
pub mod ir;
pub mod snapshot;
pub mod source;

pub use config::Config;
pub use emit::{Generated, HEADER};
pub use error::{Error, Result};
pub use ir::Ir;

/// Generates the Rust file for `ir` (warnings dropped: see [`generate_with_warnings`]).
pub fn generate(ir: &Ir, config: &Config) -> String {
    emit::generate(ir, config).code
}

/// Generates the Rust file for `ir`, with the warnings (unknown types, skipped functions...).
pub fn generate_with_warnings(ir: &Ir, config: &Config) -> Generated {
    emit::generate(ir, config)
}
