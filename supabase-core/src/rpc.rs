//! Typed Postgres functions: [`Rpc`] describes one function (codegen emits one type per
//! function: its arguments as fields, its result as [`Rpc::Output`]) and [`RpcRows`] marks
//! set-returning functions whose rows are a table's rows, so typed filters apply to them.
//!
//! ```
//! use supabase_core::Rpc;
//!
//! #[derive(serde::Serialize)]
//! struct AddOneEach { arr: Vec<i32> }
//!
//! impl Rpc for AddOneEach {
//!     const NAME: &'static str = "add_one_each";
//!     const SCHEMA: &'static str = "public";
//!     const READ_ONLY: bool = true;
//!     type Output = Vec<i32>;
//! }
//!
//! # fn main() -> supabase_core::Result<()> {
//! let client = supabase_core::create_client("http://127.0.0.1:54321", "anon-key")?;
//! let req = client.call(AddOneEach { arr: vec![1, 2] }).build()?;
//! assert_eq!(req.path_and_query(), "/rest/v1/rpc/add_one_each");
//! assert_eq!(req.body(), Some(&br#"{"arr":[1,2]}"#[..]));
//! # Ok(()) }
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::table::Table;

/// A Postgres function callable through PostgREST: `Self` holds the named arguments.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not describe a Postgres function",
    label = "not an `Rpc` type",
    note = "`supabase-codegen` emits one `Rpc` type per function; or implement `Rpc` by hand"
)]
pub trait Rpc: Serialize {
    /// The function's name.
    const NAME: &'static str;
    /// The function's schema.
    const SCHEMA: &'static str;
    /// `true` for `STABLE` and `IMMUTABLE` functions. Calls use `POST` either way (as
    /// supabase-js does); `.get()` sends one as `GET`, which PostgREST runs in a read-only
    /// transaction, so a function that writes fails there. Codegen from PostgREST's OpenAPI
    /// document cannot see volatility and writes `false`.
    const READ_ONLY: bool;
    /// The result, decoded: a scalar `T`, `Option<T>`, or `Vec<T>` for set-returning functions.
    type Output: DeserializeOwned;
}

/// A set-returning function whose rows are rows of a table (`RETURNS SETOF planets`): the typed
/// filters, order and limit of [`Row`](RpcRows::Row) apply to its result.
pub trait RpcRows: Rpc<Output = Vec<Self::Row>> {
    /// The table whose rows the function returns.
    type Row: Table;
}
