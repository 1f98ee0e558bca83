//! Realtime's size limits: a payload may take 3000 kB (the tenant default) in Erlang's term
//! size, so a payload of 3,000,000 characters passes and one of 3,000,500 does not: a
//! WebSocket broadcast over it is dropped (an error reply when acknowledged), a presence track
//! shuts the channel down, a REST batch with one is refused whole (422), a `realtime.send` row
//! is not delivered. A WebSocket message over 5,000,000 bytes closes the connection.

use futures_util::StreamExt;
use serde_json::{Value, json};
use supabase_core::Error;
use supabase_core::realtime::{ChannelConfig, RealtimeError, SubscribeStatus};

use crate::{anon, next, room};

/// Within the limit with every byte of the frame around it.
const FITS: usize = 3_000_000;
/// Over the limit.
const TOO_LARGE: usize = 3_000_500;

fn data(len: usize) -> Value {
    json!({"data": "x".repeat(len)})
}

fn assert_size_exceeded(err: &Error) {
    assert!(
        matches!(err, Error::Realtime(RealtimeError::PushRejected { status, response, .. })
            if status == "error" && response.contains("payload_size_exceeded")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_broadcast_over_the_limit_is_dropped_and_its_ack_is_an_error() {
    let name = room();
    let (_receiver, mut heard) = crate::listener(&name).await;
    let client = anon().await;
    let acked = client
        .channel_with(&name, ChannelConfig::default().broadcast_ack(true))
        .subscribe()
        .await
        .unwrap();

    let err = acked
        .send_broadcast("big", data(TOO_LARGE))
        .await
        .unwrap_err();
    assert_size_exceeded(&err);
    let err = acked
        .send_broadcast_binary("big-bytes", vec![7u8; TOO_LARGE])
        .await
        .unwrap_err();
    assert_size_exceeded(&err);
    // Without acknowledgements the sender hears nothing, and nothing is delivered either: the
    // message sent next on the same connection is the first one heard.
    let unacked = anon().await.channel(&name).subscribe().await.unwrap();
    unacked
        .send_broadcast("big-unacked", data(TOO_LARGE))
        .await
        .unwrap();
    unacked.send_broadcast("fits", data(FITS)).await.unwrap();
    let got = next(&mut heard).await;
    assert_eq!(got.event, "fits");
    assert_eq!(got.payload["data"].as_str().map(str::len), Some(FITS));

    // The refusals left the channel joined.
    assert!(acked.is_joined());
    acked.send_broadcast("small", json!({})).await.unwrap();
    assert_eq!(next(&mut heard).await.event, "small");
}

#[tokio::test]
async fn a_presence_track_over_the_limit_shuts_the_channel_down() {
    let client = anon().await;
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    let channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    // Realtime never answers the track (it shuts the channel down instead), so the push only
    // ends at its timeout: the statuses are read meanwhile.
    let tracking = channel.clone();
    let track = tokio::spawn(async move { tracking.track(data(TOO_LARGE)).await });
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    let err = err.expect("the server's reason").to_string();
    assert!(err.contains("Track message size exceeded"), "{err}");
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Closed);
    assert!(!channel.is_joined());
    track.abort();
}

/// Realtime's `limit_client_presence_event`: five presence messages per channel join in thirty
/// seconds; the sixth shuts the channel down.
#[tokio::test]
async fn a_sixth_presence_message_in_thirty_seconds_shuts_the_channel_down() {
    let client = anon().await;
    let channel = client.channel(room());
    let mut statuses = channel.status_stream();
    let channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
    for n in 0..4 {
        channel.track(json!({"n": n})).await.unwrap();
    }
    channel.untrack().await.unwrap();
    let tracking = channel.clone();
    let sixth = tokio::spawn(async move { tracking.track(json!({"n": 5})).await });
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    let err = err.expect("the server's reason").to_string();
    assert!(err.contains("Client presence rate limit exceeded"), "{err}");
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Closed);
    sixth.abort();
}

#[tokio::test]
async fn a_rest_batch_with_a_message_over_the_limit_is_refused_whole() {
    let name = room();
    let (_listener, mut heard) = crate::listener(&name).await;

    // The client's REST fallback (a channel that is not joined) reports the 422.
    let err = anon()
        .await
        .channel(&name)
        .send_broadcast("big", data(TOO_LARGE))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::Rest { status: 422, body })
            if body.contains("Payload size exceeds tenant limit")),
        "{err:?}"
    );

    let post = crate::rest_broadcast;
    let refused = post(json!({"messages": [
        {"topic": name, "event": "small", "payload": {}},
        {"topic": name, "event": "big", "payload": data(TOO_LARGE)},
    ]}))
    .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"errors": {"messages": [
            {},
            {"payload": ["Payload size exceeds tenant limit"]},
        ]}})
    );
    // A body within the parser's 8 MB holding a payload within the limit is accepted.
    let accepted = post(json!({"messages": [
        {"topic": name, "event": "fits", "payload": data(FITS)},
    ]}))
    .await;
    assert_eq!(accepted.status(), 202);
    // Nothing of the refused batch was sent: the first message heard is the accepted one.
    assert_eq!(next(&mut heard).await.event, "fits");
}

#[tokio::test]
async fn a_database_message_over_the_limit_is_not_delivered() {
    let name = room();
    let (_listener, mut heard) = crate::listener(&name).await;
    crate::stack()
        .await
        .execute_sql(&format!(
            "select realtime.send(jsonb_build_object('data', repeat('x', {TOO_LARGE})), \
             'big', '{name}', false); \
             select realtime.send('{{\"n\": 1}}', 'small', '{name}', false);"
        ))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.event, "small");
}

#[tokio::test]
async fn a_websocket_message_over_five_megabytes_closes_the_connection() {
    let mut ws = crate::raw_socket().await;
    let topic = format!("realtime:{}", room());
    crate::send_frame(
        &mut ws,
        json!(["1", "1", topic, "phx_join", {"config": {}}]),
    )
    .await;
    assert_eq!(crate::next_text(&mut ws).await[4]["status"], "ok");
    let frame = json!(["1", "2", topic, "broadcast",
        {"type": "broadcast", "event": "e", "payload": data(5_000_000)}]);
    let sent = futures_util::SinkExt::send(
        &mut ws,
        tokio_tungstenite::tungstenite::Message::text(frame.to_string()),
    )
    .await;
    if sent.is_err() {
        // The server closed the connection while the frame was still being written.
        return;
    }
    loop {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("the server closes the connection within 10 s");
        match frame {
            None | Some(Err(_)) => break,
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => break,
            Some(Ok(_)) => {}
        }
    }
}

/// Realtime's `limit_channels`: one socket holds at most the tenant's
/// `max_channels_per_client` (100) channels; a channel that leaves frees its place.
#[tokio::test]
async fn a_socket_holds_at_most_a_hundred_channels() {
    let client = anon().await;
    let mut joined = Vec::new();
    for _ in 0..100 {
        joined.push(client.channel(room()).subscribe().await.unwrap());
    }
    let refused = client.channel(room());
    let Err(err) = refused.subscribe().await else {
        panic!("a 101st channel was joined")
    };
    let err = err.to_string();
    assert!(
        err.contains("ChannelRateLimitReached: Too many channels"),
        "{err}"
    );
    client.remove_channel(&refused).await.unwrap();
    let first = joined.remove(0);
    client.remove_channel(&first).await.unwrap();
    client.channel(room()).subscribe().await.unwrap();
}
