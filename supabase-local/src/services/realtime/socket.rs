//! One client connection: Phoenix frames in, channel operations, frames out.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::Realtime;
use super::auth::{self, Policies};
use super::changes;
use super::hub::{Member, Out, TopicKey, UserBroadcast};
use super::payload_size;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// How long a connection stays open after the last frame it sent: Phoenix's websocket
/// `:timeout` (`phoenix/lib/phoenix/endpoint.ex`: "defaults to 60_000ms"), which
/// `RealtimeWeb.Endpoint` leaves as it is. Clients heartbeat well within it (realtime-js every
/// 25 s).
const IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// Realtime's per-client presence limit (`CLIENT_PRESENCE_MAX_CALLS`,
/// `CLIENT_PRESENCE_WINDOW_MS`): five presence messages per channel join in a fixed window of
/// thirty seconds.
const PRESENCE_MAX_CALLS: u32 = 5;
const PRESENCE_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);
/// A tenant's `max_channels_per_client` (the `_realtime.tenants` column's default), counted
/// per socket by `limit_channels` (`realtime_channel.ex`).
const MAX_CHANNELS_PER_CLIENT: usize = 100;

/// A channel this connection has joined.
struct Joined {
    key: TopicKey,
    name: String,
    join_ref: String,
    private: bool,
    presence_key: String,
    presence_enabled: bool,
    /// The payload of this member's last track (`presence_track_payload`).
    presence_payload: Option<Value>,
    ack: bool,
    policies: Policies,
    /// The token's `exp` (Unix seconds): the channel is shut down then, as Realtime's
    /// `confirm_token` timer does, unless an `access_token` pushes it back.
    expires_at: i64,
    /// The token the channel runs with (Realtime's `access_token` assign).
    access_token: String,
    /// The current presence rate window: when it ends, and the presence messages in it.
    presence_window: Option<(std::time::Instant, u32)>,
}

impl Joined {
    /// What the hub delivers to this member: everything on a public channel; on a private one
    /// its reads, with presence read only once presence is on (Realtime evaluates it then, and
    /// withholds `presence_diff` until it has).
    fn member_policies(&self) -> Option<Policies> {
        self.private.then_some(Policies {
            presence_read: self.policies.presence_read && self.presence_enabled,
            ..self.policies
        })
    }

    /// Whether presence state and diffs reach this member.
    fn reads_presence(&self) -> bool {
        self.member_policies().is_none_or(|p| p.presence_read)
    }
}

/// Whether `policies` admit a private channel: broadcast read, or presence read with presence
/// on (`maybe_assign_policies`).
fn admits(policies: &Policies, presence_enabled: bool) -> bool {
    policies.broadcast_read || (presence_enabled && policies.presence_read)
}

struct Conn {
    rt: Arc<Realtime>,
    id: u64,
    apikey: String,
    out: mpsc::UnboundedSender<Out>,
    joined: HashMap<String, Joined>,
}

/// The frame for `out` in the socket's serializer; `None` when it has no form there (a binary
/// payload for a 1.0.0 socket).
fn encode(out: &Out, v2: bool) -> Option<WsMessage> {
    let payload = match &out.user_broadcast {
        Some(b) if v2 => return encode_user_broadcast(&out.topic, b).map(WsMessage::Binary),
        // `UserBroadcast.convert_to_json_broadcast`: JSON payloads only.
        Some(b) if b.json => {
            let inner: Value = serde_json::from_slice(&b.payload).ok()?;
            json!({"type": "broadcast", "event": b.user_event, "payload": inner})
        }
        Some(_) => return None,
        None => match &out.payload_text {
            Some(text) => return frame(out, text, v2),
            None => out.payload.clone(),
        },
    };
    frame(out, &payload, v2)
}

/// A text frame of `out` with `payload`.
fn frame(out: &Out, payload: &impl serde::Serialize, v2: bool) -> Option<WsMessage> {
    let (join_ref, ref_, topic, event) = (&out.join_ref, &out.ref_, &out.topic, &out.event);
    let text = if v2 {
        serde_json::to_string(&(join_ref, ref_, topic, event, payload))
    } else {
        // Phoenix `lib/phoenix/socket/serializers/v1_json_serializer.ex`, which Realtime
        // serves 1.0.0 with ("v1 responses must not contain join_ref", its test says).
        #[derive(serde::Serialize)]
        struct V1<'a, P> {
            #[serde(rename = "ref")]
            ref_: &'a Option<String>,
            topic: &'a str,
            event: &'a str,
            payload: &'a P,
        }
        serde_json::to_string(&V1 {
            ref_,
            topic,
            event,
            payload,
        })
    };
    Some(WsMessage::Text(text.ok()?.into()))
}

// Binary frames of supabase/realtime `lib/realtime_web/socket/v2_serializer.ex` (the client's
// side: realtime-js `src/lib/serializer.ts`).
const USER_BROADCAST_PUSH: u8 = 3;
const USER_BROADCAST: u8 = 4;

/// `fastlane!(%UserBroadcast{})`: kind 4, topic, user event, no metadata, encoding, payload.
fn encode_user_broadcast(topic: &str, b: &UserBroadcast) -> Option<bytes::Bytes> {
    let topic_len = u8::try_from(topic.len()).ok()?;
    let event_len = u8::try_from(b.user_event.len()).ok()?;
    let mut frame = Vec::with_capacity(5 + topic.len() + b.user_event.len() + b.payload.len());
    frame.extend_from_slice(&[USER_BROADCAST, topic_len, event_len, 0, u8::from(b.json)]);
    frame.extend_from_slice(topic.as_bytes());
    frame.extend_from_slice(b.user_event.as_bytes());
    frame.extend_from_slice(&b.payload);
    Some(frame.into())
}

/// `decode_binary` for a kind-3 "user broadcast push": the only binary frame Realtime's
/// channels handle. Anything else is malformed.
fn decode_binary(frame: &[u8]) -> Option<Out> {
    let (&kind, rest) = frame.split_first()?;
    if kind != USER_BROADCAST_PUSH {
        return None;
    }
    let &[
        join_ref_len,
        ref_len,
        topic_len,
        event_len,
        meta_len,
        encoding,
    ] = rest.get(..6)?
    else {
        return None;
    };
    let mut cursor = &rest[6..];
    let mut take = |len: u8| -> Option<String> {
        let part = cursor.get(..usize::from(len))?;
        cursor = &cursor[usize::from(len)..];
        String::from_utf8(part.to_vec()).ok()
    };
    let join_ref = take(join_ref_len)?;
    let ref_ = take(ref_len)?;
    let topic = take(topic_len)?;
    let user_event = take(event_len)?;
    let metadata = take(meta_len)?;
    if !metadata.is_empty() {
        serde_json::from_str::<Value>(&metadata).ok()?;
    }
    let json = encoding != 0;
    let payload = bytes::Bytes::copy_from_slice(cursor);
    let join_ref = Some(join_ref).filter(|r| !r.is_empty());
    let ref_ = Some(ref_).filter(|r| !r.is_empty());
    Some(Out {
        user_broadcast: Some(Arc::new(UserBroadcast {
            user_event,
            json,
            payload,
        })),
        ..Out::new(join_ref, ref_, topic, "broadcast".into(), Value::Null)
    })
}

/// Decodes a frame in either serializer's form.
fn decode(text: &str) -> Option<Out> {
    let value: Value = serde_json::from_str(text).ok()?;
    let text_of = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) if items.len() == 5 => Some(Out::new(
            text_of(&items[0]),
            text_of(&items[1]),
            items[2].as_str()?.to_owned(),
            items[3].as_str()?.to_owned(),
            items[4].clone(),
        )),
        Value::Object(ref m) => Some(Out::new(
            m.get("join_ref").and_then(text_of),
            m.get("ref").and_then(text_of),
            m.get("topic")?.as_str()?.to_owned(),
            m.get("event")?.as_str()?.to_owned(),
            m.get("payload").cloned().unwrap_or(Value::Null),
        )),
        _ => None,
    }
}

pub(super) async fn serve(rt: Arc<Realtime>, ws: WebSocket, apikey: String, v2: bool) {
    let (mut sink, mut frames) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    let writer = tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let Some(frame) = encode(&out, v2) else {
                continue;
            };
            if sink.send(frame).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut conn = Conn {
        rt,
        id: NEXT_CONN.fetch_add(1, Ordering::Relaxed),
        apikey,
        out: tx,
        joined: HashMap::new(),
    };
    let mut idle_until = tokio::time::Instant::now() + IDLE_TIMEOUT;
    loop {
        let expiry = conn.next_expiry();
        let frame = tokio::select! {
            frame = frames.next() => frame,
            () = tokio::time::sleep_until(expiry.unwrap_or(idle_until)), if expiry.is_some() => {
                conn.shut_down_expired();
                continue;
            }
            () = tokio::time::sleep_until(idle_until) => {
                tracing::debug!("realtime stand-in: closing a connection idle for 60 s");
                break;
            }
        };
        idle_until = tokio::time::Instant::now() + IDLE_TIMEOUT;
        let Some(Ok(frame)) = frame else { break };
        match frame {
            WsMessage::Text(text) => match decode(&text) {
                Some(message) => conn.handle(message).await,
                None => tracing::debug!("realtime stand-in: ignoring a malformed frame"),
            },
            // Binary frames exist in 2.0.0 only (Phoenix's 1.0.0 serializer has none).
            WsMessage::Binary(bytes) if v2 => match decode_binary(&bytes) {
                Some(message) => conn.handle(message).await,
                None => tracing::debug!("realtime stand-in: ignoring a malformed binary frame"),
            },
            WsMessage::Close(_) => break,
            _ => {}
        }
    }
    for joined in conn.joined.values() {
        conn.rt.hub.leave(&joined.key, conn.id);
    }
    drop(conn);
    let _ = writer.await;
}

impl Conn {
    fn reply(&self, message: &Out, join_ref: Option<String>, status: &str, response: Value) {
        let _ = self.out.send(Out::new(
            join_ref,
            message.ref_.clone(),
            message.topic.clone(),
            "phx_reply".into(),
            json!({"status": status, "response": response}),
        ));
    }

    fn push(&self, topic: &str, join_ref: &str, event: &str, payload: Value) {
        // Phoenix `Phoenix.Socket` `encode_close`: a channel's `phx_close` carries its join
        // ref as its `ref` too, the only ref left in a 1.0.0 frame.
        let ref_ = (event == "phx_close").then(|| join_ref.to_owned());
        let _ = self.out.send(Out::new(
            Some(join_ref.to_owned()),
            ref_,
            topic.to_owned(),
            event.to_owned(),
            payload,
        ));
    }

    async fn handle(&mut self, message: Out) {
        if message.topic == "phoenix" && message.event == "heartbeat" {
            self.reply(&message, None, "ok", json!({}));
            return;
        }
        if message.event == "phx_join" {
            self.join(message).await;
            return;
        }
        let Some(joined) = self.joined.get(&message.topic) else {
            // Phoenix `socket.ex` `handle_in(nil, …)`: a leave of a topic this socket has not
            // joined (the server closed it first) is answered `ok`; anything else for it is
            // an error.
            if message.event == "phx_leave" {
                self.reply(&message, message.join_ref.clone(), "ok", json!({}));
                return;
            }
            self.reply(
                &message,
                message.join_ref.clone(),
                "error",
                json!({"reason": "unmatched topic"}),
            );
            return;
        };
        // A leave of an earlier join of this topic: "the client has raced a server close. No
        // need to reply since we already sent close" (`socket.ex`); the current join stays.
        if message.event == "phx_leave"
            && message
                .join_ref
                .as_ref()
                .is_some_and(|r| *r != joined.join_ref)
        {
            return;
        }
        let join_ref = Some(joined.join_ref.clone());
        match message.event.as_str() {
            "phx_leave" => {
                let joined = self.joined.remove(&message.topic);
                if let Some(j) = joined {
                    self.rt.hub.leave(&j.key, self.id);
                    self.reply(&message, join_ref, "ok", json!({}));
                    self.push(&message.topic, &j.join_ref, "phx_close", json!({}));
                }
            }
            "broadcast" => {
                // BroadcastHandler: without write permission on a private channel the message
                // is dropped *and not acknowledged* (realtime-js then reports "timed out"); one
                // over the size limit is dropped, and acknowledged with an error.
                let allowed = !joined.private || joined.policies.broadcast_write;
                let too_large = match &message.user_broadcast {
                    Some(b) => payload_size::user_broadcast_exceeds(b),
                    None => payload_size::exceeds(&message.payload),
                };
                if allowed && !too_large {
                    match message.user_broadcast {
                        // BroadcastHandler `build_broadcast`: a binary push stays a
                        // `UserBroadcast` on its way to the other sockets.
                        Some(ref b) => self.rt.hub.user_broadcast(&joined.key, Some(self.id), b),
                        None => self
                            .rt
                            .hub
                            .broadcast(&joined.key, Some(self.id), &message.payload),
                    }
                }
                if joined.ack && allowed {
                    let (status, response) = if too_large {
                        ("error", json!({"error": "payload_size_exceeded"}))
                    } else {
                        ("ok", json!({}))
                    };
                    self.reply(&message, join_ref, status, response);
                }
            }
            "presence" => self.presence(&message, join_ref),
            "access_token" => self.access_token(&message).await,
            _ => {} // realtime_channel.ex: unexpected messages are logged and ignored
        }
    }

    /// A presence message, as Realtime's `PresenceHandler.handle`: the event is lower-cased; a
    /// message without one is accepted and does nothing; a track needs presence write on a
    /// private channel (else an error reply with an empty response) and an object payload
    /// ("Presence track payload must be a map") within the size limit (over it, the channel is
    /// shut down: "Track message size exceeded"), re-tracking the same payload changes nothing,
    /// and the first track (which turns presence on) is followed by the state, for a member
    /// that may read presence. An unknown event is an empty error reply. More than five
    /// presence messages in thirty seconds shut the channel down ("Client presence rate limit
    /// exceeded").
    fn presence(&mut self, message: &Out, join_ref: Option<String>) {
        if !self.joined.contains_key(&message.topic) {
            return;
        }
        let Some(event) = message.payload["event"].as_str() else {
            self.reply(message, join_ref, "ok", json!({}));
            return;
        };
        // `limit_client_presence_event`, before the event is looked at: over the limit, the
        // channel is shut down.
        let now = std::time::Instant::now();
        let over =
            self.joined
                .get_mut(&message.topic)
                .is_some_and(|j| match &mut j.presence_window {
                    Some((ends, calls)) if now <= *ends => {
                        *calls += 1;
                        *calls > PRESENCE_MAX_CALLS
                    }
                    window => {
                        *window = Some((now + PRESENCE_WINDOW, 1));
                        false
                    }
                });
        if over {
            let topic = message.topic.clone();
            self.shut_down(&topic, "Client presence rate limit exceeded");
            return;
        }
        let Some(joined) = self.joined.get(&message.topic) else {
            return;
        };
        let (key, presence_key) = (joined.key.clone(), joined.presence_key.clone());
        match event.to_ascii_lowercase().as_str() {
            "track" => {
                let payload = message.payload.get("payload").cloned().unwrap_or(json!({}));
                let allowed = !joined.private || joined.policies.presence_write;
                if !allowed {
                    self.reply(message, join_ref, "error", json!({}));
                    return;
                }
                if !payload.is_object() {
                    let reason = json!({"reason": "Presence track payload must be a map"});
                    self.reply(message, join_ref, "error", reason);
                    return;
                }
                // realtime_channel.ex `handle_in("presence")`: `:payload_size_exceeded` →
                // `shutdown_response(socket, "Track message size exceeded")`.
                if payload_size::exceeds(&payload) {
                    let topic = message.topic.clone();
                    self.shut_down(&topic, "Track message size exceeded");
                    return;
                }
                if joined.presence_payload.as_ref() == Some(&payload) {
                    self.reply(message, join_ref, "ok", json!({}));
                    return;
                }
                // The first track turns presence on; the state follows if the member may read it.
                let first = !joined.presence_enabled;
                let (id, mut sync) = (self.id, false);
                if let Some(j) = self.joined.get_mut(&message.topic) {
                    j.presence_enabled = true;
                    j.presence_payload = Some(payload.clone());
                    self.rt.hub.set_policies(&key, id, j.member_policies());
                    sync = first && j.reads_presence();
                }
                self.rt.hub.track(&key, self.id, &presence_key, &payload);
                self.reply(message, join_ref.clone(), "ok", json!({}));
                if sync {
                    let state = self.rt.hub.presence_state(&key);
                    let join_ref = join_ref.unwrap_or_default();
                    self.push(&message.topic, &join_ref, "presence_state", state);
                }
            }
            "untrack" => {
                self.rt.hub.untrack(&key, self.id);
                if let Some(j) = self.joined.get_mut(&message.topic) {
                    j.presence_payload = None;
                }
                self.reply(message, join_ref, "ok", json!({}));
            }
            _ => self.reply(message, join_ref, "error", json!({})),
        }
    }

    /// `access_token` (realtime_channel.ex `handle_in("access_token", …)`): a valid token
    /// replaces the channel's claims; an invalid one shuts the channel down with a system
    /// message and `phx_close`.
    async fn access_token(&mut self, message: &Out) {
        let Some(token) = message.payload["access_token"].as_str() else {
            return;
        };
        let Some(joined) = self.joined.get(&message.topic) else {
            return;
        };
        // `handle_in("access_token", …) when refresh_token == access_token`: the token the
        // channel already has changes nothing, and its policies are not asked again.
        if token == joined.access_token {
            return;
        }
        let outcome = match auth::verify(token, &self.rt.env.jwt_secret) {
            Ok(caller) if joined.private => {
                // `check_read_permissions_revoked`: a read granted before and refused now.
                // Presence read counts once presence is on (Realtime evaluates it then).
                // `apply_access_token`: the policies are evaluated again as at a join, then
                // `check_read_permissions_revoked` refuses a read granted before and refused
                // now. Presence read counts once presence is on.
                let before = joined.policies;
                let presence_before = before.presence_read && joined.presence_enabled;
                let kept = |now: &Policies| {
                    (now.broadcast_read || !before.broadcast_read)
                        && (now.presence_read || !presence_before)
                };
                match auth::policies(&self.rt.env.db, &caller, &joined.name).await {
                    Ok(p) if !admits(&p, joined.presence_enabled) => Err(format!(
                        "You do not have permissions to read from this Channel topic: {}",
                        joined.name
                    )),
                    Ok(p) if kept(&p) => Ok((caller, p)),
                    Ok(_) => Err(format!(
                        "You no longer have permission to read from this Channel topic: {}",
                        joined.name
                    )),
                    Err(_) => Err("Realtime was unable to connect to the project database".into()),
                }
            }
            Ok(caller) => Ok((caller, joined.policies)),
            Err(e) => Err(e.shutdown_message()),
        };
        match outcome {
            Ok((caller, policies)) => {
                let expires_at = caller.claims["exp"].as_i64().unwrap_or(i64::MAX);
                let (key, id) = (joined.key.clone(), self.id);
                if let Some(j) = self.joined.get_mut(&message.topic) {
                    j.policies = policies;
                    j.expires_at = expires_at;
                    j.access_token = token.to_owned();
                    self.rt
                        .hub
                        .set_caller(&key, id, caller, j.member_policies());
                }
            }
            Err(reason) => self.shut_down(&message.topic, &reason),
        }
    }

    /// Ends a joined channel as Realtime's `shutdown_response`: a `system` error with
    /// `message`, then `phx_close`.
    fn shut_down(&mut self, topic: &str, message: &str) {
        let Some(j) = self.joined.remove(topic) else {
            return;
        };
        self.push(
            topic,
            &j.join_ref,
            "system",
            json!({"extension": "system", "status": "error", "message": message, "channel": j.name}),
        );
        self.rt.hub.leave(&j.key, self.id);
        self.push(topic, &j.join_ref, "phx_close", json!({}));
    }

    /// When the first of the joined channels' tokens expires.
    fn next_expiry(&self) -> Option<tokio::time::Instant> {
        let exp = self.joined.values().map(|j| j.expires_at).min()?;
        let left = u64::try_from(exp.saturating_sub(auth::now())).unwrap_or(0);
        // A far-off expiry (or none) is checked again in an hour, as `confirm_token` caps it.
        let left = std::time::Duration::from_secs(left.min(3600));
        Some(tokio::time::Instant::now() + left)
    }

    /// Shuts down the channels whose token has expired (`confirm_token` → `:expired_token`).
    fn shut_down_expired(&mut self) {
        let now = auth::now();
        let expired: Vec<(String, i64)> = self
            .joined
            .iter()
            .filter(|(_, j)| j.expires_at <= now)
            .map(|(topic, j)| (topic.clone(), now.saturating_sub(j.expires_at)))
            .collect();
        for (topic, ago) in expired {
            let message = auth::TokenError::Expired(ago).shutdown_message();
            self.shut_down(&topic, &message);
        }
    }

    async fn join(&mut self, message: Out) {
        let join_ref = message
            .join_ref
            .clone()
            .or_else(|| message.ref_.clone())
            .unwrap_or_default();
        let Some(name) = message.topic.strip_prefix("realtime:") else {
            self.reply(
                &message,
                Some(join_ref),
                "error",
                json!({"reason": "unmatched topic"}),
            );
            return;
        };
        let name = name.to_owned();
        if name.is_empty() {
            self.reply(
                &message,
                Some(join_ref),
                "error",
                json!({"reason": "TopicNameRequired: You must provide a topic name"}),
            );
            return;
        }
        // Phoenix closes an earlier join of the same topic on this socket.
        if let Some(old) = self.joined.remove(&message.topic) {
            self.rt.hub.leave(&old.key, self.id);
            self.push(&message.topic, &old.join_ref, "phx_close", json!({}));
        }
        // `limit_channels`, before the token is read: a socket holds at most the tenant's
        // `max_channels_per_client` channels (a refused or left channel no longer counts).
        if self.joined.len() >= MAX_CHANNELS_PER_CLIENT {
            self.reply(
                &message,
                Some(join_ref),
                "error",
                json!({"reason": "ChannelRateLimitReached: Too many channels"}),
            );
            return;
        }
        let config = &message.payload["config"];
        let token = message.payload["access_token"]
            .as_str()
            .or_else(|| message.payload["user_token"].as_str())
            .unwrap_or(&self.apikey)
            .to_owned();
        let caller = match auth::verify(&token, &self.rt.env.jwt_secret) {
            Ok(c) => c,
            Err(e) => {
                let reason = e.join_reason();
                self.reply(&message, Some(join_ref), "error", json!({"reason": reason}));
                return;
            }
        };
        let expires_at = caller.claims["exp"].as_i64().unwrap_or(i64::MAX);
        let private = flag(&config["private"]);
        let presence_enabled = flag(&config["presence"]["enabled"]);
        let mut policies = Policies::default();
        if private {
            // `maybe_assign_policies`: broadcast read or presence read admits the join; presence
            // read is evaluated at the join only when presence is enabled there.
            match auth::policies(&self.rt.env.db, &caller, &name).await {
                Ok(p) if admits(&p, presence_enabled) => policies = p,
                Ok(_) => {
                    let reason = unauthorized(&name);
                    self.reply(&message, Some(join_ref), "error", json!({"reason": reason}));
                    return;
                }
                Err(e) => {
                    // Realtime logs `UnableToSetPolicies` and answers with this text.
                    tracing::warn!("realtime stand-in: UnableToSetPolicies: {e}");
                    self.reply(
                        &message,
                        Some(join_ref),
                        "error",
                        json!({"reason": "Realtime was unable to connect to the project database"}),
                    );
                    return;
                }
            }
        }
        // `maybe_replay_messages` (realtime_channel.ex), after the policies: any `replay`
        // (even `null`) on a public channel is refused; on a private one it needs broadcast
        // read (a join admitted by presence read alone may not replay).
        let replayed = match config["broadcast"].get("replay") {
            None => Ok(Vec::new()),
            Some(_) if !private => {
                Err("UnableToReplayMessages: Replay is not allowed for public channels".to_owned())
            }
            Some(_) if !policies.broadcast_read => Err(unauthorized(&name)),
            Some(replay) => replay_messages(&self.rt, &name, replay)
                .await
                .map_err(str::to_owned),
        };
        let replayed = match replayed {
            Ok(messages) => messages,
            Err(reason) => {
                self.reply(&message, Some(join_ref), "error", json!({"reason": reason}));
                return;
            }
        };
        let requested: Vec<Value> = config["postgres_changes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let (bindings, echoed) = changes::bindings(&requested);
        // `postgres_changes_options.wait` (`realtime_channel.ex` `start_postgres_subscribe`):
        // the listeners are subscribed before the reply, and a subscription that cannot be
        // made refuses the join (`maybe_log_warning` with `RealtimeDisabledForConfiguration`).
        // The stand-in subscribes at once or fails for good, so its `timeout` never runs out.
        let waited = if flag(&config["postgres_changes_options"]["wait"]) && !bindings.is_empty() {
            if let Err(e) = changes::prepare(&self.rt, &bindings, &caller).await {
                let reason = format!("RealtimeDisabledForConfiguration: {e}");
                self.reply(&message, Some(join_ref), "error", json!({"reason": reason}));
                return;
            }
            true
        } else {
            false
        };
        let key = TopicKey::new(&name, private);
        let presence_key = match config["presence"]["key"].as_str() {
            Some(k) if !k.is_empty() => k.to_owned(),
            _ => format!("{:x}-{}", self.id, join_ref),
        };
        let joined = Joined {
            key: key.clone(),
            name: name.clone(),
            join_ref: join_ref.clone(),
            private,
            presence_key,
            presence_enabled,
            presence_payload: None,
            ack: flag(&config["broadcast"]["ack"]),
            policies,
            expires_at,
            access_token: token,
            presence_window: None,
        };
        self.rt.hub.join(
            &key,
            self.id,
            Member {
                out: self.out.clone(),
                topic: message.topic.clone(),
                join_ref: join_ref.clone(),
                self_broadcast: flag(&config["broadcast"]["self"]),
                caller: caller.clone(),
                bindings: Vec::new(),
                policies: joined.member_policies(),
                replayed: Arc::new(
                    replayed
                        .iter()
                        .filter_map(|m| m["meta"]["id"].as_str().map(str::to_owned))
                        .collect(),
                ),
            },
        );
        let sync_presence = presence_enabled && joined.reads_presence();
        self.joined.insert(message.topic.clone(), joined);
        // A join that waited has its listeners subscribed before the reply.
        let bindings = if waited {
            self.rt.hub.set_bindings(&key, self.id, &join_ref, bindings);
            Vec::new()
        } else {
            bindings
        };
        self.reply(
            &message,
            Some(join_ref.clone()),
            "ok",
            json!({"postgres_changes": echoed}),
        );
        // `handle_info({:replay, messages})`: pushed after the reply, oldest first.
        for payload in replayed {
            self.push(&message.topic, &join_ref, "broadcast", payload);
        }
        // As Realtime (`realtime_channel.ex`: `send(self(), :postgres_subscribe)` in `join`):
        // the listeners are subscribed after the reply, all or none, and a `system` message
        // says which. Changes committed before it are not delivered; clients wait for it.
        // (After a join that waited, the message confirms what the reply already meant.)
        if waited || !bindings.is_empty() {
            let subscribed = if waited {
                Ok(())
            } else {
                changes::prepare(&self.rt, &bindings, &caller).await
            };
            if subscribed.is_ok() && !bindings.is_empty() {
                self.rt.hub.set_bindings(&key, self.id, &join_ref, bindings);
            }
            let (status, text) = match &subscribed {
                Ok(()) => ("ok", "Subscribed to PostgreSQL".to_owned()),
                Err(e) => ("error", e.clone()),
            };
            self.push(
                &message.topic,
                &join_ref,
                "system",
                json!({"extension": "postgres_changes", "status": status, "message": text, "channel": name}),
            );
        }
        if sync_presence {
            let state = self.rt.hub.presence_state(&key);
            self.push(&message.topic, &join_ref, "presence_state", state);
        }
    }
}

/// Realtime's refusal of a join (or a replay) the caller's read policies do not allow.
fn unauthorized(topic: &str) -> String {
    format!("Unauthorized: You do not have permissions to read from this Channel topic: {topic}")
}

/// A join option's flag, read as Realtime's `FlexibleBoolean` casts it
/// (`lib/realtime_web/channels/payloads/flexible_boolean.ex`): a JSON boolean, or the text
/// `true`/`false` in any case; anything else (absent included) is off.
fn flag(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The broadcasts a join's `config.broadcast.replay` asks for, as Realtime's
/// `Realtime.Messages.replay` reads them (`lib/realtime/messages.ex`), each as the payload of a
/// `broadcast` push with `meta: {replayed: true, id}`. `since` (Unix milliseconds) must be an
/// integer, and `limit` one when given (else "Replay params are not valid"); `limit` defaults
/// to 25 and is clamped to 1..=25 (`@hard_limit`). Both follow the deployed server, which
/// replays 25 when no limit is given and wants `since`; the newest source defaults them to
/// 10 and 0. Messages inserted together (one `now()`) come in id order. Rows: the topic's private `broadcast` messages inserted
/// from `since` up to a minute ahead, the newest `limit`, oldest first. Read as the service,
/// not the caller: the join's broadcast read policy is the only check. A `replay` that is not
/// an object replays nothing.
async fn replay_messages(
    rt: &Realtime,
    topic: &str,
    replay: &Value,
) -> Result<Vec<Value>, &'static str> {
    const INVALID: &str = "UnableToReplayMessages: Replay params are not valid";
    const FAILED: &str = "UnableToReplayMessages: Realtime was unable to replay messages";
    if !replay.is_object() {
        return Ok(Vec::new());
    }
    // `DateTime.from_unix(since, :millisecond)` refuses what is past year 9999.
    let since = replay["since"]
        .as_i64()
        .filter(|ms| (-62_135_596_800_000..=253_402_300_799_999).contains(ms))
        .ok_or(INVALID)?;
    let limit = match &replay["limit"] {
        Value::Null => 25,
        v => v.as_i64().ok_or(INVALID)?.clamp(1, 25),
    };
    let conn = rt.env.db.get().await.map_err(|_| FAILED)?;
    let rows = conn
        .query(
            "select id::text, event, payload::text from ( \
               select id, event, payload, inserted_at from realtime.messages \
               where topic = $1 and private is true and extension = 'broadcast' \
                 and inserted_at >= to_timestamp($2::int8 / 1000.0) at time zone 'utc' \
                 and inserted_at < now() at time zone 'utc' + interval '1 minute' \
               order by inserted_at desc, id desc limit $3 \
             ) newest order by inserted_at, id",
            &[&topic, &since, &limit],
        )
        .await
        .map_err(|e| {
            tracing::warn!("realtime stand-in: replay of {topic}: {e}");
            FAILED
        })?;
    rows.iter()
        .map(|row| {
            let (id, event, payload): (String, Option<String>, Option<String>) =
                (row.get(0), row.get(1), row.get(2));
            let payload = match payload {
                Some(p) => serde_json::from_str(&p).map_err(|_| FAILED)?,
                None => Value::Null,
            };
            Ok(json!({
                "type": "broadcast",
                "event": event,
                "payload": payload,
                "meta": {"replayed": true, "id": id},
            }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    #[test]
    fn a_payload_text_is_sent_as_it_is_in_both_serializers() {
        let text = r#"{"data":{"record":{"n":0.10000000000000000000000000001}},"ids":[1]}"#;
        let out = Out {
            payload_text: Some(RawValue::from_string(text.into()).unwrap()),
            ..Out::new(
                None,
                None,
                "realtime:t".into(),
                "postgres_changes".into(),
                Value::Null,
            )
        };
        for (v2, expected) in [
            (
                true,
                format!(r#"[null,null,"realtime:t","postgres_changes",{text}]"#),
            ),
            (
                false,
                format!(
                    r#"{{"ref":null,"topic":"realtime:t","event":"postgres_changes","payload":{text}}}"#
                ),
            ),
        ] {
            let Some(WsMessage::Text(frame)) = encode(&out, v2) else {
                panic!("a text frame")
            };
            assert_eq!(frame.as_str(), expected);
        }
    }

    #[test]
    fn user_broadcast_push_frames_decode_and_fan_out_per_serializer() {
        let mut frame = vec![3, 1, 2, 3, 2, 0, 0];
        frame.extend_from_slice(b"712top");
        frame.extend_from_slice(b"ev");
        frame.extend_from_slice(&[0, 0xff]);
        let push = decode_binary(&frame).expect("kind 3");
        assert_eq!(
            (push.join_ref.as_deref(), push.ref_.as_deref()),
            (Some("7"), Some("12"))
        );
        assert_eq!(
            (push.topic.as_str(), push.event.as_str()),
            ("top", "broadcast")
        );
        let b = push.user_broadcast.clone().expect("binary");
        assert_eq!((b.user_event.as_str(), b.json), ("ev", false));

        // 2.0.0: a kind-4 frame; 1.0.0: bytes have no JSON form, so nothing is sent.
        let Some(WsMessage::Binary(out)) = encode(&push, true) else {
            panic!("binary frame")
        };
        assert_eq!(
            &out[..],
            &[4, 3, 2, 0, 0, b't', b'o', b'p', b'e', b'v', 0, 0xff]
        );
        assert!(encode(&push, false).is_none());

        // A JSON payload reaches 1.0.0 sockets as a JSON broadcast.
        let json = Out {
            user_broadcast: Some(Arc::new(UserBroadcast {
                user_event: "ev".into(),
                json: true,
                payload: bytes::Bytes::from_static(br#"{"a":1}"#),
            })),
            ..push
        };
        let Some(WsMessage::Text(text)) = encode(&json, false) else {
            panic!("text frame")
        };
        let v: Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(
            v["payload"],
            json!({"type": "broadcast", "event": "ev", "payload": {"a": 1}})
        );

        for bad in [
            &[][..],
            &[0, 0, 0, 0, 0][..],
            &[3, 1, 0, 0, 0, 0][..],
            &[3, 5, 0, 0, 0, 0, 0, b'a'][..],
            &[3, 0, 0, 0, 0, 2, 0, b'{', b'x'][..],
        ] {
            assert!(decode_binary(bad).is_none(), "{bad:?}");
        }
    }
}
