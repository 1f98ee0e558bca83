//! [`InvokeOptions`]: the body, headers, method, region and timeout of one invocation, as
//! `FunctionInvokeOptions` in functions-js (`src/types.ts`).

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;

use crate::error::Error;
use crate::http::RedactedHeaders;

/// The HTTP method of an invocation (default [`HttpMethod::Post`]), the five functions-js allows.
/// Deserializes from its name in capitals (`"PUT"`), as supabase-py's `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum HttpMethod {
    /// `GET` (no body: setting one is an [`Error::Config`]).
    Get,
    /// `POST`, the default.
    #[default]
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl HttpMethod {
    pub(crate) fn as_http(self) -> http::Method {
        match self {
            HttpMethod::Get => http::Method::GET,
            HttpMethod::Post => http::Method::POST,
            HttpMethod::Put => http::Method::PUT,
            HttpMethod::Patch => http::Method::PATCH,
            HttpMethod::Delete => http::Method::DELETE,
        }
    }
}

/// Where the function runs: `Any` (the default: the nearest region) or a fixed AWS region, sent
/// as the `x-region` header and the `forceFunctionRegion` query parameter (functions-js
/// `src/FunctionsClient.ts`, `src/types.ts` `FunctionRegion`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FunctionRegion {
    /// No preference: nothing is sent.
    #[default]
    Any,
    /// `ap-northeast-1`
    ApNortheast1,
    /// `ap-northeast-2`
    ApNortheast2,
    /// `ap-south-1`
    ApSouth1,
    /// `ap-southeast-1`
    ApSoutheast1,
    /// `ap-southeast-2`
    ApSoutheast2,
    /// `ca-central-1`
    CaCentral1,
    /// `eu-central-1`
    EuCentral1,
    /// `eu-west-1`
    EuWest1,
    /// `eu-west-2`
    EuWest2,
    /// `eu-west-3`
    EuWest3,
    /// `sa-east-1`
    SaEast1,
    /// `us-east-1`
    UsEast1,
    /// `us-west-1`
    UsWest1,
    /// `us-west-2`
    UsWest2,
    /// A region this enum does not list yet, by its identifier.
    Other(String),
}

impl FunctionRegion {
    const KNOWN: [FunctionRegion; 15] = [
        FunctionRegion::Any,
        FunctionRegion::ApNortheast1,
        FunctionRegion::ApNortheast2,
        FunctionRegion::ApSouth1,
        FunctionRegion::ApSoutheast1,
        FunctionRegion::ApSoutheast2,
        FunctionRegion::CaCentral1,
        FunctionRegion::EuCentral1,
        FunctionRegion::EuWest1,
        FunctionRegion::EuWest2,
        FunctionRegion::EuWest3,
        FunctionRegion::SaEast1,
        FunctionRegion::UsEast1,
        FunctionRegion::UsWest1,
        FunctionRegion::UsWest2,
    ];

    /// The region with identifier `id` (`Other` for one not listed here).
    pub(crate) fn from_id(id: String) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|r| r.as_str() == id)
            .unwrap_or(FunctionRegion::Other(id))
    }

    /// The region's identifier, e.g. `eu-west-1` (`any` for [`FunctionRegion::Any`]).
    pub fn as_str(&self) -> &str {
        match self {
            FunctionRegion::Any => "any",
            FunctionRegion::ApNortheast1 => "ap-northeast-1",
            FunctionRegion::ApNortheast2 => "ap-northeast-2",
            FunctionRegion::ApSouth1 => "ap-south-1",
            FunctionRegion::ApSoutheast1 => "ap-southeast-1",
            FunctionRegion::ApSoutheast2 => "ap-southeast-2",
            FunctionRegion::CaCentral1 => "ca-central-1",
            FunctionRegion::EuCentral1 => "eu-central-1",
            FunctionRegion::EuWest1 => "eu-west-1",
            FunctionRegion::EuWest2 => "eu-west-2",
            FunctionRegion::EuWest3 => "eu-west-3",
            FunctionRegion::SaEast1 => "sa-east-1",
            FunctionRegion::UsEast1 => "us-east-1",
            FunctionRegion::UsWest1 => "us-west-1",
            FunctionRegion::UsWest2 => "us-west-2",
            FunctionRegion::Other(s) => s,
        }
    }
}

impl fmt::Display for FunctionRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `multipart/form-data` body: text fields and files. The boundary and the `Content-Type`
/// header are set when it is sent.
///
/// ```
/// use supabase_core::functions::Form;
///
/// let form = Form::new()
///     .text("name", "Ada")
///     .file("avatar", "ada.png", "image/png", vec![0x89, b'P', b'N', b'G']);
/// # let _ = form;
/// ```
#[derive(Default)]
pub struct Form {
    parts: Vec<Part>,
}

enum Part {
    Text {
        name: String,
        value: String,
    },
    File {
        name: String,
        file_name: String,
        mime: String,
        data: Bytes,
    },
}

impl Form {
    /// An empty form.
    pub fn new() -> Self {
        Form::default()
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part::Text {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    /// Adds a file field with its file name and media type (e.g. `image/png`).
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        mime: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part::File {
            name: name.into(),
            file_name: file_name.into(),
            mime: mime.into(),
            data: data.into(),
        });
        self
    }

    pub(crate) fn into_reqwest(self) -> Result<reqwest::multipart::Form, Error> {
        let mut form = reqwest::multipart::Form::new();
        for part in self.parts {
            form = match part {
                Part::Text { name, value } => form.text(name, value),
                Part::File {
                    name,
                    file_name,
                    mime,
                    data,
                } => {
                    let part = reqwest::multipart::Part::stream(reqwest::Body::from(data))
                        .file_name(file_name)
                        .mime_str(&mime)
                        .map_err(|_| Error::config(format!("invalid media type `{mime}`")))?;
                    form.part(name, part)
                }
            };
        }
        Ok(form)
    }
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for part in &self.parts {
            match part {
                Part::Text { name, .. } => list.entry(&format_args!("text `{name}`")),
                Part::File {
                    name, data, mime, ..
                } => list.entry(&format_args!(
                    "file `{name}` ({mime}, {} bytes)",
                    data.len()
                )),
            };
        }
        list.finish()
    }
}

/// The body of an invocation. Each kind sets its `Content-Type` unless the caller set one
/// (functions-js `src/FunctionsClient.ts`): JSON `application/json`, text `text/plain`, bytes
/// `application/octet-stream`, a form `multipart/form-data; boundary=…`, a stream nothing.
pub(crate) enum Body {
    Json(Bytes),
    Text(String),
    Bytes(Bytes),
    Form(Form),
    Stream(BoxStream<'static, Result<Bytes, Box<dyn std::error::Error + Send + Sync>>>),
}

impl Body {
    pub(crate) fn default_content_type(&self) -> Option<&'static str> {
        match self {
            Body::Json(_) => Some("application/json"),
            Body::Text(_) => Some("text/plain"),
            Body::Bytes(_) => Some("application/octet-stream"),
            Body::Form(_) | Body::Stream(_) => None,
        }
    }
}

impl fmt::Debug for Body {
    // Bodies may hold anything the caller sends (passwords in a form…): show only their size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Json(b) => write!(f, "Json({} bytes)", b.len()),
            Body::Text(s) => write!(f, "Text({} bytes)", s.len()),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::Form(form) => write!(f, "Form({form:?})"),
            Body::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// Options of one invocation, as `invoke_options` in the reference: body, headers, method,
/// region and timeout. Nothing here leaks into later invocations.
///
/// It also deserializes from the reference's dict (supabase-py's keys `body`, `headers`,
/// `method`, `region`; a string body is sent as text, any other value as JSON), refusing
/// unknown keys:
///
/// ```
/// use supabase_core::functions::InvokeOptions;
///
/// let options: InvokeOptions = serde_json::from_value(serde_json::json!({
///     "body": {"foo": "bar"},
///     "headers": {"my-custom-header": "my-custom-header-value"},
/// }))
/// .unwrap();
/// # let _ = options;
/// ```
///
/// ```
/// use std::time::Duration;
/// use supabase_core::functions::{FunctionRegion, HttpMethod, InvokeOptions};
///
/// let options = InvokeOptions::new()
///     .body(&serde_json::json!({ "name": "Functions" }))
///     .header("my-custom-header", "my-custom-header-value")
///     .method(HttpMethod::Put)
///     .region(FunctionRegion::EuWest1)
///     .timeout(Duration::from_secs(10));
/// # let _ = options;
/// ```
#[derive(Default)]
#[must_use]
pub struct InvokeOptions {
    pub(crate) headers: HeaderMap,
    pub(crate) method: HttpMethod,
    pub(crate) region: Option<FunctionRegion>,
    pub(crate) body: Option<Body>,
    pub(crate) timeout: Option<Duration>,
    /// The first invalid argument, reported when the invocation is sent (nothing is sent then).
    pub(crate) error: Option<Error>,
}

impl InvokeOptions {
    /// Options with no body, `POST`, the client's region and the client's function timeout.
    pub fn new() -> Self {
        InvokeOptions::default()
    }

    /// A JSON body: `value` serialised, `Content-Type: application/json`. A value that fails
    /// to serialise makes the invocation fail with [`Error::Encode`] before anything is sent.
    pub fn body<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(json) => self.body = Some(Body::Json(json.into())),
            Err(e) => self.fail(Error::Encode(format!("the function body: {e}"))),
        }
        self
    }

    /// A text body, `Content-Type: text/plain`.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.body = Some(Body::Text(text.into()));
        self
    }

    /// A binary body, `Content-Type: application/octet-stream`.
    pub fn bytes(mut self, bytes: impl Into<Bytes>) -> Self {
        self.body = Some(Body::Bytes(bytes.into()));
        self
    }

    /// A `multipart/form-data` body.
    pub fn form(mut self, form: Form) -> Self {
        self.body = Some(Body::Form(form));
        self
    }

    /// A body streamed chunk by chunk (sent with chunked transfer encoding). No `Content-Type`
    /// is set: pass one with [`header`](Self::header).
    pub fn stream<S, E>(mut self, stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        self.body = Some(Body::Stream(stream.map(|r| r.map_err(Into::into)).boxed()));
        self
    }

    /// A header for this invocation only. It wins over the client's headers and over the
    /// `Content-Type` the body kind would set.
    pub fn header(mut self, name: impl AsRef<str>, value: impl AsRef<str>) -> Self {
        match (
            HeaderName::try_from(name.as_ref()),
            HeaderValue::try_from(value.as_ref()),
        ) {
            (Ok(n), Ok(v)) => {
                self.headers.insert(n, v);
            }
            _ => self.fail(Error::config(format!("invalid header `{}`", name.as_ref()))),
        }
        self
    }

    /// The HTTP method (default `POST`).
    pub fn method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// The region to run the function in; overrides the client's
    /// ([`Functions::region`](super::Functions::region)).
    pub fn region(mut self, region: FunctionRegion) -> Self {
        self.region = Some(region);
        self
    }

    /// How long to wait for the response headers and, for buffered reads (`json`, `text`,
    /// `bytes`, `data`), the whole body. Streams are not cut off once the headers arrived.
    /// Default: the client's `function_client_timeout` (5 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn fail(&mut self, e: Error) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }
}

impl fmt::Debug for InvokeOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InvokeOptions")
            .field("headers", &RedactedHeaders(&self.headers))
            .field("method", &self.method)
            .field("region", &self.region)
            .field("body", &self.body)
            .field("timeout", &self.timeout)
            .finish()
    }
}
