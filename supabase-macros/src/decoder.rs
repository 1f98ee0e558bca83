//! The generated `Table::decode_rows` and `Select::decode_page`: each row's keys matched in the order
//! PostgREST writes them, each value read by its field type's reader (`rows::Via` picks a direct
//! one or the type's `Deserialize`). Any other text gives `None`, and the caller decodes the
//! page with serde_json instead.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// One key of a row, in the order PostgREST writes the keys.
pub(crate) struct Key<'a> {
    pub(crate) field: &'a syn::Ident,
    pub(crate) ty: &'a syn::Type,
    pub(crate) wire: &'a str,
}

/// Whether the generated decoder can match `wire` byte for byte: JSON writes it unescaped.
pub(crate) fn plain_key(wire: &str) -> bool {
    !wire.contains(|c: char| c == '"' || c == '\\' || c.is_control())
}

/// `fn #name(json, rows) -> Option<Vec<Self>>` reading `keys` into `Self { field, … }`.
pub(crate) fn expand(krate: &syn::Path, name: &str, keys: &[Key<'_>]) -> TokenStream {
    let name = format_ident!("{}", name);
    let rows = quote!(#krate::__private::rows);
    let locals: Vec<_> = (0..keys.len())
        .map(|i| format_ident!("__field{}", i))
        .collect();
    let reads = keys.iter().zip(&locals).enumerate().map(|(i, (k, local))| {
        let (ty, wire, first) = (k.ty, k.wire, i == 0);
        quote! {
            reader.key(#first, #wire)?;
            let #local = (&&#rows::Via::<#ty>::NEW).read_value(reader)?;
        }
    });
    let fields = keys.iter().map(|k| k.field);
    quote! {
        fn #name(
            json: &str,
            rows: ::core::option::Option<usize>,
        ) -> ::core::option::Option<::std::vec::Vec<Self>> {
            #[allow(unused_imports)]
            use #rows::{ReadDirect as _, ReadSerde as _};
            #rows::rows(json, rows, |reader| {
                #(#reads)*
                reader.end_object()?;
                ::core::option::Option::Some(Self { #(#fields: #locals),* })
            })
        }
    }
}
