//! [`Condition`]: one filter, or an `and`/`or` tree of them. Every filter method builds one, so a
//! condition renders the same way at top level (`column=op.value`) and inside a tree
//! (`or=(column.op."value",…)`), where values must be quoted.

use std::borrow::Cow;

use serde::Serialize;

use super::encode::{self, Shape};
use super::filters::{IntoIs, TextSearch};
use super::request::Param;
use crate::error::{Error, Result};
use crate::secret::{is_secret_name, redact_logic_tree, redact_tokens};

/// The operators of Realtime's postgres-changes filters (supabase/realtime
/// `postgres_cdc_rls/subscriptions.ex`).
pub(crate) const REALTIME_OPS: [&str; 13] = [
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

/// A filter's key as PostgREST keeps it a filter: one whose last `.` word is a parameter of
/// its own (`order`, `limit`, `offset`, `and`, `or`, anywhere; `select`, `columns`,
/// `on_conflict` at the root) has that word quoted (`QueryParams.hs`, `isFilter`). Sent bare,
/// `limit=eq.5` was read as a limit it cannot parse and dropped, so a `delete` so filtered
/// matched every row.
fn filter_key(key: Cow<'static, str>) -> Cow<'static, str> {
    // A byte loop from the end and a match on the word: names are short, and this runs for
    // every filter.
    let start = key
        .bytes()
        .rposition(|b| b == b'.')
        .map_or(0, |dot| dot + 1);
    let last = &key[start..];
    let reserved = matches!(last, "order" | "limit" | "offset" | "and" | "or")
        || (start == 0 && matches!(last, "select" | "columns" | "on_conflict"));
    if !reserved {
        return key;
    }
    Cow::Owned(format!("{}\"{last}\"", &key[..start]))
}

/// A column name as written in PostgREST's grammar, bare: a quoted one (`"a.b"`, with `\`
/// escapes) unquoted, any other as it is.
fn unquoted(column: &str) -> Cow<'_, str> {
    let Some(inner) = column.strip_prefix('"').and_then(|c| c.strip_suffix('"')) else {
        return Cow::Borrowed(column);
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.extend(if c == '\\' { chars.next() } else { Some(c) });
    }
    Cow::Owned(out)
}

/// One clause of a Realtime filter ([`Condition::conjuncts`]).
#[derive(Debug)]
pub(crate) struct Conjunct<'a> {
    /// The column's bare name (a typed column's quoted name unquoted: Realtime reads the
    /// name as it is).
    pub(crate) column: Cow<'a, str>,
    pub(crate) negated: bool,
    pub(crate) op: &'a str,
    /// The operand in top-level syntax: the value as it is for a scalar (`plain`), a quoted
    /// list for `in` (which reads as an array literal's inside), a keyword for `is`.
    pub(crate) operand: &'a str,
    /// A scalar value, which Realtime needs quoted when it has commas, parentheses, quotes,
    /// backslashes or edge spaces.
    pub(crate) plain: bool,
}

/// A filter operator with a method of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Op {
    /// `eq`: equal.
    Eq,
    /// `neq`: not equal.
    Neq,
    /// `gt`: greater than.
    Gt,
    /// `gte`: greater than or equal.
    Gte,
    /// `lt`: less than.
    Lt,
    /// `lte`: less than or equal.
    Lte,
    /// `like`: SQL `LIKE`.
    Like,
    /// `ilike`: SQL `ILIKE`.
    Ilike,
    /// `like(all)`: matches every pattern.
    LikeAllOf,
    /// `like(any)`: matches any pattern.
    LikeAnyOf,
    /// `ilike(all)`.
    IlikeAllOf,
    /// `ilike(any)`.
    IlikeAnyOf,
    /// `in`: one of a list.
    In,
    /// `cs`: contains.
    Contains,
    /// `cd`: contained by.
    ContainedBy,
    /// `ov`: overlaps.
    Overlaps,
    /// `sr`: strictly right of a range.
    RangeGt,
    /// `nxl`: does not extend left of a range.
    RangeGte,
    /// `sl`: strictly left of a range.
    RangeLt,
    /// `nxr`: does not extend right of a range.
    RangeLte,
    /// `adj`: adjacent to a range.
    RangeAdjacent,
    /// `match`: matches a POSIX regular expression (`~`).
    Match,
    /// `imatch`: matches a POSIX regular expression, ignoring case (`~*`).
    Imatch,
    /// `isdistinct`: `IS DISTINCT FROM` (unequal, NULL counting as a value).
    IsDistinct,
}

impl Op {
    /// PostgREST's name of the operator.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Neq => "neq",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Like => "like",
            Op::Ilike => "ilike",
            Op::LikeAllOf => "like(all)",
            Op::LikeAnyOf => "like(any)",
            Op::IlikeAllOf => "ilike(all)",
            Op::IlikeAnyOf => "ilike(any)",
            Op::In => "in",
            Op::Contains => "cs",
            Op::ContainedBy => "cd",
            Op::Overlaps => "ov",
            Op::RangeGt => "sr",
            Op::RangeGte => "nxl",
            Op::RangeLt => "sl",
            Op::RangeLte => "nxr",
            Op::RangeAdjacent => "adj",
            Op::Match => "match",
            Op::Imatch => "imatch",
            Op::IsDistinct => "isdistinct",
        }
    }

    pub(crate) fn shape(self) -> Shape {
        match self {
            Op::LikeAllOf | Op::LikeAnyOf | Op::IlikeAllOf | Op::IlikeAnyOf => Shape::Patterns,
            Op::In => Shape::List,
            Op::Contains | Op::ContainedBy | Op::Overlaps => Shape::Containment,
            Op::RangeGt | Op::RangeGte | Op::RangeLt | Op::RangeLte | Op::RangeAdjacent => {
                Shape::Range
            }
            _ => Shape::Plain,
        }
    }
}

/// One filter, or a tree of them. Build leaves with [`Condition::new`] (or [`Condition::is`],
/// [`Condition::text_search`], [`Condition::raw`]) and combine them with [`Condition::and`],
/// [`Condition::or`] and `!` (negation); pass them to
/// [`Builder::where_`](super::Builder::where_) or [`Builder::or_where`](super::Builder::or_where).
///
/// Values are encoded and quoted for where they end up, so any string is safe:
///
/// ```
/// # fn main() -> supabase_core::Result<()> {
/// # let client = supabase_core::create_client("http://localhost:54321", "key")?;
/// use supabase_core::postgrest::{Condition, Op};
/// let req = client
///     .from_("planets")
///     .select("name")
///     .or_where([
///         Condition::new("name", Op::Eq, "Mars, or (not)"),
///         Condition::and([Condition::new("id", Op::Gt, 3), Condition::new("id", Op::Lt, 5)]),
///     ])
///     .build()?;
/// assert_eq!(
///     req.path_and_query(),
///     r#"/rest/v1/planets?select=name&or=(name.eq."Mars, or (not)",and(id.gt."3",id.lt."5"))"#
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Condition(Result<Node>);

#[derive(Clone)]
enum Node {
    Leaf {
        /// Borrowed for the typed layer's column names, owned for the untyped API's.
        column: Cow<'static, str>,
        negated: bool,
        /// `<operator>.<operand>`, the operand in top-level syntax: the parameter's value as
        /// it is sent (unless negated), built once.
        filter: String,
        /// Where the operator ends in `filter`.
        operator_len: usize,
        /// `None` for raw operands and keywords, which are sent as written even inside trees.
        shape: Option<Shape>,
    },
    Tree {
        or: bool,
        negated: bool,
        children: Vec<Condition>,
    },
    /// Text in PostgREST's tree syntax, written inside a tree as it is (the raw `or_`).
    Verbatim(String),
}

/// The operand of a condition on a secret-named column (`password`, `api_key`, …) is redacted,
/// as in the query's `Debug`.
impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Node::Leaf {
                column,
                negated,
                filter,
                ..
            } => {
                let filter = if is_secret_name(column) {
                    "[redacted]".to_owned()
                } else {
                    redact_tokens(filter)
                };
                f.debug_struct("Leaf")
                    .field("column", column)
                    .field("negated", negated)
                    .field("filter", &filter)
                    .finish()
            }
            Node::Tree {
                or,
                negated,
                children,
            } => f
                .debug_struct("Tree")
                .field("or", or)
                .field("negated", negated)
                .field("children", children)
                .finish(),
            Node::Verbatim(text) => f
                .debug_tuple("Verbatim")
                .field(&redact_logic_tree(text))
                .finish(),
        }
    }
}

impl Condition {
    /// `column` `op` `value`, with `value` encoded for the operator.
    pub fn new<V: Serialize>(column: impl Into<String>, op: Op, value: V) -> Self {
        Condition::leaf(Cow::Owned(column.into()), op, &value)
    }

    /// [`Condition::new`] for a column name known at compile time (the typed layer's), which
    /// is never copied.
    pub(crate) fn leaf<V: Serialize + ?Sized>(
        column: Cow<'static, str>,
        op: Op,
        value: &V,
    ) -> Self {
        let shape = op.shape();
        Condition(Node::leaf(column, op.as_str(), Some(shape), |out| {
            encode::write_operand(shape, value, out)
        }))
    }

    /// `column op value` with `value` compared as JSON (`column` is a `->` path into a json
    /// column): the operand is the value's JSON text, so `90210` stays a number and `"90210"` a
    /// string; for `in`, each element's.
    pub(crate) fn json_leaf<V: Serialize + ?Sized>(
        column: Cow<'static, str>,
        op: Op,
        value: &V,
    ) -> Self {
        let json = match serde_json::to_value(value) {
            // serde_json writes a NaN or an infinity as `null`: refused, not sent as `null`.
            Ok(serde_json::Value::Null)
                if encode::operand(Shape::Plain, value).is_ok_and(|s| s != "null") =>
            {
                Err(Error::Encode(
                    "a JSON operand has no JSON form (NaN or an infinity?)".into(),
                ))
            }
            Ok(json) => Ok(json),
            Err(e) => Err(Error::Encode(e.to_string())),
        };
        match json {
            Ok(serde_json::Value::Array(items)) if op.shape() == Shape::List => {
                let texts: Vec<String> = items.iter().map(ToString::to_string).collect();
                Condition::leaf(column, op, &texts)
            }
            Ok(json) => Condition::leaf(column, op, &json.to_string()),
            Err(e) => Condition(Err(e)),
        }
    }

    /// The condition as the clauses of a Realtime postgres-changes filter, all of which must
    /// hold: each leaf of a top-level `and` (or the leaf itself) as a column, its negation, its
    /// operator and its operand in top-level syntax. Realtime has no `or`, no negated `and`,
    /// no JSON paths and only the operators in [`REALTIME_OPS`].
    pub(crate) fn conjuncts(&self) -> std::result::Result<Vec<Conjunct<'_>>, String> {
        let mut out = Vec::new();
        self.push_conjuncts(&mut out)?;
        Ok(out)
    }

    fn push_conjuncts<'a>(
        &'a self,
        out: &mut Vec<Conjunct<'a>>,
    ) -> std::result::Result<(), String> {
        match &self.0 {
            Ok(Node::Leaf {
                column,
                negated,
                filter,
                operator_len,
                shape,
            }) => {
                let op = &filter[..*operator_len];
                if !REALTIME_OPS.contains(&op) || column.contains("->") {
                    return Err(format!(
                        "Realtime filters take a column and one of {}; not `{op}` on `{column}`",
                        REALTIME_OPS.join(", ")
                    ));
                }
                out.push(Conjunct {
                    column: unquoted(column),
                    negated: *negated,
                    op,
                    operand: &filter[*operator_len + 1..],
                    plain: *shape == Some(Shape::Plain),
                });
                Ok(())
            }
            Ok(Node::Tree {
                or: false,
                negated: false,
                children,
            }) => children.iter().try_for_each(|c| c.push_conjuncts(out)),
            Ok(_) => Err("Realtime filters are clauses that must all hold: no `or`, no negated group, no raw filter".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `column IS value`: any [`IntoIs`] value (an [`Is`](super::Is), a `bool`, an
    /// `Option<bool>`, or the reference's string form, `"null"`).
    pub fn is(column: impl Into<String>, value: impl IntoIs) -> Self {
        Condition::is_leaf(Cow::Owned(column.into()), value)
    }

    pub(crate) fn is_leaf(column: Cow<'static, str>, value: impl IntoIs) -> Self {
        let value = value.into_is();
        // A keyword, not a value: never quoted.
        Condition(Node::leaf(column, "is", None, |out| {
            out.push_str(value?.as_str());
            Ok(())
        }))
    }

    /// Full-text search of `column` for `query`.
    pub fn text_search(
        column: impl Into<String>,
        query: impl AsRef<str>,
        options: &TextSearch,
    ) -> Self {
        Condition(Node::leaf(
            Cow::Owned(column.into()),
            &options.operator(),
            Some(Shape::Plain),
            |out| {
                out.push_str(query.as_ref());
                Ok(())
            },
        ))
    }

    /// A filter in PostgREST syntax, sent exactly as written (`operator` may be any PostgREST
    /// operator, `value` is not quoted or escaped).
    pub fn raw(
        column: impl Into<String>,
        operator: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Condition(Node::leaf(
            Cow::Owned(column.into()),
            &operator.into(),
            None,
            |out| {
                out.push_str(&value.into());
                Ok(())
            },
        ))
    }

    /// `or=(filters)` with `filters` in PostgREST syntax, sent as written (the reference's
    /// `or_`).
    pub(crate) fn raw_or(filters: &str) -> Self {
        Condition(Ok(Node::Tree {
            or: true,
            negated: false,
            children: vec![Condition(Ok(Node::Verbatim(filters.to_owned())))],
        }))
    }

    /// All of `conditions`.
    pub fn and(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Condition::tree(false, conditions)
    }

    /// At least one of `conditions`.
    pub fn or(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Condition::tree(true, conditions)
    }

    fn tree(or: bool, conditions: impl IntoIterator<Item = Condition>) -> Self {
        let children: Vec<Condition> = conditions.into_iter().collect();
        if children.is_empty() {
            return Condition(Err(Error::config(
                "an `and`/`or` condition needs at least one condition",
            )));
        }
        Condition(Ok(Node::Tree {
            or,
            negated: false,
            children,
        }))
    }

    /// The query parameter this condition is at top level: `(column, "not.eq.value")` or
    /// `("or", "(…)")`, with `prefix` (a referenced table) before the key.
    pub(crate) fn into_param(self, prefix: Option<&str>) -> Result<Param> {
        let with_prefix = |key: &str| -> Cow<'static, str> {
            match prefix {
                Some(p) => Cow::Owned(format!("{p}.{key}")),
                None => Cow::Owned(key.to_owned()),
            }
        };
        match self.0? {
            Node::Leaf {
                column,
                negated,
                mut filter,
                ..
            } => {
                let key = match prefix {
                    Some(_) => with_prefix(&column),
                    None => column,
                };
                if negated {
                    filter.insert_str(0, "not.");
                }
                Ok((filter_key(key), filter.into()))
            }
            Node::Tree {
                or,
                negated,
                children,
            } => {
                let name = match (negated, or) {
                    (false, true) => "or",
                    (false, false) => "and",
                    (true, true) => "not.or",
                    (true, false) => "not.and",
                };
                let key = match prefix {
                    Some(_) => with_prefix(name),
                    None => Cow::Borrowed(name),
                };
                let mut value = String::new();
                write_children(&mut value, &children)?;
                Ok((key, value.into()))
            }
            Node::Verbatim(_) => Err(Error::config("raw filter text outside an `or` tree")),
        }
    }

    fn node(&self) -> Result<&Node> {
        self.0.as_ref().map_err(Clone::clone)
    }

    /// Writes this condition as an element of a tree.
    fn write_nested(&self, out: &mut String) -> Result<()> {
        match self.node()? {
            Node::Leaf {
                column,
                negated,
                filter,
                operator_len,
                shape,
            } => {
                let (operator, operand) = (&filter[..*operator_len], &filter[operator_len + 1..]);
                out.push_str(column);
                out.push('.');
                if *negated {
                    out.push_str("not.");
                }
                out.push_str(operator);
                out.push('.');
                match shape {
                    Some(shape) => out.push_str(&encode::quote_for_tree(*shape, operand)),
                    None => out.push_str(operand),
                }
            }
            Node::Tree {
                or,
                negated,
                children,
            } => {
                if *negated {
                    out.push_str("not.");
                }
                out.push_str(if *or { "or" } else { "and" });
                write_children(out, children)?;
            }
            Node::Verbatim(text) => out.push_str(text),
        }
        Ok(())
    }
}

impl Node {
    /// A leaf filtering `column` with `operator`, its operand appended by `write_operand`.
    fn leaf(
        column: Cow<'static, str>,
        operator: &str,
        shape: Option<Shape>,
        write_operand: impl FnOnce(&mut String) -> Result<()>,
    ) -> Result<Node> {
        // Most operands are short: one allocation holds operator, dot and operand.
        let mut filter = String::with_capacity(operator.len() + 24);
        filter.push_str(operator);
        filter.push('.');
        write_operand(&mut filter)?;
        Ok(Node::Leaf {
            column,
            negated: false,
            filter,
            operator_len: operator.len(),
            shape,
        })
    }
}

/// `!condition`: the negation (`not.` before the operator or the tree).
impl std::ops::Not for Condition {
    type Output = Condition;

    fn not(self) -> Condition {
        Condition(self.0.map(|mut node| {
            match &mut node {
                Node::Leaf { negated, .. } | Node::Tree { negated, .. } => *negated = !*negated,
                // Only ever a tree's child; trees are what get negated.
                Node::Verbatim(_) => {}
            }
            node
        }))
    }
}

fn write_children(out: &mut String, children: &[Condition]) -> Result<()> {
    out.push('(');
    for (i, child) in children.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        child.write_nested(out)?;
    }
    out.push(')');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::postgrest::Is;

    #[test]
    fn leaves_at_top_level_are_not_quoted() {
        let c = !Condition::new("name", Op::Eq, "a,b");
        assert_eq!(
            c.into_param(None).unwrap(),
            ("name".into(), "not.eq.a,b".into())
        );
        let c = Condition::new("name", Op::In, ["a", "b"]);
        assert_eq!(
            c.into_param(Some("instruments")).unwrap().0,
            "instruments.name"
        );
    }

    #[test]
    fn keys_postgrest_takes_for_its_own_parameters_are_quoted() {
        let key = |column: &str, prefix: Option<&str>| {
            Condition::new(column, Op::Eq, 1)
                .into_param(prefix)
                .unwrap()
                .0
                .into_owned()
        };
        for word in [
            "order",
            "limit",
            "offset",
            "and",
            "or",
            "select",
            "columns",
            "on_conflict",
        ] {
            assert_eq!(key(word, None), format!("\"{word}\""));
        }
        for word in ["order", "limit", "offset", "and", "or"] {
            assert_eq!(key(word, Some("items")), format!("items.\"{word}\""));
        }
        // Only a whole word, and the root-only three only at the root.
        for kept in [
            "sort_order",
            "author",
            "limits",
            "items.select",
            "\"limit\"",
        ] {
            assert_eq!(key(kept, None), kept);
        }
        assert_eq!(key("select", Some("items")), "items.select");
    }

    #[test]
    fn realtime_clauses_take_a_quoted_name_bare() {
        let c = Condition::new(r#""a.b\"c""#, Op::Eq, 1);
        let clauses = c.conjuncts().unwrap();
        assert_eq!(clauses[0].column, r#"a.b"c"#);
        let c = Condition::new("plain", Op::Eq, 1);
        assert!(matches!(
            c.conjuncts().unwrap()[0].column,
            Cow::Borrowed("plain")
        ));
    }

    #[test]
    fn trees_quote_values_but_not_keywords_or_raw_text() {
        let c = !Condition::or([
            Condition::is("name", Is::Null),
            Condition::new("tags", Op::Contains, ["x}y"]),
            Condition::raw("id", "eq", "1"),
            !Condition::new("name", Op::In, ["a)"]),
        ]);
        assert_eq!(
            c.into_param(None).unwrap(),
            (
                "not.or".into(),
                r#"(name.is.null,tags.cs."{\"x}y\"}",id.eq.1,name.not.in.("a)"))"#.into()
            )
        );
    }

    #[test]
    fn empty_trees_and_bad_values_are_errors() {
        assert!(Condition::or([]).into_param(None).is_err());
        assert!(Condition::new("id", Op::In, "x").into_param(None).is_err());
        let bad_is = Condition::or([Condition::is("name", "nul"), Condition::is("id", "NULL")]);
        assert!(matches!(bad_is.into_param(None), Err(Error::Config(m)) if m.contains("\"nul\"")));
    }
}
