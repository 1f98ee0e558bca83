// The reference example: `invoke("hello-world", { body: { name } })`.
Deno.serve(async (req) => {
  const { name } = await req.json();
  return Response.json({ message: `Hello ${name}!` });
});
