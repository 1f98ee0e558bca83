//! What each subscriber's role may see of a change (WALRUS `apply_rls`): only the columns it
//! may select; an error payload, without row data, for a change it cannot identify (no
//! primary key, or a key it may not read); and at subscribe time, a filter only on a column
//! it may read, with a value of the column's type.

use serde_json::{Value, json};
use supabase_core::Error;
use supabase_core::realtime::{PostgresChangeEvent as Ev, PostgresChanges, RealtimeError};
use supabase_tests::unique_id;

use crate::{anon, next, room, stack, user_token, uuid};

fn table(name: &str) -> PostgresChanges {
    PostgresChanges::schema("public").table(name)
}

fn column_names(payload: &supabase_core::realtime::PostgresChangesPayload) -> Vec<&str> {
    payload.columns.iter().map(|c| c.name.as_str()).collect()
}

#[tokio::test]
async fn a_subscriber_sees_only_the_columns_its_role_may_select() {
    let anon_client = anon().await;
    let user_client = anon().await;
    user_client
        .realtime()
        .set_auth(Some(&user_token(&uuid().await).await));
    let a = anon_client.channel(room());
    let mut as_anon = a.postgres_changes_stream(Ev::All, table("rt_columns"));
    let _a = a.subscribe().await.unwrap();
    let u = user_client.channel(room());
    let mut as_user = u.postgres_changes_stream(Ev::All, table("rt_columns"));
    let _u = u.subscribe().await.unwrap();

    let id = unique_id();
    stack()
        .await
        .execute_sql(&format!(
            "insert into public.rt_columns values ({id}, 'shown', 'hidden'); \
             update public.rt_columns set label = 'changed' where id = {id}; \
             delete from public.rt_columns where id = {id};"
        ))
        .await
        .unwrap();

    let insert = next(&mut as_anon).await;
    assert_eq!(insert.new, json!({"id": id, "label": "shown"}));
    assert_eq!(column_names(&insert), ["id", "label"]);
    let update = next(&mut as_anon).await;
    assert_eq!(update.new, json!({"id": id, "label": "changed"}));
    assert_eq!(
        update.old,
        json!({"id": id, "label": "shown"}),
        "FULL identity, cut"
    );
    let delete = next(&mut as_anon).await;
    assert_eq!(delete.old, json!({"id": id, "label": "changed"}));

    let insert = next(&mut as_user).await;
    assert_eq!(insert.new["secret"], "hidden", "authenticated may read it");
    assert_eq!(column_names(&insert), ["id", "label", "secret"]);
}

#[tokio::test]
async fn a_change_the_role_cannot_identify_is_an_error_payload() {
    let client = anon().await;
    let channel = client.channel(room());
    let mut keyless = channel.postgres_changes_stream(Ev::Insert, table("rt_keyless"));
    let mut hidden = channel.postgres_changes_stream(Ev::All, table("rt_hidden_key"));
    // Another selection is another group of the role's subscriptions: its own error payload.
    let mut hidden_label =
        channel.postgres_changes_stream(Ev::All, table("rt_hidden_key").select(["label"]));
    let _channel = channel.subscribe().await.unwrap();

    let id = unique_id();
    stack()
        .await
        .execute_sql(&format!(
            "insert into public.rt_keyless values ('no key'); \
             insert into public.rt_hidden_key values ({id}, 'key hidden'); \
             delete from public.rt_hidden_key where id = {id};"
        ))
        .await
        .unwrap();

    let no_key = next(&mut keyless).await;
    assert_eq!(
        no_key.errors,
        Some(json!(["Error 400: Bad Request, no primary key"]))
    );
    assert_eq!((no_key.new, no_key.columns.len()), (json!({}), 0));

    let unauthorized = next(&mut hidden).await;
    assert_eq!(
        unauthorized.errors,
        Some(json!(["Error 401: Unauthorized"]))
    );
    assert_eq!(unauthorized.new, json!({}));
    assert_eq!(unauthorized.commit_timestamp, "");
    // A DELETE is never refused; its old record shows what the role may select (nothing of
    // the key here).
    let delete = next(&mut hidden).await;
    assert_eq!(delete.errors, None);
    assert_eq!(delete.old, json!({}));
    assert_eq!(column_names(&delete), ["label"]);

    // Each group once: its error, then the delete (not a second error).
    let unauthorized = next(&mut hidden_label).await;
    assert_eq!(
        unauthorized.errors,
        Some(json!(["Error 401: Unauthorized"]))
    );
    assert_eq!(unauthorized.new, json!({}));
    let delete = next(&mut hidden_label).await;
    assert_eq!((delete.errors, delete.old), (None, json!({})));
}

#[derive(supabase_core::prelude::Table, Debug, serde::Deserialize)]
#[supabase(table = "rt_hidden_key")]
#[allow(dead_code)] // decoded, never read
struct RtHiddenKey {
    #[supabase(primary_key)]
    id: i64,
    label: Option<String>,
}

/// A typed listener gets the server's error payload as a change with `errors` and no row,
/// not as a failure to decode the row that is not there.
#[tokio::test]
async fn a_typed_listener_gets_the_error_payload() {
    use supabase_core::realtime::TableChanges;
    let client = anon().await;
    let channel = client.channel(room());
    let mut hidden =
        channel.postgres_changes_stream(Ev::Insert, TableChanges::<RtHiddenKey>::new());
    let _channel = channel.subscribe().await.unwrap();
    let id = unique_id();
    stack()
        .await
        .execute_sql(&format!(
            "insert into public.rt_hidden_key values ({id}, 'key hidden')"
        ))
        .await
        .unwrap();
    let change = next(&mut hidden).await.unwrap();
    assert_eq!(change.errors, Some(json!(["Error 401: Unauthorized"])));
    assert!(change.new.is_none(), "{change:?}");
}

/// The system message `subscribe` reports for `changes`.
async fn refusal(changes: PostgresChanges) -> String {
    let client = anon().await;
    let err = client
        .channel(room())
        .on_postgres_changes(Ev::All, changes, |_| {})
        .subscribe()
        .await
        .unwrap_err();
    match err {
        Error::Realtime(RealtimeError::Channel { message, .. }) => message,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn filters_are_checked_at_subscribe_time_as_the_role() {
    let prefix = "Unable to subscribe to changes with given parameters. An exception happened so please check your connect parameters:";
    let hidden = refusal(table("rt_columns").filter("secret=eq.x")).await;
    assert_eq!(
        hidden,
        format!(
            "{prefix} [event: *, schema: public, table: rt_columns, filters: [{{\"secret\", \"eq\", \"x\", false}}], select: nil]. Exception: ERROR P0001 (raise_exception) invalid column for filter secret"
        )
    );
    let bad_value = refusal(table("rt_columns").filter("id=eq.abc")).await;
    assert!(
        bad_value.starts_with(prefix)
            && bad_value.ends_with(
                "Exception: ERROR 22P02 (invalid_text_representation) invalid input syntax for type bigint: \"abc\""
            ),
        "{bad_value}"
    );
    let many: Vec<String> = (0..101).map(|n| n.to_string()).collect();
    let too_many = refusal(table("rt_columns").filter(format!("id=in.({})", many.join(",")))).await;
    assert!(
        too_many.ends_with("too many values for `in` filter. Maximum 100"),
        "{too_many}"
    );
}

/// Realtime upper-cases the event (`action_filter`), so a lower-case one, as a hand-written
/// client may send, still listens. Spoken over a raw WebSocket; the change frame carries no
/// join ref, as Phoenix fastlane frames do.
#[tokio::test]
async fn a_lower_case_event_still_listens() {
    let stack = stack().await;
    let topic = format!("realtime:{}", room());
    let mut ws = crate::raw_socket().await;
    let join = json!(["1", "1", topic, "phx_join", {
        "config": {"postgres_changes": [{"event": "insert", "schema": "public", "table": "rt_open"}]},
        "access_token": stack.anon_key(),
    }]);
    crate::send_frame(&mut ws, join).await;
    let reply = crate::next_text(&mut ws).await;
    assert_eq!(reply[4]["status"], "ok", "{reply}");
    let system = crate::next_text(&mut ws).await;
    assert_eq!(system[4]["status"], "ok", "{system}");

    let id = unique_id();
    stack
        .execute_sql(&format!(
            "insert into public.rt_open values ({id}, 'lower', 1)"
        ))
        .await
        .unwrap();
    // Other tests insert into `rt_open` too.
    let change = loop {
        let change = crate::next_text(&mut ws).await;
        if change[4]["data"]["record"]["id"] == id {
            break change;
        }
    };
    assert_eq!(
        (&change[0], &change[1], &change[3]),
        (&Value::Null, &Value::Null, &json!("postgres_changes")),
        "{change}"
    );
}
