//! Third-party auth (`ClientOptions::access_token`) on realtime: joins carry the provider's
//! token, and the provider is asked again at every heartbeat, a changed token going to joined
//! channels (realtime-js `_setAuthSafely` on connect and on each heartbeat `sent`).

use std::sync::{Arc, Mutex};

use supabase_core::realtime::{ChannelConfig, SubscribeStatus};
use supabase_core::{Client, ClientOptions};

use crate::{next, stack, user_token, uuid};

#[tokio::test]
async fn joins_carry_the_providers_token_and_follow_it_at_each_heartbeat() {
    let user = uuid().await;
    let token = Arc::new(Mutex::new(Some(user_token(&user).await)));
    let given = Arc::clone(&token);
    let options: ClientOptions = crate::options().access_token(move || {
        let token = given.lock().unwrap().clone();
        async move { Ok::<_, std::convert::Infallible>(token) }
    });
    let client = Client::new(stack().await.url(), stack().await.anon_key(), options).unwrap();

    // `private-<uid>` admits only that user: the API key's anon role would be refused.
    let channel = client.channel_with(
        format!("private-{user}"),
        ChannelConfig::default().private(true),
    );
    let mut statuses = channel.status_stream();
    let _channel = channel
        .subscribe()
        .await
        .expect("the provider's user joins");
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    // Another user from now on: the next heartbeat (every 2 s here) hands it to the channel,
    // and the server, re-checking, shuts the channel down.
    *token.lock().unwrap() = Some(user_token(&uuid().await).await);
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    crate::assert_read_refused(err.unwrap());
}

/// `set_auth(None)` goes back to the provider and asks it at once (realtime-js
/// `_performAuth(null)`), not at the next heartbeat (an hour away here); a token given to
/// `set_auth` is used without asking. A join asks it too, once answered (realtime-js
/// `subscribe`'s `ok`: `if (!this.socket._isManualToken()) this.socket.setAuth()`).
#[tokio::test]
async fn set_auth_none_asks_the_provider_at_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use supabase_core::realtime::RealtimeOptions;

    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let token = user_token(&uuid().await).await;
    let options = ClientOptions::default()
        .realtime(RealtimeOptions::default().heartbeat_interval(Duration::from_secs(3600)))
        .access_token(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            let token = token.clone();
            async move { Ok::<_, std::convert::Infallible>(Some(token)) }
        });
    let client = Client::new(stack().await.url(), stack().await.anon_key(), options).unwrap();
    let asked = |n: usize| {
        let calls = Arc::clone(&calls);
        async move {
            crate::eventually(Duration::from_secs(5), || calls.load(Ordering::SeqCst) >= n).await;
            calls.load(Ordering::SeqCst)
        }
    };
    let _channel = client.channel(crate::room()).subscribe().await.unwrap();
    assert_eq!(asked(2).await, 2, "asked at connect and after the join");
    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    client.realtime().set_auth(None);
    assert_eq!(asked(3).await, 3);
}

/// A join sends the token now in use, and first pushes it to the channels already joined
/// when it has changed: they never keep an older token than a newer channel's. Here the
/// provider's new token reaches the client through a REST call (no heartbeat for an hour), and
/// the next join hands it to the joined private channel, which the new user may not read.
#[tokio::test]
async fn a_join_hands_a_changed_token_to_the_joined_channels() {
    use std::time::Duration;
    use supabase_core::realtime::RealtimeOptions;

    let user = uuid().await;
    let token = Arc::new(Mutex::new(Some(user_token(&user).await)));
    let given = Arc::clone(&token);
    let options = ClientOptions::default()
        .realtime(RealtimeOptions::default().heartbeat_interval(Duration::from_secs(3600)))
        .access_token(move || {
            let token = given.lock().unwrap().clone();
            async move { Ok::<_, std::convert::Infallible>(token) }
        });
    let client = Client::new(stack().await.url(), stack().await.anon_key(), options).unwrap();
    let first = client.channel_with(
        format!("private-{user}"),
        ChannelConfig::default().private(true),
    );
    let mut statuses = first.status_stream();
    let _first = first.subscribe().await.unwrap();
    assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);

    *token.lock().unwrap() = Some(user_token(&uuid().await).await);
    // A request asks the provider: the client now holds the new token.
    client
        .table("rt_open")
        .select("id")
        .limit(1)
        .execute()
        .await
        .unwrap();
    let _second = client.channel(crate::room()).subscribe().await.unwrap();
    let (status, err) = next(&mut statuses).await;
    assert_eq!(status, SubscribeStatus::ChannelError);
    crate::assert_read_refused(err.unwrap());
}
