import { describe, expect, it } from "vitest";
import { netrcCredentials, netrcPaths, parseNetrc } from "./index.js";

type Entry = [login: string, account: string, password: string];

// Expected values were produced by Python 3.11's `netrc.netrc` on the same text (3.12 and
// 3.13 parse identically), Python's quirks included.
const PARSED: [name: string, text: string, hosts: Record<string, Entry>, macros: Record<string, string[]>][] =
  [
    [
      "basic",
      "machine example.com login alice password s3cret\nmachine other.org\n\tlogin bob\n\tpassword hunter2\n\taccount acct\ndefault login anon password guest\n",
      {
        "example.com": ["alice", "", "s3cret"],
        "other.org": ["bob", "acct", "hunter2"],
        default: ["anon", "", "guest"],
      },
      {},
    ],
    [
      "quoted tokens and backslash escapes",
      'machine "quoted host" login "user name" password "pa ss\\"word\\\\x"\nmachine esc login back\\ slash password a\\"b\n',
      { "quoted host": ["user name", "", 'pa ss"word\\x'], esc: ["back slash", "", 'a"b'] },
      {},
    ],
    [
      "macdef body up to the empty line",
      "machine a login u password p\nmacdef init\ncd /pub\nbinary\n\nmachine b login v password q\n",
      { a: ["u", "", "p"], b: ["v", "", "q"] },
      { init: ["cd /pub\n", "binary\n"] },
    ],
    [
      "comments",
      "# a comment line\nmachine a login u password p # trailing comment\n  # indented comment on next line\nmachine b login v password q\n",
      { a: ["u", "", "p"], b: ["v", "", "q"] },
      {},
    ],
    [
      "missing fields stay empty",
      "machine a account acc password pw\nmachine b login u\nmachine c password only\n",
      { a: ["", "acc", "pw"], b: ["u", "", ""], c: ["", "", "only"] },
      {},
    ],
    ["user as login", "machine a user u password p\n", { a: ["u", "", "p"] }, {}],
    [
      "CRLF line ends",
      "machine a\r\n login u\r\n password p\r\nmacdef m\r\nline\r\n\r\nmachine b login v password q\r\n",
      { a: ["u", "", "p"], b: ["v", "", "q"] },
      { m: ["line\n"] },
    ],
    [
      "a repeated machine: the last wins",
      "machine a login first password one\nmachine b login x password y\nmachine a login second password two\n",
      { a: ["second", "", "two"], b: ["x", "", "y"] },
      {},
    ],
    [
      "an empty quoted token ends the file",
      'machine a login u password p\n"" machine b login v password q\n',
      { a: ["u", "", "p"] },
      {},
    ],
    [
      "a # value is not a comment",
      "machine a login u password #notacomment\n",
      { a: ["u", "", "#notacomment"] },
      {},
    ],
    ["a quote inside a token is kept", 'machine a login ab"cd password p\n', { a: ['ab"cd', "", "p"] }, {}],
    [
      "default before machines",
      "default login d password dp\nmachine a login u password p\n",
      { default: ["d", "", "dp"], a: ["u", "", "p"] },
      {},
    ],
    ["machine named default", "machine default login m password mp\n", { default: ["m", "", "mp"] }, {}],
  ];

const ERRORS: [name: string, text: string, message: string, line: number][] = [
  ["bad top-level token", "login u password p\n", "bad toplevel token 'login'", 1],
  ["bad follower token", "machine a login u pass p\n", "bad follower token 'pass'", 1],
  ["machine without a name", "machine", "missing 'machine' name", 1],
  ["unterminated macdef", "macdef m\nline\n", "Macro definition missing null line terminator.", 2],
  // Python's quirks: a `#` after a blank line, or glued to its word, comments out one token only.
  [
    "# after a blank line",
    "machine a login u password p\n\n# comment here\n",
    "bad follower token 'comment'",
    3,
  ],
  ["#word at the top", "#comment here\nmachine a login u password p\n", "bad toplevel token 'here'", 2],
];

describe("parseNetrc", () => {
  it.each(PARSED)("%s", (_name, text, hosts, macros) => {
    const file = parseNetrc(text);
    expect(
      Object.fromEntries([...file.hosts].map(([host, e]) => [host, [e.login, e.account, e.password]])),
    ).toEqual(hosts);
    expect([...file.hosts.keys()]).toEqual(Object.keys(hosts));
    expect(Object.fromEntries(file.macros)).toEqual(macros);
  });

  it.each(ERRORS)("%s is a SyntaxError, as Python raises NetrcParseError", (_name, text, message, line) => {
    expect(() => parseNetrc(text)).toThrow(SyntaxError);
    expect(() => parseNetrc(text)).toThrow(`${message} (.netrc, line ${line})`);
  });

  it("reads an empty file as no entries", () => {
    expect(parseNetrc("").hosts.size).toBe(0);
    expect(parseNetrc("  \n\n").hosts.size).toBe(0);
  });
});

describe("netrcCredentials", () => {
  const file = parseNetrc(
    [
      "machine example.com login alice password s3cret",
      "machine acct.example account acc password pw",
      "machine nopass.example login u",
      "machine nologin.example password only",
      "machine ::1 login six password v6",
      "default login anon password guest",
    ].join("\n"),
  );

  it("matches the hostname, without the port, in lower case as urlparse gives it", () => {
    expect(netrcCredentials(file, "example.com")).toEqual(["alice", "s3cret"]);
    expect(netrcCredentials(file, "example.com:8443")).toEqual(["alice", "s3cret"]);
    expect(netrcCredentials(file, "Example.COM")).toEqual(["alice", "s3cret"]);
    expect(netrcCredentials(file, "[::1]:8080")).toEqual(["six", "v6"]);
    expect(netrcCredentials(file, "[::1]")).toEqual(["six", "v6"]);
  });

  it("falls back to default", () => {
    expect(netrcCredentials(file, "unknown.net")).toEqual(["anon", "guest"]);
    expect(netrcCredentials(parseNetrc("machine a login u password p"), "b")).toBeUndefined();
  });

  it("takes the account when login is empty, and needs a login and a password", () => {
    expect(netrcCredentials(file, "acct.example")).toEqual(["acc", "pw"]);
    expect(netrcCredentials(file, "nopass.example")).toBeUndefined();
    expect(netrcCredentials(file, "nologin.example")).toBeUndefined();
  });
});

describe("netrcPaths", () => {
  const env =
    (vars: Record<string, string>) =>
    (name: string): string | undefined =>
      vars[name];

  it("uses NETRC alone when it is set, expanding ~", () => {
    expect(netrcPaths(env({ NETRC: "/etc/netrc" }), "/home/u")).toEqual(["/etc/netrc"]);
    expect(netrcPaths(env({ NETRC: "~/custom" }), "/home/u")).toEqual(["/home/u/custom"]);
    expect(netrcPaths(env({ NETRC: "~other/netrc" }), "/home/u")).toEqual(["~other/netrc"]);
    expect(netrcPaths(env({ NETRC: "" }), "/home/u")).toEqual([]);
  });

  it("else looks for ~/.netrc then ~/_netrc", () => {
    expect(netrcPaths(env({}), "/home/u")).toEqual(["/home/u/.netrc", "/home/u/_netrc"]);
    expect(netrcPaths(env({}), "/home/u/")).toEqual(["/home/u/.netrc", "/home/u/_netrc"]);
    expect(netrcPaths(env({}), "/")).toEqual(["/.netrc", "/_netrc"]);
    expect(netrcPaths(env({}), "C:\\Users\\u")).toEqual(["C:\\Users\\u/.netrc", "C:\\Users\\u/_netrc"]);
  });

  it("gives nothing when home is unknown", () => {
    expect(netrcPaths(env({}), undefined)).toEqual([]);
    expect(netrcPaths(env({ NETRC: "~/x" }), undefined)).toEqual([]);
    expect(netrcPaths(env({ NETRC: "/abs" }), undefined)).toEqual(["/abs"]);
  });
});
