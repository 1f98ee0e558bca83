//! Broadcast replay (`config.broadcast.replay`): a private channel's join replays the topic's
//! messages sent from the database since a time, newest `limit` (at most 25), oldest first,
//! marked `meta.replayed`; public channels and joins without broadcast read are refused.

use std::time::{Duration, SystemTime};

use serde_json::json;
use supabase_core::realtime::{ChannelConfig, Replay};

use crate::{anon, next, stack, user_token, uuid};

/// `count` messages `{"n": 1..=count}` sent to the private topic with `realtime.send`, the
/// `n`th stored as inserted `count - n + 1` seconds ago, and one more (`n = 0`) a day ago.
async fn sent_messages(topic: &str, count: i32) {
    stack()
        .await
        .execute_sql(&format!(
            "select realtime.send(jsonb_build_object('n', n), 'note', '{topic}') \
               from generate_series(0, {count}) n;
             update realtime.messages set inserted_at = case (payload->>'n')::int
                 when 0 then now() at time zone 'utc' - interval '1 day'
                 else now() at time zone 'utc' - ({count} + 1 - (payload->>'n')::int) * interval '1 second'
               end
              where topic = '{topic}';"
        ))
        .await
        .unwrap();
}

async fn signed_in() -> supabase_core::Client {
    let client = anon().await;
    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    client
}

fn hour_ago() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

#[tokio::test]
async fn a_private_join_replays_the_newest_messages_oldest_first() {
    let topic = format!("lobby-{}", supabase_tests::unique_id());
    sent_messages(&topic, 27).await;
    let client = signed_in().await;

    // No limit: 25, the newest (3..=27); the day-old message is before `since`.
    let channel = client.channel_with(
        &topic,
        ChannelConfig::default()
            .private(true)
            .broadcast_replay(Replay::since(hour_ago())),
    );
    let mut heard = channel.broadcast_stream("*");
    let _channel = channel.subscribe().await.expect("subscribed");
    let mut ids = Vec::new();
    for n in 3..=27 {
        let got = next(&mut heard).await;
        assert_eq!((got.event.as_str(), &got.payload["n"]), ("note", &json!(n)));
        assert!(got.replayed(), "{:?}", got.meta);
        ids.push(
            got.meta.as_ref().unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let stored = stack()
        .await
        .query_json(&format!(
            "select id::text from realtime.messages where topic = '{topic}' and (payload->>'n')::int >= 3 \
             order by inserted_at"
        ))
        .await
        .unwrap();
    let stored: Vec<&str> = stored
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, stored, "meta.id is the message's row");

    // A live message after the join is not marked.
    stack()
        .await
        .execute_sql(&format!(
            "select realtime.send('{{\"n\": 28}}', 'note', '{topic}')"
        ))
        .await
        .unwrap();
    let live = next(&mut heard).await;
    assert_eq!(live.payload["n"], 28);
    assert!(!live.replayed());

    // `limit` picks the newest, and more than 25 is clamped to 25 (no error).
    for (limit, first) in [(2, 27), (100, 4)] {
        let channel = client.channel_with(
            &topic,
            ChannelConfig::default()
                .private(true)
                .broadcast_replay(Replay::since(hour_ago()).limit(limit)),
        );
        let mut heard = channel.broadcast_stream("*");
        let channel = channel.subscribe().await.expect("subscribed");
        for n in first..=28 {
            assert_eq!(next(&mut heard).await.payload["n"], n, "limit {limit}");
        }
        client.realtime().remove_channel(&channel).await.unwrap();
    }

    // `since` in milliseconds, as realtime-js passes it: after every message, nothing.
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        + 1000;
    let config: ChannelConfig = serde_json::from_value(json!({
        "config": {"private": true, "broadcast": {"replay": {"since": since, "limit": 5}}}
    }))
    .unwrap();
    assert_eq!(
        config,
        ChannelConfig::default()
            .private(true)
            .broadcast_replay(Replay::since_millis(since).limit(5))
    );
    let channel = client.channel_with(&topic, config);
    let mut heard = channel.broadcast_stream("*");
    let _channel = channel.subscribe().await.expect("subscribed");
    stack()
        .await
        .execute_sql(&format!(
            "select realtime.send('{{\"n\": 29}}', 'note', '{topic}')"
        ))
        .await
        .unwrap();
    let got = next(&mut heard).await;
    assert_eq!(
        got.payload["n"], 29,
        "nothing was replayed before the live one"
    );
    assert!(!got.replayed());
}

#[tokio::test]
async fn replay_needs_a_private_channel_and_broadcast_read() {
    let client = signed_in().await;
    // The client refuses it before joining (`lifecycle.rs`); the server, asked anyway:
    let mut ws = crate::raw_socket().await;
    let join = json!(["1", "1", format!("realtime:{}", crate::room()), "phx_join", {
        "config": {"broadcast": {"replay": {"since": 0}}, "private": false},
    }]);
    crate::send_frame(&mut ws, join).await;
    let reply = crate::next_text(&mut ws).await;
    assert_eq!(reply[4]["status"], "error", "{reply}");
    assert_eq!(
        reply[4]["response"]["reason"],
        "UnableToReplayMessages: Replay is not allowed for public channels"
    );

    // `roster-*` lets signed-in users read presence, not broadcasts: the join is admitted
    // with presence on, but not its replay.
    let topic = format!("roster-{}", supabase_tests::unique_id());
    let presence_only = ChannelConfig::default()
        .private(true)
        .presence_enabled(true);
    let joined = client
        .channel_with(&topic, presence_only.clone())
        .subscribe()
        .await
        .expect("presence read admits the join");
    client.realtime().remove_channel(&joined).await.unwrap();
    let err = client
        .channel_with(
            &topic,
            presence_only.broadcast_replay(Replay::since(hour_ago())),
        )
        .subscribe()
        .await
        .unwrap_err();
    crate::assert_read_refused(&err);
}

/// Join flags are read as Realtime's `FlexibleBoolean`: `"TRUE"` makes the channel private
/// (so anon, with no read policy, is refused), and a replay asked of a channel whose
/// `private` is `"false"` is refused as public. Spoken over a raw WebSocket, as realtime-js
/// always sends JSON booleans.
#[tokio::test]
async fn join_flags_may_be_text() {
    let stack = stack().await;
    for (private, reason) in [
        (json!("TRUE"), "Unauthorized: You do not have permissions"),
        (json!("false"), "Replay is not allowed for public channels"),
    ] {
        let mut ws = crate::raw_socket().await;
        let topic = format!("realtime:{}", crate::room());
        let join = json!(["1", "1", topic, "phx_join", {
            "config": {"private": private, "broadcast": {"replay": {"since": 0}}},
            "access_token": stack.anon_key(),
        }]);
        crate::send_frame(&mut ws, join).await;
        let reply = crate::next_text(&mut ws).await;
        assert_eq!(reply[4]["status"], "error", "{reply}");
        assert!(
            reply[4]["response"]["reason"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{private}: {reply}"
        );
    }
}
