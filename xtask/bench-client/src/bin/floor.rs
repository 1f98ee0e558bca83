//! `bench-floor floor <workload> <ops>`: plain reqwest + serde_json issuing the same requests as
//! the clients, into the same rows: the floor every client is compared with.

use bench_client::{Row, Workloads, decode_rows, row};

struct Floor {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Floor {
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
        Ok(self.get(&format!("select=*&id=eq.{id}")).await?.len())
    }

    async fn page(&self, offset: u64) -> Result<usize, String> {
        // What supabase-js and postgrest-rs send for `.range()`.
        let rows = self
            .get(&format!("select=*&offset={offset}&limit=1000"))
            .await?;
        Ok(rows.len())
    }

    async fn insert(&self, rows: Vec<Row>) -> Result<usize, String> {
        let body = serde_json::to_vec(&rows).map_err(|e| e.to_string())?;
        let resp = self
            .http
            .post(format!("{}/bench_insert", self.url))
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

fn main() {
    bench_client::main(
        |client, url, key| match client {
            "floor" => Ok(Floor {
                http: reqwest::Client::new(),
                url: format!("{url}/rest/v1"),
                key: key.to_owned(),
            }),
            other => Err(format!("bench-floor runs the floor, not {other:?}")),
        },
        |_| None,
    );
}
