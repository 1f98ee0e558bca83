//! A Realtime stand-in: Phoenix channels at `/realtime/v1/websocket` (broadcast, presence,
//! postgres changes from the real database with RLS applied per subscriber, private channels
//! authorised by RLS on `realtime.messages`), `POST /realtime/v1/api/broadcast` and
//! `/api/broadcast/{topic}/events/{event}`, and
//! Broadcast from Database (`realtime.send`, `realtime.broadcast_changes`: `feed.rs`).
//!
//! Followed sources (supabase/realtime): `lib/realtime_web/channels/user_socket.ex` (the
//! `apikey` checked on connect, 403 otherwise), `lib/realtime_web/channels/realtime_channel.ex`
//! (join, error reasons, `access_token`, system messages, `phx_close` on shutdown),
//! `realtime_channel/broadcast_handler.ex`, `realtime_channel/presence_handler.ex`,
//! `controllers/broadcast_controller.ex` (202, 422), `controllers/broadcast_single_controller.ex`
//! with `lib/realtime/tenants/single_broadcast.ex` and `plugs/validate_broadcast_content_type.ex`
//! (JSON or bytes, 202, 403, 415, 422), `lib/realtime_web/endpoint.ex` (size
//! limits; the payload limit is `payload_size.rs`), `channels/auth/channels_authorization.ex`
//! (token errors), and supabase/walrus `realtime.apply_rls` for postgres changes (see
//! `changes.rs`).

mod auth;
mod changes;
mod feed;
mod hub;
mod payload_size;
mod socket;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State, WebSocketUpgrade};
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
        // `Plug.Parsers`' default `:length` (endpoint.ex sets none): larger bodies are a 413.
        .route(
            "/api/broadcast",
            post(broadcast).layer(DefaultBodyLimit::max(8_000_000)),
        )
        // The octet-stream parser's default `:length` is 8 MB as well.
        .route(
            "/api/broadcast/{topic}/events/{event}",
            post(broadcast_single).layer(DefaultBodyLimit::max(8_000_000)),
        )
        .with_state(state)
}

/// The largest WebSocket message the server reads (`RealtimeWeb.Endpoint`'s socket options).
const MAX_FRAME_SIZE: usize = 5_000_000;

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
    // endpoint.ex `max_frame_size: 5_000_000`: Cowboy closes the connection on a larger
    // message (the limit applies to a fragmented message as a whole).
    upgrade
        .max_message_size(MAX_FRAME_SIZE)
        .max_frame_size(MAX_FRAME_SIZE)
        .on_upgrade(move |ws| socket::serve(rt, ws, key, v2))
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `POST /api/broadcast` (broadcast_controller.ex, `BatchBroadcast`): `{messages: [{topic,
/// event, payload, private?, id?}]}` → 202; an invalid body → 422 with Ecto's errors; a bad key
/// → 401. A private message needs the caller's broadcast write policy and is dropped silently
/// without it; a message with an `id` carries it as `meta.id`.
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
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let messages = match rest_messages(&body) {
        Ok(messages) => messages,
        Err(errors) => {
            return json_response(StatusCode::UNPROCESSABLE_ENTITY, json!({"errors": errors}));
        }
    };
    for m in messages {
        if m.private
            && !auth::policies(&rt.env.db, &caller, &m.topic)
                .await
                .is_ok_and(|p| p.broadcast_write)
        {
            continue;
        }
        let mut message = json!({"type": "broadcast", "event": m.event, "payload": m.payload});
        if let Some(id) = m.id {
            message["meta"] = json!({"id": id});
        }
        rt.hub
            .broadcast(&hub::TopicKey::new(&m.topic, m.private), None, &message);
    }
    StatusCode::ACCEPTED.into_response()
}

#[derive(serde::Deserialize)]
struct SingleParams {
    private: Option<String>,
}

/// `POST /api/broadcast/{topic}/events/{event}[?private=true]` (broadcast_single_controller.ex,
/// `SingleBroadcast`, Realtime ≥ 2.97): the body is the payload, JSON (a non-object one as
/// Plug's `{"_json": …}`) or `application/octet-stream` bytes, sent on as a `UserBroadcast`
/// (a binary frame to 2.0.0 sockets; JSON ones also reach 1.0.0 sockets). 202 with no body; 415
/// for another content type; 422 for a payload over the limit; a private one without the
/// caller's broadcast write policy is 403, not dropped as in the batch endpoint.
async fn broadcast_single(
    State(rt): State<Arc<Realtime>>,
    axum::extract::Path((topic, event)): axum::extract::Path<(String, String)>,
    Query(params): Query<SingleParams>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).map(|v| {
        let v = v.to_str().unwrap_or_default();
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    // The endpoint's Plug.Parsers first: a JSON body that is not JSON is a 400 before any
    // check of the router; an empty one is `%{}`, a non-object goes under `_json`. Without a
    // type, nothing is parsed and the payload is `%{}`.
    let json = match content_type.as_deref() {
        Some("application/json") => Some(match serde_json::from_slice::<Value>(&body) {
            _ if body.iter().all(u8::is_ascii_whitespace) => json!({}),
            Ok(v @ Value::Object(_)) => v,
            Ok(v) => json!({"_json": v}),
            Err(_) => {
                return json_response(StatusCode::BAD_REQUEST, json!({"message": "Bad Request"}));
            }
        }),
        None => Some(json!({})),
        _ => None,
    };
    // ValidateBroadcastContentType: JSON, bytes, or no type at all; parameters allowed.
    let binary = content_type.as_deref() == Some("application/octet-stream");
    if json.is_none() && !binary {
        return json_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"error": "Unsupported Media Type. Use application/json or application/octet-stream"}),
        );
    }
    let Ok(caller) = super::caller(&headers, &rt.env.jwt_secret) else {
        return json_response(StatusCode::UNAUTHORIZED, json!({"message": "Unauthorized"}));
    };
    if let Err(e) = rt.ready().await {
        return json_response(StatusCode::INTERNAL_SERVER_ERROR, json!({"message": e}));
    }
    let payload = match json {
        Some(value) if payload_size::exceeds(&value) => return payload_too_large(),
        Some(value) => value.to_string().into(),
        None if payload_size::bytes_exceed(body.len()) => return payload_too_large(),
        None => body,
    };
    let private = params.private.as_deref() == Some("true");
    if private {
        match auth::policies(&rt.env.db, &caller, &topic).await {
            Ok(p) if p.broadcast_write => {}
            Ok(_) => {
                return json_response(StatusCode::FORBIDDEN, json!({"message": "Unauthorized"}));
            }
            Err(_) => {
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"message": "Unable to authorize broadcast"}),
                );
            }
        }
    }
    let broadcast = Arc::new(hub::UserBroadcast {
        user_event: event,
        json: !binary,
        payload,
    });
    rt.hub
        .user_broadcast(&hub::TopicKey::new(&topic, private), None, &broadcast);
    StatusCode::ACCEPTED.into_response()
}

/// `SingleBroadcast`'s size error, through Realtime's changeset view.
fn payload_too_large() -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"errors": {"payload": ["Payload size exceeds tenant limit"]}}),
    )
}

/// One message of a REST broadcast.
struct RestMessage {
    topic: String,
    event: String,
    payload: Value,
    private: bool,
    id: Option<String>,
}

/// `BatchBroadcast.changeset`: `messages` is a non-empty list; each message needs a `topic`,
/// an `event` (strings) and a `payload` (an object within the size limit, `payload_size.rs`),
/// and may say `private` (a boolean). The error is Ecto's `traverse_errors`: per message an
/// object of field errors, `{}` when valid; one invalid message refuses the whole batch.
fn rest_messages(body: &Value) -> Result<Vec<RestMessage>, Value> {
    const BLANK: &str = "can't be blank";
    const INVALID: &str = "is invalid";
    const TOO_LARGE: &str = "Payload size exceeds tenant limit";
    let list = match body.get("messages") {
        None | Some(Value::Null) => return Err(json!({"messages": [BLANK]})),
        Some(Value::Array(list)) if list.is_empty() => return Err(json!({"messages": [BLANK]})),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(json!({"messages": [INVALID]})),
    };
    if list.iter().any(|m| !m.is_object()) {
        return Err(json!({"messages": [INVALID]}));
    }
    let text = |v: &Value| match v {
        Value::Null => Err(BLANK),
        Value::String(s) if s.trim().is_empty() => Err(BLANK),
        Value::String(s) => Ok(s.clone()),
        _ => Err(INVALID),
    };
    let mut messages = Vec::new();
    let mut errors = Vec::new();
    for m in list {
        let topic = text(&m["topic"]);
        let event = text(&m["event"]);
        let payload = match &m["payload"] {
            Value::Null => Err(BLANK),
            p @ Value::Object(_) if payload_size::exceeds(p) => Err(TOO_LARGE),
            p @ Value::Object(_) => Ok(p.clone()),
            _ => Err(INVALID),
        };
        let private = match &m["private"] {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            // Ecto's `:boolean` cast: also "1" and "0", case-sensitive.
            Value::String(s) if s == "true" || s == "1" => Ok(true),
            Value::String(s) if s == "false" || s == "0" => Ok(false),
            _ => Err(INVALID),
        };
        let id = match &m["id"] {
            // Ecto casts an empty string to nil.
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(INVALID),
        };
        let field_errors: serde_json::Map<String, Value> = [
            ("topic", topic.as_ref().err()),
            ("event", event.as_ref().err()),
            ("payload", payload.as_ref().err()),
            ("private", private.as_ref().err()),
            ("id", id.as_ref().err()),
        ]
        .into_iter()
        .filter_map(|(field, error)| Some((field.to_owned(), json!([error?]))))
        .collect();
        errors.push(Value::Object(field_errors));
        if let (Ok(topic), Ok(event), Ok(payload), Ok(private), Ok(id)) =
            (topic, event, payload, private, id)
        {
            messages.push(RestMessage {
                topic,
                event,
                payload,
                private,
                id,
            });
        }
    }
    if messages.len() == list.len() {
        Ok(messages)
    } else {
        Err(json!({"messages": errors}))
    }
}
