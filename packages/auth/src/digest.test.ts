import { type AuthFlow, PreparedRequest, ReplayableBody, Response } from "@nq/models";
import { describe, expect, it } from "vitest";
import { parseDigestAuthorization, verifyDigest } from "../test/digest-server.js";
import { parseChallenges } from "./challenge.js";
import { type DigestChallenge, digestAuthorization, HTTPDigestAuth, pickDigestChallenge } from "./digest.js";
import { HTTPDigestAuth as Exported } from "./index.js";

// ---- RFC test vectors ----

const RFC7616_CHALLENGE: DigestChallenge = {
  realm: "http-auth@example.org",
  nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
  opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
  qop: ["auth", "auth-int"],
  algorithm: "MD5",
  stale: false,
  userhash: false,
};

const RFC7616_INPUT = {
  username: "Mufasa",
  password: "Circle of Life",
  method: "GET",
  uri: "/dir/index.html",
  qop: "auth" as const,
  nonceCount: 1,
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
};

describe("RFC test vectors", () => {
  it("RFC 7616 §3.9.1 with MD5", () => {
    const header = digestAuthorization({ ...RFC7616_INPUT, challenge: RFC7616_CHALLENGE });
    expect(header).toBe(
      'Digest username="Mufasa", realm="http-auth@example.org", ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", uri="/dir/index.html", ' +
        'response="8ca523f5e9506fed4657c9700eebdbec", ' +
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", algorithm="MD5", qop="auth", ' +
        'nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"',
    );
  });

  it("RFC 7616 §3.9.1 with SHA-256", () => {
    const header = digestAuthorization({
      ...RFC7616_INPUT,
      challenge: { ...RFC7616_CHALLENGE, algorithm: "SHA-256" },
    });
    expect(parseDigestAuthorization(header)?.response).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
    expect(header).toContain('algorithm="SHA-256"');
  });

  // The hashes printed in §3.9.2 do not follow from its inputs (reported as erratum 4897);
  // these were computed from the example's inputs with OpenSSL's SHA-512/256 (Python hashlib).
  it("RFC 7616 §3.9.2: SHA-512-256 with userhash", () => {
    const header = digestAuthorization({
      username: "J\u00e4s\u00f8n Doe",
      password: "Secret, or not?",
      method: "GET",
      uri: "/doe.json",
      qop: "auth",
      nonceCount: 1,
      cnonce: "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
      challenge: {
        realm: "api@example.org",
        nonce: "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
        opaque: "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS",
        qop: ["auth"],
        algorithm: "SHA-512-256",
        stale: false,
        userhash: true,
      },
    });
    const params = parseDigestAuthorization(header)!;
    expect(params.username).toBe("793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
    expect(params.response).toBe("3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
    expect(params.userhash).toBe("true");
  });

  it("RFC 2617 §3.5", () => {
    const header = digestAuthorization({
      username: "Mufasa",
      password: "Circle Of Life",
      method: "GET",
      uri: "/dir/index.html",
      qop: "auth",
      nonceCount: 1,
      cnonce: "0a4f113b",
      challenge: {
        realm: "testrealm@host.com",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        opaque: "5ccc069c403ebaf9f0171e9517f40e41",
        qop: ["auth", "auth-int"],
        algorithm: undefined,
        stale: false,
        userhash: false,
      },
    });
    expect(header).toBe(
      'Digest username="Mufasa", realm="testrealm@host.com", ' +
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", ' +
        'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41", ' +
        'qop="auth", nc=00000001, cnonce="0a4f113b"',
    );
  });

  it("RFC 2069: no qop, so no nc or cnonce", () => {
    const header = digestAuthorization({
      ...RFC7616_INPUT,
      qop: null,
      challenge: { ...RFC7616_CHALLENGE, qop: null, opaque: undefined, algorithm: undefined },
    });
    const params = parseDigestAuthorization(header)!;
    expect(Object.keys(params).sort()).toEqual(["nonce", "realm", "response", "uri", "username"]);
    expect(
      verifyDigest(params, {
        ...RFC7616_INPUT,
        realm: RFC7616_CHALLENGE.realm,
        body: new Uint8Array(),
        algorithm: undefined,
      }),
    ).toBe(true);
  });

  it("escapes quotes and sends a non-ASCII username as username*", () => {
    const quoted = digestAuthorization({
      ...RFC7616_INPUT,
      username: 'a"b\\c',
      challenge: RFC7616_CHALLENGE,
    });
    expect(quoted).toContain('username="a\\"b\\\\c"');
    expect(parseDigestAuthorization(quoted)!.username).toBe('a"b\\c');
    const intl = digestAuthorization({
      ...RFC7616_INPUT,
      username: "Jäsøn (x)",
      challenge: RFC7616_CHALLENGE,
    });
    expect(intl).toContain("username*=UTF-8''J%C3%A4s%C3%B8n%20%28x%29");
  });
});

// ---- challenges ----

describe("WWW-Authenticate parsing", () => {
  it("splits several challenges in one field, keeping commas inside quotes", () => {
    const challenges = parseChallenges([
      'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", Negotiate abc==',
      'Digest realm="a, b", nonce=AbC/+9==, qop="auth,auth-int"',
    ]);
    expect(challenges.map((c) => [c.scheme, Object.fromEntries(c.params), c.token68])).toEqual([
      ["newauth", { realm: "apps", type: "1", title: 'Login to "apps"' }, undefined],
      ["basic", { realm: "simple" }, undefined],
      ["negotiate", {}, "abc=="],
      ["digest", { realm: "a, b", nonce: "AbC/+9==", qop: "auth,auth-int" }, undefined],
    ]);
  });

  it("picks the strongest Digest challenge among several, ignoring what it cannot answer", () => {
    const picked = pickDigestChallenge([
      'Basic realm="x", Digest realm="r", nonce="n1", algorithm=MD5, qop="auth"',
      'Digest realm="r", nonce="n2", algorithm=SHA-256, qop="auth"',
      'Digest realm="r", nonce="n3", algorithm=SHA-3, qop="auth"',
      'Digest realm="r", nonce="n4", algorithm=SHA-512-256, qop="auth-conf"',
      'Digest realm="r", nonce="n5", algorithm=MD5-sess',
    ]);
    expect(picked?.nonce).toBe("n2");
    expect(picked?.algorithm).toBe("SHA-256");
  });

  it("reads stale and userhash case-insensitively, as werkzeug writes them", () => {
    const picked = pickDigestChallenge(['digest realm="r", nonce="n", stale=TRUE, userhash=True']);
    expect(picked).toMatchObject({ stale: true, userhash: true, qop: null, algorithm: undefined });
    expect(pickDigestChallenge(['Basic realm="r"'])).toBeUndefined();
  });
});

// ---- the flow, driven by hand ----

const URL_A = "http://a.example/dir/index.html?x=1";
const PASSWORD = "Circle of Life";

function prepare(url = URL_A, init: { method?: string; data?: Uint8Array | AsyncIterable<Uint8Array> } = {}) {
  const request = new PreparedRequest().prepare({
    method: init.method ?? "GET",
    url,
    data: init.data ?? null,
  });
  return request;
}

function challengeHeader(
  nonce: string,
  extra: { algorithm?: string; qop?: string | null; stale?: boolean; userhash?: boolean } = {},
): string {
  const parts = [`realm="r"`, `nonce="${nonce}"`, `opaque="o"`];
  if (extra.qop !== null) parts.push(`qop="${extra.qop ?? "auth"}"`);
  if (extra.algorithm) parts.push(`algorithm=${extra.algorithm}`);
  if (extra.stale) parts.push("stale=true");
  if (extra.userhash) parts.push("userhash=true");
  return `Digest ${parts.join(", ")}`;
}

function reply(request: PreparedRequest, statusCode: number, headers: [string, string][] = []): Response {
  return new Response({ request, statusCode, headers, body: null });
}

/** A flow under test: what it sent so far, and a way to answer its last request. */
class Driver {
  readonly sent: PreparedRequest[] = [];
  done = false;
  readonly #flow: AuthFlow;

  private constructor(flow: AuthFlow) {
    this.#flow = flow;
  }

  static async start(auth: HTTPDigestAuth, request: PreparedRequest): Promise<Driver> {
    const driver = new Driver(auth.authFlow(request));
    await driver.#step(await driver.#flow.next());
    return driver;
  }

  get last(): PreparedRequest {
    return this.sent.at(-1)!;
  }

  get authorization(): Record<string, string> | undefined {
    const header = this.last.headers.get("authorization");
    return header ? parseDigestAuthorization(header) : undefined;
  }

  async respond(statusCode: number, headers: [string, string][] = []): Promise<this> {
    await this.#step(await this.#flow.next(reply(this.last, statusCode, headers)));
    return this;
  }

  async challenge(header: string): Promise<this> {
    return this.respond(401, [["WWW-Authenticate", header]]);
  }

  #step(step: IteratorResult<PreparedRequest, void>): void {
    if (step.done) this.done = true;
    else this.sent.push(step.value);
  }
}

function verify(
  params: Record<string, string> | undefined,
  request: PreparedRequest,
  body = new Uint8Array(),
  algorithm?: string,
) {
  return verifyDigest(params!, {
    username: "Mufasa",
    password: PASSWORD,
    realm: "r",
    method: request.method,
    uri: request.pathUrl,
    body,
    algorithm,
  });
}

describe("HTTPDigestAuth flow", () => {
  it("is exported from the package", () => {
    expect(Exported).toBe(HTTPDigestAuth);
  });

  it("answers a 401 challenge once, on a copy of the request", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const request = prepare();
    const d = await Driver.start(auth, request);
    expect(d.last).toBe(request);
    expect(d.last.headers.has("authorization")).toBe(false);
    await d.challenge(challengeHeader("n1"));
    expect(d.sent).toHaveLength(2);
    expect(d.last).not.toBe(request);
    expect(request.headers.has("authorization")).toBe(false);
    const params = d.authorization!;
    expect(params).toMatchObject({ uri: "/dir/index.html?x=1", qop: "auth", nc: "00000001", opaque: "o" });
    expect(d.last.headers.get("authorization")).toContain('qop="auth"');
    expect(verify(params, d.last)).toBe(true);
    await d.respond(200);
    expect(d.done).toBe(true);
  });

  it("stops at a second 401: refused credentials do not loop", async () => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", "wrong"), prepare());
    await d.challenge(challengeHeader("n1"));
    await d.challenge(challengeHeader("n2"));
    expect(d.done).toBe(true);
    expect(d.sent).toHaveLength(2);
  });

  it("answers a stale=true 401 once more, with the new nonce", async () => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
    await d.challenge(challengeHeader("n1"));
    await d.challenge(challengeHeader("n2", { stale: true }));
    expect(d.done).toBe(false);
    expect(d.authorization).toMatchObject({ nonce: "n2", nc: "00000001" });
    await d.challenge(challengeHeader("n3", { stale: true }));
    expect(d.done).toBe(true);
    expect(d.sent).toHaveLength(3);
  });

  it("ignores WWW-Authenticate on a response that is not 401", async () => {
    for (const status of [200, 403, 407]) {
      const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
      await d.respond(status, [["WWW-Authenticate", challengeHeader("n1")]]);
      expect(d.done).toBe(true);
      expect(d.sent).toHaveLength(1);
    }
  });

  it("ends on a 401 without a Digest challenge it can answer", async () => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
    await d.challenge('Basic realm="r", Digest realm="r", nonce="n", algorithm=SHA3-256, qop="auth"');
    expect(d.done).toBe(true);
  });

  it("answers preemptively on the same origin, counting nonce uses", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const first = await Driver.start(auth, prepare());
    await first.challenge(challengeHeader("n1"));
    await first.respond(200);

    const second = await Driver.start(auth, prepare("http://a.example/other"));
    expect(second.authorization).toMatchObject({ nonce: "n1", nc: "00000002", uri: "/other" });
    expect(verify(second.authorization, second.last)).toBe(true);
    const cnonces = [first.authorization!.cnonce, second.authorization!.cnonce];
    expect(new Set(cnonces).size).toBe(2);
    await second.respond(200);

    const third = await Driver.start(auth, prepare("http://a.example/"));
    expect(third.authorization).toMatchObject({ nonce: "n1", nc: "00000003" });
    // A new nonce restarts the count.
    await third.challenge(challengeHeader("n2"));
    expect(third.authorization).toMatchObject({ nonce: "n2", nc: "00000001" });
    await third.respond(200);

    const elsewhere = await Driver.start(auth, prepare("http://b.example/"));
    expect(elsewhere.authorization).toBeUndefined();
    const otherPort = await Driver.start(auth, prepare("http://a.example:8080/"));
    expect(otherPort.authorization).toBeUndefined();
  });

  it("keeps counting when a server repeats the nonce in a new challenge", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const first = await Driver.start(auth, prepare());
    await first.challenge(challengeHeader("n1"));
    await first.respond(200);
    const second = await Driver.start(auth, prepare());
    expect(second.authorization?.nc).toBe("00000002");
    await second.challenge(challengeHeader("n1"));
    expect(second.authorization?.nc).toBe("00000003");
  });

  it("answers a 401 to a preemptive attempt once", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const first = await Driver.start(auth, prepare());
    await first.challenge(challengeHeader("n1"));
    await first.respond(200);
    const second = await Driver.start(auth, prepare());
    expect(second.authorization?.nonce).toBe("n1");
    await second.challenge(challengeHeader("n2"));
    expect(second.authorization?.nonce).toBe("n2");
    await second.challenge(challengeHeader("n3"));
    expect(second.done).toBe(true);
  });

  it("takes the next nonce from Authentication-Info", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const first = await Driver.start(auth, prepare());
    await first.challenge(challengeHeader("n1"));
    await first.respond(200, [["Authentication-Info", 'qop=auth, rspauth="x", nextnonce="n9"']]);
    const second = await Driver.start(auth, prepare());
    expect(second.authorization).toMatchObject({ nonce: "n9", nc: "00000001" });
  });

  it("gives interleaved flows distinct nonce counts", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const first = await Driver.start(auth, prepare());
    await first.challenge(challengeHeader("n1"));
    await first.respond(200);
    const flows = await Promise.all([1, 2, 3].map(() => Driver.start(auth, prepare())));
    expect(flows.map((f) => f.authorization?.nc).sort()).toEqual(["00000002", "00000003", "00000004"]);
  });

  it.each([
    "MD5",
    "MD5-sess",
    "SHA",
    "SHA-256",
    "sha-256-SESS",
    "SHA-512",
    "SHA-512-256",
    "SHA-512-256-sess",
  ])("answers %s and echoes its name verbatim", async (algorithm) => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
    await d.challenge(challengeHeader("n1", { algorithm }));
    expect(d.authorization?.algorithm).toBe(algorithm);
    expect(verify(d.authorization, d.last, undefined, algorithm)).toBe(true);
  });

  it("answers userhash=true with the hashed username", async () => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
    await d.challenge(challengeHeader("n1", { algorithm: "SHA-256", userhash: true }));
    expect(d.authorization?.userhash).toBe("true");
    expect(
      verifyDigest(d.authorization!, {
        username: "Mufasa",
        password: PASSWORD,
        realm: "r",
        method: "GET",
        uri: d.last.pathUrl,
        body: new Uint8Array(),
        algorithm: "SHA-256",
        userhash: true,
      }),
    ).toBe(true);
  });

  it("answers an RFC 2069 challenge without qop", async () => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
    await d.challenge(challengeHeader("n1", { qop: null }));
    expect(d.authorization?.qop).toBeUndefined();
    expect(verify(d.authorization, d.last)).toBe(true);
  });

  it("hashes the body for auth-int: bytes and a replayable body", async () => {
    const bytes = new TextEncoder().encode("name=value&x=ü");
    const replayable = new ReplayableBody(async function* () {
      yield bytes.subarray(0, 5);
      yield bytes.subarray(5);
    }, bytes.length);
    for (const data of [bytes, replayable]) {
      const request = prepare(URL_A, { method: "POST", data: bytes });
      request.body = data;
      const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), request);
      await d.challenge(challengeHeader("n1", { qop: "auth-int", algorithm: "SHA-256" }));
      expect(d.authorization?.qop).toBe("auth-int");
      expect(d.last.body).toBe(data);
      expect(verify(d.authorization, d.last, bytes, "SHA-256")).toBe(true);
    }
  });

  it("prefers auth when auth-int is offered too, as Requests", async () => {
    const d = await Driver.start(new HTTPDigestAuth("Mufasa", PASSWORD), prepare());
    await d.challenge(challengeHeader("n1", { qop: "auth-int, auth" }));
    expect(d.authorization?.qop).toBe("auth");
  });

  it("does not retry a one-shot stream body, which the first attempt consumed", async () => {
    async function* stream() {
      yield new Uint8Array([1, 2, 3]);
    }
    const d = await Driver.start(
      new HTTPDigestAuth("Mufasa", PASSWORD),
      prepare(URL_A, { method: "POST", data: stream() }),
    );
    await d.challenge(challengeHeader("n1"));
    expect(d.done).toBe(true);
    expect(d.sent).toHaveLength(1);
  });

  it("authenticates a one-shot stream preemptively, falling back from auth-int to auth", async () => {
    async function* stream() {
      yield new Uint8Array([1, 2, 3]);
    }
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const first = await Driver.start(auth, prepare());
    await first.challenge(challengeHeader("n1", { qop: "auth-int, auth" }));
    await first.respond(200);
    const streamed = await Driver.start(auth, prepare(URL_A, { method: "POST", data: stream() }));
    expect(streamed.authorization?.qop).toBe("auth");

    const intOnly = new HTTPDigestAuth("Mufasa", PASSWORD);
    const warmup = await Driver.start(intOnly, prepare());
    await warmup.challenge(challengeHeader("n1", { qop: "auth-int" }));
    expect(warmup.authorization?.qop).toBe("auth-int");
    await warmup.respond(200);
    const cannot = await Driver.start(intOnly, prepare(URL_A, { method: "POST", data: stream() }));
    expect(cannot.authorization).toBeUndefined();
    await cannot.challenge(challengeHeader("n2", { qop: "auth-int" }));
    expect(cannot.done).toBe(true);
  });

  it("starts afresh on each run, as the session runs it again after a same-origin redirect", async () => {
    const auth = new HTTPDigestAuth("Mufasa", PASSWORD);
    const hop1 = await Driver.start(auth, prepare());
    await hop1.challenge(challengeHeader("n1"));
    await hop1.respond(302, [["Location", "/next"]]);
    expect(hop1.done).toBe(true);
    const hop2 = await Driver.start(auth, prepare("http://a.example/next"));
    expect(hop2.authorization?.nc).toBe("00000002");
    await hop2.challenge(challengeHeader("n2"));
    expect(hop2.authorization).toMatchObject({ nonce: "n2", nc: "00000001" });
  });
});
