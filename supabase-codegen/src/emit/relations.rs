//! Foreign keys → relation attributes on the table structs:
//!
//! - `belongs_to(Other)` on the table holding the foreign key;
//! - `has_one(Other)` on the referenced table when the FK columns are unique in `Other`
//!   (its primary key or a unique constraint/index), else `has_many(Other)`;
//! - `many_to_many(Other, through = "join")` on both ends of a join table whose primary key is
//!   exactly the columns of two of its foreign keys.
//!
//! Every foreign key is typed. When a table relates to another in one way, the relation is
//! unnamed (`Relation<Other>`, embedded with a plain `embed`). When it relates to the same
//! table in several ways (two foreign keys, or a self reference), each of those relations gets a
//! `name` and a `foreign_key` hint:
//!
//! - `belongs_to`: the FK column without its `_id` suffix (`sender_id` → `sender`);
//! - `has_one` / `has_many`: `<other table>_by_<that name>` (`messages_by_sender`);
//! - `many_to_many`: `<other table>_via_<join table>`;
//!
//! made unique against the table's columns and other relation names with `_2`, `_3`... The
//! hint is the FK column for a one-column key (what PostgREST needs for a self reference), else
//! the constraint name. Tables not generated get no relation, and neither do foreign keys to
//! another schema (PostgREST cannot embed across schemas).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::Ctx;
use super::names::{self, Fields};
use crate::ir::{ForeignKey, QualifiedName, Table};

fn set(cols: &[String]) -> BTreeSet<&str> {
    cols.iter().map(String::as_str).collect()
}

/// Whether the foreign key's `columns` make a one-to-one relation, as PostgREST decides
/// (`SchemaCache.hs`, `allM2OandO2ORels`): they are, in the key's order, the columns of the
/// primary key or of a unique *constraint* taken in table order. A unique index that is not a
/// constraint does not count (postgres-meta's `is_one_to_one` agrees), so codegen keeps none.
fn is_unique(t: &Table, columns: &[String]) -> bool {
    let position = |c: &String| t.columns.iter().position(|col| &col.name == c);
    std::iter::once(&t.primary_key)
        .chain(&t.unique)
        .filter(|key| !key.is_empty())
        .any(|key| {
            let mut key: Vec<&String> = key.iter().collect();
            key.sort_by_key(|c| position(c));
            key.iter().copied().eq(columns.iter())
        })
}

/// PostgREST's hint for `fk`: its column for a one-column key (PostgREST 12 resolves a self
/// reference only that way), else the constraint name.
fn hint(fk: &ForeignKey) -> String {
    match fk.columns.as_slice() {
        [column] => column.clone(),
        _ if !fk.name.is_empty() => fk.name.clone(),
        columns => columns.first().cloned().unwrap_or_default(),
    }
}

/// PostgREST embeds only within the request's schema (its relationship cache is keyed by the
/// table and the schema of the other end), so a foreign key to another schema is no relation:
/// an embed through it compiles, then fails with PGRST200. Such keys (and join tables across
/// schemas) are skipped.
fn same_schema(a: &QualifiedName, b: &QualifiedName) -> bool {
    a.schema == b.schema
}

/// The stem naming a relation through `fk`: `sender_id` → `sender`.
fn stem(fk: &ForeignKey) -> String {
    let joined = fk.columns.join("_");
    let stem = joined
        .strip_suffix("_id")
        .or_else(|| joined.strip_suffix("_fk"))
        .filter(|s| !s.is_empty())
        .unwrap_or(&joined);
    names::snake(stem)
}

/// The relations of one table.
#[derive(Default)]
pub(crate) struct TableRelations {
    /// Attributes, one per relation.
    pub(crate) attrs: Vec<TokenStream>,
}

struct Candidate {
    target: QualifiedName,
    priority: u8,
    kind: &'static str,
    /// `foreign_key` or `through`, and its value.
    extra: (&'static str, String),
    /// The name if the relation must be named.
    name: String,
}

/// Relations per table, sorted.
pub(crate) fn relations(ctx: &Ctx<'_>) -> HashMap<QualifiedName, TableRelations> {
    let generated: HashSet<&QualifiedName> = ctx.tables.iter().map(|t| &t.name).collect();
    let mut out: BTreeMap<QualifiedName, Vec<Candidate>> = BTreeMap::new();
    let mut add = |on: &QualifiedName, kind: &'static str, other: &QualifiedName, extra, name| {
        let priority = match kind {
            "belongs_to" => 0,
            "has_one" => 1,
            "has_many" => 2,
            _ => 3,
        };
        out.entry(on.clone()).or_default().push(Candidate {
            target: other.clone(),
            priority,
            kind,
            extra,
            name,
        });
    };
    for t in &ctx.tables {
        for fk in &t.foreign_keys {
            let Some(target) = ctx.tables.iter().find(|x| x.name == fk.references) else {
                continue;
            };
            if !same_schema(&t.name, &target.name) {
                continue;
            }
            let stem = stem(fk);
            add(
                &t.name,
                "belongs_to",
                &target.name,
                ("foreign_key", hint(fk)),
                stem.clone(),
            );
            let kind = if is_unique(t, &fk.columns) {
                "has_one"
            } else {
                "has_many"
            };
            add(
                &target.name,
                kind,
                &t.name,
                ("foreign_key", hint(fk)),
                format!("{}_by_{stem}", names::snake(&t.name.name)),
            );
        }
        // A join table: its primary key is exactly the columns of two of its foreign keys.
        if t.primary_key.is_empty() {
            continue;
        }
        let pk = set(&t.primary_key);
        let fks: Vec<&ForeignKey> = t
            .foreign_keys
            .iter()
            .filter(|fk| generated.contains(&fk.references) && same_schema(&t.name, &fk.references))
            .collect();
        for (i, a) in fks.iter().enumerate() {
            for b in &fks[i + 1..] {
                let (sa, sb) = (set(&a.columns), set(&b.columns));
                if sa.is_disjoint(&sb) && sa.union(&sb).copied().collect::<BTreeSet<_>>() == pk {
                    let through = ("through", t.name.name.clone());
                    let via = names::snake(&t.name.name);
                    add(
                        &a.references,
                        "many_to_many",
                        &b.references,
                        through.clone(),
                        format!("{}_via_{via}", names::snake(&b.references.name)),
                    );
                    if a.references != b.references {
                        add(
                            &b.references,
                            "many_to_many",
                            &a.references,
                            through,
                            format!("{}_via_{via}", names::snake(&a.references.name)),
                        );
                    }
                }
            }
        }
    }
    out.into_iter()
        .map(|(table, mut candidates)| {
            candidates.sort_by(|a, b| {
                (&a.target, a.priority, &a.extra, &a.name)
                    .cmp(&(&b.target, b.priority, &b.extra, &b.name))
            });
            let module = &ctx.modules[&table.schema];
            // Relation names share the column module with the columns' field names.
            let mut taken = Fields::default();
            if let Some(t) = ctx.tables.iter().find(|t| t.name == table) {
                for c in &t.columns {
                    taken.alloc(&c.name);
                }
            }
            let mut per_target: HashMap<&QualifiedName, usize> = HashMap::new();
            for c in &candidates {
                *per_target.entry(&c.target).or_default() += 1;
            }
            let mut rels = TableRelations::default();
            for c in &candidates {
                let Some(path) = ctx.path_to(&c.target, module) else {
                    continue;
                };
                let kind = syn::Ident::new(c.kind, proc_macro2::Span::call_site());
                let several = per_target[&c.target] > 1;
                let extra = match (c.extra.0, several) {
                    ("through", _) => {
                        let v = &c.extra.1;
                        quote!(, through = #v)
                    }
                    (_, true) => {
                        let v = &c.extra.1;
                        quote!(, foreign_key = #v)
                    }
                    _ => quote!(),
                };
                let name = several.then(|| {
                    let base = if names::is_keyword(&c.name) {
                        format!("{}_rel", c.name)
                    } else {
                        c.name.clone()
                    };
                    let (ident, _) = taken.alloc(&base);
                    quote!(, name = #ident)
                });
                rels.attrs
                    .push(quote!(#[supabase(#kind(#path #extra #name))]));
            }
            (table, rels)
        })
        .collect()
}
