//! The floor: plain reqwest + serde_json issuing the same requests as the clients, into the same
//! rows (binary `bench-floor <floor|floor-typed> <workload> <ops>`).
//!
//! `floor` reads with `select=*`, as the untyped client and the peers do. `floor-typed` sends
//! the typed client's requests, whose reads name the struct's columns
//! (`select=id,name,score,active,tags,note`): PostgREST serves those more slowly (about 20%
//! fewer lookups a second at 8 in flight), and a client's CPU per request grows with the time it
//! waits, so the typed client is compared with the floor that waits as long.

use crate::{Row, Workloads, decode_rows, row};

/// The floor client: one reqwest client, the API's URL and key, what reads select.
pub struct Floor {
    http: reqwest::Client,
    url: String,
    key: String,
    /// What reads select: `*`, or the typed client's column list.
    select: &'static str,
}

impl std::fmt::Debug for Floor {
    // Without the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Floor")
            .field("url", &self.url)
            .field("select", &self.select)
            .finish_non_exhaustive()
    }
}

impl Floor {
    /// The floor `client` (`floor` or `floor-typed`) against the API at `url`.
    pub fn new(client: &str, url: &str, key: &str) -> Result<Floor, String> {
        let select = match client {
            "floor" => "*",
            "floor-typed" => TYPED_SELECT,
            other => return Err(format!("the floor is floor or floor-typed, not {other:?}")),
        };
        Ok(Floor {
            http: reqwest::Client::new(),
            url: format!("{url}/rest/v1"),
            key: key.to_owned(),
            select,
        })
    }

    async fn get(&self, query: &str) -> Result<Vec<Row>, String> {
        let resp = self
            .http
            .get(format!("{}/bench_rows?{query}", self.url))
            .header("apikey", &self.key)
            .header("Authorization", format!("Bearer {}", self.key))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        decode(resp).await
    }
}

async fn decode(resp: reqwest::Response) -> Result<Vec<Row>, String> {
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    decode_rows(status, &body)
}

impl Workloads for Floor {
    type Batch = Vec<Row>;

    fn batch(&self, ids: std::ops::RangeInclusive<i64>) -> Vec<Row> {
        ids.map(row).collect()
    }

    async fn lookup(&self, id: i64) -> Result<usize, String> {
        let rows = self
            .get(&format!("select={}&id=eq.{id}", self.select))
            .await?;
        Ok(rows.len())
    }

    async fn page(&self, offset: u64) -> Result<usize, String> {
        // What supabase-js and postgrest-rs send for `.range()`.
        let rows = self
            .get(&format!(
                "select={}&offset={offset}&limit=1000",
                self.select
            ))
            .await?;
        Ok(rows.len())
    }

    async fn insert(&self, rows: Vec<Row>) -> Result<usize, String> {
        let body = serde_json::to_vec(&rows).map_err(|e| e.to_string())?;
        let resp = self
            .http
            .post(format!("{}/bench_insert?{INSERT_COLUMNS}", self.url))
            .header("apikey", &self.key)
            .header("Authorization", format!("Bearer {}", self.key))
            .header("Content-Type", "application/json")
            .header("Prefer", "return=representation")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(decode(resp).await?.len())
    }
}

/// The typed client's select list: the columns of its `#[derive(Table)]` struct.
const TYPED_SELECT: &str = "id,name,score,active,tags,note";

/// The `columns` parameter this client (untyped and typed) and supabase-js send with a bulk
/// insert, so that the floor's request is the same: PostgREST then reads the body with the
/// columns' types (`json_to_recordset`) and answers in about half the time it takes without.
const INSERT_COLUMNS: &str =
    "columns=%22id%22,%22name%22,%22score%22,%22active%22,%22tags%22,%22note%22";
