//! The database examples of the reference in typed form: `#[derive(Table)]` structs, typed
//! filters and writes, against the real PostgREST.

mod booleans;
mod decode;
mod rpc;
mod select;
mod stream;
mod values;

use serde::{Deserialize, Serialize};
use serde_json::json;
use supabase_core::postgrest::{Explain, ExplainFormat};
use supabase_core::prelude::*;
use supabase_core::typed::Filter;
use supabase_tests::{anon, reference_stack, unique_id};

#[derive(Table, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[supabase(table = "planets")]
struct Planet {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
    moons: Option<i32>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "instruments")]
struct Instrument {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    section_id: Option<i64>,
    octave_range: Option<i32>,
    book_id: Option<i32>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "issues")]
struct Issue {
    #[supabase(primary_key)]
    id: i64,
    title: String,
    #[supabase(default)]
    tags: Vec<String>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "users")]
struct User {
    #[supabase(primary_key)]
    id: i64,
    name: Option<String>,
    handle: Option<String>,
    #[serde(rename = "display_name")]
    display: Option<String>,
    address: Option<serde_json::Value>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "scratch")]
struct Scratch {
    #[supabase(primary_key)]
    id: i64,
    label: Option<String>,
    #[supabase(default)]
    status: String,
    n: Option<i32>,
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "mytable", schema = "myschema")]
struct MyTable {
    id: i64,
    name: String,
}

fn names(planets: &[Planet]) -> Vec<&str> {
    planets.iter().filter_map(|p| p.name.as_deref()).collect()
}

#[test]
fn the_derive_describes_the_table() {
    assert_eq!(Planet::NAME, "planets");
    assert_eq!(Planet::SCHEMA, "public");
    assert_eq!(Planet::SELECT, "id,name,moons");
    assert_eq!(Planet::PRIMARY_KEY, ["id"]);
    assert_eq!(
        User::COLUMNS,
        ["id", "name", "handle", "display_name", "address"]
    );
    assert_eq!(<user::display as Column>::NAME, "display_name");
    assert_eq!(MyTable::SCHEMA, "myschema");
}

#[tokio::test]
async fn select_exactly_the_struct_columns_with_typed_filters() {
    let client = anon().await;
    let query = client
        .from::<Planet>()
        .select()
        .gte(planet::moons, 1)
        .ilike(planet::name, "%ar%")
        .order(planet::name.desc());
    assert_eq!(
        query.build().unwrap().path_and_query(),
        "/rest/v1/planets?select=id,name,moons&moons=gte.1&name=ilike.%ar%&order=name.desc"
    );
    let planets: Vec<Planet> = query.await.unwrap();
    assert_eq!(names(&planets), ["Mars", "Earth"]);
}

#[tokio::test]
async fn every_reference_filter_in_typed_form() {
    let c = anon().await;
    let p = || c.from::<Planet>().select().order(planet::id.asc());
    assert_eq!(
        names(&p().eq(planet::name, "Earth").await.unwrap()),
        ["Earth"]
    );
    assert_eq!(
        names(&p().neq(planet::name, "Earth").await.unwrap()).len(),
        4
    );
    assert_eq!(
        names(&p().gt(planet::id, 3).await.unwrap()),
        ["Jupiter", "Tatooine"]
    );
    assert_eq!(names(&p().lt(planet::id, 2).await.unwrap()), ["Mercury"]);
    assert_eq!(
        names(&p().lte(planet::id, 2).await.unwrap()),
        ["Mercury", "Earth"]
    );
    assert_eq!(
        names(&p().like(planet::name, "%Ea%").await.unwrap()),
        ["Earth"]
    );
    // PostgREST's `match`, `imatch` and `isdistinct`, which Realtime filters take too.
    assert_eq!(
        names(&p().filter(planet::name.match_("^M")).await.unwrap()),
        ["Mercury", "Mars"]
    );
    assert_eq!(
        names(&p().filter(planet::name.imatch("^m")).await.unwrap()),
        ["Mercury", "Mars"]
    );
    assert_eq!(
        names(&p().filter(planet::id.is_distinct(1)).await.unwrap()).len(),
        4
    );
    assert_eq!(
        names(&p().in_(planet::name, ["Earth", "Mars"]).await.unwrap()),
        ["Earth", "Mars"]
    );
    assert_eq!(
        names(&p().in_(planet::id, [1, 2]).await.unwrap()),
        ["Mercury", "Earth"]
    );
    assert_eq!(p().is_null(planet::name).await.unwrap(), []);
    assert_eq!(
        names(
            &p().filter(planet::name.like_all_of(["%a%", "%r%"]))
                .await
                .unwrap()
        ),
        ["Earth", "Mars"]
    );
    assert_eq!(
        names(&p().not_().is_null(planet::moons).await.unwrap()).len(),
        5
    );
    assert_eq!(
        names(
            &p().or_([planet::id.eq(2), planet::name.eq("Mars")])
                .await
                .unwrap()
        ),
        ["Earth", "Mars"]
    );
    let nested: Filter<Planet> = planet::id.gt(3) | (planet::id.eq(1) & planet::name.eq("Mercury"));
    assert_eq!(
        names(&p().filter(nested).await.unwrap()),
        ["Mercury", "Jupiter", "Tatooine"]
    );
    assert_eq!(
        names(
            &p().filter(!planet::name.in_(["Earth"]))
                .limit(1)
                .await
                .unwrap()
        ),
        ["Mercury"]
    );

    let issues = c
        .from::<Issue>()
        .select()
        .filter(issue::tags.contains(["is:open", "priority:low"]))
        .await
        .unwrap();
    assert_eq!(issues.iter().map(|i| i.id).collect::<Vec<_>>(), [1]);
    let issues = c
        .from::<Issue>()
        .select()
        .filter(issue::tags.overlaps(["is:closed", "severity:high"]))
        .await
        .unwrap();
    assert_eq!(issues.len(), 2);
    let users = c
        .from::<User>()
        .select()
        .filter(user::address.contains(json!({"postcode": 90210})))
        .await
        .unwrap();
    assert_eq!(users[0].display.as_deref(), Some("Jane D"));
    let quotes = c
        .from::<Instrument>()
        .select()
        .filter(instrument::name.text_search("flute", TextSearch::plain()))
        .await
        .unwrap();
    assert_eq!(quotes[0].name, "flute");
}

#[tokio::test]
async fn match_pattern_lists_and_text_search_in_typed_form() {
    let c = anon().await;
    let p = || c.from::<Planet>().select().order(planet::id.asc());
    let matched = p().match_(((planet::id, 2), (planet::name, "Earth")));
    assert_eq!(
        matched.build().unwrap().path_and_query(),
        "/rest/v1/planets?select=id,name,moons&order=id.asc&id=eq.2&name=eq.Earth"
    );
    assert_eq!(names(&matched.await.unwrap()), ["Earth"]);
    assert_eq!(
        p().match_(((planet::id, 3), (planet::name, "Earth")))
            .await
            .unwrap(),
        []
    );
    assert_eq!(
        names(&p().match_(((planet::moons, 2),)).await.unwrap()),
        ["Mars"]
    );

    assert_eq!(
        names(
            &p().like_any_of(planet::name, ["Ea%", "%upi%"])
                .await
                .unwrap()
        ),
        ["Earth", "Jupiter"]
    );
    assert_eq!(
        names(&p().like_all_of(planet::name, ["%a%", "%r%"]).await.unwrap()),
        ["Earth", "Mars"]
    );
    assert_eq!(
        names(
            &p().ilike_any_of(planet::name, ["ea%", "MER%"])
                .await
                .unwrap()
        ),
        ["Mercury", "Earth"]
    );
    assert_eq!(
        names(&p().ilike_all_of(planet::name, ["M%", "%S"]).await.unwrap()),
        ["Mars"]
    );
    let flutes = c
        .from::<Instrument>()
        .select()
        .text_search(
            instrument::name,
            "flutes",
            TextSearch::plain().config("english"),
        )
        .await
        .unwrap();
    assert_eq!(
        flutes.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["flute"]
    );
}

#[tokio::test]
async fn csv_and_explain_in_typed_form() {
    let c = anon().await;
    let text = c
        .from::<Planet>()
        .select()
        .order(planet::id.asc())
        .limit(2)
        .csv()
        .await
        .unwrap();
    assert_eq!(text, "id,name,moons\n1,Mercury,0\n2,Earth,1");

    let plan = c
        .from::<Planet>()
        .select()
        .eq(planet::id, 2)
        .explain(Explain::new().format(ExplainFormat::Json))
        .await
        .unwrap();
    assert!(plan[0]["Plan"]["Node Type"].is_string(), "{plan}");
}

#[tokio::test]
async fn single_maybe_single_count_head_and_schema() {
    let c = anon().await;
    let earth: Planet = c
        .from::<Planet>()
        .select()
        .eq(planet::id, 2)
        .single()
        .await
        .unwrap();
    assert_eq!(
        earth,
        Planet {
            id: 2,
            name: Some("Earth".into()),
            moons: Some(1)
        }
    );
    let pluto: Option<Planet> = c
        .from::<Planet>()
        .select()
        .eq(planet::name, "Pluto")
        .maybe_single()
        .await
        .unwrap();
    assert_eq!(pluto, None);
    let resp = c
        .from::<Planet>()
        .select()
        .count(Count::Exact)
        .head()
        .execute()
        .await
        .unwrap();
    assert_eq!(resp.count, Some(5));
    let mine = c.from::<MyTable>().select().await.unwrap();
    assert_eq!(
        mine,
        [MyTable {
            id: 1,
            name: "from myschema".into()
        }]
    );
    // A struct of the default schema, read from another: `client.schema(..).from::<T>()`.
    #[derive(Table, Debug, PartialEq, Deserialize)]
    #[supabase(table = "mytable")]
    struct AnyTable {
        id: i64,
        name: String,
    }
    assert_eq!(AnyTable::SCHEMA, "public");
    let err = c.from::<AnyTable>().select().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    let elsewhere = c.schema("myschema").from::<AnyTable>().select().await;
    assert_eq!(
        elsewhere.unwrap(),
        [AnyTable {
            id: 1,
            name: "from myschema".into()
        }]
    );
    let page = c
        .from::<Planet>()
        .select()
        .order(planet::id.asc())
        .range(1, 2)
        .await
        .unwrap();
    assert_eq!(names(&page), ["Earth", "Mars"]);
}

#[tokio::test]
async fn typed_writes_insert_update_upsert_delete() {
    let c = anon().await;
    let id = unique_id();
    let inserted = c
        .from::<Scratch>()
        .insert(ScratchInsert::new(id).label("typed"))
        .await
        .unwrap();
    assert_eq!(
        inserted,
        [Scratch {
            id,
            label: Some("typed".into()),
            status: "new".into(),
            n: None
        }],
        "the default filled in"
    );

    let (a, b) = (unique_id(), unique_id());
    let many = c
        .from::<Scratch>()
        .insert_many([
            ScratchInsert::new(a),
            ScratchInsert::new(b).status("done").n(3),
        ])
        .await
        .unwrap();
    assert_eq!(
        many.iter().map(|s| s.status.as_str()).collect::<Vec<_>>(),
        ["new", "done"]
    );
    // No rows: nothing inserted, no error (an empty `columns=` was a PGRST100 400), typed
    // and untyped.
    let none = c.from::<Scratch>().insert_many([]).await.unwrap();
    assert!(none.is_empty());
    let none = c
        .table("scratch")
        .insert(serde_json::json!([]))
        .await
        .unwrap();
    assert_eq!(none.data, serde_json::json!([]));

    // Set NULL is distinct from leave alone.
    let updated = c
        .from::<Scratch>()
        .update(ScratchUpdate::default().label(None).n(7))
        .eq(scratch::id, id)
        .await
        .unwrap();
    assert_eq!(
        updated,
        [Scratch {
            id,
            label: None,
            status: "new".into(),
            n: Some(7)
        }]
    );
    let untouched = c
        .from::<Scratch>()
        .update(ScratchUpdate::default().n(8))
        .eq(scratch::id, b)
        .single()
        .await
        .unwrap();
    assert_eq!(untouched.status, "done");

    let upserted = c
        .from::<Scratch>()
        .upsert(ScratchInsert::new(id).label("again"))
        .await
        .unwrap();
    assert_eq!(upserted[0].label.as_deref(), Some("again"));

    // Bulk upsert: `a` exists and is updated, `c_id` is new.
    let c_id = unique_id();
    let upserted = c
        .from::<Scratch>()
        .upsert_many([
            ScratchInsert::new(a).label("bulk"),
            ScratchInsert::new(c_id).label("bulk"),
        ])
        .await
        .unwrap();
    let mut ids: Vec<i64> = upserted.iter().map(|s| s.id).collect();
    ids.sort_unstable();
    let mut expected = vec![a, c_id];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(upserted.iter().all(|s| s.label.as_deref() == Some("bulk")));
    c.from::<Scratch>()
        .delete()
        .eq(scratch::id, c_id)
        .await
        .unwrap();

    let deleted = c
        .from::<Scratch>()
        .delete()
        .in_(scratch::id, [a, b])
        .await
        .unwrap();
    assert_eq!(deleted.len(), 2);
    let left = reference_stack()
        .await
        .query_json(&format!("select id from scratch where id in ({a}, {b})"))
        .await
        .unwrap();
    assert_eq!(left, json!([]));
}

#[tokio::test]
async fn typed_writes_roll_back() {
    let c = anon().await;
    let id = unique_id();
    let inserted = c
        .from::<Scratch>()
        .insert(ScratchInsert::new(id).label("dry run"))
        .rollback()
        .single()
        .await
        .unwrap();
    assert_eq!(
        inserted.status, "new",
        "the default filled in, as for a commit"
    );
    let left = reference_stack()
        .await
        .query_json(&format!("select id from scratch where id = {id}"))
        .await
        .unwrap();
    assert_eq!(left, json!([]));
    let prefer = c
        .from::<Scratch>()
        .delete()
        .eq(scratch::id, id)
        .max_affected(1)
        .build()
        .unwrap()
        .headers()["prefer"]
        .clone();
    assert_eq!(
        prefer,
        "return=representation,handling=strict,max-affected=1"
    );
}

/// A table with a unique constraint over two columns, made by the test (the reference schema
/// has none).
#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "daily_notes")]
struct DailyNote {
    #[supabase(primary_key, default)]
    id: i64,
    owner: i64,
    day: String,
    note: Option<String>,
}

#[tokio::test]
async fn upsert_on_a_typed_multi_column_conflict_target() {
    let stack = reference_stack().await;
    stack
        .execute_sql(
            "create table if not exists public.daily_notes (
               id bigint generated by default as identity primary key,
               owner bigint not null,
               day text not null,
               note text,
               unique (owner, day)
             );
             grant select, insert, update on public.daily_notes to anon;",
        )
        .await
        .unwrap();
    stack.reload_schema().await.unwrap();
    let c = anon().await;
    let owner = unique_id();
    let first = c
        .from::<DailyNote>()
        .insert(DailyNoteInsert::new(owner, "mon").note("old"))
        .await
        .unwrap();
    // Without the target, the upsert decides on the primary key: a new id, so the unique
    // (owner, day) pair is violated.
    let err = c
        .from::<DailyNote>()
        .upsert(DailyNoteInsert::new(owner, "mon").note("new"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("daily_notes_owner_day_key"),
        "{err}"
    );
    let rows = c
        .from::<DailyNote>()
        .upsert(DailyNoteInsert::new(owner, "mon").note("new"))
        .on_conflict((daily_note::owner, daily_note::day))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, first[0].id, "the conflicting row was updated");
    assert_eq!(rows[0].note.as_deref(), Some("new"));
    let all = c
        .from::<DailyNote>()
        .select()
        .eq(daily_note::owner, owner)
        .await
        .unwrap();
    assert_eq!(all, rows);
}

#[tokio::test]
async fn upsert_on_a_typed_conflict_column() {
    let c = anon().await;
    let (a, b) = (unique_id(), unique_id());
    let handle = format!("typed-{a}");
    c.from::<User>()
        .insert(UserInsert::new(a).handle(handle.as_str()).display("old"))
        .await
        .unwrap();
    let rows = c
        .from::<User>()
        .upsert(UserInsert::new(b).handle(handle.as_str()).display("new"))
        .on_conflict(user::handle)
        .await
        .unwrap();
    assert_eq!(rows[0].display.as_deref(), Some("new"));
}

#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "texts")]
struct TextRow {
    #[supabase(primary_key)]
    id: i64,
    content: String,
}

#[tokio::test]
async fn typed_text_search_in_each_form() {
    // texts: 1 "green eggs and ham", 2 "ham sandwich", 3 "scrambled eggs".
    let c = anon().await;
    let search = |query: &'static str, options: TextSearch| {
        let c = c.clone();
        async move {
            let rows = c
                .from::<TextRow>()
                .select()
                .filter(text_row::content.text_search(query, options))
                .order(text_row::id.asc())
                .await
                .unwrap();
            rows.iter().map(|r| r.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("eggs ham", TextSearch::plain()).await, [1]);
    let english = TextSearch::phrase().config("english");
    assert_eq!(search("ham sandwich", english).await, [2]);
    assert_eq!(search("eggs -ham", TextSearch::websearch()).await, [3]);
    assert_eq!(
        search(
            "eggs or sandwich",
            TextSearch::websearch().config("english")
        )
        .await,
        [1, 2, 3]
    );
}

#[tokio::test]
async fn json_paths_filter_and_order_as_json_or_text() {
    // users: 1 Jane (Melrose Place, 90210, Beverly Hills), 2 Michael (Sunset Blvd, 90028, Los
    // Angeles, and the keys `geo.zone` and `7`), 3 Saoirse (no address).
    let c = anon().await;
    let ids = |users: Vec<User>| users.iter().map(|u| u.id).collect::<Vec<_>>();
    let query = || c.from::<User>().select().order(user::id.asc());

    // The reference's `.eq("address->postcode", 90210)`: compared as JSON, a number.
    let rows = query().filter(user::address.json("postcode").eq(90210));
    assert_eq!(ids(rows.await.unwrap()), [1]);
    // As JSON, the string "90210" is not the number 90210; as text it is.
    let rows = query().filter(user::address.json("postcode").eq("90210"));
    assert!(rows.await.unwrap().is_empty());
    let rows = query().filter(user::address.json_text("postcode").eq("90210"));
    assert_eq!(ids(rows.await.unwrap()), [1]);
    // A JSON string operand, quoted inside a logic tree too.
    let street = user::address.json("street");
    let rows = query().filter(street.clone().eq("Melrose Place"));
    assert_eq!(ids(rows.await.unwrap()), [1]);
    let either = street.eq("Sunset Blvd") | user::address.json_text("city").like("%Hills");
    assert_eq!(ids(query().filter(either).await.unwrap()), [1, 2]);
    // jsonb order: numbers by value (as text, "90210" < "9999" and no row would match).
    let rows = query().filter(user::address.json("postcode").gt(9999));
    assert_eq!(ids(rows.await.unwrap()), [1, 2]);
    let rows = query().filter(user::address.json("postcode").gt(90100));
    assert_eq!(ids(rows.await.unwrap()), [1]);
    let rows = query().filter(user::address.json("postcode").in_([90028, 1]));
    assert_eq!(ids(rows.await.unwrap()), [2]);
    let rows = c
        .from::<User>()
        .select()
        .filter(user::address.is_not_null())
        .order(user::address.json("postcode").asc());
    assert_eq!(ids(rows.await.unwrap()), [2, 1]);
    // Keys that need quoting reach PostgREST as one key: `geo.zone` (a dot would end the
    // column), `7` (a key, not the index 7).
    let rows = query().filter(user::address.json_text("geo.zone").eq("west"));
    assert_eq!(ids(rows.await.unwrap()), [2]);
    let rows = query().filter(user::address.json("7").eq("seven"));
    assert_eq!(ids(rows.await.unwrap()), [2]);
    let rows = query().filter(user::address.json_text("geo.zone").is_null());
    assert_eq!(ids(rows.await.unwrap()), [1, 3]);
    // A NaN has no JSON form: an error before sending, not `gt.null`.
    let err = query()
        .filter(user::address.json("postcode").gt(f64::NAN))
        .await
        .unwrap_err();
    assert!(matches!(err, supabase_core::Error::Encode(_)), "{err:?}");

    // What the paths render to.
    let built = c
        .from::<User>()
        .select()
        .filter(user::address.json("tags").json(0).contains(["a"]))
        .filter(!user::address.json("geo").json_text("lat").eq("1.5"))
        .build()
        .unwrap();
    let url = built.path_and_query();
    assert!(url.contains(r#"address->tags->0=cs.["a"]"#), "{url}");
    assert!(url.contains("address->geo->>lat=not.eq.1.5"), "{url}");
}

/// A jsonb column's own operand is JSON text, as PostgREST casts it to jsonb: a string keeps its
/// quotes and an array is a JSON array (as a Postgres literal, `x` and `{"a"}`, both were
/// invalid jsonb: 22P02).
#[tokio::test]
async fn a_jsonb_columns_operand_is_json() {
    let c = anon().await;
    let ids = |users: Vec<User>| users.iter().map(|u| u.id).collect::<Vec<_>>();
    let query = || c.from::<User>().select().order(user::id.asc());
    let rows = query().filter(user::address.neq(json!("x")));
    assert_eq!(ids(rows.await.unwrap()), [1, 2]);
    let rows = query().filter(user::address.neq(json!(["a"])));
    assert_eq!(ids(rows.await.unwrap()), [1, 2]);
    let jane = json!({"street": "Melrose Place", "postcode": 90210, "city": "Beverly Hills"});
    let rows = query().filter(user::address.in_([json!("x"), jane.clone()]));
    assert_eq!(ids(rows.await.unwrap()), [1]);
    let rows = query().filter(user::address.eq(jane) | user::address.eq(json!("x")));
    assert_eq!(ids(rows.await.unwrap()), [1]);
    let built = query()
        .filter(user::address.contained_by(json!(["a"])))
        .build()
        .unwrap();
    assert!(
        built.path_and_query().contains(r#"address=cd.["a"]"#),
        "{}",
        built.path_and_query()
    );
}

/// The untyped modifiers with no type of their own, on typed queries: a header for one request,
/// `default_to_null` and GeoJSON.
#[tokio::test]
async fn per_request_header_default_to_null_and_geojson() {
    let c = anon().await;
    // PostgREST reads `Range` as a limit: the header reaches the server.
    let first = c
        .from::<Planet>()
        .select()
        .order(planet::id.asc())
        .header("Range", "0-1")
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(c.from::<Planet>().select().await.unwrap().len() > 2);
    let bad = c.from::<Planet>().select().header("bad header", "x").await;
    assert!(
        matches!(bad, Err(supabase_core::Error::Config(_))),
        "{bad:?}"
    );

    // A row that leaves `status` out takes its default; with `default_to_null(true)` it is
    // NULL, which the NOT NULL column refuses, and neither row is written.
    let (a, b) = (unique_id(), unique_id());
    let rows = || [ScratchInsert::new(a), ScratchInsert::new(b).status("done")];
    let refused = c
        .from::<Scratch>()
        .insert_many(rows())
        .default_to_null(true)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, supabase_core::Error::Postgrest(e) if e.code.as_deref() == Some("23502")),
        "{refused:?}"
    );
    let written = c.from::<Scratch>().insert_many(rows()).await.unwrap();
    assert_eq!(written[0].status, "new");

    // GeoJSON is asked for as such (the stack has no PostGIS to answer it).
    let request = c.from::<Planet>().select().geojson().build().unwrap();
    assert_eq!(request.header("accept"), Some("application/geo+json"));
}

/// Columns whose names PostgREST's query grammar reads as something else unless quoted: a dot
/// (an embedded resource's column), a colon (an alias or a cast), a comma (a list), a
/// parenthesis, a backslash or a quote; and names PostgREST takes for its own parameters
/// (`limit`, `order`) unless quoted.
#[derive(Table, Debug, Clone, PartialEq, Deserialize)]
#[supabase(table = "odd_columns")]
struct OddColumns {
    #[supabase(primary_key)]
    id: i64,
    #[supabase(rename = "Moon Count")]
    #[serde(rename = "Moon Count")]
    moon_count: Option<i32>,
    #[supabase(rename = "a.b")]
    #[serde(rename = "a.b")]
    dotted: Option<String>,
    #[supabase(rename = "x:y")]
    #[serde(rename = "x:y")]
    coloned: Option<String>,
    #[supabase(rename = "c,d")]
    #[serde(rename = "c,d")]
    comma: Option<i64>,
    #[supabase(rename = "f(x)")]
    #[serde(rename = "f(x)")]
    call: Option<i32>,
    #[supabase(rename = r#"b\s "q""#)]
    #[serde(rename = r#"b\s "q""#)]
    escaped: Option<String>,
    limit: Option<i32>,
    order: Option<i32>,
}

#[tokio::test]
async fn typed_filters_order_and_conflict_targets_quote_column_names_that_need_it() {
    let stack = reference_stack().await;
    stack
        .execute_sql(
            r#"create table if not exists public.odd_columns (
                 id bigint primary key,
                 "Moon Count" int,
                 "a.b" text,
                 "x:y" text,
                 "c,d" bigint unique,
                 "f(x)" int,
                 "b\s ""q""" text,
                 "limit" int,
                 "order" int
               );
               grant select, insert, update, delete on public.odd_columns to anon;"#,
        )
        .await
        .unwrap();
    stack.reload_schema().await.unwrap();
    let c = anon().await;
    let (a, b) = (unique_id(), unique_id());
    let row = |id: i64, moons: i32, text: &str| {
        OddColumnsInsert::new(id)
            .moon_count(moons)
            .dotted(text)
            .coloned(text)
            .comma(id)
            .call(moons)
            .escaped(text)
            .limit(moons)
            .order(moons)
    };
    c.from::<OddColumns>()
        .insert_many([row(a, 1, "first"), row(b, 2, "second")])
        .await
        .unwrap();
    let ids = [a, b];

    // Each column as a filter, alone and inside `or`.
    for filter in [
        odd_columns::moon_count.eq(1),
        odd_columns::dotted.eq("first"),
        odd_columns::coloned.eq("first"),
        odd_columns::comma.eq(a),
        odd_columns::call.eq(1),
        odd_columns::escaped.eq("first"),
        odd_columns::limit.eq(1),
        odd_columns::order.eq(1),
        odd_columns::dotted
            .eq("first")
            .or(odd_columns::coloned.eq("none")),
        odd_columns::limit.eq(1).or(odd_columns::order.eq(-1)),
    ] {
        let rows = c
            .from::<OddColumns>()
            .select()
            .in_(odd_columns::id, ids)
            .filter(filter.clone())
            .await
            .unwrap_or_else(|e| panic!("{filter:?}: {e}"));
        assert_eq!(
            rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            [a],
            "{filter:?}"
        );
    }
    // Ordered by each.
    for order in [
        odd_columns::moon_count.desc(),
        odd_columns::dotted.desc(),
        odd_columns::coloned.desc(),
        odd_columns::comma.desc(),
        odd_columns::call.desc(),
        odd_columns::escaped.desc(),
        odd_columns::limit.desc(),
        odd_columns::order.desc(),
    ] {
        let rows = c
            .from::<OddColumns>()
            .select()
            .in_(odd_columns::id, ids)
            .order(order)
            .await
            .unwrap();
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [b, a]);
    }
    // An upsert on the unique `c,d`.
    let upserted = c
        .from::<OddColumns>()
        .upsert(
            OddColumnsInsert::new(unique_id())
                .comma(a)
                .dotted("upserted"),
        )
        .on_conflict(odd_columns::comma)
        .await
        .unwrap();
    assert_eq!(upserted.len(), 1);
    // An update and a delete through the filters.
    let updated = c
        .from::<OddColumns>()
        .update(OddColumnsUpdate::default().coloned(Some("changed".to_owned())))
        .eq(odd_columns::dotted, "second")
        .await
        .unwrap();
    assert_eq!(updated.iter().map(|r| r.id).collect::<Vec<_>>(), [b]);
    let deleted = c
        .from::<OddColumns>()
        .delete()
        .eq(odd_columns::comma, a)
        .await
        .unwrap();
    assert_eq!(deleted.len(), 1);
    // Sent bare, `limit=eq.99` was read as a limit PostgREST could not parse and dropped:
    // these deletes took every row.
    let deleted = c
        .from::<OddColumns>()
        .delete()
        .in_(odd_columns::id, ids)
        .eq(odd_columns::limit, 99)
        .await
        .unwrap();
    assert!(deleted.is_empty(), "{deleted:?}");
    let untyped: Vec<serde_json::Value> = c
        .table("odd_columns")
        .delete()
        .eq("limit", 99)
        .returns()
        .await
        .unwrap()
        .data;
    assert!(untyped.is_empty(), "{untyped:?}");
    assert_eq!(
        c.from::<OddColumns>()
            .select()
            .in_(odd_columns::id, ids)
            .await
            .unwrap()
            .len(),
        1
    );
}
