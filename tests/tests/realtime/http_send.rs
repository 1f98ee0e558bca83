//! Broadcasts over REST one at a time, as realtime-js `httpSend` sends them to Realtime 2.97's
//! `POST /api/broadcast/{topic}/events/{event}` (`broadcast_single_controller.ex`,
//! `single_broadcast.ex`): JSON or bytes as the body, whatever the channel's state.

use serde_json::{Value, json};
use supabase_core::realtime::{ChannelConfig, RealtimeError};
use supabase_core::{Client, Error};

use crate::wsproxy::WsProxy;
use crate::{anon, next, options, room, stack, user_token, uuid};

fn rest_refused(err: &Error, status: u16, text: &str) {
    assert!(
        matches!(err, Error::Realtime(RealtimeError::Rest { status: s, body }) if *s == status && body.contains(text)),
        "{err:?}"
    );
}

#[tokio::test]
async fn json_and_bytes_reach_subscribers_whatever_the_senders_channel_state() {
    let stack = stack().await;
    let name = room();
    let (_receiver, mut heard) = crate::listener(&name).await;
    let old = crate::v1_client(&stack.url(), stack.anon_key());
    let old_channel = old.channel(&name);
    let mut old_heard = old_channel.broadcast_stream("*");
    let _old_channel = old_channel.subscribe().await.unwrap();

    // A sender that never joins.
    let sending = anon().await;
    let sender = sending.channel(&name);
    sender.http_send("note", json!({"a": 1})).await.unwrap();
    let m = next(&mut heard).await;
    assert_eq!(
        (m.event.as_str(), &m.payload, &m.binary),
        ("note", &json!({"a": 1}), &None)
    );
    assert_eq!(next(&mut old_heard).await.payload, json!({"a": 1}));

    sender
        .http_send_binary("blob", vec![1u8, 2, 3])
        .await
        .unwrap();
    // Not joined, so `send_broadcast_binary` goes the same way.
    sender
        .send_broadcast_binary("blob", vec![4u8])
        .await
        .unwrap();
    for bytes in [&[1u8, 2, 3][..], &[4]] {
        let m = next(&mut heard).await;
        assert_eq!(m.event, "blob");
        assert_eq!(m.binary.as_deref(), Some(bytes));
    }
    // 1.0.0 sockets cannot carry bytes: the next thing they hear is the next JSON message.
    sender.http_send("after", json!({})).await.unwrap();
    assert_eq!(next(&mut old_heard).await.event, "after");
    assert_eq!(next(&mut heard).await.event, "after");

    // A joined sender still goes over HTTP, not its socket.
    let proxy = WsProxy::start(&stack.url()).await;
    let joining = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let joined = joining.channel(&name).subscribe().await.unwrap();
    joined
        .http_send("from-joined", json!({"b": 2}))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.payload, json!({"b": 2}));
    assert!(proxy.sent_events("broadcast").is_empty());

    let err = sender.http_send("nothing", Value::Null).await.unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    let too_large = json!({"data": "x".repeat(3_000_500)});
    rest_refused(
        &sender.http_send("big", too_large).await.unwrap_err(),
        422,
        "Payload size exceeds tenant limit",
    );
}

#[tokio::test]
async fn a_private_channels_http_send_needs_broadcast_write() {
    let name = format!("lobby-{}", supabase_tests::unique_id());
    let private = || ChannelConfig::default().private(true);
    let member = anon().await;
    member
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    let channel = member.channel_with(&name, private());
    let mut heard = channel.broadcast_stream("*");
    let _channel = channel.subscribe().await.unwrap();

    // The anon key has no write policy on `lobby-*`: 403, where the batch endpoint drops it.
    let stranger = anon().await;
    let err = stranger
        .channel_with(&name, private())
        .http_send("knock", json!({}))
        .await
        .unwrap_err();
    rest_refused(&err, 403, "Unauthorized");

    let writer = anon().await;
    writer
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    writer
        .channel_with(&name, private())
        .http_send("hello", json!({"who": "writer"}))
        .await
        .unwrap();
    assert_eq!(next(&mut heard).await.payload, json!({"who": "writer"}));
}

/// What the endpoint makes of bodies the client never sends: another content type is a 415,
/// and a JSON body that is not an object arrives under `_json`, as Plug's parser puts it.
#[tokio::test]
async fn the_endpoint_takes_json_or_bytes_only() {
    let stack = stack().await;
    let name = room();
    let (_receiver, mut heard) = crate::listener(&name).await;
    let post = |content_type: &'static str, body: &'static str| {
        reqwest::Client::new()
            .post(format!(
                "{}/realtime/v1/api/broadcast/{name}/events/raw",
                stack.url()
            ))
            .header("apikey", stack.anon_key())
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let refused = post("text/plain", "hi").await.unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"error": "Unsupported Media Type. Use application/json or application/octet-stream"})
    );
    let accepted = post("application/json; charset=utf-8", "[1, 2]")
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    assert_eq!(accepted.bytes().await.unwrap().len(), 0);
    assert_eq!(next(&mut heard).await.payload, json!({"_json": [1, 2]}));
}
