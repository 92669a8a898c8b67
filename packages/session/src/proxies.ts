import { type Environment, getEitherCase } from "./environment.js";

/**
 * The `proxies` option as Requests takes it: keys `http`, `https`, `all`, `scheme://host`,
 * `all://host` map to a proxy URL; `no_proxy` lists hosts to reach directly. A `null` value
 * removes a session entry.
 */
export type ProxiesInput = { readonly [key: string]: string | null | undefined };

/**
 * Proxies named by the environment, as urllib's `getproxies_environment`: every `<scheme>_proxy`
 * in either case, the lower-case one winning. Under CGI (`REQUEST_METHOD` set) the upper-case
 * `HTTP_PROXY` is ignored, since a client header can set it (httpoxy).
 */
export function environmentProxies(
  names: readonly string[],
  environment: Environment,
): Record<string, string> {
  const proxies: Record<string, string> = {};
  const cgi = environment.get("REQUEST_METHOD") !== undefined;
  for (const scheme of names) {
    const lower = environment.get(`${scheme}_proxy`);
    const upper = cgi && scheme === "http" ? undefined : environment.get(`${scheme.toUpperCase()}_PROXY`);
    const value = lower || upper;
    if (value) proxies[scheme] = value;
  }
  return proxies;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let address = text.replace(/^\[|\]$/g, "").split("%")[0]!;
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4) {
    const value = parseIPv4(v4[1]!);
    if (value === undefined) return undefined;
    address = `${address.slice(0, -v4[1]!.length)}${(value >> 16n).toString(16)}:${(value & 0xffffn).toString(16)}`;
  }
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

function parseAddress(text: string): { value: bigint; bits: number } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { value: v4, bits: 32 };
  const v6 = parseIPv6(text);
  return v6 === undefined ? undefined : { value: v6, bits: 128 };
}

/** Whether `host` (an IP literal) lies in `entry`, an address or a CIDR block of the same family. */
function addressMatches(host: { value: bigint; bits: number }, entry: string): boolean {
  const [base, prefixText] = entry.split("/");
  const network = parseAddress(base!);
  if (!network || network.bits !== host.bits) return false;
  if (prefixText === undefined) return network.value === host.value;
  if (!/^\d+$/.test(prefixText)) return false;
  const prefix = Number(prefixText);
  if (prefix > host.bits) return false;
  const shift = BigInt(host.bits - prefix);
  return network.value >> shift === host.value >> shift;
}

/**
 * Whether a URL should bypass proxies under `noProxy` (or the environment's `no_proxy`): `*`
 * bypasses all; an IP host matches an address or CIDR block (IPv4 and IPv6); a name matches an
 * entry exactly or as a subdomain (`example.com` and `.example.com` both cover
 * `api.example.com`, not `notexample.com`), optionally with `:port`.
 */
export function shouldBypassProxies(
  url: string,
  noProxy: string | undefined,
  environment: Environment,
): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return true;
  }
  const hostname = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (!hostname) return true;
  const list = noProxy ?? getEitherCase(environment, "no_proxy");
  if (!list) return false;
  const entries = list
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  const address = parseAddress(hostname);
  const port = parsed.port;
  for (const entry of entries) {
    if (entry === "*") return true;
    if (address) {
      if (addressMatches(address, entry.replace(/^\[|\]$/g, ""))) return true;
      continue;
    }
    const [name, entryPort] = entry.startsWith("[") ? [entry, undefined] : entry.split(":");
    if (entryPort !== undefined && entryPort !== port) continue;
    const bare = name!.replace(/^\*?\./, "");
    if (hostname === bare || hostname.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/** Requests' `select_proxy`: `scheme://host`, then `scheme`, then `all://host`, then `all`. */
export function selectProxy(url: string, proxies: Readonly<Record<string, string>>): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const scheme = parsed.protocol.slice(0, -1);
  const host = parsed.hostname;
  if (!host) return proxies[scheme] ?? proxies.all;
  for (const key of [`${scheme}://${host}`, scheme, `all://${host}`, "all"]) {
    const proxy = proxies[key];
    if (proxy) return proxy;
  }
  return undefined;
}
