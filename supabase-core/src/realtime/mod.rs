//! Realtime: broadcast, presence and Postgres changes over one Phoenix-channels WebSocket.
//!
//! ```no_run
//! use supabase_core::realtime::{PostgresChangeEvent, PostgresChanges, SubscribeStatus};
//!
//! # async fn run(client: supabase_core::Client) -> supabase_core::Result<()> {
//! let channel = client
//!     .channel("room1")
//!     .on_broadcast("cursor-pos", |msg| println!("cursor: {}", msg.payload))
//!     .on_postgres_changes(
//!         PostgresChangeEvent::Insert,
//!         PostgresChanges::schema("public").table("countries"),
//!         |change| println!("new country: {}", change.new),
//!     )
//!     .subscribe_with(|status, err| println!("{status:?} {err:?}"))
//!     .await?;
//! channel.send_broadcast("cursor-pos", serde_json::json!({"x": 1, "y": 2})).await?;
//! client.remove_channel(&channel).await?;
//! # Ok(()) }
//! ```
//!
//! The socket follows realtime-js (`src/RealtimeClient.ts`): one connection per client,
//! heartbeats on the `phoenix` topic every [`RealtimeOptions::heartbeat_interval`] (a heartbeat
//! still unanswered when the next is due closes the connection), reconnection with exponential
//! backoff, and every subscribed channel joined again after a reconnection. Channels follow
//! `src/RealtimeChannel.ts`; presence follows `src/RealtimePresence.ts`.
//!
//! Every event is available as a callback (`on_*`, as the reference) and as a
//! [`futures_util::Stream`] (`*_stream`).
//!
//! Every wait (a join, a leave, an acknowledged broadcast, `track`, a REST broadcast) ends
//! after [`RealtimeOptions::timeout`] with [`RealtimeError::Timeout`], realtime-js's
//! `timed out`. For a shorter wait on one call, where realtime-js takes `{timeout}` in the
//! call's options, wrap the call in [`tokio::time::timeout`]: the calls are cancel-safe (a
//! dropped call forgets its pending reply; a dropped `unsubscribe` or `remove_channel` still
//! closes and forgets the channel; a dropped `subscribe` leaves the channel joining, as a
//! timed-out join does in realtime-js).

pub(crate) mod changes;
mod channel;
mod error;
mod heartbeat;
mod json;
mod listener;
pub(crate) mod presence;
pub(crate) mod protocol;
mod socket;
mod stream;

use std::sync::Arc;
use std::time::Duration;

pub use changes::{
    Changes, ColumnInfo, PostgresChange, PostgresChangeEvent, PostgresChanges,
    PostgresChangesPayload, TableChanges,
};
pub use channel::{
    BroadcastMessage, ChannelConfig, RealtimeChannel, Replay, SubscribeStatus, SystemMessage,
    WeakChannel,
};
pub use error::RealtimeError;
pub use heartbeat::{ConnectionState, HeartbeatStatus};
pub use presence::{Presence, PresenceEvent, PresenceState};
pub use protocol::Vsn;
pub use stream::EventStream;

use crate::client::ClientInner;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// realtime-js's reconnection steps.
const DEFAULT_RECONNECT_DELAYS: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
];

/// Options of the realtime socket (`RealtimeClientOptions` in the reference).
#[derive(Debug, Clone)]
pub struct RealtimeOptions {
    pub(crate) timeout: Duration,
    pub(crate) heartbeat_interval: Duration,
    /// The wait before each reconnection (and each rejoin) in turn; the last repeats.
    pub(crate) reconnect_delays: Arc<[Duration]>,
    pub(crate) vsn: Vsn,
    /// `None`: twice the heartbeat interval, as realtime-js.
    pub(crate) empty_channels_grace: Option<Duration>,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        // realtime-js: DEFAULT_TIMEOUT 10 s, HEARTBEAT_INTERVAL 25 s, and `reconnectAfterMs`
        // stepping `[1000, 2000, 5000, 10000][tries - 1] || 10000` (src/RealtimeClient.ts).
        RealtimeOptions {
            timeout: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(25),
            reconnect_delays: DEFAULT_RECONNECT_DELAYS.into(),
            vsn: Vsn::default(),
            empty_channels_grace: None,
        }
    }
}

impl RealtimeOptions {
    /// How long a join, a leave or an acknowledged push waits for its reply (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time between heartbeats (default 25 s); an unanswered heartbeat closes the connection.
    /// `Duration::ZERO` (or an interval too long to schedule) sends none; the server may then
    /// close a connection it has not heard from.
    pub fn heartbeat_interval(mut self, interval: Duration) -> Self {
        self.heartbeat_interval = interval;
        self
    }

    /// The waits before successive attempts to reconnect a lost socket, or to rejoin a
    /// channel the server refused (realtime-js `reconnectAfterMs`): the first attempt waits the
    /// first delay, and so on, the last delay repeating (default 1, 2, 5, then 10 s). An empty
    /// list changes nothing. Success starts the steps again.
    pub fn reconnect_delays(mut self, delays: impl IntoIterator<Item = Duration>) -> Self {
        let delays: Arc<[Duration]> = delays.into_iter().collect();
        if !delays.is_empty() {
            self.reconnect_delays = delays;
        }
        self
    }

    /// The Phoenix serializer (default [`Vsn::V2`], as realtime-js).
    pub fn vsn(mut self, vsn: Vsn) -> Self {
        self.vsn = vsn;
        self
    }

    /// How long the socket stays open once its last channel is removed or left (realtime-js
    /// `disconnectOnEmptyChannelsAfterMs`; default twice the heartbeat interval, 50 s): a
    /// channel made meanwhile reuses the connection. `Duration::ZERO` closes it at once.
    /// [`RealtimeClient::remove_all_channels`] closes it at once whatever this says.
    pub fn disconnect_on_empty_channels_after(mut self, grace: Duration) -> Self {
        self.empty_channels_grace = Some(grace);
        self
    }

    pub(crate) fn empty_channels_grace(&self) -> Duration {
        self.empty_channels_grace
            .unwrap_or_else(|| self.heartbeat_interval.saturating_mul(2))
    }

    /// The wait before attempt `attempt` (from 0).
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let delays = &self.reconnect_delays;
        let last = delays.len().saturating_sub(1);
        let step = usize::try_from(attempt).map_or(last, |a| a.min(last));
        delays
            .get(step)
            .copied()
            .unwrap_or(DEFAULT_RECONNECT_DELAYS[0])
    }
}

/// The realtime client of a [`Client`](crate::Client): one socket, many channels. Cheap to
/// clone. Get it with [`Client::realtime`](crate::Client::realtime).
#[derive(Clone)]
pub struct RealtimeClient {
    pub(crate) shared: Arc<socket::Shared>,
}

impl std::fmt::Debug for RealtimeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeClient")
            .field("endpoint", &self.shared.endpoint.as_str())
            .field("api_key", &self.shared.api_key)
            .field("access_token", &self.shared.access_token())
            .field("options", &self.shared.options)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl RealtimeClient {
    pub(crate) fn new(client: &Arc<ClientInner>) -> Self {
        let options = client.options.realtime.clone();
        let shared = Arc::new(socket::Shared::new(Arc::downgrade(client), client, options));
        // supabase-js `_listenForAuthEvents`: channels follow the session's token. The
        // listener holds the socket weakly, so it never keeps it alive.
        let weak = Arc::downgrade(&shared);
        client.auth.listen(Arc::new(move |event, session| {
            if let Some(shared) = weak.upgrade() {
                shared.token_changed(event, session.map(|s| &s.access_token));
            }
        }));
        RealtimeClient { shared }
    }

    /// A channel on topic `realtime:<name>` with the default [`ChannelConfig`]. Add listeners,
    /// then [`RealtimeChannel::subscribe`]. The client's channel of that name and
    /// configuration, if it has one (joined or not, until it is left), is returned as it is,
    /// as realtime-js does. One with another configuration is a new channel; subscribing it
    /// closes the other (`CLOSED`), as the server keeps one join per topic.
    pub fn channel(&self, name: impl Into<String>) -> RealtimeChannel {
        self.channel_with(name, ChannelConfig::default())
    }

    /// A channel with its configuration: broadcast `self`/`ack`, the presence key, private.
    pub fn channel_with(&self, name: impl Into<String>, config: ChannelConfig) -> RealtimeChannel {
        channel::RealtimeChannel::new(&self.shared, name.into(), config)
    }

    /// Every channel of this client (`get_channels()` in the reference).
    pub fn get_channels(&self) -> Vec<RealtimeChannel> {
        self.shared.channels()
    }

    /// Unsubscribes `channel` and forgets it; once no channel is left, the socket closes
    /// after [`RealtimeOptions::disconnect_on_empty_channels_after`] unless a channel is made
    /// meanwhile. Subscribing the channel again later adds it back.
    pub async fn remove_channel(&self, channel: &RealtimeChannel) -> Result<()> {
        // Also when this call is dropped before the leave ends.
        let _forget = OnDrop::new(|| self.shared.forget(&channel.inner));
        channel.unsubscribe().await
    }

    /// Unsubscribes and forgets every channel, all at once, then closes the socket (unless a
    /// channel was added meanwhile: it keeps the socket). Each channel comes back with the
    /// outcome of its leave, as realtime-js `removeAllChannels` gives one status a channel
    /// (`Ok` for `ok`; [`RealtimeError::Timeout`] for `timed out`). A channel is forgotten
    /// whatever its outcome.
    pub async fn remove_all_channels(&self) -> Vec<(RealtimeChannel, Result<()>)> {
        let channels = self.shared.channels();
        // Also when this call is dropped before the leaves end.
        let leaving = channels.clone();
        let _forget = OnDrop::new(|| {
            for channel in &leaving {
                self.shared.forget(&channel.inner);
            }
            self.shared.close_if_unused();
        });
        let outcomes =
            futures_util::future::join_all(channels.iter().map(RealtimeChannel::unsubscribe)).await;
        channels.into_iter().zip(outcomes).collect()
    }

    /// Uses `token` (a user's access token) for every channel: sent with later joins and pushed
    /// at once to joined channels as an `access_token` message when it differs from the token
    /// they have, as realtime-js `setAuth` does.
    /// `None` goes back to the client's auth: the token provider's
    /// ([`ClientOptions::access_token`](crate::ClientOptions::access_token)), else the
    /// signed-in user's token, else the API key.
    ///
    /// Not needed with this client's own auth: channels follow it as supabase-js's do. A
    /// stored session is loaded before the first join; at connect, after each join and at
    /// every heartbeat a session about to expire is refreshed (even with
    /// `auto_refresh_token(false)`) and a provider asked; signing in, a token refresh and
    /// signing out (`SIGNED_IN`, `TOKEN_REFRESHED`, `SIGNED_OUT`) push the new token to joined
    /// channels at once. A token given here is kept until an auth event replaces it.
    pub fn set_auth(&self, token: Option<&str>) {
        self.shared.set_auth(token.map(Secret::from));
    }

    /// Opens the socket now (channels open it on subscribe anyway). An error outside a Tokio
    /// runtime, which the connection runs on.
    pub fn connect(&self) -> Result<()> {
        self.shared.ensure_connected().map_err(Error::Realtime)
    }

    /// Closes the socket; subscribed channels are left as they are and rejoin on the next
    /// [`connect`](Self::connect).
    pub fn disconnect(&self) {
        self.shared.disconnect(None);
    }

    /// [`disconnect`](Self::disconnect) with a close code and reason for the server (realtime-js
    /// `disconnect(code, reason)`), e.g. `4000` and why the app leaves. As the browser's
    /// `WebSocket.close` allows: `1000` or an application code `3000`–`4999`, and a reason of at
    /// most 123 bytes; anything else is [`Error::Config`] and leaves the
    /// socket open.
    pub fn disconnect_with(&self, code: u16, reason: &str) -> Result<()> {
        if code != 1000 && !(3000..=4999).contains(&code) {
            return Err(Error::Config(format!(
                "close code {code}: use 1000 or an application code from 3000 to 4999"
            )));
        }
        if reason.len() > 123 {
            return Err(Error::Config(format!(
                "a close reason has at most 123 bytes, not {}",
                reason.len()
            )));
        }
        self.shared
            .disconnect(Some(socket::close_frame(code, reason)));
        Ok(())
    }

    /// Whether the socket is open.
    pub fn is_connected(&self) -> bool {
        self.shared.is_connected()
    }

    /// Whether the socket is open, opening (or waiting to reopen) or closed, as realtime-js
    /// `connectionState()`.
    pub fn connection_state(&self) -> ConnectionState {
        self.shared.connection_state()
    }

    /// Calls `callback` with what becomes of each heartbeat, and the round trip of those the
    /// server answered, as realtime-js `onHeartbeat`: `Sent`, then `Ok` (or `Error`) with the
    /// latency; `Timeout` when one went unanswered until the next was due, which closes the
    /// connection (it reopens after the backoff). For watching a connection's health. Unlike
    /// `onHeartbeat`, which replaces its one callback, each call adds one.
    pub fn on_heartbeat(
        &self,
        callback: impl Fn(HeartbeatStatus, Option<Duration>) + Send + Sync + 'static,
    ) {
        self.shared.heartbeats.add_callback(callback);
    }

    /// [`on_heartbeat`](Self::on_heartbeat) as a stream.
    pub fn heartbeat_stream(&self) -> EventStream<(HeartbeatStatus, Option<Duration>)> {
        self.shared.heartbeats.add_stream()
    }

    /// Sends a heartbeat now rather than at the next interval, as realtime-js
    /// `sendHeartbeat()`: its answer (or its absence) reaches the heartbeat listeners.
    /// `Disconnected` when the socket is not open. As the interval's own heartbeats, it counts
    /// as a timeout if the one before is still unanswered.
    pub fn send_heartbeat(&self) {
        self.shared.send_heartbeat();
    }

    /// How many times the socket has (re)connected since the client was created.
    pub fn connection_count(&self) -> u64 {
        self.shared.connection_count()
    }
}

/// Runs a closure when dropped: the end of an async call, also when its future is dropped
/// before it ends (a caller's `tokio::time::timeout`), which keeps the calls cancel-safe.
pub(crate) struct OnDrop<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> OnDrop<F> {
    pub(crate) fn new(f: F) -> Self {
        OnDrop(Some(f))
    }
}

impl<F: FnOnce()> Drop for OnDrop<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconnect_delays_step_and_the_last_repeats() {
        let millis =
            |o: &RealtimeOptions| (0..6).map(|i| o.backoff(i).as_millis()).collect::<Vec<_>>();
        let default = RealtimeOptions::default();
        assert_eq!(millis(&default), [1000, 2000, 5000, 10000, 10000, 10000]);
        assert_eq!(default.backoff(u32::MAX).as_millis(), 10000);
        let fast =
            RealtimeOptions::default().reconnect_delays([100, 300].map(Duration::from_millis));
        assert_eq!(millis(&fast), [100, 300, 300, 300, 300, 300]);
        let empty = fast.clone().reconnect_delays([]);
        assert_eq!(millis(&empty), millis(&fast));
    }
}
