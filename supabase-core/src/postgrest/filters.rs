//! Filters: restrict the rows a query reads or writes. Names follow the reference (`in_`, `is_`,
//! `not_`, `or_`, `match_` where Rust keywords clash); doc aliases give PostgREST's operators.
//!
//! Columns may name a referenced table's column (`instruments.name`) or a JSON path
//! (`address->postcode`, `address->>city`). Values are any `Serialize` value and go through the
//! one encoder, so no value can change the meaning of a filter.

use serde::Serialize;

use super::builder::Builder;
use super::condition::{Condition, Op};
use super::encode;
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
    pub(crate) fn as_str(self) -> &'static str {
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

/// What [`Builder::is_`] and [`Condition::is`] accept: an [`Is`], a `bool` (`IS TRUE` /
/// `IS FALSE`), an `Option<bool>` (`None` is `IS NULL`), or the reference's string form
/// (`"null"`, `"true"`, `"false"`, `"unknown"`, in any case).
///
/// A string that is none of these is not a panic: the query fails with [`Error::Config`] when it
/// is sent (or built).
///
/// ```
/// # fn main() -> supabase_core::Result<()> {
/// # let client = supabase_core::create_client("http://localhost:54321", "key")?;
/// let req = client.from_("planets").select("name").is_("name", "null").build()?;
/// assert_eq!(req.path_and_query(), "/rest/v1/planets?select=name&name=is.null");
///
/// let err = client.from_("planets").select("name").is_("name", "nil").build().unwrap_err();
/// assert!(matches!(err, supabase_core::Error::Config(_)));
/// # Ok(()) }
/// ```
pub trait IntoIs {
    /// The keyword, or why this value is not one.
    fn into_is(self) -> Result<Is, Error>;
}

impl IntoIs for Is {
    fn into_is(self) -> Result<Is, Error> {
        Ok(self)
    }
}

impl IntoIs for bool {
    fn into_is(self) -> Result<Is, Error> {
        Ok(Is::from(self))
    }
}

impl IntoIs for Option<bool> {
    fn into_is(self) -> Result<Is, Error> {
        Ok(Is::from(self))
    }
}

impl IntoIs for &str {
    fn into_is(self) -> Result<Is, Error> {
        Is::parse(self).ok_or_else(|| {
            Error::config(format!(
                "`is_` takes \"null\", \"true\", \"false\" or \"unknown\", not {self:?}"
            ))
        })
    }
}

impl IntoIs for String {
    fn into_is(self) -> Result<Is, Error> {
        self.as_str().into_is()
    }
}

impl IntoIs for &String {
    fn into_is(self) -> Result<Is, Error> {
        self.as_str().into_is()
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

    fn of_type(kind: Option<&str>) -> std::result::Result<Self, String> {
        Ok(match kind {
            None => TextSearch::tsquery(),
            Some("plain") => TextSearch::plain(),
            Some("phrase") => TextSearch::phrase(),
            // The reference's spelling, and postgrest-py's (`web_search`).
            Some("websearch" | "web_search") => TextSearch::websearch(),
            Some(other) => {
                return Err(format!(
                    "unknown text search type `{other}`: plain, phrase or websearch"
                ));
            }
        })
    }

    pub(crate) fn operator(&self) -> String {
        match &self.config {
            Some(c) => format!("{}fts({c})", self.kind),
            None => format!("{}fts", self.kind),
        }
    }
}

/// The reference's options dict, `{"type": "plain" | "phrase" | "websearch", "config":
/// "english"}`; without `type`, `to_tsquery`.
impl<'de> serde::Deserialize<'de> for TextSearch {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Options {
            #[serde(rename = "type", default)]
            kind: Option<String>,
            #[serde(default)]
            config: Option<String>,
        }
        let options = Options::deserialize(deserializer)?;
        let search =
            TextSearch::of_type(options.kind.as_deref()).map_err(serde::de::Error::custom)?;
        Ok(match options.config {
            Some(config) => search.config(config),
            None => search,
        })
    }
}

impl<T, M> Builder<T, M> {
    /// Adds a filter (a leaf or an `and`/`or` tree), negated if [`not_`](Builder::not_) came
    /// just before. Every filter method ends here.
    pub fn where_(self, condition: Condition) -> Self {
        self.where_in(None, condition)
    }

    /// Adds a filter on a referenced (embedded) table's rows (`instruments.or=(…)`).
    pub fn where_referenced(self, referenced_table: impl AsRef<str>, condition: Condition) -> Self {
        self.where_in(Some(referenced_table.as_ref()), condition)
    }

    fn where_in(mut self, table: Option<&str>, condition: Condition) -> Self {
        let condition = if std::mem::take(&mut self.state.negate_next) {
            !condition
        } else {
            condition
        };
        match condition.into_param(table) {
            Ok(param) => self.state.params.push(param),
            Err(e) => self.state.fail(e),
        }
        self
    }

    /// Rows matching at least one of `conditions`, built with [`Condition`] so values are
    /// quoted for you (the typed counterpart of [`or_`](Builder::or_)).
    pub fn or_where(self, conditions: impl IntoIterator<Item = Condition>) -> Self {
        self.where_(Condition::or(conditions))
    }

    fn op<V: Serialize + ?Sized>(self, column: impl AsRef<str>, op: Op, value: &V) -> Self {
        let column = column.as_ref().to_owned();
        self.where_(Condition::leaf(column.into(), op, value))
    }

    /// Rows where `column` equals `value`.
    #[doc(alias = "=")]
    pub fn eq<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Eq, &value)
    }

    /// Rows where `column` is not equal to `value`.
    #[doc(alias = "!=")]
    pub fn neq<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Neq, &value)
    }

    /// Rows where `column` is greater than `value`.
    #[doc(alias = ">")]
    pub fn gt<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Gt, &value)
    }

    /// Rows where `column` is greater than or equal to `value`.
    #[doc(alias = ">=")]
    pub fn gte<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Gte, &value)
    }

    /// Rows where `column` is less than `value`.
    #[doc(alias = "<")]
    pub fn lt<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Lt, &value)
    }

    /// Rows where `column` is less than or equal to `value`.
    #[doc(alias = "<=")]
    pub fn lte<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Lte, &value)
    }

    /// Rows where `column` matches the SQL `LIKE` `pattern` (case-sensitive; `%` and `_` are
    /// wildcards, and PostgREST also reads `*` as `%`).
    pub fn like(self, column: impl AsRef<str>, pattern: impl AsRef<str>) -> Self {
        self.op(column, Op::Like, pattern.as_ref())
    }

    /// Rows where `column` matches the `ILIKE` `pattern` (case-insensitive).
    pub fn ilike(self, column: impl AsRef<str>, pattern: impl AsRef<str>) -> Self {
        self.op(column, Op::Ilike, pattern.as_ref())
    }

    /// Rows where `column` matches the POSIX regular expression `pattern` (`~`; postgrest-js
    /// `regexMatch`).
    pub fn regex_match(self, column: impl AsRef<str>, pattern: impl AsRef<str>) -> Self {
        self.op(column, Op::Match, pattern.as_ref())
    }

    /// Rows where `column` matches the POSIX regular expression `pattern`, ignoring case
    /// (`~*`; postgrest-js `regexIMatch`).
    pub fn regex_imatch(self, column: impl AsRef<str>, pattern: impl AsRef<str>) -> Self {
        self.op(column, Op::Imatch, pattern.as_ref())
    }

    /// Rows where `column IS DISTINCT FROM value`: unequal, counting NULL as a value
    /// (postgrest-js `isDistinct`).
    pub fn is_distinct<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::IsDistinct, &value)
    }

    /// Rows where `column` matches every pattern (a list, or the reference's comma-separated
    /// string).
    #[doc(alias = "like(all)")]
    pub fn like_all_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.op(column, Op::LikeAllOf, &patterns)
    }

    /// Rows where `column` matches any of the patterns.
    #[doc(alias = "like(any)")]
    pub fn like_any_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.op(column, Op::LikeAnyOf, &patterns)
    }

    /// Rows where `column` matches every pattern, case-insensitively.
    #[doc(alias = "ilike(all)")]
    pub fn ilike_all_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.op(column, Op::IlikeAllOf, &patterns)
    }

    /// Rows where `column` matches any of the patterns, case-insensitively.
    #[doc(alias = "ilike(any)")]
    pub fn ilike_any_of<V: Serialize>(self, column: impl AsRef<str>, patterns: V) -> Self {
        self.op(column, Op::IlikeAnyOf, &patterns)
    }

    /// Rows where `column IS value`: the reference's strings (`"null"`, `"true"`, `"false"`,
    /// `"unknown"`), [`Is::Null`] and the other keywords, `true`/`false`, or `Option<bool>`
    /// (see [`IntoIs`]). Any other string fails the query with [`Error::Config`] when it is sent.
    #[doc(alias = "is")]
    pub fn is_(self, column: impl AsRef<str>, value: impl IntoIs) -> Self {
        self.where_(Condition::is(column.as_ref(), value))
    }

    /// Rows where `column` is one of `values` (a list).
    #[doc(alias = "in")]
    pub fn in_<V: Serialize>(self, column: impl AsRef<str>, values: V) -> Self {
        self.op(column, Op::In, &values)
    }

    /// Rows where `column` (array, range or jsonb) contains `value`: a list (array elements), a
    /// range literal string, or a map (jsonb).
    #[doc(alias = "cs")]
    #[doc(alias = "@>")]
    pub fn contains<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Contains, &value)
    }

    /// Rows where every element of `column` (array, range or jsonb) is contained in `value`.
    #[doc(alias = "cd")]
    #[doc(alias = "<@")]
    pub fn contained_by<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::ContainedBy, &value)
    }

    /// Rows where the range `column` is strictly right of `range` (a range literal string or two
    /// bounds).
    #[doc(alias = "sr")]
    pub fn range_gt<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.op(column, Op::RangeGt, &range)
    }

    /// Rows where the range `column` does not extend left of `range`.
    #[doc(alias = "nxl")]
    pub fn range_gte<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.op(column, Op::RangeGte, &range)
    }

    /// Rows where the range `column` is strictly left of `range`.
    #[doc(alias = "sl")]
    pub fn range_lt<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.op(column, Op::RangeLt, &range)
    }

    /// Rows where the range `column` does not extend right of `range`.
    #[doc(alias = "nxr")]
    pub fn range_lte<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.op(column, Op::RangeLte, &range)
    }

    /// Rows where the range `column` is adjacent to `range`.
    #[doc(alias = "adj")]
    pub fn range_adjacent<V: Serialize>(self, column: impl AsRef<str>, range: V) -> Self {
        self.op(column, Op::RangeAdjacent, &range)
    }

    /// Rows where `column` (array or range) and `value` have an element in common.
    #[doc(alias = "ov")]
    #[doc(alias = "&&")]
    pub fn overlaps<V: Serialize>(self, column: impl AsRef<str>, value: V) -> Self {
        self.op(column, Op::Overlaps, &value)
    }

    /// Rows where the text or tsvector `column` matches the full-text `query`.
    ///
    /// ```
    /// # fn main() -> supabase_core::Result<()> {
    /// # let client = supabase_core::create_client("http://localhost:54321", "key")?;
    /// use supabase_core::postgrest::TextSearch;
    /// let req = client
    ///     .from_("quotes")
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
        self.where_(Condition::text_search(column.as_ref(), query, &options))
    }

    /// Rows where each key of `query` (a map or struct) equals its value: several `eq`s.
    #[doc(alias = "match")]
    pub fn match_<V: Serialize>(mut self, query: V) -> Self {
        match encode::to_object(&query, "match_") {
            // postgrest-py refuses an empty dict too: it would filter nothing, and a write would
            // reach every row.
            Ok(map) if map.is_empty() => self.fail(Error::config(
                "match_ needs at least one column and value; an empty one filters nothing",
            )),
            Ok(map) => {
                for (column, value) in &map {
                    self = self.op(column, Op::Eq, value);
                }
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Negates the filter that follows, as `.not_.is_("name", "null")` in the reference:
    /// `.not_().is_("name", "null")`.
    #[doc(alias = "not")]
    pub fn not_(self) -> Self {
        self.map_state(|s| s.negate_next = true)
    }

    /// Rows matching at least one of `filters`, written in PostgREST syntax
    /// (`id.eq.2,name.eq.Mars`, with nested `and(…)`). The string is sent as written: quote
    /// values containing `,` `.` `:` `(` `)` yourself, or use [`or_where`](Builder::or_where).
    #[doc(alias = "or")]
    pub fn or_(self, filters: impl AsRef<str>) -> Self {
        self.where_(Condition::raw_or(filters.as_ref()))
    }

    /// [`or_`](Builder::or_) on a referenced (embedded) table's rows, as
    /// `or_(filters, reference_table=…)` in the reference.
    #[doc(alias = "reference_table")]
    pub fn or_referenced(
        self,
        referenced_table: impl AsRef<str>,
        filters: impl AsRef<str>,
    ) -> Self {
        self.where_referenced(referenced_table, Condition::raw_or(filters.as_ref()))
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
        self.where_(Condition::raw(
            column.as_ref(),
            operator.as_ref(),
            value.as_ref(),
        ))
    }

    pub(crate) fn fail(self, e: Error) -> Self {
        self.map_state(|s| s.fail(e))
    }
}
