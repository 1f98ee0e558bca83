//! A channel's life as realtime-js gives it: one channel per topic until it is left, listeners
//! added after `subscribe()`, pushes made while it joins, options refused before a join.

use serde_json::json;
use supabase_core::Error;
use supabase_core::realtime::{
    ChannelConfig, EventStream, PostgresChangeEvent as Ev, PostgresChanges, PresenceEvent, Replay,
    SubscribeStatus,
};
use supabase_tests::unique_id;

use crate::{anon, next, room, service};

/// `channel(name)` gives the client's channel of that name while it has one; once left, the
/// client forgets it, so a new channel on the topic gets its broadcasts and the left one
/// hears nothing more.
#[tokio::test]
async fn a_left_channel_is_forgotten_and_hears_nothing_of_a_new_join() {
    let client = anon().await;
    let name = room();
    let old = client.channel(&name);
    let mut old_heard = old.broadcast_stream("ping");
    old.subscribe().await.unwrap();
    assert_eq!(client.channel(&name), old, "the joined channel is returned");
    assert_eq!(client.get_channels(), vec![old.clone()]);

    old.unsubscribe().await.unwrap();
    assert!(client.get_channels().is_empty());
    let new = client.channel(&name);
    assert_ne!(new, old);
    let mut new_heard = new.broadcast_stream("ping");
    new.subscribe().await.unwrap();
    anon()
        .await
        .channel(&name)
        .send_broadcast("ping", json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut new_heard).await.payload, json!({"n": 1}));
    // Both would have been handed the frame at once.
    assert!(old_heard.try_recv().is_none());

    // The left channel subscribed again is the client's again.
    client.remove_channel(&new).await.unwrap();
    old.subscribe().await.unwrap();
    assert_eq!(client.get_channels(), vec![old.clone()]);
    client.remove_channel(&old).await.unwrap();
}

/// A postgres-changes listener added to a subscribed channel joins it again with the new
/// binding (realtime-py `_resubscribe`); `subscribe()` waits for that join. Two added at once,
/// on a multi-thread runtime, reach the server in the order of their joins (the later join,
/// with both, is the one kept).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_listener_added_after_subscribe_gets_changes() {
    let client = anon().await;
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    let id = unique_id();
    let open = || {
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id}"))
    };
    let mut inserts = channel.postgres_changes_stream(Ev::Insert, open());
    let mut all = channel.postgres_changes_stream(Ev::All, open());
    channel.subscribe().await.unwrap();
    service()
        .await
        .table("rt_open")
        .insert(json!({"id": id, "label": "late", "qty": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut inserts).await.new["label"], "late");
    assert_eq!(next(&mut all).await.new["label"], "late");
    assert!(channel.is_joined());
    drop(statuses);
    client.remove_channel(&channel).await.unwrap();
}

/// The first presence listener on a subscribed channel turns presence on by joining again,
/// so the channel gets the presences already there.
#[tokio::test]
async fn a_late_presence_listener_turns_presence_on() {
    let name = room();
    let other = anon().await;
    let other = other.channel_with(
        &name,
        ChannelConfig::default()
            .presence_key("other")
            .presence_enabled(true),
    );
    other.subscribe().await.unwrap();
    other.track(json!({"status": "there"})).await.unwrap();

    let client = anon().await;
    let channel = client.channel(&name);
    channel.subscribe().await.unwrap();
    let mut presence = channel.presence_stream();
    channel.subscribe().await.unwrap();
    assert_eq!(
        next_join(&mut presence).await,
        ("other".into(), json!("there"))
    );
    client.remove_channel(&channel).await.unwrap();
}

/// The next presence join: its key and the `status` its first presence tracked.
async fn next_join(presence: &mut EventStream<PresenceEvent>) -> (String, serde_json::Value) {
    loop {
        if let PresenceEvent::Join { key, joined, .. } = next(presence).await {
            return (key, joined[0].payload["status"].clone());
        }
    }
}

/// A `track` made while the channel joins waits for the join instead of failing, as Phoenix
/// buffers pushes until the join's `ok`.
#[tokio::test]
async fn track_while_joining_waits_for_the_join() {
    let client = anon().await;
    let channel = client.channel_with(room(), ChannelConfig::default().presence_key("me"));
    let mut presence = channel.presence_stream();
    let (subscribed, tracked) = tokio::join!(
        channel.subscribe(),
        channel.track(json!({"status": "here"}))
    );
    subscribed.unwrap();
    tracked.unwrap();
    assert_eq!(next_join(&mut presence).await, ("me".into(), json!("here")));
    client.remove_channel(&channel).await.unwrap();
}

/// Replay is for private channels: realtime-js refuses it when the channel is made, and the
/// server would refuse every join (retried forever); here `subscribe()` refuses it at once.
#[tokio::test]
async fn replay_on_a_public_channel_is_refused_before_joining() {
    let client = anon().await;
    let name = room();
    let config = ChannelConfig::default().broadcast_replay(Replay::since_millis(0));
    let channel = client.channel_with(&name, config.clone());
    let err = channel.subscribe().await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("private"), "{err}");
    assert!(!client.realtime().is_connected(), "nothing was sent");

    // Refused before it could close the topic's joined channel.
    let joined = client.channel(&name);
    joined.subscribe().await.unwrap();
    let err = client.channel_with(&name, config).subscribe().await;
    assert!(matches!(err, Err(Error::Config(_))), "{err:?}");
    assert!(joined.is_joined());
    assert!(client.get_channels().contains(&joined));
    client.remove_channel(&joined).await.unwrap();
}

/// `unsubscribe()` of a channel whose join was refused (it is retrying) stops it, reports
/// `CLOSED` and forgets it, as for a joined one.
#[tokio::test]
async fn unsubscribing_a_refused_channel_closes_and_forgets_it() {
    let client = anon().await;
    let private = ChannelConfig::default().private(true);
    let channel = client.channel_with(format!("lobby-{}", unique_id()), private);
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap_err();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::ChannelError);
    channel.unsubscribe().await.unwrap();
    loop {
        match next(&mut statuses).await.0 {
            SubscribeStatus::Closed => break,
            // A retry refused meanwhile.
            SubscribeStatus::ChannelError => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(client.get_channels().is_empty());
}

/// Broadcast events are matched case aside, as realtime-js matches them.
#[tokio::test]
async fn broadcast_events_match_case_aside() {
    let client = anon().await;
    let name = room();
    let channel = client.channel(&name);
    let mut heard = channel.broadcast_stream("Cursor-Pos");
    channel.subscribe().await.unwrap();
    let sender = anon().await;
    let sender = sender.channel(&name);
    sender
        .send_broadcast("cursor-pos", json!({"n": 1}))
        .await
        .unwrap();
    sender
        .send_broadcast("CURSOR-POS", json!({"n": 2}))
        .await
        .unwrap();
    let first = next(&mut heard).await;
    assert_eq!(
        (first.event.as_str(), first.payload),
        ("cursor-pos", json!({"n": 1}))
    );
    assert_eq!(next(&mut heard).await.payload, json!({"n": 2}));
    client.remove_channel(&channel).await.unwrap();
}

/// A channel that crashes as it joins is joined again: the `phx_error` arriving before its
/// join's `ok` was applied ends that join (Phoenix `onError`: `if (this.isJoining())
/// this.joinPush.reset()`), so the late `ok`, from a process that is gone, is ignored and the
/// rejoin decides. Otherwise the channel said SUBSCRIBED to a dead process and heard nothing.
#[tokio::test]
async fn a_channel_that_errors_as_it_joins_joins_again() {
    let stack = crate::stack().await;
    let proxy = crate::wsproxy::WsProxy::start(&stack.url()).await;
    let client =
        supabase_core::Client::new(&proxy.url, stack.anon_key(), crate::options()).unwrap();
    proxy.error_after_next_join_reply();
    let name = room();
    let channel = client.channel(&name);
    let mut heard = channel.broadcast_stream("ping");
    // Errors (the error came first) or succeeds (the reply did): either way, it rejoins.
    let _ = channel.subscribe().await;
    let rejoined = || proxy.sent_events("phx_join").len() >= 2 && channel.is_joined();
    assert!(
        crate::eventually(std::time::Duration::from_secs(10), rejoined).await,
        "joined {} time(s), joined now: {}",
        proxy.sent_events("phx_join").len(),
        channel.is_joined()
    );
    // The channel hears its topic.
    service()
        .await
        .channel(&name)
        .http_send("ping", json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.payload["n"], json!(1));
}

/// A new connection starts a channel's rejoin backoff over (Phoenix `socket.onError` and
/// `onOpen`: `this.rejoinTimer.reset()`): a channel refused a few times on one connection is
/// not kept on its longest step on the next.
#[tokio::test]
async fn a_new_connection_starts_the_rejoin_backoff_over() {
    use std::time::Duration;
    use supabase_core::realtime::RealtimeOptions;

    let stack = crate::stack().await;
    let proxy = crate::wsproxy::WsProxy::start(&stack.url()).await;
    // Three quick steps, then one far longer than this test.
    let delays = [50, 50, 50, 60_000].map(Duration::from_millis);
    let options = supabase_core::ClientOptions::default().realtime(
        RealtimeOptions::default()
            .timeout(Duration::from_secs(5))
            .heartbeat_interval(Duration::from_secs(1))
            .reconnect_delays(delays),
    );
    let client = supabase_core::Client::new(&proxy.url, stack.anon_key(), options).unwrap();
    let joins = || proxy.sent_events("phx_join").len();
    let wait_for = |n: usize, what: &'static str| async move {
        let joined = crate::eventually(Duration::from_secs(15), || joins() >= n).await;
        assert!(joined, "{what}: {} joins", joins());
    };
    // The API key may not join a private channel: refused, rejoined after 50, 50, 50 ms,
    // then a minute.
    let channel = client.channel_with(room(), ChannelConfig::default().private(true));
    let _ = channel.subscribe().await;
    wait_for(4, "refused and rejoined on the quick steps").await;
    // The connection dies (its heartbeats go unanswered); the next one joins at once.
    proxy.swallow("heartbeat");
    wait_for(5, "joined on the new connection").await;
    proxy.swallow_nothing();
    // Refused there too: rejoined after the first step, not the minute.
    wait_for(6, "rejoined on the first step").await;
}
