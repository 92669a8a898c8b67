/** One link of a `Link` header: its URL and parameters (`rel`, `type`…), names lower-cased. */
export interface Link {
  readonly url: string;
  /** The relation types, as written: `"next last"` stays one string. */
  readonly rel?: string;
  readonly [param: string]: string | undefined;
}

const SPACE = /[ \t]/;

/**
 * Parses a `Link` header (RFC 8288) into its links, in order, as Requests' `parse_header_links`
 * returns them but without its splitting bugs: a comma or semicolon inside `<…>` or a quoted
 * string does not split, quoted values are unescaped, and a parameter without a value is kept
 * as `""`. Parameter names are lower-cased; a repeated parameter keeps its first value (RFC 8288
 * §3.3 for `rel`). A malformed link is skipped up to the next comma.
 */
export function parseLinkHeader(value: string): Link[] {
  const links: Link[] = [];
  const n = value.length;
  let i = 0;

  const skipSpace = () => {
    while (i < n && SPACE.test(value[i]!)) i++;
  };
  // Skips to just past the next comma that is outside `<…>` and quotes: the end of a link.
  const skipLink = () => {
    let quoted = false;
    let bracketed = false;
    for (; i < n; i++) {
      const ch = value[i]!;
      if (quoted) {
        if (ch === "\\") i++;
        else if (ch === '"') quoted = false;
      } else if (bracketed) {
        if (ch === ">") bracketed = false;
      } else if (ch === '"') {
        quoted = true;
      } else if (ch === "<") {
        bracketed = true;
      } else if (ch === ",") {
        i++;
        return;
      }
    }
  };
  const readQuoted = () => {
    let out = "";
    for (i++; i < n; i++) {
      const ch = value[i]!;
      if (ch === "\\" && i + 1 < n) out += value[++i];
      else if (ch === '"') {
        i++;
        break;
      } else out += ch;
    }
    return out;
  };

  while (i < n) {
    while (i < n && (SPACE.test(value[i]!) || value[i] === ",")) i++;
    if (i >= n) break;
    if (value[i] !== "<") {
      skipLink();
      continue;
    }
    const close = value.indexOf(">", i + 1);
    if (close === -1) break;
    const link: Record<string, string> = { url: value.slice(i + 1, close).trim() };
    i = close + 1;

    for (;;) {
      skipSpace();
      if (i >= n) break;
      if (value[i] === ",") {
        i++;
        break;
      }
      if (value[i] !== ";") {
        skipLink();
        break;
      }
      i++;
      skipSpace();
      const nameStart = i;
      while (i < n && !/[=;,\s]/.test(value[i]!)) i++;
      const name = value.slice(nameStart, i).toLowerCase();
      skipSpace();
      let param = "";
      if (value[i] === "=") {
        i++;
        skipSpace();
        if (value[i] === '"') {
          param = readQuoted();
        } else {
          const start = i;
          while (i < n && value[i] !== ";" && value[i] !== ",") i++;
          // Requests strips single quotes too: `rel='next'` means next.
          param = value
            .slice(start, i)
            .trim()
            .replace(/^'(.*)'$/, "$1");
        }
      }
      if (name && name !== "url" && !Object.hasOwn(link, name)) link[name] = param;
    }
    links.push(link as Link);
  }
  return links;
}
