//! `bench-paired <untyped|typed> <lookup|concurrent> <blocks> <ops>`: this client and its
//! floor (`floor` for untyped, `floor-typed` for typed) in one process, in alternating blocks of
//! `ops` requests each, the floor first in even blocks and second in odd ones (A B, B A, …).
//!
//! The rounds of `cargo xtask bench clients` run each client in its own process, seconds apart
//! from its floor; on a shared host the same binary's CPU a request moves by 2× from one process
//! to the next, and a ratio of two such figures carries that noise. Here the two sides of each
//! block pair run within a fraction of a second of each other on the same thread, so what the
//! host does to one it mostly does to the other: the per-pair ratios are far tighter, and their
//! median is the figure this binary gives. Each block starts with the same untimed warm-up call
//! as every measurement of the bench ([`bench_client::timed`]). Peak RSS is not measured here
//! (this process links both clients); the rounds measure it.
//!
//! Only lookups are paired. Pages and inserts allocate enough that the two clients would share
//! malloc's state: glibc raises its trim threshold after one client's large buffers, which then
//! spares the other client the page faults it makes in a process of its own (measured: the
//! untyped page came out at 0.89× its floor here against 0.81× in instructions).
//!
//! Prints one JSON line: both sides' CPU per block, the median of the per-pair ratios (client /
//! floor) with its 95% confidence interval, their quartiles, and the ratio of the totals.

use bench_client::floor::Floor;
use bench_client::measure::quantile;
use bench_client::supabase::Supabase;
use bench_client::{Workloads, env, run, runtime};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match paired(&args) {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("bench-paired: {e}");
            std::process::exit(1);
        }
    }
}

fn paired(args: &[String]) -> Result<Value, String> {
    let [client, workload, blocks, ops] = args else {
        return Err(format!(
            "usage: <untyped|typed> <lookup|concurrent> <blocks> <ops>, got {args:?}"
        ));
    };
    if workload != "lookup" && workload != "concurrent" {
        return Err(format!("no paired form of workload {workload:?}"));
    }
    let count = |n: &str| n.parse::<usize>().map_err(|_| format!("bad count {n:?}"));
    let (blocks, ops) = (count(blocks)?, count(ops)?);
    let floor_name = if client == "typed" {
        "floor-typed"
    } else {
        "floor"
    };
    let (url, key) = (env("SUPABASE_URL")?, env("SUPABASE_KEY")?);
    runtime()?.block_on(async {
        let ours = Supabase::new(client, &url, &key)?;
        let floor = Floor::new(floor_name, &url, &key)?;
        let (mut floor_cpu, mut client_cpu) = (Vec::new(), Vec::new());
        for block in 0..blocks {
            for floor_turn in [block % 2 == 0, block % 2 != 0] {
                let (cpu, side) = if floor_turn {
                    (block_cpu(&floor, workload, ops).await, &mut floor_cpu)
                } else {
                    (block_cpu(&ours, workload, ops).await, &mut client_cpu)
                };
                side.push(cpu?);
            }
        }
        let ratios: Vec<f64> = client_cpu
            .iter()
            .zip(&floor_cpu)
            .map(|(c, f)| c / f)
            .collect();
        let total = |v: &[f64]| v.iter().sum::<f64>();
        Ok(json!({
            "client": client,
            "floor": floor_name,
            "workload": workload,
            "blocks": blocks,
            "ops": ops,
            "client_cpu_s": client_cpu,
            "floor_cpu_s": floor_cpu,
            "ratio_median": quantile(ratios.clone(), 0.5),
            "ratio_median_ci95": median_ci95(ratios.clone()),
            "ratio_q1": quantile(ratios.clone(), 0.25),
            "ratio_q3": quantile(ratios, 0.75),
            "ratio_of_totals": total(&client_cpu) / total(&floor_cpu),
        }))
    })
}

/// The CPU seconds of one block of `ops` lookups, checking that each read its row.
async fn block_cpu<C: Workloads>(c: &C, workload: &str, ops: usize) -> Result<f64, String> {
    let v = run(c, workload, ops).await?;
    let rows = v["rows"].as_u64().unwrap_or(0) as usize;
    if rows != ops {
        return Err(format!("{workload} read {rows} rows, expected {ops}"));
    }
    v["cpu_s"]
        .as_f64()
        .ok_or_else(|| format!("no cpu_s in {v}"))
}

/// A 95% confidence interval of the median of `values`, from their order statistics (the
/// distribution-free interval: the median lies between the k-th smallest and the k-th largest
/// value with k = n/2 − 1.96·√n/2, from the binomial distribution of how many values fall below
/// it). `[NaN, NaN]` for fewer than 6 values, where no such interval reaches 95%.
fn median_ci95(mut values: Vec<f64>) -> [f64; 2] {
    let n = values.len();
    if n < 6 {
        return [f64::NAN; 2];
    }
    values.sort_by(f64::total_cmp);
    let k = ((n as f64 / 2.0 - 0.98 * (n as f64).sqrt()).floor() as usize).max(1);
    [values[k - 1], values[n - k]]
}

#[cfg(test)]
mod tests {
    use super::median_ci95;

    #[test]
    fn the_median_interval_takes_the_order_statistics_around_the_middle() {
        // n = 100: k = 50 - 9.8 = 40, so the 40th smallest and the 40th largest (61st).
        let values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(median_ci95(values), [40.0, 61.0]);
        assert!(median_ci95(vec![1.0; 5])[0].is_nan());
    }
}
