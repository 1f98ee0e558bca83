//! The one request model of the database API. The untyped [`Builder`](super::Builder) and the
//! typed layer both fill a [`QueryState`]; [`QueryState::render`] turns it into an
//! [`HttpRequest`].

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, Method};

use super::encode;
use super::modifiers::{Count, Explain, Returning};
use super::response::PREFER;
use crate::Client;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, set_header, set_header_cow};
use crate::secret::{redact_param, redact_text};

/// What the request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Select,
    Insert,
    Upsert,
    Update,
    Delete,
    Rpc,
}

impl Verb {
    /// The verb in an error message.
    pub(crate) fn described(self) -> &'static str {
        match self {
            Verb::Select => "a select",
            Verb::Insert => "an insert",
            Verb::Upsert => "an upsert",
            Verb::Update => "an update",
            Verb::Delete => "a delete",
            Verb::Rpc => "a function call",
        }
    }
}

/// How many rows the caller expects back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Cardinality {
    #[default]
    Many,
    /// Exactly one row, as an object (`Accept: application/vnd.pgrst.object+json`).
    One,
    /// Zero or one row: the array is checked on our side, so zero rows is not an error.
    MaybeOne,
}

/// The response format asked for in `Accept`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Format {
    #[default]
    Json,
    Csv,
    GeoJson,
}

/// One query parameter, unencoded: key and value are borrowed when known at compile time
/// (`select`, `limit`, a typed column, a typed select list), so building a query copies as
/// little as it can.
pub(crate) type Param = (Cow<'static, str>, Cow<'static, str>);

/// Everything a database request is made of, before rendering.
pub(crate) struct QueryState {
    /// Sent as `Accept-Profile` / `Content-Profile`; borrowed for the default and typed schemas.
    pub(crate) schema: Cow<'static, str>,
    /// Path under `/rest/v1/`, already percent-encoded (`planets`, `rpc/echo`).
    pub(crate) path: String,
    pub(crate) verb: Verb,
    /// No body wanted ([`head`](super::Builder::head)): `HEAD` instead of `GET` (or instead of
    /// the RPC's method); a write keeps its method and is sent with `return=minimal`, whatever
    /// a later `select` or `returning` asks.
    pub(crate) head: bool,
    /// RPC sent as `GET` with its arguments in the query string.
    pub(crate) rpc_get: bool,
    pub(crate) rpc_args: Option<serde_json::Map<String, serde_json::Value>>,
    /// Query parameters in order: select, filters, order, limit, … (unencoded).
    pub(crate) params: Vec<Param>,
    pub(crate) body: Option<Bytes>,
    /// The body's `Content-Type`: JSON but for a function's unnamed argument ([`RpcBody`]).
    ///
    /// [`RpcBody`]: crate::RpcBody
    pub(crate) body_type: &'static str,
    pub(crate) returning: Option<Returning>,
    pub(crate) count: Option<Count>,
    pub(crate) missing_default: bool,
    pub(crate) ignore_duplicates: bool,
    pub(crate) cardinality: Cardinality,
    /// The answer is one composite value of a function ([`Rpc::RETURNS_ROW`](crate::Rpc)): an
    /// object whose every value is null is `null`, as SQL reads a row of nulls.
    pub(crate) null_row: bool,
    pub(crate) format: Format,
    pub(crate) explain: Option<Explain>,
    /// `Prefer: tx=rollback`: PostgREST runs the request, answers, and rolls back.
    pub(crate) rollback: bool,
    /// `Prefer: handling=strict,max-affected=n`.
    pub(crate) max_affected: Option<u64>,
    /// `Accept: …;nulls=stripped`: keys whose value is null are left out of the rows.
    pub(crate) strip_nulls: bool,
    pub(crate) headers: HeaderMap,
    pub(crate) timeout: Option<Duration>,
    /// `false`: sent once, whatever the client's retry policy (`retry(false)`).
    pub(crate) retry: bool,
    /// Set by `not_()`: the next filter is negated.
    pub(crate) negate_next: bool,
    /// The first error met while building; reported when the request is built or sent.
    pub(crate) error: Option<Error>,
}

impl std::fmt::Debug for QueryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field as derived, but `headers` redacted (a per-request header may carry a
        // token). Destructured, so a new field cannot be left out silently.
        let QueryState {
            schema,
            path,
            verb,
            head,
            rpc_get,
            rpc_args,
            params,
            body,
            body_type,
            returning,
            count,
            missing_default,
            ignore_duplicates,
            cardinality,
            null_row,
            format,
            explain,
            rollback,
            max_affected,
            strip_nulls,
            headers,
            timeout,
            retry,
            negate_next,
            error,
        } = self;
        f.debug_struct("QueryState")
            .field("schema", schema)
            .field("path", path)
            .field("verb", verb)
            .field("head", head)
            .field("rpc_get", rpc_get)
            .field(
                "rpc_args",
                &rpc_args
                    .as_ref()
                    .map(|args| redact_text(&serde_json::to_string(args).unwrap_or_default())),
            )
            .field("params", &RedactedParams(params))
            .field(
                "body",
                &body
                    .as_ref()
                    .map(|b| redact_text(&String::from_utf8_lossy(b))),
            )
            .field("body_type", body_type)
            .field("returning", returning)
            .field("count", count)
            .field("missing_default", missing_default)
            .field("ignore_duplicates", ignore_duplicates)
            .field("cardinality", cardinality)
            .field("null_row", null_row)
            .field("format", format)
            .field("explain", explain)
            .field("rollback", rollback)
            .field("max_affected", max_affected)
            .field("strip_nulls", strip_nulls)
            .field("headers", &crate::http::RedactedHeaders(headers))
            .field("timeout", timeout)
            .field("retry", retry)
            .field("negate_next", negate_next)
            .field("error", error)
            .finish()
    }
}

/// `Debug` of query parameters: secret-named ones, and anything shaped like a token, redacted.
struct RedactedParams<'a>(&'a [Param]);

impl std::fmt::Debug for RedactedParams<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|(name, value)| (name, redact_param(name, value))),
            )
            .finish()
    }
}

impl QueryState {
    pub(crate) fn new(schema: Cow<'static, str>, path: String, verb: Verb) -> Self {
        QueryState {
            schema,
            path,
            verb,
            head: false,
            rpc_get: false,
            rpc_args: None,
            params: Vec::new(),
            body: None,
            body_type: "application/json",
            // supabase-py returns the written rows unless asked not to.
            returning: match verb {
                Verb::Select | Verb::Rpc => None,
                _ => Some(Returning::Representation),
            },
            count: None,
            missing_default: false,
            ignore_duplicates: false,
            cardinality: Cardinality::Many,
            null_row: false,
            format: Format::Json,
            explain: None,
            rollback: false,
            max_affected: None,
            strip_nulls: false,
            headers: HeaderMap::new(),
            timeout: None,
            retry: true,
            negate_next: false,
            error: None,
        }
    }

    /// Records the first error; later ones are usually consequences of it.
    pub(crate) fn fail(&mut self, e: Error) {
        self.error.get_or_insert(e);
    }

    /// Whether this is an upsert; otherwise fails the request for the `option` that only an
    /// upsert has.
    pub(crate) fn upsert_only(&mut self, option: &str) -> bool {
        if self.verb == Verb::Upsert {
            return true;
        }
        let e = Error::config(format!(
            "{option} applies to an upsert, not {}",
            self.verb.described()
        ));
        self.fail(e);
        false
    }

    /// Sets a parameter, replacing an earlier one with the same key.
    pub(crate) fn set_param(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Cow<'static, str>>,
    ) {
        let (key, value) = (key.into(), value.into());
        match self.params.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.params.push((key, value)),
        }
    }

    pub(crate) fn method(&self) -> Method {
        match (self.verb, self.head) {
            (Verb::Select | Verb::Rpc, true) => Method::HEAD,
            (Verb::Select, false) => Method::GET,
            (Verb::Rpc, false) if self.rpc_get => Method::GET,
            (Verb::Insert | Verb::Upsert | Verb::Rpc, _) => Method::POST,
            (Verb::Update, _) => Method::PATCH,
            (Verb::Delete, _) => Method::DELETE,
        }
    }

    fn prefer(&self) -> String {
        let mut parts: Vec<Cow<'static, str>> = Vec::new();
        if self.verb == Verb::Upsert {
            parts.push(Cow::Borrowed(if self.ignore_duplicates {
                "resolution=ignore-duplicates"
            } else {
                "resolution=merge-duplicates"
            }));
        }
        let returning = match self.verb {
            Verb::Insert | Verb::Upsert | Verb::Update | Verb::Delete if self.head => {
                Some(super::Returning::Minimal)
            }
            _ => self.returning,
        };
        if let Some(r) = returning {
            parts.push(Cow::Borrowed(r.prefer()));
        }
        if let Some(c) = self.count {
            parts.push(Cow::Borrowed(c.prefer()));
        }
        if self.missing_default {
            parts.push(Cow::Borrowed("missing=default"));
        }
        if self.rollback {
            parts.push(Cow::Borrowed("tx=rollback"));
        }
        if let Some(n) = self.max_affected {
            // Without `handling=strict` PostgREST ignores the limit.
            parts.push(Cow::Borrowed("handling=strict"));
            parts.push(Cow::Owned(format!("max-affected={n}")));
        }
        parts.join(",")
    }

    /// Whether PostgREST is asked for a single object, so that it checks the row count itself
    /// and rolls the transaction back when it is wrong: for `single()`, and for
    /// `maybe_single()` on table writes, as postgrest-js does for every method but `GET`. Left
    /// to the client (committed either way): `maybe_single()` reads, where nothing is undone,
    /// and function calls, where a rollback would also undo the effects of a call that returns
    /// no row, while reporting success.
    fn singular_on_server(&self) -> bool {
        match self.cardinality {
            Cardinality::One => true,
            Cardinality::MaybeOne => matches!(
                self.verb,
                Verb::Insert | Verb::Upsert | Verb::Update | Verb::Delete
            ),
            Cardinality::Many => false,
        }
    }

    fn accept(&self) -> Cow<'static, str> {
        // postgrest-js `stripNulls`: the object type gets the parameter, and the array one
        // replaces `application/json` (PostgREST strips nulls from its vendor types only).
        let strip = self.strip_nulls && self.explain.is_none();
        let base = match &self.format {
            Format::Csv => "text/csv",
            Format::GeoJson => "application/geo+json",
            Format::Json if self.singular_on_server() && strip => {
                "application/vnd.pgrst.object+json;nulls=stripped"
            }
            Format::Json if self.singular_on_server() => "application/vnd.pgrst.object+json",
            Format::Json if strip => "application/vnd.pgrst.array+json;nulls=stripped",
            Format::Json => "application/json",
        };
        match &self.explain {
            Some(explain) => Cow::Owned(explain.accept(base)),
            None => Cow::Borrowed(base),
        }
    }

    /// The `Accept` the request carries: one given by hand, else [`accept`](Self::accept).
    pub(crate) fn accept_asked(&self) -> Cow<'_, str> {
        match self.headers.get(ACCEPT) {
            Some(value) => String::from_utf8_lossy(value.as_bytes()),
            None => self.accept(),
        }
    }

    /// Renders the request for `client`.
    pub(crate) fn render(&self, client: &Client) -> Result<HttpRequest> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.strip_nulls && self.format == Format::Csv {
            return Err(Error::config("strip_nulls() cannot be used with csv()"));
        }
        let method = self.method();
        if self.verb == Verb::Rpc
            && self.rpc_args.is_none()
            && self.body.is_some()
            && matches!(method, Method::GET | Method::HEAD)
        {
            return Err(Error::config(
                "a function's unnamed argument is sent as the body of a POST; \
                 GET and HEAD only carry named arguments",
            ));
        }
        // One relative parse against the project URL: path and query are already encoded.
        let with_args: Vec<Param>;
        let params_ref = if let (Some(args), true) = (&self.rpc_args, self.rpc_in_query()) {
            // A read-only call carries its arguments in the query string. A query string has
            // no SQL NULL (`x=null` is the text 'null'): a null argument is left out, for the
            // function's default, as postgrest-js leaves out `undefined` ones.
            let mut params = Vec::with_capacity(args.len() + self.params.len());
            for (name, value) in args.iter().filter(|(_, v)| !v.is_null()) {
                // PostgREST hands query arguments to the function as text: a `json`/`jsonb`
                // parameter gets the string `"{\"k\":1}"`, not the object (postgrest-js
                // switches such calls to POST for the same reason).
                let object = |v: &serde_json::Value| v.is_object();
                if object(value) || value.as_array().is_some_and(|a| a.iter().any(object)) {
                    return Err(Error::config(format!(
                        "argument `{name}` holds a JSON object, which a GET or HEAD call can \
                         only send as text in the query string; call the function without \
                         get() or head() to send it as JSON"
                    )));
                }
                params.push((
                    Cow::Owned(name.clone()),
                    Cow::Owned(encode::operand(encode::Shape::Plain, value)?),
                ));
            }
            params.extend(self.params.iter().cloned());
            with_args = params;
            &with_args
        } else {
            &self.params
        };
        // Sized for the query unencoded (a separator per parameter), plus a little for escapes.
        let query_len: usize = params_ref.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
        let mut target = String::with_capacity("rest/v1/".len() + self.path.len() + query_len + 16);
        target.push_str("rest/v1/");
        target.push_str(&self.path);
        if !params_ref.is_empty() {
            target.push('?');
            encode::write_query(&mut target, params_ref);
        }
        let url = client.service_url(&target)?;

        let mut headers = client.base_headers();
        let profile = if matches!(method, Method::GET | Method::HEAD) {
            "accept-profile"
        } else {
            "content-profile"
        };
        set_header_cow(&mut headers, HeaderName::from_static(profile), &self.schema)?;
        set_header_cow(&mut headers, ACCEPT, &self.accept())?;
        // A client-wide `Prefer` (`ClientOptions::header`) goes before the computed
        // preferences, as postgrest-js joins `this.headers['Prefer']` into a write's: a plain
        // replacement would drop e.g. a global `tx=rollback` from every write.
        let mut prefer = self.prefer();
        if let Some(global) = headers.get(&PREFER).and_then(|v| v.to_str().ok()) {
            prefer = if prefer.is_empty() {
                global.to_owned()
            } else {
                format!("{global},{prefer}")
            };
        }
        if !prefer.is_empty() {
            set_header(&mut headers, PREFER, &prefer)?;
        }
        let body = match (&self.body, &self.rpc_args) {
            _ if matches!(method, Method::GET | Method::HEAD) => None,
            (Some(body), _) => Some(body.clone()),
            (None, Some(args)) => Some(Bytes::from(
                serde_json::to_vec(args).map_err(|e| Error::Encode(e.to_string()))?,
            )),
            (None, None) => None,
        };
        if body.is_some() {
            set_header(&mut headers, CONTENT_TYPE, self.body_type)?;
        }
        // Per-request headers win over everything above, `Prefer` too, but by joining: a
        // preference given by hand (`tx=rollback`, `return=minimal`) goes before the computed
        // ones (`resolution=`, `return=`, `count=`), which a plain replacement would drop.
        // PostgREST takes the first of each preference (`Preferences.hs`), so where the two
        // differ, the hand-given one wins.
        for (name, value) in &self.headers {
            if name == PREFER && !prefer.is_empty() {
                let joined = format!("{},{prefer}", value.to_str().unwrap_or_default());
                set_header(&mut headers, name.clone(), &joined)?;
            } else {
                headers.insert(name.clone(), value.clone());
            }
        }
        Ok(HttpRequest {
            method,
            url,
            headers,
            body,
            timeout: self
                .timeout
                .or(client.inner.options.postgrest_client_timeout),
            retry: self.retry,
        })
    }

    fn rpc_in_query(&self) -> bool {
        self.verb == Verb::Rpc && (self.rpc_get || self.head)
    }
}
