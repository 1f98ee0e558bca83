//! Postgres changes: bindings from the join, triggers on published tables, and delivery.
//!
//! Delivery follows supabase/walrus `realtime.apply_rls` (supabase/realtime's tenant
//! migrations, `20260420000000_squash_migrations.ex`, and WALRUS's tests
//! `test/sql/test_delete_old_record_behavior.sql`), per subscriber role:
//! - the payload shows only the columns the role may select (`has_column_privilege`), in
//!   `columns`, `record` and `old_record`;
//! - an INSERT or UPDATE on a table without a primary key, or whose key the role may not
//!   select, is an error payload (`errors: ["Error 400: Bad Request, no primary key"]` /
//!   `["Error 401: Unauthorized"]`, no row data) for all of the role's subscriptions;
//! - otherwise an INSERT or UPDATE on an RLS table reaches a subscriber only if the row is
//!   visible to their role and claims (a primary-key lookup run as the caller, like WALRUS's
//!   prepared statement); a DELETE reaches every subscriber, with `old_record` holding only
//!   the primary key on an RLS table, and the replica identity otherwise (the whole row under
//!   `REPLICA IDENTITY FULL`);
//! - a binding's `select` limits the columns and records it gets to the selected columns and
//!   the primary key, and its subscriptions are grouped by selection, one message each
//!   (`20260527120000_add_select_columns_to_subscriptions`, `subscriptions.ex`);
//! - filters are applied server-side with the column's type, to the record (to the old row's
//!   identity for a DELETE): several per binding, all of which must hold, each `eq`, `neq`,
//!   `lt`, `lte`, `gt`, `gte`, `in`, `like`, `ilike`, `is`, `match`, `imatch` or `isdistinct`,
//!   negated by `not.` (supabase/realtime `postgres_cdc_rls/subscriptions.ex`, `parse_filter`
//!   and `split_top_level`; `realtime.check_equality_op` and `subscription_check_filters` of
//!   the tenant migration `20260626120000_readd_postgrest_filter_ops.ex`).
//!
//! The message is `{"ids": [binding ids], "data": {schema, table, commit_timestamp, type,
//! columns, record, old_record, errors}}`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::Realtime;
use super::hub::Member;
use crate::services::{Caller, Db};

/// One `config.postgres_changes` entry of a join.
#[derive(Debug, Clone)]
pub(super) struct Binding {
    pub(super) id: u32,
    event: String,
    schema: String,
    table: Option<String>,
    /// The filter's clauses, all of which must hold; the parse error for a filter Realtime
    /// cannot read.
    filters: Result<Vec<Filter>, String>,
    /// The selected columns (`None`: all); the parse error for a `select` Realtime refuses.
    select: Result<Option<Vec<String>>, String>,
}

/// One clause, as Realtime stores it in `realtime.user_defined_filter`.
#[derive(Debug, Clone)]
struct Filter {
    column: String,
    /// Realtime's `equality_op`: one of [`OPS`].
    op: &'static str,
    /// As Realtime stores it: `in`'s `(a,b)` becomes the array literal `{a,b}`; any other value
    /// wholly in double quotes is unquoted.
    value: String,
    /// `not.` before the operator.
    negate: bool,
}

const OPS: [&str; 13] = [
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "like",
    "ilike",
    "is",
    "match",
    "imatch",
    "isdistinct",
];

impl Filter {
    /// `realtime.check_equality_op`'s test of the column `c` against the value in the
    /// parameter `v`, cast to `ty`: true, false or NULL (which fails the filter).
    fn sql(&self, c: &str, v: &str, ty: &str) -> String {
        let not = if self.negate { "not " } else { "" };
        let test = match self.op {
            "isdistinct" => return format!("{c} is {not}distinct from {v}::text::{ty}"),
            // A keyword, never the value's text (checked at subscribe time as well).
            "is" => {
                let keyword = match self.value.as_str() {
                    "null" => "null",
                    "true" => "true",
                    "false" => "false",
                    "unknown" => "unknown",
                    _ => return "false".into(),
                };
                return format!("{c} is {not}{keyword}");
            }
            "in" => format!("{c} = any({v}::text::{ty}[])"),
            op => {
                let sym = match op {
                    "eq" => "=",
                    "neq" => "!=",
                    "lt" => "<",
                    "lte" => "<=",
                    "gt" => ">",
                    "gte" => ">=",
                    "like" => "like",
                    "ilike" => "ilike",
                    "match" => "~",
                    _ => "~*",
                };
                format!("{c} {sym} ({v}::text::{ty})")
            }
        };
        format!("{not}({test})")
    }
}

impl Binding {
    /// The parameters as Realtime's `params_to_log` prints them: `event: *, schema: public,
    /// table: t, filters: [{"id", "eq", "1", false}], select: nil`.
    fn log_params(&self) -> String {
        // Elixir's `inspect` of a string, which JSON's quoting matches for these.
        let quoted = |v: &str| serde_json::to_string(v).unwrap_or_default();
        let filters = self
            .filters
            .iter()
            .flatten()
            .map(|f| {
                format!(
                    "{{{}, {}, {}, {}}}",
                    quoted(&f.column),
                    quoted(f.op),
                    quoted(&f.value),
                    f.negate
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let select = match &self.select {
            Ok(Some(columns)) => {
                let columns: Vec<String> = columns.iter().map(|c| quoted(c)).collect();
                format!("[{}]", columns.join(", "))
            }
            _ => "nil".to_owned(),
        };
        format!(
            "event: {}, schema: {}, table: {}, filters: [{filters}], select: {select}",
            self.event,
            self.schema,
            self.table.as_deref().unwrap_or("*")
        )
    }

    /// Whether a change's column reaches this subscriber (given the role may read it): with a
    /// `select`, only the selected columns and the primary key (`apply_rls`, `20260527120000`).
    fn shows(&self, column: &str, pk: &[String]) -> bool {
        match &self.select {
            Ok(Some(columns)) => columns.iter().chain(pk).any(|c| c == column),
            _ => true,
        }
    }
}

/// A binding's `select` as `subscriptions.ex` reads it: a list keeps its strings (none left:
/// every column); a string is refused; anything else is ignored. A wildcard schema or table
/// cannot select. The errors are Realtime's.
fn parse_select(
    select: Option<&Value>,
    schema: &str,
    table: Option<&str>,
) -> Result<Option<Vec<String>>, String> {
    let columns = match select {
        Some(Value::String(_)) => {
            return Err("Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]".into());
        }
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect::<Vec<_>>(),
        _ => return Ok(None),
    };
    if columns.is_empty() {
        return Ok(None);
    }
    if schema == "*" || table.is_none() {
        return Err("Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.".into());
    }
    Ok(Some(columns))
}

/// Realtime's filter syntax (`subscriptions.ex` `parse_filter`): clauses `column=op.value`,
/// `column=not.op.value`, separated by commas outside parentheses and quoted values; a blank
/// filter is none. The error is Realtime's, after "Error parsing `filter` params: ".
fn parse_filters(text: &str) -> Result<Vec<Filter>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    split_top_level(text)
        .into_iter()
        .map(|clause| {
            let clause = clause.trim();
            if clause.is_empty() {
                return Err(
                    "filter must not contain empty segments (check for extra commas)".into(),
                );
            }
            parse_clause(clause)
        })
        .collect()
}

/// One clause. What does not match `column=[not.]op.value` with a known `op` is reported as
/// Elixir's `inspect` of the parts, as Realtime does (`["foo", "1"]`).
fn parse_clause(clause: &str) -> Result<Filter, String> {
    let inspect = |parts: &[&str]| {
        let quoted: Vec<String> = parts
            .iter()
            .map(|p| serde_json::to_string(p).unwrap_or_default())
            .collect();
        format!("[{}]", quoted.join(", "))
    };
    let Some((column, rest)) = clause.split_once('=') else {
        return Err(inspect(&[clause]));
    };
    let (negate, rest) = match rest.strip_prefix("not.") {
        Some(rest) => (true, rest),
        None => (false, rest),
    };
    let Some((op, value)) = rest.split_once('.') else {
        return Err(inspect(&[rest]));
    };
    let Some(op) = OPS.into_iter().find(|o| *o == op) else {
        return Err(inspect(&[op, value]));
    };
    let value = if op == "in" {
        // The list goes into an array literal as it is: Postgres reads its quotes.
        let inner = value
            .strip_prefix('(')
            .and_then(|v| v.strip_suffix(')'))
            .ok_or("`in` filter value must be wrapped by parentheses")?;
        format!("{{{inner}}}")
    } else {
        unquote(value)
    };
    Ok(Filter {
        column: column.to_owned(),
        op,
        value,
        negate,
    })
}

/// `split_top_level`: commas split outside parentheses and quotes; a quote opens only after
/// `.`, `(` or `,`, and inside one a backslash escapes the next character.
fn split_top_level(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let (mut parts, mut start, mut depth) = (Vec::new(), 0, 0usize);
    let (mut quoted, mut previous) = (false, None);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            match b {
                b'\\' => i += 1,
                b'"' => quoted = false,
                _ => {}
            }
        } else {
            match b {
                b'"' if matches!(previous, Some(b'.' | b'(' | b',')) => quoted = true,
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                    previous = None;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        previous = Some(b);
        i += 1;
    }
    parts.push(&text[start..]);
    parts
}

/// A value wholly in double quotes, unquoted (`\c` is `c`); anything else as it is.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => out.push(next),
                None => return value.to_owned(),
            },
            // The closing quote must end the value.
            '"' if chars.as_str().is_empty() => return out,
            '"' => return value.to_owned(),
            c => out.push(c),
        }
    }
    value.to_owned()
}

/// Realtime's `action_filter`: the event upper-cased; anything but the three is every event.
fn action_filter(event: Option<&str>) -> String {
    let event = event.unwrap_or("*").to_uppercase();
    match event.as_str() {
        "INSERT" | "UPDATE" | "DELETE" => event,
        _ => "*".to_owned(),
    }
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
        let filters = match params["filter"].as_str() {
            Some(text) => parse_filters(text),
            None => Ok(Vec::new()),
        };
        let schema = params["schema"].as_str().unwrap_or("public").to_owned();
        let table = params["table"]
            .as_str()
            .filter(|t| *t != "*")
            .map(str::to_owned);
        let select = parse_select(params.get("select"), &schema, table.as_deref());
        bindings.push(Binding {
            id,
            event: action_filter(params["event"].as_str()),
            schema,
            table,
            filters,
            select,
        });
    }
    (bindings, echoed)
}

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Checks each binding as the caller's subscription and installs the capture trigger on the
/// tables it covers. The error is Realtime's system message for a subscription it cannot make
/// (`Subscriptions.create`).
pub(super) async fn prepare(
    rt: &Realtime,
    bindings: &[Binding],
    caller: &Caller,
) -> Result<(), String> {
    if bindings.is_empty() {
        return Ok(());
    }
    let conn = rt.env.db.get().await.map_err(|e| e.to_string())?;
    for b in bindings {
        let params = b.log_params();
        let disabled = || {
            format!(
                "Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: [{params}]"
            )
        };
        let filters = match &b.filters {
            Ok(filters) => filters,
            Err(e) => return Err(format!("Error parsing `filter` params: {e}")),
        };
        let selected = b.select.clone()?;
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
            return Err(disabled());
        }
        for row in rows {
            let (schema, table): (String, String) = (row.get(0), row.get(1));
            let relation = format!("{}.{}", ident(&schema), ident(&table));
            let checked = async {
                for f in filters {
                    check_filter(&conn, &relation, f, &caller.role).await?;
                }
                for column in selected.iter().flatten() {
                    check_select(&conn, &relation, column, &caller.role).await?;
                }
                Ok::<(), String>(())
            };
            if let Err(e) = checked.await {
                return Err(format!(
                    "Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters: [{params}]. Exception: {e}"
                ));
            }
            let sql = format!(
                "create or replace trigger supabase_realtime_capture \
                 after insert or update or delete on {relation} \
                 for each row execute function realtime._capture_change()"
            );
            conn.batch_execute(&sql).await.map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// `realtime.subscription_check_filters`: the column must be one the role may select; `in`
/// takes at most 100 values of the column's type; `is` takes `null`, `true`, `false` or
/// `unknown`, the last three on a boolean column; `match` / `imatch` take a valid regular
/// expression; every other value must cast to the column's type. The error reads as Postgrex's
/// `Exception.message`.
async fn check_filter(
    conn: &deadpool_postgres::Object,
    relation: &str,
    f: &Filter,
    role: &str,
) -> Result<(), String> {
    let column_type: Option<String> = conn
        .query_opt(
            "select a.atttypid::regtype::text from pg_attribute a \
             where a.attrelid = $1::text::regclass and a.attname = $2 \
               and a.attnum > 0 and not a.attisdropped \
               and has_column_privilege($3::text, a.attrelid, a.attnum, 'SELECT')",
            &[&relation, &f.column, &role],
        )
        .await
        .map_err(|e| postgrex_message(&e))?
        .map(|row| row.get(0));
    let Some(column_type) = column_type else {
        return Err(format!(
            "ERROR P0001 (raise_exception) invalid column for filter {}",
            f.column
        ));
    };
    let raise = |message: String| format!("ERROR P0001 (raise_exception) {message}");
    if f.op == "is" {
        if !["null", "true", "false", "unknown"].contains(&f.value.as_str()) {
            return Err(raise(
                "invalid value for is filter: must be null, true, false, or unknown".into(),
            ));
        }
        if f.value != "null" && column_type != "boolean" {
            return Err(raise(format!(
                "is {} filter requires a boolean column, got {column_type}",
                f.value
            )));
        }
    } else if f.op == "match" || f.op == "imatch" {
        if let Err(e) = conn.query_one("select '' ~ $1", &[&f.value]).await {
            let reason = e
                .as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_owned());
            return Err(raise(format!(
                "invalid regular expression for {} filter: {reason}",
                f.op
            )));
        }
    } else if f.op == "in" {
        let count: Option<i32> = conn
            .query_one(
                &format!("select cardinality($1::text::{column_type}[])"),
                &[&f.value],
            )
            .await
            .map_err(|e| postgrex_message(&e))?
            .get(0);
        if count.unwrap_or(0) > 100 {
            return Err(
                "ERROR P0001 (raise_exception) too many values for `in` filter. Maximum 100"
                    .to_owned(),
            );
        }
    } else if f.op != "like" && f.op != "ilike" {
        conn.query_one(&format!("select $1::text::{column_type}"), &[&f.value])
            .await
            .map_err(|e| postgrex_message(&e))?;
    }
    // The operator must apply to the column's type (`20260815140000`: the comparison itself
    // is tried, so `like` on varchar passes and `match` on an integer does not).
    let probe = format!(
        "select {}",
        f.sql(&format!("null::{column_type}"), "$1", &column_type)
    );
    // (`is` compares with a keyword: no parameter.)
    let probed = if f.op == "is" {
        conn.query_one(&probe, &[]).await
    } else {
        conn.query_one(&probe, &[&f.value]).await
    };
    if let Err(e) = probed {
        let reason = e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_owned());
        return Err(raise(format!(
            "operator {} is not supported on column {} of type {column_type}: {reason}",
            f.op, f.column
        )));
    }
    Ok(())
}

/// `realtime.subscription_check_filters` (`20260527120000`): a selected column must be one the
/// role may select (a column the table lacks is refused the same way here).
async fn check_select(
    conn: &deadpool_postgres::Object,
    relation: &str,
    column: &str,
    role: &str,
) -> Result<(), String> {
    let readable = conn
        .query_one(
            "select exists(select 1 from pg_attribute a \
             where a.attrelid = $1::text::regclass and a.attname = $2 \
               and a.attnum > 0 and not a.attisdropped \
               and has_column_privilege($3::text, a.attrelid, a.attnum, 'SELECT'))",
            &[&relation, &column, &role],
        )
        .await
        .map_err(|e| postgrex_message(&e))?
        .get::<_, bool>(0);
    if readable {
        Ok(())
    } else {
        Err(format!(
            "ERROR P0001 (raise_exception) invalid column for select {column}"
        ))
    }
}

/// A database error as Postgrex prints it: `ERROR 22P02 (invalid_text_representation) …`.
fn postgrex_message(e: &tokio_postgres::Error) -> String {
    let Some(db) = e.as_db_error() else {
        return e.to_string();
    };
    let code = db.code().code();
    let name = match code {
        "22P02" => "invalid_text_representation",
        "22003" => "numeric_value_out_of_range",
        "22007" => "invalid_datetime_format",
        "22008" => "datetime_field_overflow",
        "22023" => "invalid_parameter_value",
        "42704" => "undefined_object",
        "P0001" => "raise_exception",
        other => other,
    };
    format!("{} {code} ({name}) {}", db.severity(), db.message())
}

struct TableInfo {
    rls: bool,
    full_identity: bool,
    /// (name, type name, the SQL type without modifiers: filters cast to it, as
    /// `realtime.check_equality_op` does)
    columns: Vec<(String, String, String)>,
    pk: Vec<String>,
}

async fn table_info(db: &Db, schema: String, table: String) -> Result<TableInfo, String> {
    let conn = db.get().await.map_err(|e| e.to_string())?;
    let row = conn
        .query_one(
            "select c.relrowsecurity, c.relreplident = 'f', \
               (select coalesce(jsonb_agg(jsonb_build_array(a.attname, t.typname, a.atttypid::regtype::text) order by a.attnum), '[]') \
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

/// A record as Postgres wrote it (`to_jsonb(new)`), each column's JSON text kept as it is:
/// Realtime relays the record's text (`replication_poller.ex` `generate_record`: `record:
/// Jason.Fragment.new(record)`), so a `numeric` reaches the client with every digit.
type Record = BTreeMap<String, Box<RawValue>>;

/// A change as `realtime._capture_change` queues it.
#[derive(Deserialize)]
struct Queued {
    schema: String,
    table: String,
    #[serde(rename = "type")]
    kind: String,
    commit_timestamp: Option<String>,
    record: Option<Record>,
    old_record: Option<Record>,
}

/// The `postgres_changes` message: `{"ids", "data"}`.
#[derive(Serialize)]
struct ChangeMessage<'a> {
    ids: Vec<u32>,
    data: ChangeData<'a>,
}

#[derive(Serialize)]
struct ChangeData<'a> {
    schema: &'a str,
    table: &'a str,
    commit_timestamp: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'a str,
    columns: Vec<Value>,
    errors: Option<[&'a str; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<Record>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_record: Option<Record>,
}

impl ChangeMessage<'_> {
    fn send(&self, member: &Member) {
        match serde_json::value::to_raw_value(self) {
            Ok(text) => member.send_text("postgres_changes", text),
            Err(e) => tracing::warn!("realtime stand-in: a change does not serialize: {e}"),
        }
    }
}

pub(super) async fn deliver(rt: &Realtime, id: i64) -> Result<(), String> {
    let queued: Queued = {
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
    let (schema, table, kind) = (
        queued.schema.as_str(),
        queued.table.as_str(),
        queued.kind.as_str(),
    );
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
    let record = queued.record.unwrap_or_default();
    let queued_old = queued.old_record.unwrap_or_default();
    // WALRUS `apply_rls`: the old record holds the replica identity's columns (all of them
    // under `REPLICA IDENTITY FULL`), cut to the primary key only for a DELETE on an RLS table
    // ("we can't secure deletes"). A DELETE is filtered on the whole identity.
    let identity = if info.full_identity {
        queued_old
    } else {
        only(&queued_old, |k| info.pk.iter().any(|c| c == k))
    };
    let old_record = if kind == "DELETE" && info.rls {
        only(&identity, |k| info.pk.iter().any(|c| c == k))
    } else {
        identity.clone()
    };
    let filtered_on = if kind == "DELETE" { &identity } else { &record };
    let relation = format!("{}.{}", ident(schema), ident(table));
    let mut selectable_by_role: HashMap<String, HashSet<String>> = HashMap::new();
    for (member, matching) in listeners {
        let role = &member.caller.role;
        if !selectable_by_role.contains_key(role) {
            match selectable(&rt.env.db, &relation, role).await {
                Ok(columns) => selectable_by_role.insert(role.clone(), columns),
                Err(e) => {
                    tracing::warn!("realtime stand-in: column privileges of {role}: {e}");
                    continue;
                }
            };
        }
        let selectable = &selectable_by_role[role];
        // `apply_rls`: an INSERT or UPDATE the role cannot identify is an error payload for
        // each of its subscriptions, whatever their filters.
        let error = if kind == "DELETE" {
            None
        } else if info.pk.is_empty() {
            Some("Error 400: Bad Request, no primary key")
        } else if !info.pk.iter().all(|c| selectable.contains(c)) {
            Some("Error 401: Unauthorized")
        } else {
            None
        };
        if let Some(error) = error {
            for (ids, _) in by_selection(matching.iter()) {
                let data = error_data(schema, table, kind, error);
                ChangeMessage { ids, data }.send(&member);
            }
            continue;
        }
        if kind != "DELETE"
            && info.rls
            && !visible(&rt.env.db, &member, &relation, &info, &record).await
        {
            continue;
        }
        let mut passing = Vec::new();
        for b in &matching {
            let filters = b.filters.as_deref().unwrap_or_default();
            if passes_filters(&rt.env.db, &relation, &info, filters, filtered_on).await {
                passing.push(b);
            }
        }
        for (ids, b) in by_selection(passing.into_iter()) {
            // Only the columns the role may select (and the binding selects), in the column
            // list and in the records.
            let shown = |k: &str| selectable.contains(k) && b.shows(k, &info.pk);
            let columns: Vec<Value> = info
                .columns
                .iter()
                .filter(|(n, _, _)| shown(n))
                .map(|(n, t, _)| json!({"name": n, "type": t}))
                .collect();
            let data = ChangeData {
                schema,
                table,
                commit_timestamp: queued.commit_timestamp.as_deref(),
                kind,
                columns,
                errors: None,
                record: (kind != "DELETE").then(|| only(&record, shown)),
                old_record: (kind != "INSERT").then(|| only(&old_record, shown)),
            };
            ChangeMessage { ids, data }.send(&member);
        }
    }
    Ok(())
}

/// Bindings grouped as `apply_rls` groups a role's subscriptions, by their selected columns (in
/// any order): each group's ids, and one of its bindings.
fn by_selection<'a>(bindings: impl Iterator<Item = &'a Binding>) -> Vec<(Vec<u32>, &'a Binding)> {
    let key = |b: &Binding| {
        let mut columns = b.select.clone().ok().flatten();
        if let Some(columns) = &mut columns {
            columns.sort();
        }
        columns
    };
    let mut groups: Vec<(Vec<u32>, &Binding)> = Vec::new();
    for b in bindings {
        match groups.iter_mut().find(|(_, first)| key(first) == key(b)) {
            Some((ids, _)) => ids.push(b.id),
            None => groups.push((vec![b.id], b)),
        }
    }
    groups
}

/// The keys of `record` that `keep` accepts.
fn only(record: &Record, keep: impl Fn(&str) -> bool) -> Record {
    record
        .iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What `apply_rls` sends for a change it refuses to show (`errors` set, no row data), as
/// `ReplicationPoller.generate_record` turns it into a record: no columns, no timestamp,
/// empty records.
fn error_data<'a>(
    schema: &'a str,
    table: &'a str,
    kind: &'a str,
    error: &'a str,
) -> ChangeData<'a> {
    ChangeData {
        schema,
        table,
        commit_timestamp: None,
        kind,
        columns: Vec::new(),
        errors: Some([error]),
        record: Some(Record::new()),
        old_record: (kind == "UPDATE").then(Record::new),
    }
}

/// The columns of `relation` that `role` may select (`apply_rls`'s `is_selectable`:
/// `has_column_privilege(role, entity, column, 'SELECT')`).
async fn selectable(db: &Db, relation: &str, role: &str) -> Result<HashSet<String>, String> {
    let conn = db.get().await.map_err(|e| e.to_string())?;
    let rows = conn
        .query(
            "select a.attname::text from pg_attribute a \
             where a.attrelid = $1::text::regclass and a.attnum > 0 and not a.attisdropped \
               and has_column_privilege($2::text, a.attrelid, a.attnum, 'SELECT')",
            &[&relation, &role],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
}

/// Whether the subscriber's role and claims can see the row of an RLS table as it is now,
/// looked up by its primary key (WALRUS's prepared statement, run only `if is_rls_enabled`: a
/// table without RLS needs only the column privileges, so a row changed again or deleted
/// before delivery is still delivered).
async fn visible(
    db: &Db,
    member: &Member,
    relation: &str,
    info: &TableInfo,
    record: &Record,
) -> bool {
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
    let sql = format!(
        "select exists(select 1 from {relation} x where ({cols}) = \
         (select {rcols} from jsonb_populate_record(null::{relation}, $1::text::jsonb) r))"
    );
    let Ok(record) = serde_json::to_string(record) else {
        return false;
    };
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

/// `is_visible_through_filters`: every clause holds (a NULL result fails), tested in one query.
async fn passes_filters(
    db: &Db,
    relation: &str,
    info: &TableInfo,
    filters: &[Filter],
    record: &Record,
) -> bool {
    if filters.is_empty() {
        return true;
    }
    let Ok(record_text) = serde_json::to_string(record) else {
        return false;
    };
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&record_text];
    let mut tests = Vec::with_capacity(filters.len());
    for f in filters {
        let Some((_, _, sql_type)) = info.columns.iter().find(|(n, _, _)| *n == f.column) else {
            return false;
        };
        // A column the record does not carry (a DELETE's old record holds the replica
        // identity only) fails the filter, whatever the operator.
        if !record.contains_key(&f.column) {
            return false;
        }
        // `is` compares with a keyword, not with the value as a parameter.
        if f.op != "is" {
            params.push(&f.value);
        }
        let value = format!("${}", params.len());
        let test = f.sql(&format!("r.{}", ident(&f.column)), &value, sql_type);
        tests.push(format!("coalesce(({test}), false)"));
    }
    let sql = format!(
        "select {} from jsonb_populate_record(null::{relation}, $1::text::jsonb) r",
        tests.join(" and ")
    );
    let Ok(conn) = db.get().await else {
        return false;
    };
    conn.query_one(&sql, &params)
        .await
        .is_ok_and(|row| row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_is_read_as_realtime_reads_it() {
        let read = |v: Value, table: Option<&str>| parse_select(Some(&v), "public", table);
        assert_eq!(
            read(json!(["a", 1, "b"]), Some("t")),
            Ok(Some(vec!["a".to_owned(), "b".to_owned()]))
        );
        assert_eq!(read(json!([]), None), Ok(None), "no columns: all, anywhere");
        assert_eq!(read(json!({"a": 1}), Some("t")), Ok(None), "ignored");
        assert!(
            read(json!("a,b"), Some("t"))
                .unwrap_err()
                .contains("list of column name")
        );
        assert!(read(json!(["a"]), None).unwrap_err().contains("wildcard"));
        assert_eq!(parse_select(None, "public", Some("t")), Ok(None));
        let (bindings, _) = bindings(&[json!({"event": "*", "schema": "public", "table": "t",
                                              "select": ["a", "b"]})]);
        assert!(bindings[0].log_params().ends_with(r#"select: ["a", "b"]"#));
        assert!(bindings[0].shows("id", &["id".to_owned()]));
        assert!(!bindings[0].shows("c", &["id".to_owned()]));

        // `apply_rls` groups by selection, in any order: one message per group.
        let binding = |select: Value| json!({"schema": "public", "table": "t", "select": select});
        let (bindings, _) = super::bindings(&[
            binding(json!(["a", "b"])),
            binding(json!(null)),
            binding(json!(["b", "a"])),
            binding(json!([])),
        ]);
        let groups: Vec<Vec<u32>> = by_selection(bindings.iter())
            .into_iter()
            .map(|(ids, _)| ids)
            .collect();
        let id = |i: usize| bindings[i].id;
        assert_eq!(groups, [vec![id(0), id(2)], vec![id(1), id(3)]]);
    }

    fn clauses(text: &str) -> Vec<(String, &'static str, String, bool)> {
        parse_filters(text)
            .unwrap()
            .into_iter()
            .map(|f| (f.column, f.op, f.value, f.negate))
            .collect()
    }

    #[test]
    fn filters_parse_as_realtime_does() {
        let c = |column: &str, op, value: &str, negate| {
            (column.to_owned(), op, value.to_owned(), negate)
        };
        assert_eq!(clauses("id=eq.200"), [c("id", "eq", "200", false)]);
        assert_eq!(clauses("name=in.(a,b)"), [c("name", "in", "{a,b}", false)]);
        assert_eq!(
            clauses(r#" id=gt.1, name=not.in.("a,b",c) ,note=eq."x, \"y\"""#),
            [
                c("id", "gt", "1", false),
                c("name", "in", r#"{"a,b",c}"#, true),
                c("note", "eq", r#"x, "y""#, false),
            ]
        );
        assert_eq!(clauses("x=like.a%"), [c("x", "like", "a%", false)]);
        assert_eq!(
            clauses(r#"x=eq."ab"cd"#),
            [c("x", "eq", r#""ab"cd"#, false)]
        );
        assert!(clauses("  ").is_empty());
        assert_eq!(
            parse_filters("id=eq.1,,id=eq.2").unwrap_err(),
            "filter must not contain empty segments (check for extra commas)"
        );
        assert_eq!(parse_filters("x=foo.1").unwrap_err(), r#"["foo", "1"]"#);
        assert_eq!(parse_filters("nonsense").unwrap_err(), r#"["nonsense"]"#);
        assert_eq!(parse_filters("x=eq").unwrap_err(), r#"["eq"]"#);
        let (b, echo) = bindings(&[json!({"event": "*", "schema": "public", "table": "t"})]);
        assert_eq!(echo[0]["id"], json!(b[0].id));
        assert_eq!(echo[0]["table"], "t");
    }
}
