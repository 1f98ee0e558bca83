//! `#[derive(Select)]`: a projection of one table, with embedded related rows.
//!
//! The expansion writes the select list at run time from the columns' `Column::NAME`s (so wire
//! names always match the table struct) and emits compile-time checks with the user's spans:
//! each column exists on the `from` table and has the field's type, and each embedding follows a
//! declared relation with the right cardinality.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, Type};

use crate::decoder;
use crate::errors::Errors;
use crate::serde_attrs::{SerdeContainer, SerdeField};
use crate::symbol::CUSTOM_DESERIALIZE;
use crate::table::attr::{Once, flag, for_each_supabase, skip_value, string_value, unknown};
use crate::table::model::{option_inner, snake_case};

const FROM: &str = "from";
const CRATE: &str = "crate";
const COLUMN: &str = "column";
const EMBED: &str = "embed";
const INNER: &str = "inner";
const JSON: &str = "json";
const CAST: &str = "cast";
const COUNT: &str = "count";
const VIA: &str = "via";
const CONTAINER_KEYS: &[&str] = &[FROM, CRATE, CUSTOM_DESERIALIZE];
const FIELD_KEYS: &[&str] = &[COLUMN, EMBED, INNER, JSON, CAST, COUNT, VIA];

enum Kind {
    /// A column, maybe renamed and cast.
    Column {
        column: syn::Ident,
        cast: Option<LitStr>,
    },
    /// A JSON path into a column: `address->>city`.
    Json { column: syn::Ident, rest: String },
    /// Related rows: `Vec<E>` (to-many) or `Option<E>` / `E` (to-one).
    Embed {
        row: Type,
        to_many: bool,
        /// Declared as the row itself, not `Option<_>` or `Vec<_>`.
        plain: bool,
        inner: bool,
        via: Option<syn::Ident>,
    },
    /// The number of related rows: `instruments(count)`.
    Count {
        target: syn::Path,
        via: Option<syn::Ident>,
    },
}

struct FieldModel {
    ident: syn::Ident,
    /// The JSON key the field reads (serde's name).
    key: String,
    ty: Type,
    kind: Kind,
    /// A `#[serde(...)]` key that changes how serde decodes the field: no generated decoder.
    serde_custom_decoding: bool,
}

impl FieldModel {
    /// Whether PostgREST writes the field among the related rows, after every plain column
    /// (it lists a row's columns first, then its embedded resources, each group in select
    /// order).
    fn embedded(&self) -> bool {
        matches!(self.kind, Kind::Embed { .. } | Kind::Count { .. })
    }
}

fn vec_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != "Vec" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

fn field_model(field: &syn::Field, errors: &mut Errors) -> Option<FieldModel> {
    let ident = field.ident.clone()?;
    let mut column = Once::<syn::Ident>::new(COLUMN);
    let mut embed = Once::<()>::new(EMBED);
    let mut inner = Once::<()>::new(INNER);
    let mut json = Once::<LitStr>::new(JSON);
    let mut cast = Once::<LitStr>::new(CAST);
    let mut count = Once::<syn::Path>::new(COUNT);
    let mut via = Once::<syn::Ident>::new(VIA);
    for_each_supabase(&field.attrs, errors, |meta, errors| {
        let span = meta.path.span();
        if meta.path.is_ident(COLUMN) {
            let parsed = meta.value().and_then(|v| v.parse::<syn::Ident>());
            match parsed {
                Ok(col) => column.set(span, col, errors),
                Err(e) => errors.push(syn::Error::new(
                    e.span(),
                    "expected a column of the `from` table: help: the correct form is `#[supabase(column = name)]`",
                )),
            }
        } else if meta.path.is_ident(JSON) {
            if let Some(v) = string_value(meta, JSON, errors) {
                json.set(span, v, errors);
            }
        } else if meta.path.is_ident(CAST) {
            if let Some(v) = string_value(meta, CAST, errors) {
                cast.set(span, v, errors);
            }
        } else if meta.path.is_ident(COUNT) {
            match meta.value().and_then(|v| v.parse::<syn::Path>()) {
                Ok(target) => count.set(span, target, errors),
                Err(e) => errors.push(syn::Error::new(
                    e.span(),
                    "expected the counted table's type: help: the correct form is `#[supabase(count = Other)]`",
                )),
            }
        } else if meta.path.is_ident(VIA) {
            match meta.value().and_then(|v| v.parse::<syn::Ident>()) {
                Ok(name) => via.set(span, name, errors),
                Err(e) => errors.push(syn::Error::new(
                    e.span(),
                    "expected a relation's name: help: the correct form is `#[supabase(embed, via = relation_name)]`",
                )),
            }
        } else if meta.path.is_ident(EMBED) {
            if flag(meta, EMBED, errors) {
                embed.set(span, (), errors);
            }
        } else if meta.path.is_ident(INNER) {
            if flag(meta, INNER, errors) {
                inner.set(span, (), errors);
            }
        } else {
            unknown(&meta.path, FIELD_KEYS, errors);
            skip_value(meta);
        }
    });
    let serde = SerdeField::parse(&field.attrs, errors);
    if let Some(span) = serde.flatten {
        errors.push(syn::Error::new(
            span,
            "`#[serde(flatten)]` is not supported in a `Select`",
        ));
    }
    let key = serde.wire_name(&ident);
    let span = ident.span();
    if let (Some(s), false, false) = (via.span(), embed.is_set(), count.is_set()) {
        errors.push(syn::Error::new(
            s,
            "`via` names the relation of an `embed` or `count` field",
        ));
    }
    let kind = if let Some(target) = count.get() {
        let count_span = count.span().unwrap_or(span);
        for (set, key) in [
            (embed.is_set(), EMBED),
            (inner.is_set(), INNER),
            (column.is_set(), COLUMN),
            (json.is_set(), JSON),
            (cast.is_set(), CAST),
        ] {
            if set {
                errors.push(syn::Error::new(
                    count_span,
                    format!("`count` reads the number of related rows, so `{key}` does not apply"),
                ));
            }
        }
        Kind::Count {
            target: target.clone(),
            via: via.get().cloned(),
        }
    } else if embed.is_set() {
        for (set, key) in [
            (column.is_set(), COLUMN),
            (json.is_set(), JSON),
            (cast.is_set(), CAST),
        ] {
            if set {
                errors.push(syn::Error::new(
                    embed.span().unwrap_or(span),
                    format!("`embed` reads related rows, so `{key}` does not apply"),
                ));
            }
        }
        let (row, to_many, plain) = match (vec_inner(&field.ty), option_inner(&field.ty)) {
            (Some(row), _) => (row.clone(), true, false),
            (None, Some(row)) => (row.clone(), false, false),
            (None, None) => (field.ty.clone(), false, true),
        };
        Kind::Embed {
            row,
            to_many,
            plain,
            inner: inner.is_set(),
            via: via.get().cloned(),
        }
    } else {
        if let Some(s) = inner.span() {
            errors.push(syn::Error::new(
                s,
                "`inner` only applies to an `embed` field",
            ));
        }
        if let Some(path) = json.get() {
            if column.is_set() || cast.is_set() {
                errors.spanned(
                    path,
                    "a `json` path names its column itself (`address->>city`); drop `column`/`cast`",
                );
            }
            let value = path.value();
            let Some(at) = value.find("->") else {
                errors.spanned(
                    path,
                    "a JSON path looks like `column->key` or `column->>key`",
                );
                return None;
            };
            let base = &value[..at];
            let Ok(column) = syn::parse_str::<syn::Ident>(base) else {
                errors.spanned(path, format!("`{base}` is not a column name"));
                return None;
            };
            let column = syn::Ident::new(&column.to_string(), path.span());
            Kind::Json {
                column,
                rest: value[at..].to_owned(),
            }
        } else {
            Kind::Column {
                column: column.get().cloned().unwrap_or_else(|| ident.clone()),
                cast: cast.get().cloned(),
            }
        }
    };
    Some(FieldModel {
        ident,
        key,
        ty: field.ty.clone(),
        kind,
        serde_custom_decoding: serde.custom_decoding,
    })
}

/// `crate::models::OrchestralSection` → `crate::models::orchestral_section`.
fn column_module(from: &syn::Path) -> syn::Path {
    let mut module = from.clone();
    if let Some(last) = module.segments.last_mut() {
        last.ident = format_ident!(
            "{}",
            snake_case(&last.ident.to_string()),
            span = last.ident.span()
        );
        last.arguments = syn::PathArguments::None;
    }
    module
}

pub(crate) fn derive(input: TokenStream) -> TokenStream {
    let input = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors = Errors::default();
    let mut from = Once::<syn::Path>::new(FROM);
    let mut krate = Once::<syn::Path>::new(CRATE);
    let mut custom_deserialize = Once::<()>::new(CUSTOM_DESERIALIZE);
    for_each_supabase(&input.attrs, &mut errors, |meta, errors| {
        let span = meta.path.span();
        if meta.path.is_ident(FROM) {
            match meta.value().and_then(|v| v.parse::<syn::Path>()) {
                Ok(p) => from.set(span, p, errors),
                Err(e) => errors.push(syn::Error::new(
                    e.span(),
                    "expected the table's type: help: the correct form is `#[supabase(from = MyTable)]`",
                )),
            }
        } else if meta.path.is_ident(CRATE) {
            if let Some(v) = string_value(meta, CRATE, errors) {
                match v.parse::<syn::Path>() {
                    Ok(p) => krate.set(span, p, errors),
                    Err(_) => errors.spanned(&v, "expected a path to supabase-core"),
                }
            }
        } else if meta.path.is_ident(CUSTOM_DESERIALIZE) {
            if flag(meta, CUSTOM_DESERIALIZE, errors) {
                custom_deserialize.set(span, (), errors);
            }
        } else {
            unknown(&meta.path, CONTAINER_KEYS, errors);
            skip_value(meta);
        }
    });
    let serde = SerdeContainer::parse(&input.attrs);
    if let Some(span) = serde.rename_all {
        errors.push(syn::Error::new(
            span,
            "`#[serde(rename_all)]` is not supported on a `Select`: name fields one by one with `#[serde(rename = \"...\")]` so the keys are visible",
        ));
    }
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => Some(&named.named),
            _ => None,
        },
        _ => None,
    };
    let Some(fields) = fields else {
        errors.spanned(
            &input.ident,
            "`#[derive(Select)]` needs a struct with named fields",
        );
        return errors
            .finish(TokenStream::new())
            .unwrap_or_else(|e| e.to_compile_error());
    };
    if !input.generics.params.is_empty() {
        errors.spanned(
            &input.generics,
            "a `#[derive(Select)]` struct cannot be generic",
        );
    }
    let Some(from) = from.get().cloned() else {
        errors.spanned(
            &input.ident,
            "missing the table: help: add `#[supabase(from = MyTable)]`",
        );
        return errors
            .finish(TokenStream::new())
            .unwrap_or_else(|e| e.to_compile_error());
    };
    let krate = krate
        .get()
        .cloned()
        .unwrap_or_else(|| syn::parse_quote!(::supabase_core));
    let fields: Vec<FieldModel> = fields
        .iter()
        .filter_map(|f| field_model(f, &mut errors))
        .collect();
    if fields.is_empty() {
        errors.spanned(&input.ident, "a `Select` needs at least one field");
    }
    for (i, field) in fields.iter().enumerate() {
        if fields[..i].iter().any(|f| f.key == field.key) {
            errors.spanned(
                &field.ident,
                format!(
                    "a second field reads the key `{}`: help: give each field its own key with `#[serde(rename = \"...\")]`",
                    field.key
                ),
            );
        }
    }
    // With an error, some field may be missing from `fields`: no decoder to fill them all.
    let row_decoder = !errors.any()
        && !custom_deserialize.is_set()
        && !serde.custom_decoding
        && fields
            .iter()
            .all(|f| !f.serde_custom_decoding && decoder::plain_key(&f.key));
    let out = expand(&input.ident, &from, &krate, &fields, row_decoder);
    match errors.finish(()) {
        Ok(()) => out,
        Err(e) => {
            let mut out = out;
            out.extend(e.to_compile_error());
            out
        }
    }
}

fn expand(
    ident: &syn::Ident,
    from: &syn::Path,
    krate: &syn::Path,
    fields: &[FieldModel],
    row_decoder: bool,
) -> TokenStream {
    let module = column_module(from);
    let select = quote!(#krate::select);
    let writes = fields.iter().enumerate().map(|(i, f)| {
        let key = &f.key;
        let comma = (i > 0).then(|| quote!(out.push(',');));
        let write = match &f.kind {
            Kind::Column { column, cast } => {
                let cast = match cast {
                    Some(c) => quote!(::core::option::Option::Some(#c)),
                    None => quote!(::core::option::Option::None),
                };
                quote!(#select::write_column(out, #key, <#module::#column as #krate::Column>::NAME, #cast);)
            }
            Kind::Json { column, rest } => {
                quote!(#select::write_json(out, #key, <#module::#column as #krate::Column>::NAME, #rest);)
            }
            Kind::Embed { row, inner, via, .. } => {
                let tag = relation_tag(via, &module, quote!(<#row as #select::Select>::From));
                quote!(#select::write_embed::<#from, #row, #tag>(out, #key, #inner);)
            }
            Kind::Count { target, via } => {
                let tag = relation_tag(via, &module, quote!(#target));
                quote!(#select::write_count::<#from, #target, #tag>(out, #key);)
            }
        };
        quote!(#comma #write)
    });
    let checks = fields.iter().map(|f| {
        let ty = &f.ty;
        match &f.kind {
            Kind::Column { column, cast: None } => quote_spanned! {ty.span()=>
                field_of::<#module::#column, #ty>();
            },
            Kind::Column {
                column,
                cast: Some(_),
            } => quote_spanned! {column.span()=>
                let _ = #module::#column;
            },
            Kind::Json { column, .. } => quote_spanned! {column.span()=>
                json_column(#module::#column);
            },
            Kind::Embed {
                row,
                to_many,
                plain,
                inner,
                via,
            } => {
                let target = quote!(<#row as #select::Select>::From);
                let tag = match via {
                    Some(name) => quote_spanned!(name.span()=> #module::#name),
                    None => target.clone(),
                };
                if *to_many {
                    quote_spanned! {f.ty.span()=> to_many::<#from, #target, #tag>(); }
                } else if *plain && !*inner {
                    // A plain row needs one that is always there; `inner` drops the parents
                    // that have none.
                    quote_spanned! {f.ty.span()=> always_one::<#from, #target, #tag>(); }
                } else {
                    quote_spanned! {f.ty.span()=> to_one::<#from, #target, #tag>(); }
                }
            }
            Kind::Count { target, via } => {
                let tag = match via {
                    Some(name) => quote_spanned!(name.span()=> #module::#name),
                    None => quote!(#target),
                };
                let counted =
                    quote_spanned! {target.span()=> countable::<#from, #target, #tag>(); };
                let field = quote_spanned! {ty.span()=> count_field::<#ty>(); };
                quote!(#counted #field)
            }
        }
    });
    let row_decoder = row_decoder.then(|| {
        // The keys in the order PostgREST writes them: the plain columns, then the embedded.
        let (embedded, plain): (Vec<&FieldModel>, Vec<&FieldModel>) =
            fields.iter().partition(|f| f.embedded());
        let keys: Vec<decoder::Key<'_>> = plain
            .into_iter()
            .chain(embedded)
            .map(|f| decoder::Key {
                field: &f.ident,
                ty: &f.ty,
                wire: &f.key,
            })
            .collect();
        decoder::expand(krate, "decode_page", &keys)
    });
    // The key each embedding (and count) is under, by its relation: embedded filters, order
    // and limits must address that key, the field's name.
    let embed_keys: Vec<TokenStream> = fields
        .iter()
        .filter_map(|f| {
            let (target, via) = match &f.kind {
                Kind::Embed { row, via, .. } => (quote!(<#row as #select::Select>::From), via),
                Kind::Count { target, via } => (quote!(#target), via),
                _ => return None,
            };
            let tag = relation_tag(via, &module, target.clone());
            let key = &f.key;
            Some(quote! {
                if relation == ::core::any::TypeId::of::<(#target, #tag)>() {
                    return ::core::option::Option::Some(#key);
                }
            })
        })
        .collect();
    let embed_key = (!embed_keys.is_empty()).then(|| {
        quote! {
            fn embed_key(
                relation: ::core::any::TypeId,
            ) -> ::core::option::Option<&'static str> {
                #(#embed_keys)*
                ::core::option::Option::None
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #select::Select for #ident {
            type From = #from;

            fn write_select(out: &mut ::std::string::String) {
                #(#writes)*
            }

            #row_decoder

            #embed_key
        }

        const _: () = {
            #[allow(dead_code)]
            fn check() {
                fn field_of<C: #krate::Column, F: #select::FieldOf<C>>() {}
                fn to_many<A: #select::ToMany<B, R>, B: #krate::Table, R>() {}
                fn to_one<A: #select::ToOne<B, R>, B: #krate::Table, R>() {}
                fn always_one<A: #select::AlwaysOne<B, R>, B: #krate::Table, R>() {}
                fn countable<A: #select::Countable<B, R>, B: #krate::Table, R>() {}
                fn count_field<F: #select::CountField>() {}
                fn json_column<C: #krate::Column>(_: C) where C::Value: #krate::table::Json {}
                #(#checks)*
            }
        };
    }
}

/// The relation tag of an embedding or count: the named relation's marker (`via = name`, in
/// the table's column module), else the target table itself (an unnamed relation).
fn relation_tag(via: &Option<syn::Ident>, module: &syn::Path, target: TokenStream) -> TokenStream {
    match via {
        Some(name) => quote!(#module::#name),
        None => target,
    }
}
