//! The typed layer: queries on `#[derive(Table)]` structs where columns, value types and
//! operators are checked at compile time. It builds the same requests as the untyped
//! [`postgrest`](crate::postgrest) builder, through the same encoder.

mod filter;
mod json;
mod query;
/// Used by the code `#[derive(Table)]` generates (through `__private`); not public API.
#[doc(hidden)]
pub mod rows;
pub mod verb;

pub use filter::{ColumnExt, ColumnValue, ColumnValues, Filter, OrderBy};
pub use json::{JsonKey, JsonPath, JsonText};
pub use query::{EmbeddedFilter, EmbeddedOrder, Named, Query, RelatedOrder, TypedTable, Unnamed};
