"""supabase-py side of `cargo xtask bench`: runs one workload, prints one JSON line.

usage: bench.py <lookup|page|insert|concurrent> <ops>   (SUPABASE_URL, SUPABASE_KEY in the env)

CPU is this process's (time.process_time) during the timed part only; peak RSS is
resource.getrusage's ru_maxrss (KiB on Linux) at the end. Before the clock starts, one warm-up
call per worker (indices ops.., untimed) opens the connections, as in the Rust driver
(xtask/bench-client/src/lib.rs, `timed`). The workloads mirror the Rust ones in
xtask/bench-client/src/lib.rs: same table, same rows, same requests.
"""

import asyncio
import json
import os
import resource
import sys
import time


def row(i):
    return {
        "id": i,
        "name": f"row {i}",
        "score": i * 1.5,
        "active": i % 2 == 0,
        "tags": ["a", "b", f"t{i % 7}"],
        "note": None if i % 3 == 0 else f"note {i}",
    }


def lookup_id(i):
    return i % 5000 + 1


def percentile(samples, q):
    if not samples:
        return 0.0
    samples = sorted(samples)
    return samples[round((len(samples) - 1) * q)]


def timed_sync(ops, op):
    op(ops)  # the warm-up call, untimed
    latencies, rows = [], 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(ops):
        t = time.perf_counter()
        rows += op(i)
        latencies.append(time.perf_counter() - t)
    return rows, time.process_time() - cpu0, time.perf_counter() - wall0, latencies


def main():
    workload, ops = sys.argv[1], int(sys.argv[2])
    url, key = os.environ["SUPABASE_URL"], os.environ["SUPABASE_KEY"]
    if workload == "concurrent":
        rows, cpu, wall, latencies = asyncio.run(concurrent(url, key, ops))
    else:
        from supabase import create_client

        client = create_client(url, key)
        if workload == "lookup":

            def op(i):
                return len(client.table("bench_rows").select("*").eq("id", lookup_id(i)).execute().data)

        elif workload == "page":

            def op(i):
                offset = (i % 4) * 1000
                return len(client.table("bench_rows").select("*").range(offset, offset + 999).execute().data)

        elif workload == "insert":
            batches = [[row(b * 1000 + j + 1) for j in range(1000)] for b in range(ops + 1)]

            def op(i):
                return len(client.table("bench_insert").insert(batches[i]).execute().data)

        else:
            raise SystemExit(f"unknown workload {workload}")
        rows, cpu, wall, latencies = timed_sync(ops, op)
    print(
        json.dumps(
            {
                "ops": ops,
                "rows": rows,
                "cpu_s": cpu,
                "wall_s": wall,
                "p50_us": percentile(latencies, 0.5) * 1e6,
                "p99_us": percentile(latencies, 0.99) * 1e6,
                "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


async def concurrent(url, key, ops):
    from supabase import acreate_client

    client = await acreate_client(url, key)
    latencies, rows = [], 0
    counter = iter(range(ops))

    async def lookup(i):
        return len((await client.table("bench_rows").select("*").eq("id", lookup_id(i)).execute()).data)

    async def worker():
        nonlocal rows
        for i in counter:
            t = time.perf_counter()
            n = await lookup(i)
            latencies.append(time.perf_counter() - t)
            rows += n

    await asyncio.gather(*(lookup(ops + k) for k in range(8)))  # the warm-up calls, untimed
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(8)))
    return rows, time.process_time() - cpu0, time.perf_counter() - wall0, latencies


if __name__ == "__main__":
    main()
