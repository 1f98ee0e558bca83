//! Filters: restrict the rows a query reads or writes. Names follow the reference (`in_`, `is_`,
//! `not_`, `or_`, `match_` where Rust keywords clash); doc aliases give PostgREST's operators.
//!
//! Columns may name a referenced table's column (`instruments.name`) or a JSON path
//! (`address->postcode`, `address->>city`). Values are any `Serialize` value and go through the
//! one encoder, so no value can change the meaning of a filter.

use serde::Serialize;

use super::builder::Builder;
use super::encode::{self, Shape};
use crate::error::Error;

/// The right-hand side of [`Builder::is_`]: `null`, `true`, `false` or `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Is {
    /// `IS NULL`.
    Null,
    /// `IS TRUE`.
    True,
    /// `IS FALSE`.
    False,
    /// `IS UNKNOWN`.
    Unknown,
}

impl Is {
    fn as_str(self) -> &'static str {
        match self {
            Is::Null => "null",
            Is::True => "true",
            Is::False => "false",
            Is::Unknown => "unknown",
        }
    }

    /// Parses the reference's string form (`"null"`, `"true"`, …; any case).
    pub fn parse(s: &str) -> Option<Is> {
        match s.to_ascii_lowercase().as_str() {
            "null" => Some(Is::Null),
            "true" => Some(Is::True),
            "false" => Some(Is::False),
            "unknown" => Some(Is::Unknown),
            _ => None,
        }
    }
}

impl From<bool> for Is {
    fn from(b: bool) -> Self {
        if b { Is::True } else { Is::False }
    }
}

impl From<Option<bool>> for Is {
    fn from(b: Option<bool>) -> Self {
        b.map_or(Is::Null, Is::from)
    }
}

/// Options of [`Builder::text_search`]: the query parser and the text search configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextSearch {
    kind: &'static str,
    config: Option<String>,
}

impl TextSearch {
    /// `to_tsquery` (`fts`): the query is tsquery syntax (`'fat' & 'cat'`). The default.
    pub fn tsquery() -> Self {
        TextSearch::default()
    }

    /// `plainto_tsquery` (`plfts`): basic normalisation of plain text.
    pub fn plain() -> Self {
        TextSearch {
            kind: "pl",
            config: None,
        }
    }

    /// `phraseto_tsquery` (`phfts`): words must appear in order.
    pub fn phrase() -> Self {
        TextSearch {
            kind: "ph",
            config: None,
        }
    }

    /// `websearch_to_tsquery` (`wfts`): search-engine syntax (`"fat cat" or rat -dog`).
    pub fn websearch() -> Self {
        TextSearch {
            kind: "w",
            config: None,
        }
    }

    /// The text search configuration, e.g. `english`.
    pub fn config(mut self, config: impl Into<String>) -> Self {
        self.config = Some(config.into());
        self
    }

    pub(crate) fn operator(&self) -> String {
        match &self.config {
            Some(c) => format!("{}fts({c})", self.kind),
            None => format!("{}fts", self.kind),
        }
    }
}

impl<T> Builder<T> {
    /// Adds `column=[not.]operator.operand`, consuming a pending [`not_`](Builder::not_).
    pub(crate) fn push_filter(
        mut self,
        column: &str,
        operator: &str,
        operand: crate::Result<String>,
    ) -> Self {
        let negate = std::mem::take(&mut self.state.negate_next);
        match operand {
            Ok(operand) => {
                let not = if negate { "not." } else { "" };
                self.state
                    .params
                    .push((column.to_owned(), format!("{not}{operator}.{operand}")));
            }
            Err(e) => self.state.fail(e),
        }
        self
    }

    fn filter_value<V: Serialize + ?Sized>(
        self,
        column: impl AsRef<str>,
        operator: &str,
        shape: Shape,
        value: &V,
    ) -> Self {
        let operand = encode::operand(shape, value);
        self.push_filter(column.as_ref(), operator, operand)
    }

    /// Rows where `column` equals `value`.
    #[doc(alias = "=")]
    pub fn eq<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "eq", Shape::Plain, &value)
    }

    /// Rows where `column` is not equal to `value`.
    #[doc(alias = "!=")]
    pub fn neq<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "neq", Shape::Plain, &value)
    }

    /// Rows where `column` is greater than `value`.
    #[doc(alias = ">")]
    pub fn gt<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "gt", Shape::Plain, &value)
    }

    /// Rows where `column` is greater than or equal to `value`.
    #[doc(alias = ">=")]
    pub fn gte<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "gte", Shape::Plain, &value)
    }

    /// Rows where `column` is less than `value`.
    #[doc(alias = "<")]
    pub fn lt<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "lt", Shape::Plain, &value)
    }

    /// Rows where `column` is less than or equal to `value`.
    #[doc(alias = "<=")]
    pub fn lte<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "lte", Shape::Plain, &value)
    }

    /// Rows where `column` matches the SQL `LIKE` `pattern` (case-sensitive; `%` and `_` are
    /// wildcards, and PostgREST also reads `*` as `%`).
    pub fn like(self, column: impl AsRef<str>, pattern: impl AsRef<str>) -> Self {
        self.filter_value(column, "like", Shape::Plain, pattern.as_ref())
    }

    /// Rows where `column` matches the `ILIKE` `pattern` (case-insensitive).
    pub fn ilike(self, column: impl AsRef<str>, pattern: impl AsRef<str>) -> Self {
        self.filter_value(column, "ilike", Shape::Plain, pattern.as_ref())
    }

    /// Rows where `column` matches every pattern (a list, or the reference's comma-separated
    /// string).
    #[doc(alias = "like(all)")]
    pub fn like_all_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.filter_value(column, "like(all)", Shape::Patterns, &patterns)
    }

    /// Rows where `column` matches any of the patterns.
    #[doc(alias = "like(any)")]
    pub fn like_any_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.filter_value(column, "like(any)", Shape::Patterns, &patterns)
    }

    /// Rows where `column` matches every pattern, case-insensitively.
    #[doc(alias = "ilike(all)")]
    pub fn ilike_all_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.filter_value(column, "ilike(all)", Shape::Patterns, &patterns)
    }

    /// Rows where `column` matches any of the patterns, case-insensitively.
    #[doc(alias = "ilike(any)")]
    pub fn ilike_any_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.filter_value(column, "ilike(any)", Shape::Patterns, &patterns)
    }

    /// Rows where `column IS value`: [`Is::Null`], `true`/`false` (or `Option<bool>`), or the
    /// reference's strings via [`Is::parse`].
    #[doc(alias = "is")]
    pub fn is_(self, column: impl AsRef<str>, value: impl Into<Is>) -> Self {
        let operand = Ok(value.into().as_str().to_owned());
        self.push_filter(column.as_ref(), "is", operand)
    }

    /// Rows where `column` is one of `values` (a list).
    #[doc(alias = "in")]
    pub fn in_<V: Serialize>(self, column: impl AsRef<str>, values: V) -> Self {
        self.filter_value(column, "in", Shape::List, &values)
    }

    /// Rows where `column` (array, range or jsonb) contains `value`: a list (array elements), a
    /// range literal string, or a map (jsonb).
    #[doc(alias = "cs")]
    #[doc(alias = "@>")]
    pub fn contains<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "cs", Shape::Containment, &value)
    }

    /// Rows where every element of `column` (array, range or jsonb) is contained in `value`.
    #[doc(alias = "cd")]
    #[doc(alias = "<@")]
    pub fn contained_by<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "cd", Shape::Containment, &value)
    }

    /// Rows where the range `column` is strictly right of `range` (a range literal string or two
    /// bounds).
    #[doc(alias = "sr")]
    pub fn range_gt<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.filter_value(column, "sr", Shape::Range, &range)
    }

    /// Rows where the range `column` does not extend left of `range`.
    #[doc(alias = "nxl")]
    pub fn range_gte<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.filter_value(column, "nxl", Shape::Range, &range)
    }

    /// Rows where the range `column` is strictly left of `range`.
    #[doc(alias = "sl")]
    pub fn range_lt<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.filter_value(column, "sl", Shape::Range, &range)
    }

    /// Rows where the range `column` does not extend right of `range`.
    #[doc(alias = "nxr")]
    pub fn range_lte<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.filter_value(column, "nxr", Shape::Range, &range)
    }

    /// Rows where the range `column` is adjacent to `range`.
    #[doc(alias = "adj")]
    pub fn range_adjacent<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.filter_value(column, "adj", Shape::Range, &range)
    }

    /// Rows where `column` (array or range) and `value` have an element in common.
    #[doc(alias = "ov")]
    #[doc(alias = "&&")]
    pub fn overlaps<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.filter_value(column, "ov", Shape::Containment, &value)
    }

    /// Rows where the text or tsvector `column` matches the full-text `query`.
    ///
    /// ```
    /// # fn main() -> supabase_core::Result<()> {
    /// # let client = supabase_core::create_client("http://localhost:54321", "key")?;
    /// use supabase_core::postgrest::TextSearch;
    /// let req = client
    ///     .from("quotes")
    ///     .select("catchphrase")
    ///     .text_search("catchphrase", "'fat' & 'cat'", TextSearch::plain().config("english"))
    ///     .build()?;
    /// assert_eq!(
    ///     req.path_and_query(),
    ///     "/rest/v1/quotes?select=catchphrase&catchphrase=plfts(english).'fat' & 'cat'"
    /// );
    /// # Ok(()) }
    /// ```
    #[doc(alias = "fts")]
    pub fn text_search(
        self,
        column: impl AsRef<str>,
        query: impl AsRef<str>,
        options: TextSearch,
    ) -> Self {
        let operator = options.operator();
        self.filter_value(column, &operator, Shape::Plain, query.as_ref())
    }

    /// Rows where each key of `query` (a map or struct) equals its value: several `eq`s.
    #[doc(alias = "match")]
    pub fn match_<V: Serialize>(mut self, query: V) -> Self {
        match encode::to_object(&query, "match_") {
            Ok(map) => {
                for (column, value) in &map {
                    self = self.filter_value(column, "eq", Shape::Plain, value);
                }
                self
            }
            Err(e) => self.map_state(|s| s.fail(e)),
        }
    }

    /// Negates the filter that follows, as `.not_.is_("name", "null")` in the reference:
    /// `.not_().is_("name", Is::Null)`.
    #[doc(alias = "not")]
    pub fn not_(self) -> Self {
        self.map_state(|s| s.negate_next = true)
    }

    /// Rows matching at least one of `filters`, written in PostgREST syntax
    /// (`id.eq.2,name.eq.Mars`, with nested `and(…)`). The string is sent as written: quote
    /// values containing `,` `.` `:` `(` `)` yourself, or use the typed `or_`.
    #[doc(alias = "or")]
    pub fn or_(self, filters: impl AsRef<str>) -> Self {
        self.logic("or", None, filters.as_ref())
    }

    /// [`or_`](Builder::or_) on a referenced (embedded) table's rows.
    pub fn or_referenced(self, referenced_table: impl AsRef<str>, filters: impl AsRef<str>) -> Self {
        self.logic("or", Some(referenced_table.as_ref()), filters.as_ref())
    }

    pub(crate) fn logic(mut self, op: &str, table: Option<&str>, filters: &str) -> Self {
        let negate = std::mem::take(&mut self.state.negate_next);
        let mut key = String::new();
        if let Some(t) = table {
            key.push_str(t);
            key.push('.');
        }
        if negate {
            key.push_str("not.");
        }
        key.push_str(op);
        self.state.params.push((key, format!("({filters})")));
        self
    }

    /// A filter in raw PostgREST syntax: `column=operator.value`, value sent as written (e.g.
    /// `.filter("name", "in", r#"("Mars","Tatooine")"#)`). The escape hatch for operators
    /// without a method of their own.
    pub fn filter(
        self,
        column: impl AsRef<str>,
        operator: impl AsRef<str>,
        value: impl AsRef<str>,
    ) -> Self {
        let operand = Ok(value.as_ref().to_owned());
        self.push_filter(column.as_ref(), operator.as_ref(), operand)
    }

    pub(crate) fn fail(self, e: Error) -> Self {
        self.map_state(|s| s.fail(e))
    }
}
