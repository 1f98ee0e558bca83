//! Foreign keys → relation attributes on the table structs:
//!
//! - `belongs_to(Other)` on the table holding the foreign key;
//! - `has_one(Other)` on the referenced table when the FK columns are unique in `Other`
//!   (its primary key or a unique constraint/index), else `has_many(Other)`;
//! - `many_to_many(Other, through = "join")` on both ends of a join table whose primary key is
//!   exactly the columns of two of its foreign keys.
//!
//! `foreign_key = "..."` (what PostgREST accepts after `!`) is added only when several foreign
//! keys connect the same two tables, with the constraint name (the first FK column when the
//! source does not know constraint names). Tables not generated get no relation.
//!
//! `#[derive(Table)]` types one relation per pair of tables, so when a table relates to another
//! in several ways (two foreign keys, or a self reference) one is kept, in this order:
//! `belongs_to`, `has_one`, `has_many`, `many_to_many`, then by constraint or join table name;
//! the others are listed in the struct's docs (embed them through the untyped `select`) and
//! reported as warnings.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::Ctx;
use crate::ir::{ForeignKey, QualifiedName, Table};

type Pair = (QualifiedName, QualifiedName);

fn pair(a: &QualifiedName, b: &QualifiedName) -> Pair {
    if a <= b {
        (a.clone(), b.clone())
    } else {
        (b.clone(), a.clone())
    }
}

fn set(cols: &[String]) -> BTreeSet<&str> {
    cols.iter().map(String::as_str).collect()
}

fn is_unique(t: &Table, cols: &[String]) -> bool {
    let cols = set(cols);
    (!t.primary_key.is_empty() && set(&t.primary_key) == cols)
        || t.unique.iter().any(|u| set(u) == cols)
}

fn hint(fk: &ForeignKey) -> String {
    if fk.name.is_empty() {
        fk.columns.first().cloned().unwrap_or_default()
    } else {
        fk.name.clone()
    }
}

/// The relations of one table.
#[derive(Default)]
pub(crate) struct TableRelations {
    /// Attributes, one per related table.
    pub(crate) attrs: Vec<TokenStream>,
    /// The relations that could not be typed, described for the docs.
    pub(crate) untyped: Vec<String>,
}

struct Candidate {
    target: QualifiedName,
    priority: u8,
    key: String,
    tokens: TokenStream,
    description: String,
}

/// Relations per table, sorted.
pub(crate) fn relations(ctx: &Ctx<'_>) -> HashMap<QualifiedName, TableRelations> {
    let generated: HashSet<&QualifiedName> = ctx.tables.iter().map(|t| &t.name).collect();
    let mut pairs: HashMap<Pair, usize> = HashMap::new();
    for t in &ctx.tables {
        for fk in &t.foreign_keys {
            if generated.contains(&fk.references) {
                *pairs.entry(pair(&t.name, &fk.references)).or_default() += 1;
            }
        }
    }
    // (sort key, attribute) per table.
    // Sorted, so the warnings come in a stable order.
    let mut out: BTreeMap<QualifiedName, Vec<Candidate>> = BTreeMap::new();
    let mut add =
        |on: &QualifiedName, kind: &str, other: &QualifiedName, extra: Option<(&str, String)>| {
            let module = &ctx.modules[&on.schema];
            let Some(path) = ctx.path_to(other, module) else {
                return;
            };
            let kind_ident = syn::Ident::new(kind, proc_macro2::Span::call_site());
            let (extra_tokens, extra_text) = match &extra {
                Some(("through", v)) => (quote!(, through = #v), format!(", through = \"{v}\"")),
                Some((_, v)) => (
                    quote!(, foreign_key = #v),
                    format!(", foreign_key = \"{v}\""),
                ),
                None => (quote!(), String::new()),
            };
            let priority = match kind {
                "belongs_to" => 0,
                "has_one" => 1,
                "has_many" => 2,
                _ => 3,
            };
            out.entry(on.clone()).or_default().push(Candidate {
                target: other.clone(),
                priority,
                key: format!("{extra:?}"),
                tokens: quote!(#[supabase(#kind_ident(#path #extra_tokens))]),
                description: format!("{kind}({}{extra_text})", ctx.names[other]),
            });
        };
    for t in &ctx.tables {
        for fk in &t.foreign_keys {
            let Some(target) = ctx.tables.iter().find(|x| x.name == fk.references) else {
                continue;
            };
            let ambiguous = pairs
                .get(&pair(&t.name, &fk.references))
                .copied()
                .unwrap_or(0)
                > 1;
            let extra = ambiguous.then(|| ("foreign_key", hint(fk)));
            add(&t.name, "belongs_to", &target.name, extra.clone());
            let kind = if is_unique(t, &fk.columns) {
                "has_one"
            } else {
                "has_many"
            };
            add(&target.name, kind, &t.name, extra);
        }
        // A join table: its primary key is exactly the columns of two of its foreign keys.
        if t.primary_key.is_empty() {
            continue;
        }
        let pk = set(&t.primary_key);
        let fks: Vec<&ForeignKey> = t
            .foreign_keys
            .iter()
            .filter(|fk| generated.contains(&fk.references))
            .collect();
        for (i, a) in fks.iter().enumerate() {
            for b in &fks[i + 1..] {
                let (sa, sb) = (set(&a.columns), set(&b.columns));
                if sa.is_disjoint(&sb) && sa.union(&sb).copied().collect::<BTreeSet<_>>() == pk {
                    let through = Some(("through", t.name.name.clone()));
                    add(
                        &a.references,
                        "many_to_many",
                        &b.references,
                        through.clone(),
                    );
                    if a.references != b.references {
                        add(&b.references, "many_to_many", &a.references, through);
                    }
                }
            }
        }
    }
    out.into_iter()
        .map(|(table, mut candidates)| {
            candidates.sort_by(|a, b| {
                (&a.target, a.priority, &a.key).cmp(&(&b.target, b.priority, &b.key))
            });
            let mut rels = TableRelations::default();
            let mut last: Option<QualifiedName> = None;
            for c in candidates {
                if last.as_ref() == Some(&c.target) {
                    ctx.warn(format!(
                        "`{table}`: relation {} not typed (one relation per pair of tables); embed it through the untyped select",
                        c.description
                    ));
                    rels.untyped.push(c.description);
                } else {
                    last = Some(c.target.clone());
                    rels.attrs.push(c.tokens);
                }
            }
            (table, rels)
        })
        .collect()
}
