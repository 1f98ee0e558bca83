//! The socket: one WebSocket per client, its heartbeats, reconnection with backoff, and the
//! routing of incoming messages to channels and to the pushes waiting for a reply.
//!
//! Follows realtime-js `src/RealtimeClient.ts` (`connect`, `_onConnOpen` → rejoin,
//! `_onConnClose` → channel errors and reconnect timer, `sendHeartbeat`: a heartbeat still
//! pending when the next one is due closes the connection) and `src/lib/timer.ts` (backoff).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use url::Url;

use super::channel::{ChannelInner, Join, RealtimeChannel};
use super::error::RealtimeError;
use super::heartbeat::{ConnectionState, HeartbeatListeners, HeartbeatStatus};
use super::protocol::{self, Message};
use super::{ChannelConfig, RealtimeOptions};
use crate::auth::AuthChangeEvent;
use crate::client::ClientInner;
use crate::secret::Secret;

/// State shared by the client handle, its channels and the connection task.
pub(crate) struct Shared {
    pub(crate) client: Weak<ClientInner>,
    /// `ws(s)://…/realtime/v1/websocket`, without query parameters.
    pub(crate) endpoint: Url,
    /// `http(s)://…/realtime/v1/api/broadcast`.
    pub(crate) broadcast_url: Url,
    pub(crate) api_key: Secret,
    pub(crate) options: RealtimeOptions,
    /// The token given to `set_auth`; `None` follows the client's auth.
    token: Mutex<Option<Secret>>,
    /// The last session token pushed because of an auth event (supabase-js
    /// `changedAccessToken`).
    changed_token: Mutex<Option<Secret>>,
    /// The last token pushed to the channels (realtime-js `accessTokenValue`), held while
    /// pushing, so that pushes reach the channels in the order they took their token.
    pushed_token: Mutex<Option<Secret>>,
    channels: Mutex<Vec<RealtimeChannel>>,
    conn: Mutex<Conn>,
    pending: Mutex<HashMap<String, oneshot::Sender<Message>>>,
    next_ref: AtomicU64,
    connections: AtomicU64,
    last_connect_error: Mutex<Option<String>>,
    /// The HTTP/1.1 client the WebSocket handshakes go through, built on the first connection
    /// and kept for every reconnection.
    ws_http: OnceLock<Result<reqwest::Client, String>>,
    pub(crate) heartbeats: HeartbeatListeners,
    /// Bumped by each scheduled disconnect and by each channel made or added again, which
    /// cancels the one pending (realtime-js `_cancelPendingDisconnect`).
    disconnect_timer: AtomicU64,
}

#[derive(Default)]
struct Conn {
    /// Frames to the open connection; `None` while disconnected.
    tx: Option<mpsc::UnboundedSender<Outgoing>>,
    /// Which connection `tx` belongs to (its number in [`Shared::connection_count`]): a
    /// connection that ends after another has opened must not close the new one.
    open: u64,
    /// The connection task and its stop flag.
    task: Option<(tokio::task::JoinHandle<()>, Arc<AtomicBool>)>,
}

enum Outgoing {
    Frame(Message),
    /// A heartbeat now (`send_heartbeat`).
    Heartbeat,
    /// Close the connection, with this frame (`None`: a close frame without a code).
    Close(Option<CloseFrame>),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking user callback never runs under our locks, so poisoning cannot hide a broken
    // invariant; carry on with the data.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(
        weak: Weak<ClientInner>,
        client: &ClientInner,
        options: RealtimeOptions,
    ) -> Self {
        // The project URL is a valid http(s) base URL ending in `/` (checked by `Client::new`),
        // so joining a relative path and switching http → ws cannot fail.
        let join = |path: &str| client.url.join(path).unwrap_or_else(|_| client.url.clone());
        let mut endpoint = join("realtime/v1/websocket");
        let scheme = if endpoint.scheme() == "https" {
            "wss"
        } else {
            "ws"
        };
        let _ = endpoint.set_scheme(scheme);
        Shared {
            client: weak,
            endpoint,
            broadcast_url: join("realtime/v1/api/broadcast"),
            api_key: client.key.clone(),
            options,
            token: Mutex::new(None),
            changed_token: Mutex::new(None),
            pushed_token: Mutex::new(None),
            channels: Mutex::new(Vec::new()),
            conn: Mutex::new(Conn::default()),
            pending: Mutex::new(HashMap::new()),
            next_ref: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            last_connect_error: Mutex::new(None),
            ws_http: OnceLock::new(),
            heartbeats: HeartbeatListeners::default(),
            disconnect_timer: AtomicU64::new(0),
        }
    }

    /// [`Shared::ws_http`]: HTTP/1.1 only, since a WebSocket opens with an HTTP/1.1 upgrade,
    /// which an h2 connection (that ALPN may pick on https) cannot carry.
    fn ws_http(&self) -> Result<reqwest::Client, String> {
        self.ws_http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .http1_only()
                    .build()
                    .map_err(|e| format!("could not build the HTTP client: {e}"))
            })
            .clone()
    }

    /// The token sent on join and in `access_token` messages: the one given to `set_auth`,
    /// else the client's (a token provider's, or the signed-in user's), else the API key (as
    /// supabase-js does). What [`follow_auth`] loaded last: this never waits.
    pub(crate) fn access_token(&self) -> Secret {
        if let Some(token) = lock(&self.token).clone() {
            return token;
        }
        let session_token = self.client.upgrade().and_then(|inner| {
            let bearer = inner.auth.bearer()?;
            let token = bearer.to_str().ok()?.strip_prefix("Bearer ")?.to_owned();
            Some(Secret::new(token))
        });
        session_token.unwrap_or_else(|| self.api_key.clone())
    }

    pub(crate) fn set_auth(self: &Arc<Self>, token: Option<Secret>) {
        let manual = token.is_some();
        *lock(&self.token) = token;
        self.push_token();
        if !manual {
            // realtime-js `_performAuth(null)`: back to the callback, asked at once.
            self.follow_auth_soon();
        }
    }

    /// Unless a token was given to `set_auth`, asks the client's auth for a valid token in
    /// the background ([`follow_auth`]), as realtime-js `_setAuthSafely` does.
    pub(crate) fn follow_auth_soon(self: &Arc<Self>) {
        if self.has_manual_token() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(self);
            runtime.spawn(async move { follow_auth(&weak).await });
        }
    }

    /// Pushes the token now in use to the joined channels, unless it is the last one pushed
    /// (realtime-js `_performAuth`: `if (this.accessTokenValue != tokenToSend)`). A join
    /// calls it first, so that the token it joins with is the one the joined channels have
    /// too, and setting that token again pushes nothing.
    pub(crate) fn push_token(&self) {
        let mut pushed = lock(&self.pushed_token);
        let token = self.access_token();
        if pushed.as_ref() == Some(&token) {
            return;
        }
        *pushed = Some(token.clone());
        for channel in self.channels() {
            channel.inner.push_access_token(self, &token);
        }
    }

    /// Follows the auth session, as supabase-js `SupabaseClient._handleTokenChanged`: a new
    /// token after `SIGNED_IN` / `TOKEN_REFRESHED` (and `MFA_CHALLENGE_VERIFIED`, which also
    /// issues one) is pushed to every joined channel; `SIGNED_OUT` goes back to the API key.
    /// Either replaces a token given to `set_auth`: supabase-js hands the session's token to
    /// `realtime.setAuth(token)`, which, realtime-js having its `accessToken` callback, leaves
    /// it following the callback (2.116 `_performAuth`: `this.accessToken ?
    /// this._manuallySetToken = false : …`).
    pub(crate) fn token_changed(self: &Arc<Self>, event: AuthChangeEvent, token: Option<&Secret>) {
        let last = match (event, token) {
            (
                AuthChangeEvent::SignedIn
                | AuthChangeEvent::TokenRefreshed
                | AuthChangeEvent::MfaChallengeVerified,
                Some(token),
            ) => Some(token),
            (AuthChangeEvent::SignedOut, _) => None,
            _ => return,
        };
        {
            let mut changed = lock(&self.changed_token);
            if last.is_some() && changed.as_ref().map(Secret::expose) == last.map(Secret::expose) {
                return;
            }
            *changed = last.cloned();
        }
        // The session holds this token (or none) already: `access_token` reads it.
        *lock(&self.token) = None;
        self.push_token();
    }

    /// Whether a token was given to `set_auth` (realtime-js `_isManualToken`).
    pub(crate) fn has_manual_token(&self) -> bool {
        lock(&self.token).is_some()
    }

    pub(crate) fn make_ref(&self) -> String {
        (self.next_ref.fetch_add(1, Ordering::Relaxed) + 1).to_string()
    }

    pub(crate) fn channels(&self) -> Vec<RealtimeChannel> {
        lock(&self.channels).clone()
    }

    /// Adds `channel` unless it is there (a removed channel subscribed again comes back), and
    /// cancels a pending disconnect.
    pub(crate) fn add(&self, channel: &RealtimeChannel) {
        let mut channels = lock(&self.channels);
        self.disconnect_timer.fetch_add(1, Ordering::Relaxed);
        if !channels
            .iter()
            .any(|c| Arc::ptr_eq(&c.inner, &channel.inner))
        {
            channels.push(channel.clone());
        }
    }

    /// The registered channel of `topic` with `config`, whatever its state (realtime-js
    /// `channel()` returns it; a left channel is no longer registered).
    pub(crate) fn find(&self, topic: &str, config: &ChannelConfig) -> Option<RealtimeChannel> {
        lock(&self.channels)
            .iter()
            .find(|c| c.inner.topic == topic && c.inner.has_config(config))
            .cloned()
    }

    /// Forgets a channel that was left, closed or removed (realtime-js `_remove`); with none
    /// left, the connection closes after the grace
    /// ([`RealtimeOptions::disconnect_on_empty_channels_after`]).
    pub(crate) fn forget(self: &Arc<Self>, channel: &ChannelInner) {
        let mut channels = lock(&self.channels);
        channels.retain(|c| !std::ptr::eq(Arc::as_ptr(&c.inner), channel));
        self.disconnect_when_empty(&channels);
    }

    /// Closes the connection now if no channel is left (realtime-js `removeAllChannels`).
    pub(crate) fn close_if_unused(&self) {
        if lock(&self.channels).is_empty() {
            // No channel to tell of the lost connection.
            self.stop_connection(None);
        }
    }

    /// realtime-js `_schedulePendingDisconnect`: with no channel left, the connection closes
    /// after the grace, unless a channel is made or subscribed again meanwhile; at once for a
    /// zero grace (or outside a runtime, where no timer can run). Decided under the channels'
    /// lock: a channel added meanwhile either keeps the connection open or comes after the
    /// close and opens a new one.
    fn disconnect_when_empty(self: &Arc<Self>, channels: &[RealtimeChannel]) {
        if !channels.is_empty() {
            return;
        }
        let grace = self.options.empty_channels_grace();
        let generation = self.disconnect_timer.fetch_add(1, Ordering::Relaxed) + 1;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) if !grace.is_zero() => {
                let weak = Arc::downgrade(self);
                runtime.spawn(async move {
                    tokio::time::sleep(grace).await;
                    let Some(shared) = weak.upgrade() else { return };
                    let channels = lock(&shared.channels);
                    if channels.is_empty()
                        && shared.disconnect_timer.load(Ordering::Relaxed) == generation
                    {
                        shared.stop_connection(None);
                    }
                });
            }
            _ => {
                self.stop_connection(None);
            }
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        lock(&self.conn).tx.is_some()
    }

    /// The open connection's number, if one is open.
    pub(crate) fn open_connection(&self) -> Option<u64> {
        let conn = lock(&self.conn);
        conn.tx.is_some().then_some(conn.open)
    }

    pub(crate) fn connection_state(&self) -> ConnectionState {
        let conn = lock(&self.conn);
        match (&conn.tx, &conn.task) {
            (Some(_), _) => ConnectionState::Open,
            (None, Some((task, _))) if !task.is_finished() => ConnectionState::Connecting,
            _ => ConnectionState::Closed,
        }
    }

    /// Sends a heartbeat now (Phoenix `sendHeartbeat`); `Disconnected` to the heartbeat
    /// listeners without an open connection.
    pub(crate) fn send_heartbeat(&self) {
        let sent = lock(&self.conn)
            .tx
            .as_ref()
            .is_some_and(|tx| tx.send(Outgoing::Heartbeat).is_ok());
        if !sent {
            self.heartbeats.emit(HeartbeatStatus::Disconnected, None);
        }
    }

    pub(crate) fn connection_count(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn last_connect_error(&self) -> Option<String> {
        lock(&self.last_connect_error).clone()
    }

    /// Starts the connection task unless it runs; an error outside a Tokio runtime, which the
    /// task needs.
    pub(crate) fn ensure_connected(self: &Arc<Self>) -> Result<(), RealtimeError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            RealtimeError::NotConnected("the realtime socket needs a Tokio runtime".into())
        })?;
        let mut conn = lock(&self.conn);
        if let Some((task, _)) = &conn.task
            && !task.is_finished()
        {
            return Ok(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let task = runtime.spawn(run(Arc::downgrade(self), Arc::clone(&stop)));
        conn.task = Some((task, stop));
        Ok(())
    }

    /// Closes the connection (with a close frame when open, `frame` if given) and stops
    /// reconnecting.
    ///
    /// The connection counts as lost at once (its pending pushes fail, its channels report
    /// it): a channel subscribed right after this goes to a new connection, which the old one,
    /// still closing, must not touch.
    pub(crate) fn disconnect(&self, frame: Option<CloseFrame>) {
        if self.stop_connection(frame) {
            self.lost("disconnected");
        }
    }

    /// Stops the connection task and forgets the open connection, closing it with `frame`;
    /// whether one was open.
    fn stop_connection(&self, frame: Option<CloseFrame>) -> bool {
        let mut conn = lock(&self.conn);
        let tx = self.forget_open(&mut conn);
        if let Some((task, stop)) = conn.task.take() {
            stop.store(true, Ordering::Relaxed);
            match &tx {
                // The task sends the close frame and ends.
                Some(tx) if tx.send(Outgoing::Close(frame)).is_ok() => {}
                _ => task.abort(),
            }
        }
        tx.is_some()
    }

    /// Sends a message on the open connection.
    pub(crate) fn push(&self, message: Message) -> Result<(), RealtimeError> {
        let conn = lock(&self.conn);
        let tx = conn
            .tx
            .as_ref()
            .ok_or_else(|| RealtimeError::NotConnected("no open connection".into()))?;
        tx.send(Outgoing::Frame(message))
            .map_err(|_| RealtimeError::NotConnected("the connection closed".into()))
    }

    /// Sends a message with a fresh `ref` and waits for its `phx_reply`.
    pub(crate) async fn request(
        &self,
        message: Message,
    ) -> Result<serde_json::Value, RealtimeError> {
        let sent = self.send_request(message)?;
        self.reply(sent).await
    }

    /// Sends a message with a fresh `ref` (unless it has one), its reply awaited: the first
    /// half of [`request`](Self::request), synchronous, so a caller holding a lock decides the
    /// order of frames on the wire.
    pub(crate) fn send_request(&self, mut message: Message) -> Result<Sent, RealtimeError> {
        let reference = message.ref_.clone().unwrap_or_else(|| self.make_ref());
        message.ref_ = Some(reference.clone());
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(reference.clone(), tx);
        let (topic, event) = (message.topic.clone(), message.event.clone());
        if let Err(e) = self.push(message) {
            lock(&self.pending).remove(&reference);
            return Err(e);
        }
        Ok(Sent {
            reference,
            topic,
            event,
            reply: rx,
        })
    }

    /// Waits for the reply to a [`send_request`](Self::send_request), up to the timeout.
    ///
    /// Cancel-safe: dropped before its reply (a caller's own shorter
    /// `tokio::time::timeout`), it forgets the request, whose late reply is then ignored.
    pub(crate) async fn reply(&self, sent: Sent) -> Result<serde_json::Value, RealtimeError> {
        self.reply_within(sent, self.options.timeout).await
    }

    /// [`reply`](Self::reply), waiting up to `timeout`.
    pub(crate) async fn reply_within(
        &self,
        sent: Sent,
        timeout: std::time::Duration,
    ) -> Result<serde_json::Value, RealtimeError> {
        // Forgets the request however the wait ends (after a reply it is already gone).
        let _forget = super::OnDrop::new(|| {
            lock(&self.pending).remove(&sent.reference);
        });
        match tokio::time::timeout(timeout, sent.reply).await {
            Ok(Ok(reply)) => Ok(reply.payload),
            Ok(Err(_)) => Err(RealtimeError::NotConnected(
                "the connection closed before the reply".into(),
            )),
            Err(_) => Err(RealtimeError::Timeout {
                topic: sent.topic.clone(),
                event: sent.event.clone(),
            }),
        }
    }

    /// The URL with `apikey` and `vsn`, as realtime-js `endpointURL()`.
    fn connect_url(&self) -> Url {
        let mut url = self.endpoint.clone();
        url.query_pairs_mut()
            .append_pair("apikey", self.api_key.expose())
            .append_pair("vsn", self.options.vsn.as_str());
        url
    }

    /// Routes one incoming message.
    fn dispatch(&self, decoded: Result<Message, protocol::FrameError>) {
        let message = match decoded {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("realtime: ignoring a frame: {e}");
                return;
            }
        };
        if message.event == protocol::REPLY
            && let Some(reference) = &message.ref_
            && let Some(waiter) = lock(&self.pending).remove(reference)
        {
            let _ = waiter.send(message);
            return;
        }
        let targets: Vec<Arc<ChannelInner>> = lock(&self.channels)
            .iter()
            .filter(|c| c.inner.topic == message.topic)
            .map(|c| Arc::clone(&c.inner))
            .collect();
        for channel in targets {
            channel.handle(&message);
        }
    }

    /// Makes `tx` the open connection; returns its number, for [`closed`](Self::closed).
    /// `None` when the task was stopped: checked under the lock `disconnect` stops it under,
    /// so a connection never opens after a `disconnect` that did not see it.
    fn opened(
        self: &Arc<Self>,
        tx: mpsc::UnboundedSender<Outgoing>,
        stop: &AtomicBool,
    ) -> Option<u64> {
        let open = {
            let mut conn = lock(&self.conn);
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let open = self.connections.fetch_add(1, Ordering::Relaxed) + 1;
            conn.tx = Some(tx);
            conn.open = open;
            open
        };
        *lock(&self.last_connect_error) = None;
        for channel in self.channels() {
            if channel.inner.wants_join() {
                channel.inner.join(self, Join::UnlessSent);
            }
        }
        Some(open)
    }

    /// Connection `open` ended. Nothing to do when it is no longer the open one: `disconnect`
    /// already counted it lost, and a newer connection may be open.
    fn closed(&self, open: u64, why: &str) {
        {
            let mut conn = lock(&self.conn);
            if conn.tx.is_none() || conn.open != open {
                return;
            }
            self.forget_open(&mut conn);
        }
        self.lost(why);
    }

    /// Forgets the open connection (its sender, returned) and fails the pushes waiting on it
    /// for a reply: done under the connection's lock, so a newer connection's cannot be among
    /// them.
    fn forget_open(&self, conn: &mut Conn) -> Option<mpsc::UnboundedSender<Outgoing>> {
        let tx = conn.tx.take();
        if tx.is_some() {
            lock(&self.pending).clear();
        }
        tx
    }

    /// The open connection is gone: joined channels report it (and rejoin on the next
    /// connection).
    fn lost(&self, why: &str) {
        for channel in self.channels() {
            channel.inner.socket_lost(why);
        }
    }
}

/// Asks the client's auth for a valid token, up to the timeout, and pushes it to joined
/// channels when it changed: realtime-js `_setAuthSafely` at connect, after each join and at
/// every heartbeat, whose `accessToken` callback supabase-js always sets, to the token
/// provider's (third-party auth) or else `auth.getSession()`'s token. That loads a stored
/// session and refreshes one about to expire, so channels join as the user after a restart
/// and keep a valid token without the auto-refresh task. A provider or refresh that fails or
/// hangs leaves the token in use, as realtime-js does; nothing to do with a token given to
/// `set_auth`.
///
/// The auth call runs as its own task, and only the wait for it is timed: a refresh cut off
/// mid-request (by this timeout, shorter than auth's, or by the connection ending) may have
/// rotated the refresh token on the server while this client keeps the old one.
async fn follow_auth(weak: &Weak<Shared>) {
    let Some((client, timeout)) = weak.upgrade().and_then(|shared| {
        let client = (!shared.has_manual_token()).then(|| shared.client.upgrade())??;
        Some((crate::Client { inner: client }, shared.options.timeout))
    }) else {
        return;
    };
    let asked = tokio::spawn(async move { client.ensure_fresh_session().await });
    match tokio::time::timeout(timeout, asked).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => return tracing::warn!("realtime: the access_token provider failed: {e}"),
        Ok(Err(_)) => return, // the runtime is shutting down
        Err(_) => return tracing::warn!("realtime: asking auth for a token timed out"),
    }
    if let Some(shared) = weak.upgrade() {
        shared.push_token();
    }
}

/// A message sent, awaiting its `phx_reply` ([`Shared::send_request`]).
pub(crate) struct Sent {
    reference: String,
    topic: String,
    event: String,
    reply: oneshot::Receiver<Message>,
}

/// The connection task: connect, serve, and reconnect with backoff until stopped.
async fn run(weak: Weak<Shared>, stop: Arc<AtomicBool>) {
    let mut attempt = 0u32;
    loop {
        let Some(shared) = weak.upgrade() else { return };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let url = shared.connect_url();
        let options = shared.options.clone();
        let http = shared.ws_http();
        drop(shared);
        let http = match http {
            Ok(http) => http,
            Err(e) => return record_connect_error(&weak, e),
        };
        match tokio::time::timeout(options.timeout, open(&http, url)).await {
            Ok(Ok(ws)) => {
                attempt = 0;
                session(&weak, ws, &stop).await;
            }
            Ok(Err(e)) => record_connect_error(&weak, e),
            Err(_) => record_connect_error(&weak, "timed out".into()),
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let delay = options.backoff(attempt);
        attempt = attempt.saturating_add(1);
        tokio::time::sleep(delay).await;
    }
}

/// Opens the WebSocket at `url` (`ws(s)://…?apikey=…`): the opening handshake of RFC 6455
/// §4.1 as an HTTP/1.1 upgrade sent with reqwest, then tungstenite on the upgraded connection.
/// Not tungstenite's own handshake: that logs the request line, and with it the API key in the
/// query, at `TRACE`. Errors never show the URL.
async fn open(http: &reqwest::Client, mut url: Url) -> Result<Ws, String> {
    use reqwest::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY};
    use reqwest::header::{SEC_WEBSOCKET_VERSION, UPGRADE};
    use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};

    let scheme = if url.scheme() == "wss" {
        "https"
    } else {
        "http"
    };
    // ws, wss, http and https are all "special" schemes, between which `set_scheme` never fails.
    let _ = url.set_scheme(scheme);
    let key = generate_key();
    let response = http
        .get(url)
        .version(reqwest::Version::HTTP_11)
        .header(CONNECTION, "Upgrade")
        .header(UPGRADE, "websocket")
        .header(SEC_WEBSOCKET_VERSION, "13")
        .header(SEC_WEBSOCKET_KEY, &key)
        .send()
        .await
        .map_err(|e| crate::error::HttpError::new(e).to_string())?;
    let status = response.status();
    if status != reqwest::StatusCode::SWITCHING_PROTOCOLS {
        return Err(format!("HTTP {status}"));
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    if !header(UPGRADE).eq_ignore_ascii_case("websocket") {
        return Err("the server did not upgrade to a WebSocket".into());
    }
    if header(SEC_WEBSOCKET_ACCEPT) != derive_accept_key(key.as_bytes()) {
        return Err("the server's Sec-WebSocket-Accept does not match the key sent".into());
    }
    let upgraded = response
        .upgrade()
        .await
        .map_err(|e| crate::error::HttpError::new(e).to_string())?;
    Ok(WebSocketStream::from_raw_socket(upgraded, Role::Client, None).await)
}

fn record_connect_error(weak: &Weak<Shared>, error: String) {
    tracing::debug!("realtime: connection failed: {error}");
    if let Some(shared) = weak.upgrade() {
        *lock(&shared.last_connect_error) = Some(error);
    }
}

type Ws = WebSocketStream<reqwest::Upgraded>;
type Sink = futures_util::stream::SplitSink<Ws, WsMessage>;

/// Writes one frame. While a write waits nothing else is read or sent, heartbeats included,
/// so a server that stops reading (a dead link: the kernel's buffers fill and nothing fails
/// until TCP gives up, minutes later) would hold the connection forever. A write not taken
/// within a heartbeat interval (`limit`) is a missed heartbeat (realtime-js's heartbeat timer
/// fires whatever the socket is doing): the connection is given up, and channels join again.
async fn write(
    weak: &Weak<Shared>,
    sink: &mut Sink,
    frame: WsMessage,
    limit: Option<std::time::Duration>,
) -> Result<(), &'static str> {
    let sent = match limit {
        Some(limit) => tokio::time::timeout(limit, sink.send(frame)).await,
        None => Ok(sink.send(frame).await),
    };
    match sent {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err("the connection failed"),
        Err(_) => {
            if let Some(shared) = weak.upgrade() {
                shared.heartbeats.emit(HeartbeatStatus::Timeout, None);
            }
            Err("a write was not taken within a heartbeat interval")
        }
    }
}

/// Why a connection whose last heartbeat went unanswered is given up, and the reason of the
/// close frame sent then (Phoenix: `teardown(…, WS_CLOSE_NORMAL, "heartbeat timeout")`).
const HEARTBEAT_TIMEOUT: &str = "heartbeat timeout";

/// Sends a heartbeat, unless the last one is unanswered: then the connection is given up
/// (Phoenix `sendHeartbeat`). Tells the heartbeat listeners, and asks the client's auth for a
/// token (realtime-js `_wrapHeartbeatCallback`: on `sent`).
async fn beat(
    weak: &Weak<Shared>,
    sink: &mut Sink,
    vsn: protocol::Vsn,
    pending: &mut Option<(String, tokio::time::Instant)>,
    limit: Option<std::time::Duration>,
) -> Result<(), &'static str> {
    let shared = weak.upgrade().ok_or("client dropped")?;
    if pending.is_some() {
        shared.heartbeats.emit(HeartbeatStatus::Timeout, None);
        return Err(HEARTBEAT_TIMEOUT);
    }
    let reference = shared.make_ref();
    let m = Message::new(
        None,
        Some(reference.clone()),
        protocol::PHOENIX_TOPIC.into(),
        protocol::HEARTBEAT.into(),
        serde_json::json!({}),
    );
    *pending = Some((reference, tokio::time::Instant::now()));
    write(weak, sink, WsMessage::text(m.encode(vsn)), limit).await?;
    shared.heartbeats.emit(HeartbeatStatus::Sent, None);
    shared.follow_auth_soon();
    Ok(())
}

/// Serves one open connection until it closes, a heartbeat goes unanswered, or we stop.
async fn session(weak: &Weak<Shared>, ws: Ws, stop: &AtomicBool) {
    let (mut sink, mut frames) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The joins that `opened` sends carry the token of now: a stored session is loaded, one
    // about to expire refreshed, a provider asked.
    follow_auth(weak).await;
    let (open, vsn, every) = {
        let Some(shared) = weak.upgrade() else { return };
        let Some(open) = shared.opened(tx, stop) else {
            return;
        };
        (open, shared.options.vsn, shared.options.heartbeat_interval)
    };
    // A zero interval, or one too long to schedule, sends no heartbeats (tokio's `interval`
    // refuses both).
    let mut heartbeat = tokio::time::Instant::now()
        .checked_add(every)
        .filter(|_| !every.is_zero())
        .map(|first| {
            // After a stall (a slow write, a blocking callback), the next heartbeat is a whole
            // interval on: a burst of missed ticks would find the first still unanswered and
            // close a healthy connection.
            let mut interval = tokio::time::interval_at(first, every);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            interval
        });
    let mut pending_heartbeat: Option<(String, tokio::time::Instant)> = None;
    let limit = heartbeat.as_ref().map(|_| every);
    let why: Cow<'static, str> = loop {
        tokio::select! {
            frame = frames.next() => match frame {
                Some(Ok(WsMessage::Text(text))) => {
                    let Some(shared) = weak.upgrade() else { break "client dropped".into() };
                    let decoded = Message::decode(&text);
                    if let Ok(m) = &decoded
                        && m.topic == protocol::PHOENIX_TOPIC
                        && let Some((reference, sent)) = &pending_heartbeat
                        && m.ref_.as_ref() == Some(reference)
                    {
                        let status = match m.payload["status"].as_str() {
                            Some("ok") => HeartbeatStatus::Ok,
                            _ => HeartbeatStatus::Error,
                        };
                        shared.heartbeats.emit(status, Some(sent.elapsed()));
                        pending_heartbeat = None;
                        continue;
                    }
                    shared.dispatch(decoded);
                }
                Some(Ok(WsMessage::Binary(bytes))) => {
                    let Some(shared) = weak.upgrade() else { break "client dropped".into() };
                    shared.dispatch(Message::decode_binary(&bytes));
                }
                Some(Ok(WsMessage::Close(frame))) => break closed_by_server(frame.as_ref()).into(),
                None => break closed_by_server(None).into(),
                Some(Err(_)) => break "the connection failed".into(),
                Some(Ok(_)) => {} // pings are answered by tungstenite
            },
            out = rx.recv() => match out {
                Some(Outgoing::Frame(m)) => {
                    let frame = match (&m.binary, vsn) {
                        (Some(_), protocol::Vsn::V2) => match m.encode_binary() {
                            Ok(bytes) => WsMessage::binary(bytes),
                            Err(e) => {
                                // Checked when the broadcast was made; never sent half-valid.
                                tracing::warn!("realtime: dropping a binary broadcast: {e}");
                                continue;
                            }
                        },
                        _ => WsMessage::text(m.encode(vsn)),
                    };
                    if let Err(why) = write(weak, &mut sink, frame, limit).await {
                        break why.into();
                    }
                }
                Some(Outgoing::Heartbeat) => {
                    if let Err(why) = beat(weak, &mut sink, vsn, &mut pending_heartbeat, limit).await {
                        break why.into();
                    }
                }
                Some(Outgoing::Close(frame)) => {
                    let _ = write(weak, &mut sink, WsMessage::Close(frame), limit).await;
                    break "disconnected".into();
                }
                None => {
                    let _ = write(weak, &mut sink, WsMessage::Close(None), limit).await;
                    break "disconnected".into();
                }
            },
            _ = async {
                match heartbeat.as_mut() {
                    Some(heartbeat) => drop(heartbeat.tick().await),
                    None => std::future::pending().await,
                }
            } => {
                if let Err(why) = beat(weak, &mut sink, vsn, &mut pending_heartbeat, limit).await {
                    break why.into();
                }
            }
        }
    };
    if why == HEARTBEAT_TIMEOUT {
        let frame = CloseFrame {
            code: CloseCode::Normal,
            reason: HEARTBEAT_TIMEOUT.into(),
        };
        // Briefly: the link may be dead, and the next connection waits for this.
        let close = sink.send(WsMessage::Close(Some(frame)));
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), close).await;
    }
    tracing::debug!("realtime: connection closed: {why}");
    if let Some(shared) = weak.upgrade() {
        shared.closed(open, &why);
    }
}

/// A close frame with `code` and `reason` (checked by the caller).
pub(crate) fn close_frame(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    }
}

/// Why the server's side ended, with its close frame's code and reason when it sent one
/// (realtime-js reports `socket closed: <code> (<reason>)`).
fn closed_by_server(frame: Option<&CloseFrame>) -> String {
    const CLOSED: &str = "the server closed the connection";
    match frame {
        None => CLOSED.to_owned(),
        Some(f) if f.reason.is_empty() => format!("{CLOSED}: {}", u16::from(f.code)),
        Some(f) => format!("{CLOSED}: {} ({})", u16::from(f.code), f.reason.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reply_wait_dropped_early_forgets_its_request() {
        let options = crate::ClientOptions::default();
        let client = crate::Client::new("http://localhost:9", "key", options).unwrap();
        let shared = Arc::clone(&client.realtime().shared);
        let (tx, rx) = oneshot::channel();
        lock(&shared.pending).insert("7".into(), tx);
        let sent = Sent {
            reference: "7".into(),
            topic: "realtime:room".into(),
            event: "broadcast".into(),
            reply: rx,
        };
        // A caller's own shorter timeout drops the wait before any reply.
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(5), shared.reply(sent)).await;
        assert!(waited.is_err());
        assert!(lock(&shared.pending).is_empty());
    }
}
