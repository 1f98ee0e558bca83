//! [`EventStream`]: channel events as a [`futures_util::Stream`].

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::mpsc;

/// A stream of channel events (broadcasts, presence changes, postgres changes, statuses).
///
/// Unbounded: events are queued until read, so a slow reader never makes the socket drop
/// messages. A channel's stream ends once the channel is gone: unsubscribed or removed, and
/// every handle to it dropped. While a handle is kept, an unsubscribed channel keeps its
/// listeners, streams included, so that it can be subscribed again. Dropping a stream drops
/// its listener (at the channel's next listener; a postgres-changes one at the next join).
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct EventStream<T> {
    rx: mpsc::UnboundedReceiver<T>,
}

impl<T> EventStream<T> {
    pub(crate) fn new() -> (mpsc::UnboundedSender<T>, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, EventStream { rx })
    }

    /// An event already received, without waiting.
    pub fn try_recv(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }

    /// The next event, or `None` once the channel is gone.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await
    }
}

impl<T> futures_util::Stream for EventStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }
}
