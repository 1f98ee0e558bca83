//! Filters take the columns of their table with values of the column's type, including the
//! conversions people write every day (integer literals, `&str` for text, arrays for arrays).

#![deny(warnings)]
#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;
use supabase_core::typed::Filter;

#[derive(Table, Deserialize)]
#[supabase(table = "issues")]
struct Issue {
    #[supabase(primary_key)]
    id: i64,
    title: String,
    #[supabase(default)]
    tags: Vec<String>,
    assignee: Option<String>,
    votes: Option<i32>,
    meta: Option<serde_json::Value>,
}

fn path(query: supabase_core::typed::Query<Issue>) -> String {
    query.build().unwrap().path_and_query()
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let issues = || client.from::<Issue>().select();

    // `in_` with integer literals on an `i64` column, and owned or borrowed values.
    assert_eq!(
        path(issues().in_(issue::id, [1, 2, 3])),
        "/rest/v1/issues?select=id,title,tags,assignee,votes,meta&id=in.(1,2,3)"
    );
    let ids: Vec<i64> = vec![4, 5];
    let _ = issues().in_(issue::id, &ids);
    let _ = issues().in_(issue::title, ["a", "b"]);
    let _ = issues().eq(issue::title, String::from("a"));
    let title = String::from("a");
    let _ = issues().eq(issue::title, &title);

    // Ordering, text, containment and null checks on the columns that support them.
    let _ = issues()
        .gte(issue::votes, 2)
        .lt(issue::id, 10)
        .like(issue::title, "%bug%")
        .ilike(issue::assignee, "%ann%")
        .is_null(issue::assignee)
        .order(issue::votes.desc().nulls_last())
        .order(issue::id.asc());
    assert_eq!(
        path(issues().filter(issue::tags.contains(["is:open", "priority:low"]))),
        "/rest/v1/issues?select=id,title,tags,assignee,votes,meta&tags=cs.{\"is:open\",\"priority:low\"}"
    );
    let _ = issue::tags.overlaps(["a"]);
    let _ = issue::tags.contained_by(vec!["a".to_owned()]);
    let _ = issue::meta.contains(serde_json::json!({ "k": 1 }));
    let _ = issue::assignee.is_not_null();

    // `Filter` combinators.
    let either: Filter<Issue> = issue::id.eq(1) | issue::title.eq("a");
    let both: Filter<Issue> = issue::votes.gt(1) & !issue::assignee.is_null();
    let _ = issues().filter((either & both).or(issue::id.neq(7)));
    let _ = issues().or_([issue::id.eq(1), issue::id.eq(2)]);
    let _ = Filter::all([issue::id.gt(1), issue::id.lt(9)]).and(Filter::any([issue::votes.eq(3)]));
    let _ = issues().not_().is_null(issue::votes);

    // Every verb of a writable table.
    let _ = client
        .from::<Issue>()
        .insert(IssueInsert::new(1, "a").tags(["x".to_owned()]));
    let _ = client
        .from::<Issue>()
        .insert_many([IssueInsert::new(2, "b")]);
    let _ = client
        .from::<Issue>()
        .upsert(IssueInsert::new(3, "c"))
        .on_conflict(issue::id);
    // A unique constraint over several columns: a tuple of them.
    assert_eq!(
        client
            .from::<Issue>()
            .upsert(IssueInsert::new(3, "c"))
            .on_conflict((issue::title, issue::assignee))
            .build()
            .unwrap()
            .path_and_query(),
        "/rest/v1/issues?select=id,title,tags,assignee,votes,meta&on_conflict=title,assignee"
    );
    let _ = client
        .from::<Issue>()
        .update(IssueUpdate::default().assignee(None).votes(Some(3)))
        .eq(issue::id, 1);
    let _ = client.from::<Issue>().delete().eq(issue::id, 1).single();
}
