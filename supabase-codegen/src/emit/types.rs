//! Postgres types → Rust types (the table in the crate docs).

use proc_macro2::TokenStream;
use quote::quote;

use super::Ctx;
use crate::ir::PgType;

/// A mapped type: its tokens, the Postgres type name when it had no mapping, and the
/// Postgres type whose operators a column of it takes when its Rust type has others.
#[derive(Default)]
pub(crate) struct Mapped {
    pub(crate) tokens: TokenStream,
    pub(crate) unknown: Option<String>,
    /// A table column's `#[supabase(sql_type = "...")]`: a `uuid` read into a `String` is
    /// ordered but has no `LIKE` (a marker in `supabase_core::table::sql`).
    pub(crate) sql_type: Option<&'static str>,
}

impl Mapped {
    fn known(tokens: TokenStream) -> Self {
        Mapped {
            tokens,
            ..Mapped::default()
        }
    }
}

fn parse_type(s: &str) -> TokenStream {
    // Validated in `Config::validate`.
    syn::parse_str::<syn::Type>(s).map_or_else(|_| quote!(::serde_json::Value), |t| quote!(#t))
}

impl Ctx<'_> {
    /// The Rust type of `ty` seen from module `from`; `what` names the place for warnings.
    pub(crate) fn map_type(&self, ty: &PgType, from: &str, what: &str) -> Mapped {
        if let Some(over) = self.type_override(ty) {
            return Mapped::known(parse_type(over));
        }
        let core = &self.core;
        match ty {
            PgType::Base { name } => self.map_base(name, what),
            PgType::Array { element } => {
                let inner = self.map_type(element, from, what);
                let t = inner.tokens;
                Mapped {
                    tokens: quote!(Vec<#t>),
                    unknown: inner.unknown,
                    sql_type: None,
                }
            }
            PgType::Range { element, .. } | PgType::Multirange { element, .. } => {
                let inner = self.map_type(element, from, what);
                let t = inner.tokens;
                let tokens = match ty {
                    PgType::Range { .. } => quote!(#core::types::Range<#t>),
                    _ => quote!(#core::types::Multirange<#t>),
                };
                Mapped {
                    tokens,
                    unknown: inner.unknown,
                    sql_type: None,
                }
            }
            PgType::Domain { base, .. } => self.map_type(base, from, what),
            PgType::Enum { name } | PgType::Composite { name } => match self.path_to(name, from) {
                Some(path) => Mapped::known(path),
                None => {
                    let (fallback, why) = if matches!(ty, PgType::Enum { .. }) {
                        (
                            quote!(String),
                            "an enum outside the generated schemas: String",
                        )
                    } else {
                        (
                            quote!(serde_json::Value),
                            "a composite type outside the generated schemas: serde_json::Value",
                        )
                    };
                    self.warn(format!("{what}: type `{name}` is {why}"));
                    Mapped::known(fallback)
                }
            },
            PgType::Void => Mapped::known(quote!(())),
            PgType::Unknown { name } => {
                self.warn(format!(
                    "{what}: unknown type `{name}`, decoded as serde_json::Value"
                ));
                Mapped {
                    tokens: quote!(serde_json::Value),
                    unknown: Some(name.clone()),
                    sql_type: None,
                }
            }
        }
    }

    fn type_override(&self, ty: &PgType) -> Option<&String> {
        let types = &self.config.types;
        // The IR names base types without their schema (`citext`), so `extensions.citext`
        // matches by its name part.
        let by_name = |name: &str| {
            types.get(name).or_else(|| {
                types
                    .iter()
                    .find(|(key, _)| key.rsplit_once('.').is_some_and(|(_, n)| n == name))
                    .map(|(_, rust)| rust)
            })
        };
        match ty {
            PgType::Base { name }
            | PgType::Range { name, .. }
            | PgType::Multirange { name, .. } => by_name(name),
            PgType::Enum { name } | PgType::Composite { name } | PgType::Domain { name, .. } => {
                types
                    .get(&name.to_string())
                    .or_else(|| types.get(&name.name))
            }
            PgType::Unknown { name } => by_name(name),
            PgType::Array { .. } | PgType::Void => None,
        }
    }

    fn map_base(&self, name: &str, what: &str) -> Mapped {
        let c = self.config;
        let core = &self.core;
        // The time crate's serde forms are not Postgres's: its types go through `Pg`.
        let time = |chrono: TokenStream, time: TokenStream| {
            if c.chrono {
                chrono
            } else if c.time {
                quote!(#core::types::Pg<#time>)
            } else {
                quote!(String)
            }
        };
        let tokens = match name {
            "bool" => quote!(bool),
            "int2" => quote!(i16),
            "int4" => quote!(i32),
            "int8" => quote!(i64),
            "float4" => quote!(f32),
            "float8" => quote!(f64),
            // A JSON string on the wire: only integers, floats and `numeric` are numbers.
            "oid" => quote!(#core::types::Pg<u32>),
            "text" | "varchar" | "bpchar" | "char" | "citext" | "name" => quote!(String),
            "json" | "jsonb" => quote!(serde_json::Value),
            // Every digit: `Pg` reads the number's own text, which a plain `Decimal` would
            // read through an `f64`.
            "numeric" if c.decimal => quote!(#core::types::Pg<rust_decimal::Decimal>),
            // PostgREST sends `numeric` as a JSON number (supabase-js types it `number`): a
            // `String` would not decode.
            "numeric" => quote!(f64),
            "uuid" if c.uuid => quote!(uuid::Uuid),
            "uuid" => quote!(String),
            "timestamptz" => time(
                quote!(chrono::DateTime<chrono::Utc>),
                quote!(time::OffsetDateTime),
            ),
            "timestamp" => time(
                quote!(chrono::NaiveDateTime),
                quote!(time::PrimitiveDateTime),
            ),
            "date" => time(quote!(chrono::NaiveDate), quote!(time::Date)),
            "time" => time(quote!(chrono::NaiveTime), quote!(time::Time)),
            "bytea" => quote!(#core::types::Bytea),
            // Sent and received as text by PostgREST; no lossless Rust type is standard.
            "interval" | "timetz" | "inet" | "cidr" | "macaddr" | "macaddr8" | "money" | "xml"
            | "tsvector" | "tsquery" | "bit" | "varbit" => quote!(String),
            _ => {
                return self.map_type(
                    &PgType::Unknown {
                        name: name.to_owned(),
                    },
                    "",
                    what,
                );
            }
        };
        // Types read into a `String` (or, for json, a `Value`) whose operators are not that
        // type's: `String` has `LIKE`, `Value` containment; these Postgres types do not.
        const MARKED: &[&str] = &[
            "uuid",
            "date",
            "time",
            "timetz",
            "timestamp",
            "timestamptz",
            "interval",
            "inet",
            "cidr",
            "macaddr",
            "macaddr8",
            "money",
            "bit",
            "varbit",
            "tsquery",
            "tsvector",
            "json",
            "xml",
        ];
        let generic = [quote!(String), quote!(serde_json::Value)]
            .iter()
            .any(|t| t.to_string() == tokens.to_string());
        let sql_type = MARKED.iter().find(|m| **m == name && generic).copied();
        Mapped {
            sql_type,
            ..Mapped::known(tokens)
        }
    }
}
