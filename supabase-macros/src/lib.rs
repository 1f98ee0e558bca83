//! Internal proc-macros for [`supabase-core`](https://docs.rs/supabase-core).
//!
//! Depend on `supabase-core` (its default `macros` feature re-exports these derives);
//! this crate has no stable API of its own.

mod decoder;
mod errors;
mod select;
mod serde_attrs;
mod symbol;
mod table;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Derives `supabase_core::Table` (and the writes it takes: `Insertable`, `Updatable`,
/// `Deletable`) for a struct describing one table or view.
/// The attributes are listed in the docs of `supabase_core::table`
/// (<https://docs.rs/supabase-core/latest/supabase_core/table/index.html#derivetable>).
#[proc_macro_derive(Table, attributes(supabase))]
pub fn derive_table(input: TokenStream) -> TokenStream {
    table::derive(input.into()).into()
}

/// Derives `supabase_core::Select` for a projection of a table: some of its columns (renamed,
/// cast, JSON paths) and embedded related rows. The attributes are listed in the docs of
/// `supabase_core::select`
/// (<https://docs.rs/supabase-core/latest/supabase_core/select/index.html#deriveselect>).
#[proc_macro_derive(Select, attributes(supabase))]
pub fn derive_select(input: TokenStream) -> TokenStream {
    select::derive(input.into()).into()
}
