/** One link of a `Link` header: its URL and parameters (`rel`, `type`…). */
export interface Link {
  readonly url: string;
  readonly rel?: string;
  readonly [param: string]: string | undefined;
}

/** Parses a `Link` header (RFC 8288) into its links, in order. */
export function parseLinkHeader(value: string): Link[] {
  const links: Link[] = [];
  for (const part of value.split(/,\s*(?=<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const link: Record<string, string> = { url: match[1]! };
    for (const param of match[2]!.split(";")) {
      const [key, raw] = param.split("=");
      if (!key?.trim() || raw === undefined) continue;
      link[key.trim().toLowerCase()] = raw.trim().replace(/^"|"$/g, "");
    }
    links.push(link as Link);
  }
  return links;
}
