//! A pass-through HTTP proxy in front of a stack, for tests that watch or alter what passes.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;

/// Starts a proxy to `target` and returns its URL. Every request is forwarded and its answer
/// read whole; `replace` sees the request's path and query and the upstream's status, and may
/// answer in its place (the upstream has handled the request all the same).
pub(crate) async fn forward(
    target: String,
    replace: impl Fn(&str, StatusCode) -> Option<Response> + Clone + Send + Sync + 'static,
) -> String {
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |req: Request| {
        let (http, target, replace) = (http.clone(), target.clone(), replace.clone());
        async move {
            let path = req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            let (parts, body) = req.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let mut out = http.request(parts.method, format!("{target}{path}"));
            for (name, value) in &parts.headers {
                if name != "host" {
                    out = out.header(name, value);
                }
            }
            let resp = out.body(body).send().await.unwrap();
            let status = resp.status();
            let mut builder = Response::builder().status(status);
            for (name, value) in resp.headers() {
                builder = builder.header(name, value);
            }
            let answer = builder
                .body(Body::from(resp.bytes().await.unwrap()))
                .unwrap();
            replace(&path, status).unwrap_or(answer)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}
