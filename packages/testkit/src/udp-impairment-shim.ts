/**
 * A UDP relay on 127.0.0.1 that damages traffic on purpose, for loss and reordering tests of
 * the QUIC stack: this kernel has no netem, and a test needs the same damage on every run.
 *
 * The client sends to the relay's port instead of the server's. Datagrams from the server's
 * address go back to the last client address seen (one client at a time; server datagrams
 * before any client has spoken have nowhere to go and are discarded, counted only as
 * `received`); everything else goes to the server. Each
 * direction draws its fate per datagram from its own seeded PRNG — exactly four draws per
 * datagram, whatever happens to it — so the n-th datagram of a direction always meets the same
 * fate, however the event loop interleaves the two directions.
 *
 * What each draw decides, in order:
 *   1. drop it;
 *   2. otherwise send a second copy right behind it (a duplicate);
 *   3. hold it back until the next datagram of the direction has been queued, so that one
 *      overtakes it (a reorder; at most one datagram is held at a time, and a held datagram with
 *      no successor within `reorderHoldMs` goes out in order and is not counted);
 *   4. a delay, uniform in `delayMs`.
 * Delays never reorder by themselves: a datagram leaves no earlier than the one queued before
 * it. Reordering therefore comes only from step 3, and a receiver can check the counters
 * exactly: every datagram it sees twice is a `duplicated`, every datagram it sees after a
 * higher-numbered one is a `reordered`.
 *
 * @packageDocumentation
 */

import { createSocket, type RemoteInfo, type Socket } from "node:dgram";

/** How one direction is damaged. Rates are probabilities in [0, 1]. */
export interface ImpairmentOptions {
  /** The PRNG seed: the same seed gives the same fates to the same sequence of datagrams. */
  readonly seed: number;
  /** The share of datagrams dropped. */
  readonly dropRate?: number;
  /** The share of forwarded datagrams sent twice. */
  readonly duplicateRate?: number;
  /** The share of forwarded datagrams held back behind the next one. */
  readonly reorderRate?: number;
  /** The delay before sending, uniform between the two bounds, in ms; none unless given. */
  readonly delayMs?: readonly [min: number, max: number];
  /** How long a held datagram waits for a successor before it goes out in order; 50 ms unless given. */
  readonly reorderHoldMs?: number;
}

/** Options of `UdpImpairmentShim.start`. */
export interface UdpImpairmentShimOptions {
  /** Where the server listens. */
  readonly server: { readonly port: number; readonly address?: string };
  /** The relay's own port; any free port unless given. */
  readonly port?: number;
  /** Damage to datagrams from the client to the server; none unless given. */
  readonly clientToServer?: ImpairmentOptions;
  /** Damage to datagrams from the server to the client; none unless given. */
  readonly serverToClient?: ImpairmentOptions;
}

/** What the relay did to one direction's datagrams. */
export interface ImpairmentCounts {
  /** Datagrams that arrived at the relay. */
  received: number;
  /** Datagrams sent on, copies included. */
  forwarded: number;
  /** Datagrams dropped. */
  dropped: number;
  /** Extra copies sent. */
  duplicated: number;
  /** Datagrams sent after a later one overtook them. */
  reordered: number;
}

/** The two directions through the relay. */
export type ImpairmentDirection = "clientToServer" | "serverToClient";

/**
 * xorshift32 returning floats in [0, 1): tiny, fast, and good enough to pick fates. The seed is
 * mixed first so that small or zero seeds (which xorshift cannot start from) still work.
 */
export function seededRandom(seed: number): () => number {
  let x = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 0x6d2b79f5;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

interface Queued {
  readonly at: number;
  readonly data: Buffer;
}

interface Held {
  readonly data: Buffer;
  readonly copies: number;
  readonly delay: number;
  readonly timer: NodeJS.Timeout;
}

// One direction: its PRNG, counters, and a FIFO of datagrams waiting for their send time.
class Lane {
  readonly counts: ImpairmentCounts = { received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  readonly #random: () => number;
  readonly #dropRate: number;
  readonly #duplicateRate: number;
  readonly #reorderRate: number;
  readonly #delay: readonly [number, number];
  readonly #holdMs: number;
  readonly #send: (data: Buffer) => boolean;
  #queue: Queued[] = [];
  #lastAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #held: Held | undefined;
  #closed = false;

  constructor(options: ImpairmentOptions | undefined, send: (data: Buffer) => boolean) {
    this.#random = seededRandom(options?.seed ?? 0);
    this.#dropRate = options?.dropRate ?? 0;
    this.#duplicateRate = options?.duplicateRate ?? 0;
    this.#reorderRate = options?.reorderRate ?? 0;
    this.#delay = options?.delayMs ?? [0, 0];
    this.#holdMs = options?.reorderHoldMs ?? 50;
    this.#send = send;
    if (this.#delay[0] < 0 || this.#delay[1] < this.#delay[0]) throw new RangeError("invalid delayMs");
  }

  onDatagram(data: Buffer): void {
    if (this.#closed) return;
    this.counts.received++;
    const drop = this.#random();
    const duplicate = this.#random();
    const reorder = this.#random();
    const delayDraw = this.#random();
    if (drop < this.#dropRate) {
      this.counts.dropped++;
      return;
    }
    const copies = duplicate < this.#duplicateRate ? 2 : 1;
    this.counts.duplicated += copies - 1;
    const delay = this.#delay[0] + delayDraw * (this.#delay[1] - this.#delay[0]);
    if (reorder < this.#reorderRate && this.#held === undefined) {
      const timer = setTimeout(() => this.#releaseHeld(false), this.#holdMs);
      this.#held = { data, copies, delay, timer };
      return;
    }
    this.#enqueue(data, copies, delay);
    if (this.#held !== undefined) this.#releaseHeld(true);
  }

  #releaseHeld(overtaken: boolean): void {
    const held = this.#held;
    if (held === undefined) return;
    this.#held = undefined;
    clearTimeout(held.timer);
    if (overtaken) this.counts.reordered++;
    this.#enqueue(held.data, held.copies, held.delay);
  }

  #enqueue(data: Buffer, copies: number, delay: number): void {
    const now = performance.now();
    const at = Math.max(now + delay, this.#lastAt);
    this.#lastAt = at;
    for (let i = 0; i < copies; i++) {
      if (this.#queue.length === 0 && at <= now) this.#forward(data);
      else this.#queue.push({ at, data });
    }
    this.#schedule();
  }

  #forward(data: Buffer): void {
    if (this.#send(data)) this.counts.forwarded++;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0 || this.#closed) return;
    const wait = Math.max(0, this.#queue[0]!.at - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      let sent = 0;
      while (sent < this.#queue.length && this.#queue[sent]!.at <= now)
        this.#forward(this.#queue[sent++]!.data);
      this.#queue = this.#queue.slice(sent);
      this.#schedule();
    }, wait);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#held !== undefined) clearTimeout(this.#held.timer);
    this.#timer = undefined;
    this.#held = undefined;
    this.#queue = [];
  }
}

/** A seeded, deterministic UDP relay that drops, duplicates, reorders and delays datagrams. */
export class UdpImpairmentShim {
  readonly #socket: Socket;
  readonly #port: number;
  readonly #lanes: Record<ImpairmentDirection, Lane>;
  #client: RemoteInfo | undefined;
  #closing: Promise<void> | undefined;
  /** The last socket error, if any: the relay keeps running through send errors. */
  lastError: Error | undefined;

  private constructor(socket: Socket, options: UdpImpairmentShimOptions) {
    this.#socket = socket;
    this.#port = socket.address().port;
    const serverAddress = options.server.address ?? "127.0.0.1";
    const serverPort = options.server.port;
    const send = (data: Buffer, port: number, address: string): boolean => {
      if (this.#closing !== undefined) return false;
      this.#socket.send(data, port, address, (error) => {
        if (error) this.lastError = error;
      });
      return true;
    };
    this.#lanes = {
      clientToServer: new Lane(options.clientToServer, (data) => send(data, serverPort, serverAddress)),
      serverToClient: new Lane(options.serverToClient, (data) => {
        const client = this.#client;
        return client !== undefined && send(data, client.port, client.address);
      }),
    };
    socket.on("message", (data, from) => {
      if (from.port === serverPort && from.address === serverAddress) {
        this.#lanes.serverToClient.onDatagram(data);
      } else {
        this.#client = from;
        this.#lanes.clientToServer.onDatagram(data);
      }
    });
    // An unhandled 'error' would crash the test run; a relay should outlive a bad send.
    socket.on("error", (error) => {
      this.lastError = error;
    });
  }

  /** Binds the relay on 127.0.0.1 and resolves once it is listening. */
  static async start(options: UdpImpairmentShimOptions): Promise<UdpImpairmentShim> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port ?? 0, "127.0.0.1", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return new UdpImpairmentShim(socket, options);
  }

  /** The port clients send to. */
  get port(): number {
    return this.#port;
  }

  /** The address clients send to. */
  get address(): string {
    return "127.0.0.1";
  }

  /** A copy of what the relay has done to one direction so far. */
  counts(direction: ImpairmentDirection): ImpairmentCounts {
    return { ...this.#lanes[direction].counts };
  }

  /** Stops relaying, discards datagrams still waiting, and closes the socket. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#lanes.clientToServer.close();
      this.#lanes.serverToClient.close();
      // 'close' fires on the next tick, before libuv has released the handle in the loop's
      // close phase; two turns of setImmediate get past it, so a caller that awaits close()
      // can rebind the port and sees no live handle left behind.
      this.#socket.close(() => setImmediate(() => setImmediate(resolve)));
    });
    return this.#closing;
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
