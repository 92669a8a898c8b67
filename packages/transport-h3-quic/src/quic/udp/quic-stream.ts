/**
 * One QUIC stream of a `QuicSession`, as promises and async iteration over the connection's
 * stream calls. Writing waits for flow control credit, so a fast writer is held back by the
 * peer's window instead of buffering without bound; reading consumes data as it is iterated,
 * which is what grants the peer more credit.
 *
 * @packageDocumentation
 */

import { concatBytes } from "../buffer.js";
import type { QuicClientConnection } from "../connection/client-connection.js";
import type { QuicCloseInfo } from "../connection/connection-events.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { isBidirectionalStream, streamInitiator } from "../streams/stream-id.js";
import type { Signal } from "./signal.js";

const STREAM_ERROR_BRAND = Symbol.for("nq.quic.QuicStreamError");

/**
 * The peer abandoned a stream: RESET_STREAM ended what we read, or STOP_SENDING what we write.
 *
 * @alpha
 */
export class QuicStreamError extends Error {
  static {
    Object.defineProperty(this.prototype, "name", {
      value: "QuicStreamError",
      writable: true,
      configurable: true,
    });
  }

  /** Which frame the peer sent. */
  readonly kind: "reset" | "stop_sending";
  /** The stream. */
  readonly streamId: number;
  /** The peer's application error code. */
  readonly code: bigint;

  /** An error for `kind` on `streamId` with the peer's `code`. */
  constructor(kind: "reset" | "stop_sending", streamId: number, code: bigint) {
    const what = kind === "reset" ? "reset the stream (RESET_STREAM)" : "stopped reading (STOP_SENDING)";
    super(`the peer ${what} on stream ${streamId} with code 0x${code.toString(16)}`);
    this.kind = kind;
    this.streamId = streamId;
    this.code = code;
    Object.defineProperty(this, STREAM_ERROR_BRAND, { value: true });
  }

  /** True for a QuicStreamError from any copy of this module. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (value as { [STREAM_ERROR_BRAND]?: boolean } | null | undefined)?.[STREAM_ERROR_BRAND] === true;
  }
}

/**
 * What a stream needs from its session.
 *
 * @internal
 */
export interface StreamHost {
  readonly connection: QuicClientConnection;
  /** Notified whenever the connection made progress: data, credit, events, closing. */
  readonly changed: Signal;
  /** How the connection ended, once it did. */
  closeInfo(): QuicCloseInfo | undefined;
  /** Sends what the connection has to send, soon (coalesced). */
  schedulePump(): void;
}

const EMPTY = new Uint8Array(0);

function connectionGone(info: QuicCloseInfo): Error {
  return info.error ?? new QuicError(TransportErrorCode.NO_ERROR, "the connection is closed");
}

/**
 * A bidirectional or unidirectional stream of a QUIC session.
 *
 * @alpha
 */
export interface QuicStream extends AsyncIterable<Uint8Array> {
  /** The stream ID (RFC 9000 §2.1). */
  readonly id: number;
  /** Whether data flows both ways. */
  readonly bidirectional: boolean;
  /** Whether this end opened the stream. */
  readonly local: boolean;
  /** Whether we can send on it: bidirectional, or a unidirectional stream we opened. */
  readonly writable: boolean;
  /** Whether we can read from it: bidirectional, or a unidirectional stream the peer opened. */
  readonly readable: boolean;
  /**
   * Queues `bytes`, waiting for flow control credit as needed; resolves once the last byte is
   * queued. The bytes are not copied: leave them unchanged afterwards.
   */
  write(bytes: Uint8Array): Promise<void>;
  /** Writes `bytes` if given, then ends the stream (FIN). */
  end(bytes?: Uint8Array): Promise<void>;
  reset(code: number | bigint): void;
  stopSending(code: number | bigint): void;
  /** Reads the whole stream into one array. */
  bytes(): Promise<Uint8Array>;
}

/**
 * `QuicStream` over a session's connection.
 *
 * @internal
 */
export class SessionStream implements QuicStream {
  readonly id: number;
  readonly bidirectional: boolean;
  readonly local: boolean;
  readonly #host: StreamHost;
  #peerReset: bigint | undefined;
  #peerStopSending: bigint | undefined;
  #ended = false;
  #reading = false;

  constructor(host: StreamHost, id: number) {
    this.#host = host;
    this.id = id;
    this.bidirectional = isBidirectionalStream(id);
    this.local = streamInitiator(id) === "client";
  }

  get writable(): boolean {
    return this.bidirectional || this.local;
  }

  get readable(): boolean {
    return this.bidirectional || !this.local;
  }

  /** The peer sent RESET_STREAM. */
  onPeerReset(code: bigint): void {
    this.#peerReset = code;
  }

  /** The peer sent STOP_SENDING; the connection has already answered with RESET_STREAM. */
  onPeerStopSending(code: bigint): void {
    this.#peerStopSending = code;
  }

  #checkWritable(): void {
    if (!this.writable) throw new Error(`stream ${this.id} is receive-only`);
    if (this.#ended) throw new Error(`stream ${this.id} was already ended`);
    if (this.#peerStopSending !== undefined)
      throw new QuicStreamError("stop_sending", this.id, this.#peerStopSending);
    const closed = this.#host.closeInfo();
    if (closed !== undefined) throw connectionGone(closed);
  }

  async write(bytes: Uint8Array): Promise<void> {
    const connection = this.#host.connection;
    let offset = 0;
    while (offset < bytes.length) {
      this.#checkWritable();
      const credit = connection.streamWritable(this.id);
      if (credit === 0) {
        await this.#host.changed.wait();
        continue;
      }
      const end = Math.min(bytes.length, offset + credit);
      connection.writeStream(this.id, bytes.subarray(offset, end));
      offset = end;
      this.#host.schedulePump();
    }
  }

  async end(bytes?: Uint8Array): Promise<void> {
    if (bytes !== undefined) await this.write(bytes);
    this.#checkWritable();
    this.#host.connection.writeStream(this.id, EMPTY, true);
    this.#ended = true;
    this.#host.schedulePump();
  }

  reset(code: number | bigint): void {
    if (!this.writable || this.#host.closeInfo() !== undefined) return;
    this.#host.connection.resetStream(this.id, code);
    this.#ended = true;
    this.#host.schedulePump();
  }

  stopSending(code: number | bigint): void {
    if (!this.readable || this.#host.closeInfo() !== undefined) return;
    this.#host.connection.stopSending(this.id, code);
    this.#host.schedulePump();
  }

  /**
   * The received data, chunk by chunk, until the FIN. Throws `QuicStreamError` if the peer
   * resets the stream and the connection's error if it closes first. One reader at a time.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (!this.readable) return;
    if (this.#reading) throw new Error(`stream ${this.id} is already being read`);
    this.#reading = true;
    const host = this.#host;
    for (;;) {
      const chunk = host.connection.readStream(this.id);
      if (chunk !== undefined) {
        host.schedulePump();
        if (chunk.data.length > 0) yield chunk.data;
        if (chunk.fin) return;
        continue;
      }
      if (this.#peerReset !== undefined) throw new QuicStreamError("reset", this.id, this.#peerReset);
      const closed = host.closeInfo();
      if (closed !== undefined) throw connectionGone(closed);
      await host.changed.wait();
    }
  }

  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const part of this) parts.push(part);
    return concatBytes(parts);
  }
}
