//! Foreign keys → relation attributes on the table structs:
//!
//! - `belongs_to(Other)` on the table holding the foreign key, `optional` when a column of
//!   the key is nullable (the embedded row may then be missing: `Option<Other>`);
//! - `has_one(Other)` on the referenced table when the key's columns are `Other`'s primary key
//!   or a unique constraint, else `has_many(Other)`;
//! - `many_to_many(Other, through = "join")` on both ends of a join table whose primary key
//!   holds the columns of two of its (not one-to-one) foreign keys.
//!
//! These are PostgREST's relationships (`SchemaCache.hs`: `allM2OandO2ORels`,
//! `addViewM2OAndO2ORels`, `addM2MRels`, `addInverseRels`), computed over every introspected
//! table, and over the table keys views show ([`ViewKey`](crate::ir::ViewKey): a view relates
//! through them as its tables do), generated or not, so a join
//! table left out by `include`/`exclude` still relates its two ends. A relation is emitted
//! only when the embedding the derive will send resolves to exactly it in PostgREST's
//! `findRel` (`Plan.hs`), which [`resolves`] follows: with no hint if that is unambiguous, else
//! with the key's column, else the constraint's name (a join table's name for
//! many-to-many). One that nothing resolves (a self one-to-one or many-to-many, which
//! PostgREST 12 cannot embed, or keys no hint tells apart) is left out, with a warning.
//!
//! When a table has one relation to another, it is unnamed (`Relation<Other>`, embedded with a
//! plain `embed`). When it has several (two foreign keys, or a self reference), each gets a
//! `name`:
//!
//! - `belongs_to`: the FK column without its `_id` suffix (`sender_id` → `sender`);
//! - `has_one` / `has_many`: `<other table>_by_<that name>` (`messages_by_sender`);
//! - `many_to_many`: `<other table>_via_<join table>`;
//!
//! made unique against the table's columns and other relation names with `_2`, `_3`... Tables
//! not generated get no relation, and neither do foreign keys to another schema (PostgREST
//! cannot embed across schemas).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::quote;

use super::Ctx;
use super::names::{self, Fields};
use crate::ir::{ForeignKey, Ir, KeySide, QualifiedName, Table, TableKey, TableKind};

fn set(cols: &[String]) -> BTreeSet<&str> {
    cols.iter().map(String::as_str).collect()
}

/// Whether the foreign key's `columns` make a one-to-one relation, as PostgREST 12 decides
/// (`allM2OandO2ORels`): they are, in the key's order, the columns of the primary key or of a
/// unique *constraint* taken in table order. So `foreign key (a, b)` against `unique (a, b)`
/// on a table declaring `b` before `a` is one-to-many (`relations.rs` embeds one). A unique
/// index that is not a constraint does not count (postgres-meta's `is_one_to_one` agrees),
/// so the IR keeps none.
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

/// A relationship's kind, as PostgREST's `Cardinality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    /// Many-to-one, from the table holding the key.
    M2O,
    /// One-to-many, the reverse of a many-to-one.
    O2M,
    /// One-to-one; `holder` on the side holding the key.
    O2O { holder: bool },
    /// Many-to-many through a join table.
    M2M,
}

/// One of PostgREST's relationships, from `origin` to `target`.
struct Rel<'a> {
    origin: &'a QualifiedName,
    target: &'a QualifiedName,
    card: Card,
    /// The foreign key; for many-to-many, the join table's key to `origin`.
    fk: &'a ForeignKey,
    /// Many-to-many: the join table, and its key to `target`.
    junction: Option<(&'a QualifiedName, &'a ForeignKey)>,
    /// `target` is a view (PostgREST's `relFTableIsView`).
    target_view: bool,
}

impl Rel<'_> {
    fn is_self(&self) -> bool {
        self.origin == self.target
    }

    fn to_one(&self) -> bool {
        matches!(self.card, Card::M2O | Card::O2O { .. })
    }

    /// Whether `origin` is the table holding the key (a many-to-one, or that side of a
    /// one-to-one).
    fn holds_key(&self) -> bool {
        matches!(self.card, Card::M2O | Card::O2O { holder: true })
    }

    /// The (origin, target) column pair of a one-column key (PostgREST's `relColumns`).
    fn single(&self) -> Option<(&str, &str)> {
        let (col, referenced) = match (&self.fk.columns[..], &self.fk.referenced_columns[..]) {
            ([c], [r]) if self.card != Card::M2M => (c.as_str(), r.as_str()),
            _ => return None,
        };
        Some(if self.holds_key() {
            (col, referenced)
        } else {
            (referenced, col)
        })
    }

    /// Whether PostgREST's `findRel` picks this relationship for `origin?select=target!hint(..)`.
    fn matches(&self, target: &str, hint: Option<&str>) -> bool {
        let table = target == self.target.name;
        let fk_col = |h: &str| self.single().is_some_and(|(c, _)| c == h);
        let ref_col = |h: &str| self.single().is_some_and(|(_, c)| c == h);
        let constraint = |h: &str| self.card != Card::M2M && self.fk.name == h;
        let junction = |h: &str| self.junction.is_some_and(|(j, _)| j.name == h);
        // PostgREST 12 embeds a table in itself only through a many-to-one key (the column as
        // target) and its reverse (the table, hinted by the column). A constraint or a column
        // as the target never names a view.
        match (self.is_self(), hint) {
            (true, None) => {
                table && self.card == Card::O2M || fk_col(target) && self.card == Card::M2O
            }
            (true, Some(h)) => table && self.card == Card::O2M && ref_col(h),
            (false, None) => table || !self.target_view && (constraint(target) || fk_col(target)),
            (false, Some(h)) => table && (constraint(h) || fk_col(h) || ref_col(h) || junction(h)),
        }
    }
}

/// A foreign key as PostgREST relates two relations by it: a table's own, or one a view
/// inherits by showing the key's columns of either table (`addViewM2OAndO2ORels`).
struct Key {
    holder: QualifiedName,
    /// Named after the table's constraint; its columns are the holder's and the target's.
    fk: ForeignKey,
    one_to_one: bool,
    holder_view: bool,
    target_view: bool,
}

/// Every foreign key PostgREST relates by: the introspected tables' own, and for each key a
/// view shows, the key from the view (for each choice of its columns when it repeats one), to
/// it, and between two views.
fn keys(ir: &Ir) -> Vec<Key> {
    let is_view = |name: &QualifiedName| {
        ir.table(name)
            .is_some_and(|t| matches!(t.kind, TableKind::View | TableKind::MaterializedView))
    };
    let mut keys = Vec::new();
    for t in &ir.tables {
        for fk in &t.foreign_keys {
            keys.push(Key {
                holder: t.name.clone(),
                fk: fk.clone(),
                one_to_one: is_unique(t, &fk.columns),
                holder_view: is_view(&t.name),
                target_view: is_view(&fk.references),
            });
        }
    }
    type Ends<'a> = Vec<(&'a QualifiedName, Vec<String>)>;
    let mut by_key: BTreeMap<&TableKey, (Ends<'_>, Ends<'_>)> = BTreeMap::new();
    for vk in &ir.view_keys {
        let Some(tk) = &vk.foreign_key else { continue };
        let (holders, targets) = by_key.entry(tk).or_default();
        let ends = match vk.side {
            KeySide::Holder => holders,
            KeySide::Referenced => targets,
            KeySide::PrimaryKey => continue,
        };
        ends.extend(choices(&vk.columns).into_iter().map(|c| (&vk.view, c)));
    }
    for (tk, (holders, targets)) in by_key {
        let table_holder = (&tk.holder, tk.key.columns.clone());
        let table_target = (&tk.key.references, tk.key.referenced_columns.clone());
        let holders =
            std::iter::once((table_holder, false)).chain(holders.into_iter().map(|h| (h, true)));
        for ((holder, columns), holder_view) in holders {
            let targets = std::iter::once((table_target.clone(), false))
                .chain(targets.iter().cloned().map(|t| (t, true)));
            for ((target, referenced), target_view) in targets {
                if !holder_view && !target_view {
                    continue; // the tables' own key
                }
                keys.push(Key {
                    holder: holder.clone(),
                    fk: ForeignKey {
                        name: tk.key.name.clone(),
                        columns: columns.clone(),
                        references: target.clone(),
                        referenced_columns: referenced,
                    },
                    one_to_one: tk.one_to_one,
                    holder_view,
                    target_view,
                });
            }
        }
    }
    keys
}

/// Every way to pick one view column per key column (`sequenceA` in PostgREST).
fn choices(columns: &[Vec<String>]) -> Vec<Vec<String>> {
    columns.iter().fold(vec![Vec::new()], |acc, options| {
        acc.iter()
            .flat_map(|picked| {
                options.iter().map(move |o| {
                    let mut next = picked.clone();
                    next.push(o.clone());
                    next
                })
            })
            .collect()
    })
}

/// Every relationship PostgREST derives from `keys`.
fn postgrest_relations<'a>(ir: &Ir, keys: &'a [Key]) -> Vec<Rel<'a>> {
    let mut rels = Vec::new();
    for k in keys {
        let (forward, reverse) = if k.one_to_one {
            (Card::O2O { holder: true }, Card::O2O { holder: false })
        } else {
            (Card::M2O, Card::O2M)
        };
        for (origin, target, card, target_view) in [
            (&k.holder, &k.fk.references, forward, k.target_view),
            (&k.fk.references, &k.holder, reverse, k.holder_view),
        ] {
            rels.push(Rel {
                origin,
                target,
                card,
                fk: &k.fk,
                junction: None,
                target_view,
            });
        }
    }
    // A join table: two different many-to-one keys whose columns are all in its primary key.
    let mut by_holder: BTreeMap<&QualifiedName, Vec<&Key>> = BTreeMap::new();
    for k in keys.iter().filter(|k| !k.one_to_one) {
        by_holder.entry(&k.holder).or_default().push(k);
    }
    for (holder, m2o) in by_holder {
        let pk = ir.primary_key(holder);
        let pk = set(&pk);
        for a in &m2o {
            for b in &m2o {
                let in_pk =
                    a.fk.columns
                        .iter()
                        .chain(&b.fk.columns)
                        .all(|c| pk.contains(c.as_str()));
                let different =
                    !std::ptr::eq(*a, *b) && (a.fk.name.is_empty() || a.fk.name != b.fk.name);
                if different && in_pk {
                    rels.push(Rel {
                        origin: &a.fk.references,
                        target: &b.fk.references,
                        card: Card::M2M,
                        fk: &a.fk,
                        junction: Some((&a.holder, &b.fk)),
                        target_view: b.target_view,
                    });
                }
            }
        }
    }
    rels
}

/// The hints under which the derive's embedding resolves to `rels[index]` alone among the
/// relationships `from_origin` (the indices of those from its origin), as
/// `write_target` sends it (a to-one self reference with its column as the target), in order
/// of preference: `None` for no hint, then the key's column, then the constraint's name. Empty
/// when nothing resolves to it.
fn resolves(rels: &[Rel<'_>], from_origin: &[usize], index: usize) -> Vec<Option<String>> {
    let rel = &rels[index];
    let options: Vec<Option<&str>> = match (rel.card, rel.junction) {
        (Card::M2M, Some((junction, _))) => vec![Some(junction.name.as_str())],
        _ => {
            let column = match &rel.fk.columns[..] {
                [c] => Some(c.as_str()),
                _ => None,
            };
            let constraint = Some(rel.fk.name.as_str()).filter(|n| !n.is_empty());
            std::iter::once(None)
                .chain([column, constraint].into_iter().flatten().map(Some))
                .collect()
        }
    };
    options
        .into_iter()
        .filter(|hint| {
            let (target, hint) = match hint {
                Some(column) if rel.is_self() && rel.to_one() => (*column, None),
                _ => (rel.target.name.as_str(), *hint),
            };
            let mut found = from_origin.iter().filter(|&&i| {
                let r = &rels[i];
                same_schema(r.origin, r.target) && r.matches(target, hint)
            });
            matches!((found.next(), found.next()), (Some(&i), None) if i == index)
        })
        .map(|hint| hint.map(str::to_owned))
        .collect()
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

/// The stem naming a relation by its constraint: the name without the key holder's table
/// prefix and a `_fkey` suffix (`reviews_checked_by` → `checked_by`).
fn constraint_stem(fk: &ForeignKey, holder: &QualifiedName) -> String {
    let name = fk.name.strip_suffix("_fkey").unwrap_or(&fk.name);
    let name = name
        .strip_prefix(holder.name.as_str())
        .and_then(|n| n.strip_prefix('_'))
        .filter(|n| !n.is_empty())
        .unwrap_or(name);
    names::snake(name)
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
    /// `foreign_key` or `through`.
    key: &'static str,
    /// The hints that resolve to the relation, preferred first (`None`: no hint).
    hints: Vec<Option<String>>,
    /// The name if the relation must be named.
    name: String,
    /// A `belongs_to` whose foreign key has a nullable column: it may have no row.
    optional: bool,
}

/// Relations per table, sorted.
pub(crate) fn relations(ctx: &Ctx<'_>) -> HashMap<QualifiedName, TableRelations> {
    let generated: HashSet<&QualifiedName> = ctx.tables.iter().map(|t| &t.name).collect();
    let keys = keys(ctx.ir);
    let rels = postgrest_relations(ctx.ir, &keys);
    let mut by_origin: HashMap<&QualifiedName, Vec<usize>> = HashMap::new();
    for (index, rel) in rels.iter().enumerate() {
        by_origin.entry(rel.origin).or_default().push(index);
    }
    let mut out: BTreeMap<QualifiedName, Vec<Candidate>> = BTreeMap::new();
    // A join table between a table and itself gives two relationships, one per order.
    let mut left_out = HashSet::new();
    for (index, rel) in rels.iter().enumerate() {
        if !generated.contains(rel.origin)
            || !generated.contains(rel.target)
            || !same_schema(rel.origin, rel.target)
        {
            continue;
        }
        let (kind, priority) = match rel.card {
            Card::M2O | Card::O2O { holder: true } => ("belongs_to", 0),
            Card::O2O { holder: false } => ("has_one", 1),
            Card::O2M => ("has_many", 2),
            Card::M2M => ("many_to_many", 3),
        };
        let hints = resolves(&rels, &by_origin[rel.origin], index);
        if hints.is_empty() {
            let via = match rel.junction {
                Some((junction, _)) => format!("through `{junction}`"),
                None => format!("foreign key ({})", rel.fk.columns.join(", ")),
            };
            let why = if rel.is_self() {
                "PostgREST embeds a table in itself only through a one-column many-to-one key \
                 and its reverse (PGRST200)"
            } else {
                "no hint tells it apart from another relation (PGRST201)"
            };
            let warning = format!(
                "{}: {kind}({}) {via} left out: {why}",
                rel.origin, rel.target.name
            );
            if left_out.insert(warning.clone()) {
                ctx.warn(warning);
            }
            continue;
        }
        // Two constraints on one column: the column resolves neither, so the relation is
        // named after the constraint that does (`reviews_checked_by` → `checked_by`).
        let by_constraint = match (rel.card, &rel.fk.columns[..]) {
            (Card::M2M, _) => false,
            (_, [column]) => !hints.iter().flatten().any(|h| h == column),
            _ => false,
        };
        let stem = if by_constraint {
            let holder = if rel.holds_key() {
                rel.origin
            } else {
                rel.target
            };
            constraint_stem(rel.fk, holder)
        } else {
            stem(rel.fk)
        };
        let name = match rel.junction {
            Some((junction, _)) => format!(
                "{}_via_{}",
                names::snake(&rel.target.name),
                names::snake(&junction.name)
            ),
            // To a view, named as the reverse is: the stem is also that of the table's.
            None if rel.holds_key() && !rel.target_view => stem,
            None => format!("{}_by_{stem}", names::snake(&rel.target.name)),
        };
        let key = if rel.card == Card::M2M {
            "through"
        } else {
            "foreign_key"
        };
        let optional = kind == "belongs_to"
            && ctx.ir.table(rel.origin).is_some_and(|t| {
                t.columns
                    .iter()
                    .any(|c| c.nullable && rel.fk.columns.contains(&c.name))
            });
        out.entry(rel.origin.clone()).or_default().push(Candidate {
            target: rel.target.clone(),
            priority,
            kind,
            key,
            hints,
            name,
            optional,
        });
    }
    out.into_iter()
        .map(|(table, mut candidates)| {
            candidates.sort_by(|a, b| {
                (&a.target, a.priority, &a.hints, &a.name)
                    .cmp(&(&b.target, b.priority, &b.hints, &b.name))
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
                // A named relation (one of several to its target) says which key it is, even
                // when PostgREST would need no hint.
                let several = per_target[&c.target] > 1;
                let hint = match several {
                    true => c.hints.iter().flatten().next(),
                    false => c.hints[0].as_ref(),
                };
                let extra = hint.map(|value| {
                    let key = syn::Ident::new(c.key, proc_macro2::Span::call_site());
                    quote!(, #key = #value)
                });
                let name = several.then(|| {
                    let base = if names::is_keyword(&c.name) {
                        format!("{}_rel", c.name)
                    } else {
                        c.name.clone()
                    };
                    let (ident, _) = taken.alloc(&base);
                    quote!(, name = #ident)
                });
                let optional = c.optional.then(|| quote!(, optional));
                rels.attrs
                    .push(quote!(#[supabase(#kind(#path #extra #optional #name))]));
            }
            (table, rels)
        })
        .collect()
}
