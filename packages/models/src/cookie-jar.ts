/** Where to look a cookie up; both default to any. */
export interface CookieScope {
  readonly domain?: string | undefined;
  readonly path?: string | undefined;
}

/** The read side of a cookie jar, as `response.cookies` exposes it (`RequestsCookieJar` implements it). */
export interface CookieJarView {
  /** Number of cookies held. */
  readonly size: number;
  /** The value of the cookie of that name, or `undefined`. */
  get(name: string, scope?: CookieScope): string | undefined;
  has(name: string, scope?: CookieScope): boolean;
  /** Name → value of every cookie (the last one wins when names repeat across domains). */
  toDict(scope?: CookieScope): Record<string, string>;
}
