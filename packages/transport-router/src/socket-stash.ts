/**
 * Sockets the router negotiated, waiting for the transport that must take them.
 *
 * A socket lands here when the router's handshake settled a protocol before any transport asked
 * for a connection (the first request to an origin), or when a transport asked for one protocol
 * and the server picked the other. The transport's next connect for that origin, TLS settings
 * and protocol takes it. An entry nobody takes is closed after a short while.
 */
import type { RoutedProtocol } from "./connector.js";
import type { OpenedConnection } from "./open-connection.js";

// Long enough for the request that caused the handshake to reach its transport's connect; a
// socket still here after that has no taker (the transport had a connection already).
const UNCLAIMED_TTL = 10_000;

/** One socket waiting for its transport. */
export interface StashEntry {
  readonly key: string;
  readonly connection: OpenedConnection;
  timer: NodeJS.Timeout | undefined;
}

function onExpired(stash: SocketStash, entry: StashEntry): void {
  stash.discard(entry);
}

/** Negotiated sockets by origin key and protocol. */
export class SocketStash {
  readonly #entries = new Map<string, StashEntry[]>();

  /** Keeps `connection` for the next transport that asks for `key` and its protocol. */
  put(key: string, connection: OpenedConnection): StashEntry {
    const slot = `${key}\0${connection.protocol}`;
    const entry: StashEntry = { key: slot, connection, timer: undefined };
    entry.timer = setTimeout(onExpired, UNCLAIMED_TTL, this, entry).unref();
    let list = this.#entries.get(slot);
    if (list === undefined) {
      list = [];
      this.#entries.set(slot, list);
    }
    list.push(entry);
    // A stashed socket the server closes is of no use to anyone.
    connection.socket.once("close", () => this.#remove(entry));
    return entry;
  }

  /** Takes a live socket stashed for `key` and `protocol`, if there is one. */
  take(key: string, protocol: RoutedProtocol): OpenedConnection | undefined {
    const list = this.#entries.get(`${key}\0${protocol}`);
    while (list !== undefined && list.length > 0) {
      const entry = list.shift()!;
      if (list.length === 0) this.#entries.delete(entry.key);
      clearTimeout(entry.timer);
      if (!entry.connection.socket.destroyed) return entry.connection;
    }
    return undefined;
  }

  /** Closes `entry`'s socket unless a transport has taken it. */
  discard(entry: StashEntry): void {
    if (this.#remove(entry)) entry.connection.socket.destroy();
  }

  /** Closes every socket still waiting. */
  clear(): void {
    for (const list of this.#entries.values()) {
      for (const entry of list) {
        clearTimeout(entry.timer);
        entry.connection.socket.destroy();
      }
    }
    this.#entries.clear();
  }

  #remove(entry: StashEntry): boolean {
    const list = this.#entries.get(entry.key);
    const index = list?.indexOf(entry) ?? -1;
    if (list === undefined || index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.#entries.delete(entry.key);
    clearTimeout(entry.timer);
    return true;
  }
}
