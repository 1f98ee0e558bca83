//! One RLS matrix: anon, user A, user B and the service role × every operation on user A's
//! data, for a table (through PostgREST), storage objects and realtime postgres changes.
//!
//! The expected allow/deny of every cell is the [`EXPECTED`] table below; each cell is run end to
//! end through supabase-core against the local stack, users signed in through its auth stand-in.
//! A write counts as allowed only if Postgres (read back as superuser) shows it; a response that
//! disagrees with Postgres (an error while the row changed, a success while nothing changed) is
//! its own failure. On any difference the whole table is printed with the differing cells.

use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use supabase_core::realtime::{PostgresChangeEvent, PostgresChanges, PostgresChangesPayload};
use supabase_core::{Client, Error};
use supabase_tests::unique_id;

use crate::{User, anon, service, sign_up, stack};

/// Who makes the request.
const WHO: [&str; 4] = ["anon", "user A", "user B", "service_role"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TableSelect,
    TableInsert,
    TableUpdate,
    TableDelete,
    StorageRead,
    StorageUpload,
    StorageUpdate,
    StorageRemove,
    RealtimeInsert,
    RealtimeUpdate,
    RealtimeDelete,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::TableSelect => "table: select A's row",
            Op::TableInsert => "table: insert a row owned by A",
            Op::TableUpdate => "table: update A's row",
            Op::TableDelete => "table: delete A's row",
            Op::StorageRead => "storage: download A/file",
            Op::StorageUpload => "storage: upload into A/",
            Op::StorageUpdate => "storage: update A/file",
            Op::StorageRemove => "storage: remove A/file",
            Op::RealtimeInsert => "realtime: INSERT of A's row delivered",
            Op::RealtimeUpdate => "realtime: UPDATE of A's row delivered",
            Op::RealtimeDelete => "realtime: DELETE of A's row delivered",
        })
    }
}

const Y: bool = true;
const N: bool = false;

/// The expected outcome: `true` = allowed, for [anon, user A, user B, service_role].
///
/// Realtime DELETEs reach every subscriber (with only the primary key in `old_record`): Postgres
/// cannot check a deleted row against a policy, as Supabase documents and supabase/walrus tests
/// (`test_delete_old_record_behavior.sql`).
const EXPECTED: [(Op, [bool; 4]); 11] = [
    //                      anon user A user B service
    (Op::TableSelect, [N, Y, N, Y]),
    (Op::TableInsert, [N, Y, N, Y]),
    (Op::TableUpdate, [N, Y, N, Y]),
    (Op::TableDelete, [N, Y, N, Y]),
    (Op::StorageRead, [N, Y, N, Y]),
    (Op::StorageUpload, [N, Y, N, Y]),
    (Op::StorageUpdate, [N, Y, N, Y]),
    (Op::StorageRemove, [N, Y, N, Y]),
    (Op::RealtimeInsert, [N, Y, N, Y]),
    (Op::RealtimeUpdate, [N, Y, N, Y]),
    (Op::RealtimeDelete, [Y, Y, Y, Y]),
];

/// What one cell did: allowed or not, per Postgres, and the evidence.
#[derive(Debug, Clone)]
struct Observed {
    /// `None`: the response contradicts Postgres.
    allowed: Option<bool>,
    evidence: String,
}

impl Observed {
    fn new(allowed: bool, evidence: impl Into<String>) -> Self {
        Observed {
            allowed: Some(allowed),
            evidence: evidence.into(),
        }
    }

    fn inconsistent(evidence: impl Into<String>) -> Self {
        Observed {
            allowed: None,
            evidence: evidence.into(),
        }
    }

    fn label(&self) -> &'static str {
        match self.allowed {
            Some(true) => "allow",
            Some(false) => "deny",
            None => "INCONSISTENT",
        }
    }
}

/// Runs `sql` as the stack's superuser.
async fn sql(query: &str) -> Value {
    stack()
        .await
        .query_json(query)
        .await
        .expect("superuser query")
}

async fn count(query: &str) -> i64 {
    sql(query).await[0]["n"].as_i64().expect("count")
}

/// A short description of a result for the evidence column.
fn outcome<T: fmt::Debug>(r: &Result<T, Error>) -> String {
    match r {
        Ok(v) => {
            let s = format!("{v:?}");
            format!("ok {}", &s[..s.len().min(80)])
        }
        Err(e) => format!("error: {e}"),
    }
}

/// Response and Postgres agree, or the cell is inconsistent.
fn agree(response_ok: bool, in_db: bool, evidence: String) -> Observed {
    if response_ok == in_db {
        Observed::new(in_db, evidence)
    } else {
        Observed::inconsistent(evidence)
    }
}

struct Actors {
    clients: [Client; 4],
    a: User,
}

// ---- table ----

async fn seed_row(owner: &str) -> i64 {
    let id = unique_id();
    stack()
        .await
        .execute_sql(&format!(
            "insert into public.rls_items (id, owner, label) values ({id}, '{owner}', 'seed')"
        ))
        .await
        .expect("seed row");
    id
}

async fn table_cell(op: Op, client: &Client, a: &User) -> Observed {
    let items = || client.table("rls_items");
    match op {
        Op::TableSelect => {
            let id = seed_row(&a.id).await;
            let r = items().select("*").eq("id", id).await;
            let rows = r.as_ref().map(|r| r.data.as_array().map_or(0, Vec::len));
            let evidence = outcome(&r);
            match rows {
                Ok(1) => Observed::new(true, evidence),
                Ok(0) => Observed::new(false, evidence),
                _ => Observed::inconsistent(evidence),
            }
        }
        Op::TableInsert => {
            let id = unique_id();
            let r = items()
                .insert(json!({"id": id, "owner": a.id, "label": "inserted"}))
                .await;
            let n = count(&format!(
                "select count(*)::int8 as n from public.rls_items where id = {id}"
            ))
            .await;
            agree(
                r.is_ok(),
                n == 1,
                format!("{}; rows in db: {n}", outcome(&r)),
            )
        }
        Op::TableUpdate => {
            let id = seed_row(&a.id).await;
            let r = items()
                .update(json!({"label": "updated"}))
                .eq("id", id)
                .await;
            let changed = count(&format!(
                "select count(*)::int8 as n from public.rls_items \
                 where id = {id} and label = 'updated'"
            ))
            .await;
            // PostgREST answers a filtered-out update with success and no rows.
            let returned = r
                .as_ref()
                .map_or(0, |r| r.data.as_array().map_or(0, Vec::len));
            agree(
                returned == 1,
                changed == 1,
                format!("{}; updated rows in db: {changed}", outcome(&r)),
            )
        }
        Op::TableDelete => {
            let id = seed_row(&a.id).await;
            let r = items().delete().eq("id", id).await;
            let left = count(&format!(
                "select count(*)::int8 as n from public.rls_items where id = {id}"
            ))
            .await;
            let returned = r
                .as_ref()
                .map_or(0, |r| r.data.as_array().map_or(0, Vec::len));
            agree(
                returned == 1,
                left == 0,
                format!("{}; rows left in db: {left}", outcome(&r)),
            )
        }
        _ => unreachable!(),
    }
}

// ---- storage ----

const BUCKET: &str = "rls-files";

/// An object under A's folder, uploaded with the service role; its path and content.
async fn seed_object(a: &User) -> (String, String) {
    let path = format!("{}/seed-{}.txt", a.id, unique_id());
    let content = format!("seed {path}");
    service()
        .await
        .storage()
        .from_(BUCKET)
        .upload(&path, content.clone().into_bytes())
        .await
        .expect("seed object");
    (path, content)
}

async fn objects_named(path: &str) -> i64 {
    count(&format!(
        "select count(*)::int8 as n from storage.objects \
         where bucket_id = '{BUCKET}' and name = '{path}'"
    ))
    .await
}

async fn storage_cell(op: Op, client: &Client, a: &User) -> Observed {
    let files = client.storage().from_(BUCKET);
    match op {
        Op::StorageRead => {
            let (path, content) = seed_object(a).await;
            let r = files.download(&path).await;
            match &r {
                Ok(bytes) if bytes.as_ref() == content.as_bytes() => {
                    Observed::new(true, "downloaded the bytes")
                }
                Ok(_) => Observed::inconsistent("downloaded other bytes"),
                Err(Error::Storage(e)) => Observed::new(false, format!("error: {e}")),
                Err(e) => Observed::inconsistent(format!("untyped error: {e}")),
            }
        }
        Op::StorageUpload => {
            let path = format!("{}/new-{}.txt", a.id, unique_id());
            let r = files.upload(&path, b"new").await;
            let n = objects_named(&path).await;
            agree(
                r.is_ok(),
                n == 1,
                format!("{}; objects in db: {n}", outcome(&r)),
            )
        }
        Op::StorageUpdate => {
            let (path, content) = seed_object(a).await;
            let replacement = format!("{content} replaced, and longer");
            let r = files.update(&path, replacement.clone().into_bytes()).await;
            let size = sql(&format!(
                "select (metadata->>'size')::int8 as size from storage.objects \
                 where bucket_id = '{BUCKET}' and name = '{path}'"
            ))
            .await[0]["size"]
                .as_i64();
            let stored = service()
                .await
                .storage()
                .from_(BUCKET)
                .download(&path)
                .await
                .expect("service reads the object");
            let replaced = stored.as_ref() == replacement.as_bytes();
            let evidence = format!(
                "{}; size in db: {size:?}; content replaced: {replaced}",
                outcome(&r)
            );
            if replaced != (size == Some(replacement.len() as i64)) {
                return Observed::inconsistent(evidence);
            }
            agree(r.is_ok(), replaced, evidence)
        }
        Op::StorageRemove => {
            let (path, _) = seed_object(a).await;
            let r = files.remove([path.clone()]).await;
            let n = objects_named(&path).await;
            // storage-api answers a removal of invisible objects with an empty list.
            let removed = r.as_ref().map_or(0, Vec::len);
            agree(
                removed == 1,
                n == 0,
                format!("{}; objects left in db: {n}", outcome(&r)),
            )
        }
        _ => unreachable!(),
    }
}

// ---- realtime ----

/// Subscribes every actor to all changes in `public`, then (as superuser) inserts, updates and
/// deletes one row of A. After each write it inserts a row in `rls_open` that everyone may see
/// (a sentinel) and reads every subscriber's events up to it: they arrive in commit order on its
/// socket, so what has not arrived before the sentinel was not delivered (no waiting on a
/// clock). The next write waits for the sentinel because the RLS check of a change reads the
/// row as it is when the change is delivered (WALRUS does the same): a row already deleted
/// would hide its own INSERT and UPDATE.
async fn realtime_cells(actors: &Actors) -> Vec<[Observed; 4]> {
    let mut streams = Vec::new();
    for client in &actors.clients {
        let channel = client.channel(format!("rls-matrix-{}", unique_id()));
        let stream = channel
            .postgres_changes_stream(PostgresChangeEvent::All, PostgresChanges::schema("public"));
        channel.subscribe().await.expect("subscribed");
        streams.push((channel, stream));
    }
    let id = unique_id();
    let a = &actors.a.id;
    let mut per_subscriber: Vec<Vec<PostgresChangesPayload>> = vec![Vec::new(); streams.len()];
    for statement in [
        format!("insert into public.rls_items (id, owner, label) values ({id}, '{a}', 'rt')"),
        format!("update public.rls_items set label = 'rt2' where id = {id}"),
        format!("delete from public.rls_items where id = {id}"),
    ] {
        let sentinel = unique_id();
        for sql in [
            statement,
            format!("insert into public.rls_open (id, label) values ({sentinel}, 'sentinel')"),
        ] {
            stack().await.execute_sql(&sql).await.expect("write");
        }
        for ((_, stream), seen) in streams.iter_mut().zip(&mut per_subscriber) {
            loop {
                let change = tokio::time::timeout(Duration::from_secs(15), stream.next())
                    .await
                    .expect("the sentinel reaches every subscriber (stalled 15 s)")
                    .expect("stream open");
                if change.table == "rls_open" && change.new["id"] == json!(sentinel) {
                    break;
                }
                let key = if change.event_type == PostgresChangeEvent::Delete {
                    &change.old["id"]
                } else {
                    &change.new["id"]
                };
                if change.table == "rls_items" && *key == json!(id) {
                    seen.push(change);
                }
            }
        }
    }
    for (channel, _) in streams {
        channel.unsubscribe().await.ok();
    }

    let mut rows = Vec::new();
    for event in [
        PostgresChangeEvent::Insert,
        PostgresChangeEvent::Update,
        PostgresChangeEvent::Delete,
    ] {
        let row: Vec<Observed> = per_subscriber
            .iter()
            .map(|seen| {
                let got: Vec<&PostgresChangesPayload> =
                    seen.iter().filter(|c| c.event_type == event).collect();
                match got.as_slice() {
                    [] => Observed::new(false, "not delivered before the sentinel"),
                    [one] if event == PostgresChangeEvent::Delete => {
                        // Only the key of a deleted row under RLS, never its content.
                        if one.old == json!({"id": id}) {
                            Observed::new(true, "delivered, old = primary key only")
                        } else {
                            Observed::inconsistent(format!("delete leaked {}", one.old))
                        }
                    }
                    [one] => Observed::new(true, format!("delivered: {}", one.new)),
                    many => Observed::inconsistent(format!("delivered {} times", many.len())),
                }
            })
            .collect();
        rows.push(row.try_into().expect("four subscribers"));
    }
    rows
}

#[tokio::test]
async fn rls_matrix_for_tables_storage_and_realtime() {
    let a = sign_up("rls-a").await;
    let b = sign_up("rls-b").await;
    let actors = Actors {
        clients: [
            anon().await,
            a.client.clone(),
            b.client.clone(),
            service().await,
        ],
        a,
    };

    let mut observed: Vec<(Op, [Observed; 4])> = Vec::new();
    for (op, _) in &EXPECTED[..8] {
        let mut row = Vec::new();
        for client in &actors.clients {
            row.push(match op {
                Op::TableSelect | Op::TableInsert | Op::TableUpdate | Op::TableDelete => {
                    table_cell(*op, client, &actors.a).await
                }
                _ => storage_cell(*op, client, &actors.a).await,
            });
        }
        observed.push((*op, row.try_into().expect("four actors")));
    }
    let realtime = realtime_cells(&actors).await;
    for ((op, _), row) in EXPECTED[8..].iter().zip(realtime) {
        observed.push((*op, row));
    }

    let mut report = format!("{:<40}", "operation on user A's data");
    for who in WHO {
        report.push_str(&format!("{who:<16}"));
    }
    report.push('\n');
    let mut differences = Vec::new();
    for ((op, expected), (_, cells)) in EXPECTED.iter().zip(&observed) {
        report.push_str(&format!("{:<40}", op.to_string()));
        for (i, cell) in cells.iter().enumerate() {
            let ok = cell.allowed == Some(expected[i]);
            let mark = if ok { "" } else { " <-- " };
            report.push_str(&format!("{:<16}", format!("{}{mark}", cell.label())));
            if !ok {
                differences.push(format!(
                    "{op} as {}: expected {}, got {} ({})",
                    WHO[i],
                    if expected[i] { "allow" } else { "deny" },
                    cell.label(),
                    cell.evidence
                ));
            }
        }
        report.push('\n');
    }
    assert!(
        differences.is_empty(),
        "RLS matrix differs from the expected table:\n{report}\n{}",
        differences.join("\n")
    );
    println!("{report}");
}
