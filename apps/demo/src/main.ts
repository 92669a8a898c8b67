import * as nq from "niquests";
import { startDemoServer } from "./demo-server.js";

function line(label: string, r: nq.Response): void {
  const protocol = `HTTP/${r.httpVersion / 10}`;
  console.log(
    `${label.padEnd(34)} ${String(r.statusCode).padEnd(4)} ${protocol.padEnd(9)} ${r.elapsed.toFixed(1).padStart(7)} ms`,
  );
}

const { origin, server } = await startDemoServer();
console.log(`nq ${nq.VERSION} demo against ${origin}\n`);
console.log(`${"request".padEnd(34)} ${"code".padEnd(4)} ${"protocol".padEnd(9)} ${"elapsed".padStart(10)}`);

try {
  await using session = new nq.Session({ baseUrl: origin });
  session.headers.set("Accept", "application/json");

  const get = await session.get("/get", { params: { q: "nq", page: [1, 2] } });
  line("GET /get?q=nq&page=1&page=2", get);
  console.log("  args:", JSON.stringify((get.json() as { args: unknown }).args));

  const post = await session.post("/post", { json: { hello: "world" } });
  line("POST /post (json)", post);
  console.log("  echoed:", JSON.stringify((post.json() as { json: unknown }).json));

  const redirected = await session.get("/redirect/3");
  line("GET /redirect/3", redirected);
  console.log(
    "  via:",
    redirected.history.map((h) => `${h.statusCode} ${new URL(h.url).pathname}`).join(" → "),
    "→",
    new URL(redirected.url).pathname,
  );

  const started = performance.now();
  try {
    await session.get("/slow", { timeout: 300 });
  } catch (error) {
    if (!(error instanceof nq.ReadTimeout)) throw error;
    console.log(
      `${"GET /slow (timeout 300 ms)".padEnd(34)} ${"—".padEnd(4)} ${"".padEnd(9)} ${(performance.now() - started).toFixed(1).padStart(7)} ms`,
    );
    console.log(`  caught ${error.name}: ${error.message}`);
  }

  const missing = await session.get("/nowhere");
  line("GET /nowhere", missing);
  try {
    missing.raiseForStatus();
  } catch (error) {
    console.log(`  caught ${(error as Error).name}: ${(error as Error).message}`);
  }
} finally {
  server.closeAllConnections();
  server.close();
}
