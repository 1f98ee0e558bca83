//! Functions → an arguments struct implementing `Rpc` per function (plus a row struct for
//! `RETURNS TABLE`, and `RpcRows` for `SETOF` a generated table).
//!
//! Arguments with defaults are `Option<T>` and left out when `None`; overloaded functions get
//! `With<ArgNames>` suffixes (`NoArgs` for none), since PostgREST tells overloads apart by
//! argument names. A function whose one argument is unnamed and `text`, `xml`, `bytea`, `json`
//! or `jsonb` gets a newtype, sent as the whole body ([`BodyArg`]); other functions with
//! unnamed arguments are skipped with a warning, as PostgREST cannot call them.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::names::{self, Fields};
use super::{Ctx, doc, unknown_comment};
use crate::ir::{Field, Function, PgType, QualifiedName, Returns, Volatility};

/// `(schema, item)` for every function, in IR order.
pub(crate) fn functions(ctx: &Ctx<'_>) -> Vec<(String, TokenStream)> {
    let mut overloads: BTreeMap<&QualifiedName, usize> = BTreeMap::new();
    for f in &ctx.ir.functions {
        *overloads.entry(&f.name).or_default() += 1;
    }
    let mut out = Vec::new();
    for f in &ctx.ir.functions {
        if let Some(why) = &f.uncallable {
            ctx.warn(format!(
                "function `{}({})` skipped: {why}",
                f.name,
                signature(f)
            ));
            continue;
        }
        let unnamed = match f.args.as_slice() {
            [a] if a.name.is_none() => BodyArg::of(&a.ty),
            _ => None,
        };
        if unnamed.is_none()
            && let Some(pos) = f.args.iter().position(|a| a.name.is_none())
        {
            ctx.warn(format!(
                "function `{}({})` skipped: argument {} has no name, and PostgREST passes \
                 arguments by name (or one unnamed text, xml, bytea, json or jsonb argument as \
                 the body)",
                f.name,
                signature(f),
                pos + 1
            ));
            continue;
        }
        let mut preferred = names::pascal(&f.name.name);
        if overloads[&f.name] > 1 {
            if f.args.is_empty() {
                preferred.push_str("NoArgs");
            } else {
                // An unnamed argument is told apart by its type (the body's `Content-Type`).
                preferred.push_str("With");
                for a in &f.args {
                    let type_name = a.ty.to_string();
                    preferred.push_str(&names::pascal(a.name.as_deref().unwrap_or(&type_name)));
                }
            }
        }
        if overloads[&f.name] > 1 {
            match unnamed {
                Some(kind) => warn_if_overridden(ctx, f, kind),
                None => warn_if_ambiguous(ctx, f),
            }
        }
        out.push((f.name.schema.clone(), function(ctx, f, unnamed, &preferred)));
    }
    out
}

/// A function's one unnamed argument, which PostgREST takes as the whole request body and
/// picks the function by the body's `Content-Type` (`Plan.hs`, "single unnamed parameter"):
/// only these exact types, not a domain over one nor `varchar` (checked against PostgREST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyArg {
    /// `json` / `jsonb`: a JSON object.
    Json,
    /// `text`: `text/plain`.
    Text,
    /// `xml`: `text/xml`.
    Xml,
    /// `bytea`: `application/octet-stream`.
    Binary,
}

impl BodyArg {
    fn of(ty: &PgType) -> Option<BodyArg> {
        match ty {
            PgType::Base { name } => match name.as_str() {
                "json" | "jsonb" => Some(BodyArg::Json),
                "text" => Some(BodyArg::Text),
                "xml" => Some(BodyArg::Xml),
                "bytea" => Some(BodyArg::Binary),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Whether PostgREST calls `f` for a request with the arguments `keys` (`findProc` in
/// `Plan.hs`): every argument without a default is given, and nothing else than its arguments.
fn accepts(f: &Function, keys: &BTreeSet<&str>) -> bool {
    let names: BTreeSet<&str> = f.args.iter().filter_map(|a| a.name.as_deref()).collect();
    let required = f.args.iter().filter(|a| !a.has_default);
    keys.is_subset(&names)
        && required
            .filter_map(|a| a.name.as_deref())
            .all(|n| keys.contains(n))
}

/// Warns when a call an overload's struct makes is also a call of another overload: with only
/// its required arguments, or with every argument set. PostgREST then answers PGRST203
/// ("could not choose the best candidate function").
fn warn_if_ambiguous(ctx: &Ctx<'_>, f: &Function) {
    let named = |required_only: bool| -> BTreeSet<&str> {
        f.args
            .iter()
            .filter(|a| !(required_only && a.has_default))
            .filter_map(|a| a.name.as_deref())
            .collect()
    };
    let mut calls = vec![named(true)];
    if named(false) != calls[0] {
        calls.push(named(false));
    }
    let others = ctx.ir.functions.iter().filter(|g| {
        g.name == f.name && !std::ptr::eq(*g, f) && g.args.iter().all(|a| a.name.is_some())
    });
    for g in others {
        for keys in calls.iter().filter(|keys| accepts(g, keys)) {
            let call = if keys.is_empty() {
                "no arguments".to_owned()
            } else {
                format!(
                    "`{}`",
                    keys.iter().copied().collect::<Vec<_>>().join("`, `")
                )
            };
            ctx.warn(format!(
                "function `{}({})`: a call with {call} also calls `{}({})`, so PostgREST \
                 refuses it (PGRST203); overloads are told apart by argument names, not types",
                f.name,
                signature(f),
                g.name,
                signature(g),
            ));
        }
    }
}

/// Warns when a call of `f`, a function of one unnamed argument, can call another overload
/// instead (checked against PostgREST 12.0.2, which gives no error then): a named overload
/// whose arguments all have defaults takes a `text`, `xml` or `bytea` body (one without
/// arguments does not), and a JSON object whose keys are a named overload's arguments (an
/// empty one included) calls that overload.
fn warn_if_overridden(ctx: &Ctx<'_>, f: &Function, kind: BodyArg) {
    let others = ctx.ir.functions.iter().filter(|g| {
        g.name == f.name && !std::ptr::eq(*g, f) && g.args.iter().all(|a| a.name.is_some())
    });
    for g in others {
        let all_defaults = g.args.iter().all(|a| a.has_default);
        let why = match kind {
            BodyArg::Json => "an object whose keys are all arguments of it (`{}` included)",
            _ if all_defaults && !g.args.is_empty() => {
                "any body, as its arguments all have defaults"
            }
            _ => continue,
        };
        ctx.warn(format!(
            "function `{}({})`: PostgREST calls `{}({})` instead for {why}",
            f.name,
            signature(f),
            g.name,
            signature(g),
        ));
    }
}

/// `a int4, b text = default` for the warnings.
fn signature(f: &Function) -> String {
    let args = f.args.iter().map(|a| {
        let name = a.name.as_deref().unwrap_or("$");
        let default = if a.has_default { " = default" } else { "" };
        format!("{name} {}{default}", a.ty)
    });
    args.collect::<Vec<_>>().join(", ")
}

fn function(ctx: &Ctx<'_>, f: &Function, unnamed: Option<BodyArg>, preferred: &str) -> TokenStream {
    let module = ctx.modules[&f.name.schema].clone();
    let name = ctx.alloc(&module, preferred, false);
    if name != preferred {
        ctx.warn(format!(
            "function `{}` is named `{name}`: `{preferred}` was taken",
            f.name
        ));
    }
    let ident = Ident::new(&name, Span::call_site());
    let core = &ctx.core;
    let mut fields_ns = Fields::default();
    let args = f.args.iter().map(|a| {
        let wire = a.name.as_deref().unwrap_or_default();
        let (field, renamed) = fields_ns.alloc(wire);
        let mapped = ctx.map_type(&a.ty, &module, &format!("argument `{wire}` of `{}`", f.name));
        let ty = mapped.tokens;
        let unknown = unknown_comment(mapped.unknown.as_ref());
        let rename = renamed.then(|| quote!(#[serde(rename = #wire)]));
        if a.has_default {
            quote!(#unknown #rename #[serde(skip_serializing_if = "Option::is_none")] pub #field: Option<#ty>)
        } else {
            quote!(#unknown #rename pub #field: #ty)
        }
    });
    let doc = doc(f.comment.as_deref());
    let call_doc = format!(
        " Arguments of `{}` (`rpc(\"{}\")`){}{}.",
        f.name,
        f.name.name,
        if f.volatility == Volatility::Volatile {
            ", a volatile function"
        } else {
            ""
        },
        match unnamed {
            None => "",
            Some(_) => ": its one unnamed argument, sent as the whole body of a `POST`",
        }
    );
    let (fields, into_body) = match unnamed {
        None => {
            let args = args.collect::<Vec<_>>();
            (quote!({ #(#args),* }), TokenStream::new())
        }
        Some(kind) => {
            let (ty, body) = match kind {
                BodyArg::Json => (
                    quote!(serde_json::Map<String, serde_json::Value>),
                    quote!(Json(self.0)),
                ),
                BodyArg::Text => (quote!(String), quote!(Text(self.0))),
                BodyArg::Xml => (quote!(String), quote!(Xml(self.0))),
                BodyArg::Binary => (quote!(Vec<u8>), quote!(Binary(self.0.into()))),
            };
            let into_body = quote! {
                fn into_body(self) -> ::core::result::Result<#core::RpcBody, Self> {
                    Ok(#core::RpcBody::#body)
                }
            };
            (quote!((pub #ty);), into_body)
        }
    };
    let transparent = unnamed.map(|_| quote!(#[serde(transparent)]));
    let (fname, schema) = (&f.name.name, &f.name.schema);
    let read_only = f.volatility != Volatility::Volatile;
    let mut extra = TokenStream::new();
    let what = format!("result of `{}`", f.name);
    let mut returns_row = None;
    let output = match &f.returns {
        // Any function may return NULL, which PostgREST sends as `null` (a composite one as an
        // object of nulls, read as `null` through `RETURNS_ROW`): an `Option`, except for
        // `void` and for JSON, which holds a null itself.
        Returns::Scalar { ty } => {
            let t = ctx.map_type(ty, &module, &what).tokens;
            // A domain over a composite type is read as that type (PostgREST's
            // `rettype_is_composite` looks under domains).
            if matches!(ty.without_domains(), PgType::Composite { .. }) {
                returns_row = Some(quote!(
                    const RETURNS_ROW: bool = true;
                ));
            }
            if matches!(ty, PgType::Void) || t.to_string() == quote!(serde_json::Value).to_string()
            {
                t
            } else {
                quote!(Option<#t>)
            }
        }
        Returns::SetOf { ty } => {
            let row = ctx.map_type(ty, &module, &what).tokens;
            if let PgType::Composite { name } = ty.without_domains()
                && ctx.tables.iter().any(|t| &t.name == name)
            {
                extra = quote! {
                    impl #core::RpcRows for #ident { type Row = #row; }
                };
            }
            quote!(Vec<#row>)
        }
        Returns::Table { columns, set } => {
            let preferred_row = format!("{name}Row");
            let row_name = ctx.alloc(&module, &preferred_row, false);
            if row_name != preferred_row {
                ctx.warn(format!(
                    "the rows of function `{}` are named `{row_name}`: `{preferred_row}` was taken",
                    f.name
                ));
            }
            let row = Ident::new(&row_name, Span::call_site());
            let row_struct = row_struct(ctx, &module, f, &row, columns);
            extra = row_struct;
            if *set {
                quote!(Vec<#row>)
            } else {
                quote!(#row)
            }
        }
        Returns::Unknown => quote!(serde_json::Value),
    };
    quote! {
        #doc
        #[doc = #call_doc]
        #[derive(Debug, Clone, serde::Serialize)]
        #transparent
        pub struct #ident #fields
        impl #core::Rpc for #ident {
            const NAME: &'static str = #fname;
            const SCHEMA: &'static str = #schema;
            const READ_ONLY: bool = #read_only;
            type Output = #output;
            #returns_row
            #into_body
        }
        #extra
    }
}

fn row_struct(
    ctx: &Ctx<'_>,
    module: &str,
    f: &Function,
    row: &Ident,
    columns: &[Field],
) -> TokenStream {
    let mut fields_ns = Fields::default();
    let fields = columns.iter().map(|c| {
        let (field, renamed) = fields_ns.alloc(&c.name);
        let mapped = ctx.map_type(
            &c.ty,
            module,
            &format!("column `{}` of `{}`", c.name, f.name),
        );
        let ty = mapped.tokens;
        let unknown = unknown_comment(mapped.unknown.as_ref());
        let wire = &c.name;
        let rename = renamed.then(|| quote!(#[serde(rename = #wire)]));
        quote!(#unknown #rename pub #field: Option<#ty>)
    });
    let doc = format!(" A row returned by `{}`.", f.name);
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, serde::Deserialize)]
        pub struct #row { #(#fields),* }
    }
}
