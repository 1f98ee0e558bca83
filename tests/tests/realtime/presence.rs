use serde_json::json;
use supabase_core::realtime::{ChannelConfig, PresenceEvent};

use crate::{anon, next, room};

#[tokio::test]
async fn presence_of_two_clients_joins_syncs_and_leaves() {
    let (a, b) = (anon().await, anon().await);
    let name = room();
    let ch_a = a.channel(&name, ChannelConfig::default().presence_key("alice"));
    let mut events = ch_a.presence_stream();
    let ch_a = ch_a.subscribe().await.unwrap();
    // The initial (empty) state.
    assert_eq!(next(&mut events).await, PresenceEvent::Sync);

    let ch_b = b
        .channel(&name, ChannelConfig::default().presence_key("bob"))
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
