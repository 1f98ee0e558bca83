//! Postgres changes: bindings from the join, triggers on published tables, and delivery.
//!
//! Delivery follows supabase/walrus `realtime.apply_rls` (and its tests
//! `test/sql/test_delete_old_record_behavior.sql`): an INSERT or UPDATE reaches a subscriber
//! only if the row is visible to the subscriber's role and claims (checked here with a
//! primary-key lookup run as the caller, like WALRUS's prepared statement); a DELETE reaches
//! every subscriber, with `old_record` holding only the primary key unless the table has
//! `REPLICA IDENTITY FULL` and no RLS; filters (`eq`, `neq`, `lt`, `lte`, `gt`, `gte`, `in`)
//! are applied to the record server-side with the column's type. The message is
//! `{"ids": [binding ids], "data": {schema, table, commit_timestamp, type, columns, record,
//! old_record, errors}}`.

use std::hash::{Hash, Hasher};

use serde_json::{Map, Value, json};

use super::Realtime;
use super::hub::Member;
use crate::services::Db;

/// One `config.postgres_changes` entry of a join.
#[derive(Debug, Clone)]
pub(super) struct Binding {
    pub(super) id: u32,
    event: String,
    schema: String,
    table: Option<String>,
    filter: Option<Filter>,
    /// The filter as sent, for error messages.
    filter_text: Option<String>,
}

#[derive(Debug, Clone)]
struct Filter {
    column: String,
    op: &'static str,
    value: String,
}

/// Realtime's filter syntax: `column=op.value`.
fn parse_filter(text: &str) -> Result<Filter, String> {
    let (column, rest) = text.split_once('=').ok_or("missing `=`")?;
    let (op, value) = rest.split_once('.').ok_or("missing operator")?;
    let op = match op {
        "eq" => "=",
        "neq" => "<>",
        "lt" => "<",
        "lte" => "<=",
        "gt" => ">",
        "gte" => ">=",
        "in" => "in",
        other => return Err(format!("unknown operator `{other}`")),
    };
    let value = if op == "in" {
        let inner = value.trim_start_matches('(').trim_end_matches(')');
        format!("{{{inner}}}")
    } else {
        value.to_owned()
    };
    Ok(Filter {
        column: column.to_owned(),
        op,
        value,
    })
}

/// Bindings with ids (Realtime: `:erlang.phash2(params)`), and the reply's echo of them.
pub(super) fn bindings(requested: &[Value]) -> (Vec<Binding>, Vec<Value>) {
    let mut bindings = Vec::new();
    let mut echoed = Vec::new();
    for params in requested {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        params.to_string().hash(&mut hasher);
        let id = (hasher.finish() & 0x07ff_ffff) as u32;
        let mut echo = params.clone();
        if let Value::Object(m) = &mut echo {
            m.insert("id".into(), json!(id));
        }
        echoed.push(echo);
        let filter_text = params["filter"].as_str().map(str::to_owned);
        bindings.push(Binding {
            id,
            event: params["event"].as_str().unwrap_or("*").to_owned(),
            schema: params["schema"].as_str().unwrap_or("public").to_owned(),
            table: params["table"]
                .as_str()
                .filter(|t| *t != "*")
                .map(str::to_owned),
            filter: filter_text.as_deref().and_then(|f| parse_filter(f).ok()),
            filter_text,
        });
    }
    (bindings, echoed)
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Checks each binding and installs the capture trigger on the tables it covers. The error is
/// Realtime's system message for a subscription it cannot make.
pub(super) async fn prepare(rt: &Realtime, bindings: &[Binding]) -> Result<(), String> {
    if bindings.is_empty() {
        return Ok(());
    }
    let conn = rt.env.db.get().await.map_err(|e| e.to_string())?;
    for b in bindings {
        let refuse = || {
            format!(
                "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [event: {}, schema: {}, table: {}, filters: [{}]]",
                b.event,
                b.schema,
                b.table.as_deref().unwrap_or("*"),
                b.filter_text.as_deref().unwrap_or("")
            )
        };
        if b.filter_text.is_some() && b.filter.is_none() {
            return Err(refuse());
        }
        let rows = conn
            .query(
                "select schemaname::text, tablename::text from pg_publication_tables \
                 where pubname = 'supabase_realtime' and ($1 = '*' or schemaname = $1) \
                 and ($2::text is null or tablename = $2)",
                &[&b.schema, &b.table],
            )
            .await
            .map_err(|e| e.to_string())?;
        if rows.is_empty() {
            return Err(refuse());
        }
        for row in rows {
            let (schema, table): (String, String) = (row.get(0), row.get(1));
            if let Some(f) = &b.filter {
                let exists = conn
                    .query_opt(
                        "select 1 from information_schema.columns \
                         where table_schema = $1 and table_name = $2 and column_name = $3",
                        &[&schema, &table, &f.column],
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                if exists.is_none() {
                    return Err(format!(
                        "{}: invalid column for filter {}",
                        refuse(),
                        f.column
                    ));
                }
            }
            let sql = format!(
                "create or replace trigger supabase_realtime_capture \
                 after insert or update or delete on {}.{} \
                 for each row execute function realtime._capture_change()",
                ident(&schema),
                ident(&table)
            );
            conn.batch_execute(&sql).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

struct TableInfo {
    rls: bool,
    full_identity: bool,
    /// (name, type name, SQL type)
    columns: Vec<(String, String, String)>,
    pk: Vec<String>,
}

async fn table_info(db: &Db, schema: String, table: String) -> Result<TableInfo, String> {
    let conn = db.get().await.map_err(|e| e.to_string())?;
    let row = conn
        .query_one(
            "select c.relrowsecurity, c.relreplident = 'f', \
               (select coalesce(jsonb_agg(jsonb_build_array(a.attname, t.typname, format_type(a.atttypid, a.atttypmod)) order by a.attnum), '[]') \
                  from pg_attribute a join pg_type t on t.oid = a.atttypid \
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)::text, \
               (select coalesce(jsonb_agg(a.attname), '[]') from pg_index i \
                  join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey) \
                  where i.indrelid = c.oid and i.indisprimary)::text \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace \
             where n.nspname = $1 and c.relname = $2",
            &[&schema, &table],
        )
        .await
        .map_err(|e| e.to_string())?;
    let columns: Value = serde_json::from_str(row.get(2)).map_err(|e| e.to_string())?;
    let pk: Value = serde_json::from_str(row.get(3)).map_err(|e| e.to_string())?;
    Ok(TableInfo {
        rls: row.get(0),
        full_identity: row.get(1),
        columns: columns
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                Some((
                    c[0].as_str()?.to_owned(),
                    c[1].as_str()?.to_owned(),
                    c[2].as_str()?.to_owned(),
                ))
            })
            .collect(),
        pk: pk
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    })
}

pub(super) async fn deliver(rt: &Realtime, id: i64) -> Result<(), String> {
    let payload: Value = {
        let conn = rt.env.db.get().await.map_err(|e| e.to_string())?;
        match conn
            .query_opt(
                "delete from realtime._changes where id = $1 returning payload::text",
                &[&id],
            )
            .await
            .map_err(|e| e.to_string())?
        {
            Some(row) => serde_json::from_str(row.get(0)).map_err(|e| e.to_string())?,
            None => return Ok(()),
        }
    };
    let (Some(schema), Some(table), Some(kind)) = (
        payload["schema"].as_str(),
        payload["table"].as_str(),
        payload["type"].as_str(),
    ) else {
        return Err("malformed queued change".into());
    };
    let (schema, table, kind) = (schema.to_owned(), table.to_owned(), kind.to_owned());
    let (schema, table, kind) = (schema.as_str(), table.as_str(), kind.as_str());
    let members = rt.hub.change_listeners();
    let mut listeners: Vec<(Member, Vec<Binding>)> = Vec::new();
    for member in &members {
        let matching: Vec<Binding> = member
            .bindings
            .iter()
            .filter(|b| b.schema == "*" || b.schema == schema)
            .filter(|b| b.table.as_deref().is_none_or(|t| t == table))
            .filter(|b| b.event == "*" || b.event == kind)
            .cloned()
            .collect();
        if !matching.is_empty() {
            listeners.push((member.clone(), matching));
        }
    }
    if listeners.is_empty() {
        return Ok(());
    }
    let info = table_info(&rt.env.db, schema.to_owned(), table.to_owned()).await?;
    let record = payload["record"].clone();
    let old_full = payload["old_record"].clone();
    // WALRUS `apply_rls`: the old record holds the replica identity's columns (all of them
    // under `REPLICA IDENTITY FULL`), cut to the primary key only for a DELETE on an RLS table
    // ("we can't secure deletes").
    let old_record = if info.full_identity && !(kind == "DELETE" && info.rls) {
        old_full
    } else {
        let mut pk_only = Map::new();
        for k in &info.pk {
            if let Some(v) = old_full.get(k) {
                pk_only.insert(k.clone(), v.clone());
            }
        }
        Value::Object(pk_only)
    };
    let mut data = json!({
        "schema": schema,
        "table": table,
        "commit_timestamp": payload["commit_timestamp"],
        "type": kind,
        "columns": info.columns.iter().map(|(n, t, _)| json!({"name": n, "type": t})).collect::<Vec<_>>(),
        "errors": null,
    });
    if kind != "DELETE" {
        data["record"] = record.clone();
    }
    if kind != "INSERT" {
        data["old_record"] = old_record.clone();
    }
    let filtered_on = if kind == "DELETE" {
        &old_record
    } else {
        &record
    };
    let relation = format!("{}.{}", ident(schema), ident(table));
    for (member, matching) in listeners {
        if kind != "DELETE" && !visible(&rt.env.db, &member, &relation, &info, &record).await {
            continue;
        }
        let mut ids = Vec::new();
        for b in matching {
            let passes = match &b.filter {
                None => true,
                Some(f) => passes_filter(&rt.env.db, &relation, &info, f, filtered_on).await,
            };
            if passes {
                ids.push(b.id);
            }
        }
        if !ids.is_empty() {
            member.send("postgres_changes", json!({"ids": ids, "data": data}));
        }
    }
    Ok(())
}

/// Whether the subscriber's role and claims can SELECT the row. As WALRUS (`apply_rls` runs
/// its row query only `if is_rls_enabled`), a table without RLS needs only the privilege, so a
/// row changed again (or deleted) before delivery is still delivered; an RLS table is checked
/// against the row as it is now, looked up by its primary key.
async fn visible(
    db: &Db,
    member: &Member,
    relation: &str,
    info: &TableInfo,
    record: &Value,
) -> bool {
    let sql = if !info.rls {
        format!(
            "select has_table_privilege('{relation}', 'SELECT') and $1::text::jsonb is not null"
        )
    } else if info.pk.is_empty() {
        // Without a primary key the row cannot be looked up.
        return false;
    } else {
        let cols = info
            .pk
            .iter()
            .map(|c| format!("x.{}", ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let rcols = info
            .pk
            .iter()
            .map(|c| format!("r.{}", ident(c)))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "select exists(select 1 from {relation} x where ({cols}) = \
             (select {rcols} from jsonb_populate_record(null::{relation}, $1::text::jsonb) r))"
        )
    };
    let record = record.to_string();
    let check = async {
        let mut conn = db.get().await.ok()?;
        let tx = crate::services::begin_as(&mut conn, &member.caller)
            .await
            .ok()?;
        let seen = tx.query_opt(&sql, &[&record]).await.ok()?;
        let _ = tx.rollback().await;
        Some(seen.is_some_and(|r| r.get::<_, bool>(0)))
    };
    check.await.unwrap_or(false)
}

async fn passes_filter(
    db: &Db,
    relation: &str,
    info: &TableInfo,
    f: &Filter,
    record: &Value,
) -> bool {
    let Some((_, _, sql_type)) = info.columns.iter().find(|(n, _, _)| *n == f.column) else {
        return false;
    };
    let column = ident(&f.column);
    let test = if f.op == "in" {
        format!("r.{column} = any($2::text::{sql_type}[])")
    } else {
        format!("r.{column} {} $2::text::{sql_type}", f.op)
    };
    let sql = format!(
        "select coalesce(({test}), false) from jsonb_populate_record(null::{relation}, $1::text::jsonb) r"
    );
    let Ok(conn) = db.get().await else {
        return false;
    };
    match conn.query_one(&sql, &[&record.to_string(), &f.value]).await {
        Ok(row) => row.get(0),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_as_realtime_does() {
        let f = parse_filter("id=eq.200").unwrap();
        assert_eq!(
            (f.column.as_str(), f.op, f.value.as_str()),
            ("id", "=", "200")
        );
        let f = parse_filter("name=in.(a,b)").unwrap();
        assert_eq!(f.value, "{a,b}");
        assert!(parse_filter("id=like.x").is_err());
        assert!(parse_filter("nonsense").is_err());
        let (b, echo) = bindings(&[json!({"event": "*", "schema": "public", "table": "t"})]);
        assert_eq!(echo[0]["id"], json!(b[0].id));
        assert_eq!(echo[0]["table"], "t");
    }
}
