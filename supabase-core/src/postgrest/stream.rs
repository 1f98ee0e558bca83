//! Streaming reads: the response's JSON array is split into elements as its bytes arrive, and
//! each element is decoded on its own, so a million-row select holds one row (plus one network
//! chunk) at a time, never the whole body.

use bytes::{Buf, BytesMut};
use futures_util::{Stream, StreamExt};
use http::StatusCode;
use serde::de::DeserializeOwned;

use super::response::{asks_rollback, check_rolled_back, from_json};
use crate::Client;
use crate::error::{Error, HttpError, PostgrestError, Result};
use crate::http::HttpRequest;

/// Finds the top-level elements of a JSON array in a byte stream.
///
/// It tracks only what decides where an element ends (nesting depth, strings and escapes); the
/// elements themselves are validated by serde when they are decoded.
#[derive(Debug, Default)]
pub(crate) struct ArraySplitter {
    buf: BytesMut,
    /// Bytes of `buf` already scanned.
    scanned: usize,
    /// Where the element being scanned starts, once it has started.
    start: Option<usize>,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// What may come between elements.
    next: Between,
    opened: bool,
    closed: bool,
}

/// Where the splitter is between two elements: a comma, and only one, separates them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Between {
    /// After `[`: an element or `]`.
    #[default]
    First,
    /// After `,`: an element.
    Value,
    /// After an element: `,` or `]`.
    Separator,
}

impl ArraySplitter {
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// Bytes held: the element being read plus what follows it.
    pub(crate) fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete element, if the bytes so far hold one.
    pub(crate) fn next_element(&mut self) -> std::result::Result<Option<BytesMut>, String> {
        while self.scanned < self.buf.len() {
            let b = self.buf[self.scanned];
            let at = self.scanned;
            self.scanned += 1;
            if !self.opened {
                match b {
                    b'[' => self.opened = true,
                    b if b.is_ascii_whitespace() => {}
                    _ => return Err("the response is not a JSON array".into()),
                }
                continue;
            }
            if self.closed {
                if !b.is_ascii_whitespace() {
                    return Err("unexpected data after the end of the array".into());
                }
                continue;
            }
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            let Some(start) = self.start else {
                match (b, self.next) {
                    (b, _) if b.is_ascii_whitespace() => {}
                    (b']', Between::First | Between::Separator) => self.closed = true,
                    (b',', Between::Separator) => self.next = Between::Value,
                    (b',' | b']', _) => {
                        return Err(format!("`{}` where an element should be", b as char));
                    }
                    (_, Between::Separator) => {
                        return Err("a comma is missing between two elements".into());
                    }
                    _ => {
                        self.start = Some(at);
                        self.scanned = at; // rescan this byte as part of the element
                    }
                }
                continue;
            };
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' if self.depth > 0 => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.next = Between::Separator;
                        return Ok(Some(self.take(start, at + 1)));
                    }
                }
                // A scalar element ends at the separator or the array's end.
                b',' | b']' if self.depth == 0 => {
                    let element = self.take(start, at);
                    if b == b']' {
                        self.closed = true;
                    } else {
                        self.next = Between::Value;
                    }
                    return Ok(Some(element));
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// Removes `start..end` from the buffer (and what precedes it) and returns it.
    fn take(&mut self, start: usize, end: usize) -> BytesMut {
        self.buf.advance(start);
        let element = self.buf.split_to(end - start);
        self.scanned -= end;
        self.start = None;
        element
    }

    /// Checks that the array ended properly once the body is complete.
    pub(crate) fn finish(&self) -> std::result::Result<(), String> {
        if self.closed {
            Ok(())
        } else if !self.opened {
            Err("the response body is empty".into())
        } else {
            Err("the response ended in the middle of the array".into())
        }
    }
}

/// Sends `request` and yields the elements of the JSON array it answers with, decoded as `R`.
pub(crate) fn rows<R: DeserializeOwned + Send + 'static>(
    client: Client,
    request: Result<HttpRequest>,
) -> impl Stream<Item = Result<R>> + Send + 'static {
    enum State {
        Start(Client, Result<HttpRequest>),
        Reading {
            status: StatusCode,
            body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
            split: ArraySplitter,
            index: usize,
            /// `max_response_body`, applied to each element.
            limit: Option<u64>,
            path: String,
            /// The request's timeout, bounding each wait for more of the body: rows that
            /// keep coming are read however long they take, a body that stalls is an error.
            idle: Option<std::time::Duration>,
        },
        Done,
    }
    let decode_error = |status, index: usize, message: String| Error::Decode {
        status,
        path: format!("[{index}]"),
        message,
    };
    futures_util::stream::unfold(State::Start(client, request), move |state| async move {
        let mut state = state;
        loop {
            match state {
                State::Done => return None,
                State::Start(client, request) => {
                    let mut request = match request {
                        Ok(r) => r,
                        Err(e) => return Some((Err(e), State::Done)),
                    };
                    // Rendered before the stream was polled: the session may have been
                    // refreshed since, and a token provider is asked now.
                    if let Err(e) = client.refresh_authorization(&mut request.headers).await {
                        return Some((Err(e), State::Done));
                    }
                    let path = request.url.path().to_owned();
                    let idle = request.timeout;
                    let rollback = asks_rollback(&request.headers);
                    let limit = client.inner.options.max_response_body;
                    let mut resp = match client.inner.transport.open(request).await {
                        Ok(resp) => resp,
                        Err(e) => return Some((Err(e), State::Done)),
                    };
                    let status = resp.status();
                    if !status.is_success() {
                        // The error body, up to the size limit (what is past it is dropped).
                        let mut body = Vec::new();
                        while let Ok(Some(chunk)) = resp.chunk().await {
                            body.extend_from_slice(&chunk);
                            if limit.is_some_and(|l| body.len() as u64 > l) {
                                break;
                            }
                        }
                        let err = PostgrestError::from_response(status, resp.headers(), &body);
                        let err = Error::Postgrest(err);
                        return Some((Err(err), State::Done));
                    }
                    if rollback && let Err(e) = check_rolled_back(status, resp.headers(), &path) {
                        return Some((Err(e), State::Done));
                    }
                    state = State::Reading {
                        status,
                        body: resp.bytes_stream().boxed(),
                        split: ArraySplitter::default(),
                        index: 0,
                        limit,
                        path,
                        idle,
                    };
                }
                State::Reading {
                    status,
                    mut body,
                    mut split,
                    index,
                    limit,
                    path,
                    idle,
                } => {
                    match split.next_element() {
                        Ok(Some(element)) => {
                            let item = from_json::<R>(&element, None)
                                .map_err(|e| decode_error(status, index, e.to_string()));
                            let next = State::Reading {
                                status,
                                body,
                                split,
                                index: index + 1,
                                limit,
                                path,
                                idle,
                            };
                            return Some((item, next));
                        }
                        Ok(None) => {}
                        Err(message) => {
                            return Some((Err(decode_error(status, index, message)), State::Done));
                        }
                    }
                    let next = match idle {
                        None => body.next().await,
                        Some(idle) => match tokio::time::timeout(idle, body.next()).await {
                            Ok(next) => next,
                            Err(_) => return Some((Err(Error::Timeout(Some(idle))), State::Done)),
                        },
                    };
                    match next {
                        Some(Ok(chunk)) => {
                            split.push(&chunk);
                            // One row bigger than the limit: stop reading (bounded memory).
                            if let Some(limit) = limit
                                && split.buffered() as u64 > limit
                            {
                                let err = Error::ResponseTooLarge {
                                    status,
                                    limit,
                                    path,
                                };
                                return Some((Err(err), State::Done));
                            }
                            state = State::Reading {
                                status,
                                body,
                                split,
                                index,
                                limit,
                                path,
                                idle,
                            };
                        }
                        Some(Err(e)) => {
                            return Some((Err(Error::Http(HttpError::new(e))), State::Done));
                        }
                        None => {
                            return match split.finish() {
                                Ok(()) => None,
                                Err(message) => {
                                    Some((Err(decode_error(status, index, message)), State::Done))
                                }
                            };
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(chunks: &[&str]) -> std::result::Result<Vec<String>, String> {
        let mut split = ArraySplitter::default();
        let mut out = Vec::new();
        for chunk in chunks {
            split.push(chunk.as_bytes());
            while let Some(e) = split.next_element()? {
                out.push(String::from_utf8(e.to_vec()).unwrap());
            }
        }
        split.finish()?;
        Ok(out)
    }

    #[test]
    fn splits_objects_across_chunk_boundaries() {
        let body = r#"[{"a":"x]}\"","b":[1,{"c":2}]} , {"a":"{"}]"#;
        let expected = vec![r#"{"a":"x]}\"","b":[1,{"c":2}]}"#, r#"{"a":"{"}"#];
        for cut in 0..body.len() {
            let (l, r) = body.split_at(cut);
            assert_eq!(split_all(&[l, r]).unwrap(), expected, "cut at {cut}");
        }
    }

    #[test]
    fn splits_scalars_and_empty_arrays() {
        assert_eq!(split_all(&["[1, 2,3 ]"]).unwrap(), ["1", "2", "3 "]);
        assert_eq!(split_all(&["[\"a,b\",null]"]).unwrap(), ["\"a,b\"", "null"]);
        assert!(split_all(&[" [ ] "]).unwrap().is_empty());
    }

    #[test]
    fn truncated_and_non_array_bodies_are_errors() {
        assert!(split_all(&["[{\"a\":1},{\"a\""]).is_err());
        assert!(split_all(&["{\"a\":1}"]).is_err());
        assert!(split_all(&[""]).is_err());
        assert!(split_all(&["[1] x"]).is_err());
    }

    #[test]
    fn commas_must_separate_elements_exactly_once() {
        // What `serde_json` refuses in a whole body is refused when streamed too.
        for body in [
            "[,1]",
            "[1,,2]",
            "[1,]",
            "[{},]",
            "[{\"a\":1}{\"a\":2}]",
            "[[1][2]]",
            "[{} 1]",
            "[,]",
        ] {
            assert!(
                serde_json::from_str::<serde_json::Value>(body).is_err(),
                "{body}"
            );
            for cut in 0..body.len() {
                let (l, r) = body.split_at(cut);
                assert!(split_all(&[l, r]).is_err(), "{body} cut at {cut}");
            }
        }
        assert_eq!(split_all(&["[{}, [1] ,2]"]).unwrap(), ["{}", "[1]", "2"]);
    }
}
