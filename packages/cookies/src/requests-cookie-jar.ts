import type { CookieJarView, CookieScope } from "@nq/models";
import { Cookie, CookieJar, MemoryCookieStore } from "tough-cookie";

/** One cookie as the jar holds it. */
export interface CookieRecord {
  readonly name: string;
  readonly value: string;
  /** The domain the cookie is scoped to; `""` for a cookie set without one (sent to every host). */
  readonly domain: string;
  readonly path: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  /** When the cookie expires, or `null` for a session cookie. */
  readonly expires: Date | null;
  /** True when only the exact host (not its subdomains) receives it. */
  readonly hostOnly: boolean;
}

/** Attributes of a cookie set by hand. */
export interface CookieAttributes {
  /** Omit to send the cookie to every host, as Requests' `jar.set(name, value)` does. */
  readonly domain?: string | undefined;
  readonly path?: string | undefined;
  readonly secure?: boolean | undefined;
  readonly httpOnly?: boolean | undefined;
  readonly expires?: Date | null | undefined;
  /** Scope the cookie to exactly `domain`, not its subdomains. */
  readonly hostOnly?: boolean | undefined;
}

/** What a jar can be built from or updated with. */
export type CookieJarInit =
  | RequestsCookieJar
  | Iterable<readonly [string, string]>
  | { readonly [name: string]: string | null | undefined };

// Requests' policy accepts Domain=localhost; public suffixes are still refused.
const JAR_OPTIONS = {
  allowSpecialUseDomain: true,
  rejectPublicSuffixes: true,
  looseMode: true,
  // Requests never sends a Secure cookie over http, loopback included (tough-cookie would by default).
  allowSecureOnLocal: false,
} as const;
const BRAND = Symbol.for("nq.RequestsCookieJar");

function matches(record: CookieRecord, scope: CookieScope | undefined): boolean {
  if (scope?.domain !== undefined && record.domain !== scope.domain.replace(/^\./, "")) return false;
  if (scope?.path !== undefined && record.path !== scope.path) return false;
  return true;
}

// TTL() weighs Max-Age over Expires, as RFC 6265 does: a Max-Age=0 cookie is gone at once.
function isExpired(cookie: Cookie): boolean {
  return cookie.TTL() <= 0;
}

function toRecord(cookie: Cookie): CookieRecord {
  return {
    name: cookie.key,
    value: cookie.value,
    domain: cookie.domain ?? "",
    path: cookie.path ?? "/",
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    expires: cookie.expires instanceof Date ? cookie.expires : null,
    hostOnly: cookie.hostOnly ?? false,
  };
}

/**
 * The Requests cookie jar: RFC 6265 storage on tough-cookie (domain, path, secure, expiry,
 * public suffixes) with Requests' dict-like API on top. Runs anywhere: no Node module.
 */
export class RequestsCookieJar implements CookieJarView, Iterable<CookieRecord> {
  #store = new MemoryCookieStore();
  #jar = new CookieJar(this.#store, JAR_OPTIONS);
  // Cookies set without a domain: Requests sends them to every host.
  #unscoped = new Map<string, CookieRecord>();
  // False until a scoped cookie could have been stored: an empty jar then answers without
  // tough-cookie's URL parsing and public-suffix lookups, the common case on every request.
  #mayHoldScoped = false;

  static {
    Object.defineProperty(this.prototype, BRAND, { value: true });
  }

  constructor(init?: CookieJarInit | null) {
    if (init) this.update(init);
  }

  /** A jar of the given name → value pairs, sent to every host (Requests' `cookiejar_from_dict`). */
  static fromDict(dict: { readonly [name: string]: string | null | undefined }): RequestsCookieJar {
    return new RequestsCookieJar(dict);
  }

  /** True for a jar from any copy of this package. */
  static isJar(value: unknown): value is RequestsCookieJar {
    return (value as { [BRAND]?: boolean } | null | undefined)?.[BRAND] === true;
  }

  #scoped(): Cookie[] {
    if (!this.#mayHoldScoped) return [];
    let all: Cookie[] = [];
    // MemoryCookieStore answers synchronously; the callback runs before getAllCookies returns.
    this.#store.getAllCookies((error, cookies) => {
      if (error) throw error;
      all = cookies ?? [];
    });
    return all.filter((c) => !isExpired(c));
  }

  /** Every cookie held, unscoped ones first. */
  *[Symbol.iterator](): IterableIterator<CookieRecord> {
    yield* this.#unscoped.values();
    for (const cookie of this.#scoped()) yield toRecord(cookie);
  }

  /** Number of cookies held. */
  get size(): number {
    return this.#unscoped.size + this.#scoped().length;
  }

  /** The value of the cookie of that name (optionally in a domain and path), or `undefined`. */
  get(name: string, scope?: CookieScope): string | undefined {
    let found: string | undefined;
    for (const record of this) if (record.name === name && matches(record, scope)) found = record.value;
    return found;
  }

  has(name: string, scope?: CookieScope): boolean {
    return this.get(name, scope) !== undefined;
  }

  /** Sets a cookie by hand; a `null` value deletes it, as in Requests. */
  set(name: string, value: string | null, attributes: CookieAttributes = {}): this {
    if (value === null) {
      this.delete(name, attributes);
      return this;
    }
    if (attributes.domain === undefined) {
      this.#unscoped.set(name, {
        name,
        value,
        domain: "",
        path: attributes.path ?? "/",
        secure: attributes.secure ?? false,
        httpOnly: attributes.httpOnly ?? false,
        expires: attributes.expires ?? null,
        hostOnly: false,
      });
      return this;
    }
    const domain = attributes.domain.replace(/^\./, "").toLowerCase();
    this.#mayHoldScoped = true;
    const cookie = new Cookie({
      key: name,
      value,
      domain,
      path: attributes.path ?? "/",
      secure: attributes.secure ?? false,
      httpOnly: attributes.httpOnly ?? false,
      expires: attributes.expires ?? "Infinity",
      hostOnly: attributes.hostOnly ?? false,
    });
    this.#store.putCookie(cookie, (error) => {
      if (error) throw error;
    });
    return this;
  }

  /** Removes every cookie of that name (optionally only in a domain and path). */
  delete(name: string, scope?: CookieScope): boolean {
    let removed = false;
    const unscoped = this.#unscoped.get(name);
    if (unscoped && matches(unscoped, scope)) removed = this.#unscoped.delete(name);
    for (const cookie of this.#scoped()) {
      if (cookie.key !== name || !matches(toRecord(cookie), scope)) continue;
      this.#store.removeCookie(cookie.domain ?? "", cookie.path ?? "/", cookie.key, (error) => {
        if (error) throw error;
      });
      removed = true;
    }
    return removed;
  }

  /** Removes every cookie. */
  clear(): void {
    this.#unscoped.clear();
    this.#mayHoldScoped = false;
    this.#store.removeAllCookies((error) => {
      if (error) throw error;
    });
  }

  /** Name → value of the cookies (in a domain and path when given). */
  toDict(scope?: CookieScope): Record<string, string> {
    const dict: Record<string, string> = {};
    for (const record of this) if (matches(record, scope)) dict[record.name] = record.value;
    return dict;
  }

  /** Adds cookies from another jar (keeping their scope), from pairs or from a plain object. */
  update(other: CookieJarInit): this {
    if (RequestsCookieJar.isJar(other)) {
      for (const record of other) {
        this.set(record.name, record.value, {
          domain: record.domain === "" ? undefined : record.domain,
          path: record.path,
          secure: record.secure,
          httpOnly: record.httpOnly,
          expires: record.expires,
          hostOnly: record.hostOnly,
        });
      }
      return this;
    }
    const pairs =
      Symbol.iterator in other ? (other as Iterable<readonly [string, string]>) : Object.entries(other);
    for (const [name, value] of pairs) if (value !== undefined) this.set(name, value);
    return this;
  }

  /** An independent copy. */
  copy(): RequestsCookieJar {
    return new RequestsCookieJar(this);
  }

  /**
   * Stores the `Set-Cookie` fields of a response to `url`, applying RFC 6265 rules (a cookie
   * for another domain or a public suffix is refused, an expired one deletes its namesake).
   */
  extractCookies(url: string, setCookie: readonly string[]): void {
    for (const header of setCookie) {
      this.#mayHoldScoped = true;
      try {
        this.#jar.setCookieSync(header, url, { ignoreError: true });
      } catch {
        // A malformed Set-Cookie is ignored, as browsers and Requests do.
      }
      const parsed = Cookie.parse(header, { loose: true });
      // An expired cookie from the server also removes a hand-set cookie of that name.
      if (parsed && isExpired(parsed)) this.#unscoped.delete(parsed.key);
    }
  }

  /** The `Cookie` header to send to `url`, or `null` when no cookie applies. */
  cookieHeader(url: string): string | null {
    if (!this.#mayHoldScoped && this.#unscoped.size === 0) return null;
    const parts: string[] = [];
    const isSecure = url.startsWith("https:") || url.startsWith("wss:");
    for (const record of this.#unscoped.values()) {
      if (record.secure && !isSecure) continue;
      if (record.expires && record.expires.getTime() <= Date.now()) continue;
      parts.push(`${record.name}=${record.value}`);
    }
    const scoped = this.#mayHoldScoped ? this.#jar.getCookieStringSync(url) : "";
    if (scoped) parts.push(scoped);
    return parts.length ? parts.join("; ") : null;
  }

  toString(): string {
    return `<RequestsCookieJar[${[...this].map((c) => `<Cookie ${c.name}=${c.value} for ${c.domain}${c.path}>`).join(", ")}]>`;
  }
}
