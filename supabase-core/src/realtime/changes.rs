//! Postgres changes: what to listen to ([`PostgresChanges`] untyped, [`TableChanges<T>`]
//! typed) and what arrives ([`PostgresChangesPayload`], [`PostgresChange<T>`]).
//!
//! The server sends `{"ids": [..], "data": {"schema", "table", "commit_timestamp", "type",
//! "record", "old_record", "columns", "errors"}}` (supabase/realtime, WALRUS `apply_rls`);
//! listeners get realtime-js's shape (`RealtimeChannel.ts` `_getPayloadRecords`): `eventType`,
//! `new`, `old`.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::error::RealtimeError;
use crate::postgrest::Condition;
use crate::select::Select;
use crate::table::{ColumnOf, Ordered, Table, ValueOf};
use crate::typed::{ColumnExt as _, Filter};

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
    select: Option<Vec<String>>,
}

impl ChangeParams {
    /// The filter as sent.
    pub fn filter(&self) -> Option<&str> {
        self.filter.as_deref()
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({"event": self.event.as_str(), "schema": self.schema});
        if let Some(t) = &self.table {
            v["table"] = json!(t);
        }
        if let Some(f) = &self.filter {
            v["filter"] = json!(f);
        }
        if let Some(columns) = &self.select {
            v["select"] = json!(columns);
        }
        v
    }

    /// Whether the server's echo of a binding is this binding (its `select` aside, as
    /// realtime-js `_updatePostgresBindings` compares them).
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
    filter: Clauses,
    select: Option<Vec<String>>,
}

impl PostgresChanges {
    /// Changes in `schema` (`"*"`: every schema).
    pub fn schema(schema: impl Into<String>) -> Self {
        PostgresChanges {
            schema: schema.into(),
            table: None,
            filter: Clauses::default(),
            select: None,
        }
    }

    /// Only changes of `table`.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = Some(table.into());
        self
    }

    /// Only rows matching `filter`, written in Realtime's syntax and sent as it is:
    /// `column=op.value` clauses separated by commas, all of which must hold, each
    /// `column=not.op.value` when negated. The operators are `eq`, `neq`, `lt`, `lte`, `gt`,
    /// `gte`, `in` (`id=in.(1,2,3)`), `like`, `ilike`, `match`, `imatch`, `is` (`null`,
    /// `true`, `false`, `unknown`) and `isdistinct`; a value with commas, parentheses, quotes
    /// or edge spaces goes in double quotes. Older Realtime servers take one clause of `eq` …
    /// `gte` or `in`. [`where_`](Self::where_) writes the syntax from a [`Condition`]. Called
    /// again (or with `where_`), the filters add up: all must hold. A blank filter is none.
    pub fn filter(mut self, filter: impl Into<String>) -> Self {
        self.filter.0.push(Ok(filter.into()));
        self
    }

    /// Only rows matching `condition`, written in Realtime's syntax with every value quoted
    /// where it needs to be (what supabase-js's `postgresChangesFilter()` builds):
    /// `Condition::and([Condition::new("id", Op::Gt, 5), !Condition::is("note", "null")])` is
    /// `id=gt.5,note=not.is.null`. Realtime has no `or` nor the operators beyond those of
    /// [`filter`](Self::filter): those are an error at `subscribe`. Adds to any filter given.
    pub fn where_(mut self, condition: Condition) -> Self {
        self.filter.push_condition(&condition);
        self
    }

    /// Only these columns in the change's `new`, `old` and `columns`, with the primary key
    /// always added (Realtime's `select`, supabase-js 2.109's `select: [..]`); filters may
    /// still test any column. Needs a schema and a table, not `*`: the server refuses the
    /// subscription otherwise, as it does a column the role may not read. Realtime servers
    /// before mid-2026 ignore it and send every column. An empty list selects all.
    pub fn select<I>(mut self, columns: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.select = Some(columns.into_iter().map(Into::into).collect());
        self
    }
}

/// A filter's clauses, all of which must hold: each rendered in Realtime's syntax, or why it
/// cannot be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Clauses(Vec<Result<String, RealtimeError>>);

impl Clauses {
    fn push_condition(&mut self, condition: &Condition) {
        match condition.conjuncts() {
            Ok(conjuncts) => {
                for c in conjuncts {
                    let operand = if c.plain {
                        quote_scalar(c.operand)
                    } else {
                        // An `in` list, quoted as an array literal's inside, or an `is` keyword.
                        Cow::Borrowed(c.operand)
                    };
                    self.0
                        .push(Ok(clause(&c.column, c.negated, c.op, &operand)));
                }
            }
            Err(e) => self.0.push(Err(RealtimeError::Filter(e))),
        }
    }

    /// The clauses joined with commas (`None` without any: Realtime reads a blank filter as
    /// none, and a blank clause beside others as an error), or the first error.
    fn text(&self) -> Result<Option<String>, RealtimeError> {
        let mut clauses = Vec::with_capacity(self.0.len());
        for clause in &self.0 {
            match clause {
                Ok(text) if text.trim().is_empty() => {}
                Ok(text) => clauses.push(text.as_str()),
                Err(e) => return Err(e.clone()),
            }
        }
        Ok((!clauses.is_empty()).then(|| clauses.join(",")))
    }
}

impl Changes for PostgresChanges {
    type Event = PostgresChangesPayload;

    fn params(&self, event: PostgresChangeEvent) -> Result<ChangeParams, RealtimeError> {
        Ok(ChangeParams {
            event,
            schema: self.schema.clone(),
            table: self.table.clone(),
            filter: self.filter.text()?,
            select: self.select.clone(),
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
    /// The new row, for inserts and updates; `None` when the server reported `errors` instead
    /// of a row that decodes.
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
    /// `record` and `old_record` as the server wrote them (`{}` where absent), which typed rows
    /// are decoded from: every digit of a number survives, which `payload`'s `f64` would round.
    new_text: Box<RawValue>,
    old_text: Box<RawValue>,
}

/// The records of a `postgres_changes` payload, borrowed from its text.
#[derive(Deserialize)]
struct RecordsText<'a> {
    #[serde(borrow)]
    data: DataText<'a>,
}

#[derive(Deserialize)]
struct DataText<'a> {
    #[serde(borrow, default)]
    record: Option<&'a RawValue>,
    #[serde(borrow, default)]
    old_record: Option<&'a RawValue>,
}

impl RawChange {
    /// The text of the new and the old record, as typed listeners decode them.
    pub(crate) fn record_texts(&self) -> (&str, &str) {
        (self.new_text.get(), self.old_text.get())
    }

    /// Reads the message from its `payload`; `text`, the payload as it came (see
    /// `Message::raw_payload`), gives the records' exact text.
    pub(crate) fn parse(message: &Value, text: Option<&str>) -> Option<RawChange> {
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
        let texts = text.and_then(|t| serde_json::from_str::<RecordsText<'_>>(t).ok());
        // The text of a record that is an object; `{}` otherwise, as `record` makes it.
        let record_text = |raw: Option<&RawValue>| -> Box<RawValue> {
            match raw {
                Some(raw) if raw.get().starts_with('{') => raw.to_owned(),
                _ => RawValue::from_string("{}".into()).expect("`{}` is JSON"),
            }
        };
        let new = record("record");
        let old = record("old_record");
        // Without the frame's text (never, from a socket), the records' `Value`s are the text.
        let (new_text, old_text) = match texts {
            Some(t) => (record_text(t.data.record), record_text(t.data.old_record)),
            None => (
                serde_json::value::to_raw_value(&new).ok()?,
                serde_json::value::to_raw_value(&old).ok()?,
            ),
        };
        Some(RawChange {
            ids,
            new_text,
            old_text,
            payload: PostgresChangesPayload {
                schema: data["schema"].as_str()?.to_owned(),
                table: data["table"].as_str()?.to_owned(),
                commit_timestamp: data["commit_timestamp"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                event_type,
                new,
                old,
                columns: serde_json::from_value(data["columns"].clone()).unwrap_or_default(),
                errors: match &data["errors"] {
                    Value::Null => None,
                    other => Some(other.clone()),
                },
            },
        })
    }
}

/// Typed postgres changes of table `T` (a `#[derive(Table)]` struct), filtered on its columns
/// with the typed filters queries take: `TableChanges::<Todo>::new().eq(todo::id, 3)`, or
/// `.filter(todo::priority.gt(5).and(todo::title.like("%urgent%")))`. Several filters must all
/// hold, as Realtime ANDs a filter's clauses.
///
/// Rows decode into `R`: `T` itself, or with [`select_as`](Self::select_as) a projection of
/// some of `T`'s columns, which the server then sends alone.
#[must_use]
pub struct TableChanges<T, R = T> {
    clauses: Clauses,
    /// The columns of `R`, sent as `select` (`None`: every column, as for `T`).
    select: Option<Result<Vec<String>, RealtimeError>>,
    _table: PhantomData<fn() -> (T, R)>,
}

impl<T, R> std::fmt::Debug for TableChanges<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableChanges")
            .field("clauses", &self.clauses)
            .field("select", &self.select)
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
            clauses: Clauses::default(),
            select: None,
            _table: PhantomData,
        }
    }

    /// Only the columns of `S` (a `#[derive(Select)]` projection of `T`) in each change, with
    /// the primary key, which Realtime always adds: rows decode into `S`
    /// (Realtime's `select`, supabase-js 2.109's `select: [..]`). Filters may still test any
    /// column of `T`. `S` must list plain columns under their own names: an alias, a cast, a
    /// JSON path or an embedding is an error at `subscribe`. The rows carry the primary key
    /// whether `S` lists it or not, and Realtime servers before mid-2026 ignore `select` and
    /// send every column: an `S` with `#[serde(deny_unknown_fields)]` fails to decode those.
    pub fn select_as<S: Select<From = T>>(self) -> TableChanges<T, S> {
        TableChanges {
            clauses: self.clauses,
            select: Some(plain_columns(&S::select())),
            _table: PhantomData,
        }
    }
}

impl<T: Table, R> TableChanges<T, R> {
    /// Only changes whose row passes `filter`, a typed filter made on a column as queries take
    /// it: `eq`, `neq`, `lt`, `lte`, `gt`, `gte`, `in_`, `like`, `ilike`, `match_`, `imatch`,
    /// `is_distinct`, `is_null` / `is_not_null`, `is_`, each negated with `!`, and `and` of
    /// them (Realtime's clauses, all of which must hold). Realtime has no `or`, no JSON paths
    /// and none of the other operators: those are an error at `subscribe`. Needs a Realtime
    /// that takes several clauses and `not.` (2026 and later, as supabase-js 2.109's
    /// `postgresChangesFilter`); older servers take one `eq` … `gte` or `in` clause.
    pub fn filter(mut self, filter: Filter<T>) -> Self {
        self.clauses.push_condition(&filter.into_condition());
        self
    }

    /// Rows where `column = value`: the same as `.filter(column.eq(value))`.
    pub fn eq<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self {
        self.filter(column.eq(value))
    }

    /// Rows where `column <> value`.
    pub fn neq<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self {
        self.filter(column.neq(value))
    }

    /// Rows where `column < value`.
    pub fn lt<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Kind: Ordered,
    {
        self.filter(column.lt(value))
    }

    /// Rows where `column <= value`.
    pub fn lte<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Kind: Ordered,
    {
        self.filter(column.lte(value))
    }

    /// Rows where `column > value`.
    pub fn gt<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Kind: Ordered,
    {
        self.filter(column.gt(value))
    }

    /// Rows where `column >= value`.
    pub fn gte<C: ColumnOf<T>, V: ValueOf<C::Value>>(self, column: C, value: V) -> Self
    where
        C::Kind: Ordered,
    {
        self.filter(column.gte(value))
    }

    /// Rows where `column` is one of `values` (`in.(a,b)`, at most 100 values). Any text
    /// survives: the list is quoted as a Postgres array literal, which Realtime makes of it.
    #[doc(alias = "in")]
    pub fn in_<C, I>(self, column: C, values: I) -> Self
    where
        C: ColumnOf<T>,
        I: IntoIterator,
        I::Item: ValueOf<C::Value>,
    {
        self.filter(column.in_(values))
    }
}

/// `column=[not.]op.operand`, a clause of Realtime's filter syntax.
fn clause(column: &str, negated: bool, op: &str, operand: &str) -> String {
    let not = if negated { "not." } else { "" };
    format!("{column}={not}{op}.{operand}")
}

/// A scalar value as Realtime reads it back: in double quotes (`"` and `\` escaped) when it
/// has a comma, a parenthesis, a quote, a backslash or edge whitespace, which Realtime's
/// parser would otherwise split or trim; as it is otherwise (supabase-js
/// `RealtimePostgresFilterBuilder`, `subscriptions.ex` `unquote`).
fn quote_scalar(value: &str) -> Cow<'_, str> {
    if value.contains([',', '(', ')', '"', '\\']) || value.trim() != value {
        let mut out = String::new();
        crate::postgrest::encode::write_quoted_str(&mut out, value);
        Cow::Owned(out)
    } else {
        Cow::Borrowed(value)
    }
}

/// The plain columns of a select list (PostgREST's syntax, as `Select` writes it), for
/// Realtime's `select`: a name bare or in double quotes (`\` escaping the next character); an
/// alias, a cast, a JSON path, an embedding or a count has no counterpart there.
fn plain_columns(select: &str) -> Result<Vec<String>, RealtimeError> {
    let refuse = |item: &str| {
        RealtimeError::Filter(format!(
            "Realtime's select takes plain columns, and `{item}` is not one (in `{select}`)"
        ))
    };
    let mut columns = Vec::new();
    let mut rest = select;
    loop {
        let (column, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                let mut name = String::new();
                let mut chars = quoted.char_indices();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => match chars.next() {
                            Some((_, escaped)) => name.push(escaped),
                            None => break,
                        },
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        c => name.push(c),
                    }
                }
                match end {
                    Some(end) if !name.is_empty() => (name, &quoted[end..]),
                    _ => return Err(refuse(rest)),
                }
            }
            None => {
                let item = &rest[..rest.find(',').unwrap_or(rest.len())];
                let plain = !item.is_empty()
                    && item
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
                if !plain {
                    return Err(refuse(item));
                }
                (item.to_owned(), &rest[item.len()..])
            }
        };
        columns.push(column);
        match after.strip_prefix(',') {
            Some(next) => rest = next,
            None if after.is_empty() => return Ok(columns),
            None => return Err(refuse(after)),
        }
    }
}

impl<T: Table, R: DeserializeOwned + Send + 'static> Changes for TableChanges<T, R> {
    type Event = Result<PostgresChange<R>, RealtimeError>;

    fn params(&self, event: PostgresChangeEvent) -> Result<ChangeParams, RealtimeError> {
        Ok(ChangeParams {
            event,
            schema: T::SCHEMA.into(),
            table: Some(T::NAME.into()),
            filter: self.clauses.text()?,
            select: self.select.clone().transpose()?,
        })
    }

    fn decode(raw: &RawChange) -> Self::Event {
        let p = &raw.payload;
        let decode = |text: &RawValue| {
            let mut de = serde_json::Deserializer::from_str(text.get());
            serde_path_to_error::deserialize::<_, R>(&mut de).map_err(|e| RealtimeError::Decode {
                ty: std::any::type_name::<R>(),
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })
        };
        // With errors (`Error 401: Unauthorized`, `Error 400: Bad Request, no primary key`)
        // Realtime sends no row, or not all of it (`Error 413`): the change is still delivered
        // with its errors, and `new` is the row only if it decodes.
        let new = match p.event_type {
            PostgresChangeEvent::Delete => None,
            _ if p.errors.as_ref().is_some_and(|e| !e.is_null()) => decode(&raw.new_text).ok(),
            _ => Some(decode(&raw.new_text)?),
        };
        Ok(PostgresChange {
            event_type: p.event_type,
            schema: p.schema.clone(),
            table: p.table.clone(),
            commit_timestamp: p.commit_timestamp.clone(),
            new,
            old: decode(&raw.old_text).ok(),
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
        let raw = RawChange::parse(
            &json!({
                "ids": [5, 9],
                "data": {"schema": "public", "table": "t",
                         "commit_timestamp": "2024-01-01T00:00:00Z", "type": "UPDATE",
                         "record": {"id": 1}, "old_record": {"id": 1},
                         "columns": [{"name": "id", "type": "int8"}], "errors": null}
            }),
            None,
        )
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
            assert!(RawChange::parse(&bad, None).is_none(), "{bad}");
        }
    }

    #[test]
    fn records_keep_the_text_the_server_wrote() {
        // 20 significant digits: an `f64` keeps 17.
        let text = r#"{"ids": [1], "data": {"schema": "public", "table": "t", "type": "UPDATE",
            "record": {"id": 1, "n": 1234567890.1234567891}, "old_record": "nope"}}"#;
        let payload: Value = serde_json::from_str(text).unwrap();
        let raw = RawChange::parse(&payload, Some(text)).unwrap();
        assert_eq!(
            raw.new_text.get(),
            r#"{"id": 1, "n": 1234567890.1234567891}"#
        );
        assert_eq!(
            raw.old_text.get(),
            "{}",
            "a record that is not an object is empty"
        );
        assert_ne!(raw.payload.new["n"].to_string(), "1234567890.1234567891");
        // Without the text, the records are the payload's.
        let raw = RawChange::parse(&payload, None).unwrap();
        assert_eq!(raw.new_text.get(), raw.payload.new.to_string());
    }

    #[test]
    fn select_lists_are_plain_columns() {
        // Names as `Select` writes them: quoted when not plain, `\` and `"` escaped.
        assert_eq!(
            plain_columns(r#"id,label,"odd name","a,b","back\\slash","say \"hi\"""#).unwrap(),
            [
                "id",
                "label",
                "odd name",
                "a,b",
                r"back\slash",
                r#"say "hi""#
            ]
        );
        for bad in [
            "title:label",
            "a,b::text",
            "a->b",
            "rel(id)",
            "a,",
            "*",
            r#""a"b"#,
            r#""open"#,
            r#""""#,
            r#""a"::text"#,
        ] {
            assert!(plain_columns(bad).is_err(), "{bad}");
        }
        // A typed projection sends its columns; a table, none.
        #[derive(crate::Table, Deserialize)]
        #[supabase(table = "t")]
        #[allow(dead_code)] // only the columns are read
        struct T {
            #[supabase(primary_key)]
            id: i64,
            label: String,
        }
        #[derive(crate::Select, Deserialize)]
        #[supabase(from = T)]
        #[allow(dead_code)]
        struct Label {
            label: String,
        }
        let p = TableChanges::<T>::new()
            .select_as::<Label>()
            .params(PostgresChangeEvent::All)
            .unwrap();
        assert_eq!(p.to_json()["select"], json!(["label"]));
        let p = TableChanges::<T>::new()
            .params(PostgresChangeEvent::All)
            .unwrap();
        assert_eq!(p.to_json().get("select"), None);
        let p = PostgresChanges::schema("public")
            .table("t")
            .select(["a", "b"])
            .params(PostgresChangeEvent::Insert)
            .unwrap();
        assert_eq!(p.to_json()["select"], json!(["a", "b"]));
        // The server echoes `select` as it was sent; matching does not read it.
        assert!(p.matches(&json!({"event": "INSERT", "schema": "public", "table": "t"})));
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
