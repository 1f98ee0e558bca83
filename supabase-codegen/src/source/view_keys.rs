//! Which table keys a view shows ([`ViewKey`]), from which PostgREST gives views relationships.
//!
//! PostgREST (`SchemaCache.hs`, `allViewsKeyDependencies`) reads each view's stored rule
//! (`pg_rewrite.ev_action`, a `pg_node_tree`): every entry of the top query's target list
//! records the table column it is a plain reference to (`resorigtbl`, `resorigcol`; zero for an
//! expression). It follows views over views, and keeps the primary and foreign keys whose
//! columns the view shows. This module does the same in Rust: [`target_list`] reads the rule's
//! text, [`view_keys`] follows the references and matches the keys.
//!
//! A key of which the view shows only some columns is left out, as PostgREST 12 leaves it out.
//! A rule this parser cannot read (it reads what Postgres 15 writes) gives its view no
//! relationship rather than failing the whole introspection.

use std::collections::{BTreeSet, HashMap};

use tokio_postgres::Client;

use crate::error::Result;
use crate::ir::{ForeignKey, KeySide, QualifiedName, TableKey, ViewKey};

/// An entry of a view's target list: its column number and the table column it shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Target {
    /// `resno`: the view's column number.
    pub(crate) column: i16,
    /// `resorigtbl`, `resorigcol`: the table (or view) and column it is a plain reference to.
    pub(crate) origin: Option<(u32, i16)>,
}

/// A token of the `pg_node_tree` text form: `{`, `}`, `(`, `)`, or an atom with its
/// backslash escapes (`we\ ird`) removed.
#[derive(Debug, PartialEq)]
enum Token {
    Open(char),
    Close(char),
    Atom(String),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    let mut atom: Option<String> = None;
    while let Some(c) = chars.next() {
        match c {
            '\\' => atom.get_or_insert_default().extend(chars.next()),
            '{' | '(' | '}' | ')' | ' ' | '\n' | '\t' => {
                out.extend(atom.take().map(Token::Atom));
                match c {
                    '{' | '(' => out.push(Token::Open(c)),
                    '}' | ')' => out.push(Token::Close(c)),
                    _ => {}
                }
            }
            _ => atom.get_or_insert_default().push(c),
        }
    }
    out.extend(atom.map(Token::Atom));
    out
}

/// A parsed item: an atom, a list `( ... )`, or a node `{NAME :field value ...}`.
#[derive(Debug)]
enum Item {
    Atom(String),
    List(Vec<Item>),
    Node {
        name: String,
        fields: Vec<(String, Item)>,
    },
}

impl Item {
    fn field(&self, key: &str) -> Option<&Item> {
        match self {
            Item::Node { fields, .. } => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Option<T> {
        match self.field(key)? {
            Item::Atom(a) => a.parse().ok(),
            _ => None,
        }
    }
}

/// The fields [`target_list`] reads; every other value is skipped.
const KEPT: [&str; 5] = ["targetList", "resno", "resorigtbl", "resorigcol", "resjunk"];

struct Parser {
    tokens: std::vec::IntoIter<Token>,
}

impl Parser {
    fn item(&mut self) -> std::result::Result<Item, String> {
        match self.tokens.next() {
            Some(Token::Atom(a)) => Ok(Item::Atom(a)),
            Some(Token::Open('(')) => {
                let mut items = Vec::new();
                loop {
                    match self.peek_close() {
                        Some(')') => break Ok(Item::List(items)),
                        Some(other) => break Err(format!("`{other}` closes a list")),
                        None => items.push(self.item()?),
                    }
                }
            }
            Some(Token::Open(_)) => {
                let Some(Token::Atom(name)) = self.tokens.next() else {
                    return Err("a node without a name".into());
                };
                let mut fields = Vec::new();
                loop {
                    match self.peek_close() {
                        Some('}') => break Ok(Item::Node { name, fields }),
                        Some(other) => break Err(format!("`{other}` closes a node")),
                        None => {}
                    }
                    let Some(Token::Atom(key)) = self.tokens.next() else {
                        return Err(format!("a field of {name} without a name"));
                    };
                    let Some(key) = key.strip_prefix(':') else {
                        return Err(format!("`{key}` in {name} where a field was expected"));
                    };
                    // Every field has one value, but a datum (`:constvalue 4 [ 1 0 0 0 ]`),
                    // whose bytes follow in brackets. Only the fields read are built; the others
                    // (expressions, range tables: as deep as the view's SQL) are skipped without
                    // recursion, so the depth of this parser's recursion stays at four.
                    let value = if KEPT.contains(&key) {
                        Some(self.item()?)
                    } else {
                        self.skip()?;
                        None
                    };
                    if matches!(self.tokens.as_slice().first(), Some(Token::Atom(a)) if a == "[") {
                        for t in self.tokens.by_ref() {
                            if matches!(&t, Token::Atom(a) if a == "]") {
                                break;
                            }
                        }
                    }
                    fields.extend(value.map(|value| (key.to_owned(), value)));
                }
            }
            Some(Token::Close(c)) => Err(format!("unexpected `{c}`")),
            None => Err("the text ends early".into()),
        }
    }

    /// Skips one value, however deeply nested, counting brackets.
    fn skip(&mut self) -> std::result::Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.tokens.next() {
                Some(Token::Open(_)) => depth += 1,
                Some(Token::Close(c)) if depth == 0 => return Err(format!("unexpected `{c}`")),
                Some(Token::Close(_)) => depth -= 1,
                Some(Token::Atom(_)) => {}
                None => return Err("the text ends early".into()),
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Consumes a closing bracket if one is next, and returns it.
    fn peek_close(&mut self) -> Option<char> {
        match self.tokens.as_slice().first() {
            Some(Token::Close(c)) => {
                let c = *c;
                self.tokens.next();
                Some(c)
            }
            _ => None,
        }
    }
}

/// The target list of a view's rule (`pg_rewrite.ev_action::text`): its top query's entries,
/// junk entries left out.
pub(crate) fn target_list(rule: &str) -> std::result::Result<Vec<Target>, String> {
    let mut parser = Parser {
        tokens: tokens(rule).into_iter(),
    };
    let top = parser.item()?;
    let query = match &top {
        Item::List(items) => items.first(),
        _ => None,
    };
    let Some(query @ Item::Node { name, .. }) = query else {
        return Err("the rule holds no query".into());
    };
    if name != "QUERY" {
        return Err(format!("the rule holds a {name}, not a QUERY"));
    }
    let entries = match query.field("targetList") {
        Some(Item::List(entries)) => entries.as_slice(),
        // `<>`: no columns.
        _ => &[],
    };
    let mut out = Vec::new();
    for entry in entries {
        if matches!(entry.field("resjunk"), Some(Item::Atom(a)) if a == "true") {
            continue;
        }
        let column = entry
            .number("resno")
            .ok_or("a target entry without `resno`")?;
        let table: u32 = entry.number("resorigtbl").unwrap_or(0);
        let origin_column: i16 = entry.number("resorigcol").unwrap_or(0);
        out.push(Target {
            column,
            origin: (table != 0 && origin_column > 0).then_some((table, origin_column)),
        });
    }
    Ok(out)
}

/// A view as [`view_keys`] needs it.
#[derive(Clone)]
pub(crate) struct View {
    pub(crate) oid: u32,
    pub(crate) name: QualifiedName,
    /// Column numbers and names.
    pub(crate) columns: HashMap<i16, String>,
    pub(crate) targets: Vec<Target>,
}

/// A primary or foreign key of any table.
pub(crate) struct Constraint {
    pub(crate) name: String,
    /// The table holding it, and its columns.
    pub(crate) holder: KeyColumns,
    /// For a foreign key: the referenced table and columns, and whether it is one-to-one;
    /// `None` for a primary key.
    pub(crate) referenced: Option<(KeyColumns, bool)>,
}

impl Constraint {
    /// A foreign key as [`TableKey`]; `None` for a primary key.
    fn table_key(&self) -> Option<TableKey> {
        let names = |side: &KeyColumns| side.columns.iter().map(|(_, n)| n.clone()).collect();
        self.referenced.as_ref().map(|(referenced, one)| TableKey {
            holder: self.holder.table.clone(),
            key: ForeignKey {
                name: self.name.clone(),
                columns: names(&self.holder),
                references: referenced.table.clone(),
                referenced_columns: names(referenced),
            },
            one_to_one: *one,
        })
    }
}

/// One side of a key: the table's oid and name, and the key's column numbers and names, in
/// key order.
pub(crate) struct KeyColumns {
    pub(crate) oid: u32,
    pub(crate) table: QualifiedName,
    pub(crate) columns: Vec<(i16, String)>,
}

/// The columns `target` is a plain reference to, nearest first: a column of a view over a
/// view refers to the inner view's column, which may refer to a table's (a cycle stops).
fn origins<'a>(
    by_oid: &'a HashMap<u32, &'a View>,
    target: &Target,
) -> impl Iterator<Item = (u32, i16)> + 'a {
    let mut seen = BTreeSet::new();
    std::iter::successors(target.origin, move |o| {
        by_oid
            .get(&o.0)
            .and_then(|inner| inner.targets.iter().find(|t| t.column == o.1)?.origin)
    })
    .take_while(move |o| seen.insert(*o))
}

/// A column by its relation's oid and its number.
pub(crate) type ColumnRef = (u32, i16);

/// The column each view column finally shows: (view oid, column number) → (table oid, column
/// number), through views over views. Columns that are expressions are left out.
pub(crate) fn column_origins(views: &[View]) -> HashMap<ColumnRef, ColumnRef> {
    let by_oid: HashMap<u32, &View> = views.iter().map(|v| (v.oid, v)).collect();
    views
        .iter()
        .flat_map(|view| {
            let by_oid = &by_oid;
            view.targets.iter().filter_map(move |target| {
                let last = origins(by_oid, target).last()?;
                Some(((view.oid, target.column), last))
            })
        })
        .collect()
}

/// The keys each view shows: every column of the key, each through a plain reference (views
/// over views followed; a cycle stops).
pub(crate) fn view_keys(views: &[View], constraints: &[Constraint]) -> Vec<ViewKey> {
    let by_oid: HashMap<u32, &View> = views.iter().map(|v| (v.oid, v)).collect();
    let mut out = Vec::new();
    for view in views {
        // (table, column) → the view's columns showing it.
        let mut shows: HashMap<(u32, i16), Vec<&str>> = HashMap::new();
        for target in &view.targets {
            let Some(name) = view.columns.get(&target.column) else {
                continue;
            };
            for o in origins(&by_oid, target) {
                shows.entry(o).or_default().push(name);
            }
        }
        let shown = |table: u32, columns: &[(i16, String)]| -> Option<Vec<Vec<String>>> {
            columns
                .iter()
                .map(|(num, _)| {
                    let names = shows.get(&(table, *num))?;
                    Some(names.iter().map(|n| (*n).to_owned()).collect())
                })
                .collect()
        };
        for c in constraints {
            let holder_side = if c.referenced.is_none() {
                KeySide::PrimaryKey
            } else {
                KeySide::Holder
            };
            let sides = std::iter::once((holder_side, &c.holder))
                .chain(c.referenced.iter().map(|(r, _)| (KeySide::Referenced, r)));
            for (side, key) in sides {
                if let Some(columns) = shown(key.oid, &key.columns) {
                    out.push(ViewKey {
                        view: view.name.clone(),
                        side,
                        constraint: c.name.clone(),
                        columns,
                        foreign_key: c.table_key(),
                    });
                }
            }
        }
    }
    out
}

/// The views and materialized views of every schema but Postgres's own, with their rules'
/// target lists: a view of `schemas` may be built on a view elsewhere (an `api` view over a
/// `private` one), through which its columns are followed.
pub(crate) async fn load_views(client: &Client, schemas: &[String]) -> Result<Vec<View>> {
    let rows = super::postgres::query(
        client,
        "view rules",
        "select c.oid, n.nspname::text, c.relname::text, r.ev_action::text,
                array(select a.attnum from pg_attribute a
                      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                      order by a.attnum),
                array(select a.attname::text from pg_attribute a
                      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                      order by a.attnum)
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_rewrite r on r.ev_class = c.oid and r.rulename = '_RETURN'
         where c.relkind in ('v', 'm')
           and n.nspname not in ('pg_catalog', 'information_schema')
           and $1::text[] is not null",
        schemas,
    )
    .await?;
    let mut views = Vec::new();
    for r in &rows {
        let name = QualifiedName::new(r.get::<_, String>(1), r.get::<_, String>(2));
        let rule: String = r.get(3);
        // A rule this parser cannot read gives the view no relationship, not an error.
        let Ok(targets) = target_list(&rule) else {
            continue;
        };
        let numbers: Vec<i16> = r.get(4);
        let names: Vec<String> = r.get(5);
        views.push(View {
            oid: r.get(0),
            name,
            columns: numbers.into_iter().zip(names).collect(),
            targets,
        });
    }
    Ok(views)
}

/// Reads the keys of every table and returns the keys the views of `schemas` show.
pub(crate) async fn introspect(
    client: &Client,
    schemas: &[String],
    views: &[View],
) -> Result<Vec<ViewKey>> {
    if views.is_empty() {
        return Ok(Vec::new());
    }
    // One-to-one as PostgREST 12 decides it (see `emit::relations::is_unique`): the key's
    // columns in key order are a primary key's or unique constraint's in table order.
    let rows = super::postgres::query(
        client,
        "table keys",
        "select con.conname::text, con.contype::text,
                con.conrelid, n.nspname::text, c.relname::text,
                con.conkey,
                array(select a.attname::text from unnest(con.conkey) with ordinality k(num, ord)
                      join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num
                      order by k.ord),
                con.confrelid, fn.nspname::text, fc.relname::text,
                coalesce(con.confkey, '{}'),
                array(select a.attname::text from unnest(con.confkey) with ordinality k(num, ord)
                      join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num
                      order by k.ord),
                con.contype = 'f' and exists (
                  select 1 from pg_constraint u
                  where u.conrelid = con.conrelid and u.contype in ('p', 'u')
                    and array(select x from unnest(u.conkey) x order by x) = con.conkey)
         from pg_constraint con
         join pg_class c on c.oid = con.conrelid
         join pg_namespace n on n.oid = c.relnamespace
         left join pg_class fc on fc.oid = con.confrelid
         left join pg_namespace fn on fn.oid = fc.relnamespace
         where con.contype in ('p', 'f') and con.conparentid = 0
           and n.nspname not in ('pg_catalog', 'information_schema')
           and $1::text[] is not null
         order by con.conrelid, con.conname",
        schemas,
    )
    .await?;
    let constraints = rows
        .iter()
        .map(|r| {
            let columns = |nums: usize, names: usize| -> Vec<(i16, String)> {
                r.get::<_, Vec<i16>>(nums)
                    .into_iter()
                    .zip(r.get::<_, Vec<String>>(names))
                    .collect()
            };
            let foreign = r.get::<_, String>(1) == "f";
            let side = |oid: usize, schema: usize, nums: usize| KeyColumns {
                oid: r.get(oid),
                table: QualifiedName::new(
                    r.get::<_, String>(schema),
                    r.get::<_, String>(schema + 1),
                ),
                columns: columns(nums, nums + 1),
            };
            Constraint {
                name: r.get(0),
                holder: side(2, 3, 5),
                referenced: foreign.then(|| (side(7, 8, 10), r.get(12))),
            }
        })
        .collect::<Vec<_>>();
    // PostgREST follows keys through the views of its schemas and of `db-extra-search-path`
    // only (`SchemaCache.hs`, `allViewsKeyDependencies`: `n.nspname = ANY($1 || $2)`): a
    // view over a view elsewhere shows no key, though its columns are still followed to
    // tell generated columns and array dimensions (`column_origins`).
    let followed: Vec<View> = views
        .iter()
        .filter(|v| {
            schemas.contains(&v.name.schema) || EXTRA_SEARCH_PATH.contains(&v.name.schema.as_str())
        })
        .cloned()
        .collect();
    let mut keys = view_keys(&followed, &constraints);
    keys.retain(|k| schemas.contains(&k.view.schema));
    Ok(keys)
}

/// Supabase's `db-extra-search-path` for PostgREST (also the local stack's).
const EXTRA_SEARCH_PATH: [&str; 2] = ["public", "extensions"];

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule as Postgres 15 prints it (shortened): a column, a column with an escaped name
    /// shown twice, a constant (with its datum's bytes), a junk entry.
    const RULE: &str = r#"({QUERY :commandType 1 :utilityStmt <> :rtable ({RANGETBLENTRY :eref {ALIAS :aliasname old :colnames ("id" "we\ ird")} :relid 16733} {RANGETBLENTRY :relid 16726}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 3}) :quals <>} :targetList ({TARGETENTRY :expr {VAR :varno 3 :varattno 1 :location 43} :resno 1 :resname id :ressortgroupref 0 :resorigtbl 16726 :resorigcol 1 :resjunk false} {TARGETENTRY :expr {VAR :varno 3 :varattno 2} :resno 2 :resname we\ ird :resorigtbl 16726 :resorigcol 2 :resjunk false} {TARGETENTRY :expr {CONST :consttype 25 :constisnull false :location 68 :constvalue 7 [ 28 0 0 0 120 32 121 ]} :resno 3 :resname c :resorigtbl 0 :resorigcol 0 :resjunk false} {TARGETENTRY :expr {SUBLINK :subselect {QUERY :targetList ({TARGETENTRY :resno 1 :resorigtbl 99 :resorigcol 1 :resjunk false})}} :resno 4 :resname sub :resorigtbl 0 :resorigcol 0 :resjunk false} {TARGETENTRY :expr <> :resno 5 :resname \:junk :resorigtbl 16726 :resorigcol 1 :resjunk true}) :override 0})"#;

    #[test]
    fn reads_the_top_target_list() {
        let targets = target_list(RULE).expect("parses");
        assert_eq!(
            targets,
            [
                Target {
                    column: 1,
                    origin: Some((16726, 1))
                },
                Target {
                    column: 2,
                    origin: Some((16726, 2))
                },
                Target {
                    column: 3,
                    origin: None
                },
                Target {
                    column: 4,
                    origin: None
                },
            ]
        );
    }

    /// An expression nested far deeper than the parser could recurse (`a + (a + (...))`).
    #[test]
    fn deep_expressions_are_skipped_without_recursion() {
        let depth = 200_000;
        let expr = format!(
            "{}{{CONST :constvalue <>}}{}",
            "{OPEXPR :args (".repeat(depth),
            ")}".repeat(depth)
        );
        let rule = format!(
            "({{QUERY :targetList ({{TARGETENTRY :expr {expr} :resno 1 :resorigtbl 7 :resorigcol 2 :resjunk false}})}})"
        );
        let targets = target_list(&rule).expect("parses");
        assert_eq!(
            targets,
            [Target {
                column: 1,
                origin: Some((7, 2))
            }]
        );
    }

    #[test]
    fn malformed_rules_are_errors() {
        for bad in [
            "",
            "({QUERY :targetList (",
            "({QUERY :x 1)",
            "(1 2)",
            "({INSERT})",
            "}",
        ] {
            assert!(target_list(bad).is_err(), "{bad}");
        }
        assert_eq!(target_list("({QUERY :targetList <>})"), Ok(vec![]));
    }

    fn view(oid: u32, name: &str, columns: &[(&str, Option<(u32, i16)>)]) -> View {
        View {
            oid,
            name: QualifiedName::new("public", name),
            columns: (1..)
                .zip(columns.iter().map(|(n, _)| (*n).to_owned()))
                .collect(),
            targets: (1..)
                .zip(columns)
                .map(|(column, (_, origin))| Target {
                    column,
                    origin: *origin,
                })
                .collect(),
        }
    }

    /// posts(id, author_id, editor_id) → authors(id); a view over posts showing `author_id`
    /// twice, a view over that view, and a view showing only part of a two-column key.
    #[test]
    fn keys_through_views_over_views() {
        const POSTS: u32 = 1;
        const AUTHORS: u32 = 2;
        let q = |n: &str| QualifiedName::new("public", n);
        let side = |oid: u32, table: &str, columns: &[(i16, &str)]| KeyColumns {
            oid,
            table: q(table),
            columns: columns.iter().map(|(n, c)| (*n, (*c).to_owned())).collect(),
        };
        let constraints = vec![
            Constraint {
                name: "posts_pkey".into(),
                holder: side(POSTS, "posts", &[(1, "id")]),
                referenced: None,
            },
            Constraint {
                name: "posts_author_id_fkey".into(),
                holder: side(POSTS, "posts", &[(2, "author_id")]),
                referenced: Some((side(AUTHORS, "authors", &[(1, "id")]), false)),
            },
            Constraint {
                name: "posts_pair_fkey".into(),
                holder: side(POSTS, "posts", &[(2, "author_id"), (3, "editor_id")]),
                referenced: Some((side(AUTHORS, "authors", &[(1, "id"), (2, "id2")]), false)),
            },
        ];
        let views = vec![
            view(
                10,
                "post_view",
                &[
                    ("pid", Some((POSTS, 1))),
                    ("writer", Some((POSTS, 2))),
                    ("writer_again", Some((POSTS, 2))),
                    ("shout", None),
                ],
            ),
            view(11, "post_view_view", &[("w", Some((10, 2)))]),
            view(12, "cyclic", &[("x", Some((12, 1)))]),
        ];
        let keys = view_keys(&views, &constraints);
        let summary: Vec<(String, KeySide, String, Vec<Vec<String>>)> = keys
            .iter()
            .map(|k| {
                (
                    k.view.name.clone(),
                    k.side,
                    k.constraint.clone(),
                    k.columns.clone(),
                )
            })
            .collect();
        let s = |v: &[&str]| v.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            summary,
            [
                (
                    "post_view".to_owned(),
                    KeySide::PrimaryKey,
                    "posts_pkey".to_owned(),
                    vec![s(&["pid"])]
                ),
                (
                    "post_view".to_owned(),
                    KeySide::Holder,
                    "posts_author_id_fkey".to_owned(),
                    vec![s(&["writer", "writer_again"])]
                ),
                (
                    "post_view_view".to_owned(),
                    KeySide::Holder,
                    "posts_author_id_fkey".to_owned(),
                    vec![s(&["w"])]
                ),
            ]
        );
        let fk = keys[1].foreign_key.as_ref().expect("the table key");
        assert_eq!(fk.holder, q("posts"));
        assert_eq!(fk.key.references, q("authors"));
        assert_eq!(fk.key.referenced_columns, ["id"]);

        // The column each view column finally shows: through the inner view to the table;
        // none for an expression; a cycle ends where it repeats.
        let mut origins: Vec<_> = column_origins(&views).into_iter().collect();
        origins.sort_unstable();
        assert_eq!(
            origins,
            [
                ((10, 1), (POSTS, 1)),
                ((10, 2), (POSTS, 2)),
                ((10, 3), (POSTS, 2)),
                ((11, 1), (POSTS, 2)),
                ((12, 1), (12, 1)),
            ]
        );
    }
}
