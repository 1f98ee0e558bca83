//! Private channels and presence, as current Realtime authorises them
//! (`realtime_channel.ex` `maybe_assign_policies`, `fastlane_metadata/2`): a join needs
//! broadcast read or (with presence on) presence read; presence state and diffs reach only
//! members with presence read, broadcasts only members with broadcast read; losing either read
//! on `access_token` shuts the channel down.

use futures_util::FutureExt as _;
use serde_json::json;
use supabase_core::realtime::{ChannelConfig, PresenceEvent, SubscribeStatus};

use crate::{anon, next, stack, user_token, uuid};

/// A signed-in user's token, reading presence on `lobby-*` when `seer`.
async fn token(seer: bool) -> String {
    stack()
        .await
        .mint_jwt(&json!({
            "role": "authenticated", "sub": uuid().await, "exp": 4_000_000_000u64, "seer": seer
        }))
        .unwrap()
}

fn private_with_presence(key: &str) -> ChannelConfig {
    ChannelConfig::default()
        .private(true)
        .presence_enabled(true)
        .presence_key(key)
}

#[tokio::test]
async fn presence_reaches_only_members_who_may_read_it() {
    let topic = format!("lobby-{}", supabase_tests::unique_id());
    let (seer, blind) = (anon().await, anon().await);
    seer.realtime().set_auth(Some(&token(true).await));
    blind.realtime().set_auth(Some(&token(false).await));

    let seer_ch = seer.channel_with(&topic, private_with_presence("seer"));
    let mut seen = seer_ch.presence_stream();
    let seer_ch = seer_ch.subscribe().await.expect("seer joins");
    assert_eq!(
        next(&mut seen).await,
        PresenceEvent::Sync,
        "the state on join"
    );

    // Broadcast read admits the blind member; presence stays hidden from them.
    let blind_ch = blind.channel_with(&topic, private_with_presence("blind"));
    let mut blind_presence = blind_ch.presence_stream();
    let mut blind_heard = blind_ch.broadcast_stream("ping");
    let blind_ch = blind_ch
        .subscribe()
        .await
        .expect("broadcast read admits the join");

    seer_ch.track(json!({"at": "door"})).await.unwrap();
    blind_ch
        .track(json!({"at": "window"}))
        .await
        .expect("presence write");
    let mut keys = Vec::new();
    while keys.len() < 2 {
        if let PresenceEvent::Join { key, .. } = next(&mut seen).await {
            keys.push(key);
        }
    }
    keys.sort();
    assert_eq!(keys, ["blind", "seer"], "the seer sees both");

    // Frames of one connection arrive in order: once this broadcast is in, any presence frame
    // sent to the blind member before it would have been dispatched already.
    seer_ch.send_broadcast("ping", json!({})).await.unwrap();
    next(&mut blind_heard).await;
    assert_eq!(
        futures_util::StreamExt::next(&mut blind_presence).now_or_never(),
        None,
        "no presence state or diff for a member without presence read"
    );
    assert!(blind_ch.presence_state().is_empty());
}

#[tokio::test]
async fn presence_read_alone_admits_a_join_with_presence_on_and_no_broadcasts() {
    let topic = format!("roster-{}", supabase_tests::unique_id());
    let client = anon().await;
    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));

    // Presence off: presence read is not evaluated, and there is no broadcast read.
    let err = client
        .channel_with(&topic, ChannelConfig::default().private(true))
        .subscribe()
        .await
        .unwrap_err();
    crate::assert_read_refused(&err);

    let channel = client.channel_with(&topic, private_with_presence("me"));
    let mut presence = channel.presence_stream();
    let mut heard = channel.broadcast_stream("*");
    let _channel = channel.subscribe().await.expect("presence read admits it");
    assert_eq!(next(&mut presence).await, PresenceEvent::Sync);

    // A broadcast to the topic reaches a member with broadcast read (the service role, which
    // bypasses RLS) but not this one. A second broadcast, to a public room this client has
    // also joined, is a barrier: frames of one socket arrive in order.
    let service = crate::service().await;
    let watcher = service.channel_with(&topic, ChannelConfig::default().private(true));
    let mut watched = watcher.broadcast_stream("note");
    let _watcher = watcher.subscribe().await.unwrap();
    let room = crate::room();
    let public = client.channel(&room);
    let mut barrier = public.broadcast_stream("barrier");
    let _public = public.subscribe().await.unwrap();
    // From another client: this one's channel of the topic is the watcher, whose own
    // broadcasts it does not hear.
    crate::service()
        .await
        .channel_with(&topic, ChannelConfig::default().private(true))
        .send_broadcast("note", json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(next(&mut watched).await.payload, json!({"n": 1}));
    service
        .channel(&room)
        .send_broadcast("barrier", json!({}))
        .await
        .unwrap();
    next(&mut barrier).await;
    assert_eq!(
        futures_util::StreamExt::next(&mut heard).now_or_never(),
        None,
        "no broadcast without broadcast read"
    );
}

#[tokio::test]
async fn losing_presence_read_on_a_new_token_shuts_the_channel_down() {
    let topic = format!("lobby-{}", supabase_tests::unique_id());
    let client = anon().await;
    client.realtime().set_auth(Some(&token(true).await));
    let channel = client.channel_with(&topic, private_with_presence("seer"));
    let mut statuses = channel.status_stream();
    let _channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    client.realtime().set_auth(Some(&token(false).await));
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    let err = err.unwrap().to_string();
    assert!(
        err.contains("You no longer have permission to read from this Channel topic"),
        "{err}"
    );
}

/// A private member that has not turned presence on gets no presence diffs even where it may
/// read presence: Realtime evaluates presence read only once presence is on. Spoken over a
/// raw socket, which shows every frame.
#[tokio::test]
async fn no_presence_diffs_before_presence_is_on() {
    let name = format!("lobby-{}", supabase_tests::unique_id());
    let topic = format!("realtime:{name}");
    let mut ws = crate::raw_socket().await;
    let join = json!(["1", "1", topic, "phx_join", {
        "config": {"private": true, "presence": {"key": "", "enabled": false}},
        "access_token": token(true).await,
    }]);
    crate::send_frame(&mut ws, join).await;
    let reply = crate::next_text(&mut ws).await;
    assert_eq!(reply[4]["status"], "ok", "{reply}");

    let other = anon().await;
    other.realtime().set_auth(Some(&token(true).await));
    let tracker = other
        .channel_with(&name, private_with_presence("other"))
        .subscribe()
        .await
        .unwrap();
    tracker.track(json!({"here": true})).await.unwrap();
    tracker.send_broadcast("barrier", json!({})).await.unwrap();
    loop {
        let frame = crate::next_text(&mut ws).await;
        assert_ne!(frame[3], "presence_diff", "{frame}");
        assert_ne!(frame[3], "presence_state", "{frame}");
        if frame[3] == "broadcast" {
            break;
        }
    }
}

#[tokio::test]
async fn a_token_without_any_read_shuts_the_channel_down_as_unauthorized() {
    let user = uuid().await;
    let client = anon().await;
    client.realtime().set_auth(Some(&user_token(&user).await));
    let channel = client.channel_with(
        format!("private-{user}"),
        ChannelConfig::default().private(true),
    );
    let mut statuses = channel.status_stream();
    let _channel = channel.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    crate::assert_read_refused(err.unwrap());
}
