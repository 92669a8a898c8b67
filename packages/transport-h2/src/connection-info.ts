import type { Duplex } from "node:stream";
import type { ConnectionInfo } from "@nq/models";
import { connectionInfo, readSocketDetails, type SocketDetails } from "@nq/transport-node";

/**
 * What we know about the socket under one HTTP/2 session, read once before node:http2 takes the
 * socket over (its proxy refuses most socket methods, and Node forgets TLS details after close).
 */
export class ConnectionRecord {
  readonly details: SocketDetails;
  readonly establishedLatency: number | undefined;
  readonly tlsHandshakeLatency: number | undefined;
  #reused: ConnectionInfo | undefined;

  constructor(
    duplex: Duplex,
    establishedLatency: number | undefined,
    tlsHandshakeLatency: number | undefined,
  ) {
    this.details = readSocketDetails(duplex);
    this.establishedLatency = establishedLatency;
    this.tlsHandshakeLatency = tlsHandshakeLatency;
  }

  /** The connection info for one request served by this session. */
  info(reused: boolean): ConnectionInfo {
    // Every request after the first gets the same frozen object.
    if (reused) {
      this.#reused ??= Object.freeze(this.#build(true));
      return this.#reused;
    }
    return this.#build(false);
  }

  #build(reused: boolean): ConnectionInfo {
    return connectionInfo(this.details, {
      protocol: "h2",
      httpVersion: 20,
      reused,
      establishedLatency: this.establishedLatency,
      tlsHandshakeLatency: this.tlsHandshakeLatency,
    });
  }
}
