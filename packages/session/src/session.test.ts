import {
  ConnectionError,
  ConnectTimeout,
  type Hooks,
  HTTPError,
  InvalidSchema,
  InvalidURL,
  MissingSchema,
  type PreparedRequest,
  ReadTimeout,
  type RequestException,
  type Response,
  type SendOptions,
  Timeout,
  TooManyRedirects,
  TransportError,
  UnrewindableBodyError,
} from "@nq/models";
import { MockTransport, readBody } from "@nq/testkit";
import { describe, expect, it } from "vitest";
import { Session } from "./index.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly options: SendOptions;
}

type Reply = { status: number; headers?: Record<string, string | string[]>; body?: string };

/** A session on a MockTransport that records what it was sent and answers with `route`. */
function sessionWith(
  route: (request: PreparedRequest, seen: Seen[]) => Reply | Promise<Reply>,
  options: ConstructorParameters<typeof Session>[0] = {},
) {
  const seen: Seen[] = [];
  const transport = new MockTransport(async (request, sendOptions) => {
    const body = new TextDecoder().decode(await readBody(request));
    seen.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries([...request.headers].map(([k, v]) => [k.toLowerCase(), v])),
      body,
      options: sendOptions,
    });
    const reply = await route(request, seen);
    return { status: reply.status, headers: reply.headers ?? {}, body: reply.body ?? "" };
  });
  return { session: new Session({ transports: [transport], ...options }), seen, transport };
}

const ok = (): Reply => ({ status: 200, body: "ok" });

describe("merging session and request settings", () => {
  it("sends session headers in order with request headers merged in, null removing one", async () => {
    const { session, seen } = sessionWith(ok);
    session.headers.set("X-Session", "s");
    await session.get("http://h.test/", { headers: { "x-session": "r", Accept: null, "X-Extra": "e" } });
    const sent = seen[0]!;
    expect(sent.headers["x-session"]).toBe("r");
    expect(sent.headers.accept).toBeUndefined();
    expect(sent.headers["x-extra"]).toBe("e");
    expect(sent.headers["user-agent"]).toMatch(/^nq\//);
    expect(session.headers.get("x-session")).toBe("s");
  });

  it("merges session and request params, null removing a session key", async () => {
    const { session, seen } = sessionWith(ok);
    session.params = { a: "1", b: "2" };
    await session.get("http://h.test/p?x=0", { params: { b: null, c: "3" } });
    expect(seen[0]!.url).toBe("http://h.test/p?x=0&a=1&c=3");
  });

  it("joins scheme-less URLs onto baseUrl and leaves absolute ones alone", async () => {
    const { session, seen } = sessionWith(ok, { baseUrl: "http://api.test/v1" });
    await session.get("/users");
    await session.get("");
    await session.get("http://other.test/x");
    expect(seen.map((s) => s.url)).toEqual([
      "http://api.test/v1/users",
      "http://api.test/v1",
      "http://other.test/x",
    ]);
  });

  it("applies session auth, and request auth over it", async () => {
    const { session, seen } = sessionWith(ok);
    session.auth = ["user", "pass"];
    await session.get("http://h.test/");
    await session.get("http://h.test/", { auth: "tok" });
    expect(seen[0]!.headers.authorization).toBe("Basic dXNlcjpwYXNz");
    expect(seen[1]!.headers.authorization).toBe("Bearer tok");
  });

  it("uses niquests' default timeouts per method, the session's, then the request's", async () => {
    const { session, seen } = sessionWith(ok);
    await session.get("http://h.test/");
    await session.post("http://h.test/");
    session.timeout = 5_000;
    await session.get("http://h.test/");
    await session.get("http://h.test/", { timeout: [1_000, 2_000] });
    await session.get("http://h.test/", { timeout: 0 });
    const timeouts = seen.map((s) => [s.options.timeout.connect, s.options.timeout.read]);
    expect(timeouts).toEqual([
      [30_000, 30_000],
      [120_000, 120_000],
      [5_000, 5_000],
      [1_000, 2_000],
      [5_000, 5_000],
    ]);
  });

  it("passes verify and cert from the session unless the request overrides them", async () => {
    const { session, seen } = sessionWith(ok, { verify: false });
    await session.get("https://h.test/");
    await session.get("https://h.test/", { verify: "/ca.pem" });
    expect(seen.map((s) => s.options.verify)).toEqual([false, "/ca.pem"]);
  });
});

describe("bodies", () => {
  it("sends Content-Length as Requests does", async () => {
    const { session, seen } = sessionWith(ok);
    await session.get("http://h.test/");
    await session.post("http://h.test/");
    await session.post("http://h.test/", { data: "abc" });
    await session.post("http://h.test/", { json: { a: 1 } });
    expect(seen[0]!.headers["content-length"]).toBeUndefined();
    expect(seen[1]!.headers["content-length"]).toBe("0");
    expect(seen[2]!.headers["content-length"]).toBe("3");
    expect(seen[3]!.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(seen[3]!.body)).toEqual({ a: 1 });
  });
});

describe("redirects", () => {
  const chain = (request: PreparedRequest): Reply => {
    const url = new URL(request.url);
    const n = Number(url.pathname.split("/")[2] ?? "0");
    return n > 0
      ? { status: 302, headers: { Location: `/redirect/${n - 1}` } }
      : { status: 200, body: "done" };
  };

  it("follows a chain and records history oldest first", async () => {
    const { session } = sessionWith(chain);
    const r = await session.get("http://h.test/redirect/3");
    expect(r.statusCode).toBe(200);
    expect(r.url).toBe("http://h.test/redirect/0");
    expect(r.history.map((h) => h.url)).toEqual([
      "http://h.test/redirect/3",
      "http://h.test/redirect/2",
      "http://h.test/redirect/1",
    ]);
    // Requests' history-of-history: each hop holds the chain after the first response, itself included.
    const total = r.history.at(-1)!.history;
    for (const [i, hop] of r.history.entries()) expect(hop.history).toEqual(total.slice(0, i));
  });

  it("raises TooManyRedirects with exactly maxRedirects responses in history", async () => {
    const { session } = sessionWith(chain, { maxRedirects: 3 });
    const error = await session.get("http://h.test/redirect/5").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TooManyRedirects);
    const tmr = error as TooManyRedirects;
    expect(tmr.message).toBe("Exceeded 3 redirects.");
    expect(tmr.response!.history).toHaveLength(3);
    expect(tmr.request!.url).toBe(tmr.response!.url);
  });

  it("does not follow with allowRedirects false, and offers next", async () => {
    const { session } = sessionWith(chain);
    const r = await session.get("http://h.test/redirect/2", { allowRedirects: false });
    expect(r.statusCode).toBe(302);
    expect(r.isRedirect).toBe(true);
    expect(r.next!.url).toBe("http://h.test/redirect/1");
  });

  it.each([
    [301, "POST", "GET", false],
    [302, "POST", "GET", false],
    [303, "POST", "GET", false],
    [303, "HEAD", "HEAD", false],
    [307, "POST", "POST", true],
    [308, "PUT", "PUT", true],
  ])("%i after %s sends %s (body kept: %s)", async (status, method, expected, keepsBody) => {
    const { session, seen } = sessionWith((r) =>
      r.url.endsWith("/from") ? { status, headers: { Location: "/to" } } : { status: 200 },
    );
    await session.request(method, "http://h.test/from", { data: "payload", allowRedirects: true });
    expect(seen[1]!.method).toBe(expected);
    expect(seen[1]!.body).toBe(keepsBody ? "payload" : "");
    expect(seen[1]!.headers["content-length"]).toBe(keepsBody ? "7" : undefined);
  });

  it("refuses to replay a one-shot stream body on 307", async () => {
    const { session } = sessionWith((r) =>
      r.url.endsWith("/from") ? { status: 307, headers: { Location: "/to" } } : { status: 200 },
    );
    async function* body() {
      yield new TextEncoder().encode("x");
    }
    await expect(session.post("http://h.test/from", { data: body() })).rejects.toBeInstanceOf(
      UnrewindableBodyError,
    );
  });

  it("carries the fragment to a Location without one", async () => {
    const { session } = sessionWith((r) =>
      r.url.includes("/from") ? { status: 302, headers: { Location: "/to" } } : { status: 200 },
    );
    const r = await session.get("http://h.test/from#frag");
    expect(r.url).toBe("http://h.test/to#frag");
  });

  it.each([
    ["http://h.test/a", "http://other.test/b", false],
    ["https://h.test/a", "http://h.test/b", false],
    ["http://h.test/a", "https://h.test/b", true],
    ["http://h.test/a", "http://h.test/b", true],
    ["http://h.test:8080/a", "http://h.test:9090/b", false],
  ])("Authorization from %s to %s kept: %s", async (from, to, kept) => {
    const { session, seen } = sessionWith((r) =>
      r.url === from ? { status: 302, headers: { Location: to } } : ok(),
    );
    await session.get(from, { auth: ["u", "p"] });
    expect(seen[1]!.url).toBe(to);
    expect(seen[1]!.headers.authorization !== undefined).toBe(kept);
  });
});

describe("cookies", () => {
  it("stores Set-Cookie from every hop before the next one is sent", async () => {
    const { session, seen } = sessionWith((r) =>
      r.url.endsWith("/set")
        ? { status: 302, headers: { Location: "/get", "Set-Cookie": "a=1; Path=/" } }
        : { status: 200 },
    );
    const r = await session.get("http://h.test/set");
    expect(seen[1]!.headers.cookie).toBe("a=1");
    expect(session.cookies.get("a")).toBe("1");
    expect(r.history[0]!.cookies.get("a")).toBe("1");
  });

  it("sends per-request cookies, overriding the session's, without storing them", async () => {
    const { session, seen } = sessionWith(ok);
    session.cookies.set("a", "session");
    await session.get("http://h.test/", { cookies: { a: "request", b: "2" } });
    expect(seen[0]!.headers.cookie).toBe("a=request; b=2");
    expect(session.cookies.toDict()).toEqual({ a: "session" });
  });

  it("does not carry per-request cookies to another host on redirect", async () => {
    const { session, seen } = sessionWith((r) =>
      r.url.startsWith("http://h.test") ? { status: 302, headers: { Location: "http://evil.test/" } } : ok(),
    );
    await session.get("http://h.test/", { cookies: { secret: "s" } });
    expect(seen[0]!.headers.cookie).toBe("secret=s");
    expect(seen[1]!.headers.cookie).toBeUndefined();
  });

  it("does not store incoming cookies when allowIncomingCookies is false, but shows them", async () => {
    const { session } = sessionWith(() => ({ status: 200, headers: { "Set-Cookie": "a=1" } }), {
      allowIncomingCookies: false,
    });
    const r = await session.get("http://h.test/");
    expect(r.cookies.get("a")).toBe("1");
    expect(session.cookies.size).toBe(0);
  });
});

describe("hooks", () => {
  it("runs preRequest once, response per hop, in order, with replacement", async () => {
    const events: string[] = [];
    const hooks: Hooks = {
      preRequest: (r) => {
        events.push(`preRequest ${r.url}`);
      },
      preSend: (r) => {
        events.push(`preSend ${r.url}`);
      },
      response: async (r: Response) => {
        events.push(`response ${r.statusCode}`);
        if (r.statusCode === 200) r.headers.set("X-Hooked", "yes");
        return r;
      },
    };
    const { session } = sessionWith(
      (r) => (r.url.endsWith("/a") ? { status: 302, headers: { Location: "/b" } } : ok()),
      { hooks },
    );
    const r = await session.get("http://h.test/a");
    expect(events).toEqual([
      "preRequest http://h.test/a",
      "preSend http://h.test/a",
      "response 302",
      "response 200",
    ]);
    expect(r.headers.get("x-hooked")).toBe("yes");
  });

  it("lets request hooks for an event replace the session's", async () => {
    const calls: string[] = [];
    const { session } = sessionWith(ok, { hooks: { response: () => void calls.push("session") } });
    await session.get("http://h.test/", { hooks: { response: () => void calls.push("request") } });
    await session.get("http://h.test/");
    expect(calls).toEqual(["request", "session"]);
  });
});

describe("errors", () => {
  it("raises MissingSchema, InvalidURL and InvalidSchema before any I/O", async () => {
    const { session, seen } = sessionWith(ok);
    await expect(session.get("h.test/x")).rejects.toBeInstanceOf(MissingSchema);
    await expect(session.get("http://")).rejects.toBeInstanceOf(InvalidURL);
    await expect(session.get("ftp://h.test/")).rejects.toBeInstanceOf(InvalidSchema);
    expect(seen).toHaveLength(0);
  });

  it("maps transport errors to niquests exceptions with the request attached", async () => {
    const failures: Record<string, TransportError> = {
      refused: new TransportError("refused", {
        kind: "connect",
        phase: "connect",
        retryable: true,
        code: "ECONNREFUSED",
      }),
      slowConnect: new TransportError("slow", { kind: "timeout", phase: "connect", retryable: true }),
      slowHead: new TransportError("slow", { kind: "timeout", phase: "head", retryable: false }),
    };
    const { session } = sessionWith((r) => {
      throw failures[new URL(r.url).pathname.slice(1)];
    });
    const refused = await session.get("http://h.test/refused").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectionError);
    expect((refused as RequestException).request!.url).toBe("http://h.test/refused");
    expect((refused as Error).cause).toBe(failures.refused);
    const connect = await session.get("http://h.test/slowConnect").catch((e: unknown) => e);
    expect(connect).toBeInstanceOf(ConnectTimeout);
    expect(connect).toBeInstanceOf(ConnectionError);
    expect(connect).toBeInstanceOf(Timeout);
    const read = await session.get("http://h.test/slowHead").catch((e: unknown) => e);
    expect(read).toBeInstanceOf(ReadTimeout);
    expect(read).not.toBeInstanceOf(ConnectionError);
  });

  it("raiseForStatus raises HTTPError with Requests' message", async () => {
    const { session } = sessionWith(() => ({ status: 404 }));
    const r = await session.get("http://h.test/missing");
    expect(r.ok).toBe(false);
    expect(() => r.raiseForStatus()).toThrow(HTTPError);
    expect(() => r.raiseForStatus()).toThrow("404 Client Error: Not Found for url: http://h.test/missing");
  });
});

describe("streaming and lifecycle", () => {
  it("reads the body before resolving unless stream is set", async () => {
    const { session } = sessionWith(() => ({ status: 200, body: "line1\nline2\n" }));
    const eager = await session.get("http://h.test/");
    expect(eager.text).toBe("line1\nline2\n");
    const lazy = await session.get("http://h.test/", { stream: true });
    expect(() => lazy.text).toThrow(/not been read/);
    const lines: string[] = [];
    for await (const line of lazy.iterLines()) lines.push(line);
    expect(lines).toEqual(["line1", "line2"]);
  });

  it("closes its transports on close and with await using", async () => {
    const { session } = sessionWith(ok);
    {
      await using s = session;
      await s.get("http://h.test/");
    }
    // The transport refuses work once closed; the session reports it as a ConnectionError.
    await expect(session.get("http://h.test/")).rejects.toBeInstanceOf(ConnectionError);
  });

  it("gather waits for what is in flight", async () => {
    const { session } = sessionWith(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return ok();
    });
    let done = 0;
    for (let i = 0; i < 3; i++) void session.get("http://h.test/").then(() => done++);
    await session.gather();
    expect(done).toBe(3);
  });

  it("routes mounted prefixes longest first", async () => {
    const { session, seen } = sessionWith(ok);
    const special = new MockTransport(() => ({ status: 201 }));
    session.mount("http://h.test/special", special);
    expect((await session.get("http://h.test/special/x")).statusCode).toBe(201);
    expect((await session.get("http://h.test/other")).statusCode).toBe(200);
    expect(seen).toHaveLength(1);
  });
});

describe("credentials in the URL and across a chain", () => {
  it("sends user:pass from the URL as Basic when no auth is given, percent-decoded", async () => {
    const { session, seen } = sessionWith(ok);
    await session.get("http://us%40er:p%3Ass@h.test/");
    await session.get("http://u:p@h.test/", { auth: "tok" });
    expect(seen[0]!.headers.authorization).toBe(`Basic ${btoa("us@er:p:ss")}`);
    expect(seen[1]!.headers.authorization).toBe("Bearer tok");
  });

  it("does not bring Authorization back when a chain returns to the first host", async () => {
    const { session, seen } = sessionWith((r) => {
      if (r.url === "http://h.test/a") return { status: 302, headers: { Location: "http://other.test/b" } };
      if (r.url === "http://other.test/b") return { status: 302, headers: { Location: "http://h.test/c" } };
      return ok();
    });
    await session.get("http://h.test/a", { auth: ["u", "p"] });
    expect(seen.map((s) => s.headers.authorization !== undefined)).toEqual([true, false, false]);
  });
});

describe("proxy credentials", () => {
  it("never sends Proxy-Authorization to an origin reached without a proxy", async () => {
    const { session, seen } = sessionWith(ok, { trustEnv: false });
    const { HTTPProxyAuth } = await import("@nq/auth");
    await session.get("http://h.test/", { auth: new HTTPProxyAuth("u", "p") });
    await session.get("http://h.test/", { headers: { "Proxy-Authorization": "Basic x" } });
    expect(seen.map((s) => s.headers["proxy-authorization"])).toEqual([undefined, undefined]);
  });
});
