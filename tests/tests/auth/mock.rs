//! A recording GoTrue double for client-side tests: each route answers what the test scripts
//! (status, JSON, optional delay) and every request is recorded (method, path, query,
//! `Authorization`, `apikey`, JSON body), so tests can assert on the exact wire format and count
//! requests. Server behaviour itself is tested against the stand-in in the other modules.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) authorization: Option<String>,
    pub(crate) apikey: Option<String>,
    pub(crate) api_version: Option<String>,
    pub(crate) body: Value,
}

impl Recorded {
    /// A query parameter (decoded).
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) delay: Option<Duration>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Self {
        Reply {
            status: 200,
            body,
            delay: None,
        }
    }

    pub(crate) fn status(status: u16, body: Value) -> Self {
        Reply {
            status,
            body,
            delay: None,
        }
    }

    pub(crate) fn after(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

#[derive(Default)]
struct Inner {
    requests: Mutex<Vec<Recorded>>,
    routes: Mutex<HashMap<String, Handler>>,
}

/// The running double. Stops when dropped.
pub(crate) struct MockGoTrue {
    url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockGoTrue {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockGoTrue {
    pub(crate) async fn start() -> MockGoTrue {
        let inner = Arc::new(Inner::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&inner));
        let listener = bind().await;
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        MockGoTrue { url, inner, task }
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Answers `route` (`"POST /auth/v1/token"`) with `handler`.
    pub(crate) fn on(
        &self,
        route: &str,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) {
        self.inner
            .routes
            .lock()
            .unwrap()
            .insert(route.to_owned(), Arc::new(handler));
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// Requests to `route` (`"POST /auth/v1/token"`).
    pub(crate) fn requests_to(&self, route: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| format!("{} {}", r.method, r.path) == route)
            .collect()
    }

    /// The last request to `route`.
    pub(crate) fn last(&self, route: &str) -> Recorded {
        self.requests_to(route)
            .pop()
            .unwrap_or_else(|| panic!("no request to {route}: {:?}", self.requests()))
    }
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let recorded = Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        authorization: header("authorization"),
        apikey: header("apikey"),
        api_version: header("x-supabase-api-version"),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    inner.requests.lock().unwrap().push(recorded.clone());
    let route = format!("{} {}", recorded.method, recorded.path);
    let handler = inner.routes.lock().unwrap().get(&route).cloned();
    let reply = match handler {
        Some(h) => h(&recorded),
        None => Reply::status(
            404,
            json!({"code": "not_found", "message": format!("no route {route}")}),
        ),
    };
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }
    let mut response = (
        StatusCode::from_u16(reply.status).unwrap(),
        axum::Json(reply.body),
    )
        .into_response();
    response
        .headers_mut()
        .insert("x-supabase-api-version", "2024-01-01".parse().unwrap());
    response
}

async fn bind() -> tokio::net::TcpListener {
    for attempt in 0u32..200 {
        let port = 21_000 + (std::process::id() * 13 + attempt * 137) % 11_000;
        if let Ok(l) = tokio::net::TcpListener::bind(("127.0.0.1", port as u16)).await {
            return l;
        }
    }
    panic!("no free port below 32768 for the mock");
}

pub(crate) const MOCK_SECRET: &str = "mock-jwt-secret-with-at-least-32-characters";

/// An HS256 access token with GoTrue's claims, signed with [`MOCK_SECRET`].
pub(crate) fn access_token(sub: &str, exp: i64, aal: &str) -> String {
    let claims = json!({
        "sub": sub, "aud": "authenticated", "role": "authenticated", "exp": exp,
        "iat": now(), "aal": aal, "amr": [{"method": "password", "timestamp": now()}],
        "session_id": "00000000-0000-0000-0000-00000000cafe", "email": "mock@example.com",
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(MOCK_SECRET.as_bytes()),
    )
    .unwrap()
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub(crate) fn user_json(id: &str) -> Value {
    json!({
        "id": id, "aud": "authenticated", "role": "authenticated", "email": "mock@example.com",
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {}, "identities": [], "created_at": "2024-01-01T00:00:00Z",
        "is_anonymous": false,
    })
}

/// A session answer whose access token expires at `expires_at`, numbered `n` (tokens
/// `access-n`-ish JWT and `refresh-n`).
pub(crate) fn session_json(n: u32, expires_in: i64, expires_at: i64) -> Value {
    json!({
        "access_token": access_token("11111111-1111-1111-1111-111111111111", expires_at, "aal1"),
        "token_type": "bearer",
        "expires_in": expires_in,
        "expires_at": expires_at,
        "refresh_token": format!("refresh-{n}"),
        "user": user_json("11111111-1111-1111-1111-111111111111"),
    })
}
