//! [`RealtimeChannel`]: one topic on the socket, with its listeners, join state and presence.
//!
//! Follows realtime-js `src/RealtimeChannel.ts`: the join payload (`config.broadcast`,
//! `config.presence`, `config.postgres_changes`, `config.private`, `access_token`), the matching
//! of the server's postgres-changes ids with the client's bindings, the subscribe statuses, the
//! REST fallback of `send` for broadcasts when the channel is not joined, and the rejoin after
//! `phx_error`, a timeout or a refused join (phoenix `assets/js/phoenix/channel.js`, the
//! constructor's `joinPush.receive("error")`, which realtime-js's channel adapter wraps).

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::changes::{self, ChangeParams, Changes, PostgresChangeEvent, RawChange};
use super::error::RealtimeError;
use super::listener::{Listener, Listeners, hear_all};
use super::presence::{Presence, PresenceEvent, PresenceState, PresenceTracker};
use super::protocol::{self, Message};
use super::socket::Shared;
use super::stream::EventStream;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// A channel's subscription status, as `RealtimeSubscribeStates` in the reference.
#[doc(alias = "RealtimeSubscribeStates")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SubscribeStatus {
    /// Joined: events flow.
    Subscribed,
    /// The server refused the join or reported an error (see the accompanying error).
    ChannelError,
    /// The join got no reply in time (it is retried).
    TimedOut,
    /// The channel was left or closed by the server.
    Closed,
}

impl SubscribeStatus {
    /// The reference's name: `SUBSCRIBED`, `CHANNEL_ERROR`, `TIMED_OUT`, `CLOSED`.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscribeStatus::Subscribed => "SUBSCRIBED",
            SubscribeStatus::ChannelError => "CHANNEL_ERROR",
            SubscribeStatus::TimedOut => "TIMED_OUT",
            SubscribeStatus::Closed => "CLOSED",
        }
    }
}

/// A channel's options (`RealtimeChannelOptions` in the reference: `config.broadcast`,
/// `config.presence`, `config.private`).
///
/// Also deserializes from that dict, as the Python client takes it:
///
/// ```
/// use supabase_core::realtime::ChannelConfig;
///
/// let config: ChannelConfig = serde_json::from_value(serde_json::json!({
///     "config": {"broadcast": {"self": true, "ack": true}, "private": true},
/// }))
/// .unwrap();
/// assert_eq!(
///     config,
///     ChannelConfig::default().broadcast_self(true).broadcast_ack(true).private(true)
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(from = "super::json::ChannelOptionsJson")]
pub struct ChannelConfig {
    broadcast_self: bool,
    broadcast_ack: bool,
    presence_key: String,
    presence_enabled: bool,
    private: bool,
    broadcast_replay: Option<Replay>,
    /// `postgres_changes_options: {wait: true, timeout}`: how long the server may hold the
    /// join.
    postgres_changes_wait: Option<Duration>,
}

/// Which earlier broadcasts a private channel replays when it joins
/// (`config.broadcast.replay`): those sent from the database (`realtime.send`) to its topic
/// since a time, the newest `limit` of them (at most 25, the server's default), oldest first.
/// They arrive as broadcasts whose [`BroadcastMessage::replayed`] is true.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use supabase_core::realtime::{ChannelConfig, Replay};
///
/// let hour_ago = SystemTime::now() - Duration::from_secs(3600);
/// let config = ChannelConfig::default()
///     .private(true)
///     .broadcast_replay(Replay::since(hour_ago).limit(10));
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    /// Unix time in milliseconds, as the server takes it.
    since_ms: i64,
    limit: Option<u32>,
}

impl Replay {
    /// Messages sent at or after `time`.
    pub fn since(time: std::time::SystemTime) -> Self {
        Replay::since_millis(
            time.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        )
    }

    /// Messages sent at or after this Unix time in milliseconds (realtime-js's `since`).
    pub fn since_millis(since_ms: i64) -> Self {
        Replay {
            since_ms,
            limit: None,
        }
    }

    /// At most this many, the newest (the server allows 1 to 25 and clamps other values).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    fn to_json(self) -> Value {
        match self.limit {
            Some(limit) => json!({"since": self.since_ms, "limit": limit}),
            None => json!({"since": self.since_ms}),
        }
    }
}

impl ChannelConfig {
    /// Receive your own broadcasts (`broadcast.self`, default false).
    pub fn broadcast_self(mut self, yes: bool) -> Self {
        self.broadcast_self = yes;
        self
    }

    /// Have the server acknowledge each broadcast (`broadcast.ack`, default false):
    /// `send_broadcast` then waits for the acknowledgement.
    pub fn broadcast_ack(mut self, yes: bool) -> Self {
        self.broadcast_ack = yes;
        self
    }

    /// This client's presence key (`presence.key`; default: the server picks one).
    pub fn presence_key(mut self, key: impl Into<String>) -> Self {
        self.presence_key = key.into();
        self
    }

    /// Enable presence even without presence listeners (`presence.enabled`; listeners enable
    /// it anyway).
    pub fn presence_enabled(mut self, yes: bool) -> Self {
        self.presence_enabled = yes;
        self
    }

    /// A private channel (`config.private`): joins are authorised by RLS policies on
    /// `realtime.messages`.
    pub fn private(mut self, yes: bool) -> Self {
        self.private = yes;
        self
    }

    /// Replays earlier broadcasts on joining (`broadcast.replay`; see [`Replay`]). Private
    /// channels only: the server refuses the join of a public channel that asks for it
    /// ("UnableToReplayMessages: Replay is not allowed for public channels").
    pub fn broadcast_replay(mut self, replay: Replay) -> Self {
        self.broadcast_replay = Some(replay);
        self
    }

    /// Has the server answer the join only once the postgres-changes listeners are subscribed,
    /// waiting up to `timeout` (`postgres_changes_options: {wait: true, timeout}`, realtime-js's
    /// option of the same name; Realtime caps the wait at 20 s). A subscription the server
    /// refuses, or cannot make in time, then refuses the join itself
    /// ([`RealtimeError::JoinRefused`], `RealtimeDisabledForConfiguration: …` or
    /// `PostgresChangesSubscribeTimeout: …`), and the join is retried as any refused join is;
    /// without it the channel joins and the refusal comes as a `system` message. Either way
    /// [`subscribe`](RealtimeChannel::subscribe) returns once the listeners are subscribed.
    /// The client waits for the join's reply up to `timeout` plus 10 s (or its own timeout if
    /// longer), as realtime-js does. Realtime servers before August 2026 ignore it.
    pub fn postgres_changes_wait(mut self, timeout: Duration) -> Self {
        self.postgres_changes_wait = Some(timeout);
        self
    }
}

/// A broadcast message as listeners receive it: `{type: "broadcast", event, payload, meta}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BroadcastMessage {
    /// The event name given by the sender.
    pub event: String,
    /// The sender's JSON payload (`Null` when the payload is binary).
    pub payload: Value,
    /// The sender's bytes, for a binary broadcast
    /// ([`send_broadcast_binary`](RealtimeChannel::send_broadcast_binary), or an `ArrayBuffer`
    /// payload from realtime-js); `None` for a JSON one.
    pub binary: Option<bytes::Bytes>,
    /// The server's metadata, when it sends any: `{"id": ..}` for a message sent from the
    /// database (`realtime.send`, `realtime.broadcast_changes`: the id of its row in
    /// `realtime.messages`) or one given an `id` in a REST broadcast; `{"replayed": true,
    /// "id": ..}` for one replayed at the join ([`ChannelConfig::broadcast_replay`]).
    pub meta: Option<Value>,
}

impl BroadcastMessage {
    /// Whether the message was replayed at the join (`meta.replayed`) rather than sent live.
    pub fn replayed(&self) -> bool {
        self.meta
            .as_ref()
            .and_then(|m| m.get("replayed"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// A `system` message: what the server says of the channel's extensions (realtime-js
/// `on('system')`). Realtime sends one per message it pushes with `push(socket, "system",
/// %{extension, status, message, channel})` (`realtime_channel.ex`): "Subscribed to
/// PostgreSQL" and postgres-changes errors (`extension` `postgres_changes`), "Replication
/// connection established", and the reason a channel is shut down (`extension` `system`, status
/// `error`: rate limits, an expired or refused token, …).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SystemMessage {
    /// `ok` or `error`.
    pub status: String,
    /// `postgres_changes` or `system`.
    pub extension: String,
    /// The server's words.
    pub message: String,
    /// The channel's name (its topic without `realtime:`).
    pub channel: String,
}

impl SystemMessage {
    fn from_payload(payload: &Value) -> Self {
        let text = |key: &str| match &payload[key] {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        SystemMessage {
            status: text("status"),
            extension: text("extension"),
            message: text("message"),
            channel: text("channel"),
        }
    }

    /// Whether the server reports an error (`status` `error`).
    pub fn is_error(&self) -> bool {
        self.status == "error"
    }
}

/// A status change, as the status listeners hear it.
type Status = (SubscribeStatus, Option<RealtimeError>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Closed,
    Joining,
    Joined,
    Errored,
    Leaving,
}

struct PostgresBinding {
    params: std::result::Result<ChangeParams, RealtimeError>,
    event: PostgresChangeEvent,
    id: Option<u64>,
    listener: Listener<RawChange>,
}

struct State {
    config: ChannelConfig,
    phase: Phase,
    /// Subscribed and not left: join (again) whenever the socket is open.
    wants_join: bool,
    join_ref: Option<String>,
    /// The connection (its number) `join_ref` was sent on.
    joined_on: Option<u64>,
    rejoin_attempt: u32,
    /// The pending rejoin timer's number: a timer whose number is no longer this one was
    /// superseded (by a join, another timer or `unsubscribe`) and does nothing, as Phoenix's
    /// `Timer.scheduleTimeout` clears the previous one.
    rejoin_timer: u64,
    /// Broadcast listeners by lower-cased event.
    broadcast: Listeners<BroadcastMessage, String>,
    presence_listeners: Listeners<PresenceEvent>,
    /// Dropped from here when their stream is, at the next join (the server's ids are matched
    /// to them by position).
    postgres: Vec<PostgresBinding>,
    statuses: Listeners<Status>,
    system: Listeners<SystemMessage>,
    presence: PresenceTracker,
    /// Messages that arrived while joining, i.e. after the join reply but before it was
    /// applied (the server sends `presence_state`, `system` and changes right after it):
    /// handled in order once the channel is joined.
    deferred: Vec<Message>,
    /// Joined, with `deferred` being delivered: newer messages queue behind it.
    draining: bool,
}

impl State {
    /// Not to be joined (again): no pending rejoin, and the next backs off anew (Phoenix's
    /// `rejoinTimer.reset()`). The ref of the join to leave, when one is live.
    fn stop_joining(&mut self) -> Option<String> {
        self.wants_join = false;
        self.rejoin_attempt = 0;
        self.rejoin_timer = self.rejoin_timer.wrapping_add(1);
        if matches!(self.phase, Phase::Joined | Phase::Joining) {
            self.join_ref.clone()
        } else {
            None
        }
    }
}

/// Whether [`ChannelInner::join`] joins again on a connection it has joined on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Join {
    /// Another join, e.g. to carry a new listener or after a refusal.
    Again,
    /// No second join on the open connection: its opening and `subscribe` both join a
    /// channel subscribed as it opens, and one of them would close the other's join.
    UnlessSent,
}

pub(crate) struct ChannelInner {
    pub(crate) topic: String,
    pub(crate) name: String,
    /// Strong, as realtime-js channels hold their socket: a channel keeps the socket alive
    /// until it is removed (`remove_channel`, `remove_all_channels`).
    socket: Arc<Shared>,
    state: Mutex<State>,
    /// What the server said of this join's postgres-changes subscription (its `system` message
    /// from extension `postgres_changes`), for [`RealtimeChannel::subscribe`] to wait on.
    postgres_outcome: watch::Sender<PostgresOutcome>,
}

/// The server's word on one join's postgres changes: `None` until its `system` message came.
#[derive(Clone, Default)]
struct PostgresOutcome {
    join_ref: Option<String>,
    result: Option<std::result::Result<(), RealtimeError>>,
}

fn lock(m: &Mutex<State>) -> MutexGuard<'_, State> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A channel: `client.channel("room1")`, or `client.channel_with("room1", config)`. Cheap to clone; clones are the same channel.
///
/// Register listeners (`on_broadcast`, `on_presence_*`, `on_postgres_changes`, or their
/// `*_stream` forms), then [`subscribe`](Self::subscribe). Postgres-changes listeners are part
/// of the join, and so is presence once it has a listener: adding either to a subscribed
/// channel makes it join again (call `subscribe()` to wait for that join); the others may come
/// at any time.
///
/// A channel owns its listeners, so a callback that uses its own channel (to answer a
/// broadcast, to track presence) should hold a [`WeakChannel`] from
/// [`downgrade`](Self::downgrade): a clone would keep the channel alive through its own
/// listener, never freed once removed.
#[derive(Clone)]
pub struct RealtimeChannel {
    pub(crate) inner: Arc<ChannelInner>,
}

/// A handle on a [`RealtimeChannel`] that does not keep it alive, as [`std::sync::Weak`]:
/// [`upgrade`](Self::upgrade) gives the channel while anything else holds it (the client holds
/// it until it is removed).
#[derive(Clone)]
pub struct WeakChannel {
    inner: Weak<ChannelInner>,
    topic: String,
}

impl WeakChannel {
    /// The channel, unless it was removed and every handle on it dropped.
    pub fn upgrade(&self) -> Option<RealtimeChannel> {
        self.inner.upgrade().map(|inner| RealtimeChannel { inner })
    }
}

impl std::fmt::Debug for WeakChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakChannel")
            .field("topic", &self.topic)
            .field("alive", &(self.inner.strong_count() > 0))
            .finish()
    }
}

impl std::fmt::Debug for RealtimeChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("RealtimeChannel")
            .field("topic", &self.inner.topic)
            .field("state", &state.phase)
            .field("config", &state.config)
            .finish_non_exhaustive()
    }
}

impl PartialEq for RealtimeChannel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl RealtimeChannel {
    pub(crate) fn new(shared: &Arc<Shared>, name: String, config: ChannelConfig) -> Self {
        let topic = format!("realtime:{name}");
        if let Some(existing) = shared.find(&topic, &config) {
            return existing;
        }
        let channel = RealtimeChannel {
            inner: Arc::new(ChannelInner {
                topic,
                name,
                socket: Arc::clone(shared),
                state: Mutex::new(State {
                    config,
                    phase: Phase::Closed,
                    wants_join: false,
                    join_ref: None,
                    joined_on: None,
                    rejoin_attempt: 0,
                    rejoin_timer: 0,
                    broadcast: Listeners::default(),
                    presence_listeners: Listeners::default(),
                    postgres: Vec::new(),
                    statuses: Listeners::default(),
                    system: Listeners::default(),
                    presence: PresenceTracker::default(),
                    deferred: Vec::new(),
                    draining: false,
                }),
                postgres_outcome: watch::Sender::new(PostgresOutcome::default()),
            }),
        };
        shared.add(&channel);
        channel
    }

    /// A handle that does not keep the channel alive: for its own callbacks.
    pub fn downgrade(&self) -> WeakChannel {
        WeakChannel {
            inner: Arc::downgrade(&self.inner),
            topic: self.inner.topic.clone(),
        }
    }

    /// The topic: `realtime:<name>`.
    pub fn topic(&self) -> &str {
        &self.inner.topic
    }

    /// The name given to `channel(name)`.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether the channel is joined.
    pub fn is_joined(&self) -> bool {
        lock(&self.inner.state).phase == Phase::Joined
    }

    /// Calls `callback` with each broadcast whose event is `event` (`"*"`: every event).
    /// Events are matched case aside, as realtime-js does.
    pub fn on_broadcast(
        &self,
        event: impl Into<String>,
        callback: impl Fn(BroadcastMessage) + Send + Sync + 'static,
    ) -> Self {
        self.add_broadcast(
            event,
            Listener::callback(move |m: &BroadcastMessage| callback(m.clone())),
        )
    }

    /// The broadcasts of `event` (`"*"`: every event) as a stream.
    pub fn broadcast_stream(&self, event: impl Into<String>) -> EventStream<BroadcastMessage> {
        let (listener, stream) = Listener::stream(BroadcastMessage::clone);
        self.add_broadcast(event, listener);
        stream
    }

    fn add_broadcast(
        &self,
        event: impl Into<String>,
        listener: Listener<BroadcastMessage>,
    ) -> Self {
        lock(&self.inner.state)
            .broadcast
            .add(event.into().to_lowercase(), listener);
        self.clone()
    }

    /// Calls `callback` with each `system` message of the server about this channel
    /// (realtime-js `on('system', {}, callback)`), errors included: those also reach the status
    /// listeners as `CHANNEL_ERROR`.
    pub fn on_system(&self, callback: impl Fn(&SystemMessage) + Send + Sync + 'static) -> Self {
        lock(&self.inner.state)
            .system
            .add((), Listener::callback(callback));
        self.clone()
    }

    /// The `system` messages as a stream.
    pub fn system_stream(&self) -> EventStream<SystemMessage> {
        let (listener, stream) = Listener::stream(SystemMessage::clone);
        lock(&self.inner.state).system.add((), listener);
        stream
    }

    /// Calls `callback` after each presence change, once the state is in sync
    /// (`channel.presence.state` then holds everyone: [`presence_state`](Self::presence_state)).
    pub fn on_presence_sync(&self, callback: impl Fn() + Send + Sync + 'static) -> Self {
        self.on_presence(move |e| {
            if matches!(e, PresenceEvent::Sync) {
                callback();
            }
        })
    }

    /// Calls `callback(key, current_presences, new_presences)` when presences join.
    pub fn on_presence_join(
        &self,
        callback: impl Fn(&str, &[Presence], &[Presence]) + Send + Sync + 'static,
    ) -> Self {
        self.on_presence(move |e| {
            if let PresenceEvent::Join {
                key,
                current,
                joined,
            } = e
            {
                callback(key, current, joined);
            }
        })
    }

    /// Calls `callback(key, current_presences, left_presences)` when presences leave.
    pub fn on_presence_leave(
        &self,
        callback: impl Fn(&str, &[Presence], &[Presence]) + Send + Sync + 'static,
    ) -> Self {
        self.on_presence(move |e| {
            if let PresenceEvent::Leave { key, current, left } = e {
                callback(key, current, left);
            }
        })
    }

    /// Every presence event (sync, join, leave) as a stream.
    pub fn presence_stream(&self) -> EventStream<PresenceEvent> {
        let (listener, stream) = Listener::stream(PresenceEvent::clone);
        self.add_presence(listener);
        stream
    }

    fn on_presence(&self, callback: impl Fn(&PresenceEvent) + Send + Sync + 'static) -> Self {
        self.add_presence(Listener::callback(callback))
    }

    fn add_presence(&self, listener: Listener<PresenceEvent>) -> Self {
        let enables_presence = {
            let mut state = lock(&self.inner.state);
            let enabled = state.config.presence_enabled || !state.presence_listeners.is_empty();
            state.presence_listeners.add((), listener);
            !enabled
        };
        if enables_presence {
            self.rejoin_with_new_listener();
        }
        self.clone()
    }

    /// A listener the current join does not carry (a postgres-changes one, or the first
    /// presence one while presence is off) takes effect by joining again, as realtime-py's
    /// `_resubscribe` (realtime-js refuses it after `subscribe()`). The server closes the
    /// earlier join; the new one reports `SUBSCRIBED` again, and
    /// [`subscribe`](Self::subscribe) waits for it.
    fn rejoin_with_new_listener(&self) {
        let subscribed = {
            let state = lock(&self.inner.state);
            state.wants_join && matches!(state.phase, Phase::Joined | Phase::Joining)
        };
        let socket = &self.inner.socket;
        if subscribed && socket.is_connected() {
            self.inner.join(socket, Join::Again);
        }
    }

    /// The presence state: every key with its presences (`channel.presence.state`).
    pub fn presence_state(&self) -> PresenceState {
        lock(&self.inner.state).presence.state.clone()
    }

    /// Calls `callback` with each change of `event` matching `changes`: an untyped
    /// [`PostgresChanges`](super::PostgresChanges) (`schema`, `table`, `filter` strings, rows as
    /// JSON), or a typed [`TableChanges<T>`](super::TableChanges) (rows decoded into `T`, filters
    /// built from `T`'s columns). Best registered before [`subscribe`](Self::subscribe): on a
    /// subscribed channel it makes the channel join again.
    pub fn on_postgres_changes<C: Changes>(
        &self,
        event: PostgresChangeEvent,
        changes: C,
        callback: impl Fn(C::Event) + Send + Sync + 'static,
    ) -> Self {
        let listener = Listener::callback(move |raw: &RawChange| callback(C::decode(raw)));
        self.add_postgres_changes(event, changes, listener)
    }

    fn add_postgres_changes<C: Changes>(
        &self,
        event: PostgresChangeEvent,
        changes: C,
        listener: Listener<RawChange>,
    ) -> Self {
        lock(&self.inner.state).postgres.push(PostgresBinding {
            params: changes.params(event),
            event,
            id: None,
            listener,
        });
        self.rejoin_with_new_listener();
        self.clone()
    }

    /// [`on_postgres_changes`](Self::on_postgres_changes) as a stream.
    pub fn postgres_changes_stream<C: Changes>(
        &self,
        event: PostgresChangeEvent,
        changes: C,
    ) -> EventStream<C::Event> {
        let (listener, stream) = Listener::stream(C::decode);
        self.add_postgres_changes(event, changes, listener);
        stream
    }

    /// Every status change of this channel as a stream (also those after reconnections).
    pub fn status_stream(&self) -> EventStream<Status> {
        let (listener, stream) = Listener::stream(Status::clone);
        lock(&self.inner.state).statuses.add((), listener);
        stream
    }

    /// Joins the channel and waits for the outcome: `Ok` once `SUBSCRIBED`; an error for
    /// `CHANNEL_ERROR` (e.g. an invalid token) or when no reply came in time.
    ///
    /// As in realtime-js, a refused or timed-out join is tried again while the socket is open,
    /// after the reconnect delays ([`reconnect_delays`]), until it is `SUBSCRIBED` or the
    /// channel is removed: each refusal is another `CHANNEL_ERROR` to the status callbacks, and
    /// the join after a [`set_auth`](super::RealtimeClient::set_auth) carries the new token.
    ///
    /// [`reconnect_delays`]: super::RealtimeOptions::reconnect_delays
    ///
    /// With postgres-changes listeners, `Ok` also waits for the server to confirm their
    /// subscription (its `system` message "Subscribed to PostgreSQL", which Realtime sends
    /// after the join reply), within a second timeout counted from the join: from then on
    /// every committed change is delivered. A refused subscription (most often a table missing
    /// from the `supabase_realtime` publication) is an error, [`RealtimeError::Channel`] with
    /// extension `postgres_changes`; Realtime refuses a join's listeners all together, so none
    /// of them gets events. No confirmation in time is [`RealtimeError::Timeout`] with event
    /// `postgres_changes`. Either way the channel stays joined (broadcast and presence work)
    /// until it is removed, and `subscribe()` again gives the server's word on that join. The
    /// status callbacks see `SUBSCRIBED` at the join reply and `CHANNEL_ERROR` at a refusal,
    /// then `SUBSCRIBED` again if the server, retrying a refusal for a passing reason (a
    /// database timeout), later confirms the subscription.
    pub async fn subscribe(&self) -> Result<RealtimeChannel> {
        {
            let state = lock(&self.inner.state);
            if let Some(e) = state.postgres.iter().find_map(|b| b.params.as_ref().err()) {
                return Err(Error::Realtime(e.clone()));
            }
            if state.config.broadcast_replay.is_some() && !state.config.private {
                // realtime-js refuses it when the channel is made; the server would refuse
                // every join, retried forever.
                return Err(Error::config(format!(
                    "replay on public channel `{}`: it must be a private channel",
                    self.inner.topic
                )));
            }
        }
        let mut statuses = self.status_stream();
        let socket = self.inner.socket()?;
        // The server keeps one join per topic and socket, closing the earlier at a new one:
        // another channel of this topic (another configuration) is closed here instead of
        // losing its join unseen, or refusing-and-retrying its way back in over this one.
        for other in socket.channels() {
            if other.inner.topic == self.inner.topic && other != *self {
                other.inner.abandon();
            }
        }
        socket.add(self);
        let (joined, joining, unbound) = {
            let mut state = lock(&self.inner.state);
            let subscribed = state.wants_join;
            state.wants_join = true;
            // A listener added while no join could be sent has no id yet: join again.
            let bound = state
                .postgres
                .iter()
                .all(|b| b.params.is_err() || b.id.is_some());
            (
                subscribed && bound && state.phase == Phase::Joined,
                subscribed && state.phase == Phase::Joining,
                subscribed && !bound && state.phase == Phase::Joined,
            )
        };
        let deadline = ChannelInner::join_timeout(&lock(&self.inner.state), &socket);
        if !joined {
            socket.ensure_connected().map_err(Error::Realtime)?;
            if socket.is_connected() && !joining {
                // Joined without a listener added since (outside a runtime, so no join was
                // sent for it): join again. Otherwise the connection may have opened since
                // `wants_join` was set, and joined.
                let when = if unbound {
                    Join::Again
                } else {
                    Join::UnlessSent
                };
                self.inner.join(&socket, when);
            }
            match tokio::time::timeout(deadline, statuses.recv()).await {
                Ok(Some((SubscribeStatus::Subscribed, _))) => {}
                Ok(Some((status, error))) => return Err(self.failure(status, error)),
                Ok(None) => return Err(self.failure(SubscribeStatus::Closed, None)),
                Err(_) => {
                    return Err(Error::Realtime(match socket.last_connect_error() {
                        Some(e) if !socket.is_connected() => RealtimeError::Connect(e),
                        _ => RealtimeError::Timeout {
                            topic: self.inner.topic.clone(),
                            event: protocol::JOIN.into(),
                        },
                    }));
                }
            }
        }
        match tokio::time::timeout(deadline, self.inner.postgres_subscribed(&mut statuses)).await {
            Ok(Ok(())) => Ok(self.clone()),
            Ok(Err((status, error))) => Err(self.failure(status, error)),
            Err(_) => Err(Error::Realtime(RealtimeError::Timeout {
                topic: self.inner.topic.clone(),
                event: changes::POSTGRES_CHANGES.into(),
            })),
        }
    }

    /// The error for a status other than `SUBSCRIBED`: its own, else one naming the status.
    fn failure(&self, status: SubscribeStatus, error: Option<RealtimeError>) -> Error {
        Error::Realtime(error.unwrap_or_else(|| RealtimeError::Channel {
            topic: self.inner.topic.clone(),
            extension: "subscribe".into(),
            message: status.as_str().into(),
        }))
    }

    /// [`subscribe`](Self::subscribe), calling `callback(status, error)` on this and every
    /// later status change, as `subscribe(callback)` in the reference.
    pub async fn subscribe_with(
        &self,
        callback: impl Fn(SubscribeStatus, Option<&RealtimeError>) + Send + Sync + 'static,
    ) -> Result<RealtimeChannel> {
        let listener = Listener::callback(move |(status, error): &Status| {
            callback(*status, error.as_ref());
        });
        lock(&self.inner.state).statuses.add((), listener);
        self.subscribe().await
    }

    /// Leaves the channel (`phx_leave`). The client forgets it (`get_channels`, and
    /// `channel(name)` makes a new one); its listeners stay, so it can be subscribed again.
    pub async fn unsubscribe(&self) -> Result<()> {
        let leave = {
            let mut state = lock(&self.inner.state);
            let live = state.stop_joining();
            if live.is_some() {
                state.phase = Phase::Leaving;
            }
            live
        };
        let Some(join_ref) = leave else {
            self.inner.closed();
            return Ok(());
        };
        // Unless subscribed again meanwhile (a new join) or closed by the server's answer, the
        // channel is closed however the leave ends: answered, refused, timed out, or dropped
        // by the caller (realtime-js closes a channel whose leave timed out too).
        let _close = super::OnDrop::new(|| {
            let left = {
                let state = lock(&self.inner.state);
                !state.wants_join && state.join_ref.as_ref() == Some(&join_ref)
            };
            if left {
                self.inner.closed();
            }
        });
        let mut result = Ok(());
        if let Ok(socket) = self.inner.socket()
            && socket.is_connected()
        {
            let message = self.inner.leave_message(join_ref.clone());
            result = match socket.request(message).await {
                // Refused (realtime-js resolves `error`; Phoenix answers even a leave of a topic
                // no longer joined `ok`): the channel is closed all the same.
                Ok(reply) => self.check_ok(protocol::LEAVE, &reply),
                Err(RealtimeError::NotConnected(_)) => Ok(()),
                Err(e) => Err(Error::Realtime(e)),
            };
        }
        result
    }

    /// Sends a broadcast: over the socket when joined (waiting for the server's
    /// acknowledgement when `broadcast_ack` is on), else over REST
    /// (`POST /realtime/v1/api/broadcast`), as realtime-js `send` does.
    pub async fn send_broadcast(
        &self,
        event: impl Into<String>,
        payload: impl serde::Serialize,
    ) -> Result<()> {
        let event = event.into();
        let payload = serde_json::to_value(payload).map_err(|e| Error::Encode(e.to_string()))?;
        let socket = self.inner.socket()?;
        let (joined, ack, join_ref, private) = {
            let state = lock(&self.inner.state);
            (
                state.phase == Phase::Joined && socket.is_connected(),
                state.config.broadcast_ack,
                state.join_ref.clone(),
                state.config.private,
            )
        };
        if !joined {
            return self.broadcast_rest(&socket, &event, payload, private).await;
        }
        let message = Message::new(
            join_ref,
            Some(socket.make_ref()),
            self.inner.topic.clone(),
            "broadcast".into(),
            json!({"type": "broadcast", "event": event, "payload": payload}),
        );
        if ack {
            let reply = socket.request(message).await.map_err(Error::Realtime)?;
            self.check_ok("broadcast", &reply)
        } else {
            socket.push(message).map_err(Error::Realtime)
        }
    }

    /// Sends a broadcast whose payload is `bytes`, as a binary frame of the 2.0.0 serializer
    /// (realtime-js: a broadcast whose `payload` is an `ArrayBuffer`). Receivers speaking
    /// 2.0.0 get [`BroadcastMessage::binary`]; the server drops it for 1.0.0 receivers (it
    /// cannot turn bytes into JSON). Needs a 2.0.0 socket to go over it, and waits for the
    /// acknowledgement when `broadcast_ack` is on. A channel that is not joined sends it over
    /// REST instead, as
    /// [`http_send_binary`](Self::http_send_binary) (the batch endpoint `send_broadcast` falls
    /// back to takes JSON only).
    pub async fn send_broadcast_binary(
        &self,
        event: impl Into<String>,
        bytes: impl Into<bytes::Bytes>,
    ) -> Result<()> {
        let event = event.into();
        let socket = self.inner.socket()?;
        let (joined, ack, join_ref) = {
            let state = lock(&self.inner.state);
            (
                state.phase == Phase::Joined && socket.is_connected(),
                state.config.broadcast_ack,
                state.join_ref.clone(),
            )
        };
        if !joined {
            return self
                .post_single(&event, "application/octet-stream", bytes.into())
                .await;
        }
        if socket.options.vsn != protocol::Vsn::V2 {
            return Err(Error::Realtime(RealtimeError::Binary(
                "binary broadcasts need the 2.0.0 serializer".into(),
            )));
        }
        let mut message =
            Message::binary_broadcast(join_ref, self.inner.topic.clone(), &event, bytes.into());
        message.ref_ = Some(socket.make_ref());
        message
            .encode_binary()
            .map_err(|e| Error::Realtime(RealtimeError::Binary(e.0)))?;
        if ack {
            let reply = socket.request(message).await.map_err(Error::Realtime)?;
            self.check_ok("broadcast", &reply)
        } else {
            socket.push(message).map_err(Error::Realtime)
        }
    }

    async fn broadcast_rest(
        &self,
        socket: &Shared,
        event: &str,
        payload: Value,
        private: bool,
    ) -> Result<()> {
        // realtime-js `send` when `!_canPush()`: POST {messages: [{topic, event, payload,
        // private}]} to the batch endpoint; 202 means accepted.
        let body = json!({"messages": [{
            "topic": self.inner.name, "event": event, "payload": payload, "private": private,
        }]});
        let url = socket.broadcast_url.clone();
        self.post_broadcast(socket, url, "application/json", body.to_string().into())
            .await
    }

    /// Sends a broadcast over REST whatever the channel's state, as realtime-js `httpSend`:
    /// `POST /realtime/v1/api/broadcast/<name>/events/<event>` with the payload as the body
    /// (`?private=true` for a private channel), which Realtime accepts with 202. Needs Realtime
    /// 2.97 or newer (an older one answers 404). For a sender that never joins, or that wants
    /// delivery to go over HTTP rather than the socket.
    pub async fn http_send(
        &self,
        event: impl Into<String>,
        payload: impl serde::Serialize,
    ) -> Result<()> {
        let payload = serde_json::to_vec(&payload).map_err(|e| Error::Encode(e.to_string()))?;
        if payload == b"null" {
            // realtime-js: "Payload is required for httpSend()".
            return Err(Error::config("http_send needs a payload"));
        }
        self.post_single(&event.into(), "application/json", payload.into())
            .await
    }

    /// [`http_send`](Self::http_send) with bytes as the payload (`application/octet-stream`),
    /// as realtime-js `httpSend` with an `ArrayBuffer`: receivers get
    /// [`BroadcastMessage::binary`] over 2.0.0, and nothing over 1.0.0.
    pub async fn http_send_binary(
        &self,
        event: impl Into<String>,
        bytes: impl Into<bytes::Bytes>,
    ) -> Result<()> {
        self.post_single(&event.into(), "application/octet-stream", bytes.into())
            .await
    }

    async fn post_single(
        &self,
        event: &str,
        content_type: &'static str,
        body: Bytes,
    ) -> Result<()> {
        let socket = self.inner.socket()?;
        let private = lock(&self.inner.state).config.private;
        let mut url = socket.broadcast_url.clone();
        url.path_segments_mut()
            .map_err(|()| Error::config("the broadcast URL cannot take a path"))?
            .push(&self.inner.name)
            .push("events")
            .push(event);
        if private {
            url.query_pairs_mut().append_pair("private", "true");
        }
        self.post_broadcast(&socket, url, content_type, body).await
    }

    /// POSTs a broadcast to Realtime's REST API with the token channels use as the bearer.
    async fn post_broadcast(
        &self,
        socket: &Shared,
        url: url::Url,
        content_type: &'static str,
        body: Bytes,
    ) -> Result<()> {
        let client = socket
            .client
            .upgrade()
            .ok_or_else(|| Error::config("the client was dropped"))?;
        let client = crate::Client { inner: client };
        // A session about to expire is refreshed, and a token provider asked, first; not
        // needed with a token given to `set_auth`, which is the one sent (realtime-js sends
        // its `accessTokenValue`).
        if !socket.has_manual_token() {
            client.ensure_fresh_session().await?;
        }
        let mut headers = client.base_headers();
        let token = socket.access_token();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| Error::config("the access token is not a valid header value"))?,
        );
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static(content_type),
        );
        let request = crate::HttpRequest {
            method: http::Method::POST,
            url,
            headers,
            body: Some(body),
            timeout: Some(socket.options.timeout),
            retry: true,
        };
        let response = client.inner.transport.send(request).await?;
        if response.status.is_success() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&response.body[..response.body.len().min(512)]);
        Err(Error::Realtime(RealtimeError::Rest {
            status: response.status.as_u16(),
            body: text.into_owned(),
        }))
    }

    /// Starts tracking this client's presence with `payload` (e.g. `{"online_at": …}`).
    pub async fn track(&self, payload: impl serde::Serialize) -> Result<()> {
        let payload = serde_json::to_value(payload).map_err(|e| Error::Encode(e.to_string()))?;
        self.presence_push(json!({"type": "presence", "event": "track", "payload": payload}))
            .await
    }

    /// Stops tracking this client's presence.
    pub async fn untrack(&self) -> Result<()> {
        self.presence_push(json!({"type": "presence", "event": "untrack"}))
            .await
    }

    /// Pushes a presence message once the channel is joined: while it joins or rejoins the
    /// push waits, up to the timeout, as Phoenix buffers pushes until the join's `ok`.
    async fn presence_push(&self, payload: Value) -> Result<()> {
        let socket = self.inner.socket()?;
        let not_joined = || {
            Error::Realtime(RealtimeError::NotConnected(format!(
                "channel `{}` is not joined",
                self.inner.topic
            )))
        };
        // A timeout too long to add to now (`Duration::MAX`) is no deadline.
        let deadline = tokio::time::Instant::now().checked_add(socket.options.timeout);
        let mut statuses = None;
        let join_ref = loop {
            {
                let state = lock(&self.inner.state);
                if state.phase == Phase::Joined {
                    break state.join_ref.clone();
                }
                if !state.wants_join {
                    return Err(not_joined());
                }
            }
            // Listening from here, the state is read again before the first wait.
            let Some(statuses) = statuses.as_mut() else {
                statuses = Some(self.status_stream());
                continue;
            };
            let next = match deadline {
                Some(deadline) => tokio::time::timeout_at(deadline, statuses.recv()).await,
                None => Ok(statuses.recv().await),
            };
            match next {
                Ok(Some(_)) => {}
                Ok(None) => return Err(not_joined()),
                Err(_) => {
                    return Err(Error::Realtime(RealtimeError::Timeout {
                        topic: self.inner.topic.clone(),
                        event: "presence".into(),
                    }));
                }
            }
        };
        let message = Message::new(
            join_ref,
            None,
            self.inner.topic.clone(),
            "presence".into(),
            payload,
        );
        let reply = socket.request(message).await.map_err(Error::Realtime)?;
        self.check_ok("presence", &reply)
    }

    fn check_ok(&self, event: &str, reply: &Value) -> Result<()> {
        match reply["status"].as_str() {
            Some("ok") => Ok(()),
            status => Err(Error::Realtime(RealtimeError::PushRejected {
                topic: self.inner.topic.clone(),
                event: event.into(),
                status: status.unwrap_or("missing").into(),
                response: reply["response"].to_string(),
            })),
        }
    }
}

impl ChannelInner {
    fn socket(&self) -> Result<Arc<Shared>> {
        Ok(Arc::clone(&self.socket))
    }

    pub(crate) fn wants_join(&self) -> bool {
        lock(&self.state).wants_join
    }

    /// Waits for the server's word on the current join's postgres-changes listeners (at once
    /// `Ok` without any). A rejoin meanwhile (`SUBSCRIBED` again) is waited for in turn; any
    /// other status ends the wait with it.
    async fn postgres_subscribed(
        &self,
        statuses: &mut EventStream<(SubscribeStatus, Option<RealtimeError>)>,
    ) -> std::result::Result<(), (SubscribeStatus, Option<RealtimeError>)> {
        loop {
            let join_ref = {
                let state = lock(&self.state);
                if state.postgres.is_empty() {
                    return Ok(());
                }
                match (state.phase, &state.join_ref) {
                    (Phase::Joined, Some(join_ref)) => Some(join_ref.clone()),
                    (Phase::Closed | Phase::Leaving, _) => {
                        return Err((SubscribeStatus::Closed, None));
                    }
                    // Joining again: its status comes.
                    _ => None,
                }
            };
            let mut outcomes = self.postgres_outcome.subscribe();
            let decided = |o: &PostgresOutcome| o.join_ref == join_ref && o.result.is_some();
            tokio::select! {
                // (The sender lives as long as the channel, so the wait ends with a value.)
                outcome = outcomes.wait_for(decided), if join_ref.is_some() => {
                    return match outcome.ok().and_then(|o| o.result.clone()) {
                        Some(Err(e)) => Err((SubscribeStatus::ChannelError, Some(e))),
                        _ => Ok(()),
                    };
                }
                status = statuses.recv() => match status {
                    Some((SubscribeStatus::Subscribed, _)) => {}
                    Some((status, error)) => return Err((status, error)),
                    None => return Err((SubscribeStatus::Closed, None)),
                },
            }
        }
    }

    /// Records the server's `system` message on this join's postgres changes (a message
    /// without a join ref is taken as the current join's, as [`handle`](Self::handle) does).
    /// Whether it follows a refusal of the same join: Realtime tries a subscription that
    /// failed for a passing reason again (`realtime_channel.ex`, `handle_info(:postgres_subscribe)`:
    /// `{:error, :retry, _}` pushes the error, then `postgres_subscribe(5, 10)`).
    fn record_postgres_outcome(
        &self,
        join_ref: Option<&str>,
        result: std::result::Result<(), RealtimeError>,
    ) -> bool {
        let mut after_refusal = false;
        self.postgres_outcome.send_if_modified(|o| {
            if join_ref.is_some() && o.join_ref.as_deref() != join_ref {
                return false;
            }
            after_refusal = matches!(o.result, Some(Err(_)));
            o.result = Some(result);
            true
        });
        after_refusal
    }

    pub(crate) fn has_config(&self, config: &ChannelConfig) -> bool {
        lock(&self.state).config == *config
    }

    fn emit(&self, status: SubscribeStatus, error: Option<&RealtimeError>) {
        let listeners = lock(&self.state).statuses.all();
        hear_all(&listeners, &(status, error.cloned()), &self.topic);
    }

    fn join_payload(state: &State, token: &Secret) -> Value {
        let postgres: Vec<Value> = state
            .postgres
            .iter()
            .filter_map(|b| b.params.as_ref().ok().map(ChangeParams::to_json))
            .collect();
        let presence_enabled =
            state.config.presence_enabled || !state.presence_listeners.is_empty();
        let mut broadcast =
            json!({"ack": state.config.broadcast_ack, "self": state.config.broadcast_self});
        if let Some(replay) = state.config.broadcast_replay {
            broadcast["replay"] = replay.to_json();
        }
        let mut payload = json!({
            "config": {
                "broadcast": broadcast,
                "presence": {"key": state.config.presence_key, "enabled": presence_enabled},
                "postgres_changes": postgres,
                "private": state.config.private,
            },
            "access_token": token.expose(),
        });
        if let Some(timeout) = state.config.postgres_changes_wait {
            payload["config"]["postgres_changes_options"] =
                json!({"wait": true, "timeout": wait_millis(timeout)});
        }
        payload
    }

    /// How long to wait for the join's reply: realtime-js's `joinPush` timeout, the client's
    /// timeout or, when the server may hold the join for the listeners, that wait plus 10 s.
    fn join_timeout(state: &State, socket: &Shared) -> Duration {
        match state.config.postgres_changes_wait {
            Some(wait) if !state.postgres.is_empty() => socket
                .options
                .timeout
                .max(wait.saturating_add(Duration::from_secs(10))),
            _ => socket.options.timeout,
        }
    }

    /// Joins (again) if the channel is subscribed: the join's ref and payload are taken now, so
    /// from here a reply to an earlier join is stale and a listener added later is not in
    /// this join; a task sends it and applies the reply. Nothing without a Tokio runtime.
    pub(crate) fn join(self: &Arc<Self>, socket: &Arc<Shared>, when: Join) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(
                "realtime: {} cannot join outside a Tokio runtime; it joins at its next subscribe",
                self.topic
            );
            return;
        };
        // Ref, payload and frame under the lock: joins reach the server in the order of
        // their refs, so the last one sent is the one the channel waits for.
        socket.push_token();
        let token = socket.access_token();
        let (join_ref, sent, timeout) = {
            let mut state = lock(&self.state);
            if !state.wants_join {
                return;
            }
            let connection = socket.open_connection();
            if when == Join::UnlessSent
                && connection.is_some()
                && state.joined_on == connection
                && matches!(state.phase, Phase::Joining | Phase::Joined)
            {
                return;
            }
            state.joined_on = connection;
            let join_ref = socket.make_ref();
            // This join supersedes a pending rejoin timer.
            state.rejoin_timer = state.rejoin_timer.wrapping_add(1);
            state.phase = Phase::Joining;
            state.postgres.retain(|b| !b.listener.is_gone());
            state.deferred.clear();
            state.draining = false;
            state.join_ref = Some(join_ref.clone());
            self.postgres_outcome.send_replace(PostgresOutcome {
                join_ref: Some(join_ref.clone()),
                result: None,
            });
            let message = Message::new(
                Some(join_ref.clone()),
                Some(join_ref.clone()),
                self.topic.clone(),
                protocol::JOIN.into(),
                Self::join_payload(&state, &token),
            );
            (
                join_ref,
                socket.send_request(message),
                Self::join_timeout(&state, socket),
            )
        };
        let joined = Arc::clone(self).joined(Arc::clone(socket), join_ref, token, sent, timeout);
        runtime.spawn(joined);
    }

    /// Applies a join's reply (realtime-js `subscribe` → `joinPush.receive`). `token` is the
    /// one the join carried: one that changed while it was in flight (a `set_auth`, a refresh)
    /// was pushed only to joined channels, so it is pushed now.
    async fn joined(
        self: Arc<Self>,
        socket: Arc<Shared>,
        join_ref: String,
        token: Secret,
        sent: std::result::Result<super::socket::Sent, RealtimeError>,
        timeout: Duration,
    ) {
        let outcome = match sent {
            Ok(sent) => socket.reply_within(sent, timeout).await,
            Err(e) => Err(e),
        };
        let current =
            |state: &State| state.wants_join && state.join_ref.as_deref() == Some(&join_ref);
        match outcome {
            Ok(reply) if reply["status"] == "ok" => {
                let result = {
                    let mut state = lock(&self.state);
                    if !current(&state) {
                        return;
                    }
                    match match_bindings(
                        &mut state.postgres,
                        &reply["response"]["postgres_changes"],
                    ) {
                        Ok(()) => {
                            state.phase = Phase::Joined;
                            state.draining = true;
                            state.rejoin_attempt = 0;
                            Ok(())
                        }
                        Err(()) => {
                            state.phase = Phase::Errored;
                            state.wants_join = false;
                            Err(RealtimeError::BindingsMismatch(self.topic.clone()))
                        }
                    }
                };
                match result {
                    Ok(()) => {
                        let now = socket.access_token();
                        if now != token {
                            self.push_access_token(&socket, &now);
                        }
                        // realtime-js asks its `accessToken` callback after each join.
                        socket.follow_auth_soon();
                        self.emit(SubscribeStatus::Subscribed, None);
                        // What came after the reply, in order; what arrives meanwhile joins
                        // the queue (`draining`) rather than overtaking it.
                        loop {
                            let batch = {
                                let mut state = lock(&self.state);
                                if state.deferred.is_empty() || !current(&state) {
                                    state.draining = false;
                                    break;
                                }
                                std::mem::take(&mut state.deferred)
                            };
                            for message in batch {
                                self.deliver(&message);
                            }
                        }
                    }
                    Err(e) => {
                        // realtime-js unsubscribes: the server must not keep the join.
                        self.leave(&socket, join_ref);
                        self.emit(SubscribeStatus::ChannelError, Some(&e));
                    }
                }
            }
            Ok(reply) => {
                {
                    let mut state = lock(&self.state);
                    if !current(&state) {
                        return;
                    }
                    state.phase = Phase::Errored;
                }
                let reason = match &reply["response"]["reason"] {
                    Value::String(s) => s.clone(),
                    Value::Null => reply.to_string(),
                    other => other.to_string(),
                };
                let e = RealtimeError::JoinRefused {
                    topic: self.topic.clone(),
                    reason,
                };
                self.emit(SubscribeStatus::ChannelError, Some(&e));
                // Phoenix's `joinPush.receive("error")`, which realtime-js's channel is: the join
                // is tried again, so a token that may read the topic later (`set_auth`) gets in.
                self.schedule_rejoin(&socket);
            }
            Err(e @ RealtimeError::Timeout { .. }) => {
                {
                    let mut state = lock(&self.state);
                    if !current(&state) {
                        return;
                    }
                    state.phase = Phase::Errored;
                    // Its `phx_close` (the leave's) is then stale, and so is all else of it.
                    state.join_ref = None;
                }
                // Phoenix's `joinPush.receive("timeout")`: a join the server applied after all
                // must not linger (an `unsubscribe` meanwhile would send no leave).
                self.leave(&socket, join_ref);
                self.emit(SubscribeStatus::TimedOut, Some(&e));
                self.schedule_rejoin(&socket);
            }
            Err(_) => {
                // The socket closed: `socket_lost` reports it and the next connection rejoins.
            }
        }
    }

    /// `phx_leave` for join `join_ref` (without a `ref`: sending gives it one).
    fn leave_message(&self, join_ref: String) -> Message {
        Message::new(
            Some(join_ref),
            None,
            self.topic.clone(),
            protocol::LEAVE.into(),
            json!({}),
        )
    }

    /// Pushes `phx_leave` for join `join_ref`, without waiting for the reply.
    fn leave(&self, socket: &Shared, join_ref: String) {
        let mut message = self.leave_message(join_ref);
        message.ref_ = Some(socket.make_ref());
        let _ = socket.push(message);
    }

    /// Rejoins after a backoff while the socket stays open (realtime-js `rejoinTimer`).
    fn schedule_rejoin(self: &Arc<Self>, socket: &Arc<Shared>) {
        let (attempt, timer) = {
            let mut state = lock(&self.state);
            state.rejoin_attempt = state.rejoin_attempt.saturating_add(1);
            state.rejoin_timer = state.rejoin_timer.wrapping_add(1);
            (state.rejoin_attempt - 1, state.rejoin_timer)
        };
        let delay = socket.options.backoff(attempt);
        let this = Arc::clone(self);
        let weak = Arc::downgrade(socket);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(socket) = weak.upgrade() else { return };
            let retry = {
                let state = lock(&this.state);
                state.rejoin_timer == timer && state.wants_join && state.phase == Phase::Errored
            };
            if retry && socket.is_connected() {
                this.join(&socket, Join::Again);
            }
        });
    }

    pub(crate) fn socket_lost(&self, why: &str) {
        let was_live = {
            let mut state = lock(&self.state);
            // Phoenix `socket.onError(() => this.rejoinTimer.reset())`: the next connection
            // joins it at once, and refusals there back off from the first step again.
            state.rejoin_attempt = 0;
            state.rejoin_timer = state.rejoin_timer.wrapping_add(1);
            let live = matches!(state.phase, Phase::Joined | Phase::Joining);
            if live {
                state.phase = Phase::Errored;
            }
            live && state.wants_join
        };
        if was_live {
            let e = RealtimeError::NotConnected(why.into());
            self.emit(SubscribeStatus::ChannelError, Some(&e));
        }
    }

    /// Closes the channel at once, without waiting for the server: no more rejoins, a leave
    /// pushed if it is joined, `CLOSED` to its listeners, forgotten by the socket.
    fn abandon(&self) {
        let leave = lock(&self.state).stop_joining();
        if let Some(join_ref) = leave {
            self.leave(&self.socket, join_ref);
        }
        self.closed();
    }

    /// Left or closed by the server: the socket forgets the channel (realtime-js `_onClose` →
    /// `socket._remove`), so its listeners hear nothing more, even when a new channel joins the
    /// same topic. Subscribing it again adds it back.
    fn closed(&self) {
        let was_open = {
            let mut state = lock(&self.state);
            let was_open = state.phase != Phase::Closed || state.join_ref.is_some();
            state.phase = Phase::Closed;
            state.join_ref = None;
            state.presence = PresenceTracker::default();
            was_open
        };
        self.socket.forget(self);
        if was_open {
            self.emit(SubscribeStatus::Closed, None);
        }
    }

    pub(crate) fn push_access_token(&self, socket: &Shared, token: &Secret) {
        let join_ref = {
            let state = lock(&self.state);
            if state.phase != Phase::Joined {
                return;
            }
            state.join_ref.clone()
        };
        let _ = socket.push(Message::new(
            join_ref,
            Some(socket.make_ref()),
            self.topic.clone(),
            protocol::ACCESS_TOKEN.into(),
            json!({"access_token": token.expose()}),
        ));
    }

    /// Handles a message for this topic (realtime-js `_trigger`).
    pub(crate) fn handle(self: &Arc<Self>, message: &Message) {
        {
            let mut state = lock(&self.state);
            // Phoenix `isMember`: messages of an earlier join are stale. A 1.0.0 frame has no
            // join ref, but a channel's own events (`phx_close`, `phx_error`) carry it as their
            // `ref`, which realtime-js `_trigger` checks too: after a rejoin, the server closing
            // the earlier join must not close this one.
            let of_this_join = |r: &Option<String>| r.is_none() || *r == state.join_ref;
            let lifecycle = [
                protocol::CLOSE,
                protocol::ERROR,
                protocol::LEAVE,
                protocol::JOIN,
            ];
            if !of_this_join(&message.join_ref)
                || (lifecycle.contains(&message.event.as_str()) && !of_this_join(&message.ref_))
            {
                return;
            }
            let queued = state.phase == Phase::Joining || state.draining;
            if state.phase == Phase::Closed {
                // Left, or closed: nothing more for this channel.
                return;
            }
            if queued && !lifecycle.contains(&message.event.as_str()) {
                state.deferred.push(message.clone());
                return;
            }
        }
        self.deliver(message);
    }

    /// Acts on a message of this join.
    fn deliver(self: &Arc<Self>, message: &Message) {
        let payload = &message.payload;
        if message.event == "system" {
            let listeners = lock(&self.state).system.all();
            if !listeners.is_empty() {
                let system = SystemMessage::from_payload(payload);
                hear_all(&listeners, &system, &self.topic);
            }
        }
        match message.event.as_str() {
            protocol::CLOSE => {
                lock(&self.state).wants_join = false;
                self.closed();
            }
            protocol::ERROR => {
                {
                    let mut state = lock(&self.state);
                    // Leaving or left: the leave decides (realtime-js `onError` returns early).
                    if matches!(state.phase, Phase::Leaving | Phase::Closed) {
                        return;
                    }
                    // Crashed as it joined (Phoenix `onError`: `if (this.isJoining())
                    // this.joinPush.reset()`): the join's reply, if it comes, is from a process
                    // that is gone, and the rejoin decides.
                    if state.phase == Phase::Joining {
                        state.join_ref = None;
                    }
                    state.phase = Phase::Errored;
                }
                let e = RealtimeError::Channel {
                    topic: self.topic.clone(),
                    extension: "phx_error".into(),
                    message: payload.to_string(),
                };
                self.emit(SubscribeStatus::ChannelError, Some(&e));
                let socket = Arc::clone(&self.socket);
                self.schedule_rejoin(&socket);
            }
            "system" if payload["status"] == "error" => {
                let extension = payload["extension"].as_str().unwrap_or("system");
                let e = RealtimeError::Channel {
                    topic: self.topic.clone(),
                    extension: extension.into(),
                    message: payload["message"].as_str().unwrap_or_default().into(),
                };
                if extension == changes::POSTGRES_CHANGES {
                    self.record_postgres_outcome(message.join_ref.as_deref(), Err(e.clone()));
                }
                self.emit(SubscribeStatus::ChannelError, Some(&e));
            }
            "system"
                if payload["status"] == "ok"
                    && payload["extension"] == changes::POSTGRES_CHANGES =>
            {
                // A refusal said CHANNEL_ERROR; the server's retry that succeeded says the
                // channel is whole again.
                let after_refusal =
                    self.record_postgres_outcome(message.join_ref.as_deref(), Ok(()));
                let joined = {
                    let state = lock(&self.state);
                    state.wants_join && state.phase == Phase::Joined
                };
                // Not while leaving: the leave decides what comes next.
                if after_refusal && joined {
                    self.emit(SubscribeStatus::Subscribed, None);
                }
            }
            "broadcast" => {
                let event = payload["event"].as_str().unwrap_or_default().to_owned();
                let lower = event.to_lowercase();
                let listeners = lock(&self.state)
                    .broadcast
                    .selected(|e| e == "*" || *e == lower);
                let message = BroadcastMessage {
                    event,
                    payload: payload.get("payload").cloned().unwrap_or(Value::Null),
                    binary: message.binary.clone(),
                    meta: payload.get("meta").cloned(),
                };
                hear_all(&listeners, &message, &self.topic);
            }
            "presence_state" | "presence_diff" => {
                let (events, listeners) = {
                    let mut state = lock(&self.state);
                    let join_ref = state.join_ref.clone();
                    let events = if message.event == "presence_state" {
                        state.presence.sync_state(payload, join_ref)
                    } else {
                        state.presence.sync_diff_or_queue(payload, join_ref)
                    };
                    (events, state.presence_listeners.all())
                };
                for event in &events {
                    hear_all(&listeners, event, &self.topic);
                }
            }
            changes::POSTGRES_CHANGES => {
                let Some(raw) = changes::RawChange::parse(payload, message.raw_payload.as_deref())
                else {
                    tracing::warn!("realtime: malformed postgres_changes on {}", self.topic);
                    return;
                };
                let listeners: Vec<Listener<RawChange>> = lock(&self.state)
                    .postgres
                    .iter()
                    .filter(|b| b.id.is_some_and(|id| raw.ids.contains(&id)))
                    .filter(|b| {
                        b.event == PostgresChangeEvent::All || b.event == raw.payload.event_type
                    })
                    .map(|b| b.listener.clone())
                    .collect();
                hear_all(&listeners, &raw, &self.topic);
            }
            _ => {}
        }
    }
}

/// A wait in whole milliseconds, as the server reads `timeout`: at least 1 (it must be positive).
fn wait_millis(timeout: Duration) -> u64 {
    u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Gives each binding the server's id, in order; the server's list must match the client's
/// (realtime-js `subscribe`: "mismatch between server and client bindings").
fn match_bindings(bindings: &mut [PostgresBinding], server: &Value) -> std::result::Result<(), ()> {
    let server = match server {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        _ => return Err(()),
    };
    let mut valid = bindings.iter_mut().filter_map(|b| match &b.params {
        Ok(p) => Some((p.clone(), &mut b.id)),
        Err(_) => None,
    });
    for (index, (params, id)) in (&mut valid).enumerate() {
        let s = server.get(index).ok_or(())?;
        if !params.matches(s) {
            return Err(());
        }
        *id = Some(s["id"].as_u64().ok_or(())?);
    }
    Ok(())
}
