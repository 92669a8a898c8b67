import type { Socket } from "node:net";
import type { ConnectionInfo } from "@nq/models";
import { connectionInfo, readSocketDetails, type SocketDetails } from "@nq/transport-node";

/**
 * What we know about one socket: its addresses and TLS parameters (read once, while the socket
 * is open — Node forgets them after close), the HTTP version the server answers with, and how
 * long opening it took.
 */
export class SocketRecord {
  readonly socket: Socket;
  readonly details: SocketDetails;
  readonly establishedLatency: number;
  readonly tlsHandshakeLatency: number | undefined;
  /** From the first status line the server sent on this socket. */
  httpVersion: 10 | 11 = 11;
  /** How many requests this socket has been handed; more than one means reuse. */
  requests = 0;

  /** Latencies in milliseconds; the TLS one is reported for an encrypted socket only. */
  constructor(socket: Socket, establishedLatency: number, tlsHandshakeLatency: number | undefined) {
    this.socket = socket;
    this.details = readSocketDetails(socket);
    this.establishedLatency = establishedLatency;
    this.tlsHandshakeLatency = tlsHandshakeLatency;
    this.#watchStatusLine();
  }

  // undici does not say which HTTP version a response carried, so peek at the first bytes the
  // socket yields ("HTTP/1.0 200 …") through an own-property `read` that removes itself. Only
  // the first read pays for it; a server answers every response on a connection alike.
  #watchStatusLine(): void {
    const socket = this.socket;
    const read = socket.read;
    socket.read = (size?: number) => {
      const chunk = read.call(socket, size) as Buffer | string | null;
      if (chunk !== null) {
        Reflect.deleteProperty(socket, "read");
        if (typeof chunk !== "string" && chunk.length > 7 && chunk[5] === 0x31 && chunk[7] === 0x30) {
          this.httpVersion = 10;
        }
      }
      return chunk;
    };
  }

  /** The connection info for one request served by this socket. */
  info(reused: boolean): ConnectionInfo {
    return connectionInfo(this.details, {
      protocol: "http/1.1",
      httpVersion: this.httpVersion,
      reused,
      establishedLatency: this.establishedLatency,
      tlsHandshakeLatency: this.tlsHandshakeLatency,
    });
  }
}
