//! # supabase-core
//!
//! A Supabase client for Rust: the database (PostgREST), auth, storage, edge functions and
//! realtime, with a typed layer where a wrong column or a wrong value type is a compile error.
//!
//! ```no_run
//! use supabase_core::prelude::*;
//!
//! #[derive(Table, Debug, serde::Deserialize)]
//! #[supabase(table = "planets")]
//! struct Planet {
//!     #[supabase(primary_key, default)]
//!     id: i64,
//!     name: String,
//!     moons: Option<i32>,
//! }
//!
//! async fn run(url: &str, key: &str) -> supabase_core::Result<()> {
//!     let client = create_client(url, key)?;
//!     let planets: Vec<Planet> = client
//!         .from::<Planet>()
//!         .select() // select=id,name,moons
//!         .gte(planet::moons, 2) // a value of the column's type
//!         .ilike(planet::name, "%ar%") // text operators on text columns only
//!         .order(planet::name.desc())
//!         .await?;
//!     client.from::<Planet>().insert(PlanetInsert::new("Pluto")).await?; // id: the DB default
//!
//!     // The untyped form of every reference method, with the reference's names:
//!     let rows = client.table("planets").select("*").eq("name", "Earth").await?.data;
//!     # let _ = (planets, rows);
//!     Ok(())
//! }
//! ```
//!
//! ## Where to find things
//!
//! - [`create_client`], [`Client`], [`ClientOptions`]: the entry point.
//! - [`postgrest`]: queries, filters, modifiers, RPC ([`postgrest::Builder`]), untyped.
//! - [`auth`]: sign-up, sign-in, the session shared by every service, MFA, admin
//!   ([`Client::auth`]).
//! - [`table`] and [`typed`]: the typed layer (`#[derive(Table)]`, [`typed::Query`]).
//! - [`prelude`]: what a typed program imports.
//! - [`functions`]: Edge Functions (`client.functions().invoke(name, options)`).
//! - [`storage`]: buckets and objects (`client.storage()`), streaming, signed URLs, TUS.
//! - [`realtime`]: broadcast, presence and postgres changes (`client.channel(..)`).
//! - [`Error`]: every failure, with typed server errors ([`PostgrestError`]).
//! - [`HttpRequest`]: a built request, for debugging (`builder.build()`).
//! - `blocking` (feature `blocking`): the same API without async.

#![cfg_attr(docsrs, feature(doc_cfg))]

// Lets the derives' `::supabase_core::…` paths resolve inside this crate's own tests and docs.
#[allow(unused_extern_crates)]
extern crate self as supabase_core;

pub mod auth;
#[cfg(feature = "blocking")]
#[cfg_attr(docsrs, doc(cfg(feature = "blocking")))]
pub mod blocking;
mod client;
mod error;
pub mod functions;
#[doc(hidden)]
pub mod fuzz;
mod http;
mod options_json;
pub mod postgrest;
pub mod realtime;
mod rpc;
mod secret;
pub mod select;
pub mod storage;
pub mod table;
pub mod typed;
pub mod types;

pub use client::{Client, ClientOptions, acreate_client, create_client};
pub use error::{Error, HttpError, PostgrestError, Result};
pub use http::{
    DEFAULT_MAX_CONCURRENT_REQUESTS, DEFAULT_MAX_RESPONSE_BODY, HttpRequest, RetryPolicy,
};
pub use rpc::{Call, Rpc, RpcBody, RpcRows};
pub use secret::Secret;
pub use select::{Relation, Select};
pub use table::{Column, ColumnOf, ConflictTarget, Deletable, Insertable, Patch, Table, Updatable};

/// `#[derive(Select)]`: a projection of a table, with embedded related rows.
/// [Its attributes](crate::select#deriveselect).
#[cfg(feature = "macros")]
pub use supabase_macros::Select;
/// `#[derive(Table)]`: typed table metadata and column types for a struct.
/// [Its attributes](crate::table#derivetable).
#[cfg(feature = "macros")]
pub use supabase_macros::Table;

/// What generated code names. Not public API: no stability guarantees.
#[doc(hidden)]
pub mod __private {
    pub use crate::typed::rows;
    pub use serde;
}

/// Traits and types for everyday use: `use supabase_core::prelude::*;`.
pub mod prelude {
    pub use crate::postgrest::{Count, Is, Order, TextSearch};
    pub use crate::select::{EmbeddedCount, Relation, Select};
    pub use crate::table::{Column, ColumnOf, Deletable, Insertable, Patch, Table, Updatable};
    pub use crate::typed::{ColumnExt, Filter};
    pub use crate::{Client, Rpc, RpcRows, acreate_client, create_client};
    #[cfg(feature = "macros")]
    pub use supabase_macros::{Select, Table};
}
