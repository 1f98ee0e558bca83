//! [`FunctionResponse`]: a successful invocation, read as JSON, text, bytes, a byte stream or a
//! stream of server-sent events, or decoded by its `Content-Type` as functions-js does
//! (`src/FunctionsClient.ts`: JSON, binary for `application/octet-stream` and `application/pdf`,
//! the raw stream for `text/event-stream`, text otherwise).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use eventsource_stream::Eventsource;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::error::FunctionsError;
use crate::error::{Error, HttpError, Result};
use crate::http::RedactedHeaders;

/// A 2xx answer of a function. The body has not been read yet: pick how to read it.
pub struct FunctionResponse {
    pub(crate) response: reqwest::Response,
    /// Buffered reads must finish by then (the invocation's timeout).
    pub(crate) deadline: Option<(Instant, std::time::Duration)>,
}

impl fmt::Debug for FunctionResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FunctionResponse")
            .field("status", &self.response.status())
            .field("headers", &RedactedHeaders(self.response.headers()))
            .finish_non_exhaustive()
    }
}

/// A body decoded by its `Content-Type` ([`FunctionResponse::data`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum FunctionData {
    /// `application/json`.
    Json(serde_json::Value),
    /// `application/octet-stream`, `application/pdf`, `multipart/form-data`, and any other
    /// body that is not UTF-8.
    Bytes(Bytes),
    /// `text/event-stream`: the events, as they arrive.
    EventStream(EventStream),
    /// Anything else (and no `Content-Type`), when it is UTF-8: text.
    Text(String),
}

impl FunctionResponse {
    /// The HTTP status (2xx).
    pub fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.response.headers()
    }

    /// The media type without parameters, lower-cased (`application/json` for
    /// `application/json; charset=utf-8`); `text/plain` when the header is missing, as in
    /// functions-js.
    pub fn content_type(&self) -> String {
        media_type(self.response.headers())
    }

    /// Reads the whole body and decodes it as JSON into `T`, whatever the `Content-Type`.
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        let status = self.status();
        let body = self.bytes().await?;
        decode_json(status, &body)
    }

    /// Reads the whole body as UTF-8 text; other bytes are an [`Error::Decode`].
    pub async fn text(self) -> Result<String> {
        let status = self.status();
        let body = self.bytes().await?;
        decode_text(status, body)
    }

    /// Reads the whole body.
    pub async fn bytes(self) -> Result<Bytes> {
        self.bytes_up_to(None).await
    }

    /// Reads the whole body, or stops at `limit` bytes with [`Error::ResponseTooLarge`]: for
    /// bodies the caller did not ask for (an error answer's).
    pub(crate) async fn bytes_up_to(self, limit: Option<u64>) -> Result<Bytes> {
        let FunctionResponse { response, deadline } = self;
        let read = crate::http::read_capped(response, limit, fetch_error);
        match deadline {
            Some((at, timeout)) => tokio::time::timeout_at(at, read)
                .await
                .map_err(|_| Error::Timeout(Some(timeout)))?,
            None => read.await,
        }
    }

    /// The body as a stream of chunks, as they arrive. The invocation's timeout no longer
    /// applies.
    pub fn stream(self) -> ByteStream {
        ByteStream(
            self.response
                .bytes_stream()
                .map(|r| r.map_err(fetch_error))
                .boxed(),
        )
    }

    /// The body parsed as server-sent events (`text/event-stream`), as they arrive. The
    /// invocation's timeout no longer applies.
    pub fn events(self) -> EventStream {
        let status = self.status();
        EventStream(
            self.response
                .bytes_stream()
                .eventsource()
                .map(move |r| match r {
                    Ok(e) => Ok(SseEvent {
                        event: e.event,
                        data: e.data,
                        id: e.id,
                        retry: e.retry,
                    }),
                    Err(eventsource_stream::EventStreamError::Transport(e)) => Err(fetch_error(e)),
                    Err(e) => Err(Error::Decode {
                        status,
                        path: ".".into(),
                        message: format!("invalid event stream: {e}"),
                    }),
                })
                .boxed(),
        )
    }

    /// Decodes the body by its `Content-Type`, as functions-js does, except that a body it
    /// would read as text is [`FunctionData::Bytes`] when it is not UTF-8 (an image, an
    /// archive: functions-js's `text()` would replace its bytes), and a `multipart/form-data`
    /// body is its raw bytes (functions-js parses it with `formData()`).
    pub async fn data(self) -> Result<FunctionData> {
        Ok(match self.content_type().as_str() {
            "application/json" => FunctionData::Json(self.json().await?),
            "application/octet-stream" | "application/pdf" | "multipart/form-data" => {
                FunctionData::Bytes(self.bytes().await?)
            }
            "text/event-stream" => FunctionData::EventStream(self.events()),
            _ => match String::from_utf8(self.bytes().await?.into()) {
                Ok(text) => FunctionData::Text(text),
                Err(e) => FunctionData::Bytes(e.into_bytes().into()),
            },
        })
    }
}

/// The body of a [`FunctionResponse`] as chunks.
pub struct ByteStream(BoxStream<'static, Result<Bytes>>);

impl Stream for ByteStream {
    type Item = Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByteStream")
    }
}

/// One server-sent event (the WHATWG `text/event-stream` fields).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SseEvent {
    /// The `event:` field (`message` when the server sent none).
    pub event: String,
    /// The `data:` lines, joined by `\n`.
    pub data: String,
    /// The `id:` field (the last one seen).
    pub id: String,
    /// The `retry:` field.
    pub retry: Option<std::time::Duration>,
}

impl SseEvent {
    /// `data` decoded as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode_json(StatusCode::OK, self.data.as_bytes())
    }
}

/// The events of a `text/event-stream` response.
pub struct EventStream(BoxStream<'static, Result<SseEvent>>);

impl Stream for EventStream {
    type Item = Result<SseEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EventStream")
    }
}

pub(crate) fn fetch_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        Error::Timeout(None)
    } else {
        Error::Functions(FunctionsError::Fetch(HttpError::new(e)))
    }
}

pub(crate) fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/plain")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

pub(crate) fn decode_json<T: DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| Error::Decode {
        status,
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

fn decode_text(status: StatusCode, body: Bytes) -> Result<String> {
    String::from_utf8(body.into()).map_err(|e| Error::Decode {
        status,
        path: ".".into(),
        message: format!("the body is not UTF-8 text: {}", e.utf8_error()),
    })
}
