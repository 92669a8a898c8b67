import { constants } from "node:http2";
import { TransportError } from "@nq/models";
import { startHttp2Server, startHttpServer, startHttpsServer } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import {
  get,
  onlyH1,
  pki,
  preferH2,
  readText,
  sendOptions,
  startAlpnServer,
  useRouters,
} from "../test/helpers.js";

const router = useRouters();

describe("ALPN", () => {
  it("picks h2 against a server that offers it, with one TLS handshake", async () => {
    await using server = await startAlpnServer(preferH2);
    const r = router();
    const response = await r.send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(20);
    expect(response.connInfo).toMatchObject({
      protocol: "h2",
      httpVersion: 20,
      encrypted: true,
      reused: false,
    });
    expect(response.connInfo?.tlsHandshakeLatency).toBeGreaterThanOrEqual(0);
    expect(await readText(response.body)).toBe("HTTP/2.0 via h2");
    expect(server.handshakes).toBe(1);
    expect(server.connections).toBe(1);
    expect(server.offers).toEqual([["h2", "http/1.1"]]);
    expect(r.knownProtocol(server.origin, { verify: pki.ca.cert })).toBe("h2");
  });

  it("picks http/1.1 against an HTTPS/1.1 server, with one TLS handshake", async () => {
    await using server = await startAlpnServer(onlyH1);
    const r = router();
    const response = await r.send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(11);
    expect(response.reason).toBe("OK");
    expect(response.connInfo).toMatchObject({ protocol: "http/1.1", encrypted: true, reused: false });
    expect(await readText(response.body)).toBe("HTTP/1.1 via http/1.1");
    expect(server.handshakes).toBe(1);
    expect(r.knownProtocol(server.origin, { verify: pki.ca.cert })).toBe("http/1.1");
  });

  it("picks h2 against the testkit's HTTP/2 server that also allows HTTP/1.1", async () => {
    await using server = await startHttp2Server((req, res) => res.end(req.httpVersion), {
      tls: { pki },
      allowHTTP1: true,
    });
    const r = router();
    const responses = await Promise.all([1, 2, 3].map(() => r.send(get(server.url), sendOptions())));
    expect(await Promise.all(responses.map((response) => readText(response.body)))).toEqual([
      "2.0",
      "2.0",
      "2.0",
    ]);
    expect(responses.map((response) => response.httpVersion)).toEqual([20, 20, 20]);
    expect(server.connections).toBe(1);
  });

  it("works against the testkit's plain HTTPS/1.1 server too", async () => {
    await using server = await startHttpsServer((_req, res) => res.end("h1"), { pki });
    const response = await router().send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(11);
    expect(await readText(response.body)).toBe("h1");
  });

  it("opens exactly one TLS handshake per new connection under concurrency", async () => {
    await using h2 = await startAlpnServer(preferH2);
    await using h1 = await startAlpnServer(onlyH1);
    const r = router();
    const h2Responses = await Promise.all(
      Array.from({ length: 20 }, () => r.send(get(h2.url), sendOptions())),
    );
    await Promise.all(h2Responses.map((response) => readText(response.body)));
    // All 20 waited for the one negotiation, then shared its HTTP/2 session.
    expect(h2.handshakes).toBe(1);
    expect(h2.connections).toBe(1);
    const h1Responses = await Promise.all(
      Array.from({ length: 5 }, () => r.send(get(h1.url), sendOptions())),
    );
    await Promise.all(h1Responses.map((response) => readText(response.body)));
    // HTTP/1.1 needs a socket per concurrent request: each opened with its own single handshake.
    expect(h1.handshakes).toBe(h1.connections);
    expect(h1.connections).toBeGreaterThan(1);
    expect(h1Responses.every((response) => response.httpVersion === 11)).toBe(true);
  });

  it("remembers the choice, and renegotiates after a connection fails", async () => {
    const server = await startAlpnServer(preferH2);
    const r = router();
    const verify = { verify: pki.ca.cert };
    await readText((await r.send(get(server.url), sendOptions())).body);
    expect(r.knownProtocol(server.origin, verify)).toBe("h2");
    await readText((await r.send(get(server.url), sendOptions())).body);
    expect(server.handshakes).toBe(1);
    await server.close();
    // The first send may still find the dying session (a reset in the head, which keeps the
    // choice); once the session is gone, connecting fails and the choice is forgotten.
    let failure: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      failure = await r.send(get(server.url), sendOptions()).catch((e: unknown) => e);
      if ((failure as TransportError).phase === "connect") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(failure).toBeInstanceOf(TransportError);
    expect(failure).toMatchObject({ kind: "connect", phase: "connect" });
    expect(r.knownProtocol(server.origin, verify)).toBeUndefined();
  });

  it("follows a server that switches to h2 on a new connection, without a second handshake", async () => {
    await using server = await startAlpnServer(onlyH1, (request, response) => {
      // Every HTTP/1.1 response closes its connection, so the next request needs a new one.
      if (request.httpVersion === "1.1") response.setHeader("connection", "close");
      response.end(`HTTP/${request.httpVersion}`);
    });
    const r = router();
    expect(await readText((await r.send(get(server.url), sendOptions())).body)).toBe("HTTP/1.1");
    server.choose = preferH2;
    // The HTTP/1.1 transport asks for a connection; the server picks h2 on it; the router hands
    // that socket to the HTTP/2 transport and the request follows.
    const response = await r.send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(20);
    expect(await readText(response.body)).toBe("HTTP/2.0");
    expect(server.handshakes).toBe(2);
    expect(r.knownProtocol(server.origin, { verify: pki.ca.cert })).toBe("h2");
  });

  it("takes a request the server refuses with HTTP_1_1_REQUIRED to HTTP/1.1", async () => {
    await using server = await startAlpnServer(preferH2, (request, response) => {
      if (request.httpVersion === "2.0") request.stream.close(constants.NGHTTP2_HTTP_1_1_REQUIRED);
      else response.end("over HTTP/1.1");
    });
    const r = router();
    const response = await r.send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(11);
    expect(await readText(response.body)).toBe("over HTTP/1.1");
    expect(r.knownProtocol(server.origin, { verify: pki.ca.cert })).toBe("http/1.1");
    // From then on the origin is offered http/1.1 only.
    expect(server.offers.at(-1)).toEqual(["http/1.1"]);
  });
});

describe("disabling protocols", () => {
  it("speaks HTTP/1.1 with HTTP/2 disabled, even to a server that offers h2", async () => {
    await using server = await startAlpnServer(preferH2);
    const r = router({ protocols: ["http/1.1"] });
    expect(r.protocols).toEqual(["http/1.1"]);
    const response = await r.send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(11);
    expect(server.offers).toEqual([["http/1.1"]]);
  });

  it("speaks HTTP/2 only with HTTP/1.1 disabled, and fails an HTTP/1.1-only server", async () => {
    await using h2 = await startAlpnServer(preferH2);
    await using h1 = await startAlpnServer(onlyH1);
    const r = router({ protocols: ["h2"] });
    expect(r.protocols).toEqual(["h2"]);
    expect((await r.send(get(h2.url), sendOptions())).httpVersion).toBe(20);
    expect(h2.offers).toEqual([["h2"]]);
    const failure = await r.send(get(h1.url), sendOptions()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransportError);
    expect(failure).toMatchObject({
      kind: "protocol",
      phase: "connect",
      retryable: false,
      code: "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
    });
  });

  it("uses h2c with prior knowledge for http:// when HTTP/1.1 is disabled", async () => {
    await using server = await startHttp2Server((_req, res) => res.end("h2c"));
    const r = router({ protocols: ["h2"], h2c: true });
    expect(r.canHandle(new URL(server.url))).toBe(true);
    const response = await r.send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(20);
    expect(await readText(response.body)).toBe("h2c");
  });

  it("uses HTTP/1.1 for http:// otherwise", async () => {
    await using server = await startHttpServer((_req, res) => res.end("h1"));
    const response = await router({ h2c: true }).send(get(server.url), sendOptions());
    expect(response.httpVersion).toBe(11);
  });

  it("refuses http:// with HTTP/1.1 disabled when the HTTP/2 transport has h2c off", async () => {
    const r = router({ protocols: ["h2"] });
    expect(r.canHandle(new URL("http://127.0.0.1/"))).toBe(false);
    const failure = await r.send(get("http://127.0.0.1:9/"), sendOptions()).catch((e: unknown) => e);
    expect(failure).toMatchObject({ kind: "protocol", phase: "connect", retryable: false });
  });

  it("needs at least one transport", () => {
    expect(() => router({ protocols: ["h3"] })).toThrow(TypeError);
  });
});

describe("negotiation", () => {
  it("gives each waiting request its own connect timeout and abandons a handshake nobody waits for", async () => {
    const { startStallingTlsServer } = await import("@nq/testkit");
    await using stalling = await startStallingTlsServer();
    const r = router();
    const failures = await Promise.all(
      [50, 80].map((connect) =>
        r.send(get(stalling.url), sendOptions({ timeout: { connect } })).catch((e: unknown) => e),
      ),
    );
    for (const failure of failures)
      expect(failure).toMatchObject({ kind: "timeout", phase: "connect", retryable: true });
    await stalling.waitForNoOpenConnections(2_000);
  });

  it("rejects with signal.reason when aborted during the handshake", async () => {
    const { startStallingTlsServer } = await import("@nq/testkit");
    await using stalling = await startStallingTlsServer();
    const controller = new AbortController();
    const reason = new Error("stop");
    const pending = router().send(get(stalling.url), sendOptions({ signal: controller.signal }));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await stalling.waitForNoOpenConnections(2_000);
  });
});
