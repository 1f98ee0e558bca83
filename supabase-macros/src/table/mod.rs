//! `#[derive(Table)]`: attribute parsing → model → validation → expansion.

mod attr;
mod expand;
pub(crate) mod model;

use proc_macro2::TokenStream;

/// The derive, on `proc_macro2` tokens (what the expansion tests call).
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    match model::TableModel::from_input(&parsed) {
        Ok(model) => expand::expand(&model),
        Err(e) => e.to_compile_error(),
    }
}
