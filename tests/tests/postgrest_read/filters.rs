//! "Using Filters" and every filter of the reference.

use serde_json::json;
use supabase_core::postgrest::{Condition, Is, Op, TextSearch};
use supabase_tests::{anon, flags_stack, reference_stack, sorted_strings};

async fn planet_names(q: supabase_core::postgrest::Builder) -> Vec<String> {
    sorted_strings(&q.await.unwrap().data, "name")
}

/// What Postgres itself answers for `sql` (a query returning a `name`-like column `v`).
async fn sql_values(sql: &str) -> Vec<String> {
    let rows = reference_stack().await.query_json(sql).await.unwrap();
    sorted_strings(&rows, "v")
}

#[tokio::test]
async fn applying_filters() {
    let rows = anon()
        .await
        .table("instruments")
        .select("name, section_id")
        .eq("name", "flute")
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"name": "flute", "section_id": 2}]));
}

#[tokio::test]
async fn chaining() {
    let rows = anon()
        .await
        .table("instruments")
        .select("name, section_id")
        .gte("octave_range", 3)
        .lt("octave_range", 7)
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows, "name"),
        ["flute", "guqin", "viola", "violin"]
    );
}

#[tokio::test]
async fn conditional_chaining() {
    let filter_by_name: Option<&str> = None;
    let filter_octave_low = Some(3);
    let filter_octave_high = Some(7);

    let mut query = anon().await.table("instruments").select("name, section_id");
    if let Some(name) = filter_by_name {
        query = query.eq("name", name);
    }
    if let Some(low) = filter_octave_low {
        query = query.gte("octave_range", low);
    }
    if let Some(high) = filter_octave_high {
        query = query.lt("octave_range", high);
    }
    let rows = query.await.unwrap().data;
    assert_eq!(
        sorted_strings(&rows, "name"),
        ["flute", "guqin", "viola", "violin"]
    );
}

#[tokio::test]
async fn filter_by_values_within_json_column() {
    let q = anon()
        .await
        .table("users")
        .select("*")
        .eq("address->postcode", 90210);
    assert_eq!(planet_names(q).await, ["Jane"]);
    let q = anon()
        .await
        .table("users")
        .select("*")
        .eq("address->>city", "Los Angeles");
    assert_eq!(planet_names(q).await, ["Michael"]);
}

#[tokio::test]
async fn filter_foreign_tables() {
    let rows = anon()
        .await
        .table("orchestral_sections")
        .select("name, instruments!inner(name)")
        .eq("instruments.name", "flute")
        .await
        .unwrap()
        .data;
    assert_eq!(
        rows,
        json!([{"name": "woodwinds", "instruments": [{"name": "flute"}]}])
    );
}

#[tokio::test]
async fn comparison_operators() {
    let c = anon().await;
    let t = || c.table("planets").select("*");
    assert_eq!(planet_names(t().eq("name", "Earth")).await, ["Earth"]);
    assert_eq!(
        planet_names(t().neq("name", "Earth")).await,
        ["Jupiter", "Mars", "Mercury", "Tatooine"]
    );
    assert_eq!(
        planet_names(t().gt("id", 2)).await,
        ["Jupiter", "Mars", "Tatooine"]
    );
    assert_eq!(
        planet_names(t().gte("id", 2)).await,
        ["Earth", "Jupiter", "Mars", "Tatooine"]
    );
    assert_eq!(planet_names(t().lt("id", 2)).await, ["Mercury"]);
    assert_eq!(planet_names(t().lte("id", 2)).await, ["Earth", "Mercury"]);
}

#[tokio::test]
async fn like_and_ilike() {
    let c = anon().await;
    let t = || c.table("planets").select("*");
    assert_eq!(planet_names(t().like("name", "%Ea%")).await, ["Earth"]);
    assert_eq!(planet_names(t().ilike("name", "%ea%")).await, ["Earth"]);
    assert_eq!(
        planet_names(t().like("name", "%ea%")).await,
        Vec::<String>::new()
    );
    assert_eq!(
        planet_names(t().like_all_of("name", ["%a%", "%r%"])).await,
        ["Earth", "Mars"]
    );
    assert_eq!(
        planet_names(t().like_all_of("name", "%a%,%r%")).await,
        ["Earth", "Mars"]
    );
    assert_eq!(
        planet_names(t().like_any_of("name", ["Ma%", "%oo%"])).await,
        ["Mars", "Tatooine"]
    );
    assert_eq!(
        planet_names(t().ilike_all_of("name", ["%E%", "%R%"])).await,
        ["Earth", "Jupiter", "Mercury"]
    );
    assert_eq!(
        planet_names(t().ilike_any_of("name", ["j%", "t%"])).await,
        ["Jupiter", "Tatooine"]
    );
}

#[tokio::test]
async fn is_null_true_false() {
    let c = anon().await;
    // The reference's example, as written there.
    let q = c.table("planets").select("*").is_("name", "null");
    assert_eq!(planet_names(q).await, Vec::<String>::new());
    let q = c.table("users").select("*").is_("address", "null");
    assert_eq!(planet_names(q).await, ["Saoirse"]);
    let q = c
        .table("users")
        .select("*")
        .is_("address", "NULL".to_owned());
    assert_eq!(planet_names(q).await, ["Saoirse"]);
    let q = c.table("users").select("*").is_("address", Is::Null);
    assert_eq!(planet_names(q).await, ["Saoirse"]);
    let q = c.table("planets").select("name").is_("name", None::<bool>);
    assert_eq!(planet_names(q).await, Vec::<String>::new());
}

/// `IS TRUE` / `IS FALSE` / `IS UNKNOWN` on a boolean column, in each of the value forms.
#[tokio::test]
async fn is_true_false_unknown_on_a_boolean_column() {
    flags_stack().await;
    let c = anon().await;
    let ids =
        async |q: supabase_core::postgrest::Builder| sorted_strings(&q.await.unwrap().data, "id");
    let t = || c.table("flags").select("id");
    assert_eq!(ids(t().is_("done", "true")).await, ["1", "2"]);
    assert_eq!(ids(t().is_("done", true)).await, ["1", "2"]);
    assert_eq!(ids(t().is_("done", "False")).await, ["3", "4"]);
    assert_eq!(ids(t().is_("approved", "unknown")).await, ["3"]);
    assert_eq!(ids(t().is_("approved", Is::Unknown)).await, ["3"]);
    assert_eq!(ids(t().is_("approved", None::<bool>)).await, ["3"]);
    assert_eq!(ids(t().is_("approved", Some(false))).await, ["2"]);
    assert_eq!(ids(t().not_().is_("approved", "true")).await, ["2", "3"]);
    assert_eq!(
        ids(t().or_("approved.is.null,done.is.false")).await,
        ["3", "4"]
    );
    assert_eq!(
        ids(t().or_where([
            Condition::is("approved", "false"),
            Condition::is("id", "null")
        ]))
        .await,
        ["2"]
    );
}

/// A string that is not an `is` keyword fails the query with a clear error when it is sent,
/// without a request reaching the server and without a panic.
#[tokio::test]
async fn is_with_an_invalid_string_is_an_error_when_sent() {
    let c = anon().await;
    for q in [
        c.table("planets").select("*").is_("name", "nil"),
        c.table("planets").select("*").not_().is_("name", ""),
        c.table("planets")
            .select("*")
            .or_where([Condition::is("name", "null"), Condition::is("id", "none")]),
    ] {
        match q.await {
            Err(supabase_core::Error::Config(message)) => {
                assert!(message.contains("`is_` takes"), "{message}");
            }
            other => panic!("expected a Config error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn in_a_list() {
    let q = anon()
        .await
        .table("planets")
        .select("*")
        .in_("name", ["Earth", "Mars"]);
    assert_eq!(planet_names(q).await, ["Earth", "Mars"]);
    let q = anon()
        .await
        .table("planets")
        .select("*")
        .in_("id", vec![1, 2, 3]);
    assert_eq!(planet_names(q).await, ["Earth", "Mars", "Mercury"]);
}

#[tokio::test]
async fn contains_on_arrays_ranges_and_jsonb() {
    let c = anon().await;
    let rows = c
        .table("issues")
        .select("*")
        .contains("tags", ["is:open", "priority:low"])
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows, "title"),
        ["Cache invalidation is not working"]
    );

    let rows = c
        .table("reservations")
        .select("*")
        .contains("during", "[2000-01-01 13:00, 2000-01-01 13:30)")
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "room_name"), ["Emerald"]);

    let rows = c
        .table("users")
        .select("*")
        .contains("address", json!({"postcode": 90210}))
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "name"), ["Jane"]);
}

#[tokio::test]
async fn contained_by_on_arrays_ranges_and_jsonb() {
    let c = anon().await;
    let rows = c
        .table("classes")
        .select("name")
        .contained_by("days", ["monday", "tuesday", "wednesday", "friday"])
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "name"), ["Art", "Chemistry"]);

    let rows = c
        .table("reservations")
        .select("*")
        .contained_by("during", "[2000-01-01 00:00, 2000-01-01 23:59)")
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "room_name"), ["Emerald"]);

    let rows = c
        .table("users")
        .select("name")
        .contained_by("address", json!({}))
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([]), "no address is contained in {{}}");
    let rows = c
        .table("users")
        .select("name")
        .contained_by(
            "address",
            json!({"street": "Melrose Place", "postcode": 90210, "city": "Beverly Hills", "x": 1}),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(rows, json!([{"name": "Jane"}]));
}

#[tokio::test]
async fn range_operators() {
    let c = anon().await;
    let rooms = |q: supabase_core::postgrest::Builder| async move {
        sorted_strings(&q.await.unwrap().data, "room_name")
    };
    let t = || c.table("reservations").select("*");
    assert_eq!(
        rooms(t().range_gt("during", ["2000-01-02 08:00", "2000-01-02 09:00"])).await,
        ["Topaz"]
    );
    assert_eq!(
        rooms(t().range_gte("during", ["2000-01-02 08:30", "2000-01-02 09:30"])).await,
        ["Topaz"]
    );
    assert_eq!(
        rooms(t().range_lt("during", ["2000-01-01 15:00", "2000-01-01 16:00"])).await,
        ["Emerald"]
    );
    assert_eq!(
        rooms(t().range_lte("during", ["2000-01-01 14:00", "2000-01-01 16:00"])).await,
        ["Emerald"]
    );
    assert_eq!(
        rooms(t().range_adjacent("during", ["2000-01-01 12:00", "2000-01-01 13:00"])).await,
        ["Emerald"]
    );
    // A range literal string works as well as two bounds.
    assert_eq!(
        rooms(t().range_gt("during", "[2000-01-01 00:00, 2000-01-01 01:00]")).await,
        ["Emerald", "Topaz"]
    );
    // A missing bound is an unbounded side (a range literal has no NULL).
    assert_eq!(
        rooms(t().range_gt("during", [None, Some("2000-01-02 08:00")])).await,
        ["Topaz"]
    );
    assert_eq!(
        rooms(t().range_lt("during", [Some("2000-01-02 08:00"), None])).await,
        ["Emerald"]
    );
}

/// PostgREST quotes every `in` element into a text array, so NULL would be the text "NULL"
/// (matching a row that holds it); a NULL in the list is refused before anything is sent.
#[tokio::test]
async fn an_in_list_with_null_is_refused() {
    let c = anon().await;
    let err = c
        .table("texts")
        .select("*")
        .in_("content", [Some("ham sandwich"), None])
        .await
        .unwrap_err();
    assert!(matches!(err, supabase_core::Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("is_null"), "{err}");
}

#[tokio::test]
async fn overlaps_on_arrays_and_ranges() {
    let c = anon().await;
    let rows = c
        .table("issues")
        .select("title")
        .overlaps("tags", ["is:closed", "severity:high"])
        .await
        .unwrap()
        .data;
    assert_eq!(
        sorted_strings(&rows, "title"),
        ["Add missing tests", "Cache invalidation is not working"]
    );
    let rows = c
        .table("reservations")
        .select("*")
        .overlaps("during", "[2000-01-01 12:45, 2000-01-01 13:15)")
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "room_name"), ["Emerald"]);
}

#[tokio::test]
async fn text_search_every_kind() {
    let c = anon().await;
    let rows = c
        .table("texts")
        .select("content")
        .text_search(
            "content",
            "'eggs' & 'ham'",
            TextSearch::tsquery().config("english"),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "content"), ["green eggs and ham"]);

    for (options, kind, function, query) in [
        (
            TextSearch::plain(),
            "plain",
            "plainto_tsquery",
            "'fat' & 'cat'",
        ),
        (
            TextSearch::phrase(),
            "phrase",
            "phraseto_tsquery",
            "'fat' & 'cat'",
        ),
        (
            TextSearch::websearch(),
            "websearch",
            "websearch_to_tsquery",
            "'fat or cat'",
        ),
    ] {
        // The reference's options dict says the same.
        let dict: TextSearch =
            serde_json::from_value(serde_json::json!({"type": kind, "config": "english"})).unwrap();
        assert_eq!(dict, options.clone().config("english"));
        let rows = c
            .table("quotes")
            .select("catchphrase")
            .text_search("catchphrase", query, dict)
            .await
            .unwrap()
            .data;
        let expected = sql_values(&format!(
            "select catchphrase as v from quotes \
             where to_tsvector('english', catchphrase) @@ {function}('english', $q${query}$q$)"
        ))
        .await;
        assert!(!expected.is_empty(), "{function} matches something");
        assert_eq!(sorted_strings(&rows, "catchphrase"), expected, "{function}");
    }
    // postgrest-py's spelling of the web search type.
    let web: TextSearch =
        serde_json::from_value(serde_json::json!({"type": "web_search"})).unwrap();
    assert_eq!(web, TextSearch::websearch());
    let unknown = serde_json::from_value::<TextSearch>(serde_json::json!({"type": "fuzzy"}));
    assert!(
        unknown
            .unwrap_err()
            .to_string()
            .contains("plain, phrase or websearch")
    );
}

#[tokio::test]
async fn match_several_columns() {
    let q = anon()
        .await
        .table("planets")
        .select("*")
        .match_(json!({"id": 2, "name": "Earth"}));
    assert_eq!(planet_names(q).await, ["Earth"]);
    let q = anon()
        .await
        .table("planets")
        .select("*")
        .match_(json!({"id": 3, "name": "Earth"}));
    assert_eq!(planet_names(q).await, Vec::<String>::new());
}

#[tokio::test]
async fn not_negates_the_next_filter() {
    let c = anon().await;
    let q = c.table("planets").select("*").not_().is_("name", "null");
    assert_eq!(planet_names(q).await.len(), 5);
    let q = c
        .table("planets")
        .select("*")
        .not_()
        .in_("id", [1, 2, 3])
        .eq("id", 4);
    assert_eq!(
        planet_names(q).await,
        ["Jupiter"],
        "only the next filter is negated"
    );
    let q = c.table("planets").select("*").not_().or_("id.eq.1,id.eq.2");
    assert_eq!(planet_names(q).await, ["Jupiter", "Mars", "Tatooine"]);
}

#[tokio::test]
async fn or_with_and_and_on_referenced_tables() {
    let c = anon().await;
    let q = c
        .table("planets")
        .select("name")
        .or_("id.eq.2,name.eq.Mars");
    assert_eq!(planet_names(q).await, ["Earth", "Mars"]);
    let q = c
        .table("planets")
        .select("name")
        .or_("id.gt.3,and(id.eq.1,name.eq.Mercury)");
    assert_eq!(planet_names(q).await, ["Jupiter", "Mercury", "Tatooine"]);

    let rows = c
        .table("orchestral_sections")
        .select("name, instruments!inner(name)")
        .or_referenced("instruments", "book_id.eq.1,name.eq.guqin")
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "name"), ["strings", "woodwinds"]);
    let strings = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "strings")
        .unwrap();
    assert_eq!(
        sorted_strings(&strings["instruments"], "name"),
        ["guqin", "violin"]
    );
}

#[tokio::test]
async fn or_where_quotes_every_value() {
    let c = anon().await;
    let q = c.table("planets").select("name").or_where([
        Condition::new("name", Op::Eq, "Mars"),
        Condition::and([
            Condition::new("id", Op::Gte, 4),
            Condition::new("name", Op::Like, "T%"),
        ]),
        Condition::new("name", Op::Eq, "no,such),planet"),
    ]);
    assert_eq!(planet_names(q).await, ["Mars", "Tatooine"]);
}

#[tokio::test]
async fn raw_filter() {
    let c = anon().await;
    let q = c
        .table("planets")
        .select("*")
        .filter("name", "in", r#"("Mars","Tatooine")"#);
    assert_eq!(planet_names(q).await, ["Mars", "Tatooine"]);
    let rows = c
        .table("orchestral_sections")
        .select("name, instruments!inner(name)")
        .filter("instruments.name", "eq", "flute")
        .await
        .unwrap()
        .data;
    assert_eq!(sorted_strings(&rows, "name"), ["woodwinds"]);
}

/// postgrest-js's `regexMatch`, `regexIMatch` and `isDistinct`, and postgrest-py's `offset`,
/// in the untyped builder as in the typed one.
#[tokio::test]
async fn regex_distinct_and_offset() {
    let c = anon().await;
    let first_five = || c.table("planets").select("name").lte("id", 5);
    assert_eq!(
        planet_names(first_five().regex_match("name", "^M")).await,
        ["Mars", "Mercury"]
    );
    assert_eq!(
        planet_names(first_five().regex_imatch("name", "^m")).await,
        ["Mars", "Mercury"]
    );
    assert_eq!(
        planet_names(first_five().is_distinct("moons", 0)).await,
        ["Earth", "Jupiter", "Mars", "Tatooine"]
    );
    let page = first_five()
        .order("id", Default::default())
        .offset(3)
        .limit(10);
    assert_eq!(
        page.build().unwrap().url().query(),
        Some("select=name&id=lte.5&order=id.asc&offset=3&limit=10")
    );
    assert_eq!(planet_names(page).await, ["Jupiter", "Tatooine"]);
}
