/**
 * The three timers of one exchange, with the meaning `SendOptions.timeout` gives them in every
 * transport: `connect` runs until the request has a connection (or a stream on one), `read` is
 * the longest silence from the server once the request is out, `total` covers everything from
 * `send` to the last body byte. Each timer is armed only when its limit is set, `unref()`ed, and
 * reports to the exchange when it fires; what that means at the exchange's state is the
 * exchange's to decide.
 */
import type { TimeoutSettings } from "@nq/models";

/** One of an exchange's timers. */
export type ExchangeTimer = "connect" | "read" | "total";

/** What the timers report to. */
export interface TimedExchange {
  /** `timer` fired (it is disarmed by then). */
  timedOut(timer: ExchangeTimer): void;
}

function onConnect(timers: ExchangeTimers): void {
  timers.fired("connect");
}

function onRead(timers: ExchangeTimers): void {
  timers.fired("read");
}

function onTotal(timers: ExchangeTimers): void {
  timers.fired("total");
}

/** The connect, read and total timers of one exchange. */
export class ExchangeTimers {
  readonly #exchange: TimedExchange;
  readonly #timeout: TimeoutSettings;
  #connect: NodeJS.Timeout | undefined;
  #read: NodeJS.Timeout | undefined;
  #total: NodeJS.Timeout | undefined;

  constructor(exchange: TimedExchange, timeout: TimeoutSettings) {
    this.#exchange = exchange;
    this.#timeout = timeout;
  }

  /**
   * Starts the connect timer, when there is a connect limit; a running one starts over (an
   * exchange requeued after its connection went away waits a full connect window again).
   */
  startConnect(): void {
    this.stopConnect();
    const limit = this.#timeout.connect;
    if (limit !== null) this.#connect = setTimeout(onConnect, limit, this).unref();
  }

  /** The request has its connection: the connect timer stops. */
  stopConnect(): void {
    if (this.#connect === undefined) return;
    clearTimeout(this.#connect);
    this.#connect = undefined;
  }

  /** Starts the total timer, when there is a total limit. */
  startTotal(): void {
    const limit = this.#timeout.total;
    if (limit !== null) this.#total = setTimeout(onTotal, limit, this).unref();
  }

  /**
   * (Re)starts the read timer: the longest silence allowed before the next byte. Stopped
   * ({@link ExchangeTimers.stopRead}) while the consumer holds the source paused, since then the
   * silence is ours.
   */
  armRead(): void {
    const limit = this.#timeout.read;
    if (limit === null) return;
    if (this.#read === undefined) this.#read = setTimeout(onRead, limit, this).unref();
    else this.#read.refresh();
  }

  /** Restarts the read timer if it runs; a stopped one stays stopped. */
  refreshRead(): void {
    this.#read?.refresh();
  }

  /** Stops the read timer. */
  stopRead(): void {
    if (this.#read === undefined) return;
    clearTimeout(this.#read);
    this.#read = undefined;
  }

  /** Stops every timer: the exchange is complete or failed. */
  clear(): void {
    if (this.#connect !== undefined) clearTimeout(this.#connect);
    if (this.#total !== undefined) clearTimeout(this.#total);
    if (this.#read !== undefined) clearTimeout(this.#read);
    this.#connect = this.#total = this.#read = undefined;
  }

  /** @internal A timer fired: it is disarmed, then the exchange hears of it. */
  fired(timer: ExchangeTimer): void {
    if (timer === "connect") this.#connect = undefined;
    else if (timer === "read") this.#read = undefined;
    else this.#total = undefined;
    this.#exchange.timedOut(timer);
  }
}
