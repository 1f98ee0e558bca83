//! `bench-floor <floor|floor-typed> <workload> <ops>`: plain reqwest + serde_json issuing the
//! same requests as the clients, into the same rows: the floor every client is compared with
//! ([`bench_client::floor`]).

fn main() {
    bench_client::main(bench_client::floor::Floor::new, |_| None);
}
