/**
 * Flow control credit (RFC 9000 §4.1–4.2) in both directions: `ReceiveWindow` is the limit we
 * grant the peer on one stream or the whole connection, `SendCredit` the limit the peer grants
 * us. The same classes serve MAX_STREAM_DATA and MAX_DATA; only the caller knows which frame to
 * send.
 *
 * RFC 9000 §4.2 leaves the receive window policy open. A fixed window caps throughput at
 * window / RTT, which for a 10 MiB download over a long path is far below the link, and a huge
 * fixed window lets every stream make us buffer that much. So the window starts small and
 * doubles, up to a maximum, whenever the application reads data fast enough that the window
 * would be the bottleneck (see `ReceiveWindow.onConsumed`).
 *
 * Times and RTTs are plain numbers in one unit of the caller's choosing (milliseconds in this
 * package); nothing here reads a clock.
 *
 * @packageDocumentation
 */

import { QuicError, TransportErrorCode } from "../errors.js";

/**
 * Options of `ReceiveWindow`.
 *
 * @alpha
 */
export interface ReceiveWindowOptions {
  /** The window at the start: the limit advertised in the transport parameters. */
  readonly initialWindow: number;
  /** The largest window auto-tuning may grow to; equal to `initialWindow` to turn it off. */
  readonly maxWindow: number;
  /**
   * The share of the window the application must consume before a larger limit is due;
   * 0.5 unless given. Lower sends more updates, higher risks stalling the peer.
   */
  readonly updateFraction?: number;
  /** The frame type reported with FLOW_CONTROL_ERROR: STREAM for a stream, undefined for the connection. */
  readonly frameType?: number;
}

/**
 * The receive side of flow control for one stream or the connection, with window auto-tuning.
 *
 * @alpha
 */
export class ReceiveWindow {
  #limit: number;
  #window: number;
  #received = 0;
  #consumed = 0;
  #updateDue = false;
  // The auto-tuning epoch: when the last limit update was due, and how much had been consumed.
  #epochStart: number | undefined;
  #epochConsumed = 0;
  readonly #maxWindow: number;
  readonly #updateFraction: number;
  readonly #frameType: number | undefined;

  constructor(options: ReceiveWindowOptions) {
    const { initialWindow, maxWindow, updateFraction = 0.5 } = options;
    if (!Number.isSafeInteger(initialWindow) || initialWindow < 0)
      throw new RangeError(`invalid initial window ${initialWindow}`);
    if (!Number.isSafeInteger(maxWindow) || maxWindow < initialWindow)
      throw new RangeError(`invalid maximum window ${maxWindow}`);
    if (!(updateFraction > 0 && updateFraction <= 1))
      throw new RangeError(`invalid update fraction ${updateFraction}`);
    this.#limit = initialWindow;
    this.#window = initialWindow;
    this.#maxWindow = maxWindow;
    this.#updateFraction = updateFraction;
    this.#frameType = options.frameType;
  }

  /** The highest limit advertised so far: the peer may send up to this offset (or sum of offsets). */
  get limit(): number {
    return this.#limit;
  }

  /** The current window: how far past the consumed data the next limit will reach. */
  get window(): number {
    return this.#window;
  }

  /** How much credit the peer has used: the highest offset received (summed over streams for the connection). */
  get received(): number {
    return this.#received;
  }

  /** How many bytes the application has consumed. */
  get consumed(): number {
    return this.#consumed;
  }

  /** Whether a MAX_DATA or MAX_STREAM_DATA with a larger limit should be sent. */
  get isUpdateDue(): boolean {
    return this.#updateDue;
  }

  /** Charges `credit` newly used bytes to the peer; beyond the limit it is a FLOW_CONTROL_ERROR (RFC 9000 §4.1). */
  onReceived(credit: number): void {
    if (!Number.isSafeInteger(credit) || credit < 0) throw new RangeError(`invalid credit ${credit}`);
    const received = this.#received + credit;
    if (received > this.#limit)
      throw new QuicError(
        TransportErrorCode.FLOW_CONTROL_ERROR,
        `peer sent ${received} bytes, more than the limit ${this.#limit}`,
        { frameType: this.#frameType },
      );
    this.#received = received;
  }

  /**
   * Records that the application consumed `bytes` at time `now`, with `rtt` the current
   * smoothed RTT, and decides whether a new limit is due and how large the window should be.
   */
  onConsumed(bytes: number, now: number, rtt: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`invalid byte count ${bytes}`);
    if (this.#consumed + bytes > this.#received)
      throw new RangeError(`consumed ${this.#consumed + bytes} bytes, only ${this.#received} received`);
    if (this.#epochStart === undefined) {
      this.#epochStart = now;
      this.#epochConsumed = this.#consumed;
    }
    this.#consumed += bytes;
    if (this.#updateDue) return;
    // Waiting until a share of the window is used keeps updates to about one per half window,
    // while leaving the rest of the window for the peer to fill during the update's flight.
    if (this.#limit - this.#consumed > this.#window * (1 - this.#updateFraction)) return;
    this.#autoTune(now, rtt);
    this.#updateDue = true;
  }

  // A window W lets the peer send at most W per round trip. With the update sent halfway
  // through the window, the peer only hears of it about one RTT before it would stall, so an
  // application draining a whole window in under two RTTs is being held back by the window,
  // not by the network: double it. The test is done on the rate since the last update, so a
  // burst of buffered data read at once does not count as a fast link forever.
  #autoTune(now: number, rtt: number): void {
    const elapsed = now - (this.#epochStart ?? now);
    const bytes = this.#consumed - this.#epochConsumed;
    if (rtt > 0 && bytes > 0 && elapsed * this.#window < 2 * rtt * bytes)
      this.#window = Math.min(this.#window * 2, this.#maxWindow);
    this.#epochStart = now;
    this.#epochConsumed = this.#consumed;
  }

  /**
   * Raises the window to at least `window` (capped at the maximum), so the connection's window
   * can keep up with a stream window that has grown.
   */
  ensureWindow(window: number): void {
    const target = Math.min(Math.floor(window), this.#maxWindow);
    if (target > this.#window) this.#window = target;
  }

  /**
   * The new limit to put in MAX_DATA or MAX_STREAM_DATA if one is due, and from now on the limit
   * enforced; `undefined` if none is due. To resend a lost update, send the current `limit`.
   */
  takeUpdate(): number | undefined {
    if (!this.#updateDue) return undefined;
    this.#updateDue = false;
    const limit = this.#consumed + this.#window;
    if (limit <= this.#limit) return undefined;
    this.#limit = limit;
    return limit;
  }
}

/**
 * The send side of flow control: the credit the peer has granted on one stream or the connection.
 *
 * @alpha
 */
export class SendCredit {
  #limit: number;
  #used = 0;
  #blockedReportedAt: number | undefined;

  /** Credit starting at `initialLimit`, from the peer's transport parameters. */
  constructor(initialLimit: number) {
    if (!Number.isSafeInteger(initialLimit) || initialLimit < 0)
      throw new RangeError(`invalid initial limit ${initialLimit}`);
    this.#limit = initialLimit;
  }

  /** The peer's limit: the total we may send. */
  get limit(): number {
    return this.#limit;
  }

  /** How much of the limit has been used. */
  get used(): number {
    return this.#used;
  }

  /** How many more bytes may be sent now. */
  get available(): number {
    return this.#limit - this.#used;
  }

  /**
   * Applies the peer's MAX_DATA or MAX_STREAM_DATA; returns whether the limit grew. A smaller
   * value is ignored (RFC 9000 §4.1): frames can arrive out of order.
   */
  update(maximum: number): boolean {
    if (maximum <= this.#limit) return false;
    this.#limit = maximum;
    return true;
  }

  /** Charges `bytes` of new data; sending past the limit is a bug on this side, so it throws RangeError. */
  consume(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > this.available)
      throw new RangeError(`cannot send ${bytes} bytes with ${this.available} available`);
    this.#used += bytes;
  }

  /**
   * The limit to put in DATA_BLOCKED or STREAM_DATA_BLOCKED when the sender has data it cannot
   * send, or `undefined` if there is credit or this limit was already reported: once per limit
   * is enough for the peer's debugging and tuning (RFC 9000 §4.1).
   */
  takeBlocked(): number | undefined {
    if (this.available > 0 || this.#blockedReportedAt === this.#limit) return undefined;
    this.#blockedReportedAt = this.#limit;
    return this.#limit;
  }
}
