//! Introspection of `pg_catalog` with tokio-postgres: the complete source.
//!
//! One query per kind of object (relations, columns, constraints, types,
//! enums, composites, functions, views' rules and every table's keys), whatever the number of
//! tables, so a 1,000-table schema costs the same ten round trips as a small one.

use std::collections::HashMap;

use tokio_postgres::{Client, Row};

use super::view_keys::ColumnRef;
use crate::error::{Error, Result, redact_db_url};
use crate::ir::*;

/// Connects to `db_url` and introspects `schemas`.
///
/// TLS follows libpq's `sslmode` in the URL (see [`tls`](super::tls)): `prefer` (the default)
/// encrypts when the server offers it, `require` always, `verify-ca` / `verify-full` also check
/// the certificate against `sslrootcert` or the system's roots.
pub async fn introspect(db_url: &str, schemas: &[String]) -> Result<Ir> {
    let (client, task) = open(db_url).await?;
    let result = introspect_client(&client, schemas).await;
    drop(client);
    let _ = task.await;
    result
}

/// Connects to `db_url` exactly as [`introspect`] does (`sslmode` / `sslrootcert`, connect
/// timeout, `application_name`), for callers that run their own queries before or instead of
/// [`introspect_client`]. The connection runs on a task of the current runtime and closes when
/// the client is dropped.
pub async fn connect(db_url: &str) -> Result<Client> {
    let (client, _task) = open(db_url).await?;
    Ok(client)
}

async fn open(db_url: &str) -> Result<(Client, tokio::task::JoinHandle<()>)> {
    let bad_url = |message: String| Error::DbUrl {
        url: redact_db_url(db_url),
        message,
    };
    let target = super::tls::parse(db_url).map_err(bad_url)?;
    let tls = super::tls::client_config(&target).map_err(bad_url)?;
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
    let mut config: tokio_postgres::Config =
        target
            .url
            .parse()
            .map_err(|e: tokio_postgres::Error| Error::DbUrl {
                url: redact_db_url(db_url),
                message: e.to_string(),
            })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.application_name("supabase-codegen");
    let (client, connection) = config.connect(tls).await.map_err(|e| Error::Connect {
        url: redact_db_url(db_url),
        message: error_chain(&e),
    })?;
    let task = tokio::spawn(async move {
        // Errors surface through the queries.
        let _ = connection.await;
    });
    Ok((client, task))
}

/// The driver's message with its causes (`db error: FATAL: password authentication failed ...`).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

pub(crate) async fn query(
    client: &Client,
    what: &'static str,
    sql: &str,
    schemas: &[String],
) -> Result<Vec<Row>> {
    query_with(client, what, sql, &[&schemas]).await
}

/// [`query`] with other parameters.
async fn query_with(
    client: &Client,
    what: &'static str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<Row>> {
    client.query(sql, params).await.map_err(|e| Error::Query {
        what,
        message: error_chain(&e),
    })
}

/// Introspects `schemas` through an open connection.
pub async fn introspect_client(client: &Client, schemas: &[String]) -> Result<Ir> {
    let existing: Vec<String> = query(
        client,
        "schemas",
        "select nspname::text from pg_namespace where $1::text[] is not null order by 1",
        schemas,
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    for s in schemas {
        if !existing.contains(s) {
            return Err(Error::MissingSchema {
                schema: s.clone(),
                existing: existing
                    .iter()
                    .filter(|s| !s.starts_with("pg_") && *s != "information_schema")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }

    let types = Types::load(client, schemas).await?;
    let mut ir = Ir::new(SourceKind::Postgres);
    ir.schemas = schemas.to_vec();

    // Relations: tables, partitioned tables, views, materialized views, foreign tables.
    // pg_relation_is_updatable's bits: 4 UPDATE, 8 INSERT, 16 DELETE. Then whether INSERT and
    // UPDATE go through an INSTEAD OF trigger or an unconditional DO INSTEAD rule.
    let rows = query(
        client,
        "relations",
        "select n.nspname::text, c.relname::text, c.relkind::text,
                obj_description(c.oid, 'pg_class'),
                pg_relation_is_updatable(c.oid::regclass, true),
                exists (select from pg_trigger t where t.tgrelid = c.oid
                        and t.tgtype & 64 <> 0 and t.tgtype & 4 <> 0)
                  or exists (select from pg_rewrite w where w.ev_class = c.oid and w.is_instead
                             and w.ev_type = '3' and w.ev_qual::text = '<>'),
                exists (select from pg_trigger t where t.tgrelid = c.oid
                        and t.tgtype & 64 <> 0 and t.tgtype & 16 <> 0)
                  or exists (select from pg_rewrite w where w.ev_class = c.oid and w.is_instead
                             and w.ev_type = '2' and w.ev_qual::text = '<>')
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm', 'f')
           and not c.relispartition
           and not exists (select 1 from pg_depend d
                           where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')",
        schemas,
    )
    .await?;
    let mut index: HashMap<QualifiedName, usize> = HashMap::new();
    // By table index: every column is handed to a trigger (or rule) on each write it takes.
    let mut written_by_trigger = Vec::new();
    for r in &rows {
        let name = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let kind = match r.get::<_, String>(2).as_str() {
            "r" => TableKind::Table,
            "p" => TableKind::PartitionedTable,
            "v" => TableKind::View,
            "m" => TableKind::MaterializedView,
            _ => TableKind::ForeignTable,
        };
        let bits: i32 = r.get(4);
        let writes = match kind {
            TableKind::Table | TableKind::PartitionedTable => Writes::ALL,
            TableKind::MaterializedView => Writes::NONE,
            TableKind::View | TableKind::ForeignTable => Writes {
                insert: bits & 8 != 0,
                update: bits & 4 != 0,
                delete: bits & 16 != 0,
            },
        };
        // `pg_column_is_updatable` answers for UPDATE and DELETE together (the SQL standard's
        // `is_updatable`), so a view written through INSTEAD OF INSERT and UPDATE triggers (or
        // unconditional DO INSTEAD rules) but not DELETE would have no writable column: such a
        // view hands every column to its trigger, so every column counts as written, when
        // each of INSERT and UPDATE it takes goes through one. (A view that inserts through a
        // trigger but updates as Postgres's own updatable views do keeps the per-column
        // answer: a column that cannot be updated is left out of both types.)
        let (insert_by_trigger, update_by_trigger): (bool, bool) = (r.get(5), r.get(6));
        written_by_trigger.push(
            (writes.insert || writes.update)
                && (!writes.insert || insert_by_trigger)
                && (!writes.update || update_by_trigger),
        );
        index.insert(name.clone(), ir.tables.len());
        ir.tables.push(Table {
            name,
            kind,
            writes,
            comment: r.get(3),
            columns: Vec::new(),
            primary_key: Vec::new(),
            unique: Vec::new(),
            foreign_keys: Vec::new(),
        });
    }

    let views = super::view_keys::load_views(client, schemas).await?;
    let origins = view_column_origins(client, &views).await?;
    let rows = query(
        client,
        "columns",
        // A domain's NOT NULL and DEFAULT apply to its columns (as PostgREST and postgres-meta
        // read them: `attnotnull or typtype = 'd' and typnotnull`, then the domain's default).
        // NOT NULL also where a domain it is built on has it (Postgres checks the whole chain,
        // but copies only the default into a domain over a domain). Not for a view's columns:
        // a view reads them without the check, so an outer join gives a NOT NULL domain's
        // column nulls (CREATE DOMAIN's notes), which would fail to decode into a plain value.
        "select n.nspname::text, c.relname::text, a.attname::text, a.atttypid,
                not (a.attnotnull or c.relkind in ('r', 'p', 'f') and exists (
                    with recursive chain(oid) as (
                        select a.atttypid
                        union all
                        select t.typbasetype from pg_type t join chain on t.oid = chain.oid
                        where t.typtype = 'd')
                    select from chain join pg_type t on t.oid = chain.oid
                    where t.typtype = 'd' and t.typnotnull)),
                coalesce(pg_get_expr(d.adbin, d.adrelid),
                         case when ty.typtype = 'd' then pg_get_expr(ty.typdefaultbin, 0) end),
                a.attidentity::text, a.attgenerated::text,
                col_description(c.oid, a.attnum),
                c.relkind in ('v', 'f') and not pg_column_is_updatable(c.oid, a.attnum, true),
                a.attndims::int4, c.oid, a.attnum
         from pg_attribute a
         join pg_class c on c.oid = a.attrelid
         join pg_namespace n on n.oid = c.relnamespace
         join pg_type ty on ty.oid = a.atttypid
         left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
         where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm', 'f')
           and not c.relispartition and a.attnum > 0 and not a.attisdropped
         order by n.nspname, c.relname, a.attnum",
        schemas,
    )
    .await?;
    for r in &rows {
        let name = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let Some(&i) = index.get(&name) else { continue };
        let identity = match r.get::<_, String>(6).as_str() {
            "a" => Some(Identity::Always),
            "d" => Some(Identity::ByDefault),
            _ => None,
        };
        // Stored (and, from PostgreSQL 18, virtual) generated columns, and an updatable
        // view's columns that cannot be written (`upper(name)`: PostgREST would reject a write
        // setting them; postgres-meta types them `never` for the same reason). A read-only
        // view's are left as they are: nothing writes them anyway.
        // Every column of a view written through triggers counts as written (see above).
        //
        // A view's column showing a table's generated or identity-always column cannot be
        // written through the view either, unless a trigger does the writing; and it holds
        // arrays of as many dimensions as that column (a view's own `attndims` is 0).
        let origin = origins.get(&(r.get::<_, u32>(11), r.get::<_, i16>(12)));
        let writes = ir.tables[i].writes.any() && !written_by_trigger[i];
        let not_updatable = r.get::<_, bool>(9) && writes;
        let shows_generated = writes && origin.is_some_and(|o| o.generated);
        let generated = !r.get::<_, String>(7).is_empty() || not_updatable || shows_generated;
        let dimensions = origin.map_or(0, |o| o.dimensions).max(r.get(10));
        let default: Option<String> = r.get(5);
        ir.tables[i].columns.push(Column {
            name: r.get(2),
            ty: nest_arrays(types.resolve(r.get(3)), dimensions),
            nullable: r.get(4),
            // A generated column's expression is not a default.
            default: if generated { None } else { default },
            identity,
            generated,
            comment: r.get(8),
        });
    }

    let rows = query(
        client,
        "constraints",
        "select n.nspname::text, c.relname::text, con.conname::text, con.contype::text,
                array(select a.attname::text from unnest(con.conkey) with ordinality k(num, ord)
                      join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num
                      order by k.ord),
                fn.nspname::text, fc.relname::text,
                array(select a.attname::text from unnest(con.confkey) with ordinality k(num, ord)
                      join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num
                      order by k.ord)
         from pg_constraint con
         join pg_class c on c.oid = con.conrelid
         join pg_namespace n on n.oid = c.relnamespace
         left join pg_class fc on fc.oid = con.confrelid
         left join pg_namespace fn on fn.oid = fc.relnamespace
         -- A key referencing a partitioned table is cloned for each partition (conparentid):
         -- only the parent is a relation, as in PostgREST and postgres-meta.
         where n.nspname = any($1) and con.contype in ('p', 'u', 'f') and con.conparentid = 0
         order by 1, 2, 3",
        schemas,
    )
    .await?;
    for r in &rows {
        let name = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        let Some(&i) = index.get(&name) else { continue };
        let columns: Vec<String> = r.get(4);
        let t = &mut ir.tables[i];
        match r.get::<_, String>(3).as_str() {
            "p" => t.primary_key = columns,
            "u" => t.unique.push(columns),
            _ => {
                let (Some(schema), Some(table)) =
                    (r.get::<_, Option<String>>(5), r.get::<_, Option<String>>(6))
                else {
                    continue;
                };
                t.foreign_keys.push(ForeignKey {
                    name: r.get(2),
                    columns,
                    references: QualifiedName::new(schema, table),
                    referenced_columns: r.get(7),
                });
            }
        }
    }

    let rows = query(
        client,
        "enums",
        "select n.nspname::text, t.typname::text,
                array(select e.enumlabel::text from pg_enum e where e.enumtypid = t.oid
                      order by e.enumsortorder),
                obj_description(t.oid, 'pg_type')
         from pg_type t join pg_namespace n on n.oid = t.typnamespace
         where n.nspname = any($1) and t.typtype = 'e'
           and not exists (select 1 from pg_depend d
                           where d.classid = 'pg_type'::regclass and d.objid = t.oid
                             and d.deptype = 'e')",
        schemas,
    )
    .await?;
    for r in &rows {
        ir.enums.push(Enum {
            name: QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
            values: r.get(2),
            comment: r.get(3),
        });
    }

    let rows = query(
        client,
        "composite types",
        "select n.nspname::text, t.typname::text, obj_description(t.oid, 'pg_type'),
                a.attname::text, a.atttypid, a.attndims::int4
         from pg_type t
         join pg_namespace n on n.oid = t.typnamespace
         join pg_class c on c.oid = t.typrelid and c.relkind = 'c'
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where n.nspname = any($1) and t.typtype = 'c'
           and not exists (select 1 from pg_depend d
                           where d.deptype = 'e'
                             and (d.classid = 'pg_type'::regclass and d.objid = t.oid
                                  or d.classid = 'pg_class'::regclass and d.objid = c.oid))
         order by 1, 2, a.attnum",
        schemas,
    )
    .await?;
    for r in &rows {
        let name = QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1));
        if ir.composites.last().is_none_or(|c| c.name != name) {
            ir.composites.push(Composite {
                name,
                fields: Vec::new(),
                comment: r.get(2),
            });
        }
        if let Some(c) = ir.composites.last_mut() {
            // A composite's attributes keep their declared dimensions, as a table's columns.
            c.fields.push(Field {
                name: r.get(3),
                ty: nest_arrays(types.resolve(r.get(4)), r.get(5)),
            });
        }
    }

    functions(client, schemas, &types, &mut ir).await?;
    ir.view_keys = super::view_keys::introspect(client, schemas, &views).await?;
    ir.normalize();
    Ok(ir)
}

async fn functions(client: &Client, schemas: &[String], types: &Types, ir: &mut Ir) -> Result<()> {
    let rows = query(
        client,
        "functions",
        "select n.nspname::text, p.proname::text, p.proargnames::text[], p.proargmodes::text[],
                coalesce(p.proallargtypes, p.proargtypes::oid[]), p.pronargdefaults::int4,
                p.proretset, p.prorettype, p.provolatile::text, obj_description(p.oid, 'pg_proc')
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname = any($1) and p.prokind = 'f'
           and p.prorettype not in ('trigger'::regtype, 'event_trigger'::regtype)
           and not exists (select 1 from pg_depend d
                           where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')",
        schemas,
    )
    .await?;
    for r in &rows {
        let names: Vec<Option<String>> = r
            .get::<_, Option<Vec<Option<String>>>>(2)
            .unwrap_or_default();
        let all_types: Vec<u32> = r.get(4);
        let modes: Vec<String> = r
            .get::<_, Option<Vec<String>>>(3)
            .unwrap_or_else(|| vec!["i".to_owned(); all_types.len()]);
        let n_defaults = usize::try_from(r.get::<_, i32>(5)).unwrap_or(0);
        let mut args = Vec::new();
        let mut outs = Vec::new();
        let mut table_columns = false;
        let mut uncallable = None;
        for (i, ty) in all_types.iter().enumerate() {
            let name = names.get(i).cloned().flatten().filter(|n| !n.is_empty());
            let mode = modes.get(i).map_or("i", String::as_str);
            if matches!(mode, "i" | "b" | "v") {
                // PostgREST's schema cache pairs the k-th input's type with the k-th name of
                // all parameters (`unnest(proargnames, proargtypes, proargmodes)`), so an
                // OUT parameter before an input renames that input: no call finds it.
                if args.len() != i && name.is_some() && uncallable.is_none() {
                    let seen_as = names.get(args.len()).cloned().flatten().unwrap_or_default();
                    uncallable = Some(format!(
                        "an OUT parameter comes before the input `{}`, which PostgREST then \
                         knows as `{seen_as}` (it names inputs by position among all \
                         parameters); put the OUT parameters last",
                        name.as_deref().unwrap_or("(unnamed)"),
                    ));
                }
                args.push(Argument {
                    name: name.clone(),
                    ty: types.resolve(*ty),
                    has_default: false,
                    variadic: mode == "v",
                });
            }
            if matches!(mode, "o" | "b" | "t") {
                table_columns |= mode == "t";
                outs.push(Field {
                    name: name.unwrap_or_else(|| format!("column{}", outs.len() + 1)),
                    ty: types.resolve(*ty),
                });
            }
        }
        let first_default = args.len().saturating_sub(n_defaults);
        for a in &mut args[first_default..] {
            a.has_default = true;
        }
        let set: bool = r.get(6);
        let ret = types.resolve(r.get(7));
        // Any OUT, INOUT or TABLE parameter makes the result a row, even a single one:
        // PostgREST answers `{"next": 2}` for `f(seed int, out next int)` (its schema cache's
        // `proargmodes && '{t,b,o}'`).
        let returns = if table_columns || !outs.is_empty() {
            Returns::Table { columns: outs, set }
        } else if set {
            Returns::SetOf { ty: ret }
        } else {
            Returns::Scalar { ty: ret }
        };
        ir.functions.push(Function {
            name: QualifiedName::new(r.get::<_, String>(0), r.get::<_, String>(1)),
            args,
            returns,
            volatility: match r.get::<_, String>(8).as_str() {
                "i" => Volatility::Immutable,
                "s" => Volatility::Stable,
                _ => Volatility::Volatile,
            },
            comment: r.get(9),
            uncallable,
        });
    }
    Ok(())
}

/// `pg_type`, by oid, resolved to [`PgType`] on demand.
struct Types {
    by_oid: HashMap<u32, TypeRow>,
}

struct TypeRow {
    schema: String,
    name: String,
    typtype: String,
    category: String,
    elem: u32,
    base: u32,
    range_subtype: Option<u32>,
    /// `typndims`: a domain over an array type's declared dimensions (`as int4[][]`: 2).
    dimensions: i32,
}

impl Types {
    async fn load(client: &Client, schemas: &[String]) -> Result<Types> {
        // Every type, except the row and array types of relations in other schemas' tables we
        // never look at (they can be thousands). A range's subtype is also its multirange's
        // (`rngmultitypid`, read through `to_jsonb` since Postgres 13 has no such column).
        let rows = query(
            client,
            "types",
            "select t.oid, n.nspname::text, t.typname::text, t.typtype::text, t.typcategory::text,
                    t.typelem, t.typbasetype, r.rngsubtype, t.typndims
             from pg_type t
             join pg_namespace n on n.oid = t.typnamespace
             left join pg_range r on t.oid = r.rngtypid
                  or t.oid = (to_jsonb(r) ->> 'rngmultitypid')::oid
             where $1::text[] is not null",
            schemas,
        )
        .await?;
        let by_oid = rows
            .iter()
            .map(|r| {
                (
                    r.get::<_, u32>(0),
                    TypeRow {
                        schema: r.get(1),
                        name: r.get(2),
                        typtype: r.get(3),
                        category: r.get(4),
                        elem: r.get(5),
                        base: r.get(6),
                        range_subtype: r.get(7),
                        dimensions: r.get(8),
                    },
                )
            })
            .collect();
        Ok(Types { by_oid })
    }

    fn resolve(&self, oid: u32) -> PgType {
        self.resolve_depth(oid, 0)
    }

    fn resolve_depth(&self, oid: u32, depth: u32) -> PgType {
        let Some(t) = self.by_oid.get(&oid) else {
            return PgType::Unknown {
                name: format!("oid {oid}"),
            };
        };
        if depth > 16 {
            return PgType::Unknown {
                name: t.name.clone(),
            };
        }
        let qualified = || QualifiedName::new(t.schema.clone(), t.name.clone());
        match t.typtype.as_str() {
            "b" if t.category == "A" && t.elem != 0 => PgType::Array {
                element: Box::new(self.resolve_depth(t.elem, depth + 1)),
            },
            "b" => PgType::Base {
                name: t.name.clone(),
            },
            "e" => PgType::Enum { name: qualified() },
            "c" => PgType::Composite { name: qualified() },
            "d" => PgType::Domain {
                name: qualified(),
                base: Box::new(nest_arrays(
                    self.resolve_depth(t.base, depth + 1),
                    t.dimensions,
                )),
            },
            "r" | "m" => {
                let name = t.name.clone();
                let element = Box::new(match t.range_subtype {
                    Some(sub) => self.resolve_depth(sub, depth + 1),
                    None => PgType::Unknown { name: name.clone() },
                });
                if t.typtype == "r" {
                    PgType::Range { name, element }
                } else {
                    PgType::Multirange { name, element }
                }
            }
            "p" if t.name == "void" => PgType::Void,
            _ => PgType::Unknown {
                name: t.name.clone(),
            },
        }
    }
}

/// What a view's column shows: the table column it is a plain reference to.
struct Origin {
    /// That column's `attndims`.
    dimensions: i32,
    /// That column is never written: generated, or an identity `ALWAYS`.
    generated: bool,
}

/// The table column each view column shows ([`super::view_keys::column_origins`]), by the
/// view's oid and column number.
async fn view_column_origins(
    client: &Client,
    views: &[super::view_keys::View],
) -> Result<HashMap<ColumnRef, Origin>> {
    let origins = super::view_keys::column_origins(views);
    if origins.is_empty() {
        return Ok(HashMap::new());
    }
    let (keys, columns): (Vec<ColumnRef>, Vec<ColumnRef>) = origins.into_iter().unzip();
    let (tables, numbers): (Vec<u32>, Vec<i16>) = columns.into_iter().unzip();
    let rows = query_with(
        client,
        "view column origins",
        "select k.ord::int4, a.attndims::int4,
                a.attidentity = 'a' or a.attgenerated <> ''
         from unnest($1::oid[], $2::int2[]) with ordinality k(rel, num, ord)
         join pg_attribute a on a.attrelid = k.rel and a.attnum = k.num",
        &[&tables, &numbers],
    )
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let key = *keys.get(usize::try_from(r.get::<_, i32>(0)).ok()?.checked_sub(1)?)?;
            let origin = Origin {
                dimensions: r.get(1),
                generated: r.get(2),
            };
            Some((key, origin))
        })
        .collect())
}

/// A column declared with several dimensions (`int[][]`, `attndims` 2) holds arrays of arrays,
/// which PostgREST sends nested (`[[1,2],[3,4]]`); Postgres has one array type for every
/// dimension, so the catalog's type alone says `int4[]`.
fn nest_arrays(ty: PgType, dimensions: i32) -> PgType {
    let mut ty = ty;
    if matches!(ty, PgType::Array { .. }) {
        for _ in 1..dimensions {
            ty = PgType::Array {
                element: Box::new(ty),
            };
        }
    }
    ty
}
