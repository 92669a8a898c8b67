import { isIP } from "node:net";

/** Where a connection to an origin goes. */
export interface OriginEndpoint {
  /** The host to connect to, without IPv6 brackets. */
  readonly hostname: string;
  /** The URL's port, or the scheme's default (443 for https, else 80). */
  readonly port: number;
  /** SNI and the name the certificate is checked against: the host, `undefined` for an IP literal (RFC 6066 §3). */
  readonly servername: string | undefined;
}

/** The host, port and TLS server name of an `http:` or `https:` origin. */
export function originEndpoint(origin: URL): OriginEndpoint {
  const raw = origin.hostname;
  const hostname = raw.startsWith("[") ? raw.slice(1, -1) : raw;
  return {
    hostname,
    port: Number(origin.port) || (origin.protocol === "https:" ? 443 : 80),
    servername: isIP(hostname) === 0 ? hostname : undefined,
  };
}
