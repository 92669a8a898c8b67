// Loopback micro-benchmark of the hot path: small bodies read fully, keep-alive, sequential
// and 10-way concurrent, against a node:http server on a worker thread. Compares HTTP1Transport with undici's own Pool.request and with a bare
// Pool.dispatch handler (the floor). Run after `pnpm --filter @nq/transport-h1 build`:
//   node packages/transport-h1/bench/hot-path.mjs
import { Worker } from "node:worker_threads";
import { Request } from "@nq/models";
import { Pool } from "undici";
import { HTTP1Transport } from "../dist/index.js";

const N = Number(process.env.N ?? 20_000);
// The server runs on its own thread so the numbers measure the client side.
const worker = new Worker(
  `const { createServer } = require("node:http");
   const { parentPort } = require("node:worker_threads");
   const body = Buffer.alloc(${Number(process.env.BODY ?? 128)}, "x");
   const server = createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
     res.setHeader("content-type", "text/plain");
     res.setHeader("content-length", body.length);
     res.end(body);
   });
   server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));`,
  { eval: true },
);
const port = await new Promise((resolve) => worker.once("message", resolve));
const origin = `http://127.0.0.1:${port}`;
const options = { timeout: { connect: 10_000, read: 30_000, total: null }, verify: true };

async function transportOnce(t, request) {
  const response = await t.send(request, options);
  let n = 0;
  for await (const chunk of response.body) n += chunk.length;
  return n;
}

async function undiciOnce(pool) {
  const { body } = await pool.request({ path: "/", method: "GET" });
  return (await body.arrayBuffer()).byteLength;
}

function dispatchOnce(pool) {
  return new Promise((resolve, reject) => {
    let n = 0;
    pool.dispatch(
      { path: "/", method: "GET", headers: [] },
      {
        onConnect() {},
        onHeaders() {
          return true;
        },
        onData(chunk) {
          n += chunk.length;
          return true;
        },
        onComplete() {
          resolve(n);
        },
        onError: reject,
      },
    );
  });
}

async function run(name, once, concurrency) {
  for (let i = 0; i < 500; i++) await once(); // warm-up
  const per = N / concurrency;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = 0; i < per; i++) await once();
    }),
  );
  const ns = Number(process.hrtime.bigint() - start);
  console.log(
    `${name.padEnd(34)} c=${String(concurrency).padEnd(3)} ${(N / (ns / 1e9)).toFixed(0).padStart(7)} req/s  ${(ns / N / 1e3).toFixed(1).padStart(6)} µs/req`,
  );
}

const request = new Request({
  url: `${origin}/`,
  headers: { "User-Agent": "bench", Accept: "*/*" },
}).prepare();
for (const concurrency of [1, 10]) {
  const t = new HTTP1Transport();
  const pool = new Pool(origin, { connections: 10 });
  const bare = new Pool(origin, { connections: 10 });
  await run("HTTP1Transport.send + for-await", () => transportOnce(t, request), concurrency);
  await run("undici Pool.request + arrayBuffer", () => undiciOnce(pool), concurrency);
  await run("undici Pool.dispatch (bare handler)", () => dispatchOnce(bare), concurrency);
  await Promise.all([t.close(), pool.close(), bare.close()]);
}
await worker.terminate();
