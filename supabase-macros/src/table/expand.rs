//! Code generation for `#[derive(Table)]`, reading only the [`TableModel`].

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Visibility;

use super::model::{ColumnModel, TableModel};
use crate::decoder;

/// Visibility of items inside the generated column module: exactly as visible as the struct,
/// seen from one module deeper (`pub(super)` becomes `pub(in super::super)`).
fn inner_vis(vis: &Visibility) -> TokenStream {
    match vis {
        Visibility::Public(_) => quote!(pub),
        Visibility::Inherited => quote!(pub(super)),
        Visibility::Restricted(r) => {
            let path = &r.path;
            let first = path.segments.first().map(|s| s.ident.to_string());
            match first.as_deref() {
                Some("crate") => quote!(pub(in #path)),
                Some("self") if path.segments.len() == 1 => quote!(pub(super)),
                // `super`, `super::super`, `self::…`: one level deeper, one more `super`.
                _ => quote!(pub(in super::#path)),
            }
        }
    }
}

/// Setter names that would shadow a method of the generated types' derives (`Default::default`,
/// `Clone::clone`, …) or the constructor: such columns are set through the public field.
const RESERVED_SETTERS: &[&str] = &["new", "default", "clone", "clone_from", "fmt", "serialize"];

fn has_setter(c: &ColumnModel) -> bool {
    !RESERVED_SETTERS.contains(&c.ident.to_string().trim_start_matches("r#"))
}

/// A column name as PostgREST's select syntax needs it: quoted (with `\` and `"` escaped by a
/// backslash, PostgREST's `pQuotedValue`) unless a plain identifier, by the rule of
/// `supabase_core::table::query_name`, which filters and `order` use.
fn select_name(wire: &str) -> String {
    if !wire.is_empty()
        && wire
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        wire.to_owned()
    } else {
        format!("\"{}\"", wire.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

pub(crate) fn expand(model: &TableModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let vis = &model.vis;
    let inner = inner_vis(vis);
    let module = model.module_ident();
    let (table, schema) = (&model.table, &model.schema);
    let wires: Vec<&str> = model.columns.iter().map(|c| c.wire.as_str()).collect();
    let select = model
        .columns
        .iter()
        .map(|c| select_name(&c.wire))
        .collect::<Vec<_>>()
        .join(",");
    let primary_key: Vec<&str> = model
        .columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.wire.as_str())
        .collect();

    // The module only declares the column types; every impl is written next to the struct, so
    // nothing inside the module has to name an outer item (`super::` cannot reach a struct
    // declared inside a function body, as in tests and doctests).
    let column_structs = model.columns.iter().map(|c| {
        let col = &c.ident;
        let doc = format!("The `{}` column of `{ident}`.", c.wire);
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy, Default)]
            #inner struct #col;
        }
    });
    let column_impls = model.columns.iter().map(|c| {
        let col = &c.ident;
        let (ty, value_ty) = (&c.ty, &c.value_ty);
        let kind = match &c.sql_type {
            Some(name) => quote!(#krate::table::sql::#name),
            None => quote!(#value_ty),
        };
        let wire = &c.wire;
        let nullable = c.nullable.then(|| {
            quote! {
                #[automatically_derived]
                impl #krate::table::NullableColumn for #module::#col {}
            }
        });
        quote! {
            #[automatically_derived]
            impl #krate::table::Column for #module::#col {
                type Table = #ident;
                type Value = #value_ty;
                type Kind = #kind;
                const NAME: &'static str = #wire;
            }

            #[automatically_derived]
            impl #krate::table::ColumnOf<#ident> for #module::#col {}

            #[automatically_derived]
            impl #krate::select::FieldOf<#module::#col> for #ty {}

            #nullable
        }
    });
    let module_doc = format!("Columns of `{ident}` (`{schema}.{table}`).");

    let writes = expand_writes(model);
    let row_decoder = model.row_decoder.then(|| {
        let keys: Vec<decoder::Key<'_>> = model
            .columns
            .iter()
            .map(|c| decoder::Key {
                field: &c.ident,
                ty: &c.ty,
                wire: &c.wire,
            })
            .collect();
        decoder::expand(&model.krate, "decode_rows", &keys)
    });
    let relation_structs = model.relations.iter().filter_map(|r| {
        let name = r.name.as_ref()?;
        let target = &r.target;
        let doc = format!(
            "The `{name}` relation of `{ident}` to `{}`: pick it with `via = {name}`.",
            quote!(#target).to_string().replace(' ', "")
        );
        Some(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy, Default)]
            #inner struct #name;
        })
    });
    let relations = model.relations.iter().map(|r| {
        let target = &r.target;
        let (cardinality, marker) = if r.to_many() {
            (quote!(#krate::select::Many), quote!(#krate::select::ToMany))
        } else {
            (quote!(#krate::select::One), quote!(#krate::select::ToOne))
        };
        let hint = match &r.hint {
            Some(h) => quote!(::core::option::Option::Some(#h)),
            None => quote!(::core::option::Option::None),
        };
        let (tag, key) = match &r.name {
            Some(name) => {
                let key = name.to_string().trim_start_matches("r#").to_owned();
                (quote!(#module::#name), quote!(#key))
            }
            None => (
                quote!(#target),
                quote!(<#target as #krate::table::Table>::NAME),
            ),
        };
        let countable = r.to_many().then(|| {
            quote! {
                #[automatically_derived]
                impl #krate::select::Countable<#target, #tag> for #ident {}
            }
        });
        let always_one = (!r.to_many() && !r.optional).then(|| {
            quote! {
                #[automatically_derived]
                impl #krate::select::AlwaysOne<#target, #tag> for #ident {}
            }
        });
        quote! {
            #[automatically_derived]
            impl #krate::select::Relation<#target, #tag> for #ident {
                type Cardinality = #cardinality;
                const HINT: ::core::option::Option<&'static str> = #hint;
                const KEY: &'static str = #key;
            }

            #[automatically_derived]
            impl #marker<#target, #tag> for #ident {}

            #countable
            #always_one
        }
    });

    quote! {
        #[doc = #module_doc]
        #[allow(non_camel_case_types, dead_code)]
        #vis mod #module {
            #(#column_structs)*
            #(#relation_structs)*
        }

        #(#column_impls)*

        #[automatically_derived]
        impl #krate::table::Table for #ident {
            const NAME: &'static str = #table;
            const SCHEMA: &'static str = #schema;
            const COLUMNS: &'static [&'static str] = &[#(#wires),*];
            const SELECT: &'static str = #select;
            const PRIMARY_KEY: &'static [&'static str] = &[#(#primary_key),*];
            #row_decoder
        }

        #writes

        #(#relations)*
    }
}

fn serde_attrs(c: &ColumnModel, skip_if: Option<TokenStream>) -> TokenStream {
    let wire = &c.wire;
    let skip = skip_if.map(|f| {
        let f = quote!(#f).to_string().replace(' ', "");
        quote!(, skip_serializing_if = #f)
    });
    quote!(#[serde(rename = #wire #skip)])
}

/// The `Insert` and `Update` structs and the write traits, for the writes the table takes.
fn expand_writes(model: &TableModel) -> TokenStream {
    let krate = &model.krate;
    let ident = &model.ident;
    let serde_crate = quote!(#krate::__private::serde)
        .to_string()
        .replace(' ', "");
    let writable: Vec<&ColumnModel> = model.columns.iter().filter(|c| !c.generated).collect();

    let insert = model
        .writes
        .insert
        .then(|| expand_insert(model, &writable, &serde_crate));
    let update = model
        .writes
        .update
        .then(|| expand_update(model, &writable, &serde_crate));
    let delete = model.writes.delete.then(|| {
        quote! {
            #[automatically_derived]
            impl #krate::table::Deletable for #ident {}
        }
    });
    quote!(#insert #update #delete)
}

/// `{Table}Insert`, its `new` and setters, and `Insertable`.
fn expand_insert(model: &TableModel, writable: &[&ColumnModel], serde_crate: &str) -> TokenStream {
    let (krate, ident, vis) = (&model.krate, &model.ident, &model.vis);
    let insert = format_ident!("{}Insert", ident);
    let insert_fields = writable.iter().map(|c| {
        let col = &c.ident;
        let (ty, value_ty) = (&c.ty, &c.value_ty);
        if c.optional_on_insert() {
            let attrs = serde_attrs(c, Some(quote!(::core::option::Option::is_none)));
            let doc = format!("`{}`; `None` leaves it to the database.", c.wire);
            quote!(#[doc = #doc] #attrs pub #col: ::core::option::Option<#value_ty>,)
        } else {
            let attrs = serde_attrs(c, None);
            let doc = format!("`{}`.", c.wire);
            quote!(#[doc = #doc] #attrs pub #col: #ty,)
        }
    });
    let required: Vec<&&ColumnModel> = writable
        .iter()
        .filter(|c| !c.optional_on_insert())
        .collect();
    let new_args = required.iter().map(|c| {
        let (col, ty) = (&c.ident, &c.ty);
        quote!(#col: impl ::core::convert::Into<#ty>)
    });
    let new_fields = writable.iter().map(|c| {
        let col = &c.ident;
        if c.optional_on_insert() {
            quote!(#col: ::core::option::Option::None,)
        } else {
            quote!(#col: ::core::convert::Into::into(#col),)
        }
    });
    let insert_setters = writable
        .iter()
        .filter(|c| c.optional_on_insert() && has_setter(c))
        .map(|c| {
            let (col, value_ty) = (&c.ident, &c.value_ty);
            let doc = format!("Sets `{}` (left out, the database fills it in).", c.wire);
            quote! {
                #[doc = #doc]
                pub fn #col(mut self, value: impl ::core::convert::Into<#value_ty>) -> Self {
                    self.#col = ::core::option::Option::Some(::core::convert::Into::into(value));
                    self
                }
            }
        });

    let insert_doc = format!(
        "A row to insert into [`{ident}`]: required columns in [`{insert}::new`], the others optional."
    );

    quote! {
        #[doc = #insert_doc]
        #[derive(Debug, Clone, #krate::__private::serde::Serialize)]
        #[serde(crate = #serde_crate)]
        #vis struct #insert {
            #(#insert_fields)*
        }

        #[automatically_derived]
        #[allow(clippy::new_without_default, clippy::too_many_arguments)]
        impl #insert {
            /// A row with its required columns; set optional ones with the methods below.
            pub fn new(#(#new_args),*) -> Self {
                #insert { #(#new_fields)* }
            }
            #(#insert_setters)*
        }

        #[automatically_derived]
        impl #krate::table::Insertable for #ident {
            type Insert = #insert;
        }
    }
}

/// `{Table}Update`, its setters, and `Updatable`.
fn expand_update(model: &TableModel, writable: &[&ColumnModel], serde_crate: &str) -> TokenStream {
    let (krate, ident, vis) = (&model.krate, &model.ident, &model.vis);
    let update = format_ident!("{}Update", ident);
    let update_fields = writable.iter().map(|c| {
        let (col, ty) = (&c.ident, &c.ty);
        let attrs = serde_attrs(c, Some(quote!(#krate::Patch::is_keep)));
        let doc = format!("`{}`: `Patch::Keep` leaves it as it is.", c.wire);
        quote!(#[doc = #doc] #attrs pub #col: #krate::Patch<#ty>,)
    });
    let update_setters = writable.iter().filter(|c| has_setter(c)).map(|c| {
        let (col, ty) = (&c.ident, &c.ty);
        let doc = if c.nullable {
            format!("Sets `{}` (`None` writes NULL).", c.wire)
        } else {
            format!("Sets `{}`.", c.wire)
        };
        quote! {
            #[doc = #doc]
            pub fn #col(mut self, value: impl ::core::convert::Into<#ty>) -> Self {
                self.#col = #krate::Patch::Set(::core::convert::Into::into(value));
                self
            }
        }
    });
    let update_doc = format!(
        "Changes to rows of [`{ident}`]: start from `{update}::default()` and set what changes."
    );

    quote! {
        #[doc = #update_doc]
        #[derive(Debug, Clone, Default, #krate::__private::serde::Serialize)]
        #[serde(crate = #serde_crate)]
        #vis struct #update {
            #(#update_fields)*
        }

        #[automatically_derived]
        impl #update {
            #(#update_setters)*
        }

        #[automatically_derived]
        impl #krate::table::Updatable for #ident {
            type Update = #update;
        }
    }
}
