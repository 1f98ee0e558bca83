//! Who hears an event of a channel or of the socket: a user's callback, or an [`EventStream`].
//!
//! Listeners run on the connection's task, which also reads and writes the socket. A panic in a
//! callback is caught there and skips only that event for that callback (a callback that
//! throws in realtime-js aborts only that message), rather than ending the task and leaving
//! every channel silently deaf. A stream's listener is dropped once its stream is (at the next
//! listener added), so streams made and dropped per request do not pile up.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use super::stream::EventStream;

/// One listener of events `E`.
pub(crate) struct Listener<E> {
    hear: Arc<dyn Fn(&E) + Send + Sync>,
    /// A stream's: whether the stream was dropped.
    gone: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
}

impl<E> Clone for Listener<E> {
    fn clone(&self) -> Self {
        Listener {
            hear: Arc::clone(&self.hear),
            gone: self.gone.clone(),
        }
    }
}

impl<E> Listener<E> {
    /// `callback`, for every event.
    pub(crate) fn callback(callback: impl Fn(&E) + Send + Sync + 'static) -> Self {
        Listener {
            hear: Arc::new(callback),
            gone: None,
        }
    }

    /// A new stream of `convert(event)` for every event, and its listener.
    pub(crate) fn stream<T: Send + 'static>(
        convert: impl Fn(&E) -> T + Send + Sync + 'static,
    ) -> (Self, EventStream<T>) {
        let (tx, stream) = EventStream::new();
        let probe = tx.clone();
        let listener = Listener {
            hear: Arc::new(move |event| {
                let _ = tx.send(convert(event));
            }),
            gone: Some(Arc::new(move || probe.is_closed())),
        };
        (listener, stream)
    }

    /// Hands `event` to the listener; a panic is logged as `source`'s and goes no further.
    pub(crate) fn hear(&self, event: &E, source: &str) {
        if std::panic::catch_unwind(AssertUnwindSafe(|| (self.hear)(event))).is_err() {
            tracing::error!("realtime: a listener of {source} panicked; the event is skipped");
        }
    }

    /// Whether nobody hears it any more: its stream was dropped.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone.as_ref().is_some_and(|gone| gone())
    }
}

/// Listeners of one kind, each with what selects the events it hears (`()` for all of them).
pub(crate) struct Listeners<E, K = ()>(Vec<(K, Listener<E>)>);

impl<E, K> Default for Listeners<E, K> {
    fn default() -> Self {
        Listeners(Vec::new())
    }
}

impl<E, K: Clone> Listeners<E, K> {
    /// Adds `listener` for the events `key` selects, dropping those whose stream is gone.
    pub(crate) fn add(&mut self, key: K, listener: Listener<E>) {
        self.0.retain(|(_, l)| !l.is_gone());
        self.0.push((key, listener));
    }

    /// The listeners `selects` picks by their key, cloned, to be called outside a lock (a
    /// callback may add a listener).
    pub(crate) fn selected(&self, selects: impl Fn(&K) -> bool) -> Vec<Listener<E>> {
        self.0
            .iter()
            .filter(|(k, l)| selects(k) && !l.is_gone())
            .map(|(_, l)| l.clone())
            .collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<E> Listeners<E> {
    /// Every listener, cloned.
    pub(crate) fn all(&self) -> Vec<Listener<E>> {
        self.selected(|()| true)
    }
}

/// Hands `event` to each of `listeners` (taken with `all` or `selected` under the lock, and
/// called after it is released).
pub(crate) fn hear_all<E>(listeners: &[Listener<E>], event: &E, source: &str) {
    for listener in listeners {
        listener.hear(event, source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dropped_stream_is_gone_and_a_panicking_callback_hears_the_next_event() {
        let mut listeners: Listeners<u32> = Listeners::default();
        let (listener, mut kept) = Listener::stream(|n: &u32| n * 10);
        listeners.add((), listener);
        let (listener, dropped) = Listener::stream(|n: &u32| *n);
        listeners.add((), listener);
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        listeners.add(
            (),
            Listener::callback(move |n: &u32| {
                assert!(*n != 2, "two");
                log.lock().unwrap().push(*n);
            }),
        );
        drop(dropped);
        assert_eq!(listeners.all().len(), 2, "the dropped stream is not called");
        listeners.add((), Listener::callback(|_| {}));
        assert_eq!(listeners.0.len(), 3, "and is removed at the next addition");
        for n in 1..=3 {
            hear_all(&listeners.all(), &n, "a test");
        }
        assert_eq!(*heard.lock().unwrap(), [1, 3]);
        assert_eq!(
            [kept.recv().await, kept.recv().await, kept.recv().await],
            [Some(10), Some(20), Some(30)]
        );
    }
}
