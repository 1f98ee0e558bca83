use std::time::Duration;

use serde_json::{Value, json};
use supabase_core::Client;
use supabase_core::realtime::{
    ChannelConfig, Presence, PresenceEvent, RealtimeChannel, SubscribeStatus,
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::{anon, next, room};

#[tokio::test]
async fn presence_of_two_clients_joins_syncs_and_leaves() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let ch_a = a.channel_with(&name, ChannelConfig::default().presence_key("alice"));
    let mut events = ch_a.presence_stream();
    let ch_a = ch_a.subscribe().await.unwrap();
    // The initial (empty) state.
    assert_eq!(next(&mut events).await, PresenceEvent::Sync);

    let ch_b = b
        .channel_with(&name, ChannelConfig::default().presence_key("bob"))
        .on_presence_sync(|| {})
        .subscribe()
        .await
        .unwrap();
    ch_a.track(json!({"online_at": "now"})).await.unwrap();
    ch_b.track(json!({"status": "typing"})).await.unwrap();

    let mut joined = Vec::new();
    while joined.len() < 2 {
        if let PresenceEvent::Join {
            key, joined: new, ..
        } = next(&mut events).await
        {
            joined.push((key, new[0].payload.clone()));
        }
    }
    joined.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(joined[0].0, "alice");
    assert_eq!(joined[0].1["online_at"], "now");
    assert_eq!(joined[1].0, "bob");
    assert_eq!(joined[1].1["status"], "typing");
    assert_eq!(
        ch_a.presence_state().keys().collect::<Vec<_>>(),
        ["alice", "bob"]
    );

    ch_b.untrack().await.unwrap();
    loop {
        if let PresenceEvent::Leave { key, current, left } = next(&mut events).await {
            assert_eq!(key, "bob");
            assert!(current.is_empty());
            assert_eq!(left[0].payload["status"], "typing");
            break;
        }
    }
    assert_eq!(ch_a.presence_state().keys().collect::<Vec<_>>(), ["alice"]);

    // Leaving the channel altogether removes a tracked presence too.
    ch_b.track(json!({"back": true})).await.unwrap();
    b.remove_channel(&ch_b).await.unwrap();
    let mut saw_leave = false;
    while !saw_leave {
        saw_leave =
            matches!(next(&mut events).await, PresenceEvent::Leave { key, .. } if key == "bob");
    }
    assert!(!ch_a.presence_state().contains_key("bob"));
}

/// `client` on channel `name` with presence key `key`, subscribed.
async fn joined_as(client: &Client, name: &str, key: &str) -> RealtimeChannel {
    client
        .channel_with(name, ChannelConfig::default().presence_key(key))
        .subscribe()
        .await
        .unwrap()
}

/// The next value a callback sent, failing the test if none comes within 10 s (a stall, not a
/// timing claim).
async fn recv<T>(rx: &mut UnboundedReceiver<T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no callback within 10 s")
        .expect("callback channel closed")
}

/// What a join / leave callback saw: the key, the payloads of the key's presences before the
/// change, and the payloads that joined / left.
type Seen = (String, Vec<Value>, Vec<Value>);

fn seen(key: &str, current: &[Presence], changed: &[Presence]) -> Seen {
    let payloads = |ps: &[Presence]| {
        ps.iter()
            .map(|p| Value::Object(p.payload.clone()))
            .collect()
    };
    (key.to_owned(), payloads(current), payloads(changed))
}

/// The reference's "Listen to presence sync": the callback fires once the state is in sync,
/// and `presence_state()` read inside it holds every tracked client.
#[tokio::test]
async fn listen_to_presence_sync() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let (tx, mut synced) = unbounded_channel();
    let channel = a.channel_with(&name, ChannelConfig::default().presence_key("alice"));
    let (reader, tracker) = (channel.clone(), channel.clone());
    // As in the reference: track from the subscribe callback, in a task of its own.
    channel
        .on_presence_sync(move || {
            let _ = tx.send(reader.presence_state());
        })
        .subscribe_with(move |status, _err| {
            if status == SubscribeStatus::Subscribed {
                let tracker = tracker.clone();
                tokio::spawn(async move {
                    tracker
                        .track(json!({"online_at": "2024-01-01T00:00:00"}))
                        .await
                        .expect("track");
                });
            }
        })
        .await
        .unwrap();
    let state = loop {
        let state = recv(&mut synced).await;
        if state.contains_key("alice") {
            break state;
        }
    };
    assert_eq!(state.keys().collect::<Vec<_>>(), ["alice"]);
    assert_eq!(
        state["alice"][0].payload["online_at"],
        "2024-01-01T00:00:00"
    );

    let other = joined_as(&b, &name, "bob").await;
    other.track(json!({"online_at": "later"})).await.unwrap();
    let state = loop {
        let state = recv(&mut synced).await;
        if state.contains_key("bob") {
            break state;
        }
    };
    assert_eq!(state.keys().collect::<Vec<_>>(), ["alice", "bob"]);
    assert_eq!(state["bob"][0].payload["online_at"], "later");
}

/// The reference's "Listen to presence join": `(key, current_presence, new_presence)` for this
/// client's own track, another client's, and a second presence under a key already present.
#[tokio::test]
async fn listen_to_presence_join() {
    let (a, b, c) = (anon().await, anon().await, anon().await);
    let name = room();
    let (tx, mut joins) = unbounded_channel();
    let channel = a
        .channel_with(&name, ChannelConfig::default().presence_key("alice"))
        .on_presence_join(move |key, current, new| {
            let _ = tx.send(seen(key, current, new));
        })
        .subscribe()
        .await
        .unwrap();
    channel.track(json!({"online_at": "t1"})).await.unwrap();
    assert_eq!(
        recv(&mut joins).await,
        ("alice".into(), vec![], vec![json!({"online_at": "t1"})])
    );

    let bob = joined_as(&b, &name, "bob").await;
    bob.track(json!({"online_at": "t2"})).await.unwrap();
    assert_eq!(
        recv(&mut joins).await,
        ("bob".into(), vec![], vec![json!({"online_at": "t2"})])
    );

    // The same key from a second place: the first presence is the key's current one.
    let bob_elsewhere = joined_as(&c, &name, "bob").await;
    bob_elsewhere
        .track(json!({"online_at": "t3"}))
        .await
        .unwrap();
    assert_eq!(
        recv(&mut joins).await,
        (
            "bob".into(),
            vec![json!({"online_at": "t2"})],
            vec![json!({"online_at": "t3"})]
        )
    );
    assert_eq!(channel.presence_state()["bob"].len(), 2);
}

/// The reference's "Listen to presence leave": `(key, current_presence, left_presence)` when
/// this client untracks right after tracking, and when another client does.
#[tokio::test]
async fn listen_to_presence_leave() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let (tx, mut leaves) = unbounded_channel();
    let channel = a
        .channel_with(&name, ChannelConfig::default().presence_key("alice"))
        .on_presence_leave(move |key, current, left| {
            let _ = tx.send(seen(key, current, left));
        })
        .subscribe()
        .await
        .unwrap();
    channel.track(json!({"online_at": "t1"})).await.unwrap();
    channel.untrack().await.unwrap();
    assert_eq!(
        recv(&mut leaves).await,
        ("alice".into(), vec![], vec![json!({"online_at": "t1"})])
    );

    let bob = joined_as(&b, &name, "bob").await;
    bob.track(json!({"status": "typing"})).await.unwrap();
    bob.untrack().await.unwrap();
    assert_eq!(
        recv(&mut leaves).await,
        ("bob".into(), vec![], vec![json!({"status": "typing"})])
    );
    assert!(channel.presence_state().is_empty());
}

/// Presence messages as Realtime's `PresenceHandler` takes them, over a raw socket: the event
/// in any case, re-tracking the same payload changes nothing (no diff), a non-object payload
/// is refused with its reason and an unknown event with an empty response, and the first track
/// is followed by the state, which includes the tracker.
#[tokio::test]
async fn presence_messages_follow_realtimes_handler() {
    let stack = crate::stack().await;
    let topic = format!("realtime:{}", room());
    let mut ws = crate::raw_socket().await;
    crate::send_frame(
        &mut ws,
        json!(["1", "1", topic, "phx_join", {
            "config": {"presence": {"key": "me", "enabled": false}},
            "access_token": stack.anon_key(),
        }]),
    )
    .await;
    let pushes = [
        (
            "2",
            json!({"type": "presence", "event": "TRACK", "payload": {"a": 1}}),
        ),
        (
            "3",
            json!({"type": "presence", "event": "track", "payload": {"a": 1}}),
        ),
        (
            "4",
            json!({"type": "presence", "event": "track", "payload": [1]}),
        ),
        ("5", json!({"type": "presence", "event": "wave"})),
    ];
    for (r, payload) in pushes {
        crate::send_frame(&mut ws, json!(["1", r, topic, "presence", payload])).await;
    }
    crate::send_frame(&mut ws, json!([null, "6", "phoenix", "heartbeat", {}])).await;

    let mut frames = Vec::new();
    loop {
        let frame = crate::next_text(&mut ws).await;
        if frame[2] == "phoenix" {
            break;
        }
        frames.push(frame);
    }
    // The replies in order; the first track's state after its reply. (Where the diff falls
    // among them is the server's scheduling; here it is counted.)
    let replies: Vec<&Value> = frames.iter().filter(|f| f[3] == "phx_reply").collect();
    let refs: Vec<&str> = replies.iter().map(|f| f[1].as_str().unwrap()).collect();
    assert_eq!(refs, ["1", "2", "3", "4", "5"], "{frames:#?}");
    let state = frames
        .iter()
        .position(|f| f[3] == "presence_state")
        .unwrap();
    let second_reply = frames.iter().position(|f| f[1] == "2").unwrap();
    assert!(state > second_reply, "{frames:#?}");
    assert_eq!(
        frames[state][4]["me"]["metas"][0]["a"], 1,
        "the state includes the tracker"
    );
    let diffs = frames.iter().filter(|f| f[3] == "presence_diff").count();
    assert_eq!(
        diffs, 1,
        "re-tracking the same payload sends no diff: {frames:#?}"
    );
    assert_eq!(replies[2][4], json!({"status": "ok", "response": {}}));
    assert_eq!(
        replies[3][4],
        json!({"status": "error", "response": {"reason": "Presence track payload must be a map"}})
    );
    assert_eq!(replies[4][4], json!({"status": "error", "response": {}}));
}

/// A timeout of `Duration::MAX` ("never give up") is a valid option: presence pushes, which
/// wait for the join up to the timeout, do not overflow the clock computing their deadline.
#[tokio::test]
async fn presence_works_with_an_unbounded_timeout() {
    let stack = crate::stack().await;
    let options = supabase_core::ClientOptions::default()
        .realtime(supabase_core::realtime::RealtimeOptions::default().timeout(Duration::MAX));
    let client = Client::new(stack.url(), stack.anon_key(), options).unwrap();
    let channel = client
        .channel_with(room(), ChannelConfig::default().presence_key("max"))
        .subscribe()
        .await
        .unwrap();
    channel.track(json!({"online": true})).await.unwrap();
    assert!(
        crate::eventually(Duration::from_secs(10), || {
            channel.presence_state().contains_key("max")
        })
        .await
    );
    channel.untrack().await.unwrap();
}
