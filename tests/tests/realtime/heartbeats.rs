//! What the socket tells of its own health: heartbeat statuses with their round trip
//! (realtime-js `onHeartbeat`), the connection's state (`connectionState()`), and the server's
//! `system` messages on a channel (`on('system')`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use supabase_core::realtime::{
    ConnectionState, HeartbeatStatus, PostgresChangeEvent, PostgresChanges, RealtimeOptions,
    SubscribeStatus,
};
use supabase_core::{Client, ClientOptions};

use crate::wsproxy::WsProxy;
use crate::{anon, next, room, stack};

/// Heartbeats only when the test sends one, so none races the test's own.
fn manual_heartbeats() -> ClientOptions {
    ClientOptions::default().realtime(
        RealtimeOptions::default()
            .timeout(Duration::from_secs(5))
            .heartbeat_interval(Duration::from_secs(3600))
            .reconnect_delays([20, 40, 80, 200].map(Duration::from_millis)),
    )
}

#[tokio::test]
async fn heartbeats_report_sent_then_their_answer_with_its_round_trip_or_their_timeout() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), manual_heartbeats()).unwrap();
    let realtime = client.realtime();
    let mut beats = realtime.heartbeat_stream();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&heard);
    realtime.on_heartbeat(move |status, _| log.lock().unwrap().push(status));

    assert_eq!(realtime.connection_state(), ConnectionState::Closed);
    realtime.send_heartbeat();
    assert_eq!(
        next(&mut beats).await,
        (HeartbeatStatus::Disconnected, None)
    );

    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    let _channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    assert_eq!(realtime.connection_state(), ConnectionState::Open);
    realtime.send_heartbeat();
    assert_eq!(next(&mut beats).await, (HeartbeatStatus::Sent, None));
    let (status, latency) = next(&mut beats).await;
    assert_eq!(status, HeartbeatStatus::Ok);
    assert!(latency.is_some(), "an answer comes with its round trip");
    assert_eq!(proxy.sent_events("heartbeat").len(), 1);

    // The server stops answering: the next heartbeat finds this one pending.
    proxy.swallow("heartbeat");
    realtime.send_heartbeat();
    assert_eq!(next(&mut beats).await, (HeartbeatStatus::Sent, None));
    realtime.send_heartbeat();
    assert_eq!(next(&mut beats).await, (HeartbeatStatus::Timeout, None));
    let (status, error) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    assert!(error.unwrap().to_string().contains("heartbeat timeout"));
    // Closed as Phoenix closes it: `1000 "heartbeat timeout"`.
    let closed = || {
        proxy
            .sent()
            .into_iter()
            .any(|s| s == crate::wsproxy::Sent::Close(Some((1000, "heartbeat timeout".into()))))
    };
    assert!(
        crate::eventually(Duration::from_secs(2), closed).await,
        "{:?}",
        proxy.sent().last()
    );
    assert_ne!(
        realtime.connection_state(),
        ConnectionState::Closed,
        "reconnecting"
    );
    proxy.swallow_nothing();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    realtime.disconnect();
    assert_eq!(realtime.connection_state(), ConnectionState::Closed);
    use HeartbeatStatus::*;
    assert_eq!(
        *heard.lock().unwrap(),
        [Disconnected, Sent, Ok, Sent, Timeout],
        "callbacks hear what streams hear"
    );
}

/// A server that stops reading (a link that died silently: the socket buffers fill, nothing
/// fails until TCP gives up minutes later) blocks the connection's writes, and with them its
/// heartbeats and reads. A write not taken within a heartbeat interval is a missed heartbeat:
/// the connection is given up and the channel joins again.
#[tokio::test]
async fn a_write_the_server_does_not_take_is_a_missed_heartbeat() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let options = ClientOptions::default().realtime(
        RealtimeOptions::default()
            .timeout(Duration::from_secs(5))
            .heartbeat_interval(Duration::from_secs(1))
            .reconnect_delays([20, 40, 80, 200].map(Duration::from_millis)),
    );
    let client = Client::new(&proxy.url, stack.anon_key(), options).unwrap();
    let realtime = client.realtime();
    let mut beats = realtime.heartbeat_stream();
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    let channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    proxy.stall(true);
    // Far more than loopback's socket buffers hold.
    let payload = "x".repeat(64 * 1024);
    for _ in 0..400 {
        channel
            .send_broadcast("big", serde_json::json!({ "p": payload }))
            .await
            .unwrap();
    }
    let timed_out = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if next(&mut beats).await.0 == HeartbeatStatus::Timeout {
                break;
            }
        }
    })
    .await;
    assert!(
        timed_out.is_ok(),
        "the stalled connection was never given up"
    );
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::ChannelError);
    proxy.stall(false);
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    realtime.disconnect();
}

#[tokio::test]
async fn a_socket_that_cannot_connect_is_connecting_until_disconnected() {
    // Port 9 (discard) on loopback: nothing listens, every attempt is refused.
    let client = Client::new(
        "http://127.0.0.1:9",
        stack().await.anon_key(),
        manual_heartbeats(),
    )
    .unwrap();
    let realtime = client.realtime();
    realtime.connect().unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(realtime.connection_state(), ConnectionState::Connecting);
    assert!(realtime.connection_count() == 0);
    realtime.disconnect();
    assert_eq!(realtime.connection_state(), ConnectionState::Closed);
}

#[tokio::test]
async fn system_messages_reach_their_listeners() {
    let client = anon().await;
    let name = room();
    let channel = client.channel(&name).on_postgres_changes(
        PostgresChangeEvent::All,
        PostgresChanges::schema("public").table("rt_full"),
        |_| {},
    );
    let mut system = channel.system_stream();
    let _channel = channel.subscribe().await.unwrap();
    let message = next(&mut system).await;
    assert_eq!(message.extension, "postgres_changes");
    assert_eq!(message.status, "ok");
    assert!(!message.is_error());
    assert_eq!(message.message, "Subscribed to PostgreSQL");
    assert_eq!(message.channel, name);
}

/// The server's close code and reason reach the channels' errors (realtime-js: `socket
/// closed: <code> (<reason>)`), so "why do I keep reconnecting?" has an answer.
#[tokio::test]
async fn the_servers_close_code_and_reason_reach_the_channels() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), crate::options()).unwrap();
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    let _channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    proxy.close_as_server(1008, "policy violation");
    let (status, error) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    let error = error.unwrap().to_string();
    assert!(error.contains("1008 (policy violation)"), "{error}");
}

/// `disconnect_with(code, reason)` (realtime-js `disconnect(code, reason)`) closes with that
/// frame; `disconnect()` with a frame without a code, as a browser's `close()`. A code or reason
/// the WebSocket API refuses is an error, and the socket stays open.
#[tokio::test]
async fn disconnect_with_a_code_and_reason_tells_the_server_why() {
    use crate::wsproxy::Sent;
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), manual_heartbeats()).unwrap();
    let realtime = client.realtime();
    let channel = client.channel(room()).subscribe().await.unwrap();
    for (code, reason) in [(1001, "going away"), (4000, &"x".repeat(124)[..])] {
        let err = realtime.disconnect_with(code, reason).unwrap_err();
        assert!(matches!(err, supabase_core::Error::Config(_)), "{err}");
    }
    assert_eq!(realtime.connection_state(), ConnectionState::Open);
    realtime
        .disconnect_with(4000, "the user signed out")
        .unwrap();
    assert_eq!(realtime.connection_state(), ConnectionState::Closed);
    let closed_with = |frame: Option<(u16, String)>| {
        let proxy = &proxy;
        move || {
            proxy
                .sent()
                .into_iter()
                .any(|s| s == Sent::Close(frame.clone()))
        }
    };
    assert!(
        crate::eventually(
            Duration::from_secs(2),
            closed_with(Some((4000, "the user signed out".into())))
        )
        .await,
        "{:?}",
        proxy.sent().last()
    );
    realtime.connect().unwrap();
    let open = || realtime.connection_state() == ConnectionState::Open;
    assert!(crate::eventually(Duration::from_secs(5), open).await);
    let _ = channel;
    realtime.disconnect();
    assert!(
        crate::eventually(Duration::from_secs(2), closed_with(None)).await,
        "{:?}",
        proxy.sent().last()
    );
}
