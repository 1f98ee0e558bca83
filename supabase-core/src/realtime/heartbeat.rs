//! What the socket's heartbeats tell of the connection, and its state: realtime-js
//! `onHeartbeat` / `heartbeatCallback` (statuses and latency as Phoenix's `socket.js` reports
//! them) and `connectionState()`.

use std::sync::Mutex;
use std::time::Duration;

use super::listener::{Listener, Listeners, hear_all};
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

/// A heartbeat's status, and its round trip when answered.
type Beat = (HeartbeatStatus, Option<Duration>);

/// Who hears of heartbeats: callbacks and streams.
#[derive(Default)]
pub(crate) struct HeartbeatListeners {
    inner: Mutex<Listeners<Beat>>,
}

impl HeartbeatListeners {
    pub(crate) fn add_callback(
        &self,
        callback: impl Fn(HeartbeatStatus, Option<Duration>) + Send + Sync + 'static,
    ) {
        let listener =
            Listener::callback(move |&(status, latency): &Beat| callback(status, latency));
        self.lock().add((), listener);
    }

    pub(crate) fn add_stream(&self) -> EventStream<Beat> {
        let (listener, stream) = Listener::stream(|beat: &Beat| *beat);
        self.lock().add((), listener);
        stream
    }

    /// Tells every listener; callbacks run outside the lock, so one may add another.
    pub(crate) fn emit(&self, status: HeartbeatStatus, latency: Option<Duration>) {
        let listeners = self.lock().all();
        hear_all(&listeners, &(status, latency), "the heartbeats");
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Listeners<Beat>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
