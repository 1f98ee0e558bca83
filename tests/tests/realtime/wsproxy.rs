//! A WebSocket-aware proxy in front of the stack: it forwards plain HTTP as it is, and for
//! WebSocket connections it forwards frame by frame, recording what the client sent and
//! swallowing frames of chosen events: the client's (a server that stops answering heartbeats,
//! a join the server never sees) or the server's (replies lost on the way back). No test hook
//! in the stand-in: the proxy plays the network.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;

/// A frame the client sent, as the proxy saw it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sent {
    /// A text frame, decoded as JSON (`[join_ref, ref, topic, event, payload]` in vsn 2.0.0).
    Text(Value),
    /// A binary frame.
    Binary(Vec<u8>),
    /// A close frame: its code and reason, if it has them.
    Close(Option<(u16, String)>),
}

impl Sent {
    /// The Phoenix event of a text frame.
    pub(crate) fn event(&self) -> Option<&str> {
        match self {
            Sent::Text(Value::Array(items)) => items.get(3)?.as_str(),
            Sent::Text(v) => v["event"].as_str(),
            Sent::Binary(_) | Sent::Close(_) => None,
        }
    }

    /// The payload of a text frame.
    pub(crate) fn payload(&self) -> Option<&Value> {
        match self {
            Sent::Text(Value::Array(items)) => items.get(4),
            Sent::Text(v) => v.get("payload"),
            Sent::Binary(_) | Sent::Close(_) => None,
        }
    }
}

#[derive(Default)]
struct Inner {
    swallowed: Mutex<HashSet<String>>,
    swallowed_down: Mutex<HashSet<String>>,
    sent: Mutex<Vec<Sent>>,
    /// Reads nothing from the client: its writes fill the socket buffers and then wait.
    stalled: AtomicBool,
    /// Puts a refusal before the server's next postgres-changes confirmation.
    refuse_postgres_once: AtomicBool,
    /// Sends a `phx_error` of the join right behind the server's next join reply.
    error_after_join_reply_once: AtomicBool,
    /// A close frame to send the client in the server's place, on every connection.
    close: tokio::sync::watch::Sender<Option<(u16, String)>>,
}

pub(crate) struct WsProxy {
    pub(crate) url: String,
    inner: Arc<Inner>,
}

impl WsProxy {
    pub(crate) async fn start(upstream: &str) -> WsProxy {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let inner = Arc::new(Inner::default());
        let shared = Arc::clone(&inner);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(serve(inbound, upstream.clone(), Arc::clone(&shared)));
            }
        });
        WsProxy { url, inner }
    }

    /// Drops (does not forward) the client's frames whose event is `event`.
    pub(crate) fn swallow(&self, event: &str) {
        self.inner
            .swallowed
            .lock()
            .unwrap()
            .insert(event.to_owned());
    }

    /// Drops the server's text frames whose event is `event` (e.g. `phx_reply`).
    pub(crate) fn swallow_from_server(&self, event: &str) {
        self.inner
            .swallowed_down
            .lock()
            .unwrap()
            .insert(event.to_owned());
    }

    /// Stops reading the client's frames, without closing: a link that died silently.
    pub(crate) fn stall(&self, stalled: bool) {
        self.inner.stalled.store(stalled, Ordering::SeqCst);
    }

    /// Makes the server's next postgres-changes subscription look as if its first attempt
    /// failed for a passing reason and its retry succeeded: a `system` error with the same
    /// topic and join ref goes to the client first, then the server's confirmation, a moment
    /// later. Realtime does exactly that on `{:error, :retry, _}` (`realtime_channel.ex`,
    /// `handle_info(:postgres_subscribe)`), retrying after 5 to 10 s; a database timeout is
    /// such a reason, which the stand-in has no way to be made to hit.
    pub(crate) fn refuse_postgres_subscribe_once(&self) {
        self.inner
            .refuse_postgres_once
            .store(true, Ordering::SeqCst);
    }

    /// Makes the channel look as if it crashed as it joined: right behind the server's next
    /// join reply, in the same write, a `phx_error` of that join (as Phoenix sends when a
    /// channel process exits: `[join_ref, join_ref, topic, "phx_error", {}]`).
    pub(crate) fn error_after_next_join_reply(&self) {
        self.inner
            .error_after_join_reply_once
            .store(true, Ordering::SeqCst);
    }

    /// Closes the client's connections as the server would, with this code and reason.
    pub(crate) fn close_as_server(&self, code: u16, reason: &str) {
        self.inner
            .close
            .send_replace(Some((code, reason.to_owned())));
    }

    /// Forwards every frame again.
    pub(crate) fn swallow_nothing(&self) {
        self.inner.swallowed.lock().unwrap().clear();
        self.inner.swallowed_down.lock().unwrap().clear();
    }

    /// Every frame the client sent so far (swallowed ones included).
    pub(crate) fn sent(&self) -> Vec<Sent> {
        self.inner.sent.lock().unwrap().clone()
    }

    /// The client's frames of `event`.
    pub(crate) fn sent_events(&self, event: &str) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.event() == Some(event))
            .collect()
    }
}

/// Reads (without consuming) the request head, to tell a WebSocket upgrade from plain HTTP.
async fn peek_head(stream: &TcpStream) -> Option<String> {
    let mut buf = vec![0u8; 16 * 1024];
    for _ in 0..200 {
        let n = stream.peek(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        if head.contains("\r\n\r\n") {
            return Some(head);
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    None
}

// The handshake callback's signature (an `ErrorResponse` error) is tungstenite's.
#[allow(clippy::result_large_err)]
async fn serve(mut inbound: TcpStream, upstream: String, inner: Arc<Inner>) {
    let Some(head) = peek_head(&inbound).await else {
        let _ = inbound.shutdown().await;
        return;
    };
    if !head.to_ascii_lowercase().contains("upgrade: websocket") {
        if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
        }
        return;
    }
    let mut path = String::new();
    let accepted = tokio_tungstenite::accept_hdr_async(inbound, |req: &Request, resp: Response| {
        path = req.uri().to_string();
        Ok(resp)
    })
    .await;
    let Ok(client) = accepted else { return };
    let Ok((server, _)) = tokio_tungstenite::connect_async(format!("ws://{upstream}{path}")).await
    else {
        return;
    };
    let (mut to_client, mut from_client) = client.split();
    let (mut to_server, mut from_server) = server.split();
    let up = async {
        loop {
            while inner.stalled.load(Ordering::SeqCst) {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            let Some(Ok(frame)) = from_client.next().await else {
                break;
            };
            let seen = match &frame {
                Message::Text(text) => Some(Sent::Text(
                    serde_json::from_str(text.as_str()).unwrap_or(Value::Null),
                )),
                Message::Binary(bytes) => Some(Sent::Binary(bytes.to_vec())),
                Message::Close(frame) => Some(Sent::Close(
                    frame
                        .as_ref()
                        .map(|f| (u16::from(f.code), f.reason.as_str().to_owned())),
                )),
                _ => None,
            };
            if let Some(seen) = seen {
                let swallow = seen
                    .event()
                    .is_some_and(|e| inner.swallowed.lock().unwrap().contains(e));
                inner.sent.lock().unwrap().push(seen);
                if swallow {
                    continue;
                }
            }
            if to_server.send(frame).await.is_err() {
                break;
            }
        }
        let _ = to_server.close().await;
    };
    let mut close = inner.close.subscribe();
    let down = async {
        loop {
            let step = tokio::select! {
                frame = from_server.next() => Ok(frame),
                closing = close.wait_for(Option::is_some) => Err(closing.ok().and_then(|c| c.clone())),
            };
            let frame = match step {
                Ok(frame) => frame,
                Err(Some((code, reason))) => {
                    let frame = CloseFrame {
                        code: code.into(),
                        reason: reason.into(),
                    };
                    let _ = to_client.send(Message::Close(Some(frame))).await;
                    return;
                }
                Err(None) => break,
            };
            let Some(Ok(frame)) = frame else { break };
            if let Message::Text(text) = &frame {
                let event = Sent::Text(serde_json::from_str(text.as_str()).unwrap_or(Value::Null));
                if event
                    .event()
                    .is_some_and(|e| inner.swallowed_down.lock().unwrap().contains(e))
                {
                    continue;
                }
                if let Some(refusal) = refusal_of(&event)
                    && inner.refuse_postgres_once.swap(false, Ordering::SeqCst)
                {
                    if to_client.send(Message::text(refusal)).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                }
                if let Some(error) = error_of_join(&event)
                    && inner
                        .error_after_join_reply_once
                        .swap(false, Ordering::SeqCst)
                {
                    let sent = async {
                        to_client.feed(frame).await?;
                        to_client.feed(Message::text(error)).await?;
                        to_client.flush().await
                    };
                    if sent.await.is_err() {
                        break;
                    }
                    continue;
                }
            }
            if to_client.send(frame).await.is_err() {
                break;
            }
        }
        let _ = to_client.close().await;
    };
    // Either side ending ends the connection.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}

/// For the server's reply to a channel's join (its ref is the join ref), that join's
/// `phx_error`.
fn error_of_join(frame: &Sent) -> Option<String> {
    let Sent::Text(Value::Array(items)) = frame else {
        return None;
    };
    if frame.event() != Some("phx_reply")
        || items[0].is_null()
        || items[0] != items[1]
        || items[2] == "phoenix"
    {
        return None;
    }
    Some(json!([items[0], items[0], items[2], "phx_error", {}]).to_string())
}

/// For the server's confirmation of a postgres-changes subscription (a `system` message,
/// extension `postgres_changes`, status `ok`), the refusal of a failed attempt in its place.
fn refusal_of(frame: &Sent) -> Option<String> {
    let Sent::Text(Value::Array(items)) = frame else {
        return None;
    };
    let payload = frame.payload()?;
    if frame.event() != Some("system")
        || payload["extension"] != "postgres_changes"
        || payload["status"] != "ok"
    {
        return None;
    }
    let mut refusal = items.clone();
    refusal[4]["status"] = "error".into();
    refusal[4]["message"] = "Subscribing to PostgreSQL failed: database timeout".into();
    Some(Value::Array(refusal).to_string())
}
