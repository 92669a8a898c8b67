import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { type PreparedRequest, Request, type SendOptions, type TimeoutSettings } from "@nq/models";
import { createTestPki } from "@nq/testkit";
import { HTTP1Transport } from "@nq/transport-h1";
import { HTTP2Transport } from "@nq/transport-h2";
import { afterEach } from "vitest";
import { ProtocolRouter, type ProtocolRouterOptions } from "../src/index.js";

/** The test PKI of this process: servers present its certificates, requests trust its root. */
export const pki = createTestPki();

/** Send options with no timeouts that trust {@link pki}, overridden as given. */
export function sendOptions(
  overrides: Omit<Partial<SendOptions>, "timeout"> & { timeout?: Partial<TimeoutSettings> } = {},
): SendOptions {
  const { timeout, ...rest } = overrides;
  return {
    verify: pki.ca.cert,
    ...rest,
    timeout: { connect: null, read: null, total: null, ...timeout },
  };
}

/** A prepared GET. */
export function get(url: string): PreparedRequest {
  return new Request({ method: "GET", url }).prepare();
}

/** Reads a body as text. */
export async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** What the ALPN server picks for a handshake, from what the client offered. */
export type AlpnChoice = (offered: readonly string[]) => string | undefined;

/** An HTTPS server answering HTTP/2 and HTTP/1.1 and letting the test pick each connection's ALPN protocol. */
export interface AlpnServer extends AsyncDisposable {
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  /** TLS handshakes completed (`secureConnection` events). */
  readonly handshakes: number;
  /** TCP connections accepted. */
  readonly connections: number;
  /** The ALPN list of every handshake, in order. */
  readonly offers: readonly (readonly string[])[];
  /** The protocol each request arrived over: `2.0` or `1.1`, in order. */
  readonly versions: readonly string[];
  /** Changes how later handshakes pick. */
  choose: AlpnChoice;
  close(): Promise<void>;
}

/** Picks h2 when offered, else http/1.1: what a usual HTTP/2 server does. */
export const preferH2: AlpnChoice = (offered) =>
  offered.includes("h2") ? "h2" : offered.includes("http/1.1") ? "http/1.1" : undefined;

/** Picks http/1.1 only: an HTTPS/1.1 server. */
export const onlyH1: AlpnChoice = (offered) => (offered.includes("http/1.1") ? "http/1.1" : undefined);

/**
 * Starts a node:http2 secure server with `allowHTTP1` whose ALPN choice is `choose`; the handler
 * answers with the HTTP version the request came over, unless `handler` is given.
 */
export async function startAlpnServer(
  choose: AlpnChoice,
  handler?: (request: Http2ServerRequest, response: Http2ServerResponse) => void,
): Promise<AlpnServer> {
  const certificate = pki.issue();
  const offers: string[][] = [];
  const versions: string[] = [];
  const sockets = new Set<Socket>();
  const state = { handshakes: 0, connections: 0, choose };
  const server = createSecureServer(
    {
      key: certificate.key,
      cert: certificate.chain,
      allowHTTP1: true,
      ALPNCallback: ({ protocols }) => {
        offers.push([...protocols]);
        return state.choose(protocols);
      },
    },
    (request, response) => {
      versions.push(request.httpVersion);
      if (handler !== undefined) handler(request, response);
      else response.end(`HTTP/${request.httpVersion} via ${(request.socket as TLSSocket).alpnProtocol}`);
    },
  );
  server.on("connection", (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", () => state.handshakes++);
  server.on("sessionError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  };
  return {
    url: `https://127.0.0.1:${port}/`,
    origin: `https://127.0.0.1:${port}`,
    port,
    get handshakes() {
      return state.handshakes;
    },
    get connections() {
      return state.connections;
    },
    offers,
    versions,
    get choose() {
      return state.choose;
    },
    set choose(value: AlpnChoice) {
      state.choose = value;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A router over both transports, closed after the test. */
export function useRouters(): (
  options?: Partial<ProtocolRouterOptions> & { h2c?: boolean },
) => ProtocolRouter {
  let routers: ProtocolRouter[] = [];
  afterEach(async () => {
    const closing = routers;
    routers = [];
    await Promise.all(closing.map((router) => router.close()));
  });
  return (options = {}) => {
    const { h2c, ...rest } = options;
    const router = new ProtocolRouter({
      http1: (connect) => new HTTP1Transport({ connect }),
      http2: (connect) => new HTTP2Transport({ connect, h2c: h2c ?? false }),
      ...rest,
    });
    routers.push(router);
    return router;
  };
}
