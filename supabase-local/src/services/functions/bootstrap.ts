// supabase-local: runs one edge function in plain Deno, the way the edge runtime runs a user
// worker (supabase/cli internal/functions/serve/templates/main.ts creates one worker per function
// from its `index.ts`). The function calls `Deno.serve(handler)` without a port, as on Supabase;
// this runner binds that server to the port supabase-local chose, then imports the function.

const port = Number(Deno.env.get("SUPABASE_LOCAL_WORKER_PORT"));
const entrypoint = Deno.env.get("SUPABASE_LOCAL_WORKER_ENTRY") ?? "";
Deno.env.delete("SUPABASE_LOCAL_WORKER_PORT");
Deno.env.delete("SUPABASE_LOCAL_WORKER_ENTRY");

// What the edge runtime's `Deno.serve` answers when the handler throws and the function gave no
// `onError` (supabase/edge-runtime `ext/runtime/js/http.js`, `respond` and
// `internalServerError`): the error goes to the log and the caller gets a bare 500.
function internalServerError(error: unknown): Response {
  console.error(error);
  return new Response(new TextEncoder().encode("Internal Server Error"), {
    status: 500,
  });
}

// A user worker's `EdgeRuntime` namespace (supabase/edge-runtime `ext/runtime/js/namespaces.js`,
// `installEdgeRuntimeNamespace("user")`): `waitUntil(promise)` keeps the worker alive until the
// promise settles, for work after the response. A local worker lives as long as the stack, so
// here it only reports a rejection instead of letting it end the process.
const edgeRuntime = {
  waitUntil<T>(promise: Promise<T>): Promise<T> {
    Promise.resolve(promise).catch((error) => console.error(error));
    return promise;
  },
};
Object.defineProperty(globalThis, "EdgeRuntime", {
  get() {
    return edgeRuntime;
  },
  configurable: true,
});

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
    onError: internalServerError,
    ...options,
    handler,
    port,
    hostname: "127.0.0.1",
    onListen() {},
  });
};

// The edge runtime tells two failures apart (supabase/cli `templates/main.ts`): a function
// whose modules cannot be loaded (a syntax error, an import that does not resolve) fails to
// boot, `InvalidWorkerCreation` (503 BOOT_ERROR), while one that throws as its top level runs is
// an event-loop error, `InvalidWorkerResponse` (500 WORKER_ERROR; supabase/edge-runtime PR 350).
// Every module of an import is loaded and linked before any of it runs, so a first module that
// only sets a mark tells which of the two a failed import was.
const EXIT_BOOT_FAILED = 1;
const EXIT_THREW = 70;
const mark = "data:text/javascript,globalThis.__supabaseLocalEvaluating=true;";
const wrapper = await Deno.makeTempFile({ prefix: "supabase-local-", suffix: ".js" });
await Deno.writeTextFile(
  wrapper,
  `import ${JSON.stringify(mark)};\nimport ${JSON.stringify(entrypoint)};\n`,
);
try {
  await import(new URL(`file://${wrapper}`).href);
} catch (error) {
  console.error(error);
  // deno-lint-ignore no-explicit-any
  const evaluating = (globalThis as any).__supabaseLocalEvaluating === true;
  Deno.exit(evaluating ? EXIT_THREW : EXIT_BOOT_FAILED);
} finally {
  await Deno.remove(wrapper).catch(() => {});
}

// A module that calls no `Deno.serve` may export its handler instead, `export default { fetch }`,
// which the edge runtime serves as Deno's declarative server does (supabase/edge-runtime
// `ext/runtime/js/bootstrap.js`, `registerDeclarativeServer(main.default)`). The module is
// already loaded: importing it again only hands over its exports.
if (!serving) {
  const main = await import(entrypoint);
  const fetchHandler = main?.default?.fetch;
  if (typeof fetchHandler === "function") {
    Deno.serve((request: Request) => fetchHandler.call(main.default, request));
  }
}

if (!serving) {
  console.error(
    "supabase-local: the function's index.ts neither called Deno.serve nor exported default { fetch }",
  );
  Deno.exit(EXIT_BOOT_FAILED);
}
