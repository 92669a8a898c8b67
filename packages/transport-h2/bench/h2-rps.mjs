// Loopback throughput at 64 concurrent streams on one HTTP/2 connection (h2c), small bodies read
// fully: HTTP2Transport against a bare node:http2 client session (the floor) and undici's Client
// with allowH2 over TLS (undici speaks HTTP/2 only after ALPN, so it runs against a TLS server;
// HTTP2Transport is measured over TLS too for that comparison). undici gets `pipelining: C`:
// without it, it keeps one stream in flight. The server runs on a worker thread. Run after
// `pnpm --filter @nq/transport-h2 build` (and the testkit's):
//   node packages/transport-h2/bench/h2-rps.mjs
import { connect } from "node:http2";
import { Worker } from "node:worker_threads";
import { Request } from "@nq/models";
import { createTestPki } from "@nq/testkit";
import { Client } from "undici";
import { HTTP2Transport } from "../dist/index.js";

const N = Number(process.env.N ?? 50_000);
const CONCURRENCY = Number(process.env.C ?? 64);
const pki = createTestPki();
const certificate = pki.issue();

const worker = new Worker(
  `const http2 = require("node:http2");
   const { parentPort, workerData } = require("node:worker_threads");
   const body = Buffer.alloc(${Number(process.env.BODY ?? 128)}, "x");
   const onStream = (stream) => {
     stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": body.length });
     stream.end(body);
   };
   const plain = http2.createServer({ settings: { maxConcurrentStreams: 1000 } });
   plain.on("stream", onStream);
   const secure = http2.createSecureServer({ key: workerData.key, cert: workerData.cert, settings: { maxConcurrentStreams: 1000 } });
   secure.on("stream", onStream);
   plain.listen(0, "127.0.0.1", () => secure.listen(0, "127.0.0.1", () =>
     parentPort.postMessage([plain.address().port, secure.address().port])));`,
  { eval: true, workerData: { key: certificate.key, cert: certificate.chain } },
);
const [plainPort, securePort] = await new Promise((resolve) => worker.once("message", resolve));
const plainOrigin = `http://127.0.0.1:${plainPort}`;
const secureOrigin = `https://127.0.0.1:${securePort}`;

async function run(name, once) {
  for (let i = 0; i < 2_000; i++) await once(); // warm-up
  const per = Math.ceil(N / CONCURRENCY);
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = 0; i < per; i++) await once();
    }),
  );
  const ns = Number(process.hrtime.bigint() - start);
  const total = per * CONCURRENCY;
  console.log(`${name.padEnd(40)} c=${CONCURRENCY} ${(total / (ns / 1e9)).toFixed(0).padStart(7)} req/s`);
}

function transportOnce(transport, request, options) {
  return async () => {
    const response = await transport.send(request, options);
    let n = 0;
    for await (const chunk of response.body) n += chunk.length;
    return n;
  };
}

function rawOnce(session) {
  return () =>
    new Promise((resolve, reject) => {
      const stream = session.request(
        { ":path": "/", "user-agent": "bench", accept: "*/*" },
        { endStream: true },
      );
      let n = 0;
      stream.on("data", (chunk) => {
        n += chunk.length;
      });
      stream.on("end", () => resolve(n));
      stream.on("error", reject);
    });
}

function undiciOnce(client) {
  return async () => {
    const { body } = await client.request({
      path: "/",
      method: "GET",
      headers: { "user-agent": "bench", accept: "*/*" },
    });
    return (await body.arrayBuffer()).byteLength;
  };
}

const headers = { "User-Agent": "bench", Accept: "*/*" };
const plainOptions = { timeout: { connect: 10_000, read: 30_000, total: null }, verify: true };
const secureOptions = { ...plainOptions, verify: pki.ca.cert };

const rounds = Number(process.env.ROUNDS ?? 3);
for (let round = 0; round < rounds; round++) {
  const session = connect(plainOrigin);
  await run("node:http2 ClientHttp2Session (h2c)", rawOnce(session));
  session.close();

  const h2c = new HTTP2Transport({ h2c: true });
  await run(
    "HTTP2Transport (h2c)",
    transportOnce(h2c, new Request({ url: `${plainOrigin}/`, headers }).prepare(), plainOptions),
  );
  await h2c.close();

  const secureSession = connect(secureOrigin, { ca: pki.ca.cert });
  await run("node:http2 ClientHttp2Session (TLS)", rawOnce(secureSession));
  secureSession.close();

  const tls = new HTTP2Transport();
  await run(
    "HTTP2Transport (TLS)",
    transportOnce(tls, new Request({ url: `${secureOrigin}/`, headers }).prepare(), secureOptions),
  );
  await tls.close();

  const client = new Client(secureOrigin, {
    allowH2: true,
    pipelining: CONCURRENCY,
    connect: { ca: pki.ca.cert },
  });
  await run("undici Client allowH2 (TLS)", undiciOnce(client));
  await client.close();
  console.log();
}
await worker.terminate();
