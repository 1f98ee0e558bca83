//! Decoding PostgREST responses: data, count and status, or a typed error.

use http::header::{CONTENT_RANGE, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, StatusCode};
use serde::de::DeserializeOwned;
use serde::de::value::StrDeserializer;
use serde_json::value::RawValue;

use super::builder::RowsDecoder;
use super::request::Cardinality;
use super::rows_hint::{RowsHint, rows_in_range};
use super::simd::{self, SIMD_SIZES};
use crate::error::{Error, PostgrestError, Result};
use crate::http::RawResponse;

/// A successful database response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The body decoded into `T` (`null` for an empty body, e.g. after `HEAD` or
    /// `returning(Minimal)`).
    pub data: T,
    /// The total row count from `Content-Range`, when a count was asked for.
    pub count: Option<u64>,
    /// The HTTP status.
    pub status: StatusCode,
}

impl<T> Response<T> {
    /// The data, dropping count and status.
    pub fn into_data(self) -> T {
        self.data
    }
}

/// `rows_decoder` is tried first on a JSON array of rows (it gives `None` for serde_json to
/// decode the body instead).
///
/// `accept` is the request's `Accept` (`None`: anything): a body of a type it does not name
/// and that is not JSON (an HTML page from a proxy or a wrong URL) is an error, not data.
pub(crate) fn decode<T: DeserializeOwned>(
    raw: RawResponse,
    accept: Option<&str>,
    cardinality: Cardinality,
    rows_decoder: Option<RowsDecoder<T>>,
) -> Result<Response<T>> {
    let status = raw.status;
    if !status.is_success() {
        let error = PostgrestError::from_response(status, &raw.headers, &raw.body);
        // `maybe_single()` of a write is checked by the server (see `singular_on_server`):
        // no row is `null`, as postgrest-js and postgrest-py read it.
        if cardinality == Cardinality::MaybeOne && error.singular_row_count() == Some(0) {
            return Ok(Response {
                data: decode_json(StatusCode::OK, b"null", None)?,
                count: None,
                status: StatusCode::OK,
            });
        }
        return Err(error.into());
    }
    let content_range = raw.headers.get(CONTENT_RANGE).and_then(|v| v.to_str().ok());
    let count = content_range.and_then(count_from_content_range);
    let content_type = raw.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let is_json = content_type.is_none_or(is_json_media_type);
    if let (Some(media), Some(accept)) = (content_type.filter(|_| !is_json), accept)
        && !accepts(accept, media)
    {
        return Err(Error::Decode {
            status,
            path: ".".into(),
            message: format!(
                "the server answered `{}`, which is not what was asked for (`{accept}`)",
                essence(media)
            ),
        });
    }
    // A blank JSON body (e.g. `return=minimal`) is `null`; a text body is the data as it is
    // (CSV of no rows is a bare line break).
    let body: &[u8] = if is_json && raw.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &raw.body
    };
    let data = if !is_json {
        decode_text(status, body)?
    } else if cardinality == Cardinality::MaybeOne {
        decode_maybe_one(status, body)?
    } else {
        let rows = content_range.and_then(rows_in_range);
        let fast = rows_decoder.and_then(|decoder| decoder(std::str::from_utf8(body).ok()?, rows));
        match fast {
            Some(data) => data,
            None => decode_json(status, body, rows)?,
        }
    };
    Ok(Response {
        data,
        count,
        status,
    })
}

/// A function's one composite result: PostgREST selects `pgrst_call.*` from the call, so a NULL
/// row comes as an object of nulls, which is `null` here (SQL's `row IS NULL` holds for it).
pub(crate) fn null_row_as_null(mut raw: RawResponse) -> RawResponse {
    let all_null = raw.status.is_success()
        && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&raw.body)
            .is_ok_and(|row| !row.is_empty() && row.values().all(serde_json::Value::is_null));
    if all_null {
        raw.body = bytes::Bytes::from_static(b"null");
    }
    raw
}

/// Whether a request's `Prefer` asks for `tx=rollback` (by `rollback()` or by hand).
pub(crate) fn asks_rollback(request: &HeaderMap) -> bool {
    lists(request, &PREFER, "tx=rollback")
}

/// After a request that asked for `tx=rollback`: PostgREST lists the preference in
/// `Preference-Applied` when it rolled back, and commits silently when it may not
/// (`db-tx-end = commit`, Supabase's setting). An error status was rolled back either way.
pub(crate) fn check_rolled_back(status: StatusCode, headers: &HeaderMap, path: &str) -> Result<()> {
    if !status.is_success() || lists(headers, &PREFERENCE_APPLIED, "tx=rollback") {
        return Ok(());
    }
    Err(Error::NotRolledBack {
        status,
        path: path.to_owned(),
    })
}

/// `Prefer` (a constant: looking a header up by a `&str` parses the name first).
pub(crate) const PREFER: HeaderName = HeaderName::from_static("prefer");

/// `Preference-Applied`.
const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");

/// Whether a comma-separated header (every occurrence of it) has `token` as an element.
fn lists(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(token))
}

/// `application/json`, `application/vnd.pgrst.object+json; charset=utf-8`, … — judged on the
/// media type alone: a text plan's `for="application/json"` parameter does not make it JSON.
fn is_json_media_type(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence.ends_with("/json") || essence.ends_with("+json")
}

/// A media type without its parameters: `text/csv; charset=utf-8` → `text/csv`.
fn essence(media_type: &str) -> &str {
    media_type.split(';').next().unwrap_or_default().trim()
}

/// Whether an `Accept` header names `media_type` (its essence, or a wildcard covering it).
fn accepts(accept: &str, media_type: &str) -> bool {
    let media = essence(media_type);
    let main = media.split('/').next().unwrap_or_default();
    accept.split(',').map(essence).any(|asked| {
        asked == "*/*"
            || asked.eq_ignore_ascii_case(media)
            || asked
                .strip_suffix("/*")
                .is_some_and(|t| t.eq_ignore_ascii_case(main))
    })
}

/// `0-24/3573` → 3573; `*/0` → 0; `0-24/*` → none.
fn count_from_content_range(value: &str) -> Option<u64> {
    value.rsplit_once('/')?.1.parse().ok()
}

/// Decodes JSON into `T`, `rows` being the size of a top-level array if known ([`from_json`]).
///
/// The happy path is plain serde_json; only a failure is decoded a second time with path
/// tracking ([`locate_decode_error`]), to name the value that failed: tracking costs on every
/// value.
fn decode_json<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    rows: Option<usize>,
) -> Result<T> {
    from_json(body, rows).map_err(|plain| locate_decode_error::<T>(status, body, &plain))
}

/// What `serde_json::from_slice` makes of `json`, by the fastest route: simd-json for a large
/// body of up to 1 MiB ([`simd`](super::simd)); else serde_json, with the UTF-8 check made once over the whole
/// text, and `rows` (from `Content-Range`) as the size of a top-level array ([`RowsHint`]).
/// Whatever simd-json does not decode is decoded by serde_json, so the result or the error is
/// always serde_json's.
///
/// Decoding from a `str` lets serde_json skip its check of each string it reads, which
/// is a tenth of decoding a page of rows.
pub(crate) fn from_json<T: DeserializeOwned>(
    json: &[u8],
    rows: Option<usize>,
) -> serde_json::Result<T> {
    if SIMD_SIZES.contains(&json.len())
        && let Some(value) = simd::decode(json)
    {
        return Ok(value);
    }
    let Ok(text) = std::str::from_utf8(json) else {
        // Not UTF-8: serde_json names where, as part of its error.
        return serde_json::from_slice(json);
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let value = match rows {
        Some(rows) => T::deserialize(RowsHint {
            inner: &mut de,
            rows,
        })?,
        None => T::deserialize(&mut de)?,
    };
    de.end()?;
    Ok(value)
}

fn locate_decode_error<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    plain: &serde_json::Error,
) -> Error {
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => Error::Decode {
            status,
            path: e.path().to_string(),
            message: e.inner().to_string(),
        },
        // The value decoded; what failed was the rest of the body (trailing characters).
        Ok(_) => Error::Decode {
            status,
            path: ".".into(),
            message: plain.to_string(),
        },
    }
}

/// A text body (CSV, a text plan) into `T` — a `String` or a `serde_json::Value::String`.
fn decode_text<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T> {
    let text = std::str::from_utf8(body).map_err(|e| Error::Decode {
        status,
        path: ".".into(),
        message: format!("the body is not UTF-8: {e}"),
    })?;
    T::deserialize(StrDeserializer::<serde::de::value::Error>::new(text)).map_err(|e| {
        Error::Decode {
            status,
            path: ".".into(),
            message: format!("a text response needs a text type: {e}"),
        }
    })
}

/// `maybe_single`: an array of zero rows is `null`, one row is that row, more is an error.
fn decode_maybe_one<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T> {
    match serde_json::from_slice::<Vec<&RawValue>>(body) {
        Ok(rows) => match rows.as_slice() {
            [] => decode_json(status, b"null", None),
            [row] => decode_json(status, row.get().as_bytes(), None),
            // PostgREST 12's own error for a singular request (`Error.hs`, `SingularityError`).
            more => Err(PostgrestError {
                status: StatusCode::NOT_ACCEPTABLE,
                code: Some("PGRST116".into()),
                message: "Cannot coerce the result to a single JSON object".into(),
                details: Some(format!("The result contains {} rows", more.len())),
                hint: None,
            }
            .into()),
        },
        // Not an array (a function returning a scalar or an object): decode as it is.
        Err(_) => decode_json(status, body, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderMap;

    fn raw(status: u16, ct: &str, body: &str) -> RawResponse {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, ct.parse().unwrap());
        headers.insert(CONTENT_RANGE, "0-1/42".parse().unwrap());
        RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Planet {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn decode_errors_name_the_path() {
        let err = decode::<Vec<Planet>>(
            raw(200, "application/json", r#"[{"name":"a"},{"name":3}]"#),
            None,
            Cardinality::Many,
            None,
        )
        .unwrap_err();
        match err {
            Error::Decode { path, .. } => assert_eq!(path, "[1].name"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_and_non_json_bodies_are_decode_errors() {
        for body in [r#"[{"name":"a"#, "<html>", "[] trailing"] {
            let err = decode::<serde_json::Value>(
                raw(200, "application/json", body),
                None,
                Cardinality::Many,
                None,
            )
            .unwrap_err();
            assert!(matches!(err, Error::Decode { .. }), "{body}: {err:?}");
        }
    }

    #[test]
    fn errors_become_postgrest_errors() {
        let err = decode::<serde_json::Value>(
            raw(
                404,
                "application/json",
                r#"{"code":"42P01","message":"relation \"public.nope\" does not exist","details":null,"hint":null}"#,
            ),
            None,
            Cardinality::Many,
            None,
        )
        .unwrap_err();
        match err {
            Error::Postgrest(e) => {
                assert_eq!(e.status, StatusCode::NOT_FOUND);
                assert_eq!(e.code.as_deref(), Some("42P01"));
            }
            other => panic!("{other:?}"),
        }
        let err = decode::<serde_json::Value>(
            raw(502, "text/html", "<h1>Bad gateway</h1>"),
            None,
            Cardinality::Many,
            None,
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::Postgrest(PostgrestError { ref message, .. }) if message.contains("Bad gateway"))
        );
    }

    #[test]
    fn json_is_judged_on_the_media_type() {
        assert!(is_json_media_type("application/json; charset=utf-8"));
        assert!(is_json_media_type(
            "application/vnd.pgrst.plan+json; for=\"application/json\""
        ));
        assert!(!is_json_media_type(
            "application/vnd.pgrst.plan+text; for=\"application/json\""
        ));
        assert!(!is_json_media_type("text/csv"));
    }

    #[test]
    fn count_and_text() {
        let r = decode::<String>(
            raw(200, "text/csv", "id,name\n1,a"),
            None,
            Cardinality::Many,
            None,
        )
        .unwrap();
        assert_eq!(r.data, "id,name\n1,a");
        assert_eq!(r.count, Some(42));
        assert_eq!(count_from_content_range("*/0"), Some(0));
        assert_eq!(count_from_content_range("0-24/*"), None);
    }

    #[test]
    fn maybe_one() {
        let none = decode::<Option<serde_json::Value>>(
            raw(200, "application/json", "[]"),
            None,
            Cardinality::MaybeOne,
            None,
        )
        .unwrap();
        assert_eq!(none.data, None);
        let one = decode::<Option<serde_json::Value>>(
            raw(200, "application/json", r#"[{"a":1}]"#),
            None,
            Cardinality::MaybeOne,
            None,
        )
        .unwrap();
        assert_eq!(one.data, Some(serde_json::json!({"a":1})));
        let err = decode::<Option<serde_json::Value>>(
            raw(200, "application/json", "[1,2]"),
            None,
            Cardinality::MaybeOne,
            None,
        )
        .unwrap_err();
        assert!(matches!(err, Error::Postgrest(ref e) if e.code.as_deref() == Some("PGRST116")));
    }
}
