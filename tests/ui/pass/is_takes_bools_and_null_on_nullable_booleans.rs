//! The typed `is_` takes `true` / `false` on any boolean column and `Option<bool>` on a
//! nullable one, on the query and as a `Filter`.

#![deny(warnings)]
#![allow(dead_code)]

use serde::Deserialize;
use supabase_core::prelude::*;

#[derive(Table, Deserialize)]
#[supabase(table = "flags")]
struct Flag {
    #[supabase(primary_key)]
    id: i64,
    done: bool,
    approved: Option<bool>,
}

fn path(query: supabase_core::typed::Query<Flag>) -> String {
    query.build().unwrap().path_and_query()
}

fn main() {
    let client = create_client("http://localhost:54321", "anon").unwrap();
    let flags = || client.from::<Flag>().select();
    assert_eq!(
        path(flags().is_(flag::done, true).is_(flag::approved, None)),
        "/rest/v1/flags?select=id,done,approved&done=is.true&approved=is.null"
    );
    assert_eq!(
        path(flags().filter(!flag::approved.is_(Some(false)) | flag::done.is_(false))),
        "/rest/v1/flags?select=id,done,approved&or=(approved.not.is.false,done.is.false)"
    );
}
