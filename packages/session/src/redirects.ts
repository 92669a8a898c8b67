const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  "http:": "80",
  "https:": "443",
  "ws:": "80",
  "wss:": "443",
};

/**
 * The method of the next hop, as Requests' `rebuild_method`: 303 turns anything but HEAD into
 * GET, 302 does too (what browsers do), 301 turns POST into GET; 307 and 308 keep the method.
 */
export function redirectMethod(method: string, statusCode: number): string {
  if (statusCode === 303 && method !== "HEAD") return "GET";
  if (statusCode === 302 && method !== "HEAD") return "GET";
  if (statusCode === 301 && method === "POST") return "GET";
  return method;
}

function port(url: URL): string {
  return url.port || DEFAULT_PORTS[url.protocol] || "";
}

/**
 * Requests' `should_strip_auth`: credentials go no further when the host changes, when the
 * scheme changes (https → http above all) or when a non-default port changes; http → https on
 * the default ports keeps them.
 */
export function shouldStripAuth(oldUrl: string, newUrl: string): boolean {
  const before = new URL(oldUrl);
  const after = new URL(newUrl);
  if (before.hostname !== after.hostname) return true;
  if (
    before.protocol === "http:" &&
    port(before) === "80" &&
    after.protocol === "https:" &&
    port(after) === "443"
  ) {
    return false;
  }
  const changedScheme = before.protocol !== after.protocol;
  const changedPort = port(before) !== port(after);
  if (!changedScheme && before.port === "" && after.port === "") return false;
  return changedScheme || changedPort;
}
