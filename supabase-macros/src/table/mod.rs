//! `#[derive(Table)]`: attribute parsing → model → validation → expansion.

pub(crate) mod attr;
mod expand;
pub(crate) mod model;

use proc_macro2::TokenStream;

/// The derive, on `proc_macro2` tokens (what the expansion tests call).
pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let parsed = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let (model, errors) = model::TableModel::from_input(&parsed);
    let mut out = model.as_ref().map(expand::expand).unwrap_or_default();
    if let Err(e) = errors.finish(()) {
        out.extend(e.to_compile_error());
    }
    out
}
