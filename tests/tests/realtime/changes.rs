use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

use rust_decimal::Decimal;
use supabase_core::postgrest::{Condition, Op};
use supabase_core::prelude::*;
use supabase_core::realtime::{
    ChannelConfig, PostgresChangeEvent as Ev, PostgresChanges, RealtimeError, RealtimeOptions,
    SubscribeStatus, TableChanges, Vsn,
};
use supabase_core::types::Pg;
use supabase_core::{Client, ClientOptions, Error};
use supabase_tests::unique_id;

use crate::{anon, next, room, service, stack, user_token, uuid};

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "rt_open")]
struct RtOpen {
    #[supabase(primary_key)]
    id: i64,
    label: String,
    qty: Option<i32>,
}

async fn insert_open(id: i64, label: &str, qty: i32) {
    service()
        .await
        .table("rt_open")
        .insert(json!({"id": id, "label": label, "qty": qty}))
        .await
        .expect("insert");
}

#[tokio::test]
async fn inserts_updates_and_deletes_through_postgrest_arrive_with_filters() {
    let client = anon().await;
    let (id, id2, id3) = (unique_id(), unique_id(), unique_id());
    let open = || PostgresChanges::schema("public").table("rt_open");
    let channel = client.channel(room());
    let mut all = channel.postgres_changes_stream(Ev::All, open().filter(format!("id=eq.{id}")));
    let mut inserts =
        channel.postgres_changes_stream(Ev::Insert, open().filter(format!("id=in.({id},{id2})")));
    let mut updates =
        channel.postgres_changes_stream(Ev::Update, open().filter(format!("id=eq.{id}")));
    let mut deletes =
        channel.postgres_changes_stream(Ev::Delete, open().filter(format!("id=eq.{id}")));
    channel.subscribe().await.expect("subscribed");

    insert_open(id3, "not matched", 0).await; // no binding's filter matches
    insert_open(id, "first", 1).await;
    let c = next(&mut all).await;
    assert_eq!(
        (c.event_type, c.schema.as_str(), c.table.as_str()),
        (Ev::Insert, "public", "rt_open")
    );
    assert_eq!(c.new, json!({"id": id, "label": "first", "qty": 1}));
    assert_eq!(c.old, json!({}));
    assert!(
        c.columns
            .iter()
            .any(|col| col.name == "qty" && col.type_ == "int4")
    );
    assert!(!c.commit_timestamp.is_empty());
    assert_eq!(
        next(&mut inserts).await.new["id"],
        json!(id),
        "the filtered-out row must not come first"
    );

    let svc = service().await;
    svc.table("rt_open")
        .update(json!({"qty": 2}))
        .eq("id", id)
        .await
        .unwrap();
    let u = next(&mut updates).await;
    assert_eq!((u.event_type, &u.new["qty"]), (Ev::Update, &json!(2)));
    assert_eq!(
        u.old,
        json!({"id": id}),
        "default replica identity: the old record is the key"
    );
    assert_eq!(next(&mut all).await.event_type, Ev::Update);

    svc.table("rt_open").delete().eq("id", id).await.unwrap();
    let d = next(&mut deletes).await;
    assert_eq!(
        (d.event_type, &d.old, &d.new),
        (Ev::Delete, &json!({"id": id}), &json!({}))
    );
    assert_eq!(next(&mut all).await.event_type, Ev::Delete);

    // Schema-wide listener (`schema="*"` in the reference) sees the table too.
    let wide = client.channel(room());
    let mut everything = wide.postgres_changes_stream(Ev::All, PostgresChanges::schema("*"));
    wide.subscribe().await.unwrap();
    insert_open(id2, "second", 3).await;
    assert_eq!(next(&mut inserts).await.new["id"], json!(id2));
    loop {
        let c = next(&mut everything).await;
        if c.table == "rt_open" && c.new["id"] == json!(id2) {
            break;
        }
    }
}

#[tokio::test]
async fn typed_changes_decode_into_the_table_struct_with_typed_filters() {
    let client = anon().await;
    let id = unique_id();
    let channel = client.channel(room());
    let mut typed =
        channel.postgres_changes_stream(Ev::All, TableChanges::<RtOpen>::new().eq(rt_open::id, id));
    let mut big = channel.postgres_changes_stream(
        Ev::Insert,
        TableChanges::<RtOpen>::new().gte(rt_open::qty, 10),
    );
    // A typed filter as queries take it: the same.
    let mut big_too = channel.postgres_changes_stream(
        Ev::Insert,
        TableChanges::<RtOpen>::new().filter(rt_open::qty.gte(10)),
    );
    channel.subscribe().await.unwrap();

    insert_open(id, "typed", 7).await;
    let change = next(&mut typed).await.expect("decodes");
    assert_eq!(change.event_type, Ev::Insert);
    assert_eq!(
        change.new,
        Some(RtOpen {
            id,
            label: "typed".into(),
            qty: Some(7)
        })
    );
    assert_eq!(change.old, None);

    let big_id = unique_id();
    insert_open(big_id, "big", 12).await;
    for big in [&mut big, &mut big_too] {
        // Other tests' rows may pass `gte.10` too (the filter is not this test's alone); the
        // qty=7 row, committed first, would come before ours.
        loop {
            let change = next(big).await.expect("decodes").new.expect("a row");
            assert_ne!(change.id, id, "qty=7 must not pass gte.10");
            if change.id == big_id {
                assert_eq!(change.qty, Some(12));
                break;
            }
        }
    }

    service()
        .await
        .table("rt_open")
        .delete()
        .eq("id", id)
        .await
        .unwrap();
    let change = next(&mut typed).await.expect("decodes");
    assert_eq!((change.event_type, change.new), (Ev::Delete, None));
    assert_eq!(change.old_record.get("id"), Some(&json!(id)));
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "rt_amounts")]
struct RtAmount {
    #[supabase(primary_key)]
    id: i64,
    amount: Pg<Decimal>,
}

/// A `numeric` wider than an `f64` reaches a typed listener with every digit, in the new and
/// the old record, as Postgres wrote them (and as Realtime relays them).
#[tokio::test]
async fn typed_records_keep_every_digit_of_a_numeric() {
    let id = unique_id();
    let channel = anon().await.channel(room());
    let mut changes = channel.postgres_changes_stream(
        Ev::All,
        TableChanges::<RtAmount>::new().eq(rt_amount::id, id),
    );
    channel.subscribe().await.unwrap();
    // 28 significant digits, and a scale an f64 cannot show.
    let wide: Decimal = "12345678901234567890.12345678".parse().unwrap();
    let small: Decimal = "0.1000000000000000000000000001".parse().unwrap();
    let table = || async { service().await.table("rt_amounts") };
    table()
        .await
        .insert(json!({"id": id, "amount": wide.to_string()}))
        .await
        .unwrap();
    let inserted = next(&mut changes).await.expect("decodes");
    assert_eq!(inserted.new.map(|r| *r.amount), Some(wide));

    table()
        .await
        .update(json!({"amount": small.to_string()}))
        .eq("id", id)
        .await
        .unwrap();
    let updated = next(&mut changes).await.expect("decodes");
    assert_eq!(updated.new.map(|r| *r.amount), Some(small));
    assert_eq!(
        updated.old.map(|r| *r.amount),
        Some(wide),
        "the old row, in full"
    );
}

/// Several clauses on one listener all hold, whatever operators they use, and values with
/// commas, quotes and parentheses survive: typed, through `where_`, and as raw text.
#[tokio::test]
async fn several_clauses_all_hold_and_any_value_survives() {
    let client = anon().await;
    let uid = unique_id();
    let tag = format!("t{uid}, \"q\" (p)");
    let other = format!("x{uid}");
    let channel = client.channel(room());
    let mut typed = channel.postgres_changes_stream(
        Ev::Insert,
        TableChanges::<RtOpen>::new()
            .eq(rt_open::label, tag.as_str())
            .filter(rt_open::qty.gt(5).and(!rt_open::qty.in_([7, 8]))),
    );
    let mut conditions = channel.postgres_changes_stream(
        Ev::Insert,
        PostgresChanges::schema("public")
            .table("rt_open")
            .where_(Condition::and([
                Condition::new("label", Op::In, [tag.as_str(), "y"]),
                Condition::new("qty", Op::Gte, 9),
            ])),
    );
    let mut patterns = channel.postgres_changes_stream(
        Ev::Insert,
        TableChanges::<RtOpen>::new()
            .filter(rt_open::label.like(&format!("t{uid},%")))
            .filter(rt_open::label.match_(&format!("^t{uid}, ")))
            .filter(rt_open::qty.is_distinct(3)),
    );
    let mut raw = channel.postgres_changes_stream(
        Ev::Insert,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("label=imatch.\"^T{uid}, \",qty=not.is.null")),
    );
    channel.subscribe().await.unwrap();

    let ids = [unique_id(), unique_id(), unique_id(), unique_id()];
    insert_open(ids[0], &tag, 3).await;
    insert_open(ids[1], &tag, 7).await;
    insert_open(ids[2], &other, 10).await;
    insert_open(ids[3], &tag, 10).await;
    let id = |change: Result<supabase_core::realtime::PostgresChange<RtOpen>, RealtimeError>| {
        change.unwrap().new.unwrap().id
    };
    // Each stream's first change is the first row that passes: the rows before it did not.
    assert_eq!(id(next(&mut typed).await), ids[3]);
    assert_eq!(next(&mut conditions).await.new["id"], json!(ids[3]));
    assert_eq!(id(next(&mut patterns).await), ids[1]);
    assert_eq!(id(next(&mut patterns).await), ids[3]);
    for expected in [ids[0], ids[1], ids[3]] {
        assert_eq!(next(&mut raw).await.new["id"], json!(expected));
    }

    // A DELETE is filtered on the old row's identity (here the key alone): a clause on another
    // column fails, even one a missing value would pass (`is.null`), as Realtime's
    // `is_visible_through_filters` checks the column is there.
    let (c, d) = (unique_id(), unique_id());
    let mut nulls = channel_of(
        &client,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=in.({c},{d}),qty=is.null")),
    )
    .await;
    let svc = service().await;
    for id in [c, d] {
        svc.table("rt_open")
            .insert(json!({"id": id, "label": "nulls", "qty": null}))
            .await
            .unwrap();
        svc.table("rt_open").delete().eq("id", id).await.unwrap();
    }
    for id in [c, d] {
        let change = next(&mut nulls).await;
        assert_eq!(
            (change.event_type, &change.new["id"]),
            (Ev::Insert, &json!(id))
        );
    }

    // What Realtime cannot express is refused before anything is sent…
    for filter in [
        rt_open::id.eq(1).or(rt_open::id.eq(2)),
        !(rt_open::id.eq(1).and(rt_open::qty.eq(2))),
        rt_open::label.text_search("x", Default::default()),
    ] {
        let err = refused(&client, TableChanges::<RtOpen>::new().filter(filter)).await;
        assert!(
            matches!(&err, Error::Realtime(RealtimeError::Filter(m)) if m.contains("Realtime filters")),
            "{err:?}"
        );
    }
    // …and what the server refuses comes back with its reason.
    let open = || PostgresChanges::schema("public").table("rt_open");
    for (filter, reason) in [
        (
            "qty=foo.1",
            r#"Error parsing `filter` params: ["foo", "1"]"#,
        ),
        (
            "qty=eq.1,,id=eq.2",
            "filter must not contain empty segments",
        ),
        (
            "qty=is.true",
            "is true filter requires a boolean column, got integer",
        ),
        (
            "label=match.(",
            "invalid regular expression for match filter",
        ),
        ("nope=eq.1", "invalid column for filter nope"),
    ] {
        let err = refused(&client, open().filter(filter)).await;
        assert!(
            matches!(&err, Error::Realtime(RealtimeError::Channel { message, .. }) if message.contains(reason)),
            "{filter}: {err:?}"
        );
    }
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = RtOpen)]
struct OpenLabel {
    id: i64,
    label: String,
}

#[derive(Select, Debug, PartialEq, Deserialize)]
#[supabase(from = RtOpen)]
struct OpenRenamed {
    #[supabase(column = label)]
    title: String,
}

/// `select`: only the selected columns and the primary key reach the listener, in the records
/// and the column list, while filters still test any column; listeners of one channel with
/// different selections each get their own shape of the same change.
#[tokio::test]
async fn selected_columns_and_the_key_are_all_a_listener_gets() {
    let client = anon().await;
    let id = unique_id();
    let channel = client.channel(room());
    let mut labels = channel.postgres_changes_stream(
        Ev::All,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id},qty=gt.5"))
            .select(["label"]),
    );
    let mut typed = channel.postgres_changes_stream(
        Ev::All,
        TableChanges::<RtOpen>::new()
            .eq(rt_open::id, id)
            .select_as::<OpenLabel>(),
    );
    let mut everything = channel.postgres_changes_stream(
        Ev::All,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id}")),
    );
    channel.subscribe().await.unwrap();

    insert_open(id, "selected", 7).await;
    let change = next(&mut labels).await;
    assert_eq!(change.new, json!({"id": id, "label": "selected"}));
    let names: Vec<&str> = change.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "label"]);
    let change = next(&mut typed).await.expect("decodes");
    assert_eq!(
        change.new,
        Some(OpenLabel {
            id,
            label: "selected".into()
        })
    );
    let change = next(&mut everything).await;
    assert_eq!(
        change.new["qty"],
        json!(7),
        "the unselected column, elsewhere"
    );
    assert_eq!(change.columns.len(), 3);

    // Refused before sending: a projection that is not plain columns.
    let err = refused(
        &client,
        TableChanges::<RtOpen>::new().select_as::<OpenRenamed>(),
    )
    .await;
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::Filter(m)) if m.contains("title:label")),
        "{err:?}"
    );
    // Refused by the server, with its reasons.
    for (changes, reason) in [
        (
            PostgresChanges::schema("public").select(["id"]),
            "Column selection is not supported for wildcard subscriptions",
        ),
        (
            PostgresChanges::schema("public")
                .table("rt_open")
                .select(["label", "nope"]),
            "invalid column for select nope",
        ),
    ] {
        let err = refused(&client, changes).await;
        assert!(
            matches!(&err, Error::Realtime(RealtimeError::Channel { message, .. }) if message.contains(reason)),
            "{reason}: {err:?}"
        );
    }
}

/// `postgres_changes_wait`: the server subscribes the listeners before it answers the join, so
/// a subscription it cannot make refuses the join itself, while one it makes works as ever.
#[tokio::test]
async fn waiting_for_the_listeners_makes_a_refused_subscription_a_refused_join() {
    let client = anon().await;
    let waiting = || ChannelConfig::default().postgres_changes_wait(Duration::from_secs(5));
    let id = unique_id();
    let channel = client.channel_with(room(), waiting());
    let mut changes = channel.postgres_changes_stream(
        Ev::Insert,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id}")),
    );
    channel.subscribe().await.unwrap();
    insert_open(id, "waited", 1).await;
    assert_eq!(next(&mut changes).await.new["id"], json!(id));

    let channel = client.channel_with(room(), waiting()).on_postgres_changes(
        Ev::All,
        PostgresChanges::schema("public").table("no_such_table"),
        |_| {},
    );
    let err = channel.subscribe().await.expect_err("refused");
    assert!(
        matches!(&err, Error::Realtime(RealtimeError::JoinRefused { reason, .. })
            if reason.starts_with("RealtimeDisabledForConfiguration: Unable to subscribe to changes")),
        "{err:?}"
    );
    // (A refused join is tried again: the channel is removed to stop that.)
    client.remove_channel(&channel).await.unwrap();
}

/// A subscribed channel's stream of every change `changes` lets through.
async fn channel_of(
    client: &Client,
    changes: PostgresChanges,
) -> supabase_core::realtime::EventStream<supabase_core::realtime::PostgresChangesPayload> {
    let channel = client.channel(room());
    let stream = channel.postgres_changes_stream(Ev::All, changes);
    channel.subscribe().await.unwrap();
    stream
}

/// The error `subscribe` gives a channel listening to `changes`.
async fn refused<C: supabase_core::realtime::Changes>(client: &Client, changes: C) -> Error {
    client
        .channel(room())
        .on_postgres_changes(Ev::All, changes, |_| {})
        .subscribe()
        .await
        .unwrap_err()
}

#[test]
fn typed_filters_render_in_realtimes_syntax() {
    use supabase_core::realtime::Changes;
    let new = TableChanges::<RtOpen>::new;
    let filter = |c: TableChanges<RtOpen>| json!(c.params(Ev::All).unwrap().filter());
    for text in ["Mars", "a.b c:d", "it's", "null", "100%"] {
        assert_eq!(
            filter(new().eq(rt_open::label, text)),
            json!(format!("label=eq.{text}"))
        );
    }
    // Quoted where Realtime's parser would split, trim or unquote, as supabase-js quotes.
    for (text, quoted) in [
        ("a,b", r#""a,b""#),
        ("x(y)", r#""x(y)""#),
        ("\"q\"", r#""\"q\"""#),
        ("\\", r#""\\""#),
        (" padded", r#"" padded""#),
    ] {
        assert_eq!(
            filter(new().eq(rt_open::label, text)),
            json!(format!("label=eq.{quoted}"))
        );
    }
    assert_eq!(
        filter(
            new()
                .filter(rt_open::qty.lt(3).and(!rt_open::label.like("x%")))
                .in_(rt_open::label, ["a,b", "c"])
                .filter(rt_open::qty.is_not_null())
        ),
        json!(r#"qty=lt.3,label=not.like.x%,label=in.("a,b","c"),qty=not.is.null"#)
    );
    assert_eq!(
        filter(new().filter(rt_open::qty.eq(3))),
        filter(new().eq(rt_open::qty, 3))
    );
    assert_eq!(new().params(Ev::All).unwrap().filter(), None);
}

#[tokio::test]
async fn delivery_honours_rls_per_subscriber() {
    let (alice, bob) = (uuid().await, uuid().await);
    let alice_client = anon().await;
    alice_client
        .realtime()
        .set_auth(Some(&user_token(&alice).await));
    let anon_client = anon().await;
    let items = || PostgresChanges::schema("public").table("rt_items");
    let open = || PostgresChanges::schema("public").table("rt_open");

    let a = alice_client.channel(room());
    let mut a_items = a.postgres_changes_stream(Ev::Insert, items());
    a.subscribe().await.unwrap();
    let n = anon_client.channel(room());
    let mut n_items = n.postgres_changes_stream(Ev::Insert, items());
    let mut n_open = n.postgres_changes_stream(Ev::Insert, open());
    n.subscribe().await.unwrap();

    let (id, id2, marker) = (unique_id(), unique_id(), unique_id());
    let svc = service().await;
    svc.table("rt_items")
        .insert(json!({"id": id, "owner": bob, "label": "bob's"}))
        .await
        .unwrap();
    svc.table("rt_items")
        .insert(json!({"id": id2, "owner": alice, "label": "alice's"}))
        .await
        .unwrap();
    let first = next(&mut a_items).await;
    assert_eq!(
        first.new["label"], "alice's",
        "alice must not see bob's row"
    );

    // Changes are delivered in order: once anon sees the later open row, it would have seen
    // the protected rows.
    insert_open(marker, "marker", 0).await;
    loop {
        if next(&mut n_open).await.new["id"] == json!(marker) {
            break;
        }
    }
    assert!(n_items.try_recv().is_none(), "anon sees no protected row");
}

#[tokio::test]
async fn a_table_outside_the_publication_fails_subscribe_with_a_channel_error() {
    // With both serializers (the server's word on the subscription is a JSON object in 1.0.0,
    // an array in 2.0.0).
    for vsn in [Vsn::V2, Vsn::V1] {
        let stack = stack().await;
        let realtime = RealtimeOptions::default()
            .vsn(vsn)
            .timeout(Duration::from_secs(5));
        let options = ClientOptions::default().realtime(realtime);
        let client = Client::new(stack.url(), stack.anon_key(), options).unwrap();
        let published = PostgresChanges::schema("public").table("rt_open");
        let fine =
            client
                .channel(room())
                .on_postgres_changes(Ev::Insert, published.clone(), |_| {});
        fine.subscribe().await.expect("subscribed");

        // With a listener on a published table too: Realtime refuses a join's listeners
        // together.
        let channel = client
            .channel(room())
            .on_postgres_changes(Ev::Insert, published, |_| {})
            .on_postgres_changes(
                Ev::All,
                PostgresChanges::schema("public").table("no_such_table"),
                |_| {},
            );
        let mut statuses = channel.status_stream();
        let err = channel.subscribe().await.expect_err("refused");
        let Error::Realtime(err) = err else {
            panic!("{err:?}")
        };
        let RealtimeError::Channel {
            extension, message, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(extension, "postgres_changes");
        assert!(
            message.contains("Unable to subscribe to changes"),
            "{message}"
        );
        assert!(message.contains("no_such_table"), "{message}");
        // The statuses are realtime-js's: the join itself succeeded, then the system message
        // reported the refusal.
        assert_eq!(next(&mut statuses).await.0, SubscribeStatus::Subscribed);
        let (status, reported) = next(&mut statuses).await;
        assert_eq!(status, SubscribeStatus::ChannelError);
        assert_eq!(reported.as_ref(), Some(&err));
        // Asked again, the joined channel gives the server's word on that join again.
        let again = channel.subscribe().await.expect_err("still refused");
        assert!(matches!(again, Error::Realtime(e) if e == err));
        for (_, left) in client.realtime().remove_all_channels().await {
            left.unwrap();
        }
    }
}

// On two threads: the old connection's task then closes while the new one opens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_subscribed_one_after_another_each_get_the_next_insert() {
    // `subscribe()` returns once the server confirmed the changes subscription ("Subscribed to
    // PostgreSQL"), so an insert made right after it is delivered. (The stand-in matches a
    // change with the listeners bound when it processes the change, as Realtime's poller does,
    // so this half would pass without the wait too.) Removing the last channel closes the
    // socket and the next `subscribe()` opens a new one, which the old one, still closing,
    // must not take down: that failed 2 runs in 4 before the fix (`NotConnected
    // ("disconnected")`).
    let client = anon().await;
    for round in 0..40 {
        let channel = client.channel(room());
        let mut changes = channel.postgres_changes_stream(
            Ev::Insert,
            PostgresChanges::schema("public").table("rt_open"),
        );
        channel
            .subscribe()
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        let id = unique_id();
        // qty 5: not caught by the filters of tests running beside this one.
        insert_open(id, "right after subscribe", 5).await;
        while next(&mut changes).await.new["id"] != json!(id) {}
        client.realtime().remove_channel(&channel).await.unwrap();
    }
}

/// WALRUS's old record: the whole previous row under `REPLICA IDENTITY FULL` for an UPDATE even
/// with RLS on; only a DELETE on an RLS table is cut to the primary key.
#[tokio::test]
async fn an_update_under_full_replica_identity_carries_the_old_row_even_with_rls() {
    let client = anon().await;
    let id = unique_id();
    let full = || {
        PostgresChanges::schema("public")
            .table("rt_full")
            .filter(format!("id=eq.{id}"))
    };
    let channel = client.channel(room());
    let mut updates = channel.postgres_changes_stream(Ev::Update, full());
    let mut deletes = channel.postgres_changes_stream(Ev::Delete, full());
    channel.subscribe().await.expect("subscribed");
    let svc = service().await;
    svc.table("rt_full")
        .insert(json!({"id": id, "label": "before", "qty": 1}))
        .await
        .unwrap();
    svc.table("rt_full")
        .update(json!({"label": "after"}))
        .eq("id", id)
        .await
        .unwrap();
    let u = next(&mut updates).await;
    assert_eq!(u.old, json!({"id": id, "label": "before", "qty": 1}));
    assert_eq!(u.new["label"], "after");
    svc.table("rt_full").delete().eq("id", id).await.unwrap();
    assert_eq!(next(&mut deletes).await.old, json!({"id": id}));
}

/// A table without RLS delivers every change, as WALRUS (it looks rows up only for RLS
/// tables): an insert, update and delete in one transaction all arrive, although the row is
/// gone before the first is delivered.
#[tokio::test]
async fn a_table_without_rls_delivers_changes_to_a_row_already_gone() {
    let client = anon().await;
    let id = unique_id();
    let channel = client.channel(room());
    let mut all = channel.postgres_changes_stream(
        Ev::All,
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id}")),
    );
    channel.subscribe().await.expect("subscribed");
    stack()
        .await
        .execute_sql(&format!(
            "begin; insert into public.rt_open (id, label, qty) values ({id}, 'brief', 1); \
             update public.rt_open set qty = 2 where id = {id}; \
             delete from public.rt_open where id = {id}; commit;"
        ))
        .await
        .unwrap();
    let kinds = [
        next(&mut all).await.event_type,
        next(&mut all).await.event_type,
        next(&mut all).await.event_type,
    ];
    assert_eq!(kinds, [Ev::Insert, Ev::Update, Ev::Delete]);
}

/// A dropped stream's binding is not joined again: the next join (here made by a new
/// listener) subscribes only the listeners still heard, and they still get their changes.
#[tokio::test]
async fn a_dropped_stream_is_left_out_of_the_next_join() {
    let stack = stack().await;
    let proxy = crate::wsproxy::WsProxy::start(&stack.url()).await;
    let client = Client::new(&proxy.url, stack.anon_key(), crate::options()).unwrap();
    let id = unique_id();
    let open = || {
        PostgresChanges::schema("public")
            .table("rt_open")
            .filter(format!("id=eq.{id}"))
    };
    let channel = client.channel(room());
    let mut kept = channel.postgres_changes_stream(Ev::Insert, open());
    let dropped = channel.postgres_changes_stream(Ev::Insert, open());
    let mut statuses = channel.status_stream();
    channel.subscribe().await.unwrap();
    drop(dropped);
    let mut added = channel.postgres_changes_stream(Ev::Insert, open());
    while next(&mut statuses).await.0 != SubscribeStatus::Subscribed {}
    while next(&mut statuses).await.0 != SubscribeStatus::Subscribed {}

    let joins = proxy.sent_events("phx_join");
    let bindings = |i: usize| joins[i].payload().unwrap()["config"]["postgres_changes"].clone();
    assert_eq!(joins.len(), 2, "{joins:?}");
    assert_eq!(bindings(0).as_array().unwrap().len(), 2);
    assert_eq!(bindings(1).as_array().unwrap().len(), 2, "{}", bindings(1));
    insert_open(id, "heard", 1).await;
    assert_eq!(next(&mut kept).await.new["label"], "heard");
    assert_eq!(next(&mut added).await.new["label"], "heard");
}
