/**
 * `WWW-Authenticate` and `Authentication-Info` as RFC 9110 §11 writes them: one field may
 * hold several challenges, each a scheme followed by a token68 or by `name=value` parameters,
 * and a quoted value may hold commas.
 *
 * @packageDocumentation
 */

/** One challenge: the scheme in lower case, its parameters by lower-case name, or its token68. */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: ReadonlyMap<string, string>;
  readonly token68: string | undefined;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /[A-Za-z0-9\-._~+/]+=*/y;

class Cursor {
  pos = 0;

  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  get peek(): string | undefined {
    return this.text[this.pos];
  }

  skip(chars: string): void {
    while (!this.done && chars.includes(this.text[this.pos]!)) this.pos++;
  }

  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR.test(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A token68 standing alone (up to the end or a comma); otherwise nothing is consumed. */
  token68(): string | undefined {
    TOKEN68.lastIndex = this.pos;
    const match = TOKEN68.exec(this.text);
    if (!match) return undefined;
    let end = TOKEN68.lastIndex;
    while (end < this.text.length && (this.text[end] === " " || this.text[end] === "\t")) end++;
    if (end < this.text.length && this.text[end] !== ",") return undefined;
    this.pos = TOKEN68.lastIndex;
    return match[0];
  }

  value(): string {
    if (this.peek === '"') {
      this.pos++;
      let out = "";
      while (!this.done) {
        const c = this.text[this.pos++]!;
        if (c === '"') return out;
        if (c === "\\" && !this.done) out += this.text[this.pos++]!;
        else out += c;
      }
      return out;
    }
    // Lenient: servers send unquoted base64 nonces, whose `/` and `=` are not token characters.
    const start = this.pos;
    while (!this.done && !", \t".includes(this.text[this.pos]!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** `name=value` pairs up to the next token that is not followed by `=` (the next challenge). */
  params(into: Map<string, string>): void {
    for (;;) {
      this.skip(", \t");
      const mark = this.pos;
      const name = this.token();
      if (!name) return;
      this.skip(" \t");
      if (this.peek !== "=") {
        this.pos = mark;
        return;
      }
      this.pos++;
      this.skip(" \t");
      const value = this.value();
      const key = name.toLowerCase();
      // RFC 9110: a parameter appears once; the first one wins over a repeated one.
      if (!into.has(key)) into.set(key, value);
    }
  }
}

/** Every challenge in the given `WWW-Authenticate` field values, in order. */
export function parseChallenges(values: readonly string[]): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    const cursor = new Cursor(value);
    for (;;) {
      cursor.skip(", \t");
      if (cursor.done) break;
      const scheme = cursor.token();
      if (!scheme) {
        cursor.pos++;
        continue;
      }
      cursor.skip(" \t");
      const params = new Map<string, string>();
      const token68 = cursor.token68();
      if (token68 === undefined) cursor.params(params);
      challenges.push({ scheme: scheme.toLowerCase(), params, token68 });
    }
  }
  return challenges;
}

/** The parameters of a field that holds only `name=value` pairs, like `Authentication-Info`. */
export function parseAuthParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  new Cursor(value).params(params);
  return params;
}
