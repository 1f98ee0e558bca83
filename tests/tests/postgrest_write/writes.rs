//! "Create data", "Modify data", "Upsert data", "Delete data".

use serde_json::{Value, json};
use supabase_core::Error;
use supabase_core::postgrest::{Count, Explain, Returning};
use supabase_tests::{anon, reference_stack, sorted_strings, unique_id};

async fn db(sql: &str) -> Value {
    reference_stack().await.query_json(sql).await.unwrap()
}

#[tokio::test]
async fn create_a_record() {
    let id = unique_id();
    let resp = anon()
        .await
        .table("planets")
        .insert(json!({"id": id, "name": "Pluto"}))
        .await
        .unwrap();
    assert_eq!(resp.status.as_u16(), 201);
    assert_eq!(
        resp.data,
        json!([{"id": id, "name": "Pluto", "moons": null}])
    );
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([{"name": "Pluto"}])
    );
}

#[tokio::test]
async fn bulk_create() {
    let (a, b) = (unique_id(), unique_id());
    let builder = anon()
        .await
        .table("characters")
        .insert(json!([{"id": a, "name": "Frodo"}, {"id": b, "name": "Sam"}]));
    assert!(
        builder
            .build()
            .unwrap()
            .path_and_query()
            .contains(r#"columns="id","name""#),
        "bulk inserts name their columns"
    );
    let rows = builder.await.unwrap().data;
    assert_eq!(sorted_strings(&rows, "name"), ["Frodo", "Sam"]);
    let stored = db(&format!(
        "select name from characters where id in ({a}, {b})"
    ))
    .await;
    assert_eq!(sorted_strings(&stored, "name"), ["Frodo", "Sam"]);
}

#[tokio::test]
async fn bulk_insert_with_missing_keys_uses_defaults_only_when_asked() {
    let (a, b) = (unique_id(), unique_id());
    let rows = json!([{"id": a, "label": "x"}, {"id": b, "label": "y", "status": "done"}]);
    // By default a missing key is NULL, which `status not null` rejects: nothing is written.
    let err = anon()
        .await
        .table("scratch")
        .insert(&rows)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Postgrest(ref e) if e.code.as_deref() == Some("23502")),
        "{err:?}"
    );
    assert_eq!(
        db(&format!("select id from scratch where id in ({a}, {b})")).await,
        json!([])
    );

    let written = anon()
        .await
        .table("scratch")
        .insert(&rows)
        .default_to_null(false)
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&written, "status"), ["done", "new"]);
}

#[tokio::test]
async fn insert_with_count_minimal_and_select() {
    let (a, b) = (unique_id(), unique_id());
    let resp = anon()
        .await
        .table("countries")
        .insert(json!([{"id": a, "name": "A"}, {"id": b, "name": "B"}]))
        .returning(Returning::Minimal)
        .count(Count::Exact)
        .await
        .unwrap();
    assert_eq!(resp.data, Value::Null);
    assert_eq!(resp.count, Some(2));

    let id = unique_id();
    let rows = anon()
        .await
        .table("countries")
        .insert(json!({"id": id, "name": "C"}))
        .select("id")
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"id": id}]));
}

#[tokio::test]
async fn updating_your_data() {
    let id = unique_id();
    let c = anon().await;
    c.table("instruments")
        .insert(json!({"id": id, "name": "harp", "section_id": 1}))
        .await
        .unwrap();
    let rows = c
        .table("instruments")
        .update(json!({"name": "piano"}))
        .eq("id", id)
        .await
        .unwrap()
        .data;
    assert_eq!(rows[0]["name"], "piano");
    assert_eq!(
        db(&format!("select name from instruments where id = {id}")).await,
        json!([{"name": "piano"}])
    );
}

#[tokio::test]
async fn updating_json_data() {
    let id = unique_id();
    let c = anon().await;
    c.table("users")
        .insert(json!({"id": id, "name": "Json", "address": {"street": "Old", "postcode": 12345}}))
        .await
        .unwrap();
    let rows = c
        .table("users")
        .update(json!({"address": {"street": "Melrose Place", "postcode": 90210}}))
        .eq("address->postcode", 12345)
        .await
        .unwrap()
        .data;
    assert_eq!(
        rows[0]["address"],
        json!({"street": "Melrose Place", "postcode": 90210})
    );
    assert_eq!(rows.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn upsert_your_data() {
    let id = unique_id();
    let c = anon().await;
    let rows = c
        .table("instruments")
        .upsert(json!({"id": id, "name": "piano"}))
        .await
        .unwrap()
        .data;
    assert_eq!(rows[0]["name"], "piano");
    let rows = c
        .table("instruments")
        .upsert(json!({"id": id, "name": "harpsichord"}))
        .await
        .unwrap()
        .data;
    assert_eq!(rows[0]["name"], "harpsichord");
    assert_eq!(
        db(&format!(
            "select count(*) as n from instruments where id = {id}"
        ))
        .await,
        json!([{"n": 1}])
    );
}

#[tokio::test]
async fn bulk_upsert_your_data() {
    let (a, b) = (unique_id(), unique_id());
    let c = anon().await;
    c.table("instruments")
        .insert(json!({"id": a, "name": "old"}))
        .await
        .unwrap();
    let rows = c
        .table("instruments")
        .upsert(json!([{"id": a, "name": "piano"}, {"id": b, "name": "guitar"}]))
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "name"), ["guitar", "piano"]);
}

#[tokio::test]
async fn upserting_into_tables_with_constraints() {
    let (a, b) = (unique_id(), unique_id());
    let handle = format!("saoirse-{a}");
    let c = anon().await;
    c.table("users")
        .insert(json!({"id": a, "handle": handle, "display_name": "old"}))
        .await
        .unwrap();
    let rows = c
        .table("users")
        .upsert(json!({"id": b, "handle": handle, "display_name": "Saoirse"}))
        .on_conflict("handle")
        .await
        .unwrap()
        .data;
    assert_eq!(rows[0]["display_name"], "Saoirse");
    let stored = db(&format!(
        "select display_name from users where handle = '{handle}'"
    ))
    .await;
    assert_eq!(
        stored,
        json!([{"display_name": "Saoirse"}]),
        "one row per handle"
    );
}

#[tokio::test]
async fn upsert_ignoring_duplicates() {
    let id = unique_id();
    let c = anon().await;
    c.table("countries")
        .insert(json!({"id": id, "name": "first"}))
        .await
        .unwrap();
    let rows = c
        .table("countries")
        .upsert(json!({"id": id, "name": "second"}))
        .ignore_duplicates()
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([]), "the conflicting row is left alone");
    assert_eq!(
        db(&format!("select name from countries where id = {id}")).await,
        json!([{"name": "first"}])
    );
}

#[tokio::test]
async fn delete_records() {
    let id = unique_id();
    let c = anon().await;
    c.table("countries")
        .insert(json!({"id": id, "name": "Gone"}))
        .await
        .unwrap();
    let rows = c
        .table("countries")
        .delete()
        .eq("id", id)
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"id": id, "name": "Gone"}]));
    assert_eq!(
        db(&format!("select id from countries where id = {id}")).await,
        json!([])
    );
}

#[tokio::test]
async fn an_empty_match_is_refused_and_deletes_nothing() {
    let id = unique_id();
    let c = anon().await;
    c.table("countries")
        .insert(json!({"id": id, "name": "Kept"}))
        .await
        .unwrap();
    // As postgrest-py refuses an empty dict: no filter at all would delete every row.
    let empty: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for result in [
        c.table("countries").delete().match_(json!({})).await,
        c.table("countries").delete().match_(empty).await,
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(err.to_string().contains("at least one column"), "{err}");
    }
    assert_eq!(
        db(&format!("select name from countries where id = {id}")).await,
        json!([{"name": "Kept"}])
    );
}

#[tokio::test]
async fn delete_multiple_records() {
    let ids = [unique_id(), unique_id(), unique_id()];
    let c = anon().await;
    let rows: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "name": "x"}))
        .collect();
    c.table("countries").insert(&rows).await.unwrap();
    let deleted = c
        .table("countries")
        .delete()
        .in_("id", ids)
        .count(Count::Exact)
        .await
        .unwrap();
    assert_eq!(deleted.count, Some(3));
    let left = db(&format!(
        "select id from countries where id in ({}, {}, {})",
        ids[0], ids[1], ids[2]
    ))
    .await;
    assert_eq!(left, json!([]));
}

#[tokio::test]
async fn a_constraint_violation_is_a_typed_error_and_writes_nothing() {
    let id = unique_id();
    let c = anon().await;
    let err = c
        .table("messages")
        .insert(json!({"id": id, "content": "x", "sender_id": 999_999, "receiver_id": 1}))
        .await
        .unwrap_err();
    let Error::Postgrest(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status.as_u16(), 409);
    assert_eq!(e.code.as_deref(), Some("23503"));
    assert!(e.details.is_some(), "{e:?}");
    assert_eq!(
        db(&format!("select id from messages where id = {id}")).await,
        json!([])
    );
}

/// `maybe_single()` on a write is checked by PostgREST (postgrest-js asks for a single object on
/// every method but GET): several matching rows are an error *and nothing is written*; none is
/// `null`.
#[tokio::test]
async fn maybe_single_writes_roll_back_when_several_rows_match() {
    let (a, b) = (unique_id(), unique_id());
    let name = format!("twin-{a}");
    let client = anon().await;
    client
        .table("planets")
        .insert(json!([{"id": a, "name": name}, {"id": b, "name": name}]))
        .await
        .unwrap();
    let moons = || async {
        db(&format!(
            "select count(*) as n from planets where name = '{name}' and moons = 7"
        ))
        .await[0]["n"]
            .clone()
    };

    let err = client
        .table("planets")
        .update(json!({"moons": 7}))
        .eq("name", &name)
        .maybe_single()
        .await
        .unwrap_err();
    match &err {
        Error::Postgrest(e) => {
            assert_eq!(e.code.as_deref(), Some("PGRST116"));
            assert_eq!(e.details.as_deref(), Some("The result contains 2 rows"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(moons().await, 0, "the update was rolled back");
    let err = client
        .table("planets")
        .delete()
        .eq("name", &name)
        .maybe_single()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Postgrest(_)), "{err:?}");
    assert_eq!(
        db(&format!(
            "select count(*) as n from planets where name = '{name}'"
        ))
        .await[0]["n"],
        2,
        "the delete was rolled back"
    );

    let one = client
        .table("planets")
        .update(json!({"moons": 7}))
        .eq("id", a)
        .maybe_single()
        .await
        .unwrap();
    assert_eq!(one.data["moons"], 7);
    assert_eq!(moons().await, 1);
    let none = client
        .table("planets")
        .update(json!({"moons": 7}))
        .eq("id", -a)
        .maybe_single()
        .returns::<Option<Value>>()
        .await
        .unwrap();
    assert_eq!((none.data, none.status.as_u16()), (None, 200));
}

/// `head()` on a write keeps it a write (`return=minimal`), where a `HEAD` request would have
/// read instead, writing nothing.
#[tokio::test]
async fn head_on_a_write_still_writes() {
    let id = unique_id();
    let client = anon().await;
    let inserted = client
        .table("planets")
        .insert(json!({"id": id, "name": "Headed"}))
        .head();
    assert_eq!(inserted.build().unwrap().method(), "POST");
    inserted.await.unwrap();
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([{"name": "Headed"}])
    );
    let deleted = client
        .table("planets")
        .delete()
        .eq("id", id)
        .count(Count::Exact)
        .head()
        .await
        .unwrap();
    assert_eq!(deleted.count, Some(1));
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([])
    );

    // A `select` after `head()` does not ask for the rows back again: the write is answered
    // with no body, as `head()` promised (it was written, then its rows failed to decode).
    let again = client
        .table("planets")
        .insert(json!({"id": id, "name": "Headed"}))
        .head()
        .select("id");
    assert_eq!(again.build().unwrap().headers()["prefer"], "return=minimal");
    again.await.unwrap();
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([{"name": "Headed"}])
    );
}

/// A preference given by hand joins the computed ones instead of replacing them.
#[tokio::test]
async fn a_prefer_header_given_by_hand_keeps_the_computed_preferences() {
    let c = anon().await;
    let request = c
        .table("planets")
        .upsert(json!({"id": 1, "name": "Mercury"}))
        .header("Prefer", "handling=lenient")
        .build()
        .unwrap();
    assert_eq!(
        request.headers()["prefer"],
        "handling=lenient,resolution=merge-duplicates,return=representation"
    );

    // And wins where the two differ: PostgREST takes the first of each preference, so the
    // hand-given one goes first. `return=minimal` by hand: the row is written, none comes back.
    let id = unique_id();
    let written = c
        .table("planets")
        .insert(json!({"id": id, "name": "Quiet"}))
        .header("Prefer", "return=minimal")
        .await
        .unwrap();
    assert_eq!(written.status.as_u16(), 201);
    assert_eq!(written.data, Value::Null);
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([{"name": "Quiet"}])
    );
}

/// A client-wide `Prefer` joins each request's computed preferences, before them, as
/// postgrest-js joins it into writes: a global `tx=rollback` rolls writes back too.
#[tokio::test]
async fn a_client_wide_prefer_joins_the_computed_preferences() {
    let stack = reference_stack().await;
    let c = supabase_core::Client::new(
        stack.url(),
        stack.anon_key(),
        supabase_core::ClientOptions::default().header("Prefer", "tx=rollback"),
    )
    .unwrap();
    let id = unique_id();
    let insert = c
        .table("planets")
        .insert(json!({"id": id, "name": "Nowhere"}));
    assert_eq!(
        insert.build().unwrap().headers()["prefer"],
        "tx=rollback,return=representation"
    );
    let inserted = insert.await.unwrap();
    assert_eq!(
        inserted.data,
        json!([{"id": id, "name": "Nowhere", "moons": null}])
    );
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([])
    );
    // A per-request one goes first of all.
    let request = c
        .table("planets")
        .update(json!({"moons": 1}))
        .eq("id", id)
        .header("Prefer", "handling=strict")
        .build()
        .unwrap();
    assert_eq!(
        request.headers()["prefer"],
        "handling=strict,tx=rollback,return=representation"
    );
}

/// `rollback()`: the answer is the write's, and nothing stays (`Prefer: tx=rollback`, which
/// the reference stack allows).
#[tokio::test]
async fn a_rolled_back_write_answers_and_keeps_nothing() {
    let c = anon().await;
    let id = unique_id();
    let inserted = c
        .table("planets")
        .insert(json!({"id": id, "name": "Vulcan"}))
        .rollback()
        .await
        .unwrap();
    assert_eq!(inserted.status.as_u16(), 201);
    assert_eq!(
        inserted.data,
        json!([{"id": id, "name": "Vulcan", "moons": null}])
    );
    assert_eq!(
        db(&format!("select id from planets where id = {id}")).await,
        json!([])
    );

    c.table("planets")
        .insert(json!({"id": id, "name": "Vulcan"}))
        .await
        .unwrap();
    let updated = c
        .table("planets")
        .update(json!({"name": "Romulus"}))
        .eq("id", id)
        .single()
        .rollback()
        .await
        .unwrap();
    assert_eq!(updated.data["name"], "Romulus");
    let deleted = c
        .table("planets")
        .delete()
        .eq("id", id)
        .rollback()
        .await
        .unwrap();
    assert_eq!(
        deleted.data,
        json!([{"id": id, "name": "Vulcan", "moons": null}])
    );
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([{"name": "Vulcan"}]),
        "neither the update nor the delete stayed"
    );

    // EXPLAIN ANALYZE runs the write; with a rollback it keeps nothing. PostgREST answers a
    // plan without `Preference-Applied`, so there is nothing to check there.
    let plan = c
        .table("planets")
        .update(json!({"name": "Analyzed"}))
        .eq("id", id)
        .rollback()
        .explain(Explain::new().analyze())
        .await
        .unwrap();
    assert!(plan.data.to_string().contains("Update on"), "{}", plan.data);

    // Given by hand, the preference is checked the same way.
    let by_hand = c
        .table("planets")
        .delete()
        .eq("id", id)
        .header("Prefer", "tx=rollback")
        .await
        .unwrap();
    assert_eq!(by_hand.data.as_array().map(Vec::len), Some(1));
    assert_eq!(
        db(&format!("select name from planets where id = {id}")).await,
        json!([{"name": "Vulcan"}])
    );
}

/// `max_affected(n)` asks PostgREST to be strict about it: PostgREST 12.0 (the local stack's;
/// 12.2 enforces the limit) does not know the preference and refuses the request
/// (`PGRST122`), so nothing is written unchecked.
#[tokio::test]
async fn max_affected_is_sent_strictly_and_never_writes_unchecked() {
    let c = anon().await;
    let (a, b) = (unique_id(), unique_id());
    c.table("planets")
        .insert(json!([{"id": a, "name": "A"}, {"id": b, "name": "B"}]))
        .await
        .unwrap();
    let update = c
        .table("planets")
        .update(json!({"name": "C"}))
        .in_("id", [a, b])
        .max_affected(1);
    assert_eq!(
        update.build().unwrap().headers()["prefer"],
        "return=representation,handling=strict,max-affected=1"
    );
    let Err(Error::Postgrest(e)) = update.await else {
        panic!("PostgREST 12.0 refuses max-affected when strict")
    };
    assert_eq!(e.code.as_deref(), Some("PGRST122"), "{e}");
    assert_eq!(e.status.as_u16(), 400);
    let names = db(&format!("select name from planets where id in ({a}, {b})")).await;
    assert_eq!(sorted_strings(&names, "name"), ["A", "B"]);
}

/// Write options on a verb where PostgREST would do nothing with them are refused before
/// anything is sent (postgrest-js and postgrest-py offer `onConflict` / `ignoreDuplicates` on
/// `upsert` only, and `maxAffected` on update, delete and function calls): an
/// `insert(..).ignore_duplicates()` had been a plain insert, failing on the first duplicate,
/// and a `max_affected` on an upsert limited nothing. A blank table or function name is
/// refused too (it had read PostgREST's root, its OpenAPI description, as rows).
#[tokio::test]
async fn options_of_another_verb_and_blank_names_are_refused_before_sending() {
    let c = anon().await;
    let row = json!({"id": unique_id(), "name": "X"});
    let refused = [
        (
            "ignore_duplicates",
            c.table("planets").insert(row.clone()).ignore_duplicates(),
        ),
        (
            "on_conflict",
            c.table("planets").insert(row.clone()).on_conflict("id"),
        ),
        (
            "on_conflict",
            c.table("planets").update(row.clone()).on_conflict("id"),
        ),
        (
            "max_affected",
            c.table("planets").upsert(row.clone()).max_affected(1),
        ),
        (
            "max_affected",
            c.table("planets").insert(row.clone()).max_affected(1),
        ),
        (
            "max_affected",
            c.table("planets").select("*").max_affected(1),
        ),
        ("table name", c.table("").select("*")),
        ("table name", c.from_("  ").delete().eq("id", 1)),
        ("function name", c.rpc("", json!({}))),
    ];
    for (option, builder) in refused {
        let err = builder.build().unwrap_err();
        assert!(
            matches!(&err, Error::Config(m) if m.contains(option)),
            "{option}: {err}"
        );
        let err = builder.await.unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{option}: {err}");
    }
    let names = db(&format!(
        "select name from planets where id = {}",
        row["id"]
    ))
    .await;
    assert!(names.as_array().unwrap().is_empty(), "nothing written");
    // Where they apply they are sent.
    let upsert = c
        .table("planets")
        .upsert(row.clone())
        .on_conflict("id")
        .ignore_duplicates()
        .build()
        .unwrap();
    assert!(upsert.path_and_query().contains("on_conflict=id"));
    assert!(
        upsert.headers()["prefer"]
            .to_str()
            .unwrap()
            .contains("resolution=ignore-duplicates")
    );
    let call = c
        .rpc("add", json!({"a": 1}))
        .max_affected(1)
        .build()
        .unwrap();
    assert!(
        call.headers()["prefer"]
            .to_str()
            .unwrap()
            .contains("max-affected=1")
    );
}

/// `on_conflict` names a column whose name has a space as PostgREST reads it: the spaces
/// inside a name kept, those around each name dropped (it had stripped them all, sending
/// `firstname`).
#[tokio::test]
async fn on_conflict_keeps_the_spaces_inside_a_column_name() {
    let stack = reference_stack().await;
    stack
        .execute_sql(
            r#"create table if not exists public.spaced_keys (
                 id bigint primary key,
                 "first name" text unique,
                 note text
               );
               grant select, insert, update on public.spaced_keys to anon;"#,
        )
        .await
        .unwrap();
    stack.reload_schema().await.unwrap();
    let c = anon().await;
    let name = format!("n{}", unique_id());
    for (id, note) in [(unique_id(), "first"), (unique_id(), "second")] {
        c.table("spaced_keys")
            .upsert(json!({"id": id, "first name": name, "note": note}))
            .on_conflict(" first name ")
            .await
            .unwrap();
    }
    let rows = db(&format!(
        "select note from spaced_keys where \"first name\" = '{name}'"
    ))
    .await;
    assert_eq!(rows, json!([{"note": "second"}]));
}

/// An upsert of a list sends the union of the rows' keys: a conflicting row that leaves a key
/// out has that column rewritten (to NULL here, `moons` having no default), not kept, as the
/// `upsert` docs say; alone, the same row keeps it.
#[tokio::test]
async fn an_upserted_list_rewrites_the_keys_a_conflicting_row_leaves_out() {
    let c = anon().await;
    let (kept, other) = (unique_id(), unique_id());
    c.table("planets")
        .insert(json!({"id": kept, "name": "Stored", "moons": 5}))
        .await
        .unwrap();
    c.table("planets")
        .upsert(json!({"id": kept, "name": "Alone"}))
        .await
        .unwrap();
    let moons =
        |id: i64| async move { db(&format!("select moons from planets where id = {id}")).await };
    assert_eq!(moons(kept).await, json!([{"moons": 5}]));
    c.table("planets")
        .upsert(json!([
            {"id": kept, "name": "Listed"},
            {"id": other, "name": "Other", "moons": 1}
        ]))
        .await
        .unwrap();
    assert_eq!(moons(kept).await, json!([{"moons": null}]));
}

/// A `GET` call's arguments travel as text in the query string, and PostgREST hands them to
/// the function as such: a `jsonb` parameter would receive the string `"{\"k\":1}"` instead of
/// the object (it did; postgrest-js switches such calls to POST). So an argument holding an
/// object is refused, with the way out in the message; sent as a POST it arrives as JSON.
#[tokio::test]
async fn a_get_call_refuses_an_object_argument_it_cannot_send_as_json() {
    let stack = reference_stack().await;
    stack
        .execute_sql(
            "create or replace function public.echo_json(data jsonb) returns jsonb \
             language sql stable as $$ select data $$; \
             grant execute on function public.echo_json(jsonb) to anon;",
        )
        .await
        .unwrap();
    stack.reload_schema().await.unwrap();
    let c = anon().await;
    for data in [json!({"k": 1}), json!([{"k": 1}, {"k": 2}])] {
        let args = json!({ "data": data });
        for call in [
            c.rpc("echo_json", args.clone()).get(),
            c.rpc("echo_json", args.clone()).head().returns(),
        ] {
            let err = call.await.unwrap_err();
            assert!(
                matches!(&err, Error::Config(m) if m.contains("`data`") && m.contains("without get()")),
                "{err}"
            );
        }
        let echoed = c.rpc("echo_json", args).await.unwrap().data;
        assert_eq!(echoed, data);
    }
    // Text goes as it is.
    let echoed = c
        .rpc("echo", json!({"say": "[1, 2]"}))
        .get()
        .await
        .unwrap()
        .data;
    assert_eq!(echoed, json!("[1, 2]"));
}
