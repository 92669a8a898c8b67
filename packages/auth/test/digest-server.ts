/**
 * A Digest verifier written apart from src/digest.ts (node:crypto hashes, its own header
 * parsing), so a test checks the client against a second reading of RFC 7616, not against itself.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Authenticator, Headers, type PreparedRequest, Response } from "@nq/models";

const NODE_HASHES: Record<string, string> = {
  MD5: "md5",
  SHA: "sha1",
  "SHA-256": "sha256",
  "SHA-512": "sha512",
  "SHA-512-256": "sha512-256",
};

/** The parameters of an `Authorization: Digest …` value, unquoted, names lower-cased. */
export function parseDigestAuthorization(header: string): Record<string, string> | undefined {
  const match = /^Digest\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([\w*-]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(match[1]!))) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!;
  }
  return params;
}

function hex(algorithm: string, data: string | Uint8Array): string {
  return createHash(algorithm).update(data).digest("hex");
}

/** What the server expects of an answer. */
export interface Expectation {
  readonly username: string;
  readonly password: string;
  readonly realm: string;
  readonly method: string;
  readonly uri: string;
  readonly body: Uint8Array;
  /** The algorithm the challenge named (`undefined`: none named, MD5). */
  readonly algorithm: string | undefined;
  readonly userhash?: boolean;
}

/** The response value an answer must carry, or a reason it cannot be valid. */
export function verifyDigest(params: Record<string, string>, expected: Expectation): string | true {
  const name = (expected.algorithm ?? "MD5").toUpperCase();
  const sess = name.endsWith("-SESS");
  const nodeHash = NODE_HASHES[sess ? name.slice(0, -5) : name];
  if (!nodeHash) return `unknown algorithm ${name}`;
  const H = (data: string | Uint8Array) => hex(nodeHash, data);
  if (params.algorithm !== expected.algorithm) return `algorithm ${params.algorithm} echoed wrong`;
  if (params.realm !== expected.realm) return `realm ${params.realm}`;
  if (params.uri !== expected.uri) return `uri ${params.uri} is not ${expected.uri}`;
  const username = expected.userhash ? H(`${expected.username}:${expected.realm}`) : expected.username;
  const sent =
    params.username ??
    (params["username*"]?.startsWith("UTF-8''")
      ? decodeURIComponent(params["username*"].slice(7))
      : undefined);
  if (sent !== username) return `username ${sent}`;
  if ((params.userhash === "true") !== !!expected.userhash) return "userhash flag";
  const { nonce, cnonce, nc, qop } = params;
  let ha1 = H(`${expected.username}:${expected.realm}:${expected.password}`);
  if (sess) ha1 = H(`${ha1}:${nonce}:${cnonce}`);
  const ha2 =
    qop === "auth-int"
      ? H(`${expected.method}:${expected.uri}:${H(expected.body)}`)
      : H(`${expected.method}:${expected.uri}`);
  const response = qop ? H(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : H(`${ha1}:${nonce}:${ha2}`);
  return params.response === response ? true : `response ${params.response} is not ${response}`;
}

/** How one protected route challenges. */
export interface RouteOptions {
  readonly algorithm: string | undefined;
  /** The qop list offered, `undefined` for an RFC 2069 challenge. */
  readonly qop: string | undefined;
  readonly userhash?: boolean;
  /** Answers accepted per nonce before it is declared stale. */
  readonly staleAfter?: number;
}

interface NonceState {
  lastNc: number;
  uses: number;
}

/** An in-process server that guards `/<route>` with Digest and verifies every answer. */
export class DigestServer implements AsyncDisposable {
  readonly realm = "nq@test";
  readonly username = "Mufasa";
  readonly password = "Circle of Life";
  readonly log: {
    readonly path: string;
    readonly authorization: string | undefined;
    readonly status: number;
  }[] = [];
  readonly #server: Server;
  readonly #routes: Map<string, RouteOptions>;
  readonly #nonces = new Map<string, NonceState>();

  private constructor(routes: Map<string, RouteOptions>) {
    this.#routes = routes;
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(({ status, headers, body }) => {
        this.log.push({ path: req.url ?? "", authorization: req.headers.authorization, status });
        res.writeHead(status, headers);
        res.end(body);
      });
    });
  }

  static async start(routes: Record<string, RouteOptions>): Promise<DigestServer> {
    const server = new DigestServer(new Map(Object.entries(routes)));
    await new Promise<void>((resolve) => server.#server.listen(0, "127.0.0.1", resolve));
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async #handle(
    req: IncomingMessage,
  ): Promise<{ status: number; headers: [string, string][]; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = new Uint8Array(Buffer.concat(chunks));
    const uri = req.url ?? "/";
    const route = this.#routes.get(uri.split("?")[0]!.slice(1));
    if (!route) return { status: 404, headers: [], body: "" };
    const challenge = (stale: boolean): { status: number; headers: [string, string][]; body: string } => {
      const nonce = randomBytes(12).toString("base64");
      this.#nonces.set(nonce, { lastNc: 0, uses: 0 });
      const parts = [`realm="${this.realm}"`, `nonce="${nonce}"`, `opaque="opaque-${nonce.length}"`];
      if (route.qop !== undefined) parts.push(`qop="${route.qop}"`);
      if (route.algorithm !== undefined) parts.push(`algorithm=${route.algorithm}`);
      if (route.userhash) parts.push("userhash=true");
      if (stale) parts.push("stale=true");
      return {
        status: 401,
        headers: [
          ["WWW-Authenticate", 'Basic realm="elsewhere"'],
          ["WWW-Authenticate", `Digest ${parts.join(", ")}`],
        ],
        body: "",
      };
    };
    const header = req.headers.authorization;
    const params = header ? parseDigestAuthorization(header) : undefined;
    if (!params) return challenge(false);
    const state = this.#nonces.get(params.nonce ?? "");
    if (!state) return challenge(true);
    const verdict = verifyDigest(params, {
      username: this.username,
      password: this.password,
      realm: this.realm,
      method: req.method ?? "GET",
      uri,
      body,
      algorithm: route.algorithm,
      userhash: route.userhash ?? false,
    });
    if (verdict !== true) return { ...challenge(false), body: verdict };
    if (params.qop) {
      // A replayed or reordered nc is an attack RFC 7616 §5.2 asks servers to refuse.
      const nc = Number.parseInt(params.nc ?? "", 16);
      if (!(nc > state.lastNc) || params.opaque !== `opaque-${params.nonce!.length}`) return challenge(false);
      state.lastNc = nc;
    }
    if (route.staleAfter !== undefined && state.uses >= route.staleAfter) {
      this.#nonces.delete(params.nonce!);
      return challenge(true);
    }
    state.uses++;
    return {
      status: 200,
      headers: [["Content-Type", "application/json"]],
      body: JSON.stringify({ qop: params.qop ?? null, nc: params.nc ?? null }),
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

async function collect(body: PreparedRequest["body"]): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

/** Sends one prepared request over node:http and reads the whole response. */
export async function sendOnce(request: PreparedRequest): Promise<Response> {
  const body = await collect(request.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      request.url,
      { method: request.method, headers: request.headers.toJSON() },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve(
            new Response({
              request,
              statusCode: res.statusCode ?? 0,
              headers: Headers.fromRaw(res.rawHeaders),
              body: new Uint8Array(Buffer.concat(chunks)),
            }),
          ),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Drives an auth flow as the session does: send what it yields, hand back each response. */
export async function perform(auth: Authenticator, request: PreparedRequest): Promise<Response> {
  const flow = auth.authFlow(request);
  let step = await flow.next();
  if (step.done) return sendOnce(request);
  let response = await sendOnce(step.value);
  for (;;) {
    step = await flow.next(response);
    if (step.done) return response;
    const previous = response;
    response = await sendOnce(step.value);
    response.history = [...previous.history, previous];
  }
}
