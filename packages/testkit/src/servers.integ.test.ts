import { once } from "node:events";
import { Agent, get as httpGet } from "node:http";
import { connect as http2Connect } from "node:http2";
import { get as httpsGet } from "node:https";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { describe, expect, it } from "vitest";
import { createTestPki } from "./certificates.js";
import {
  readRequestHead,
  startHttp2Server,
  startHttpServer,
  startHttpsServer,
  startRawServer,
  startStallingTlsServer,
} from "./servers.js";

function fetchText(url: string, options: { agent?: Agent; ca?: string } = {}): Promise<string> {
  const getter = url.startsWith("https:") ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    getter(url, options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(text));
      res.on("error", reject);
    }).on("error", reject);
  });
}

describe("startHttpServer", () => {
  it("binds 127.0.0.1 on a free port and reports its URL", async () => {
    await using server = await startHttpServer((req, res) => res.end(`hello ${req.url}`));
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.url).toBe(`${server.origin}/`);
    expect(await fetchText(`${server.origin}/x`, { agent: new Agent() })).toBe("hello /x");
  });

  it("counts accepted connections", async () => {
    await using server = await startHttpServer((_req, res) => res.end("ok"));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await fetchText(server.url, { agent });
    await fetchText(server.url, { agent });
    expect(server.connections).toBe(1);
    expect(server.openConnections).toBe(1);
    await fetchText(server.url, { agent: new Agent({ keepAlive: false }) });
    expect(server.connections).toBe(2);
    agent.destroy();
    await server.waitForNoOpenConnections();
    expect(server.openConnections).toBe(0);
  });

  it("destroys open keep-alive sockets on close, so nothing hangs", async () => {
    const server = await startHttpServer((_req, res) => res.end("ok"));
    const agent = new Agent({ keepAlive: true });
    await fetchText(server.url, { agent });
    const [socket] = Object.values(agent.freeSockets).flat() as Socket[];
    expect(socket).toBeDefined();
    const closed = once(socket!, "close");
    const started = Date.now();
    await server.close();
    await closed;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.openConnections).toBe(0);
    agent.destroy();
  });

  it("closes through await using", async () => {
    let port = 0;
    {
      await using server = await startHttpServer((_req, res) => res.end());
      port = server.port;
    }
    const socket = netConnect(port, "127.0.0.1");
    const [error] = (await once(socket, "error")) as [NodeJS.ErrnoException];
    expect(error.code).toBe("ECONNREFUSED");
  });

  it("answers 500 when the handler throws before the head", async () => {
    await using server = await startHttpServer(() => {
      throw new Error("handler broke");
    });
    const status = await new Promise<number | undefined>((resolve) =>
      httpGet(server.url, { agent: new Agent() }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }),
    );
    expect(status).toBe(500);
  });

  it("waitForNoOpenConnections rejects while a connection stays open", async () => {
    await using server = await startHttpServer((_req, res) => res.end());
    const socket = netConnect(server.port, "127.0.0.1");
    await once(socket, "connect");
    await expect(server.waitForNoOpenConnections(100)).rejects.toThrow(/still open/);
    socket.destroy();
    await server.waitForNoOpenConnections();
  });
});

describe("startHttpsServer", () => {
  it("presents a certificate from the default PKI and reports its CA", async () => {
    await using server = await startHttpsServer((_req, res) => res.end("secure"));
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await fetchText(server.url, { ca: server.ca })).toBe("secure");
    await expect(fetchText(server.url)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  it("presents a given certificate", async () => {
    const pki = createTestPki();
    const certificate = pki.issue({ hosts: ["elsewhere.example"] });
    await using server = await startHttpsServer((_req, res) => res.end(), { pki, certificate });
    expect(server.certificate).toBe(certificate);
    await expect(fetchText(server.url, { ca: server.ca })).rejects.toMatchObject({
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });

  it("requires a client certificate when asked", async () => {
    const pki = createTestPki();
    await using server = await startHttpsServer((_req, res) => res.end("mtls"), {
      pki,
      requireClientCertificate: true,
    });
    const client = pki.issue({ hosts: ["client"], clientAuth: true });
    const text = await new Promise<string>((resolve, reject) => {
      httpsGet(server.url, { ca: server.ca, cert: client.cert, key: client.key }, (res) => {
        res.setEncoding("utf8");
        let body = "";
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve(body));
      }).on("error", reject);
    });
    expect(text).toBe("mtls");
    await expect(fetchText(server.url, { ca: server.ca })).rejects.toBeDefined();
  });
});

describe("startHttp2Server", () => {
  it("serves h2 over TLS via ALPN and HTTP/1.1 to clients without h2", async () => {
    await using server = await startHttp2Server((req, res) => res.end(`via ${req.httpVersion}`), {
      tls: true,
    });
    const session = http2Connect(server.origin, { ca: server.ca });
    try {
      const stream = session.request({ ":path": "/" });
      stream.setEncoding("utf8");
      let text = "";
      stream.on("data", (chunk: string) => (text += chunk));
      await once(stream, "end");
      expect(text).toBe("via 2.0");
      expect(session.alpnProtocol).toBe("h2");
    } finally {
      session.close();
    }
    expect(await fetchText(server.url, { ca: server.ca })).toBe("via 1.1");
  });

  it("serves h2c with prior knowledge", async () => {
    await using server = await startHttp2Server((_req, res) => res.end("cleartext"));
    expect(server.url).toMatch(/^http:/);
    const session = http2Connect(server.origin);
    try {
      const stream = session.request({ ":path": "/" });
      stream.setEncoding("utf8");
      let text = "";
      stream.on("data", (chunk: string) => (text += chunk));
      await once(stream, "end");
      expect(text).toBe("cleartext");
    } finally {
      session.close();
    }
    expect(server.connections).toBe(1);
  });

  it("destroys open sessions on close", async () => {
    const server = await startHttp2Server((_req, res) => res.end());
    const session = http2Connect(server.origin);
    await once(session, "connect");
    const closed = once(session, "close");
    await server.close();
    await closed;
    expect(server.openConnections).toBe(0);
  });
});

describe("startRawServer and readRequestHead", () => {
  it("hands over the socket and leaves the bytes after the head in it", async () => {
    await using server = await startRawServer(async (socket) => {
      const head = await readRequestHead(socket);
      const body = await new Promise<string>((resolve) => {
        let text = "";
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => {
          text += chunk;
          if (text.length >= 5) resolve(text);
        });
      });
      socket.end(`HTTP/1.1 200 OK\r\nContent-Length: ${head.length}\r\nX-Body: ${body}\r\n\r\n${head}`);
    });
    const socket = netConnect(server.port, "127.0.0.1");
    socket.write("POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    socket.setEncoding("latin1");
    let reply = "";
    socket.on("data", (chunk: string) => (reply += chunk));
    await once(socket, "end");
    expect(reply).toContain("X-Body: hello");
    expect(reply.endsWith("POST /raw HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n")).toBe(true);
    socket.destroy();
  });

  it("rejects when the connection ends before the head is complete", async () => {
    let settle: (value: unknown) => void = () => {};
    const outcome = new Promise<unknown>((resolve) => (settle = resolve));
    await using server = await startRawServer(async (socket) => {
      await readRequestHead(socket).then(settle, settle);
    });
    const socket = netConnect(server.port, "127.0.0.1");
    socket.end("GET / HTTP/1.1\r\n");
    expect(await outcome).toBeInstanceOf(Error);
  });
});

describe("startStallingTlsServer", () => {
  it("accepts TCP and never completes a TLS handshake", async () => {
    await using server = await startStallingTlsServer();
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const socket = tlsConnect({ host: "127.0.0.1", port: server.port, rejectUnauthorized: false });
    socket.on("error", () => {});
    let secure = false;
    socket.once("secureConnect", () => (secure = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secure).toBe(false);
    expect(server.connections).toBe(1);
    socket.destroy();
  });
});
