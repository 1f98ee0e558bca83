//! Postgres changes: what to listen to ([`PostgresChanges`] untyped, [`TableChanges<T>`]
//! typed) and what arrives ([`PostgresChangesPayload`], [`PostgresChange<T>`]).
//!
//! The server sends `{"ids": [..], "data": {"schema", "table", "commit_timestamp", "type",
//! "record", "old_record", "columns", "errors"}}` (supabase/realtime, WALRUS `apply_rls`);
//! listeners get realtime-js's shape (`RealtimeChannel.ts` `_getPayloadRecords`): `eventType`,
//! `new`, `old`.

use std::marker::PhantomData;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::RealtimeError;
use crate::table::{Column, ColumnOf, Ordered, Table, ValueOf};
use crate::typed::Filter;

/// The event of change messages, and the extension named in the server's `system` messages
/// about the subscription.
pub(crate) const POSTGRES_CHANGES: &str = "postgres_changes";

/// Which changes: `*` (all), `INSERT`, `UPDATE` or `DELETE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostgresChangeEvent {
    /// `*`: every change.
    All,
    /// `INSERT`.
    Insert,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
}

impl PostgresChangeEvent {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PostgresChangeEvent::All => "*",
            PostgresChangeEvent::Insert => "INSERT",
            PostgresChangeEvent::Update => "UPDATE",
            PostgresChangeEvent::Delete => "DELETE",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "*" => PostgresChangeEvent::All,
            "INSERT" => PostgresChangeEvent::Insert,
            "UPDATE" => PostgresChangeEvent::Update,
            "DELETE" => PostgresChangeEvent::Delete,
            _ => return None,
        })
    }
}

/// The reference's spelling: `"*"`, `"INSERT"`, `"UPDATE"` or `"DELETE"`.
impl std::str::FromStr for PostgresChangeEvent {
    type Err = RealtimeError;

    fn from_str(s: &str) -> Result<Self, RealtimeError> {
        PostgresChangeEvent::parse(s).ok_or_else(|| {
            RealtimeError::Filter(format!(
                "unknown postgres changes event `{s}`: *, INSERT, UPDATE or DELETE"
            ))
        })
    }
}

/// One binding of the join's `config.postgres_changes`.
#[derive(Debug, Clone, PartialEq)]
#[doc(hidden)]
pub struct ChangeParams {
    event: PostgresChangeEvent,
    schema: String,
    table: Option<String>,
    filter: Option<String>,
}

impl ChangeParams {
    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({"event": self.event.as_str(), "schema": self.schema});
        if let Some(t) = &self.table {
            v["table"] = json!(t);
        }
        if let Some(f) = &self.filter {
            v["filter"] = json!(f);
        }
        v
    }

    /// Whether the server's echo of a binding is this binding.
    pub(crate) fn matches(&self, server: &Value) -> bool {
        server["event"].as_str() == Some(self.event.as_str())
            && server["schema"].as_str() == Some(self.schema.as_str())
            && server["table"].as_str() == self.table.as_deref()
            && server["filter"].as_str() == self.filter.as_deref()
    }
}

/// What a postgres-changes listener listens to, and how it sees the changes: implemented by
/// [`PostgresChanges`] (JSON rows) and [`TableChanges<T>`] (rows decoded into `T`).
pub trait Changes: Send + 'static {
    /// What the listener receives for each change.
    type Event: Send + 'static;
    #[doc(hidden)]
    fn params(&self, event: PostgresChangeEvent) -> Result<ChangeParams, RealtimeError>;
    #[doc(hidden)]
    fn decode(raw: &RawChange) -> Self::Event;
}

/// Untyped postgres changes: a schema (`"*"` for all), optionally a table and a filter in
/// Realtime's syntax (`"id=eq.200"`), as `on_postgres_changes(event, schema=…, table=…,
/// filter=…)` in the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PostgresChanges {
    schema: String,
    table: Option<String>,
    filter: Option<String>,
}

impl PostgresChanges {
    /// Changes in `schema` (`"*"`: every schema).
    pub fn schema(schema: impl Into<String>) -> Self {
        PostgresChanges {
            schema: schema.into(),
            table: None,
            filter: None,
        }
    }

    /// Only changes of `table`.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = Some(table.into());
        self
    }

    /// Only rows matching `filter`: `column=op.value` with `eq`, `neq`, `lt`, `lte`, `gt`,
    /// `gte` or `in` (`id=in.(1,2,3)`).
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }
}

impl Changes for PostgresChanges {
    type Event = PostgresChangesPayload;

    fn params(&self, event: PostgresChangeEvent) -> Result<ChangeParams, RealtimeError> {
        Ok(ChangeParams {
            event,
            schema: self.schema.clone(),
            table: self.table.clone(),
            filter: self.filter.clone(),
        })
    }

    fn decode(raw: &RawChange) -> PostgresChangesPayload {
        raw.payload.clone()
    }
}

/// A column of a change: its name and Postgres type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ColumnInfo {
    /// Column name.
    pub name: String,
    /// Postgres type name (`int8`, `text`, …).
    #[serde(rename = "type")]
    pub type_: String,
}

/// An untyped change, as realtime-js hands it to listeners.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresChangesPayload {
    /// Schema of the table.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// When the transaction committed (ISO 8601).
    pub commit_timestamp: String,
    /// `INSERT`, `UPDATE` or `DELETE` (`eventType`).
    pub event_type: PostgresChangeEvent,
    /// The new row (`{}` for deletes).
    pub new: Value,
    /// The old row's replica identity: the primary key, or the whole row under `REPLICA
    /// IDENTITY FULL` (but only the key for a DELETE on an RLS table); `{}` for inserts.
    pub old: Value,
    /// The table's columns the subscriber's role may select (rows show only those).
    pub columns: Vec<ColumnInfo>,
    /// Errors the server reported instead of the change, if any: `["Error 401:
    /// Unauthorized"]` when the role may not read the table's key, `["Error 400: Bad Request,
    /// no primary key"]`, or a payload too large. The records are then empty.
    pub errors: Option<Value>,
}

/// A change whose rows are decoded into `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct PostgresChange<T> {
    /// `INSERT`, `UPDATE` or `DELETE`.
    pub event_type: PostgresChangeEvent,
    /// Schema of the table.
    pub schema: String,
    /// Table name.
    pub table: String,
    /// When the transaction committed (ISO 8601).
    pub commit_timestamp: String,
    /// The new row, for inserts and updates.
    pub new: Option<T>,
    /// The old row when the server sent all of it (`REPLICA IDENTITY FULL`; for a DELETE,
    /// only without RLS).
    pub old: Option<T>,
    /// The old record as sent: usually only the primary key.
    pub old_record: Map<String, Value>,
    /// Errors the server reported for this change, if any.
    pub errors: Option<Value>,
}

/// A `postgres_changes` message: the ids of the bindings it is for, and the change.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct RawChange {
    pub(crate) ids: Vec<u64>,
    pub(crate) payload: PostgresChangesPayload,
}

impl RawChange {
    pub(crate) fn parse(message: &Value) -> Option<RawChange> {
        let ids = message["ids"]
            .as_array()?
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let data = message.get("data")?;
        let event_type = data["type"]
            .as_str()
            .or_else(|| data["eventType"].as_str())
            .and_then(PostgresChangeEvent::parse)?;
        let record = |key: &str| match data.get(key) {
            Some(v @ Value::Object(_)) => v.clone(),
            _ => Value::Object(Map::new()),
        };
        Some(RawChange {
            ids,
            payload: PostgresChangesPayload {
                schema: data["schema"].as_str()?.to_owned(),
                table: data["table"].as_str()?.to_owned(),
                commit_timestamp: data["commit_timestamp"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                event_type,
                new: record("record"),
                old: record("old_record"),
                columns: serde_json::from_value(data["columns"].clone()).unwrap_or_default(),
                errors: match &data["errors"] {
                    Value::Null => None,
                    other => Some(other.clone()),
                },
            },
        })
    }
}

/// Typed postgres changes of table `T` (a `#[derive(Table)]` struct), with at most one
/// filter on one of its columns, as Realtime allows: `TableChanges::<Planet>::new()
/// .eq(planet::id, 3)`, or `.filter(planet::id.eq(3))`.
#[must_use]
pub struct TableChanges<T> {
    filter: Option<Result<String, RealtimeError>>,
    _table: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for TableChanges<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableChanges")
            .field("filter", &self.filter)
            .finish()
    }
}

impl<T: Table> Default for TableChanges<T> {
    fn default() -> Self {
        TableChanges::new()
    }
}

impl<T: Table> TableChanges<T> {
    /// Every change of `T`'s table.
    pub fn new() -> Self {
        TableChanges {
            filter: None,
            _table: PhantomData,
        }
    }

    fn with(self, column: &str, op: &str, value: Result<String, RealtimeError>) -> Self {
        self.with_filter(value.map(|v| format!("{column}={op}.{v}")))
    }

    fn with_filter(mut self, rendered: Result<String, RealtimeError>) -> Self {
        self.filter = Some(match self.filter {
            None => rendered,
            Some(_) => Err(RealtimeError::Filter(
                "Realtime takes one filter per listener".into(),
            )),
        });
        self
    }

    /// A typed filter made on a column, as queries take it
    /// (`TableChanges::<Todo>::new().filter(todo::priority.gt(5))`): one `eq`, `neq`, `lt`,
    /// `lte`, `gt` or `gte` comparison, as Realtime allows; anything else (a JSON path, `or`,
    /// `not`, `like`, ...) is an error at `subscribe`. The same as [`gt`](Self::gt) and its
    /// siblings.
    pub fn filter(self, filter: Filter<T>) -> Self {
        let condition = filter.into_condition();
        // (The typed API has no NULL operand to compare with; an array or JSON value is sent
        // in Postgres's text form, which Realtime casts to the column's type.)
        let rendered = match condition.comparison() {
            Ok((column, op, operand)) => {
                filter_value(operand.to_owned()).map(|v| format!("{column}={op}.{v}"))
            }
            Err(e) => Err(RealtimeError::Filter(e)),
        };
        self.with_filter(rendered)
    }

    /// Rows where `column = value`.
    pub fn eq<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self {
        let _ = column;
        self.with(C::NAME, "eq", scalar(&value))
    }

    /// Rows where `column <> value`.
    pub fn neq<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self {
        let _ = column;
        self.with(C::NAME, "neq", scalar(&value))
    }

    /// Rows where `column < value`.
    pub fn lt<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Value: Ordered,
    {
        let _ = column;
        self.with(C::NAME, "lt", scalar(&value))
    }

    /// Rows where `column <= value`.
    pub fn lte<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Value: Ordered,
    {
        let _ = column;
        self.with(C::NAME, "lte", scalar(&value))
    }

    /// Rows where `column > value`.
    pub fn gt<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Value: Ordered,
    {
        let _ = column;
        self.with(C::NAME, "gt", scalar(&value))
    }

    /// Rows where `column >= value`.
    pub fn gte<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Value: Ordered,
    {
        let _ = column;
        self.with(C::NAME, "gte", scalar(&value))
    }

    /// Rows where `column` is one of `values` (`in.(a,b)`). Realtime splits the list on commas,
    /// so a text value containing `,`, `(`, `)`, `"` or a backslash is rejected.
    #[doc(alias = "in")]
    pub fn in_<C, I>(self, column: C, values: I) -> Self
    where
        C: ColumnOf<T>,
        I: IntoIterator,
        I::Item: ValueOf<C::Value>,
    {
        let _ = column;
        let rendered: Result<Vec<String>, RealtimeError> = values
            .into_iter()
            .map(|v| {
                let s = scalar(&v)?;
                if s.contains([',', '(', ')', '"', '\\']) {
                    return Err(RealtimeError::Filter(format!(
                        "`{s}` cannot be written in a Realtime `in` list"
                    )));
                }
                Ok(s)
            })
            .collect();
        self.with(
            <C as Column>::NAME,
            "in",
            rendered.map(|v| format!("({})", v.join(","))),
        )
    }
}

/// The text of a filter value: strings as they are, numbers and booleans as JSON writes them.
fn scalar<V: serde::Serialize>(value: &V) -> Result<String, RealtimeError> {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => filter_value(s),
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
        Ok(Value::Null) => Err(RealtimeError::Filter(
            "Realtime filters cannot compare with NULL".into(),
        )),
        Ok(other) => Err(RealtimeError::Filter(format!(
            "`{other}` is not a scalar value"
        ))),
        Err(e) => Err(RealtimeError::Filter(e.to_string())),
    }
}

/// A value Realtime reads back as it was written. Current Realtime takes several filters
/// separated by commas (outside quotes), trims them and unquotes a value wholly in double
/// quotes, where older servers took the text after `op.` as it is: no one form carries a
/// comma, edge spaces or surrounding quotes to both, so they are refused.
fn filter_value(value: String) -> Result<String, RealtimeError> {
    if value.contains(',') || value.starts_with('"') || value.trim() != value {
        return Err(RealtimeError::Filter(format!(
            "`{value}` cannot be a Realtime filter value (commas, edge spaces and leading quotes \
             do not survive Realtime's filter parser)"
        )));
    }
    Ok(value)
}

impl<T: Table> Changes for TableChanges<T> {
    type Event = Result<PostgresChange<T>, RealtimeError>;

    fn params(&self, event: PostgresChangeEvent) -> Result<ChangeParams, RealtimeError> {
        Ok(ChangeParams {
            event,
            schema: T::SCHEMA.into(),
            table: Some(T::NAME.into()),
            filter: self.filter.clone().transpose()?,
        })
    }

    fn decode(raw: &RawChange) -> Self::Event {
        let p = &raw.payload;
        let decode = |v: &Value| {
            serde_path_to_error::deserialize::<_, T>(v).map_err(|e| RealtimeError::Decode {
                ty: std::any::type_name::<T>(),
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })
        };
        let new = match p.event_type {
            PostgresChangeEvent::Delete => None,
            _ => Some(decode(&p.new)?),
        };
        Ok(PostgresChange {
            event_type: p.event_type,
            schema: p.schema.clone(),
            table: p.table.clone(),
            commit_timestamp: p.commit_timestamp.clone(),
            new,
            old: decode(&p.old).ok(),
            old_record: p.old.as_object().cloned().unwrap_or_default(),
            errors: p.errors.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_server_payload() {
        let raw = RawChange::parse(&json!({
            "ids": [5, 9],
            "data": {"schema": "public", "table": "t", "commit_timestamp": "2024-01-01T00:00:00Z",
                     "type": "UPDATE", "record": {"id": 1}, "old_record": {"id": 1},
                     "columns": [{"name": "id", "type": "int8"}], "errors": null}
        }))
        .unwrap();
        assert_eq!(raw.ids, [5, 9]);
        assert_eq!(raw.payload.event_type, PostgresChangeEvent::Update);
        assert_eq!(raw.payload.new, json!({"id": 1}));
        assert_eq!(raw.payload.columns[0].type_, "int8");
        assert!(raw.payload.errors.is_none());
        for bad in [
            json!({}),
            json!({"ids": [1]}),
            json!({"ids": [1], "data": {"type": "NOPE"}}),
        ] {
            assert!(RawChange::parse(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn events_parse_from_the_references_strings() {
        for event in [
            PostgresChangeEvent::All,
            PostgresChangeEvent::Insert,
            PostgresChangeEvent::Update,
            PostgresChangeEvent::Delete,
        ] {
            assert_eq!(event.as_str().parse::<PostgresChangeEvent>(), Ok(event));
        }
        assert!("insert".parse::<PostgresChangeEvent>().is_err());
    }

    #[test]
    fn params_echo_matching() {
        let p = PostgresChanges::schema("public")
            .table("t")
            .params(PostgresChangeEvent::All)
            .unwrap();
        assert_eq!(
            p.to_json(),
            json!({"event": "*", "schema": "public", "table": "t"})
        );
        assert!(p.matches(&json!({"id": 1, "event": "*", "schema": "public", "table": "t"})));
        assert!(!p.matches(
            &json!({"id": 1, "event": "*", "schema": "public", "table": "t", "filter": "id=eq.1"})
        ));
    }
}
