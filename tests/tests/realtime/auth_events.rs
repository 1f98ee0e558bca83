//! The session's token follows auth events into joined channels (supabase-js
//! `_handleTokenChanged`): a refresh pushes `access_token`, and the stand-in's RLS then uses the
//! new token's claims; signing out pushes the API key.

use serde_json::json;
use supabase_core::Client;
use supabase_core::auth::{AdminUserAttributes, SignInWithPasswordCredentials};
use supabase_core::realtime::{PostgresChangeEvent as Ev, PostgresChanges};
use supabase_tests::unique_id;

use crate::wsproxy::WsProxy;
use crate::{next, options, room, service, stack};

/// The `access_token` values the client pushed on `topic`.
fn pushed_tokens(proxy: &WsProxy, topic: &str) -> Vec<String> {
    proxy
        .sent_events("access_token")
        .iter()
        .filter(|s| match s {
            crate::wsproxy::Sent::Text(serde_json::Value::Array(items)) => items[2] == topic,
            _ => false,
        })
        .filter_map(|s| s.payload()?["access_token"].as_str().map(str::to_owned))
        .collect()
}

/// Inserts a row of test `run` into `rt_team`.
async fn insert(run: i64, id: i64, team: &str) {
    service()
        .await
        .table("rt_team")
        .insert(json!({"id": id, "run": run, "team": team}))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_token_refresh_reaches_joined_channels_and_rls_follows_the_new_claims() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let run = unique_id();
    let admin = service().await;
    let email = format!("rt-{}@example.com", unique_id());
    let user = admin
        .auth()
        .admin()
        .create_user(
            AdminUserAttributes::new()
                .email(&email)
                .password("realtime password")
                .email_confirm(true),
        )
        .await
        .unwrap();
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let signed_in = client
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &email,
            "realtime password",
        ))
        .await
        .unwrap()
        .session
        .expect("session");

    let channel = client.channel(room());
    let mut rows = channel.postgres_changes_stream(
        Ev::Insert,
        PostgresChanges::schema("public")
            .table("rt_team")
            .filter(format!("run=eq.{run}")),
    );
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap();
    next(&mut statuses).await;
    // The join carried the session's token.
    let join = proxy.sent_events("phx_join");
    assert_eq!(
        join.last().unwrap().payload().unwrap()["access_token"],
        signed_in.access_token.expose()
    );

    // Not on team blue yet: its row is hidden, the public one arrives (changes arrive in commit
    // order, so the blue row was skipped).
    let (blue1, public1) = (unique_id(), unique_id());
    insert(run, blue1, "blue").await;
    insert(run, public1, "public").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(public1));

    // An admin puts the user on team blue; the next token says so.
    admin
        .auth()
        .admin()
        .update_user_by_id(
            &user.id,
            AdminUserAttributes::new().app_metadata(json!({"team": "blue"})),
        )
        .await
        .unwrap();
    let refreshed = client
        .auth()
        .refresh_session()
        .await
        .unwrap()
        .session
        .expect("session");
    assert_ne!(refreshed.access_token, signed_in.access_token);
    // A presence round trip on the same socket: the server handles frames in order, so the
    // token pushed before it has been applied when the reply comes.
    channel.track(json!({"sync": 1})).await.unwrap();
    assert_eq!(
        pushed_tokens(&proxy, channel.topic()),
        vec![refreshed.access_token.expose().to_owned()],
        "TOKEN_REFRESHED pushed the new token once"
    );
    let blue2 = unique_id();
    insert(run, blue2, "blue").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(blue2));

    // Signing out goes back to the API key: team rows are hidden again.
    client.auth().sign_out().await.unwrap();
    channel.track(json!({"sync": 2})).await.unwrap();
    assert_eq!(
        pushed_tokens(&proxy, channel.topic())
            .last()
            .map(String::as_str),
        Some(stack.anon_key())
    );
    let (blue3, public2) = (unique_id(), unique_id());
    insert(run, blue3, "blue").await;
    insert(run, public2, "public").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(public2));

    assert!(channel.is_joined());
    assert!(
        statuses.try_recv().is_none(),
        "the channel stayed joined throughout"
    );
}

#[tokio::test]
async fn signing_in_while_joined_pushes_the_session_token() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let run = unique_id();
    let email = format!("rt-{}@example.com", unique_id());
    service()
        .await
        .auth()
        .admin()
        .create_user(
            AdminUserAttributes::new()
                .email(&email)
                .password("realtime password")
                .email_confirm(true)
                .app_metadata(json!({"team": "green"})),
        )
        .await
        .unwrap();
    // Joined with the API key first.
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let channel = client.channel(room());
    let mut rows = channel.postgres_changes_stream(
        Ev::Insert,
        PostgresChanges::schema("public")
            .table("rt_team")
            .filter(format!("run=eq.{run}")),
    );
    channel.subscribe().await.unwrap();
    assert_eq!(
        proxy.sent_events("phx_join")[0].payload().unwrap()["access_token"],
        stack.anon_key()
    );
    let (green1, public1) = (unique_id(), unique_id());
    insert(run, green1, "green").await;
    insert(run, public1, "public").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(public1));

    let session = client
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            &email,
            "realtime password",
        ))
        .await
        .unwrap()
        .session
        .expect("session");
    channel.track(json!({})).await.unwrap();
    assert_eq!(
        pushed_tokens(&proxy, channel.topic()),
        vec![session.access_token.expose().to_owned()],
        "SIGNED_IN pushed the session's token"
    );
    let green2 = unique_id();
    insert(run, green2, "green").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(green2));
    assert!(channel.is_joined());
}

#[tokio::test]
async fn a_token_set_while_a_join_is_in_flight_is_pushed_after_its_reply() {
    // realtime-js pushes a new token to joined channels only; a join already sent carried the
    // old one, so the channel gets the new one as soon as its join is answered.
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    // The socket is open first, so what the stall holds is the join.
    let _open = client.channel(room()).subscribe().await.unwrap();
    let channel = client.channel(room());
    proxy.stall(true);
    // The proxy stalls after the frame it is waiting for: a heartbeat is that frame.
    client.realtime().send_heartbeat();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let subscribing = tokio::spawn({
        let channel = channel.clone();
        async move { channel.subscribe().await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!channel.is_joined());
    let token = crate::user_token(&crate::uuid().await).await;
    client.realtime().set_auth(Some(&token));
    proxy.stall(false);
    subscribing.await.unwrap().expect("joined");

    let join = proxy.sent_events("phx_join");
    let join = join
        .iter()
        .rfind(|j| match j {
            crate::wsproxy::Sent::Text(serde_json::Value::Array(items)) => {
                items[2] == channel.topic()
            }
            _ => false,
        })
        .unwrap();
    assert_eq!(
        join.payload().unwrap()["access_token"],
        stack.anon_key(),
        "the join was sent before set_auth"
    );
    // Pushed before `subscribe()` returns; the proxy records it a moment later.
    for _ in 0..100 {
        if !pushed_tokens(&proxy, channel.topic()).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(pushed_tokens(&proxy, channel.topic()), [token]);
    for (_, left) in client.realtime().remove_all_channels().await {
        left.unwrap();
    }
}
