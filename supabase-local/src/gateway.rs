//! The API gateway: one port with Supabase's URL layout, doing what Supabase's Kong does for
//! `/rest/v1` (key-auth on `apikey`, credential hiding, `Authorization` defaulting) and for
//! every service (CORS).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

/// Routers for the services behind the gateway. Each `Some` router is mounted at its prefix
/// (`/auth/v1`, `/storage/v1`, `/functions/v1`, `/realtime/v1`) as it is — it does its own
/// `apikey` checks, since Supabase's gateway treats each service differently; `None` answers a
/// JSON 404.
#[derive(Debug, Default, Clone)]
#[non_exhaustive]
pub struct Services {
    /// Mounted at `/auth/v1`.
    pub auth: Option<Router>,
    /// Mounted at `/storage/v1`.
    pub storage: Option<Router>,
    /// Mounted at `/functions/v1`.
    pub functions: Option<Router>,
    /// Mounted at `/realtime/v1`.
    pub realtime: Option<Router>,
}

/// The keys the gateway accepts.
pub(crate) struct ApiKeys {
    pub(crate) anon: String,
    pub(crate) service_role: String,
}

impl std::fmt::Debug for ApiKeys {
    // Without the keys.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys").finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Upstream {
    client: reqwest::Client,
    /// e.g. `http://127.0.0.1:12345`
    base: String,
}

/// Builds the gateway router.
pub(crate) fn router(
    keys: ApiKeys,
    postgrest_base: String,
    client: reqwest::Client,
    services: Services,
) -> Router {
    let keys = Arc::new(keys);
    let upstream = Arc::new(Upstream {
        client,
        base: postgrest_base,
    });
    let rest = Router::new()
        .route("/rest/v1", any(proxy_rest))
        .route("/rest/v1/", any(proxy_rest))
        .route("/rest/v1/{*path}", any(proxy_rest))
        .with_state(upstream)
        .route_layer(from_fn_with_state(keys, require_apikey));
    let mut app = rest;
    for (prefix, service) in [
        ("/auth/v1", services.auth),
        ("/storage/v1", services.storage),
        ("/functions/v1", services.functions),
        ("/realtime/v1", services.realtime),
    ] {
        app = match service {
            Some(router) => app.nest(prefix, router),
            None => app
                .route(prefix, any(not_served))
                .route(&format!("{prefix}/{{*rest}}"), any(not_served)),
        };
    }
    // Outside the key checks, as Kong runs `cors` (priority 2000) before `key-auth` (1250);
    // the fallback, added after, has none: no route, no plugin.
    app.layer(from_fn(cors)).fallback(no_route)
}

/// Kong's `cors` plugin with its default configuration, which supabase/cli's
/// `internal/start/templates/kong.yml` puts on every service route (followed:
/// Kong `kong/plugins/cors/handler.lua`). A preflight, an `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`, is answered here (200, no body) and reaches no service
/// and no key check; every other response gets `Access-Control-Allow-Origin: *`, whatever
/// the service said.
async fn cors(req: Request, next: Next) -> Response {
    const ANY: HeaderValue = HeaderValue::from_static("*");
    let headers = req.headers();
    if req.method() == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let mut resp = StatusCode::OK.into_response();
        let out = resp.headers_mut();
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ANY);
        if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
            out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT"),
        );
        return resp;
    }
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ANY);
    resp
}

/// Supabase's gateway bodies for a missing and a wrong key (the hosted platform and
/// `supabase start` answer exactly these; seen e.g. in nuxt-modules/supabase#195 for the wrong key
/// on localhost and in s0ooo0k/TIL#22 for the missing one). The message is Kong key-auth's.
const NO_API_KEY: &str = r#"{"message":"No API key found in request","hint":"No `apikey` request header or url param was found."}"#;
const INVALID_API_KEY: &str = r#"{"message":"Invalid API key","hint":"Double check your Supabase `anon` or `service_role` API key."}"#;

fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Kong key-auth: the `apikey` header, else the `apikey` query parameter; only the stack's keys pass.
/// Passing requests get `Authorization: Bearer <apikey>` when they carry no `Authorization`.
pub(crate) async fn require_apikey(
    State(keys): State<Arc<ApiKeys>>,
    mut req: Request,
    next: Next,
) -> Response {
    let from_header = req
        .headers()
        .get("apikey")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let key = from_header
        .or_else(|| query_param(req.uri().query().unwrap_or(""), "apikey"))
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        let mut resp = json(StatusCode::UNAUTHORIZED, NO_API_KEY.into());
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Key realm="kong""#),
        );
        return resp;
    };
    if key != keys.anon && key != keys.service_role {
        return json(StatusCode::UNAUTHORIZED, INVALID_API_KEY.into());
    }
    if !req.headers().contains_key(header::AUTHORIZATION)
        && let Ok(value) = HeaderValue::from_str(&format!("Bearer {key}"))
    {
        req.headers_mut().insert(header::AUTHORIZATION, value);
    }
    next.run(req).await
}

/// Proxies `/rest/v1/<path>?<query>` to PostgREST's `/<path>?<query>`, streaming both bodies.
async fn proxy_rest(State(up): State<Arc<Upstream>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().strip_prefix("/rest/v1").unwrap_or("");
    let mut url = format!("{}/{}", up.base, path.trim_start_matches('/'));
    let query = strip_param(parts.uri.query().unwrap_or(""), "apikey");
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let mut headers = end_to_end(&parts.headers);
    headers.remove("apikey"); // Kong's `hide_credentials`
    let bodiless = body.size_hint().exact() == Some(0);
    let sent = if bodiless {
        send_bodiless(&up.client, &parts.method, &url, headers).await
    } else {
        up.client
            .request(parts.method, &url)
            .headers(headers)
            .body(reqwest::Body::wrap_stream(body.into_data_stream()))
            .send()
            .await
    };
    match sent {
        Ok(resp) => {
            let mut out = Response::builder().status(resp.status());
            if let Some(h) = out.headers_mut() {
                *h = end_to_end(resp.headers());
            }
            out.body(Body::from_stream(resp.bytes_stream()))
                .unwrap_or_else(|_| bad_gateway("invalid response"))
        }
        Err(e) => {
            // Neither the log nor the answer shows the query: filter values and GET RPC
            // arguments may be secrets.
            let e = e.without_url();
            tracing::warn!(path, error = %e, "upstream request failed");
            bad_gateway(&error_chain(&e))
        }
    }
}

/// Sends a request without a body, trying again (like nginx's `proxy_next_upstream error`) when a
/// pooled connection turns out to be dead: always when nothing reached the server (a connect
/// error), and for safe methods on any transport error, since repeating them changes nothing.
async fn send_bodiless(
    client: &reqwest::Client,
    method: &axum::http::Method,
    url: &str,
    headers: HeaderMap,
) -> reqwest::Result<reqwest::Response> {
    const ATTEMPTS: usize = 3;
    let safe = matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    let mut attempt = 1;
    loop {
        let result = client
            .request(method.clone(), url)
            .headers(headers.clone())
            .send()
            .await;
        match result {
            Err(e) if attempt < ATTEMPTS && (e.is_connect() || (safe && e.is_request())) => {
                let e = e.without_url();
                tracing::debug!(error = %e, attempt, "retrying upstream request");
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// `e` and its sources, so a 502 says what actually failed.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        out.push_str(": ");
        out.push_str(&inner.to_string());
        source = inner.source();
    }
    out
}

fn bad_gateway(why: &str) -> Response {
    let body = serde_json::json!({ "message": "An invalid response was received from the upstream server", "details": why });
    json(StatusCode::BAD_GATEWAY, body.to_string())
}

async fn not_served(req: Request) -> Response {
    let body = serde_json::json!({
        "message": format!("{} is not served by this supabase-local version", req.uri().path()),
        "code": "not_implemented",
    });
    json(StatusCode::NOT_FOUND, body.to_string())
}

/// Kong's answer for a path no route matches.
async fn no_route() -> Response {
    json(
        StatusCode::NOT_FOUND,
        r#"{"message":"no Route matched with those values"}"#.into(),
    )
}

/// Copies headers minus hop-by-hop ones (RFC 9110 §7.6.1) and `Host`.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::try_from(name.trim()).ok())
        .collect();
    listed.extend([
        header::CONNECTION,
        header::HOST,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
        header::PROXY_AUTHENTICATE,
        HeaderName::from_static("keep-alive"),
        HeaderName::from_static("proxy-connection"),
    ]);
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        if !listed.contains(name) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// The decoded value of query parameter `name`.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

/// `query` without the parameter `name`; everything else byte-for-byte.
fn strip_param(query: &str, name: &str) -> String {
    query
        .split('&')
        .filter(|pair| {
            !pair.is_empty()
                && percent_decode(pair.split_once('=').map_or(*pair, |(k, _)| k)) != name
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upstream that drops its first `drops` connections after reading the request, then
    /// answers 200; returns its base URL and a counter of requests read.
    async fn flaky_upstream(drops: usize) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = Arc::clone(&seen);
        tokio::spawn(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf).await;
                if counter.fetch_add(1, Ordering::SeqCst) >= drops {
                    let _ = conn
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await;
                }
            }
        });
        (base, seen)
    }

    #[tokio::test]
    async fn safe_requests_are_retried_on_a_dead_connection() {
        let (base, seen) = flaky_upstream(1).await;
        let client = reqwest::Client::new();
        let resp = send_bodiless(&client, &axum::http::Method::GET, &base, HeaderMap::new())
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn unsafe_requests_that_reached_the_server_are_not_retried() {
        let (base, seen) = flaky_upstream(1).await;
        let client = reqwest::Client::new();
        let err = send_bodiless(&client, &axum::http::Method::POST, &base, HeaderMap::new())
            .await
            .unwrap_err();
        assert!(!err.is_connect(), "{err}");
        assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(!error_chain(&err).is_empty());
    }

    #[test]
    fn strips_only_apikey() {
        assert_eq!(
            strip_param("select=*&apikey=abc&id=eq.1", "apikey"),
            "select=*&id=eq.1"
        );
        assert_eq!(strip_param("apikey=abc", "apikey"), "");
        assert_eq!(strip_param("api%6Bey=abc&x=a%2Cb", "apikey"), "x=a%2Cb");
        assert_eq!(strip_param("apikeyx=1", "apikey"), "apikeyx=1");
    }

    #[test]
    fn reads_query_param() {
        assert_eq!(
            query_param("a=1&apikey=k%2Bey", "apikey").as_deref(),
            Some("k+ey")
        );
        assert_eq!(query_param("a=1", "apikey"), None);
    }

    #[test]
    fn decodes_percent_sequences() {
        assert_eq!(percent_decode("a%20b%"), "a b%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%41"), "A");
    }

    #[test]
    fn drops_hop_by_hop_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-private"),
        );
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert(header::HOST, HeaderValue::from_static("example"));
        h.insert("prefer", HeaderValue::from_static("count=exact"));
        h.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        let out = end_to_end(&h);
        assert_eq!(out.len(), 1);
        assert_eq!(out["prefer"], "count=exact");
    }
}
