//! Every subscribe status end to end: SUBSCRIBED, TIMED_OUT (a join that gets no reply),
//! CHANNEL_ERROR (a private channel RLS refuses; a server that stops answering heartbeats),
//! CLOSED (unsubscribe). The silent server is played by [`WsProxy`] swallowing frames.

use std::time::Duration;

use serde_json::json;
use supabase_core::realtime::{
    ChannelConfig, PostgresChangeEvent, PostgresChanges, RealtimeError, RealtimeOptions,
    SubscribeStatus, Vsn,
};
use supabase_core::{Client, ClientOptions, Error};

use crate::wsproxy::WsProxy;
use crate::{anon, next, options, room, stack, user_token, uuid};

#[tokio::test]
async fn a_server_that_stops_answering_heartbeats_is_left_and_every_channel_rejoins() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    // Heartbeats every 2 s (`options()`): one unanswered when the next is due closes the socket.
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let name = room();
    let channel = client.channel(&name);
    let mut heard = channel.broadcast_stream("after");
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    assert_eq!(client.realtime().connection_count(), 1);

    proxy.swallow("heartbeat");
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    assert!(
        matches!(&err, Some(RealtimeError::NotConnected(why)) if why == "heartbeat timeout"),
        "{err:?}"
    );
    assert!(!proxy.sent_events("heartbeat").is_empty());
    proxy.swallow_nothing();

    // A new connection, the channel joined again on it, and events flow.
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    assert!(client.realtime().connection_count() >= 2);
    assert!(channel.is_joined());
    anon()
        .await
        .channel(&name)
        .send_broadcast("after", json!({"reconnected": true}))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.payload, json!({"reconnected": true}));
}

#[tokio::test]
async fn a_join_without_reply_is_timed_out_then_retried_until_subscribed() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    proxy.swallow("phx_join");
    let fast = ClientOptions::default().realtime(
        RealtimeOptions::default()
            .timeout(Duration::from_secs(1))
            .reconnect_delays([50, 100, 200].map(Duration::from_millis)),
    );
    let client = Client::new(&proxy.url, stack.anon_key(), fast).unwrap();
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    // The reference's form: `subscribe(callback)` sees TIMED_OUT.
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let err = channel
        .subscribe_with(move |status, err| {
            let _ = tx.send((status, err.cloned()));
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::Timeout { event, .. }) if event == "phx_join"),
        "{err:?}"
    );
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::TimedOut);
    assert!(
        matches!(err, Some(RealtimeError::Timeout { .. })),
        "{err:?}"
    );
    let (status, _) = tokio::time::timeout(Duration::from_secs(10), seen.recv())
        .await
        .expect("callback called")
        .expect("callback alive");
    assert_eq!(status, SubscribeStatus::TimedOut);
    assert!(!channel.is_joined());

    // The server answers again: the rejoin timer's next join succeeds (joins already in flight
    // may time out first).
    proxy.swallow_nothing();
    loop {
        match next(&mut statuses).await {
            (SubscribeStatus::Subscribed, None) => break,
            (SubscribeStatus::TimedOut, Some(RealtimeError::Timeout { .. })) => {}
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert!(channel.is_joined());
    assert!(proxy.sent_events("phx_join").len() >= 2);
    assert_eq!(client.realtime().connection_count(), 1, "same socket");
}

/// A join whose reply is lost is timed out, left and retried; the server, seeing the topic
/// left (or joined again), closes the earlier join (`phx_close` with that join's ref). That
/// close must not close the rejoin, with either serializer (1.0.0 frames carry no join ref,
/// only the ref).
#[tokio::test]
async fn the_server_closing_an_earlier_join_does_not_close_the_rejoin() {
    let stack = stack().await;
    for vsn in [Vsn::V2, Vsn::V1] {
        let proxy = WsProxy::start(&stack.url()).await;
        proxy.swallow_from_server("phx_reply");
        let fast = ClientOptions::default().realtime(
            RealtimeOptions::default()
                .vsn(vsn)
                .timeout(Duration::from_secs(1))
                .heartbeat_interval(Duration::ZERO)
                .reconnect_delays([50, 100, 200].map(Duration::from_millis)),
        );
        let client = Client::new(&proxy.url, stack.anon_key(), fast).unwrap();
        let name = room();
        let channel = client.channel(&name);
        let mut heard = channel.broadcast_stream("after");
        let mut statuses = channel.status_stream();
        let err = channel.subscribe().await.unwrap_err();
        assert!(
            matches!(&err, Error::Realtime(RealtimeError::Timeout { event, .. }) if event == "phx_join"),
            "{vsn:?}: {err:?}"
        );
        proxy.swallow_nothing();
        loop {
            match next(&mut statuses).await {
                (SubscribeStatus::Subscribed, None) => break,
                (SubscribeStatus::TimedOut, Some(RealtimeError::Timeout { .. })) => {}
                other => panic!("{vsn:?}: unexpected status {other:?}"),
            }
        }
        assert!(proxy.sent_events("phx_join").len() >= 2, "{vsn:?}");
        // Phoenix's `joinPush.receive("timeout")` leaves what the server may have joined.
        assert!(!proxy.sent_events("phx_leave").is_empty(), "{vsn:?}");
        assert!(channel.is_joined(), "{vsn:?}");
        anon()
            .await
            .channel(&name)
            .send_broadcast("after", json!({"vsn": vsn.as_str()}))
            .await
            .unwrap();
        assert_eq!(
            next(&mut heard).await.payload,
            json!({"vsn": vsn.as_str()}),
            "{vsn:?}"
        );
        for (_, left) in client.remove_all_channels().await {
            left.unwrap();
        }
    }
}

#[tokio::test]
async fn a_private_channel_refused_by_rls_is_channel_error() {
    let client = anon().await;
    // The policies (a migration of the reference project) let a user read `private-<id>` only.
    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    let channel = client.channel_with(
        format!("private-{}", uuid().await),
        ChannelConfig::default().private(true),
    );
    let mut statuses = channel.status_stream();
    let err = channel.subscribe().await.unwrap_err();
    let (status, reported) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    match reported {
        Some(RealtimeError::JoinRefused { reason, topic }) => {
            assert_eq!(topic, channel.topic());
            assert!(
                reason.starts_with(
                    "Unauthorized: You do not have permissions to read from this Channel topic"
                ),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        err,
        Error::Realtime(RealtimeError::JoinRefused { .. })
    ));
    assert!(!channel.is_joined());
}

/// A refused join is tried again after the backoff, as realtime-js's (Phoenix's) channel does,
/// each refusal another CHANNEL_ERROR; once `set_auth` gives a token that may read the topic,
/// the next try gets in without another `subscribe()`.
#[tokio::test]
async fn a_refused_join_is_retried_and_gets_in_once_the_token_may_read() {
    let client = anon().await;
    let owner = uuid().await;
    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    let channel = client.channel_with(
        format!("private-{owner}"),
        ChannelConfig::default().private(true),
    );
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap_err();
    for attempt in 0..2 {
        let (status, err) = next(&mut statuses).await;
        assert_eq!(status, SubscribeStatus::ChannelError, "attempt {attempt}");
        assert!(
            matches!(err, Some(RealtimeError::JoinRefused { .. })),
            "attempt {attempt}: {err:?}"
        );
    }
    assert!(!channel.is_joined());

    client.realtime().set_auth(Some(&user_token(&owner).await));
    loop {
        match next(&mut statuses).await {
            (SubscribeStatus::Subscribed, None) => break,
            (SubscribeStatus::ChannelError, Some(RealtimeError::JoinRefused { .. })) => {}
            other => panic!("unexpected status {other:?}"),
        }
    }
    assert!(channel.is_joined());
    for (_, left) in client.remove_all_channels().await {
        left.unwrap();
    }
}

#[tokio::test]
async fn unsubscribe_is_closed_and_the_channel_can_join_again() {
    let client = anon().await;
    let name = room();
    let channel = client.channel(&name);
    let mut heard = channel.broadcast_stream("ping");
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap();
    assert_eq!(
        next(&mut statuses).await,
        (SubscribeStatus::Subscribed, None)
    );

    channel.unsubscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await, (SubscribeStatus::Closed, None));
    assert!(!channel.is_joined());
    // Forgotten by the client until it joins again (realtime-js `_onClose` → `_remove`).
    assert!(client.get_channels().is_empty());
    channel.subscribe().await.unwrap();
    assert_eq!(client.get_channels(), vec![channel.clone()]);
    assert_eq!(
        next(&mut statuses).await,
        (SubscribeStatus::Subscribed, None)
    );
    anon()
        .await
        .channel(&name)
        .send_broadcast("ping", json!({"again": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.payload, json!({"again": 1}));
    client.remove_channel(&channel).await.unwrap();
    assert_eq!(next(&mut statuses).await, (SubscribeStatus::Closed, None));
    assert!(client.get_channels().is_empty());

    // A removed channel subscribed again is the client's again, on the connection kept open
    // for the grace after the last channel went (`connection.rs`).
    channel.subscribe().await.unwrap();
    assert_eq!(
        next(&mut statuses).await,
        (SubscribeStatus::Subscribed, None)
    );
    assert_eq!(client.get_channels(), vec![channel.clone()]);
    assert_eq!(client.realtime().connection_count(), 1);
    anon()
        .await
        .channel(&name)
        .send_broadcast("ping", json!({"after_removal": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.payload, json!({"after_removal": 1}));
    client.remove_channel(&channel).await.unwrap();
}

/// A leave that races the server's close (the join already closed, its `phx_close` lost on the
/// way) is answered `ok`, as Phoenix answers a leave of a topic not joined, and the channel
/// closes.
#[tokio::test]
async fn a_leave_racing_a_server_close_is_ok_and_the_channel_closes() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    // An invalid token shuts the channel down on the server: a system error, then `phx_close`,
    // which the client never gets.
    proxy.swallow_from_server("phx_close");
    client.realtime().set_auth(Some("not a jwt"));
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::ChannelError);

    channel.unsubscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Closed);
    assert!(!channel.is_joined());
}

#[tokio::test]
async fn a_postgres_changes_refusal_the_server_retries_ends_subscribed() {
    // Realtime pushes a `system` error when subscribing the listeners fails for a passing
    // reason, and tries again: its confirmation later makes the channel whole, so the last
    // status is SUBSCRIBED again (it stayed CHANNEL_ERROR), and `subscribe()` says so.
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    proxy.refuse_postgres_subscribe_once();
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let id = supabase_tests::unique_id();
    let channel = client.channel(room());
    let mut inserts = channel.postgres_changes_stream(
        PostgresChangeEvent::Insert,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id}")),
    );
    let mut statuses = channel.status_stream();
    let err = channel
        .subscribe()
        .await
        .expect_err("the first attempt failed");
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::Channel { extension, message, .. })
            if extension == "postgres_changes" && message.contains("database timeout")),
        "{err:?}"
    );
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::ChannelError);
    assert_eq!(
        next(&mut statuses).await,
        (SubscribeStatus::Subscribed, None)
    );
    channel.subscribe().await.expect("the retry succeeded");

    client
        .table("rt_open")
        .insert(json!({"id": id, "label": "after the retry"}))
        .await
        .expect("insert");
    assert_eq!(next(&mut inserts).await.new["id"], json!(id));
    for (_, left) in client.realtime().remove_all_channels().await {
        left.unwrap();
    }
}

/// Phoenix's leave rules on the wire (`socket.ex`): a leave of a topic not joined is answered
/// `ok`; a leave carrying an earlier join's ref is not answered and leaves the current join
/// alone.
#[tokio::test]
async fn leaves_of_topics_not_joined_or_of_earlier_joins() {
    let mut ws = crate::raw_socket().await;
    let topic = format!("realtime:{}", room());
    crate::send_frame(&mut ws, json!([null, "1", topic, "phx_leave", {}])).await;
    let reply = crate::next_text(&mut ws).await;
    assert_eq!((&reply[1], &reply[3]), (&json!("1"), &json!("phx_reply")));
    assert_eq!(reply[4]["status"], "ok", "{reply}");

    // Two joins: the second closes the first.
    crate::send_frame(
        &mut ws,
        json!(["2", "2", topic, "phx_join", {"config": {}}]),
    )
    .await;
    crate::send_frame(
        &mut ws,
        json!(["3", "3", topic, "phx_join", {"config": {}}]),
    )
    .await;
    loop {
        let frame = crate::next_text(&mut ws).await;
        if frame[1] == "3" {
            assert_eq!(frame[4]["status"], "ok", "{frame}");
            break;
        }
    }
    // A leave of the first join: no answer, the heartbeat's reply comes next.
    crate::send_frame(&mut ws, json!(["2", "4", topic, "phx_leave", {}])).await;
    crate::send_frame(&mut ws, json!([null, "5", "phoenix", "heartbeat", {}])).await;
    let frame = crate::next_text(&mut ws).await;
    assert_eq!(
        (&frame[1], &frame[2]),
        (&json!("5"), &json!("phoenix")),
        "{frame}"
    );
    // The second join is still there: a broadcast on it is taken without an answer (one on a
    // topic not joined would be answered with an error), and its leave closes it.
    crate::send_frame(
        &mut ws,
        json!(["3", "6", topic, "broadcast", {"type": "broadcast", "event": "e", "payload": {"n": 1}}]),
    )
    .await;
    crate::send_frame(&mut ws, json!(["3", "7", topic, "phx_leave", {}])).await;
    let reply = crate::next_text(&mut ws).await;
    assert_eq!(
        (&reply[1], &reply[3]),
        (&json!("7"), &json!("phx_reply")),
        "{reply}"
    );
    assert_eq!(reply[4]["status"], "ok", "{reply}");
    let close = crate::next_text(&mut ws).await;
    assert_eq!(
        (&close[0], &close[3]),
        (&json!("3"), &json!("phx_close")),
        "{close}"
    );
}
