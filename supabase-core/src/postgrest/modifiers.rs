//! Modifiers: ordering, paging, the shape of the response (one row, CSV, GeoJSON, a query plan)
//! and options of writes. They come after the filters.

use std::borrow::Cow;
use std::time::Duration;

use http::{HeaderName, HeaderValue};

use super::builder::Builder;
use super::request::{Cardinality, Format, Verb};
use crate::error::Error;

/// How rows are counted (`Prefer: count=…`); the total comes back in [`Response::count`].
///
/// [`Response::count`]: super::Response::count
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// `COUNT(*)`: exact, slow on big tables.
    Exact,
    /// The planner's estimate: fast, approximate.
    Planned,
    /// Exact below PostgREST's max-rows, the planner's estimate above.
    Estimated,
}

/// The reference's `count="exact"` spelling: `"exact"`, `"planned"` or `"estimated"`.
impl std::str::FromStr for Count {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "exact" => Ok(Count::Exact),
            "planned" => Ok(Count::Planned),
            "estimated" => Ok(Count::Estimated),
            other => Err(Error::config(format!(
                "unknown count `{other}`: exact, planned or estimated"
            ))),
        }
    }
}

impl Count {
    pub(crate) fn prefer(self) -> &'static str {
        match self {
            Count::Exact => "count=exact",
            Count::Planned => "count=planned",
            Count::Estimated => "count=estimated",
        }
    }
}

/// What a write returns (`Prefer: return=…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    /// Nothing: the response body is empty.
    Minimal,
    /// The written rows (the default, as in supabase-py).
    Representation,
}

/// The reference's `returning="minimal"` / `"representation"`.
impl std::str::FromStr for Returning {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "minimal" => Ok(Returning::Minimal),
            "representation" => Ok(Returning::Representation),
            other => Err(Error::config(format!(
                "unknown returning `{other}`: minimal or representation"
            ))),
        }
    }
}

impl Returning {
    pub(crate) fn prefer(self) -> &'static str {
        match self {
            Returning::Minimal => "return=minimal",
            Returning::Representation => "return=representation",
        }
    }
}

/// An ordering term for [`Builder::order`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    desc: bool,
    nulls_first: Option<bool>,
    referenced_table: Option<String>,
}

impl Order {
    /// Ascending (the default).
    pub fn asc() -> Self {
        Order::default()
    }

    /// Descending.
    pub fn desc() -> Self {
        Order {
            desc: true,
            ..Order::default()
        }
    }

    /// NULLs before other values.
    pub fn nulls_first(mut self) -> Self {
        self.nulls_first = Some(true);
        self
    }

    /// NULLs after other values.
    pub fn nulls_last(mut self) -> Self {
        self.nulls_first = Some(false);
        self
    }

    /// Orders the rows of a referenced (embedded) table instead of the main table's
    /// (`foreign_table=` in the reference).
    #[doc(alias = "foreign_table")]
    pub fn referenced_table(mut self, table: impl Into<String>) -> Self {
        self.referenced_table = Some(table.into());
        self
    }

    pub(crate) fn term(&self, column: &str) -> String {
        let mut term = format!("{column}.{}", if self.desc { "desc" } else { "asc" });
        match self.nulls_first {
            Some(true) => term.push_str(".nullsfirst"),
            Some(false) => term.push_str(".nullslast"),
            None => {}
        }
        term
    }
}

/// Format of an [`Explain`] plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExplainFormat {
    /// Postgres's text plan (decoded as a string).
    #[default]
    Text,
    /// Postgres's JSON plan.
    Json,
}

/// Options of [`Builder::explain`]: `EXPLAIN` flags and the plan's format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Explain {
    analyze: bool,
    verbose: bool,
    settings: bool,
    buffers: bool,
    wal: bool,
    format: ExplainFormat,
}

impl Explain {
    /// A plain `EXPLAIN` in text format.
    pub fn new() -> Self {
        Explain::default()
    }

    /// Runs the query (`ANALYZE`) and reports real timings.
    pub fn analyze(mut self) -> Self {
        self.analyze = true;
        self
    }

    /// `VERBOSE`: output columns and more.
    pub fn verbose(mut self) -> Self {
        self.verbose = true;
        self
    }

    /// `SETTINGS`: non-default planner settings.
    pub fn settings(mut self) -> Self {
        self.settings = true;
        self
    }

    /// `BUFFERS`: buffer usage (with `analyze`).
    pub fn buffers(mut self) -> Self {
        self.buffers = true;
        self
    }

    /// `WAL`: WAL record generation (with `analyze`).
    pub fn wal(mut self) -> Self {
        self.wal = true;
        self
    }

    /// Text (default) or JSON plan.
    pub fn format(mut self, format: ExplainFormat) -> Self {
        self.format = format;
        self
    }

    /// `application/vnd.pgrst.plan+text; for="application/json"; options=analyze|verbose`.
    pub(crate) fn accept(&self, for_media_type: &str) -> String {
        let flags = [
            (self.analyze, "analyze"),
            (self.verbose, "verbose"),
            (self.settings, "settings"),
            (self.buffers, "buffers"),
            (self.wal, "wal"),
        ];
        let options: Vec<&str> = flags.iter().filter(|f| f.0).map(|f| f.1).collect();
        let format = match self.format {
            ExplainFormat::Text => "text",
            ExplainFormat::Json => "json",
        };
        format!(
            "application/vnd.pgrst.plan+{format}; for=\"{for_media_type}\"; options={};",
            options.join("|")
        )
    }
}

fn referenced_key(table: Option<&str>, key: &'static str) -> Cow<'static, str> {
    match table {
        Some(t) => Cow::Owned(format!("{t}.{key}")),
        None => Cow::Borrowed(key),
    }
}

impl<T, M> Builder<T, M> {
    /// Sets the columns to return (select syntax). On a write this also asks for the written
    /// rows back (`Prefer: return=representation`).
    pub fn select(self, columns: impl AsRef<str>) -> Self {
        let columns = strip_whitespace(columns.as_ref());
        self.map_state(|s| {
            s.set_param("select", columns);
            if s.verb != Verb::Select && s.verb != Verb::Rpc {
                s.returning = Some(super::Returning::Representation);
            }
        })
    }

    /// Orders the result by `column` (a column, a JSON path, or a referenced table's column as
    /// `section(name)`). Several calls order by several columns, in call order.
    pub fn order(self, column: impl AsRef<str>, order: Order) -> Self {
        let term = order.term(column.as_ref());
        let key = referenced_key(order.referenced_table.as_deref(), "order");
        self.map_state(|s| match s.params.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => {
                let v = v.to_mut();
                v.push(',');
                v.push_str(&term);
            }
            None => s.params.push((key, term.into())),
        })
    }

    /// At most `count` rows.
    pub fn limit(self, count: u64) -> Self {
        self.map_state(|s| s.set_param("limit", count.to_string()))
    }

    /// At most `count` rows of a referenced (embedded) table, per parent row, as
    /// `limit(count, foreign_table=…)` in the reference.
    #[doc(alias = "foreign_table")]
    pub fn limit_referenced(self, referenced_table: impl AsRef<str>, count: u64) -> Self {
        let key = referenced_key(Some(referenced_table.as_ref()), "limit");
        self.map_state(|s| s.set_param(key, count.to_string()))
    }

    /// Skips the first `count` rows (postgrest-py `offset`); with [`limit`](Self::limit), a
    /// page.
    pub fn offset(self, count: u64) -> Self {
        self.map_state(|s| s.set_param("offset", count.to_string()))
    }

    /// Rows `from` to `to`, both inclusive and counted from 0.
    pub fn range(self, from: u64, to: u64) -> Self {
        self.range_of(None, from, to)
    }

    /// Rows `from` to `to` of a referenced (embedded) table, as `range(from, to,
    /// foreign_table=…)` in the reference.
    #[doc(alias = "foreign_table")]
    pub fn range_referenced(self, referenced_table: impl AsRef<str>, from: u64, to: u64) -> Self {
        self.range_of(Some(referenced_table.as_ref()), from, to)
    }

    fn range_of(self, table: Option<&str>, from: u64, to: u64) -> Self {
        if to < from {
            return self.fail(Error::config(format!(
                "range({from}, {to}): `to` is before `from`"
            )));
        }
        let offset = referenced_key(table, "offset");
        let limit = referenced_key(table, "limit");
        self.map_state(|s| {
            s.set_param(offset, from.to_string());
            // In u128: `range(0, u64::MAX)` is 2^64 rows.
            s.set_param(limit, (u128::from(to) - u128::from(from) + 1).to_string());
        })
    }

    /// Exactly one row, returned as an object; zero or several rows are an error (`PGRST116`).
    pub fn single(self) -> Self {
        self.map_state(|s| s.cardinality = Cardinality::One)
    }

    /// Zero or one row: `null` (or `None`) when nothing matches, an error for several rows.
    /// Decode into an `Option<…>` to tell the cases apart.
    pub fn maybe_single(self) -> Self {
        self.map_state(|s| s.cardinality = Cardinality::MaybeOne)
    }

    /// Leaves out of each row the keys whose value is null (postgrest-js `stripNulls`:
    /// `Accept: application/vnd.pgrst.array+json;nulls=stripped`, or the object type's with
    /// [`single`](Self::single)); smaller answers for sparse rows. Decode into `Option` fields
    /// (serde reads a missing `Option` as `None`). PostgREST strips with `json_strip_nulls`,
    /// so a `json`/`jsonb` column loses its nested null keys too (`{"k": null}` comes back as
    /// `{}`). Not with [`csv`](Self::csv): that is an error when the request is sent.
    pub fn strip_nulls(self) -> Self {
        self.map_state(|s| s.strip_nulls = true)
    }

    /// The result as CSV text.
    pub fn csv(self) -> Builder<String, M> {
        self.map_state(|s| s.format = Format::Csv).returns()
    }

    /// The result as a GeoJSON `FeatureCollection` (PostGIS geometry columns).
    pub fn geojson(self) -> Builder<serde_json::Value, M> {
        self.map_state(|s| s.format = Format::GeoJson).returns()
    }

    /// The query plan instead of the rows: text (as a JSON string) or JSON, per
    /// [`Explain::format`]. Needs `db-plan-enabled` on the server (off on Supabase by default).
    pub fn explain(self, options: Explain) -> Builder<serde_json::Value, M> {
        self.map_state(|s| s.explain = Some(options)).returns()
    }

    /// Runs the request and rolls its transaction back (`Prefer: tx=rollback`, postgrest-js's
    /// `rollback()`): the response is what a commit would have answered, with nothing kept.
    ///
    /// PostgREST honours this only with `db-tx-end = commit-allow-override`; Supabase projects
    /// do not set it, and PostgREST then **commits** without an error. So the response's
    /// `Preference-Applied` is checked: when it does not confirm the rollback, the result is
    /// [`Error::NotRolledBack`] (a write's change was made). Except for
    /// [`explain`](Self::explain), whose answer PostgREST never marks: an `EXPLAIN ANALYZE`
    /// of a write is rolled back only where the server allows it.
    pub fn rollback(self) -> Self {
        self.map_state(|s| s.rollback = true)
    }

    /// Fails the request, writing nothing, when it would affect more than `rows` rows
    /// (`Prefer: handling=strict,max-affected=<rows>`, postgrest-js's `maxAffected`), for
    /// updates, deletes and function calls; on another verb, where PostgREST would limit
    /// nothing, the request is an [`Error::Config`] (postgrest-js refuses it by type).
    ///
    /// PostgREST enforces the limit from 12.2 (Supabase's). 12.0 and 12.1 (the local stack
    /// runs 12.0.2) do not know the preference and, asked to be strict, refuse every such
    /// request (`PGRST122`): an error either way, never an unchecked write.
    pub fn max_affected(self, rows: u64) -> Self {
        self.map_state(|s| {
            if matches!(s.verb, Verb::Update | Verb::Delete | Verb::Rpc) {
                s.max_affected = Some(rows);
            } else {
                s.fail(Error::config(format!(
                    "max_affected limits an update, a delete or a function call, not {}",
                    s.verb.described()
                )));
            }
        })
    }

    /// Counts the rows the query matches (see [`Count`]).
    pub fn count(self, count: Count) -> Self {
        self.map_state(|s| s.count = Some(count))
    }

    /// No body back, only the status and the count. A read (`select`, a function call) is sent
    /// as `HEAD`; a write (insert, upsert, update, delete) is still written, with
    /// `Prefer: return=minimal` (a `HEAD` would turn it into a read that writes nothing), which
    /// a later [`select`](Self::select) or [`returning`](Self::returning) does not undo.
    pub fn head(self) -> Builder<(), M> {
        self.map_state(|s| s.head = true).returns()
    }

    /// Calls the function with `GET` and its arguments in the query string (for functions that
    /// do not write; PostgREST runs them in a read-only transaction).
    pub fn get(self) -> Self {
        self.map_state(|s| s.rpc_get = true)
    }

    /// What a write returns (default [`Returning::Representation`]).
    pub fn returning(self, returning: Returning) -> Self {
        self.map_state(|s| s.returning = Some(returning))
    }

    /// Upsert: the unique columns that decide a conflict (comma-separated), instead of the
    /// primary key. On another verb, where it would do nothing, the request is an
    /// [`Error::Config`] (postgrest-js and postgrest-py offer it on `upsert` only).
    pub fn on_conflict(self, columns: impl AsRef<str>) -> Self {
        let columns = trim_column_names(columns.as_ref());
        self.map_state(|s| {
            if s.upsert_only("on_conflict") {
                s.set_param("on_conflict", columns);
            }
        })
    }

    /// Upsert: leave conflicting rows as they are instead of updating them. On another verb
    /// (an insert would still fail on the first duplicate) the request is an
    /// [`Error::Config`].
    pub fn ignore_duplicates(self) -> Self {
        self.map_state(|s| {
            if s.upsert_only("ignore_duplicates") {
                s.ignore_duplicates = true;
            }
        })
    }

    /// Insert/upsert of several rows: with `false`, keys missing from a row take the column's
    /// default instead of NULL (`Prefer: missing=default`).
    pub fn default_to_null(self, yes: bool) -> Self {
        self.map_state(|s| s.missing_default = !yes)
    }

    /// A timeout for this request only (instead of the client's). Like the client's, it bounds
    /// each attempt: a read retried after a 503 may take longer in all.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.map_state(|s| s.timeout = Some(timeout))
    }

    /// `false`: this request is sent once, even a read the client's
    /// [`RetryPolicy`](crate::RetryPolicy) would send again after a 503 or a dropped
    /// connection (postgrest-js and postgrest-py `retry(enabled)`), e.g. a health check that
    /// should fail fast. Writes are never retried anyway.
    pub fn retry(self, enabled: bool) -> Self {
        self.map_state(|s| s.retry = enabled)
    }

    /// A header for this request only (it wins over the client's headers).
    pub fn header(self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        let name_str = name.as_ref();
        match (
            HeaderName::try_from(name_str),
            HeaderValue::try_from(value.as_ref()),
        ) {
            (Ok(n), Ok(v)) => self.map_state(|s| {
                s.headers.insert(n, v);
            }),
            _ => self.fail(Error::config(format!("invalid header `{name_str}`"))),
        }
    }
}

/// A list of column names as PostgREST's `pColumns` reads `on_conflict`: each name's own
/// spaces kept (`first name`; `pFieldName` takes them), the spaces around each name trimmed
/// (PostgREST skips them only after a comma, and would read `id ,name`'s `id ` as a name).
/// Commas inside double quotes are part of a name.
fn trim_column_names(columns: &str) -> String {
    let mut names = Vec::new();
    let (mut quoted, mut escaped, mut start) = (false, false, 0);
    for (i, c) in columns.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                names.push(columns[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    names.push(columns[start..].trim());
    names.join(",")
}

/// Removes whitespace outside double quotes, as supabase-js does for select.
fn strip_whitespace(columns: &str) -> String {
    if !columns.contains(char::is_whitespace) {
        // The common case (and every typed select): nothing to strip, one copy.
        return columns.to_owned();
    }
    let mut quoted = false;
    let mut out = String::with_capacity(columns.len());
    let mut chars = columns.chars();
    while let Some(c) = chars.next() {
        if c == '"' {
            quoted = !quoted;
        }
        if quoted || !c.is_whitespace() {
            out.push(c);
        }
        // An escaped character of a quoted name (`"a\"b"`) neither ends it nor is stripped.
        if quoted && c == '\\' {
            out.extend(chars.next());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_outside_quotes_is_removed() {
        assert_eq!(
            strip_whitespace("name, instruments ( name )"),
            "name,instruments(name)"
        );
        assert_eq!(strip_whitespace(r#""my col", b"#), r#""my col",b"#);
        assert_eq!(trim_column_names(" first name , b"), "first name,b");
        assert_eq!(trim_column_names(r#""c, d", e"#), r#""c, d",e"#);
        assert_eq!(trim_column_names(r#""a\" ,b", c"#), r#""a\" ,b",c"#);
        assert_eq!(
            strip_whitespace(r#""say \"hi there\"", b"#),
            r#""say \"hi there\"",b"#
        );
    }

    #[test]
    fn counts_and_returning_parse_from_the_references_strings() {
        assert_eq!("exact".parse::<Count>().unwrap(), Count::Exact);
        assert_eq!("planned".parse::<Count>().unwrap(), Count::Planned);
        assert_eq!("estimated".parse::<Count>().unwrap(), Count::Estimated);
        assert!(matches!("Exact".parse::<Count>(), Err(Error::Config(_))));
        assert_eq!("minimal".parse::<Returning>().unwrap(), Returning::Minimal);
        assert_eq!(
            "representation".parse::<Returning>().unwrap(),
            Returning::Representation
        );
        assert!(matches!("none".parse::<Returning>(), Err(Error::Config(_))));
    }

    #[test]
    fn explain_accept_header() {
        let e = Explain::new().analyze().verbose();
        assert_eq!(
            e.accept("application/json"),
            "application/vnd.pgrst.plan+text; for=\"application/json\"; options=analyze|verbose;"
        );
    }
}
