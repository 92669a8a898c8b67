import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { type ClientHttp2Session, connect as http2Connect } from "node:http2";
import type { TLSSocket } from "node:tls";
import type * as nq from "niquests";
import type { Protocol } from "./scenarios.js";

/**
 * Every client the bench compares, each written the way its documentation shows a user calling
 * it, with default settings unless the scenario needs one (keep-alive for node:http, the test CA
 * for TLS). The scenario code is the same for all: only these adapters differ.
 *
 * Each client loads its library in `open()`, so a row's process holds only the client it
 * measures. That keeps other libraries out of its RSS, and it matters for correctness: axios
 * builds a `Request` when imported, which loads Node's bundled undici and installs *its* Agent
 * as the global dispatcher that undici 7's `request()` then uses.
 */

/**
 * The protocol undici's TLS sockets agreed by ALPN, as the bench reports it (`"2"`, `"1.1"`, or
 * null before any connection): undici does not say which protocol a response came over.
 */
export function observeUndiciAlpn(): { httpVersion(): string | null; stop(): void } {
  let alpn: string | null = null;
  const onConnected = (message: unknown) => {
    const socket = (message as { socket: Partial<TLSSocket> }).socket;
    if (typeof socket.alpnProtocol === "string") alpn = socket.alpnProtocol;
  };
  subscribe("undici:client:connected", onConnected);
  return {
    httpVersion: () => (alpn === "h2" ? "2" : alpn === null ? null : "1.1"),
    stop: () => unsubscribe("undici:client:connected", onConnected),
  };
}

/** One request of a scenario. The body is a Buffer, which every client accepts as is. */
export interface Exchange {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly body: Buffer<ArrayBuffer> | null;
}

/** What a response delivered: body bytes read, and the protocol version the client reports. */
export interface Received {
  readonly bytes: number;
  /** `"1.1"`, `"2"`… as the client reports it, or null when it does not say. */
  readonly httpVersion: string | null;
}

export interface ClientHandle {
  /** Sends one request and reads the whole body the client's usual way (buffered). */
  send(exchange: Exchange): Promise<Received>;
  /** Downloads `url` in chunks as they arrive, keeping none; resolves with the byte count. */
  stream(url: string): Promise<number>;
  close(): Promise<void>;
}

export interface ClientContext {
  /** PEM of the CA that issued the server's certificate (HTTPS rows only). */
  readonly caPem: string;
  /** Origin of the server for this row, e.g. `http://127.0.0.1:40123`. */
  readonly origin: string;
}

export interface ClientDefinition {
  readonly id: string;
  readonly label: string;
  readonly protocol: Protocol;
  /** The row that ratios are taken against, per protocol. */
  readonly isUndiciReference?: boolean;
  /**
   * Set while a client is known to be unfinished: an error in its row is printed as a note and
   * does not fail the run. Remove it once the feature lands so regressions fail CI again.
   */
  readonly mayFail?: string;
  open(context: ClientContext): Promise<ClientHandle>;
}

function expectOk(client: string, status: number | undefined): void {
  if (status !== 200) throw new Error(`${client}: unexpected status ${String(status)}`);
}

function readAll(res: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.on("end", () => resolve(Buffer.concat(chunks).byteLength));
    res.on("error", reject);
  });
}

async function countChunks(source: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) bytes += chunk.byteLength;
  return bytes;
}

const nodeHttp: ClientDefinition = {
  id: "node-http",
  label: "node:http (keep-alive Agent)",
  protocol: "h1",
  async open() {
    const agent = new HttpAgent({ keepAlive: true });
    const call = (exchange: Exchange) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const headers = exchange.body ? { "content-length": String(exchange.body.byteLength) } : {};
        const req = httpRequest(exchange.url, { method: exchange.method, agent, headers }, resolve);
        req.on("error", reject);
        req.end(exchange.body ?? undefined);
      });
    return {
      async send(exchange) {
        const res = await call(exchange);
        expectOk("node:http", res.statusCode);
        return { bytes: await readAll(res), httpVersion: res.httpVersion };
      },
      async stream(url) {
        const res = await call({ method: "GET", url, body: null });
        expectOk("node:http", res.statusCode);
        return countChunks(res);
      },
      async close() {
        agent.destroy();
      },
    };
  },
};

const undiciRequestClient: ClientDefinition = {
  id: "undici-request",
  label: "undici.request",
  protocol: "h1",
  isUndiciReference: true,
  async open() {
    const { Agent, getGlobalDispatcher, request: undiciRequest } = await import("undici");
    // The global dispatcher is shared through globalThis with Node's bundled undici; this row is
    // meant to measure undici 7's own default Agent.
    if (!(getGlobalDispatcher() instanceof Agent)) {
      throw new Error("undici.request: the global dispatcher is not undici's own Agent");
    }
    return {
      async send(exchange) {
        const res = await undiciRequest(exchange.url, { method: exchange.method, body: exchange.body });
        expectOk("undici.request", res.statusCode);
        return { bytes: (await res.body.arrayBuffer()).byteLength, httpVersion: null };
      },
      async stream(url) {
        const res = await undiciRequest(url);
        expectOk("undici.request", res.statusCode);
        return countChunks(res.body);
      },
      async close() {},
    };
  },
};

const undiciPool: ClientDefinition = {
  id: "undici-pool",
  label: "undici Pool.request",
  protocol: "h1",
  async open({ origin }) {
    const { Pool } = await import("undici");
    const pool = new Pool(origin);
    const pathOf = (url: string) => url.slice(origin.length);
    return {
      async send(exchange) {
        const res = await pool.request({
          path: pathOf(exchange.url),
          method: exchange.method,
          body: exchange.body,
        });
        expectOk("Pool.request", res.statusCode);
        return { bytes: (await res.body.arrayBuffer()).byteLength, httpVersion: null };
      },
      async stream(url) {
        const res = await pool.request({ path: pathOf(url), method: "GET" });
        expectOk("Pool.request", res.statusCode);
        return countChunks(res.body);
      },
      close: () => pool.close(),
    };
  },
};

const globalFetch: ClientDefinition = {
  id: "fetch",
  label: "fetch (Node's global)",
  protocol: "h1",
  async open() {
    return {
      async send(exchange) {
        const res = await fetch(exchange.url, { method: exchange.method, body: exchange.body });
        expectOk("fetch", res.status);
        return { bytes: (await res.arrayBuffer()).byteLength, httpVersion: null };
      },
      async stream(url) {
        const res = await fetch(url);
        expectOk("fetch", res.status);
        if (!res.body) throw new Error("fetch: no body");
        return countChunks(res.body);
      },
      async close() {},
    };
  },
};

const gotClient: ClientDefinition = {
  id: "got",
  label: "got 14",
  protocol: "h1",
  async open() {
    const { default: got } = await import("got");
    return {
      async send(exchange) {
        const res = await got(exchange.url, {
          method: exchange.method,
          body: exchange.body ?? undefined,
          responseType: "buffer",
        });
        expectOk("got", res.statusCode);
        return { bytes: res.body.byteLength, httpVersion: res.httpVersion };
      },
      stream: (url) => countChunks(got.stream(url)),
      async close() {},
    };
  },
};

const axiosClient: ClientDefinition = {
  id: "axios",
  label: "axios 1",
  protocol: "h1",
  async open() {
    const { default: axios } = await import("axios");
    return {
      async send(exchange) {
        const res = await axios.request<ArrayBuffer>({
          url: exchange.url,
          method: exchange.method,
          data: exchange.body ?? undefined,
          responseType: "arraybuffer",
        });
        expectOk("axios", res.status);
        return { bytes: res.data.byteLength, httpVersion: null };
      },
      async stream(url) {
        const res = await axios.get<AsyncIterable<Uint8Array>>(url, { responseType: "stream" });
        expectOk("axios", res.status);
        return countChunks(res.data);
      },
      async close() {},
    };
  },
};

function nqVersion(response: nq.Response): string {
  return response.httpVersion === 11 ? "1.1" : String(response.httpVersion / 10);
}

/** The meta-package's Session, called as users call it: `s.get(url)` then `.content`. */
function nqSession(session: nq.Session): ClientHandle {
  return {
    async send(exchange) {
      const res =
        exchange.method === "POST"
          ? await session.post(exchange.url, { data: exchange.body })
          : await session.get(exchange.url);
      expectOk("nq", res.statusCode);
      return { bytes: res.content.byteLength, httpVersion: nqVersion(res) };
    },
    async stream(url) {
      const res = await session.get(url, { stream: true });
      expectOk("nq", res.statusCode);
      return countChunks(res.iterContent());
    },
    close: () => session.close(),
  };
}

function nqPlain(protocol: Protocol): ClientDefinition {
  return {
    id: "nq",
    label: "nq Session",
    protocol,
    ...(protocol === "h2" ? { mayFail: "nq's HTTP/2 transport is being wired in" } : {}),
    async open({ caPem }) {
      const { Session } = await import("niquests");
      return nqSession(new Session(protocol === "h2" ? { verify: caPem } : {}));
    },
  };
}

function nqHooksCookies(protocol: Protocol): ClientDefinition {
  return {
    id: "nq-hooks-cookies",
    label: "nq Session + hook + cookie",
    protocol,
    ...(protocol === "h2" ? { mayFail: "nq's HTTP/2 transport is being wired in" } : {}),
    async open({ caPem }) {
      let seen = 0;
      const { Session } = await import("niquests");
      const session = new Session({
        ...(protocol === "h2" ? { verify: caPem } : {}),
        // A response hook that does what such hooks usually do (look, count), so the session
        // takes its hook path on every request.
        hooks: {
          response: () => {
            seen += 1;
          },
        },
      });
      // A jar with a cookie that matches every request, so the Cookie header is built each time.
      session.cookies.set("bench", "1");
      const handle = nqSession(session);
      return {
        ...handle,
        async close() {
          if (seen === 0) throw new Error("nq: the response hook never ran");
          await handle.close();
        },
      };
    },
  };
}

const nodeHttp2: ClientDefinition = {
  id: "node-http2",
  label: "node:http2 (one session)",
  protocol: "h2",
  async open({ origin, caPem }) {
    const session: ClientHttp2Session = http2Connect(origin, { ca: caPem });
    await new Promise<void>((resolve, reject) => {
      session.once("connect", () => resolve());
      session.once("error", reject);
    });
    const call = (method: string, url: string, onData: (chunk: Buffer) => void) =>
      new Promise<void>((resolve, reject) => {
        const stream = session.request({ ":method": method, ":path": url.slice(origin.length) });
        stream.on("response", (headers) => {
          if (headers[":status"] !== 200)
            reject(new Error(`node:http2: status ${String(headers[":status"])}`));
        });
        stream.on("data", onData);
        stream.on("end", resolve);
        stream.on("error", reject);
        stream.end();
      });
    return {
      async send(exchange) {
        const chunks: Buffer[] = [];
        await call(exchange.method, exchange.url, (chunk) => chunks.push(chunk));
        return { bytes: Buffer.concat(chunks).byteLength, httpVersion: "2" };
      },
      async stream(url) {
        let bytes = 0;
        await call("GET", url, (chunk) => {
          bytes += chunk.byteLength;
        });
        return bytes;
      },
      close: () => new Promise<void>((resolve) => session.close(() => resolve())),
    };
  },
};

/**
 * undici over HTTP/2. With `pipelining` left at its default of 1, undici keeps one stream per
 * connection and opens a connection per outstanding request; `pipelining: 64` lets it multiplex,
 * which is the tuned variant printed next to the default one.
 */
function undiciH2(pipelining: number | undefined): ClientDefinition {
  return {
    id: pipelining === undefined ? "undici-h2" : "undici-h2-pipelined",
    label:
      pipelining === undefined
        ? "undici.request (allowH2 Agent)"
        : `undici.request (allowH2 Agent, pipelining: ${pipelining})`,
    protocol: "h2",
    ...(pipelining === undefined ? { isUndiciReference: true } : {}),
    async open({ caPem }) {
      const { Agent: UndiciAgent, request: undiciRequest } = await import("undici");
      const dispatcher = new UndiciAgent({
        allowH2: true,
        connect: { ca: caPem },
        ...(pipelining === undefined ? {} : { pipelining }),
      });
      const alpn = observeUndiciAlpn();
      return {
        async send(exchange) {
          const res = await undiciRequest(exchange.url, {
            method: exchange.method,
            body: exchange.body,
            dispatcher,
          });
          expectOk("undici (h2)", res.statusCode);
          const bytes = (await res.body.arrayBuffer()).byteLength;
          return { bytes, httpVersion: alpn.httpVersion() };
        },
        async stream(url) {
          const res = await undiciRequest(url, { dispatcher });
          return countChunks(res.body);
        },
        async close() {
          alpn.stop();
          await dispatcher.close();
        },
      };
    },
  };
}

const gotH2: ClientDefinition = {
  id: "got-h2",
  label: "got 14 (http2: true)",
  protocol: "h2",
  async open({ caPem }) {
    const { default: got } = await import("got");
    const client = got.extend({ http2: true, https: { certificateAuthority: caPem } });
    return {
      async send(exchange) {
        const res = await client(exchange.url, {
          method: exchange.method,
          body: exchange.body ?? undefined,
          responseType: "buffer",
        });
        expectOk("got (h2)", res.statusCode);
        return { bytes: res.body.byteLength, httpVersion: res.httpVersion === "2.0" ? "2" : res.httpVersion };
      },
      stream: (url) => countChunks(client.stream(url)),
      async close() {},
    };
  },
};

/** Every client, in the order rows are printed. */
export const CLIENTS: readonly ClientDefinition[] = [
  nodeHttp,
  undiciRequestClient,
  undiciPool,
  globalFetch,
  gotClient,
  axiosClient,
  nqPlain("h1"),
  nqHooksCookies("h1"),
  nodeHttp2,
  undiciH2(undefined),
  undiciH2(64),
  gotH2,
  nqPlain("h2"),
  nqHooksCookies("h2"),
];

export function clientsFor(protocol: Protocol): readonly ClientDefinition[] {
  return CLIENTS.filter((client) => client.protocol === protocol);
}

export function findClient(protocol: Protocol, id: string): ClientDefinition {
  const client = CLIENTS.find((candidate) => candidate.protocol === protocol && candidate.id === id);
  if (!client) throw new Error(`no ${protocol} client ${id}`);
  return client;
}
