//! This client as the bench measures it: untyped (`table()` into serde rows) or typed
//! (`from::<T>()` with `#[derive(Table)]`), issuing the floor's requests (binary
//! `bench-supabase <untyped|typed> <workload> <ops>`).

use serde::{Deserialize, Serialize};
use supabase_core::postgrest::Returning;
use supabase_core::prelude::*;

use crate::{Row, Workloads, row};

/// A row of `bench_rows` (read workloads).
#[derive(Table, Debug, Deserialize, Serialize)]
#[supabase(table = "bench_rows")]
#[allow(dead_code)] // decoded (that is the cost measured), never read
pub struct BenchRow {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    note: Option<String>,
}

/// The same columns in `bench_insert` (the insert workload).
#[derive(Table, Debug, Deserialize, Serialize)]
#[supabase(table = "bench_insert")]
#[allow(dead_code)]
pub struct BenchInsert {
    #[supabase(primary_key)]
    id: i64,
    name: String,
    score: f64,
    active: bool,
    tags: Vec<String>,
    note: Option<String>,
}

/// This client, untyped (`table()` into serde rows) or typed (`from::<T>()`).
#[derive(Debug)]
pub struct Supabase {
    client: Client,
    typed: bool,
}

impl Supabase {
    /// This client as `client` (`untyped` or `typed`) against the project at `url`.
    pub fn new(client: &str, url: &str, key: &str) -> Result<Supabase, String> {
        let typed = match client {
            "untyped" => false,
            "typed" => true,
            other => return Err(format!("this client is untyped or typed, not {other:?}")),
        };
        let client = create_client(url, key).map_err(|e| e.to_string())?;
        Ok(Supabase { client, typed })
    }
}

/// An insert batch in the shape each form takes.
#[derive(Debug)]
pub enum Batch {
    /// Serde rows (untyped).
    Rows(Vec<Row>),
    /// The derive's insert type (typed).
    Typed(Vec<BenchInsertInsert>),
}

impl Workloads for Supabase {
    type Batch = Batch;

    fn batch(&self, ids: std::ops::RangeInclusive<i64>) -> Batch {
        if !self.typed {
            return Batch::Rows(ids.map(row).collect());
        }
        Batch::Typed(
            ids.map(|i| {
                let r = row(i);
                let insert = BenchInsertInsert::new(r.id, r.name, r.score, r.active, r.tags);
                // Left out when null: the column default (null) fills it in.
                match r.note {
                    Some(note) => insert.note(note),
                    None => insert,
                }
            })
            .collect(),
        )
    }

    async fn lookup(&self, id: i64) -> Result<usize, String> {
        let c = &self.client;
        let n = if self.typed {
            c.from::<BenchRow>()
                .select()
                .eq(bench_row::id, id)
                .await
                .map_err(|e| e.to_string())?
                .len()
        } else {
            c.table("bench_rows")
                .select("*")
                .eq("id", id)
                .returns::<Vec<Row>>()
                .await
                .map_err(|e| e.to_string())?
                .data
                .len()
        };
        Ok(n)
    }

    async fn page(&self, offset: u64) -> Result<usize, String> {
        let c = &self.client;
        let n = if self.typed {
            c.from::<BenchRow>()
                .select()
                .range(offset, offset + 999)
                .await
                .map_err(|e| e.to_string())?
                .len()
        } else {
            c.table("bench_rows")
                .select("*")
                .range(offset, offset + 999)
                .returns::<Vec<Row>>()
                .await
                .map_err(|e| e.to_string())?
                .data
                .len()
        };
        Ok(n)
    }

    async fn insert(&self, batch: Batch) -> Result<usize, String> {
        let c = &self.client;
        let n = match batch {
            Batch::Rows(rows) => c
                .table("bench_insert")
                .insert(&rows)
                .returning(Returning::Representation)
                .returns::<Vec<Row>>()
                .await
                .map_err(|e| e.to_string())?
                .data
                .len(),
            Batch::Typed(rows) => {
                let stored: Vec<BenchInsert> = c
                    .from::<BenchInsert>()
                    .insert_many(rows)
                    .await
                    .map_err(|e| e.to_string())?;
                stored.len()
            }
        };
        Ok(n)
    }
}
