//! The model of a `#[derive(Table)]` struct: what the expansion reads. Built from `syn` input and
//! the parsed attributes, validated here (never in the expansion).

use syn::{Data, DeriveInput, Fields, Ident, LitStr, Type, Visibility};

use super::attr::{ContainerAttrs, FieldAttrs};
use crate::decoder;
use crate::errors::Errors;
use crate::symbol::{BELONGS_TO, HAS_ONE};

pub(crate) struct TableModel {
    pub(crate) ident: Ident,
    pub(crate) vis: Visibility,
    pub(crate) table: String,
    pub(crate) schema: String,
    /// The writes the table takes: which of `Insertable`, `Updatable` and `Deletable` (and
    /// the `Insert` and `Update` structs) to generate.
    pub(crate) writes: super::attr::Writes,
    pub(crate) krate: syn::Path,
    pub(crate) columns: Vec<ColumnModel>,
    pub(crate) relations: Vec<super::attr::RelationAttr>,
    /// Whether to generate `Table::decode_rows`: only when it decodes rows exactly as the
    /// struct's `Deserialize` does (serde's derive, with no key that changes decoding, and every
    /// field a column whose name appears unescaped in JSON).
    pub(crate) row_decoder: bool,
}

pub(crate) struct ColumnModel {
    pub(crate) ident: Ident,
    /// The field's type, as written.
    pub(crate) ty: Type,
    /// The type inside `Option<_>` for nullable columns, else the field's type.
    pub(crate) value_ty: Type,
    pub(crate) nullable: bool,
    /// `sql_type = "uuid"`: the marker in `supabase_core::table::sql` deciding the operators.
    pub(crate) sql_type: Option<Ident>,
    pub(crate) wire: String,
    pub(crate) primary_key: bool,
    pub(crate) default: bool,
    pub(crate) generated: bool,
}

impl ColumnModel {
    /// Optional when inserting: the database can fill it in.
    pub(crate) fn optional_on_insert(&self) -> bool {
        self.nullable || self.default
    }
}

/// `Option<T>` → `Some(T)`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    let is_option = last.ident == "Option"
        && (p.path.segments.len() == 1
            || p.path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                == ["std", "option", "Option"]
            || p.path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                == ["core", "option", "Option"]);
    if !is_option {
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

impl TableModel {
    /// The model, as complete as the input allows, and every error found. The expansion runs
    /// on a model even when there are errors, so one mistake gives one error rather than a
    /// cascade of "cannot find `planet::name`" at every use; `None` only when the input is not a
    /// non-generic struct with named fields.
    pub(crate) fn from_input(input: &DeriveInput) -> (Option<TableModel>, Errors) {
        let mut errors = Errors::default();
        let attrs = ContainerAttrs::parse(&input.attrs, &mut errors);

        let fields = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(named) => Some(&named.named),
                _ => {
                    errors.spanned(
                        &input.ident,
                        "`#[derive(Table)]` needs a struct with named fields, one per column",
                    );
                    None
                }
            },
            _ => {
                errors.spanned(&input.ident, "`#[derive(Table)]` works on structs only");
                None
            }
        };
        let generics_span = (!input.generics.params.is_empty())
            .then(|| syn::spanned::Spanned::span(&input.generics));
        if let Some(span) = generics_span {
            errors.push(syn::Error::new(
                span,
                "a `#[derive(Table)]` struct cannot be generic: it describes one table",
            ));
        }
        if let Some(span) = attrs.serde.rename_all {
            errors.push(syn::Error::new(
                span,
                "`#[serde(rename_all)]` is not supported on a table: name columns one by one with `#[serde(rename = \"...\")]` so the wire names are visible",
            ));
        }
        let table = match attrs.table.get() {
            Some(lit) if lit.value().is_empty() => {
                errors.spanned(lit, "the table name is empty");
                String::new()
            }
            Some(lit) => lit.value(),
            None => {
                if !attrs.table_mentioned {
                    errors.spanned(
                        &input.ident,
                        "missing the table name: help: add `#[supabase(table = \"...\")]`",
                    );
                }
                String::new()
            }
        };
        let schema = attrs
            .schema
            .get()
            .map_or_else(|| "public".to_owned(), LitStr::value);

        let mut columns = Vec::new();
        let mut row_decoder = !attrs.custom_deserialize.is_set() && !attrs.serde.custom_decoding;
        for field in fields.into_iter().flatten() {
            let ident = field.ident.clone().expect("named field");
            let fa = FieldAttrs::parse(&field.attrs, &mut errors);
            row_decoder &= !fa.serde.custom_decoding && !fa.skip.is_set();
            if let Some(span) = fa.serde.flatten {
                errors.push(syn::Error::new(span, "`#[serde(flatten)]` fields are not columns; flatten is not supported on a table"));
                // Kept out of the model, so the expansion adds no errors of its own about it.
                continue;
            }
            if fa.skip.is_set() {
                if !fa.serde.may_be_absent {
                    errors.push(syn::Error::new(
                        fa.skip.span().unwrap_or_else(|| ident.span()),
                        "a skipped field is not read from the database, so rows would fail to decode: help: add `#[serde(skip)]` or `#[serde(default)]`",
                    ));
                }
                for (set, name) in [
                    (fa.rename.is_set(), "rename"),
                    (fa.sql_type.is_set(), "sql_type"),
                    (fa.primary_key.is_set(), "primary_key"),
                    (fa.default.is_set(), "default"),
                    (fa.generated.is_set(), "generated"),
                ] {
                    if set {
                        errors.push(syn::Error::new(
                            fa.skip.span().unwrap_or_else(|| ident.span()),
                            format!("`skip` and `{name}` contradict each other: a skipped field is no column"),
                        ));
                    }
                }
                continue;
            }
            let serde_name = fa.serde.wire_name(&ident);
            if let Some(rename) = fa.rename.get()
                && rename.value() != serde_name
            {
                errors.spanned(
                    rename,
                    format!(
                        "the column would be `{}` but serde reads it as `{serde_name}`: help: use `#[serde(rename = \"{}\")]` (the derive follows serde's name)",
                        rename.value(),
                        rename.value()
                    ),
                );
            }
            if fa.generated.is_set() && fa.default.is_set() {
                errors.push(syn::Error::new(
                    fa.default.span().unwrap_or_else(|| ident.span()),
                    "`generated` columns are never written, so `default` means nothing here",
                ));
            }
            let (nullable, value_ty) = match option_inner(&field.ty) {
                Some(inner) => (true, inner.clone()),
                None => (false, field.ty.clone()),
            };
            columns.push(ColumnModel {
                ident,
                ty: field.ty.clone(),
                value_ty,
                nullable,
                sql_type: fa.sql_type.get().cloned(),
                wire: serde_name,
                primary_key: fa.primary_key.is_set(),
                default: fa.default.is_set(),
                generated: fa.generated.is_set(),
            });
        }
        for (i, column) in columns.iter().enumerate() {
            if columns[..i].iter().any(|c| c.wire == column.wire) {
                errors.spanned(
                    &column.ident,
                    format!(
                        "a second field reads the column `{}`: help: give each field its own column with `#[serde(rename = \"...\")]`",
                        column.wire
                    ),
                );
            }
        }
        if fields.is_some() && columns.is_empty() {
            errors.spanned(&input.ident, "a table needs at least one column");
        }
        // Relations in error are left out of the model: one error, no E0119/E0428 cascade.
        let mut seen = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut relations = Vec::new();
        for mut r in attrs.relations {
            let to_self = r.target.is_ident("Self") || r.target.is_ident(&input.ident);
            // The foreign-key column the hint names, if it is one of this struct's.
            let key_column = r
                .hint
                .as_ref()
                .and_then(|h| columns.iter().find(|c| c.wire == h.value()));
            if to_self && r.kind == HAS_ONE {
                errors.spanned(
                    &r.target,
                    "PostgREST 12 cannot embed a table in itself one-to-one (PGRST200): help: leave this relation out",
                );
                continue;
            }
            if to_self && r.kind == BELONGS_TO && key_column.is_none() {
                errors.spanned(
                    &r.target,
                    "a table embeds itself through its foreign-key column, so `foreign_key` names that column: help: `belongs_to(Self, foreign_key = \"manager_id\", name = manager)`",
                );
                continue;
            }
            // `has_one`: the other table may hold no row for this one. `belongs_to`: a null
            // foreign key has no row.
            r.optional |= r.kind == HAS_ONE || key_column.is_some_and(|c| c.nullable);
            if let Some(name) = &r.name {
                let text = name.to_string();
                if names.contains(&text) {
                    errors.spanned(name, format!("a second relation named `{text}`"));
                    continue;
                }
                if columns.iter().any(|c| c.ident == *name) {
                    errors.spanned(
                        name,
                        format!("`{text}` is also a column: a relation's name must differ from the columns'"),
                    );
                    continue;
                }
                names.push(text);
            } else {
                let target = quote::ToTokens::to_token_stream(&r.target).to_string();
                if seen.contains(&target) {
                    errors.spanned(
                        &r.target,
                        format!("a second unnamed relation to `{target}`: help: name each relation to `{target}`, e.g. `belongs_to({target}, foreign_key = \"sender_id\", name = sender)`, and embed it with `via = sender`"),
                    );
                    continue;
                }
                seen.push(target);
            }
            relations.push(r);
        }
        if let (Some(_), Some(span)) = (attrs.read_only.span(), attrs.writes.span()) {
            errors.push(syn::Error::new(
                span,
                "`read_only` and `writes(..)` together: help: keep one (`read_only` is `writes()`)",
            ));
        }
        let writes = if attrs.read_only.is_set() {
            super::attr::Writes::NONE
        } else {
            attrs
                .writes
                .get()
                .copied()
                .unwrap_or(super::attr::Writes::ALL)
        };
        let krate = attrs
            .krate
            .get()
            .cloned()
            .unwrap_or_else(|| syn::parse_quote!(::supabase_core));
        row_decoder &= columns.iter().all(|c| decoder::plain_key(&c.wire));
        // A generic struct has no single table to describe: nothing sensible to expand.
        let model = (fields.is_some() && input.generics.params.is_empty()).then(|| TableModel {
            ident: input.ident.clone(),
            vis: input.vis.clone(),
            table,
            schema,
            writes,
            krate,
            columns,
            relations,
            row_decoder,
        });
        (model, errors)
    }

    /// The module holding the column types: `OrchestralSection` → `orchestral_section`.
    pub(crate) fn module_ident(&self) -> Ident {
        Ident::new(&snake_case(&self.ident.to_string()), self.ident.span())
    }
}

/// `OrchestralSection` → `orchestral_section`, `HTTPLog` → `http_log`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.trim_start_matches("r#").chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_of_type_names() {
        assert_eq!(snake_case("Planet"), "planet");
        assert_eq!(snake_case("OrchestralSection"), "orchestral_section");
        assert_eq!(snake_case("HTTPLog"), "http_log");
        assert_eq!(snake_case("Table2Row"), "table2_row");
    }
}
