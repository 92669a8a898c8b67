/**
 * `.netrc` files as Python 3.11's `netrc` module reads them and Requests' `get_netrc_auth`
 * uses them. Reading the file is the caller's job: this module runs where there are no files.
 *
 * @packageDocumentation
 */

/** One `machine` (or `default`) entry; a field the file leaves out is `""`, as in Python. */
export interface NetrcEntry {
  /** The `login` (or `user`) token. */
  readonly login: string;
  /** The `account` token, used as the login when `login` is empty. */
  readonly account: string;
  /** The `password` token. */
  readonly password: string;
}

/** A parsed `.netrc`: entries by machine name (`default` under that name) and `macdef` bodies. */
export interface NetrcFile {
  /** Entries by machine name, in file order; the `default` entry is under `"default"`. */
  readonly hosts: ReadonlyMap<string, NetrcEntry>;
  /** Each `macdef` body as its lines, newlines kept. */
  readonly macros: ReadonlyMap<string, readonly string[]>;
}

const WHITESPACE = "\n\t\r ";

/** Python's `_netrclex`, character for character, line counting included. */
class Lexer {
  lineno = 1;
  #pos = 0;
  readonly #text: string;
  readonly #pushback: string[] = [];

  constructor(text: string) {
    this.#text = text;
  }

  #readChar(): string {
    if (this.#pos >= this.#text.length) return "";
    const ch = this.#text[this.#pos++]!;
    if (ch === "\n") this.lineno++;
    return ch;
  }

  /** The rest of the current line, newline included. Like Python's `instream.readline()`, it does not count lines. */
  readline(): string {
    if (this.#pos >= this.#text.length) return "";
    const newline = this.#text.indexOf("\n", this.#pos);
    const end = newline < 0 ? this.#text.length : newline + 1;
    const line = this.#text.slice(this.#pos, end);
    this.#pos = end;
    return line;
  }

  getToken(): string {
    const pushed = this.#pushback.shift();
    if (pushed !== undefined) return pushed;
    let token = "";
    for (;;) {
      let ch = this.#readChar();
      if (ch === "") return token;
      if (WHITESPACE.includes(ch)) continue;
      if (ch === '"') {
        for (;;) {
          ch = this.#readChar();
          if (ch === "" || ch === '"') return token;
          if (ch === "\\") ch = this.#readChar();
          token += ch;
        }
      }
      if (ch === "\\") ch = this.#readChar();
      token += ch;
      for (;;) {
        ch = this.#readChar();
        if (ch === "" || WHITESPACE.includes(ch)) return token;
        if (ch === "\\") ch = this.#readChar();
        token += ch;
      }
    }
  }

  pushToken(token: string): void {
    this.#pushback.push(token);
  }
}

function parseError(message: string, lexer: Lexer): SyntaxError {
  return new SyntaxError(`${message} (.netrc, line ${lexer.lineno})`);
}

/**
 * Parses `.netrc` text as Python 3.11's `netrc` does: whitespace-separated tokens, double
 * quotes and backslash escapes, `machine`, `default`, `login` (or `user`), `account`,
 * `password`, `macdef` bodies running to the next empty line, and `#` comments with Python's
 * line rules (a `#` token after a blank line does not start a comment).
 *
 * @throws SyntaxError where Python raises `NetrcParseError`; Requests then ignores the file.
 */
export function parseNetrc(text: string): NetrcFile {
  // Python opens the file with universal newlines.
  const lexer = new Lexer(text.replace(/\r\n?/g, "\n"));
  const hosts = new Map<string, NetrcEntry>();
  const macros = new Map<string, string[]>();
  for (;;) {
    const savedLineno = lexer.lineno;
    const toplevel = lexer.getToken();
    let entryName: string;
    if (!toplevel) break;
    if (toplevel.startsWith("#")) {
      if (lexer.lineno === savedLineno && toplevel.length === 1) lexer.readline();
      continue;
    }
    if (toplevel === "machine") {
      entryName = lexer.getToken();
    } else if (toplevel === "default") {
      entryName = "default";
    } else if (toplevel === "macdef") {
      const name = lexer.getToken();
      const lines: string[] = [];
      macros.set(name, lines);
      for (;;) {
        const line = lexer.readline();
        if (!line) throw parseError("Macro definition missing null line terminator.", lexer);
        if (line === "\n") break;
        lines.push(line);
      }
      continue;
    } else {
      throw parseError(`bad toplevel token '${toplevel}'`, lexer);
    }
    if (!entryName) throw parseError(`missing '${toplevel}' name`, lexer);

    let login = "";
    let account = "";
    let password = "";
    for (;;) {
      const previousLineno = lexer.lineno;
      const token = lexer.getToken();
      if (token.startsWith("#")) {
        if (lexer.lineno === previousLineno) lexer.readline();
        continue;
      }
      if (token === "" || token === "machine" || token === "default" || token === "macdef") {
        hosts.set(entryName, { login, account, password });
        lexer.pushToken(token);
        break;
      }
      if (token === "login" || token === "user") login = lexer.getToken();
      else if (token === "account") account = lexer.getToken();
      else if (token === "password") password = lexer.getToken();
      else throw parseError(`bad follower token '${token}'`, lexer);
    }
  }
  return { hosts, macros };
}

/** Python's `urlparse(url).hostname` of a host: no port, no IPv6 brackets, lower case. */
function hostname(host: string): string {
  let name = host;
  if (name.startsWith("[")) {
    const close = name.indexOf("]");
    name = name.slice(1, close < 0 ? undefined : close);
  } else if (name.indexOf(":") === name.lastIndexOf(":") && name.includes(":")) {
    name = name.slice(0, name.indexOf(":"));
  }
  return name.toLowerCase();
}

/**
 * The `[login, password]` the file gives a host (its port ignored), else the `default`
 * entry's, as Requests' `get_netrc_auth`: an empty `login` falls back to `account`, and both a
 * login and a password are required.
 */
export function netrcCredentials(
  file: NetrcFile,
  host: string,
): readonly [login: string, password: string] | undefined {
  const entry = file.hosts.get(hostname(host)) ?? file.hosts.get("default");
  if (!entry) return undefined;
  // Requests: `login_i = 0 if _netrc[0] else 1`.
  const login = entry.login || entry.account;
  if (!login || !entry.password) return undefined;
  return [login, entry.password];
}

/** Python's `os.path.expanduser` for `~` and `~/…`; `undefined` when there is no home to expand to. */
function expandUser(path: string, home: string | undefined): string | undefined {
  if (!path.startsWith("~")) return path;
  const slash = path.slice(1).search(/[/\\]/);
  // `~user/…` needs the password database; leave it as written, as Python does for an unknown user.
  if (slash !== 0 && path.length > 1) return path;
  if (home === undefined) return undefined;
  return `${home.replace(/[/\\]+$/, "")}${path.slice(1)}` || "/";
}

/**
 * The files Requests looks for, in order: the `NETRC` variable alone when it is set, else
 * `~/.netrc` then `~/_netrc`; `~` expands to `home`, and a path needing an unknown home is dropped.
 */
export function netrcPaths(env: (name: string) => string | undefined, home: string | undefined): string[] {
  const fromEnv = env("NETRC");
  const candidates = fromEnv !== undefined ? [fromEnv] : ["~/.netrc", "~/_netrc"];
  const paths: string[] = [];
  for (const candidate of candidates) {
    const path = expandUser(candidate, home);
    // `os.path.exists("")` is false: an empty NETRC means no file at all.
    if (path) paths.push(path);
  }
  return paths;
}
