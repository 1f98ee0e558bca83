//! Parsing `#[supabase(...)]` (and the `#[serde(...)]` keys that change wire names) into plain
//! values. Every problem is reported, with its span, through [`Errors`].

use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Meta};

use crate::errors::Errors;
use crate::serde_attrs::{SerdeContainer, SerdeField};
use crate::symbol::*;

/// A value set at most once; the second occurrence is an error on its own span.
pub(crate) struct Once<T> {
    name: &'static str,
    value: Option<(T, proc_macro2::Span)>,
}

impl<T> Once<T> {
    pub(crate) fn new(name: &'static str) -> Self {
        Once { name, value: None }
    }

    pub(crate) fn set(&mut self, span: proc_macro2::Span, value: T, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(syn::Error::new(
                span,
                format!("duplicate `{}` attribute", self.name),
            ));
        } else {
            self.value = Some((value, span));
        }
    }

    pub(crate) fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(v, _)| v)
    }

    pub(crate) fn span(&self) -> Option<proc_macro2::Span> {
        self.value.as_ref().map(|(_, s)| *s)
    }

    pub(crate) fn is_set(&self) -> bool {
        self.value.is_some()
    }
}

/// One declared relation: `has_many(Target, foreign_key = "...", name = rel)` and its kin.
pub(crate) struct RelationAttr {
    /// `belongs_to`, `has_one`, `has_many` or `many_to_many`.
    pub(crate) kind: &'static str,
    /// Whether a to-one relation may have no row. Parsed as the `optional` flag; the model
    /// adds what it knows (a `has_one`, a nullable `foreign_key` column).
    pub(crate) optional: bool,
    pub(crate) target: syn::Path,
    pub(crate) hint: Option<LitStr>,
    /// `name = rel`: a named relation, with a marker type `rel` in the column module.
    pub(crate) name: Option<syn::Ident>,
}

impl RelationAttr {
    /// `has_many` or `many_to_many`.
    pub(crate) fn to_many(&self) -> bool {
        self.kind == HAS_MANY || self.kind == MANY_TO_MANY
    }
}

/// Parses `(Target)`, `(Target, foreign_key = "...")` or, for `many_to_many`,
/// `(Target, through = "...")`, each optionally with `name = rel`. A malformed body is one
/// error on the user's tokens: the rest of the parentheses is consumed, so syn reports no
/// second "unexpected token".
fn relation(
    meta: &syn::meta::ParseNestedMeta<'_>,
    kind: &'static str,
    errors: &mut Errors,
) -> Option<RelationAttr> {
    let key = if kind == MANY_TO_MANY {
        THROUGH
    } else {
        FOREIGN_KEY
    };
    let help = if kind == MANY_TO_MANY {
        format!(
            "help: the correct form is `#[supabase({kind}(Other, {key} = \"join_table\"))]`, optionally with `name = relation_name`"
        )
    } else {
        format!(
            "help: the correct form is `#[supabase({kind}(Other))]` or `#[supabase({kind}(Other, {key} = \"...\", name = relation_name))]`{}",
            if kind == BELONGS_TO {
                ", with `optional` when the foreign key may be null"
            } else {
                ""
            }
        )
    };
    let content = match (|| -> syn::Result<syn::parse::ParseBuffer<'_>> {
        let content;
        syn::parenthesized!(content in meta.input);
        Ok(content)
    })() {
        Ok(content) => content,
        Err(e) => {
            errors.push(syn::Error::new(e.span(), format!("{e}: {help}")));
            return None;
        }
    };
    let parsed = (|| -> syn::Result<RelationAttr> {
        let target: syn::Path = content.parse()?;
        let mut hint: Option<LitStr> = None;
        let mut name: Option<syn::Ident> = None;
        let mut optional = false;
        while content.parse::<Option<syn::Token![,]>>()?.is_some() && !content.is_empty() {
            let ident: syn::Ident = content.parse()?;
            if ident == key {
                content.parse::<syn::Token![=]>()?;
                let value = content.parse::<LitStr>()?;
                if hint.replace(value).is_some() {
                    return Err(syn::Error::new(ident.span(), format!("duplicate `{key}`")));
                }
            } else if ident == OPTIONAL && kind == BELONGS_TO {
                if std::mem::replace(&mut optional, true) {
                    return Err(syn::Error::new(ident.span(), "duplicate `optional`"));
                }
            } else if ident == NAME {
                content.parse::<syn::Token![=]>()?;
                let value = content.parse::<syn::Ident>()?;
                if name.replace(value).is_some() {
                    return Err(syn::Error::new(ident.span(), "duplicate `name`"));
                }
            } else {
                let optional = if kind == BELONGS_TO {
                    format!(", `{OPTIONAL}`")
                } else {
                    String::new()
                };
                return Err(syn::Error::new(
                    ident.span(),
                    format!("expected `{key}`{optional} or `{NAME}`"),
                ));
            }
        }
        if !content.is_empty() {
            return Err(content.error("unexpected tokens"));
        }
        Ok(RelationAttr {
            kind,
            optional,
            target,
            hint,
            name,
        })
    })();
    // Whatever went wrong, nothing is left in the parentheses for syn to complain about.
    let _ = content.parse::<proc_macro2::TokenStream>();
    match parsed {
        Ok(r) if kind == MANY_TO_MANY && r.hint.is_none() => {
            errors.push(syn::Error::new(
                meta.path.span(),
                format!("`{kind}` needs the join table: {help}"),
            ));
            None
        }
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(syn::Error::new(e.span(), format!("{e}: {help}")));
            None
        }
    }
}

/// The writes a table takes: all three unless `read_only` or `writes(..)` says otherwise.
#[derive(Clone, Copy)]
pub(crate) struct Writes {
    pub(crate) insert: bool,
    pub(crate) update: bool,
    pub(crate) delete: bool,
}

impl Writes {
    pub(crate) const ALL: Writes = Writes {
        insert: true,
        update: true,
        delete: true,
    };
    pub(crate) const NONE: Writes = Writes {
        insert: false,
        update: false,
        delete: false,
    };
}

/// Parses `writes(insert, update, delete)`, any of the three in any order (`writes()` is
/// `read_only`). Each mistake is one error; the rest of the parentheses is consumed.
fn writes(meta: &syn::meta::ParseNestedMeta<'_>, errors: &mut Errors) -> Option<Writes> {
    let help = format!(
        "help: the correct form is `#[supabase({WRITES}(insert, update, delete))]`, listing the writes the table takes"
    );
    if !meta.input.peek(syn::token::Paren) {
        skip_value(meta);
        errors.push(syn::Error::new(
            meta.path.span(),
            format!("`{WRITES}` lists the writes the table takes: {help}"),
        ));
        return None;
    }
    let mut out = Writes::NONE;
    let mut ok = true;
    let parsed = meta.parse_nested_meta(|item| {
        let name = item
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let slot = match name.as_str() {
            "insert" => &mut out.insert,
            "update" => &mut out.update,
            "delete" => &mut out.delete,
            _ => {
                errors.spanned(
                    &item.path,
                    format!("expected `insert`, `update` or `delete`: {help}"),
                );
                ok = false;
                skip_value(&item);
                return Ok(());
            }
        };
        if item.input.peek(syn::Token![=]) || item.input.peek(syn::token::Paren) {
            skip_value(&item);
            errors.spanned(&item.path, format!("`{name}` takes no value: {help}"));
            ok = false;
        } else if std::mem::replace(slot, true) {
            errors.spanned(&item.path, format!("duplicate `{name}` in `{WRITES}`"));
            ok = false;
        }
        Ok(())
    });
    if let Err(e) = parsed {
        errors.push(syn::Error::new(e.span(), format!("{e}: {help}")));
        return None;
    }
    ok.then_some(out)
}

/// `#[supabase(...)]` on the struct.
pub(crate) struct ContainerAttrs {
    pub(crate) table: Once<LitStr>,
    pub(crate) schema: Once<LitStr>,
    pub(crate) read_only: Once<()>,
    pub(crate) writes: Once<Writes>,
    pub(crate) krate: Once<syn::Path>,
    pub(crate) custom_deserialize: Once<()>,
    pub(crate) relations: Vec<RelationAttr>,
    pub(crate) serde: SerdeContainer,
    /// `table` appeared, even if its value was malformed (then no "missing table" error).
    pub(crate) table_mentioned: bool,
}

/// `#[supabase(...)]` and relevant `#[serde(...)]` keys on a field.
pub(crate) struct FieldAttrs {
    pub(crate) rename: Once<LitStr>,
    /// `sql_type = "uuid"`: the Postgres type whose operators the column takes.
    pub(crate) sql_type: Once<syn::Ident>,
    pub(crate) primary_key: Once<()>,
    pub(crate) default: Once<()>,
    pub(crate) generated: Once<()>,
    pub(crate) skip: Once<()>,
    pub(crate) serde: SerdeField,
}

pub(crate) fn unknown(path: &syn::Path, valid: &[&str], errors: &mut Errors) {
    let name = path
        .get_ident()
        .map(ToString::to_string)
        .unwrap_or_else(|| quote::quote!(#path).to_string());
    errors.spanned(
        path,
        format!(
            "unknown supabase attribute `{name}`; expected one of: {}",
            valid.join(", ")
        ),
    );
}

pub(crate) fn string_value(
    meta: &syn::meta::ParseNestedMeta<'_>,
    key: &str,
    errors: &mut Errors,
) -> Option<LitStr> {
    let help =
        format!("expected a string: help: the correct form is `#[supabase({key} = \"...\")]`");
    if !meta.input.peek(syn::Token![=]) {
        // `key(...)` or a bare `key`: one error, and the rest of the attribute still parses.
        skip_value(meta);
        errors.push(syn::Error::new(meta.path.span(), help));
        return None;
    }
    match meta.value().and_then(|v| v.parse::<syn::Expr>()) {
        Ok(syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(lit),
            ..
        })) => Some(lit),
        Ok(other) => {
            errors.spanned(other, help);
            None
        }
        Err(e) => {
            errors.push(syn::Error::new(e.span(), help));
            None
        }
    }
}

pub(crate) fn flag(meta: &syn::meta::ParseNestedMeta<'_>, key: &str, errors: &mut Errors) -> bool {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        errors.push(syn::Error::new(
            meta.path.span(),
            format!("`{key}` takes no value: help: write `#[supabase({key})]`"),
        ));
        // Consume the value so parsing goes on.
        skip_value(meta);
        return false;
    }
    true
}

pub(crate) fn for_each_supabase(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut f: impl FnMut(&syn::meta::ParseNestedMeta<'_>, &mut Errors),
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident(SUPABASE)) {
        if let Meta::Path(_) = attr.meta {
            errors.spanned(attr, "expected `#[supabase(...)]` with arguments");
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            f(&meta, errors);
            Ok(())
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
}

impl ContainerAttrs {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = ContainerAttrs {
            table: Once::new(TABLE),
            schema: Once::new(SCHEMA),
            read_only: Once::new(READ_ONLY),
            writes: Once::new(WRITES),
            krate: Once::new(CRATE),
            custom_deserialize: Once::new(CUSTOM_DESERIALIZE),
            relations: Vec::new(),
            serde: SerdeContainer::parse(attrs),
            table_mentioned: false,
        };
        for_each_supabase(attrs, errors, |meta, errors| {
            let span = meta.path.span();
            if meta.path.is_ident(TABLE) {
                out.table_mentioned = true;
                if let Some(v) = string_value(meta, TABLE, errors) {
                    out.table.set(span, v, errors);
                }
            } else if meta.path.is_ident(SCHEMA) {
                if let Some(v) = string_value(meta, SCHEMA, errors) {
                    out.schema.set(span, v, errors);
                }
            } else if meta.path.is_ident(READ_ONLY) {
                if flag(meta, READ_ONLY, errors) {
                    out.read_only.set(span, (), errors);
                }
            } else if meta.path.is_ident(WRITES) {
                if let Some(w) = writes(meta, errors) {
                    out.writes.set(span, w, errors);
                }
            } else if meta.path.is_ident(CUSTOM_DESERIALIZE) {
                if flag(meta, CUSTOM_DESERIALIZE, errors) {
                    out.custom_deserialize.set(span, (), errors);
                }
            } else if meta.path.is_ident(CRATE) {
                if let Some(v) = string_value(meta, CRATE, errors) {
                    match v.parse::<syn::Path>() {
                        Ok(path) => out.krate.set(span, path, errors),
                        Err(_) => errors.spanned(
                            &v,
                            "expected a path to supabase-core: help: the correct form is `#[supabase(crate = \"::my_crate::supabase\")]`",
                        ),
                    }
                }
            } else if let Some(kind) = [BELONGS_TO, HAS_ONE, HAS_MANY, MANY_TO_MANY]
                .into_iter()
                .find(|k| meta.path.is_ident(k))
            {
                if meta.input.peek(syn::token::Paren) {
                    out.relations.extend(relation(meta, kind, errors));
                } else {
                    skip_value(meta);
                    errors.push(syn::Error::new(
                        span,
                        format!("`{kind}` names the related table: help: write `#[supabase({kind}(Other))]`"),
                    ));
                }
            } else {
                unknown(&meta.path, CONTAINER_KEYS, errors);
                let _ = meta.value().and_then(|v| v.parse::<syn::Expr>());
            }
        });
        out
    }
}

/// Skips whatever follows a serde key we do not read.
pub(crate) fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) {
    if meta.input.peek(syn::Token![=]) {
        let _ = meta.value().and_then(|v| v.parse::<syn::Expr>());
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|inner| {
            skip_value(&inner);
            Ok(())
        });
    }
}

impl FieldAttrs {
    pub(crate) fn parse(attrs: &[Attribute], errors: &mut Errors) -> Self {
        let mut out = FieldAttrs {
            rename: Once::new(RENAME),
            sql_type: Once::new(SQL_TYPE),
            primary_key: Once::new(PRIMARY_KEY),
            default: Once::new(DEFAULT),
            generated: Once::new(GENERATED),
            skip: Once::new(SKIP),
            serde: SerdeField::default(),
        };
        for_each_supabase(attrs, errors, |meta, errors| {
            let span = meta.path.span();
            if meta.path.is_ident(RENAME) {
                if let Some(v) = string_value(meta, RENAME, errors) {
                    out.rename.set(span, v, errors);
                }
            } else if meta.path.is_ident(SQL_TYPE) {
                if let Some(v) = string_value(meta, SQL_TYPE, errors) {
                    // A Postgres type name is an identifier: the marker `sql::<name>`, so an
                    // unknown name is rustc's "cannot find type" on the string.
                    match v.parse::<syn::Ident>() {
                        Ok(ident) => out.sql_type.set(span, ident, errors),
                        Err(_) => errors.spanned(
                            &v,
                            format!(
                                "`{}` is not a Postgres type name: help: use the name in `pg_type.typname`, such as \"uuid\" or \"timestamptz\"",
                                v.value()
                            ),
                        ),
                    }
                }
            } else {
                let slot = if meta.path.is_ident(PRIMARY_KEY) {
                    &mut out.primary_key
                } else if meta.path.is_ident(DEFAULT) {
                    &mut out.default
                } else if meta.path.is_ident(GENERATED) {
                    &mut out.generated
                } else if meta.path.is_ident(SKIP) {
                    &mut out.skip
                } else {
                    unknown(&meta.path, FIELD_KEYS, errors);
                    let _ = meta.value().and_then(|v| v.parse::<syn::Expr>());
                    return;
                };
                let name = slot.name;
                if flag(meta, name, errors) {
                    slot.set(span, (), errors);
                }
            }
        });
        out.serde = SerdeField::parse(attrs, errors);
        out
    }
}
