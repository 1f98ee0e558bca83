//! `bench-postgrest-rs postgrest-rs <workload> <ops>`: postgrest-rs 1.6.0 (reqwest 0.11), the
//! Rust peer, decoding into the same rows.

use bench_client::{Row, Workloads, decode_rows, row};

struct PostgrestRs(postgrest::Postgrest);

/// Reads a postgrest-rs response (reqwest 0.11, a type the other binaries' reqwest is not).
macro_rules! decode {
    ($resp:expr) => {{
        let resp = $resp.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.map_err(|e| e.to_string())?;
        decode_rows(status, &body)?
    }};
}

impl Workloads for PostgrestRs {
    type Batch = Vec<Row>;

    fn batch(&self, ids: std::ops::RangeInclusive<i64>) -> Vec<Row> {
        ids.map(row).collect()
    }

    async fn lookup(&self, id: i64) -> Result<usize, String> {
        let rows = decode!(
            self.0
                .from("bench_rows")
                .select("*")
                .eq("id", id.to_string())
                .execute()
                .await
        );
        Ok(rows.len())
    }

    async fn page(&self, offset: u64) -> Result<usize, String> {
        let offset = offset as usize;
        let rows = decode!(
            self.0
                .from("bench_rows")
                .select("*")
                .range(offset, offset + 999)
                .execute()
                .await
        );
        Ok(rows.len())
    }

    async fn insert(&self, rows: Vec<Row>) -> Result<usize, String> {
        // postgrest-rs always asks for the rows back (`return=representation`).
        let body = serde_json::to_string(&rows).map_err(|e| e.to_string())?;
        let rows = decode!(self.0.from("bench_insert").insert(body).execute().await);
        Ok(rows.len())
    }
}

fn main() {
    bench_client::main(
        |client, url, key| match client {
            "postgrest-rs" => Ok(PostgrestRs(
                postgrest::Postgrest::new(format!("{url}/rest/v1"))
                    .insert_header("apikey", key)
                    .insert_header("Authorization", format!("Bearer {key}")),
            )),
            other => Err(format!(
                "bench-postgrest-rs runs postgrest-rs, not {other:?}"
            )),
        },
        |_| None,
    );
}
