import { createTestPki, startHttp2Server, startHttpsServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import * as nq from "./index.js";

const pki = createTestPki();

describe("a niquests Session over HTTPS", () => {
  it("speaks HTTP/2 to an origin that offers it", async () => {
    await using server = await startHttp2Server(
      async (req, res) => {
        let body = "";
        for await (const chunk of req) body += chunk;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ method: req.method, version: req.httpVersion, body }));
      },
      { tls: { pki }, allowHTTP1: true },
    );
    await using session = new nq.Session({ verify: pki.ca.cert });
    const r = await session.post(`${server.url}echo`, { json: { a: 1 } });
    expect(r.statusCode).toBe(200);
    expect(r.httpVersion).toBe(20);
    expect(r.reason).toBe("OK");
    expect(r.json()).toEqual({ method: "POST", version: "2.0", body: '{"a":1}' });
    expect(r.connInfo).toMatchObject({ protocol: "h2", httpVersion: 20, encrypted: true });
  });

  it("multiplexes concurrent requests to one HTTP/2 origin on one connection", async () => {
    await using server = await startHttp2Server((req, res) => res.end(req.url), {
      tls: { pki },
      allowHTTP1: true,
    });
    await using session = new nq.Session({ verify: pki.ca.cert });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => session.get(`${server.url}${i}`)),
    );
    expect(responses.map((r) => r.text)).toEqual(Array.from({ length: 20 }, (_, i) => `/${i}`));
    expect(responses.every((r) => r.httpVersion === 20)).toBe(true);
    expect(server.connections).toBe(1);
  });

  it("speaks HTTP/1.1 to an HTTPS/1.1 origin", async () => {
    await using server = await startHttpsServer((_req, res) => res.end("h1"), { pki });
    await using session = new nq.Session({ verify: pki.ca.cert });
    const r = await session.get(server.url);
    expect(r.httpVersion).toBe(11);
    expect(r.text).toBe("h1");
  });

  it("speaks HTTP/1.1 to an HTTP/2 origin with disableHttp2", async () => {
    await using server = await startHttp2Server((req, res) => res.end(req.httpVersion), {
      tls: { pki },
      allowHTTP1: true,
    });
    await using session = new nq.Session({ verify: pki.ca.cert, disableHttp2: true });
    const r = await session.get(server.url);
    expect(r.httpVersion).toBe(11);
    expect(r.text).toBe("1.1");
  });

  it("speaks h2c to an http:// origin with disableHttp1", async () => {
    await using server = await startHttp2Server((req, res) => res.end(req.httpVersion));
    await using session = new nq.Session({ disableHttp1: true });
    const r = await session.get(server.url);
    expect(r.httpVersion).toBe(20);
    expect(r.text).toBe("2.0");
  });

  it("follows a redirect from HTTP/2 and keeps cookies", async () => {
    await using server = await startHttp2Server(
      (req, res) => {
        if (req.url === "/start") {
          res.writeHead(302, { location: "/end", "set-cookie": "seen=1; Path=/" });
          res.end();
          return;
        }
        res.end(`cookie=${req.headers.cookie ?? ""}`);
      },
      { tls: { pki }, allowHTTP1: true },
    );
    await using session = new nq.Session({ verify: pki.ca.cert });
    const r = await session.get(`${server.url}start`);
    expect(r.text).toBe("cookie=seen=1");
    expect(r.history.map((h) => h.httpVersion)).toEqual([20]);
  });
});
