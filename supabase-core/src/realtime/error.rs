//! [`RealtimeError`]: why a realtime operation failed.

/// A realtime failure: a refused join, a timeout, a lost connection, a malformed server message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RealtimeError {
    /// The server refused to join the channel (`phx_reply` with `status: "error"`); `reason` is
    /// the server's, e.g. `InvalidJWTToken: Token has expired 12 seconds ago`.
    #[error("the server refused to join `{topic}`: {reason}")]
    JoinRefused {
        /// The channel's topic (`realtime:<name>`).
        topic: String,
        /// The server's reason.
        reason: String,
    },
    /// The server reported an error on a joined channel (a `system` message with
    /// `status: "error"`, or `phx_error`).
    #[error("channel `{topic}` error ({extension}): {message}")]
    Channel {
        /// The channel's topic.
        topic: String,
        /// The part of the server that failed (`postgres_changes`, `system`, `phx_error`).
        extension: String,
        /// The server's message.
        message: String,
    },
    /// The server's postgres-changes subscriptions do not match the client's (realtime-js:
    /// "mismatch between server and client bindings for postgres changes").
    #[error("mismatch between server and client bindings for postgres changes on `{0}`")]
    BindingsMismatch(String),
    /// No reply within the timeout.
    #[error("`{event}` on `{topic}` got no reply in time")]
    Timeout {
        /// The channel's topic.
        topic: String,
        /// The message that got no reply (`phx_join`), or `postgres_changes` when the server
        /// did not confirm a joined channel's changes subscription in time.
        event: String,
    },
    /// The socket is not connected (or was closed while waiting).
    #[error("the realtime socket is not connected: {0}")]
    NotConnected(String),
    /// The WebSocket could not be opened (refused, HTTP 403 for a bad API key, TLS failure).
    #[error("could not connect the realtime socket: {0}")]
    Connect(String),
    /// A push got a reply other than `ok`.
    #[error("`{event}` on `{topic}` was answered `{status}`: {response}")]
    PushRejected {
        /// The channel's topic.
        topic: String,
        /// The message pushed.
        event: String,
        /// The reply's status.
        status: String,
        /// The reply's `response`, as JSON text.
        response: String,
    },
    /// The REST broadcast endpoint answered with an error.
    #[error("broadcast over REST failed (HTTP {status}): {body}")]
    Rest {
        /// HTTP status.
        status: u16,
        /// Response body (truncated).
        body: String,
    },
    /// The channel was closed (unsubscribed, removed, or closed by the server).
    #[error("channel `{0}` is closed")]
    Closed(String),
    /// A change could not be decoded into the requested row type.
    #[error("could not decode a postgres change into `{ty}` at `{path}`: {message}")]
    Decode {
        /// The Rust type.
        ty: &'static str,
        /// JSON path that failed.
        path: String,
        /// What was wrong.
        message: String,
    },
    /// A binary broadcast cannot be sent: a 1.0.0 socket, or a topic, event or ref longer
    /// than the 255 bytes a binary frame can hold.
    #[error("binary broadcast not possible: {0}")]
    Binary(String),
    /// A postgres-changes listener cannot be written as Realtime reads it: a filter's operator
    /// or shape, or a select list that is not plain columns.
    #[error("invalid postgres changes listener: {0}")]
    Filter(String),
}
