// supabase-js side of `cargo xtask bench`: runs one workload, prints one JSON line.
//
// usage: node bench.mjs <lookup|page|insert|concurrent> <ops>   (SUPABASE_URL, SUPABASE_KEY in the env)
//
// CPU is this process's (process.cpuUsage, user + system) during the timed part only; peak RSS is
// process.resourceUsage().maxRSS (KiB) at the end. Before the clock starts, one warm-up call per
// worker (indices ops.., untimed) opens the connections, as in the Rust driver
// (xtask/bench-client/src/lib.rs, `timed`). The workloads mirror the Rust ones in
// xtask/bench-client/src/lib.rs: same table, same rows, same requests. Inserts ask for the rows back
// (`.select()`), as supabase-py, postgrest-rs and this client do by default.
import { createClient } from "@supabase/supabase-js";

const row = (i) => ({
  id: i,
  name: `row ${i}`,
  score: i * 1.5,
  active: i % 2 === 0,
  tags: ["a", "b", `t${i % 7}`],
  note: i % 3 === 0 ? null : `note ${i}`,
});
const lookupId = (i) => (i % 5000) + 1;
const percentile = (samples, q) => {
  if (samples.length === 0) return 0;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.round((s.length - 1) * q)];
};
const check = ({ data, error }) => {
  if (error) throw new Error(JSON.stringify(error));
  return data.length;
};

const [workload, opsArg] = process.argv.slice(2);
const ops = Number(opsArg);
// Node < 22 has no global WebSocket, which supabase-js's realtime client asks for at creation
// (realtime is not used here); `ws` is what supabase-js documents for those versions.
const transport = globalThis.WebSocket ?? (await import("ws")).default;
const client = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_KEY, {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport },
});

let op;
let workers = 1;
if (workload === "lookup" || workload === "concurrent") {
  op = async (i) => check(await client.from("bench_rows").select("*").eq("id", lookupId(i)));
  if (workload === "concurrent") workers = 8;
} else if (workload === "page") {
  op = async (i) => {
    const offset = (i % 4) * 1000;
    return check(await client.from("bench_rows").select("*").range(offset, offset + 999));
  };
} else if (workload === "insert") {
  const batches = Array.from({ length: ops + 1 }, (_, b) =>
    Array.from({ length: 1000 }, (_, j) => row(b * 1000 + j + 1)),
  );
  op = async (i) => check(await client.from("bench_insert").insert(batches[i]).select());
} else {
  throw new Error(`unknown workload ${workload}`);
}

await Promise.all(Array.from({ length: workers }, (_, k) => op(ops + k))); // the warm-up, untimed
const latencies = [];
let rows = 0;
let next = 0;
const worker = async () => {
  while (next < ops) {
    const i = next++;
    const t = process.hrtime.bigint();
    const n = await op(i); // not `rows += await …`: that reads `rows` before awaiting
    rows += n;
    latencies.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
};
const cpu0 = process.cpuUsage();
const wall0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: workers }, worker));
const wall = Number(process.hrtime.bigint() - wall0) / 1e9;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    ops,
    rows,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    wall_s: wall,
    p50_us: percentile(latencies, 0.5),
    p99_us: percentile(latencies, 0.99),
    peak_rss: process.resourceUsage().maxRSS * 1024,
  }),
);
