//! What the socket's heartbeats tell of the connection, and its state: realtime-js
//! `onHeartbeat` / `heartbeatCallback` (statuses and latency as Phoenix's `socket.js` reports
//! them) and `connectionState()`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::stream::EventStream;

/// What became of a heartbeat, as realtime-js reports it to `onHeartbeat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HeartbeatStatus {
    /// A heartbeat went out.
    Sent,
    /// The server answered it (with its round trip).
    Ok,
    /// The server answered it with an error (with its round trip).
    Error,
    /// The one before was still unanswered when the next was due: the connection is closed,
    /// and opened again after the backoff.
    Timeout,
    /// [`RealtimeClient::send_heartbeat`](super::RealtimeClient::send_heartbeat) found no open
    /// connection.
    Disconnected,
}

impl HeartbeatStatus {
    /// realtime-js's name: `sent`, `ok`, `error`, `timeout`, `disconnected`.
    pub fn as_str(self) -> &'static str {
        match self {
            HeartbeatStatus::Sent => "sent",
            HeartbeatStatus::Ok => "ok",
            HeartbeatStatus::Error => "error",
            HeartbeatStatus::Timeout => "timeout",
            HeartbeatStatus::Disconnected => "disconnected",
        }
    }
}

/// The socket's state, as realtime-js `connectionState()`, with two differences: no `closing`
/// (a [`disconnect`](super::RealtimeClient::disconnect) counts the connection closed at once),
/// and `Connecting` rather than `closed` while waiting to reconnect, so `Closed` means that no
/// connection will come without a new [`connect`](super::RealtimeClient::connect) or
/// subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Opening, or waiting out the backoff to open again after a connection was lost.
    Connecting,
    /// Open.
    Open,
    /// Not connected, and not trying to be.
    Closed,
}

type Callback = Arc<dyn Fn(HeartbeatStatus, Option<Duration>) + Send + Sync>;

/// Who hears of heartbeats: callbacks and streams.
#[derive(Default)]
pub(crate) struct HeartbeatListeners {
    inner: Mutex<Listeners>,
}

#[derive(Default)]
struct Listeners {
    callbacks: Vec<Callback>,
    streams: Vec<mpsc::UnboundedSender<(HeartbeatStatus, Option<Duration>)>>,
}

impl HeartbeatListeners {
    pub(crate) fn add_callback(&self, callback: Callback) {
        self.lock().callbacks.push(callback);
    }

    pub(crate) fn add_stream(&self) -> EventStream<(HeartbeatStatus, Option<Duration>)> {
        let (tx, stream) = EventStream::new();
        let mut listeners = self.lock();
        listeners.streams.retain(|tx| !tx.is_closed());
        listeners.streams.push(tx);
        stream
    }

    /// Tells every listener; callbacks run outside the lock, so one may add another.
    pub(crate) fn emit(&self, status: HeartbeatStatus, latency: Option<Duration>) {
        let callbacks = {
            let mut listeners = self.lock();
            listeners
                .streams
                .retain(|tx| tx.send((status, latency)).is_ok());
            listeners.callbacks.clone()
        };
        for callback in callbacks {
            callback(status, latency);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Listeners> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
