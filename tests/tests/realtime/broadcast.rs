use serde_json::json;
use supabase_core::Error;
use supabase_core::realtime::{ChannelConfig, RealtimeError, WeakChannel};

use crate::{anon, next, room};

#[tokio::test]
async fn broadcast_reaches_the_other_client_but_not_the_sender_unless_self() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let ch_a = a.channel(&name);
    let mut from_a = ch_a.broadcast_stream("cursor-pos");
    let ch_a = ch_a.subscribe().await.expect("a subscribed");
    let ch_b = b.channel_with(&name, ChannelConfig::default().broadcast_self(true));
    let mut at_b = ch_b.broadcast_stream("*");
    let ch_b = ch_b.subscribe().await.expect("b subscribed");

    ch_a.send_broadcast("cursor-pos", json!({"x": 1}))
        .await
        .unwrap();
    let got = next(&mut at_b).await;
    assert_eq!(
        (got.event.as_str(), &got.payload),
        ("cursor-pos", &json!({"x": 1}))
    );

    // b has self on: it hears its own message; a (self off) hears b's but never its own.
    ch_b.send_broadcast("cursor-pos", json!({"x": 2}))
        .await
        .unwrap();
    assert_eq!(next(&mut at_b).await.payload, json!({"x": 2}));
    assert_eq!(
        next(&mut from_a).await.payload,
        json!({"x": 2}),
        "a's own message must not come back"
    );
}

#[tokio::test]
async fn a_callback_answers_through_a_weak_handle_that_does_not_keep_its_channel() {
    // The answering channel's own callback uses it: through a `WeakChannel`, so once removed
    // and dropped the channel is freed (a clone in its listener would keep it forever).
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let asker = a.channel(&name);
    let mut answers = asker.broadcast_stream("pong");
    let asker = asker.subscribe().await.unwrap();
    let weak: WeakChannel = b.channel(&name).downgrade();
    let answerer = b
        .channel(&name)
        .on_broadcast("ping", {
            let weak = weak.clone();
            move |m| {
                if let Some(channel) = weak.upgrade() {
                    tokio::spawn(async move {
                        channel.send_broadcast("pong", m.payload).await.unwrap();
                    });
                }
            }
        })
        .subscribe()
        .await
        .unwrap();
    asker.send_broadcast("ping", json!({"n": 7})).await.unwrap();
    assert_eq!(next(&mut answers).await.payload, json!({"n": 7}));

    assert!(
        weak.upgrade().is_some(),
        "the client holds it until removed"
    );
    b.realtime().remove_channel(&answerer).await.unwrap();
    drop(answerer);
    // The answer's task may still hold its upgrade for a moment.
    for _ in 0..100 {
        if weak.upgrade().is_none() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(weak.upgrade().is_none(), "the channel is freed: {weak:?}");
}

#[tokio::test]
async fn acknowledged_broadcast_waits_for_the_server() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let receiver = b.channel(&name);
    let mut heard = receiver.broadcast_stream("ping");
    receiver.subscribe().await.unwrap();
    let sender = a
        .channel_with(&name, ChannelConfig::default().broadcast_ack(true))
        .subscribe()
        .await
        .unwrap();
    sender
        .send_broadcast("ping", json!({"n": 1}))
        .await
        .expect("acknowledged");
    assert_eq!(next(&mut heard).await.payload, json!({"n": 1}));
}

/// The options as the Python client's dict (`RealtimeChannelOptions`), end to end: `self` and
/// `ack` from JSON take effect on the server.
#[tokio::test]
async fn channel_options_from_the_python_dict() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let receiver = a.channel(&name);
    let mut at_a = receiver.broadcast_stream("ping");
    receiver.subscribe().await.unwrap();
    let config: ChannelConfig = serde_json::from_value(json!({
        "config": {"broadcast": {"self": true, "ack": true}, "presence": {"key": "b"}}
    }))
    .expect("realtime-py's options");
    let sender = b.channel_with(&name, config);
    let mut at_b = sender.broadcast_stream("ping");
    let sender = sender.subscribe().await.unwrap();
    sender
        .send_broadcast("ping", json!({"n": 1}))
        .await
        .expect("acknowledged");
    assert_eq!(next(&mut at_b).await.payload, json!({"n": 1}), "self");
    assert_eq!(next(&mut at_a).await.payload, json!({"n": 1}));
}

#[tokio::test]
async fn a_channel_that_is_not_joined_broadcasts_over_rest() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let receiver = b.channel(&name);
    let mut heard = receiver.broadcast_stream("news");
    receiver.subscribe().await.unwrap();
    let not_joined = a.channel(&name);
    not_joined
        .send_broadcast("news", json!({"via": "rest"}))
        .await
        .expect("202");
    assert!(
        !a.realtime().is_connected(),
        "REST must not open the socket"
    );
    assert_eq!(next(&mut heard).await.payload, json!({"via": "rest"}));
}

#[tokio::test]
async fn rest_broadcast_with_a_bad_key_is_a_typed_error() {
    let stack = crate::stack().await;
    let forged =
        supabase_local::api_key("another-secret-that-is-at-least-32-chars-long", "anon").unwrap();
    let client = supabase_core::Client::new(stack.url(), forged, crate::options()).unwrap();
    let err = client
        .channel(room())
        .send_broadcast("x", json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Realtime(RealtimeError::Rest { status: 401, .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn callbacks_as_in_the_reference_and_the_1_0_0_serializer() {
    use std::sync::mpsc;
    use supabase_core::realtime::{RealtimeOptions, SubscribeStatus, Vsn};

    let stack = crate::stack().await;
    // A client speaking vsn 1.0.0 (JSON objects) next to one speaking 2.0.0 (arrays).
    let v1 = supabase_core::Client::new(
        stack.url(),
        stack.anon_key(),
        supabase_core::ClientOptions::default().realtime(RealtimeOptions::default().vsn(Vsn::V1)),
    )
    .unwrap();
    let name = room();
    let (tx, rx) = mpsc::channel();
    let (status_tx, status_rx) = mpsc::channel();
    let channel = v1
        .channel(&name)
        .on_broadcast("cursor-pos", move |m| tx.send(m.payload).unwrap())
        .subscribe_with(move |status, err| status_tx.send((status, err.cloned())).unwrap())
        .await
        .unwrap();
    assert_eq!(
        status_rx.recv().unwrap(),
        (SubscribeStatus::Subscribed, None)
    );
    let sender = anon().await.channel(&name).subscribe().await.unwrap();
    sender
        .send_broadcast("other-event", json!({"ignored": true}))
        .await
        .unwrap();
    sender
        .send_broadcast("cursor-pos", json!({"x": 0.5}))
        .await
        .unwrap();
    let got =
        tokio::task::spawn_blocking(move || rx.recv_timeout(std::time::Duration::from_secs(10)))
            .await
            .unwrap()
            .expect("callback called");
    assert_eq!(
        got,
        json!({"x": 0.5}),
        "only `cursor-pos` reaches the callback"
    );
    assert_eq!(v1.get_channels(), vec![channel.clone()]);
    v1.remove_channel(&channel).await.unwrap();
    assert_eq!(status_rx.recv().unwrap(), (SubscribeStatus::Closed, None));
    assert!(v1.get_channels().is_empty());
}

/// `POST /api/broadcast` validates each message as Realtime's changeset does (422 with the
/// failing fields per message, nothing sent), and a message's `id` reaches listeners as
/// `meta.id`.
#[tokio::test]
async fn the_rest_endpoint_reports_each_bad_message_and_passes_ids_on() {
    let name = room();
    let (_listener, mut heard) = crate::listener(&name).await;
    let post = crate::rest_broadcast;

    let bad = post(json!({"messages": [
        {"topic": name, "event": "fine", "payload": {}},
        {"topic": "", "payload": [1]},
        // `private` is cast as Ecto's `:boolean`: booleans, "true"/"false", "1"/"0".
        {"topic": name, "event": "e", "payload": {}, "private": "yes"},
        {"topic": name, "event": "e", "payload": {}, "private": 1},
        {"topic": name, "event": "e", "payload": {}, "private": "0"},
    ]}))
    .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        bad.json::<serde_json::Value>().await.unwrap(),
        json!({"errors": {"messages": [
            {},
            {"topic": ["can't be blank"], "event": ["can't be blank"], "payload": ["is invalid"]},
            {"private": ["is invalid"]},
            {"private": ["is invalid"]},
            {},
        ]}})
    );
    for body in [json!({}), json!({"messages": []})] {
        let r = post(body).await;
        assert_eq!(r.status(), 422);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap(),
            json!({"errors": {"messages": ["can't be blank"]}})
        );
    }

    let ok = post(json!({"messages": [
        {"topic": name, "event": "with-id", "payload": {"n": 1}, "id": "m-1"},
        {"topic": name, "event": "plain", "payload": {"n": 2}, "private": "0"},
    ]}))
    .await;
    assert_eq!(ok.status(), 202);
    // The invalid batch sent nothing: the first message heard is this one.
    let first = next(&mut heard).await;
    assert_eq!(
        (first.event.as_str(), first.meta),
        ("with-id", Some(json!({"id": "m-1"})))
    );
    let second = next(&mut heard).await;
    assert_eq!((second.event.as_str(), second.meta), ("plain", None));
}

/// A callback that panics is skipped for that event only: the connection, the channel and
/// the other listeners go on, and the callback itself hears the next event.
#[tokio::test]
async fn a_panicking_callback_costs_only_its_own_event() {
    let client = anon().await;
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&heard);
    let channel = client
        .channel_with(room(), ChannelConfig::default().broadcast_self(true))
        .on_broadcast("n", move |m| {
            let n = m.payload["n"].as_i64().unwrap();
            assert_ne!(n, 1, "this listener panics at the first message");
            log.lock().unwrap().push(n);
        });
    let mut stream = channel.broadcast_stream("n");
    let channel = channel.subscribe().await.unwrap();
    for n in 1..=2 {
        channel.send_broadcast("n", json!({"n": n})).await.unwrap();
    }
    assert_eq!(next(&mut stream).await.payload, json!({"n": 1}));
    assert_eq!(next(&mut stream).await.payload, json!({"n": 2}));
    assert_eq!(*heard.lock().unwrap(), [2]);
    assert!(client.realtime().is_connected() && channel.is_joined());
}
