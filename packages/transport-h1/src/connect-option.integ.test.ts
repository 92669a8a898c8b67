import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { TransportError } from "@nq/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../test/certificates.js";
import {
  eventually,
  prepared,
  readAll,
  sendOptions,
  transportFailure,
  useFixtures,
} from "../test/helpers.js";
import type { HTTP1ConnectTarget } from "./index.js";

let pki: TestPki;

beforeAll(() => {
  pki = createTestPki();
});

afterAll(() => {
  pki.remove();
});

const { serve, serveTls, transport } = useFixtures();

function tcp(target: HTTP1ConnectTarget): Promise<{ socket: Socket; establishedLatency: number }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(target.port, target.hostname);
    socket.once("connect", () => resolve({ socket, establishedLatency: 2.5 }));
    socket.once("error", reject);
  });
}

describe("the connect option", () => {
  it("opens every pooled socket through the connector", async () => {
    const server = await serve((req, res) => res.end(`reply to ${req.url}`));
    const targets: HTTP1ConnectTarget[] = [];
    const t = transport({
      connect: (target) => {
        targets.push(target);
        return tcp(target);
      },
    });
    for (let i = 0; i < 3; i++) {
      const response = await t.send(prepared(`${server.url}${i}`), sendOptions());
      expect((await readAll(response.body)).toString()).toBe(`reply to /${i}`);
      expect(response.connInfo?.reused).toBe(i > 0);
      if (i === 0) expect(response.connInfo?.establishedLatency).toBe(2.5);
    }
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      hostname: "127.0.0.1",
      port: server.port,
      servername: undefined,
      protocol: "http/1.1",
      verify: true,
    });
    expect(server.connections).toBe(1);
  });

  it("takes a TLS socket the connector established and reports its TLS details", async () => {
    const server = await serveTls((_req, res) => res.end("over the given socket"), {
      pki: pki.kit,
      certificate: pki.server,
    });
    const t = transport({
      connect: (target) =>
        new Promise((resolve, reject) => {
          const socket = tlsConnect({
            host: target.hostname,
            port: target.port,
            ca: pki.caCert,
            ALPNProtocols: ["http/1.1"],
          });
          socket.once("secureConnect", () =>
            resolve({ socket, establishedLatency: 1, tlsHandshakeLatency: 2 }),
          );
          socket.once("error", reject);
        }),
    });
    // verify: true would fail the default trust store: the connector's own verification counts.
    const response = await t.send(prepared(server.url), sendOptions({ verify: true }));
    expect((await readAll(response.body)).toString()).toBe("over the given socket");
    expect(response.connInfo).toMatchObject({
      protocol: "http/1.1",
      encrypted: true,
      establishedLatency: 1,
      tlsHandshakeLatency: 2,
    });
    expect(response.connInfo?.certificate?.subjectAltName).toContain("127.0.0.1");
  });

  it("passes the connector's TransportError through", async () => {
    const refusal = new TransportError("routed elsewhere", {
      kind: "connect",
      phase: "connect",
      retryable: true,
    });
    const t = transport({ connect: () => Promise.reject(refusal) });
    await expect(t.send(prepared("http://127.0.0.1:9/"), sendOptions())).rejects.toBe(refusal);
  });

  it("maps the connector's native errors like its own", async () => {
    const t = transport({
      connect: () => Promise.reject(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })),
    });
    const failure = await transportFailure(t.send(prepared("http://127.0.0.1:9/"), sendOptions()));
    expect(failure).toMatchObject({
      kind: "connect",
      phase: "connect",
      retryable: true,
      code: "ECONNREFUSED",
    });
  });

  it("aborts the connector's signal when the request stops waiting, and closes a late socket", async () => {
    const server = await serve((_req, res) => res.end());
    let signal: AbortSignal | undefined;
    let late: Socket | undefined;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const t = transport({
      connect: async (target) => {
        signal = target.signal;
        await released;
        const connected = await tcp(target);
        late = connected.socket;
        return connected;
      },
    });
    const failure = await transportFailure(
      t.send(prepared(server.url), sendOptions({ timeout: { connect: 50 } })),
    );
    expect(failure).toMatchObject({ kind: "timeout", phase: "connect", retryable: true });
    await eventually(() => signal?.aborted === true, "the connector's signal to be aborted");
    release();
    await eventually(() => late?.destroyed === true, "the late socket to be closed");
  });
});
