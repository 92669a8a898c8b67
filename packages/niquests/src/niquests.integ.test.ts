import type { IncomingMessage, ServerResponse } from "node:http";
import { startHttpServer, startHttpsServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import * as nq from "./index.js";

async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname.startsWith("/redirect")) {
    res.writeHead(302, { Location: "/echo" }).end();
    return;
  }
  let body = "";
  for await (const chunk of req) body += chunk;
  const payload = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body });
  res.writeHead(200, { "Content-Type": "application/json", "Set-Cookie": "seen=1; Path=/" }).end(payload);
}

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

describe("the module functions", () => {
  it("send every verb on a short-lived session with default transports", async () => {
    await using server = await startHttpServer(echo);
    const calls = [
      ["GET", nq.get],
      ["POST", nq.post],
      ["PUT", nq.put],
      ["PATCH", nq.patch],
      ["DELETE", nq.delete],
      ["DELETE", nq.del],
      ["OPTIONS", nq.options],
    ] as const;
    for (const [method, fn] of calls) {
      const r = await fn(`${server.url}echo`, { params: { q: "x y" } });
      expect((r.json() as Echo).method).toBe(method);
      expect((r.json() as Echo).url).toBe("/echo?q=x+y");
      expect(r.httpVersion).toBe(11);
    }
    const head = await nq.head(`${server.url}redirect`);
    expect(head.statusCode).toBe(302);
    const viaRequest = await nq.request("post", `${server.url}echo`, { json: { a: 1 } });
    expect((viaRequest.json() as Echo).body).toBe('{"a":1}');
  });

  it("close their session: the server sees every connection closed afterwards", async () => {
    await using server = await startHttpServer(echo);
    await nq.get(`${server.url}echo`);
    await server.waitForNoOpenConnections();
    expect(server.openConnections).toBe(0);
  });

  it("keep a streamed response's connection until it is read", async () => {
    await using server = await startHttpServer(echo);
    const r = await nq.get(`${server.url}echo`, { stream: true });
    expect(r.isRead).toBe(false);
    const body = await r.read();
    expect(JSON.parse(new TextDecoder().decode(body)).method).toBe("GET");
  });
});

describe("Session from niquests", () => {
  it("wires HTTP/1.1 in by default, keeps cookies and reuses one connection", async () => {
    await using server = await startHttpServer(echo);
    await using s = new nq.Session({ baseUrl: server.origin });
    await s.get("/echo");
    const second = await s.get("/redirect");
    expect((second.json() as Echo).headers.cookie).toBe("seen=1");
    expect(second.history.map((h) => h.statusCode)).toEqual([302]);
    expect(server.connections).toBe(1);
  });

  it("verifies TLS by default and accepts the test CA when told to", async () => {
    await using server = await startHttpsServer(echo);
    await using s = new nq.Session();
    await expect(s.get(server.url)).rejects.toBeInstanceOf(nq.SSLError);
    const r = await s.get(server.url, { verify: server.ca });
    expect(r.connInfo?.encrypted).toBe(true);
  });

  it("is the same class as AsyncSession and refuses to disable every protocol", () => {
    expect(nq.AsyncSession).toBe(nq.Session);
    expect(() => new nq.Session({ disableHttp1: true, disableHttp2: true, disableHttp3: true })).toThrow(
      TypeError,
    );
    expect(() => new nq.Session({ disableIpv4: true, disableIpv6: true })).toThrow(TypeError);
  });

  it("refuses a connection to a closed port with ConnectionError, the request attached", async () => {
    const server = await startHttpServer(echo);
    const url = `${server.url}echo`;
    await server.close();
    const error = await nq.get(url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(nq.ConnectionError);
    expect((error as nq.ConnectionError).request?.url).toBe(url);
  });
});

describe("the re-exports", () => {
  it("expose every public name of the nq packages", () => {
    for (const name of [
      "Headers",
      "PreparedRequest",
      "Request",
      "Response",
      "RequestException",
      "ConnectTimeout",
      "ReadTimeout",
      "TooManyRedirects",
      "codes",
      "RequestsCookieJar",
      "HTTPBasicAuth",
      "BearerTokenAuth",
      "AuthBase",
      "TimeoutConfiguration",
      "HTTP1Transport",
      "VERSION",
    ]) {
      expect(nq, name).toHaveProperty(name);
    }
    expect(nq.codes.ok).toBe(200);
    expect(nq.codes.NOT_FOUND).toBe(404);
  });
});
