/**
 * An in-memory network between two I/O-free QUIC endpoints, on a fake clock: datagrams take a
 * fixed one-way delay, may be dropped, duplicated or delayed past later ones (seeded, so a run
 * repeats exactly), and time jumps straight to the next delivery or timer. A 10 MiB transfer
 * that would take seconds of wall time on a real path runs as fast as the CPU allows.
 *
 * @packageDocumentation
 */

import { seededRandom } from "@nq/testkit";

/** The part of an endpoint the network drives. */
export interface NetworkEndpoint {
  receive(datagram: Uint8Array, now: number): void;
  send(now: number): Uint8Array | undefined;
  nextTimerDeadline(): number | undefined;
  onTimer(now: number): void;
}

/** How one direction damages datagrams. Rates are probabilities. */
export interface LinkImpairment {
  readonly seed: number;
  readonly dropRate?: number;
  readonly duplicateRate?: number;
  /** The share of datagrams held back by `reorderDelay` more, so later ones overtake them. */
  readonly reorderRate?: number;
  /** Extra delay of a reordered datagram in ms; twice the one-way delay unless given. */
  readonly reorderDelay?: number;
  /** Drops every datagram for which this returns true, before the random fates. */
  readonly filter?: (datagram: Uint8Array, index: number) => boolean;
}

/** Options of `QuicNetwork`. */
export interface QuicNetworkOptions {
  /** One-way delay in ms; 10 unless given. */
  readonly delay?: number | undefined;
  readonly clientToServer?: LinkImpairment | undefined;
  readonly serverToClient?: LinkImpairment | undefined;
  /** The clock's start; 0 unless given. */
  readonly start?: number | undefined;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly to: "client" | "server";
  readonly data: Uint8Array;
}

/** Counters of one direction. */
export interface LinkCounts {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

class Lane {
  readonly counts: LinkCounts = { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0 };
  readonly #random: () => number;
  readonly #impairment: LinkImpairment | undefined;

  constructor(impairment: LinkImpairment | undefined) {
    this.#impairment = impairment;
    this.#random = seededRandom(impairment?.seed ?? 0);
  }

  // The delays of the copies to deliver: none when dropped, two when duplicated.
  fates(datagram: Uint8Array, delay: number): number[] {
    const index = this.counts.sent++;
    const impairment = this.#impairment;
    const [drop, duplicate, reorder] = [this.#random(), this.#random(), this.#random()];
    if (impairment?.filter?.(datagram, index) || drop < (impairment?.dropRate ?? 0)) {
      this.counts.dropped++;
      return [];
    }
    let at = delay;
    if (reorder < (impairment?.reorderRate ?? 0)) {
      at += impairment?.reorderDelay ?? 2 * delay;
      this.counts.reordered++;
    }
    if (duplicate < (impairment?.duplicateRate ?? 0)) {
      this.counts.duplicated++;
      return [at, at + 1];
    }
    return [at];
  }
}

/** Two endpoints, a fake clock, and the datagrams between them. */
export class QuicNetwork {
  readonly client: NetworkEndpoint;
  readonly server: NetworkEndpoint;
  now: number;
  readonly #delay: number;
  readonly #lanes: { toServer: Lane; toClient: Lane };
  #inFlight: InFlight[] = [];
  #seq = 0;
  /** Every datagram each side sent, in order, for tests that inspect the wire. */
  readonly sent: { client: Uint8Array[]; server: Uint8Array[] } = { client: [], server: [] };

  constructor(client: NetworkEndpoint, server: NetworkEndpoint, options: QuicNetworkOptions = {}) {
    this.client = client;
    this.server = server;
    this.now = options.start ?? 0;
    this.#delay = options.delay ?? 10;
    this.#lanes = { toServer: new Lane(options.clientToServer), toClient: new Lane(options.serverToClient) };
  }

  /** What each direction did to its datagrams. */
  counts(direction: "clientToServer" | "serverToClient"): LinkCounts {
    return { ...(direction === "clientToServer" ? this.#lanes.toServer : this.#lanes.toClient).counts };
  }

  /** Delivers a datagram to `to` at `now` + the one-way delay, outside any endpoint: an attacker's. */
  inject(to: "client" | "server", data: Uint8Array, delay = 0): void {
    this.#schedule(to, data, this.now + delay);
  }

  #schedule(to: "client" | "server", data: Uint8Array, at: number): void {
    const entry = { at, seq: this.#seq++, to, data };
    // Sorted by time, then by order of sending: equal times keep FIFO order.
    let i = this.#inFlight.length;
    while (i > 0 && this.#inFlight[i - 1]!.at > at) i--;
    this.#inFlight.splice(i, 0, entry);
  }

  /** Sends everything both endpoints have to send now. */
  flush(): void {
    for (let d = this.client.send(this.now); d !== undefined; d = this.client.send(this.now)) {
      this.sent.client.push(d);
      for (const delay of this.#lanes.toServer.fates(d, this.#delay))
        this.#schedule("server", d, this.now + delay);
    }
    for (let d = this.server.send(this.now); d !== undefined; d = this.server.send(this.now)) {
      this.sent.server.push(d);
      for (const delay of this.#lanes.toClient.fates(d, this.#delay))
        this.#schedule("client", d, this.now + delay);
    }
  }

  /** The time of the next delivery or timer, or undefined when nothing will ever happen. */
  nextEventTime(): number | undefined {
    const times = [this.#inFlight[0]?.at, this.client.nextTimerDeadline(), this.server.nextTimerDeadline()];
    const defined = times.filter((t): t is number => t !== undefined);
    return defined.length === 0 ? undefined : Math.min(...defined);
  }

  /**
   * Sends what is pending, advances to the next event and handles it; false when nothing is
   * left. What the event causes is sent at the start of the next step, so a test can act on an
   * endpoint's state (write to a stream) before its reaction leaves.
   */
  step(): boolean {
    this.flush();
    const next = this.nextEventTime();
    if (next === undefined) return false;
    this.now = Math.max(this.now, next);
    while (this.#inFlight.length > 0 && this.#inFlight[0]!.at <= this.now) {
      const { to, data } = this.#inFlight.shift()!;
      (to === "client" ? this.#lanes.toClient : this.#lanes.toServer).counts.delivered++;
      (to === "client" ? this.client : this.server).receive(data, this.now);
    }
    for (const endpoint of [this.client, this.server]) {
      const deadline = endpoint.nextTimerDeadline();
      if (deadline !== undefined && deadline <= this.now) endpoint.onTimer(this.now);
    }
    return true;
  }

  /**
   * Steps until `done()` holds; throws if the clock passes `maxTime`, nothing is left to happen,
   * or the run seems stuck (many steps without the clock moving).
   */
  runUntil(done: () => boolean, maxTime = 120_000): void {
    let stalled = 0;
    let last = this.now;
    while (!done()) {
      if (!this.step())
        throw new Error(`nothing left to happen at t=${this.now} and the condition is not met`);
      if (this.now > maxTime) throw new Error(`not done by t=${maxTime}`);
      stalled = this.now === last ? stalled + 1 : 0;
      last = this.now;
      if (stalled > 10_000) throw new Error(`stuck at t=${this.now}: 10000 steps without time passing`);
    }
  }

  /** Handles every event up to `duration` ms from now, then sets the clock there. */
  runFor(duration: number): void {
    const until = this.now + duration;
    for (let steps = 0; ; steps++) {
      this.flush();
      const next = this.nextEventTime();
      if (next === undefined || next > until) break;
      this.step();
      if (steps > 1_000_000) throw new Error(`no quiet moment before t=${until}`);
    }
    this.now = Math.max(this.now, until);
  }
}
