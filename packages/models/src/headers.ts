import { InvalidHeader } from "./errors.js";

/** A header value as callers may give it; numbers are sent in decimal. */
export type HeaderValue = string | number;

/**
 * Anything a {@link Headers} can be built from: another `Headers`, a WHATWG `Headers`,
 * pairs, or a plain object (an array value repeats the field; `null` and `undefined` are skipped).
 */
export type HeadersInit =
  | Headers
  | globalThis.Headers
  | Iterable<readonly [string, HeaderValue]>
  | { readonly [name: string]: HeaderValue | readonly HeaderValue[] | null | undefined };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Requests' rule: no leading whitespace, no CR or LF anywhere; NUL is refused too.
const CLEAN_VALUE = /^(?:[^\s\0][^\r\n\0]*)?$/;
const BRAND = Symbol.for("nq.Headers");

function checkName(name: string): void {
  if (!TOKEN.test(name)) {
    throw new InvalidHeader(
      `Invalid leading whitespace, reserved character(s), or return character(s) in header name: ${JSON.stringify(name)}`,
    );
  }
}

function checkValue(name: string, value: string): void {
  if (!CLEAN_VALUE.test(value)) {
    throw new InvalidHeader(
      `Invalid leading whitespace, reserved character(s), or return character(s) in header value of ${name}: ${JSON.stringify(value)}`,
    );
  }
}

function toValue(name: string, value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  throw new InvalidHeader(
    `Header ${name} must be a string or a number, not ${value === null ? "null" : typeof value}`,
  );
}

/**
 * HTTP header fields: looked up case-insensitively, kept in insertion order with the
 * original case for sending, repeated fields preserved.
 */
export class Headers implements Iterable<[string, string]> {
  // Parallel arrays beat a Map for the ten-odd fields of a typical message.
  #lower: string[] = [];
  #names: string[] = [];
  #values: string[] = [];

  static {
    // On the prototype: a per-instance property would cost every response its own define.
    Object.defineProperty(this.prototype, BRAND, { value: true });
  }

  constructor(init?: HeadersInit | null) {
    if (init != null) this.#fill(init);
  }

  /** True for a `Headers` from any copy of this package. */
  static isHeaders(value: unknown): value is Headers {
    return (value as { [BRAND]?: boolean } | null | undefined)?.[BRAND] === true;
  }

  /**
   * Builds headers from fields already parsed off the wire, without validating them.
   * For transports: `raw` alternates names and values.
   */
  static fromRaw(raw: readonly string[]): Headers {
    const headers = new Headers();
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!;
      headers.#lower.push(name.toLowerCase());
      headers.#names.push(name);
      headers.#values.push(raw[i + 1]!);
    }
    return headers;
  }

  #fill(init: HeadersInit): void {
    if (Headers.isHeaders(init)) {
      for (const [name, value] of init.raw()) this.append(name, value);
      return;
    }
    if (Symbol.iterator in init) {
      for (const pair of init as Iterable<readonly [string, HeaderValue]>) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw new TypeError("Header pairs must be [name, value] arrays");
        }
        this.append(pair[0] as string, pair[1] as HeaderValue);
      }
      return;
    }
    for (const [name, value] of Object.entries(init)) {
      if (value == null) continue;
      if (Array.isArray(value)) for (const v of value) this.append(name, v as HeaderValue);
      else this.append(name, value as HeaderValue);
    }
  }

  #index(lower: string, from = 0): number {
    const names = this.#lower;
    for (let i = from; i < names.length; i++) if (names[i] === lower) return i;
    return -1;
  }

  /** Number of distinct field names. */
  get size(): number {
    return new Set(this.#lower).size;
  }

  /** The field's value, repeated fields joined with `", "`, or `null` when absent. */
  get(name: string): string | null {
    const lower = name.toLowerCase();
    let i = this.#index(lower);
    if (i < 0) return null;
    let value = this.#values[i]!;
    while ((i = this.#index(lower, i + 1)) >= 0) value += `, ${this.#values[i]}`;
    return value;
  }

  /** Every value of a repeated field, in order. */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.#lower.length; i++) if (this.#lower[i] === lower) out.push(this.#values[i]!);
    return out;
  }

  /** The `Set-Cookie` fields, unjoined (as WHATWG `Headers.getSetCookie`). */
  getSetCookie(): string[] {
    return this.getAll("set-cookie");
  }

  /** Whether the field is present. */
  has(name: string): boolean {
    return this.#index(name.toLowerCase()) >= 0;
  }

  /** Replaces every field of that name with one value; the field keeps its place and takes the new name's case. */
  set(name: string, value: HeaderValue): this {
    checkName(name);
    const text = toValue(name, value);
    checkValue(name, text);
    const lower = name.toLowerCase();
    const first = this.#index(lower);
    if (first < 0) {
      this.#lower.push(lower);
      this.#names.push(name);
      this.#values.push(text);
      return this;
    }
    this.#names[first] = name;
    this.#values[first] = text;
    this.#removeFrom(lower, first + 1);
    return this;
  }

  /** Sets the field only when it is absent. */
  setDefault(name: string, value: HeaderValue): this {
    if (!this.has(name)) this.set(name, value);
    return this;
  }

  /** Adds a field, keeping any of the same name. */
  append(name: string, value: HeaderValue): this {
    checkName(name);
    const text = toValue(name, value);
    checkValue(name, text);
    this.#lower.push(name.toLowerCase());
    this.#names.push(name);
    this.#values.push(text);
    return this;
  }

  /** Removes every field of that name; returns whether one was present. */
  delete(name: string): boolean {
    const lower = name.toLowerCase();
    const before = this.#lower.length;
    this.#removeFrom(lower, 0);
    return this.#lower.length !== before;
  }

  #removeFrom(lower: string, from: number): void {
    let w = from;
    for (let r = from; r < this.#lower.length; r++) {
      if (this.#lower[r] === lower) continue;
      this.#lower[w] = this.#lower[r]!;
      this.#names[w] = this.#names[r]!;
      this.#values[w] = this.#values[r]!;
      w++;
    }
    this.#lower.length = this.#names.length = this.#values.length = w;
  }

  /** Distinct field names in first-seen order, in the case they were set. */
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  /** Values of distinct fields, repeated fields joined with `", "`. */
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  /** `[name, value]` per distinct field, repeated fields joined with `", "`. */
  *entries(): IterableIterator<[string, string]> {
    const seen = new Set<string>();
    for (let i = 0; i < this.#lower.length; i++) {
      const lower = this.#lower[i]!;
      if (seen.has(lower)) continue;
      seen.add(lower);
      yield [this.#names[i]!, this.get(lower)!];
    }
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** Calls `fn` once per distinct field. */
  forEach(fn: (value: string, name: string, headers: this) => void): void {
    for (const [name, value] of this.entries()) fn(value, name, this);
  }

  /** Every field line as `[name, value]`, in order, repeated fields separate: what goes on the wire. */
  raw(): [string, string][] {
    return this.#names.map((name, i) => [name, this.#values[i]!]);
  }

  /** Names and values alternating, as undici and node:http take them. */
  flat(): string[] {
    const out = new Array<string>(this.#names.length * 2);
    for (let i = 0; i < this.#names.length; i++) {
      out[2 * i] = this.#names[i]!;
      out[2 * i + 1] = this.#values[i]!;
    }
    return out;
  }

  /** A plain object of distinct fields, repeated fields joined with `", "`. */
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.entries());
  }

  /** An independent copy. */
  copy(): Headers {
    const copy = new Headers();
    copy.#lower = this.#lower.slice();
    copy.#names = this.#names.slice();
    copy.#values = this.#values.slice();
    return copy;
  }

  /** Case-insensitive equality of names and joined values, ignoring order. */
  equals(other: HeadersInit): boolean {
    const that = Headers.isHeaders(other) ? other : new Headers(other);
    if (that.size !== this.size) return false;
    for (const [name, value] of this.entries()) if (that.get(name) !== value) return false;
    return true;
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }
}
