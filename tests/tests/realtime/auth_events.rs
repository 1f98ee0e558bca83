//! The session's token follows auth events into joined channels (supabase-js
//! `_handleTokenChanged`): a refresh pushes `access_token`, and the stand-in's RLS then uses the
//! new token's claims; signing out pushes the API key.

use serde_json::json;
use supabase_core::Client;
use supabase_core::auth::{
    AdminUserAttributes, MemoryStore, SessionStore, SignInWithPasswordCredentials,
};
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

/// The changes of `rt_team` rows of test `run`.
fn team_rows(run: i64) -> PostgresChanges {
    PostgresChanges::schema("public")
        .table("rt_team")
        .filter(format!("run=eq.{run}"))
}

/// The token the client's first join carried.
fn first_join_token(proxy: &WsProxy) -> serde_json::Value {
    proxy.sent_events("phx_join")[0].payload().unwrap()["access_token"].clone()
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
    let signed_in = sign_in(&client, &email).await;

    let channel = client.channel(room());
    let mut rows = channel.postgres_changes_stream(Ev::Insert, team_rows(run));
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

/// A confirmed user of team `team` (in the token's `app_metadata`) with the password
/// "realtime password": their email.
async fn team_member(team: &str) -> String {
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
                .app_metadata(json!({ "team": team })),
        )
        .await
        .unwrap();
    email
}

/// Signs in on `client` as the user `email` made here (password "realtime password").
async fn sign_in(client: &Client, email: &str) -> supabase_core::auth::Session {
    client
        .auth()
        .sign_in_with_password(SignInWithPasswordCredentials::email(
            email,
            "realtime password",
        ))
        .await
        .unwrap()
        .session
        .expect("session")
}

/// A user of team `team` signed in on a throwaway client: the session a restarted app would
/// find in its store, as the stored JSON with its `expires_at` moved to `expires_in` seconds
/// from now.
async fn stored_session(team: &str, expires_in: i64) -> (supabase_core::auth::Session, String) {
    let stack = stack().await;
    let email = team_member(team).await;
    let session = sign_in(
        &Client::new(stack.url(), stack.anon_key(), options()).unwrap(),
        &email,
    )
    .await;
    let mut stored = serde_json::to_value(&session).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    stored["expires_at"] = json!(now + expires_in);
    (session, stored.to_string())
}

/// A client whose store holds `stored` under the key `session`, not refreshing by itself.
async fn restarted_client(proxy: &WsProxy, stored: String) -> Client {
    let store = MemoryStore::new();
    store.set_item("session", stored).await.unwrap();
    let options = options()
        .session_store(store)
        .storage_key("session")
        .auto_refresh_token(false);
    Client::new(&proxy.url, stack().await.anon_key(), options).unwrap()
}

#[tokio::test]
async fn a_stored_session_is_loaded_before_the_first_join() {
    // supabase-js hands realtime `getSession()`'s token, which loads the stored session: an app
    // restarted with one joins as its user, without another auth call first.
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let run = unique_id();
    let (session, stored) = stored_session("violet", 3600).await;
    let client = restarted_client(&proxy, stored).await;
    let channel = client.channel(room());
    let mut rows = channel.postgres_changes_stream(Ev::Insert, team_rows(run));
    channel.subscribe().await.unwrap();
    assert_eq!(
        first_join_token(&proxy),
        session.access_token.expose(),
        "the join carried the stored session's token, not the API key"
    );
    let violet = unique_id();
    insert(run, violet, "violet").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(violet));
}

#[tokio::test]
async fn heartbeats_refresh_a_session_about_to_expire_without_the_refresh_task() {
    // realtime-js asks `getSession()` at every heartbeat, which refreshes a session within 90 s
    // of its expiry: with `auto_refresh_token(false)` channels still get a valid token.
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    // Stale (90 s or less before expiry) one heartbeat interval or two from now.
    let (session, stored) = stored_session("violet", 94).await;
    let client = restarted_client(&proxy, stored).await;
    let channel = client.channel(room());
    channel.subscribe().await.unwrap();
    // Nothing here asks auth (its `get_session` would refresh the session itself): only the
    // socket may.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let in_use = loop {
        let joined_with = first_join_token(&proxy).as_str().unwrap().to_owned();
        // Refreshed at a heartbeat and pushed, or at the connection on a slow host.
        if let Some(pushed) = pushed_tokens(&proxy, channel.topic()).pop() {
            break pushed;
        }
        if joined_with != session.access_token.expose() {
            break joined_with;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no refreshed token reached the channel"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let refreshed = client.auth().get_session().await.unwrap().expect("session");
    assert_eq!(in_use, refreshed.access_token.expose());
    assert_ne!(refreshed.access_token, session.access_token);
    assert!(channel.is_joined());
}

#[tokio::test]
async fn signing_in_while_joined_pushes_the_session_token() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let run = unique_id();
    let email = team_member("green").await;
    // Joined with the API key first.
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let channel = client.channel(room());
    let mut rows = channel.postgres_changes_stream(Ev::Insert, team_rows(run));
    channel.subscribe().await.unwrap();
    assert_eq!(first_join_token(&proxy), stack.anon_key());
    let (green1, public1) = (unique_id(), unique_id());
    insert(run, green1, "green").await;
    insert(run, public1, "public").await;
    assert_eq!(next(&mut rows).await.new["id"], json!(public1));

    let session = sign_in(&client, &email).await;
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

/// Setting the token the channels already have pushes nothing (realtime-js `_performAuth`:
/// `if (this.accessTokenValue != tokenToSend)`); a new one is pushed once.
#[tokio::test]
async fn setting_the_token_a_channel_has_pushes_nothing() {
    let stack = stack().await;
    let proxy = WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), options()).unwrap();
    let token = crate::user_token(&crate::uuid().await).await;
    client.realtime().set_auth(Some(&token));
    let channel = client.channel(room());
    channel.subscribe().await.unwrap();
    client.realtime().set_auth(Some(&token));
    client.realtime().set_auth(Some(&token));
    let newer = crate::user_token(&crate::uuid().await).await;
    client.realtime().set_auth(Some(&newer));
    // The pushes go out in order: once the newer token is seen, the others would be too.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while pushed_tokens(&proxy, channel.topic()).is_empty() && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(pushed_tokens(&proxy, channel.topic()), [newer]);
}

/// Realtime ignores an `access_token` equal to the one the channel has: its policies are not
/// asked again (`handle_in("access_token", …) when refresh_token == access_token`). A new
/// token is checked against them. Spoken over a raw socket.
#[tokio::test]
async fn the_server_ignores_the_token_a_channel_already_has() {
    let topic_name = format!("gate-{}", unique_id());
    let stack = stack().await;
    stack
        .execute_sql(&format!(
            "insert into public.rt_gates values ('{topic_name}')"
        ))
        .await
        .unwrap();
    let token = crate::user_token(&crate::uuid().await).await;
    let mut ws = crate::raw_socket().await;
    let topic = format!("realtime:{topic_name}");
    crate::send_frame(
        &mut ws,
        json!(["1", "1", topic, "phx_join", {"config": {"private": true}, "access_token": token}]),
    )
    .await;
    loop {
        let frame = crate::next_text(&mut ws).await;
        if frame[1] == "1" {
            assert_eq!(frame[4]["status"], "ok", "{frame}");
            break;
        }
    }
    // The gate closes; the same token again changes nothing.
    stack
        .execute_sql(&format!(
            "delete from public.rt_gates where topic = '{topic_name}'"
        ))
        .await
        .unwrap();
    crate::send_frame(
        &mut ws,
        json!(["1", "2", topic, "access_token", {"access_token": token}]),
    )
    .await;
    crate::send_frame(&mut ws, json!([null, "3", "phoenix", "heartbeat", {}])).await;
    let frame = crate::next_text(&mut ws).await;
    assert_eq!(
        (&frame[1], &frame[2]),
        (&json!("3"), &json!("phoenix")),
        "{frame}"
    );
    // Another token is checked: the channel may no longer be read.
    let other = crate::user_token(&crate::uuid().await).await;
    crate::send_frame(
        &mut ws,
        json!(["1", "4", topic, "access_token", {"access_token": other}]),
    )
    .await;
    let system = crate::next_text(&mut ws).await;
    assert_eq!(system[3], "system", "{system}");
    assert!(
        system[4]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("permission"),
        "{system}"
    );
    assert_eq!(crate::next_text(&mut ws).await[3], "phx_close");
}
