//! A Realtime stand-in: Phoenix channels at `/realtime/v1/websocket` (broadcast, presence,
//! postgres changes from the real database with RLS applied per subscriber, private channels
//! authorised by RLS on `realtime.messages`), `POST /realtime/v1/api/broadcast`, and
//! Broadcast from Database (`realtime.send`, `realtime.broadcast_changes`: `feed.rs`).
//!
//! Followed sources (supabase/realtime): `lib/realtime_web/channels/user_socket.ex` (the
//! `apikey` checked on connect, 403 otherwise), `lib/realtime_web/channels/realtime_channel.ex`
//! (join, error reasons, `access_token`, system messages, `phx_close` on shutdown),
//! `realtime_channel/broadcast_handler.ex`, `realtime_channel/presence_handler.ex`,
//! `controllers/broadcast_controller.ex` (202, 422), `channels/auth/channels_authorization.ex`
//! (token errors), and supabase/walrus `realtime.apply_rls` for postgres changes (see
//! `changes.rs`).

mod auth;
mod changes;
mod feed;
mod hub;
mod socket;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::ServiceEnv;

/// The service's state: the stack's settings, the channel hub and the change feed.
pub(crate) struct Realtime {
    env: ServiceEnv,
    hub: hub::Hub,
    /// Set up on first use: the LISTEN connection. The SQL objects (`realtime.sql`) are part
    /// of the template cluster's bootstrap, so migrations can use them.
    ready: OnceCell<()>,
}

impl std::fmt::Debug for Realtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Realtime").finish_non_exhaustive()
    }
}

impl Realtime {
    /// Starts the change listener, once.
    async fn ready(self: &Arc<Self>) -> Result<(), String> {
        self.ready
            .get_or_try_init(|| feed::start_listener(Arc::clone(self)))
            .await
            .map(|_| ())
    }
}

/// The router mounted at `/realtime/v1`.
pub(crate) fn router(env: ServiceEnv) -> Router {
    let state = Arc::new(Realtime {
        env,
        hub: hub::Hub::default(),
        ready: OnceCell::new(),
    });
    Router::new()
        .route("/websocket", get(websocket))
        .route("/api/broadcast", post(broadcast))
        .with_state(state)
}

#[derive(serde::Deserialize)]
struct ConnectParams {
    apikey: Option<String>,
    vsn: Option<String>,
}

/// `GET /websocket?apikey=…&vsn=…`: Phoenix answers 403 when `connect/3` refuses the key.
async fn websocket(
    State(rt): State<Arc<Realtime>>,
    Query(params): Query<ConnectParams>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(params.apikey);
    let Some(key) = key else {
        return StatusCode::FORBIDDEN.into_response();
    };
    if auth::verify(&key, &rt.env.jwt_secret).is_err() {
        return StatusCode::FORBIDDEN.into_response();
    }
    if let Err(e) = rt.ready().await {
        tracing::error!("{e}");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let v2 = params.vsn.as_deref() == Some("2.0.0");
    upgrade.on_upgrade(move |ws| socket::serve(rt, ws, key, v2))
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `POST /api/broadcast` (broadcast_controller.ex): `{messages: [{topic, event, payload,
/// private?}]}` → 202; a bad body → 422; a bad key → 401.
async fn broadcast(
    State(rt): State<Arc<Realtime>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Ok(caller) = super::caller(&headers, &rt.env.jwt_secret) else {
        return json_response(StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"}));
    };
    if let Err(e) = rt.ready().await {
        return json_response(StatusCode::INTERNAL_SERVER_ERROR, json!({"message": e}));
    }
    let parsed: Result<Value, _> = serde_json::from_slice(&body);
    let messages = match parsed.as_ref().ok().and_then(|v| v["messages"].as_array()) {
        Some(m) => m.clone(),
        None => {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"errors": {"messages": ["can't be blank"]}}),
            );
        }
    };
    let mut valid = Vec::new();
    for m in &messages {
        match (m["topic"].as_str(), m["event"].as_str(), m.get("payload")) {
            (Some(topic), Some(event), Some(payload @ Value::Object(_))) => valid.push((
                topic.to_owned(),
                event.to_owned(),
                payload.clone(),
                m["private"].as_bool().unwrap_or(false),
            )),
            _ => {
                return json_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"errors": {"messages": [{"topic": ["can't be blank"], "event": ["can't be blank"], "payload": ["can't be blank"]}]}}),
                );
            }
        }
    }
    for (name, event, payload, private) in valid {
        if private
            && !auth::policies(&rt.env.db, &caller, &name)
                .await
                .is_ok_and(|p| p.broadcast_write)
        {
            continue;
        }
        let message = json!({"type": "broadcast", "event": event, "payload": payload});
        rt.hub
            .broadcast(&hub::TopicKey::new(&name, private), None, &message);
    }
    StatusCode::ACCEPTED.into_response()
}
