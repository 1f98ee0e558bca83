//! One workload, N times after 20 warm-up requests, so that
//! `callgrind(N) - callgrind(0)` over N is the instructions of one request. See README.md.

use serde::{Deserialize, Serialize};
use supabase_core::prelude::*;
use supabase_core::postgrest::Returning;

#[derive(Table, Debug, Deserialize, Serialize, Clone)]
#[supabase(table = "bench_rows")]
#[allow(dead_code)]
struct BenchRow {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct BenchRowRef<'a> {
    id: i64,
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
    score: f64,
    active: bool,
    #[serde(borrow)]
    tags: Vec<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    note: Option<std::borrow::Cow<'a, str>>,
}

/// A projection of `bench_rows` (`select_as`): four of its columns, one under another key.
#[derive(Select, Debug, Deserialize)]
#[supabase(from = BenchRow)]
#[allow(dead_code)]
struct BenchProjection {
    id: i64,
    #[supabase(column = name)]
    title: String,
    score: f64,
    tags: Vec<String>,
}

/// The same columns in `probe_insert` (no key: the insert workloads add rows run after run).
#[derive(Table, Debug, Deserialize)]
#[supabase(table = "probe_insert")]
#[allow(dead_code)]
struct ProbeInsert {
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    #[supabase(default)]
    note: Option<String>,
}

fn row(i: i64) -> BenchRow {
    BenchRow { id: i, name: format!("row {i}"), score: i as f64 * 1.5, active: i % 2 == 0, tags: vec!["a".into(), "b".into(), format!("t{}", i % 7)], note: (i % 3 != 0).then(|| format!("note {i}")) }
}

/// Insert batches (1000 rows each), built before any request whatever N is, so they cancel out.
const BATCHES: usize = 120;

const BENCH_TABLE: &str = "
create table if not exists probe_insert (id bigint not null, name text not null, score double precision not null, active boolean not null, tags text[] not null, note text);
grant select, insert on probe_insert to anon;
create table if not exists bench_rows (id bigint primary key, name text not null, score double precision not null, active boolean not null, tags text[] not null, note text);
insert into bench_rows select i, 'row ' || i, i * 1.5, i % 2 = 0, array['a', 'b', 't' || (i % 7)], case when i % 3 = 0 then null else 'note ' || i end from generate_series(1, 5000) as i on conflict do nothing;
grant select on bench_rows to anon;
";

/// Writes to every 64-byte line of `buf` (its cache misses are counted in this function, apart
/// from the request's).
#[inline(never)]
fn evict(buf: &mut [u8]) {
    for b in buf.iter_mut().step_by(64) {
        *b = b.wrapping_add(1);
    }
    std::hint::black_box(buf);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "serve" {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
            let stack = supabase_local::Stack::builder().project_dir(examples).start().await.unwrap();
            stack.execute_sql(BENCH_TABLE).await.unwrap();
            stack.reload_schema().await.unwrap();
            println!("export SUPABASE_URL={} SUPABASE_KEY={}", stack.url(), stack.anon_key());
            std::future::pending::<()>().await;
        });
        return;
    }
    let url = std::env::var("SUPABASE_URL").expect("SUPABASE_URL");
    let key = std::env::var("SUPABASE_KEY").expect("SUPABASE_KEY");
    let n: usize = args[2].parse().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let floor = reqwest::Client::new();
        let client = create_client(&url, &key).unwrap();
        let which = args[1].as_str();
        let mut batches: Vec<Vec<BenchRow>> = (0..BATCHES as i64).map(|b| (b * 1000 + 1..=b * 1000 + 1000).map(row).collect()).collect();
        let mut typed_batches: Vec<Vec<ProbeInsertInsert>> = batches.iter().map(|b| b.iter().cloned().map(|r| { let insert = ProbeInsertInsert::new(r.id, r.name, r.score, r.active, r.tags); match r.note { Some(note) => insert.note(note), None => insert } }).collect()).collect();
        assert!(n + 20 <= BATCHES || !which.ends_with("insert"), "at most {} insert batches", BATCHES - 20);
        // PROBE_EVICT=<MiB>: write to every line of that much memory after each request, as the server's
        // processes do between two requests on a shared host, so that callgrind's cache
        // simulation counts the cache lines a request touches from cold (see the README).
        let mut evict_buf: Option<Vec<u8>> = std::env::var("PROBE_EVICT").ok().map(|m| vec![0u8; m.parse::<usize>().unwrap() << 20]);
        for i in 0..(n + 20) {
            let id = (i % 5000) as i64 + 1;
            let offset = (i % 4) * 1000;
            let rows = match which {
                "floor" | "floor-page" => {
                    let q = if which == "floor" { format!("select=*&id=eq.{id}") } else { format!("select=*&limit=1000&offset={offset}") };
                    let resp = floor.get(format!("{url}/rest/v1/bench_rows?{q}")).header("apikey", &key).header("Authorization", format!("Bearer {key}")).send().await.unwrap();
                    let body = resp.bytes().await.unwrap();
                    let rows: Vec<BenchRow> = serde_json::from_slice(&body).unwrap();
                    rows.len()
                }
                "borrowed-page" => {
                    let q = format!("select=*&limit=1000&offset={offset}");
                    let resp = floor.get(format!("{url}/rest/v1/bench_rows?{q}")).header("apikey", &key).header("Authorization", format!("Bearer {key}")).send().await.unwrap();
                    let body = resp.bytes().await.unwrap();
                    let text = std::str::from_utf8(&body).unwrap();
                    let rows: Vec<BenchRowRef> = serde_json::from_str(text).unwrap();
                    rows.len()
                }
                "floor-insert" => {
                    let body = serde_json::to_vec(&batches.pop().unwrap()).unwrap();
                    let resp = floor.post(format!("{url}/rest/v1/probe_insert")).header("apikey", &key).header("Authorization", format!("Bearer {key}")).header("Content-Type", "application/json").header("Prefer", "return=representation").body(body).send().await.unwrap();
                    let body = resp.bytes().await.unwrap();
                    let rows: Vec<BenchRow> = serde_json::from_slice(&body).unwrap();
                    rows.len()
                }
                "untyped-insert" => client.table("probe_insert").insert(&batches.pop().unwrap()).returning(Returning::Representation).returns::<Vec<BenchRow>>().await.unwrap().data.len(),
                "typed-insert" => client.from::<ProbeInsert>().insert_many(typed_batches.pop().unwrap()).await.unwrap().len(),
                "untyped" => client.table("bench_rows").select("*").eq("id", id).returns::<Vec<BenchRow>>().await.unwrap().data.len(),
                "typed" => client.from::<BenchRow>().select().eq(bench_row::id, id).await.unwrap().len(),
                "untyped-page" => client.table("bench_rows").select("*").range(offset as u64, offset as u64 + 999).returns::<Vec<BenchRow>>().await.unwrap().data.len(),
                "typed-page" => client.from::<BenchRow>().select().range(offset as u64, offset as u64 + 999).await.unwrap().len(),
                "untyped-projection-page" => client.table("bench_rows").select("id,title:name,score,tags").range(offset as u64, offset as u64 + 999).returns::<Vec<BenchProjection>>().await.unwrap().data.len(),
                "projection-page" => client.from::<BenchRow>().select_as::<BenchProjection>().range(offset as u64, offset as u64 + 999).await.unwrap().len(),
                "build-untyped" => { for _ in 0..100 { let _ = std::hint::black_box(client.table("bench_rows").select("id,name,score,active,tags,note").eq("id", 7).neq("name", "x, y").gt("score", 1.5).lt("score", 900.0).eq("active", true).like("name", "row%").in_("id", [1, 2, 3]).contains("tags", ["a"]).is_("note", Is::Null).gte("id", 1)); } 1 }
                "build-typed" => { for _ in 0..100 { let _ = std::hint::black_box(client.from::<BenchRow>().select().eq(bench_row::id, 7).neq(bench_row::name, "x, y").gt(bench_row::score, 1.5).lt(bench_row::score, 900.0).eq(bench_row::active, true).like(bench_row::name, "row%").in_(bench_row::id, [1, 2, 3]).filter(bench_row::tags.contains(["a"])).is_null(bench_row::note).gte(bench_row::id, 1)); } 1 }
                _ => panic!(),
            };
            assert!(rows > 0);
            if let Some(buf) = evict_buf.as_mut() {
                evict(buf);
            }
        }
    });
}
