//! `bench-supabase <untyped|typed> <workload> <ops>`: this client, untyped (`table()` into
//! serde rows) or typed (`from::<T>()` with `#[derive(Table)]`), issuing the floor's requests.
//! Also `bench-supabase build <iterations>`: microseconds to build (and render) a 10-filter query.

use std::time::Instant;

use bench_client::measure::median;
use bench_client::supabase::{BenchRow, Supabase, bench_row};
use serde_json::{Value, json};
use supabase_core::prelude::*;

/// Microseconds to build a query with 10 filters, untyped and typed, then the same plus
/// rendering the request (URL, headers); the median of 3 runs of `iterations` each.
fn build_ten_filters(iterations: u32) -> Result<Value, String> {
    use supabase_core::postgrest::Is;

    let (url, key) = (
        bench_client::env("SUPABASE_URL")?,
        bench_client::env("SUPABASE_KEY")?,
    );
    let client = create_client(&url, &key).map_err(|e| e.to_string())?;
    let untyped = || {
        client
            .table("bench_rows")
            .select(BenchRow::SELECT)
            .eq("id", 7)
            .neq("name", "x, y")
            .gt("score", 1.5)
            .lt("score", 900.0)
            .eq("active", true)
            .like("name", "row%")
            .in_("id", [1, 2, 3])
            .contains("tags", ["a"])
            .is_("note", Is::Null)
            .gte("id", 1)
    };
    let typed = || {
        client
            .from::<BenchRow>()
            .select()
            .eq(bench_row::id, 7)
            .neq(bench_row::name, "x, y")
            .gt(bench_row::score, 1.5)
            .lt(bench_row::score, 900.0)
            .eq(bench_row::active, true)
            .like(bench_row::name, "row%")
            .in_(bench_row::id, [1, 2, 3])
            .filter(bench_row::tags.contains(["a"]))
            .is_null(bench_row::note)
            .gte(bench_row::id, 1)
    };
    let (u, t) = (untyped().build(), typed().build());
    if u.map_err(|e| e.to_string())?.url() != t.map_err(|e| e.to_string())?.url() {
        return Err("the typed and untyped queries differ".into());
    }
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..iterations {
            f();
        }
        t.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
    };
    let mut results: [Vec<f64>; 4] = Default::default();
    for _ in 0..3 {
        results[0].push(time(&|| drop(std::hint::black_box(untyped()))));
        results[1].push(time(&|| drop(std::hint::black_box(typed()))));
        results[2].push(time(&|| drop(std::hint::black_box(untyped().build()))));
        results[3].push(time(&|| drop(std::hint::black_box(typed().build()))));
    }
    let [u, t, ub, tb] = results.map(median);
    Ok(json!({ "untyped_us": u, "typed_us": t, "untyped_build_us": ub, "typed_build_us": tb }))
}

fn main() {
    bench_client::main(Supabase::new, |args| match args {
        [build, n] if build == "build" => Some(
            n.parse()
                .map_err(|_| format!("bad count {n:?}"))
                .and_then(build_ten_filters),
        ),
        _ => None,
    });
}
