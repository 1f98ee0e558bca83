//! Broadcast from Database: `realtime.send` and `realtime.broadcast_changes` in SQL reach the
//! subscribers of the topic, with the message's id in `meta`; a private message needs the
//! sender's RLS insert policy on `realtime.messages`.

use serde_json::{Value, json};
use supabase_core::realtime::ChannelConfig;

use crate::{anon, next, room, stack, user_token, uuid};

/// The message's id, which `realtime.send` also puts in the payload.
fn message_id(payload: &Value, meta: Option<&Value>) -> String {
    let id = payload["id"].as_str().expect("payload.id").to_owned();
    assert_eq!(
        meta,
        Some(&json!({"id": id})),
        "meta.id is the payload's id"
    );
    id
}

#[tokio::test]
async fn realtime_send_reaches_the_topic_public_or_private() {
    let name = room();
    let (_client, mut heard) = crate::listener(&name).await;

    // `private` defaults to true: that message goes to the private topic of the same name,
    // which this public channel does not hear. Notifications come in commit order, so the
    // public one arriving first proves the private one was not sent here.
    stack()
        .await
        .execute_sql(&format!(
            "select realtime.send('{{\"n\": 1}}', 'private-note', '{name}'); \
             select realtime.send('{{\"n\": 2}}', 'note', '{name}', false);"
        ))
        .await
        .unwrap();
    let got = next(&mut heard).await;
    assert_eq!(got.event, "note");
    assert_eq!(got.payload["n"], 2);
    let id = message_id(&got.payload, got.meta.as_ref());
    let stored = stack()
        .await
        .query_json(&format!(
            "select event, private from realtime.messages where id = '{id}'"
        ))
        .await
        .unwrap();
    assert_eq!(stored, json!([{"event": "note", "private": false}]));

    // A payload with its own id keeps it.
    stack()
        .await
        .execute_sql(&format!(
            "select realtime.send('{{\"id\": \"mine\"}}', 'note', '{name}', false)"
        ))
        .await
        .unwrap();
    let got = next(&mut heard).await;
    assert_eq!(got.payload, json!({"id": "mine"}));
    assert!(got.meta.is_some_and(|m| m["id"] != "mine"));
}

#[tokio::test]
async fn broadcast_changes_in_a_trigger_reaches_the_owners_private_channel() {
    let user = uuid().await;
    let client = anon().await;
    client.realtime().set_auth(Some(&user_token(&user).await));
    let channel = client.channel_with(
        format!("private-{user}"),
        ChannelConfig::default().private(true),
    );
    let mut heard = channel.broadcast_stream("*");
    let _channel = channel
        .subscribe()
        .await
        .expect("the owner may read the topic");

    let id = supabase_tests::unique_id();
    let db = stack().await;
    db.execute_sql(&format!(
        "insert into public.rt_notes values ({id}, '{user}', 'first'); \
         update public.rt_notes set body = 'second' where id = {id}; \
         delete from public.rt_notes where id = {id};"
    ))
    .await
    .unwrap();
    let insert = next(&mut heard).await;
    assert_eq!(insert.event, "INSERT");
    message_id(&insert.payload, insert.meta.as_ref());
    let record = json!({"id": id, "owner": user, "body": "first"});
    assert_eq!(insert.payload["operation"], "INSERT");
    assert_eq!(
        (&insert.payload["schema"], &insert.payload["table"]),
        (&json!("public"), &json!("rt_notes"))
    );
    assert_eq!(insert.payload["record"], record);
    assert_eq!(insert.payload["old_record"], Value::Null);

    let update = next(&mut heard).await;
    assert_eq!(update.event, "UPDATE");
    assert_eq!(update.payload["record"]["body"], "second");
    assert_eq!(update.payload["old_record"], record);

    let delete = next(&mut heard).await;
    assert_eq!(delete.event, "DELETE");
    assert_eq!(delete.payload["record"], Value::Null);
    assert_eq!(delete.payload["old_record"]["body"], "second");

    // A statement-level call is refused, as Realtime's function does.
    let err = db
        .execute_sql(
            "select realtime.broadcast_changes('t', 'e', 'INSERT', 'x', 'public', null::record, null::record, 'STATEMENT')",
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("can only be triggered for each row"),
        "{err}"
    );
}

/// `realtime.send` runs as its caller: a user's message to a private topic is stored and sent
/// only where the RLS insert policies let them write, and a refused one is a warning, not the
/// caller's error.
#[tokio::test]
async fn a_users_private_message_needs_their_write_policy() {
    let (user, other) = (uuid().await, uuid().await);
    let client = anon().await;
    let token = user_token(&user).await;
    client.realtime().set_auth(Some(&token));
    let channel = client.channel_with(
        format!("private-{user}"),
        ChannelConfig::default().private(true),
    );
    let mut heard = channel.broadcast_stream("note");
    let _channel = channel.subscribe().await.expect("subscribed");

    // A client whose requests carry the user's token (a global `Authorization` wins).
    let caller = supabase_core::Client::new(
        stack().await.url(),
        stack().await.anon_key(),
        crate::options().header("Authorization", format!("Bearer {token}")),
    )
    .unwrap();
    let as_user = |topic: String| caller.rpc("rt_send", json!({"topic": topic, "body": "hi"}));
    as_user(format!("private-{other}"))
        .await
        .expect("a refused send is not the caller's error");
    as_user(format!("private-{user}")).await.expect("allowed");
    let got = next(&mut heard).await;
    assert_eq!(got.payload["body"], "hi");
    let stored = stack()
        .await
        .query_json(&format!(
            "select count(*) as n from realtime.messages where topic = 'private-{other}' and payload is not null"
        ))
        .await
        .unwrap();
    assert_eq!(
        stored,
        json!([{"n": 0}]),
        "nothing stored for the other user's topic"
    );
}

/// A join is decided by the policies on its own probe rows, as Realtime reads back only those:
/// messages the topic has stored (here one a policy would show) do not admit it.
#[tokio::test]
async fn stored_messages_do_not_admit_a_join() {
    let topic = format!("news-{}", supabase_tests::unique_id());
    stack()
        .await
        .execute_sql(&format!(
            "select realtime.send('{{\"n\": 1}}', 'news', '{topic}')"
        ))
        .await
        .unwrap();
    let client = anon().await;
    client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    let err = client
        .channel_with(&topic, ChannelConfig::default().private(true))
        .subscribe()
        .await
        .unwrap_err();
    crate::assert_read_refused(&err);
}
