import type { Transport } from "@nq/models";
import type { TransportSettings } from "@nq/session";
import { HTTP1Transport } from "@nq/transport-h1";
import { HTTP2Transport } from "@nq/transport-h2";
import { ProtocolRouter } from "@nq/transport-router";

/**
 * The transports a `niquests` session uses unless given others: one protocol router over
 * HTTP/1.1 (undici) and HTTP/2 (node:http2). For `https:` one TLS handshake offers ALPN `h2` and
 * `http/1.1`, so any origin that offers HTTP/2 gets it; `http:` is HTTP/1.1, or h2c with prior
 * knowledge when HTTP/1.1 is disabled. `settings.protocols` (from `disableHttp1/2`) says which
 * are on; HTTP/3 has no transport yet.
 */
export function defaultTransports(settings: TransportSettings): readonly Transport[] {
  const http1 = settings.protocols.includes("http/1.1");
  const http2 = settings.protocols.includes("h2");
  if (!http1 && !http2) return [];
  const common = {
    poolConnections: settings.poolConnections,
    poolMaxsize: settings.poolMaxsize,
    family: settings.family,
    localAddress: settings.sourceAddress?.[0],
  };
  return [
    new ProtocolRouter({
      protocols: settings.protocols,
      localAddress: common.localAddress,
      family: common.family,
      http1: http1 ? (connect) => new HTTP1Transport({ ...common, connect }) : undefined,
      // h2c only ever carries http:// requests when HTTP/1.1 is disabled: the router sends them
      // to HTTP/1.1 otherwise.
      http2: http2
        ? (connect) =>
            new HTTP2Transport({
              ...common,
              connect,
              h2c: true,
              keepaliveDelay: settings.keepaliveDelay,
              keepaliveIdleWindow: settings.keepaliveIdleWindow,
            })
        : undefined,
    }),
  ];
}
