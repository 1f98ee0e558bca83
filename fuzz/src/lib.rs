//! The bodies of the fuzz targets, one function per target, each taking the raw input.
//!
//! Compiled twice: by the `fuzz/` crate for `cargo fuzz` (libFuzzer, `cargo xtask fuzz`), and as
//! a module of `supabase-tests`' `fuzz_corpus` test, which replays every committed corpus file
//! on stable so the targets cannot rot. A target panics only when the client does (a bug) or
//! when a stated property does not hold.
//!
//! Inputs are plain text where the client sees text, so the corpus seeds are readable: a filter
//! value (or a JSON value), a raw HTTP response, a Phoenix frame, a JWT or a stored session, a
//! storage path.

use std::sync::OnceLock;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use supabase_core::fuzz;
use supabase_core::postgrest::{Condition, Op};
use supabase_core::storage::UrlOptions;
use supabase_core::{Client, create_client};

/// The project URL of the (never contacted) client the targets build requests with.
const PROJECT: &str = "http://localhost:54321";

/// The JWT secret the `jwt` corpus seeds are signed with (supabase-local's default).
pub const JWT_SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";

fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| create_client(PROJECT, "anon-key").expect("a valid project URL"))
}

// ---------------------------------------------------------------------------------------------
// encoder

/// Every operator, so every operand shape is reached.
const OPS: [Op; 24] = [
    Op::Eq,
    Op::Neq,
    Op::Gt,
    Op::Gte,
    Op::Lt,
    Op::Lte,
    Op::Like,
    Op::Ilike,
    Op::LikeAllOf,
    Op::LikeAnyOf,
    Op::IlikeAllOf,
    Op::IlikeAnyOf,
    Op::In,
    Op::Contains,
    Op::ContainedBy,
    Op::Overlaps,
    Op::RangeGt,
    Op::RangeGte,
    Op::RangeLt,
    Op::RangeLte,
    Op::RangeAdjacent,
    Op::Match,
    Op::Imatch,
    Op::IsDistinct,
];

/// The value encoder, through the public builder: the input is a JSON value (or, when it is not
/// JSON, one string).
///
/// Properties, read back as PostgREST reads a query string (form-decoding, then its quoted-value
/// grammar): a string filtered with `eq` arrives verbatim; a list of strings in `in.(…)` and in an
/// `or=(…)` tree arrives element for element; no value adds, removes or renames a query
/// parameter.
pub fn encoder(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let value: Value =
        serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()));
    let items: Vec<Value> = match &value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    let strings: Vec<String> = std::iter::once(text.to_owned())
        .chain(items.iter().filter_map(|v| v.as_str().map(str::to_owned)))
        .collect();

    for s in &strings {
        let pairs = query(client().table("t").select("*").eq("c", s).build());
        assert_eq!(
            pairs,
            [
                ("select".into(), "*".into()),
                ("c".into(), format!("eq.{s}"))
            ],
            "eq of {s:?}"
        );
    }

    // `in.(…)`: the same strings, element for element.
    let pairs = query(client().table("t").select("*").in_("c", &strings).build());
    let [(select, _), (key, operand)] = pairs.as_slice() else {
        panic!("in_: unexpected parameters {pairs:?}");
    };
    assert_eq!((select.as_str(), key.as_str()), ("select", "c"));
    let list = operand.strip_prefix("in.").expect("in. operator");
    let mut cursor = Cursor(list);
    let parsed = cursor.list().expect("an in.(…) list");
    assert!(cursor.0.is_empty(), "in_: trailing text {:?}", cursor.0);
    assert_eq!(parsed, expected_list(&strings), "in_ of {strings:?}");

    // An `or` tree: `(c.eq."…",d.in.(…))`.
    let first = &strings[0];
    let pairs = query(
        client()
            .table("t")
            .select("*")
            .or_where([
                Condition::new("c", Op::Eq, first),
                Condition::new("d", Op::In, &strings),
            ])
            .build(),
    );
    let [_, (key, tree)] = pairs.as_slice() else {
        panic!("or_where: unexpected parameters {pairs:?}");
    };
    assert_eq!(key, "or");
    let mut cursor = Cursor(tree);
    cursor.expect("(c.eq.");
    assert_eq!(cursor.quoted().as_deref(), Some(first.as_str()), "{tree}");
    cursor.expect(",d.in.");
    assert_eq!(cursor.list(), Some(expected_list(&strings)), "{tree}");
    cursor.expect(")");
    assert!(cursor.0.is_empty(), "or tree: trailing text in {tree}");

    // Any value with any operator, at top level and nested: a typed error or one parameter.
    for op in OPS {
        let built = client()
            .table("t")
            .select("*")
            .where_(Condition::new("c", op, &value))
            .build();
        if built.is_ok() {
            assert_eq!(query(built).len(), 2, "{op:?} of {value}");
        }
        let built = client()
            .table("t")
            .select("*")
            .or_where([
                !Condition::and([Condition::new("c", op, &value)]),
                Condition::new("d", op, &items),
            ])
            .build();
        if built.is_ok() {
            let pairs = query(built);
            assert_eq!(pairs.len(), 2, "{op:?} of {value}: {pairs:?}");
        }
    }
}

/// The query parameters of a built request, decoded as PostgREST decodes them.
fn query(built: supabase_core::Result<supabase_core::HttpRequest>) -> Vec<(String, String)> {
    let request = built.expect("the request builds");
    let url = request.url();
    assert!(url.as_str().starts_with(PROJECT), "{url}");
    assert_eq!(url.path(), "/rest/v1/t");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// What `in.(…)` should hold: the strings, except that a lone empty string is sent twice
/// (PostgREST reads `in.()` as the empty list).
fn expected_list(strings: &[String]) -> Vec<String> {
    if strings == [String::new()] {
        vec![String::new(), String::new()]
    } else {
        strings.to_vec()
    }
}

/// A reader of PostgREST's operand grammar (`ApiRequest/QueryParams.hs`): a quoted value is
/// `"…"` where a backslash escapes the next character; a list is `(v,v,…)`.
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    fn expect(&mut self, prefix: &str) {
        self.0 = self
            .0
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?} at {:?}", self.0));
    }

    fn quoted(&mut self) -> Option<String> {
        let mut chars = self.0.strip_prefix('"')?.char_indices();
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?.1),
                '"' => {
                    self.0 = &self.0[1 + i + 1..];
                    return Some(out);
                }
                c => out.push(c),
            }
        }
        None
    }

    fn list(&mut self) -> Option<Vec<String>> {
        self.0 = self.0.strip_prefix('(')?;
        let mut out = Vec::new();
        if let Some(rest) = self.0.strip_prefix(')') {
            self.0 = rest;
            return Some(out);
        }
        loop {
            out.push(self.quoted()?);
            if let Some(rest) = self.0.strip_prefix(',') {
                self.0 = rest;
            } else {
                self.0 = self.0.strip_prefix(')')?;
                return Some(out);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// response

/// Response decoding: the input is an HTTP response (status line, headers, body), as a server
/// or a proxy could send it; without a parsable head the whole input is the body of a 200.
///
/// Every decoder of server answers runs on it (PostgREST data and errors, storage and GoTrue
/// errors) and must return, never panic. Properties: a body decoded as data is exactly the
/// body's JSON; error messages built from non-JSON bodies are bounded; the streaming splitter
/// yields the same elements (and the same error) however the body is cut into chunks, and
/// the same elements as parsing the whole array.
pub fn response(data: &[u8]) {
    let (status, headers, body) = parse_http(data);

    for maybe_one in [false, true] {
        let decoded = fuzz::postgrest_response(status, headers.clone(), body, maybe_one);
        if let Ok(r) = &decoded
            && !maybe_one
            && is_json(&headers)
        {
            let expected = if body.iter().all(u8::is_ascii_whitespace) {
                Value::Null
            } else {
                serde_json::from_slice(body).expect("decoded data is the body's JSON")
            };
            assert_eq!(r.data, expected);
        }
    }
    let bounded = |message: &str| assert!(message.len() <= 3 * 512, "unbounded error message");
    let e = fuzz::postgrest_error(status, body);
    assert_eq!(e.status, status);
    if serde_json::from_slice::<Value>(body).is_err() {
        bounded(&e.message);
    }
    for tus in [false, true] {
        let e = fuzz::storage_error(status, body, tus);
        assert_eq!(e.http_status, status);
        if serde_json::from_slice::<Value>(body).is_err() {
            bounded(&e.message);
        }
    }
    let e = fuzz::auth_error(status, &headers, body);
    let _ = (e.to_string(), e.status(), e.code());

    // The splitter: whole, then cut every 1, 2, 3 and 7 bytes, and at byte-chosen places.
    let whole = split(&[body]);
    for size in [1, 2, 3, 7] {
        let chunks: Vec<&[u8]> = body.chunks(size).collect();
        assert_eq!(split(&chunks), whole, "chunks of {size}");
    }
    let mut chunks = Vec::new();
    let mut rest = body;
    for &b in data.iter().take(16) {
        let (head, tail) = rest.split_at(usize::from(b).min(rest.len()));
        chunks.push(head);
        rest = tail;
    }
    chunks.push(rest);
    assert_eq!(split(&chunks), whole, "byte-chosen chunks");
    if let Ok(array) = serde_json::from_slice::<Vec<Value>>(body) {
        let (elements, end) = whole;
        assert_eq!(end, Ok(()), "a JSON array splits");
        let elements: Vec<Value> = elements
            .iter()
            .map(|e| serde_json::from_slice(e).expect("each element is JSON"))
            .collect();
        assert_eq!(elements, array);
    }
}

type Split = (Vec<Vec<u8>>, Result<(), String>);

fn split(chunks: &[&[u8]]) -> Split {
    let mut splitter = fuzz::ArraySplitter::default();
    let mut elements = Vec::new();
    for chunk in chunks {
        splitter.push(chunk);
        loop {
            match splitter.next_element() {
                Ok(Some(e)) => elements.push(e),
                Ok(None) => break,
                Err(e) => return (elements, Err(e)),
            }
        }
    }
    let end = splitter.finish();
    (elements, end)
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|ct| {
            let essence = ct.split(';').next().unwrap_or_default().trim();
            essence.ends_with("/json") || essence.ends_with("+json")
        })
}

fn parse_http(data: &[u8]) -> (StatusCode, HeaderMap, &[u8]) {
    let mut slots = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut slots);
    if let Ok(httparse::Status::Complete(head)) = parsed.parse(data)
        && let Some(status) = parsed.code.and_then(|c| StatusCode::from_u16(c).ok())
    {
        let mut headers = HeaderMap::new();
        for h in parsed.headers.iter() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(h.name.as_bytes()),
                HeaderValue::from_bytes(h.value),
            ) {
                headers.append(name, value);
            }
        }
        return (status, headers, &data[head..]);
    }
    (StatusCode::OK, HeaderMap::new(), data)
}

// ---------------------------------------------------------------------------------------------
// realtime_frame

/// Realtime frame decoding: the input is one WebSocket frame, read both as a binary frame
/// (vsn 2.0.0 user broadcast: kind, lengths, topic, event, metadata, payload) and, when UTF-8, as
/// a text frame.
///
/// Properties: a binary frame's topic and event are the lengths its header says and a binary
/// payload is the frame's tail; a decoded frame re-encodes, in both text forms, to a frame that
/// decodes to the same message (refs sent as numbers come back as their text); the payload goes
/// through what a channel does with it (`postgres_changes` parsing, presence state and diffs in
/// both orders) without panicking.
pub fn realtime_frame(data: &[u8]) {
    if let Ok((frame, binary)) = fuzz::realtime_decode_binary(data) {
        assert_eq!(frame.2.len(), usize::from(data[1]), "topic length");
        if let Some(bytes) = &binary {
            assert!(
                data.ends_with(bytes),
                "the binary payload is the frame's tail"
            );
        }
        round_trip(&frame);
        handle(frame);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(frame) = fuzz::realtime_decode(text) {
        round_trip(&frame);
        handle(frame);
    }
    // A change's records as typed listeners read them: the frame's text of each record, which
    // holds the same values as the untyped change.
    if let Some((change, new, old)) = fuzz::realtime_change_text(text) {
        for (text, value) in [(new, &change.new), (old, &change.old)] {
            let parsed: Value = serde_json::from_str(&text).expect("a record's text is JSON");
            assert_eq!(&parsed, value, "{text}");
        }
    }
}

fn round_trip(frame: &fuzz::Frame) {
    for v2 in [false, true] {
        let encoded = fuzz::realtime_encode(frame.clone(), v2);
        let again = fuzz::realtime_decode(&encoded).expect("an encoded frame decodes");
        assert_eq!(&again, frame, "vsn {}: {encoded}", if v2 { 2 } else { 1 });
    }
}

/// What a channel does with a frame's payload.
fn handle(frame: fuzz::Frame) {
    let (join_ref, _, _, _, payload) = frame;
    if let Some((_, change)) = fuzz::realtime_change(&payload) {
        assert!(change.new.is_object() && change.old.is_object());
    }
    let state = (true, payload.clone(), join_ref.clone());
    let diff = (false, payload, join_ref);
    let _ = fuzz::realtime_presence(&[state.clone(), diff.clone(), diff.clone()]);
    let (events, _) = fuzz::realtime_presence(&[diff.clone(), state, diff]);
    // A state emits a `Sync` once it is applied.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, supabase_core::realtime::PresenceEvent::Sync))
    );
}

// ---------------------------------------------------------------------------------------------
// jwt

/// JWT and claims decoding: the input is a token (or a stored session's JSON).
///
/// Properties: the unverified payload is the token's payload part; `get_claims` with the secret
/// (all local) accepts only what parses, and returns exactly the parsed header and claims. A
/// stored session decodes or is dropped, and its expiry arithmetic never overflows.
pub fn jwt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parts = fuzz::jwt_parts(text);
    let payload = fuzz::jwt_unverified(text);
    if let Ok((_, claims)) = &parts {
        assert_eq!(payload.as_ref().ok(), Some(claims));
    }
    if let Ok(claims) = fuzz::jwt_claims_hs256(text, JWT_SECRET) {
        let (header, payload) = parts.expect("verified tokens parse");
        assert_eq!((claims.header, claims.claims), (header, payload));
    }
    let _ = fuzz::stored_session(text);
}

// ---------------------------------------------------------------------------------------------
// storage_path

/// Storage path handling: the input is an object path, or `bucket\npath`.
///
/// Properties of `get_public_url` (with and without a download name): it fails exactly for
/// paths that are empty or hold a `.` or `..` segment and for the bucket ids `.` and `..`
/// (which URL normalisation would drop or climb out with); otherwise the URL stays under
/// `/storage/v1/object/public/`, and its segments decode back to the bucket and the path's
/// non-empty segments, one for one.
pub fn storage_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (bucket, path) = text.split_once('\n').unwrap_or(("avatars", text));
    let expected: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let dots = |s: &&str| *s == "." || *s == "..";
    let valid = !expected.is_empty() && !expected.iter().any(dots) && !dots(&bucket);
    let api = client().storage().from_(bucket);
    for options in [UrlOptions::new(), UrlOptions::new().download(path)] {
        let url = api.get_public_url_with(path, options);
        let Ok(url) = url else {
            assert!(!valid, "{path:?} refused: {url:?}");
            continue;
        };
        assert!(valid, "{path:?} accepted: {url}");
        let url = url::Url::parse(&url).expect("a valid URL");
        assert_eq!(url.origin().ascii_serialization(), PROJECT);
        let segments: Vec<String> = url
            .path_segments()
            .expect("a path")
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let mut want = vec!["storage", "v1", "object", "public", bucket];
        want.extend(&expected);
        assert_eq!(segments, want, "{url}");
    }
}

// ---------------------------------------------------------------------------------------------
// rows

/// A row with a column of each kind the decoder `#[derive(Table)]` generates reads directly,
/// and one (`doc`) it hands to the type's own `Deserialize`.
#[derive(supabase_core::Table, Debug, serde::Deserialize)]
#[supabase(table = "fuzz_rows")]
pub struct FuzzRow {
    id: i64,
    small: Option<i16>,
    unsigned: u32,
    score: f64,
    ok: Option<bool>,
    name: String,
    tags: Vec<Option<String>>,
    doc: Option<Value>,
}

/// A page decoded by the derive's decoder (`Table::decode_rows`).
///
/// Property: whatever it decodes, serde_json decodes into the same rows (compared by their
/// `Debug` text, which tells `-0.0` from `0.0`); anything else it leaves to serde_json.
pub fn rows(data: &[u8]) {
    use supabase_core::Table;

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(rows) = FuzzRow::decode_rows(text, None) else {
        return;
    };
    match serde_json::from_str::<Vec<FuzzRow>>(text) {
        Ok(expected) => assert_eq!(format!("{rows:?}"), format!("{expected:?}")),
        Err(e) => panic!("decoded {rows:?}, but serde_json rejects the page: {e}"),
    }
}
