// supabase-local: runs one edge function in plain Deno, the way the edge runtime runs a user
// worker (supabase/cli internal/functions/serve/templates/main.ts creates one worker per function
// from its `index.ts`). The function calls `Deno.serve(handler)` without a port, as on Supabase;
// this runner binds that server to the port supabase-local chose, then imports the function.

const port = Number(Deno.env.get("SUPABASE_LOCAL_WORKER_PORT"));
const entrypoint = Deno.env.get("SUPABASE_LOCAL_WORKER_ENTRY") ?? "";
Deno.env.delete("SUPABASE_LOCAL_WORKER_PORT");
Deno.env.delete("SUPABASE_LOCAL_WORKER_ENTRY");

// The edge runtime's answer when a function throws (main.ts: InvalidWorkerResponse).
function workerError(error: unknown): Response {
  console.error(error);
  return Response.json(
    {
      code: "WORKER_ERROR",
      message: "Function exited due to an error (please check logs)",
    },
    { status: 500 },
  );
}

const originalServe = Deno.serve.bind(Deno);
let serving = false;

// deno-lint-ignore no-explicit-any
(Deno as any).serve = (first: any, second?: any) => {
  if (serving) {
    throw new Error("supabase-local: a function can call Deno.serve only once");
  }
  serving = true;
  const options = typeof first === "function" ? {} : (first ?? {});
  const handler = typeof first === "function"
    ? first
    : (typeof second === "function" ? second : options.handler);
  return originalServe({
    onError: workerError,
    ...options,
    handler,
    port,
    hostname: "127.0.0.1",
    onListen() {},
  });
};

await import(entrypoint);

if (!serving) {
  console.error("supabase-local: the function's index.ts did not call Deno.serve");
  Deno.exit(1);
}
