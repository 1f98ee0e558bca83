//! Stand-ins for what the generated code names in supabase-core and this branch's supabase-core
//! does not have yet (`Rpc`, `RpcRows`, `types::{Range, Bytea}`): the reference module is
//! generated with `core_path = "crate::shim"`. Everything else is supabase-core itself. Once
//! those land in supabase-core, drop this file and the `core_path` line of the test config.

#![allow(unreachable_pub, dead_code)]

pub use supabase_core::*;

/// As the `Rpc` trait planned for supabase-core.
pub trait Rpc: serde::Serialize {
    /// Function name.
    const NAME: &'static str;
    /// Its schema.
    const SCHEMA: &'static str;
    /// False for VOLATILE functions.
    const READ_ONLY: bool;
    /// The decoded result.
    type Output: serde::de::DeserializeOwned;
}

/// As the `RpcRows` trait planned for supabase-core.
pub trait RpcRows: Rpc {
    /// The table whose rows the function returns.
    type Row: supabase_core::Table;
}

/// As `supabase_core::types`.
pub mod types {
    use std::marker::PhantomData;

    /// A range in Postgres's text form.
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    pub struct Range<T>(pub String, #[serde(skip)] pub PhantomData<T>);

    /// bytea in PostgREST's `\x` hex form.
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    pub struct Bytea(pub String);
}
