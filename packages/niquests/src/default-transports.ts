import type { Transport } from "@nq/models";
import type { TransportSettings } from "@nq/session";
import { HTTP1Transport } from "@nq/transport-h1";

/** The transports a `niquests` session uses unless given others: HTTP/1.1 on undici for now. */
export function defaultTransports(settings: TransportSettings): readonly Transport[] {
  const transports: Transport[] = [];
  if (settings.protocols.includes("http/1.1")) {
    transports.push(
      new HTTP1Transport({
        poolConnections: settings.poolConnections,
        poolMaxsize: settings.poolMaxsize,
        family: settings.family,
        localAddress: settings.sourceAddress?.[0],
      }),
    );
  }
  return transports;
}
