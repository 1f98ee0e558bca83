//! Binary broadcast frames of the 2.0.0 serializer (realtime-js `src/lib/serializer.ts`,
//! supabase/realtime `v2_serializer.ex`): bytes in and out, JSON payloads pushed in binary
//! frames as current realtime-js sends them, and what 1.0.0 sockets get instead.

use futures_util::SinkExt;
use serde_json::{Value, json};
use supabase_core::realtime::{ChannelConfig, RealtimeError};
use supabase_core::{Client, Error};
use tokio_tungstenite::tungstenite::Message as Ws;

use crate::wsproxy::{Sent, WsProxy};
use crate::{anon, next, next_text, options, room, stack, v1_client};

#[tokio::test]
async fn bytes_are_broadcast_in_binary_frames_and_received_as_bytes() {
    let stack = stack().await;
    let name = room();
    let (_receiver, mut heard) = crate::listener(&name).await;
    // A 1.0.0 socket cannot carry bytes: the server leaves them out and sends the JSON ones.
    let old = v1_client(&stack.url(), stack.anon_key());
    let old_channel = old.channel(&name);
    let mut old_heard = old_channel.broadcast_stream("*");
    old_channel.subscribe().await.unwrap();

    let proxy = WsProxy::start(&stack.url()).await;
    let sender = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let sending = sender
        .channel_with(
            &name,
            ChannelConfig::default()
                .broadcast_ack(true)
                .broadcast_self(true),
        )
        .subscribe()
        .await
        .unwrap();
    let mut own = sending.broadcast_stream("blob");
    // Every byte value, and not UTF-8.
    let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255u8).collect();
    sending
        .send_broadcast_binary("blob", bytes.clone())
        .await
        .unwrap();
    sending
        .send_broadcast("after", json!({"n": 1}))
        .await
        .unwrap();

    let got = next(&mut heard).await;
    assert_eq!(got.event, "blob");
    assert_eq!(got.binary.as_deref(), Some(&bytes[..]));
    assert_eq!(got.payload, Value::Null);
    let then = next(&mut heard).await;
    assert_eq!(
        (then.event.as_str(), &then.payload),
        ("after", &json!({"n": 1}))
    );
    assert!(then.binary.is_none());
    // `self: true`: the sender hears its own bytes.
    assert_eq!(next(&mut own).await.binary.as_deref(), Some(&bytes[..]));
    // Commit order: the 1.0.0 socket's first broadcast is the JSON one.
    let first_old = next(&mut old_heard).await;
    assert_eq!(first_old.event, "after");

    // On the wire: a kind-3 frame with the join ref, ref, topic, event, binary encoding, bytes.
    let frames: Vec<Vec<u8>> = proxy
        .sent()
        .into_iter()
        .filter_map(|s| match s {
            Sent::Binary(b) => Some(b),
            Sent::Text(_) | Sent::Close(_) => None,
        })
        .collect();
    assert_eq!(frames.len(), 1, "only the bytes went binary");
    let frame = &frames[0];
    let topic = format!("realtime:{name}");
    assert_eq!(frame[0], 3);
    assert_eq!(usize::from(frame[3]), topic.len());
    assert_eq!(frame[4], 4, "`blob`");
    assert_eq!(frame[5..7], [0, 0], "no metadata, binary encoding");
    assert!(frame.ends_with(&bytes));
}

#[tokio::test]
async fn binary_frames_need_a_2_0_0_socket_and_a_short_topic() {
    // (A channel that is not joined sends bytes over REST: `http_send.rs`.)
    let stack = stack().await;
    let old = v1_client(&stack.url(), stack.anon_key());
    let channel = old.channel(room()).subscribe().await.unwrap();
    let err = channel
        .send_broadcast_binary("blob", vec![1u8])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Realtime(RealtimeError::Binary(_))),
        "{err:?}"
    );
    // A topic too long for a binary frame's one-byte length.
    let long = anon()
        .await
        .channel("x".repeat(300))
        .subscribe()
        .await
        .unwrap();
    let err = long
        .send_broadcast_binary("blob", vec![1u8])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::Binary(m)) if m.contains("topic")),
        "{err:?}"
    );
}

/// What current realtime-js sends for every `send({type: 'broadcast', ...})`: a kind-3 frame
/// with a JSON-encoded payload. Spoken here over a raw WebSocket.
#[tokio::test]
async fn a_json_payload_in_a_binary_push_reaches_both_serializers_as_json() {
    let stack = stack().await;
    let name = room();
    let topic = format!("realtime:{name}");
    let receiver = anon().await;
    let channel = receiver.channel(&name);
    let mut heard = channel.broadcast_stream("cursor");
    channel.subscribe().await.unwrap();
    let old = v1_client(&stack.url(), stack.anon_key());
    let old_channel = old.channel(&name);
    let mut old_heard = old_channel.broadcast_stream("cursor");
    old_channel.subscribe().await.unwrap();

    let mut ws = crate::raw_socket().await;
    let join = json!(["1", "1", topic, "phx_join", {
        "config": {"broadcast": {"ack": true, "self": false}, "presence": {"key": "", "enabled": false},
                   "postgres_changes": [], "private": false},
        "access_token": stack.anon_key(),
    }]);
    ws.send(Ws::text(join.to_string())).await.unwrap();
    let reply = next_text(&mut ws).await;
    assert_eq!(reply[4]["status"], "ok", "{reply}");

    let payload = br#"{"x":3,"y":[1,2]}"#;
    let mut frame = vec![3, 1, 1, u8::try_from(topic.len()).unwrap(), 6, 0, 1];
    frame.extend_from_slice(b"12");
    frame.extend_from_slice(topic.as_bytes());
    frame.extend_from_slice(b"cursor");
    frame.extend_from_slice(payload);
    ws.send(Ws::binary(frame)).await.unwrap();
    let ack = next_text(&mut ws).await;
    assert_eq!(
        ack,
        json!(["1", "2", topic, "phx_reply", {"status": "ok", "response": {}}])
    );

    let got = next(&mut heard).await;
    assert_eq!(got.payload, json!({"x": 3, "y": [1, 2]}));
    assert!(got.binary.is_none());
    let got_old = next(&mut old_heard).await;
    assert_eq!(got_old.payload, json!({"x": 3, "y": [1, 2]}));

    // A binary frame of a kind channels do not take is ignored; the socket stays usable.
    ws.send(Ws::binary(vec![7u8, 0, 0])).await.unwrap();
    ws.send(Ws::text(
        json!([null, "3", "phoenix", "heartbeat", {}]).to_string(),
    ))
    .await
    .unwrap();
    let beat = next_text(&mut ws).await;
    assert_eq!(beat[1], "3");
}
