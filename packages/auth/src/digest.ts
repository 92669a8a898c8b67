/**
 * HTTP Digest authentication (RFC 7616, RFC 2617, RFC 2069) as Requests' `HTTPDigestAuth`
 * speaks it, plus SHA-512-256, `-sess` for every algorithm, `auth-int`, `userhash` and
 * `Authentication-Info: nextnonce`.
 *
 * @packageDocumentation
 */

import { md5, sha1 } from "@noble/hashes/legacy.js";
import { sha256, sha512, sha512_256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { AuthFlow, PreparedRequest, RequestBody, Response } from "@nq/models";
import { isReplayable } from "@nq/models";
import { AuthBase } from "./auth-base.js";
import { type AuthChallenge, parseAuthParams, parseChallenges } from "./challenge.js";

type HashFunction = typeof md5;

/** A digest algorithm: its hash, whether it is a `-sess` variant, and its rank among the others. */
export interface DigestAlgorithm {
  readonly hash: HashFunction;
  readonly sess: boolean;
  readonly strength: number;
}

// `SHA` (SHA-1) and `SHA-512` are not RFC 7616 names, but Requests answers them and httpbin
// sends `SHA-512` for full SHA-512.
const ALGORITHMS = new Map<string, { readonly hash: HashFunction; readonly strength: number }>([
  ["MD5", { hash: md5, strength: 1 }],
  ["SHA", { hash: sha1, strength: 2 }],
  ["SHA-256", { hash: sha256, strength: 3 }],
  ["SHA-512", { hash: sha512, strength: 4 }],
  ["SHA-512-256", { hash: sha512_256, strength: 5 }],
]);

/** The algorithm a challenge names (MD5 when it names none), or `undefined` when unsupported. */
export function digestAlgorithm(name: string | undefined): DigestAlgorithm | undefined {
  let upper = (name ?? "MD5").toUpperCase();
  const sess = upper.endsWith("-SESS");
  if (sess) upper = upper.slice(0, -"-SESS".length);
  const base = ALGORITHMS.get(upper);
  return base && { hash: base.hash, strength: base.strength, sess };
}

/** A Digest challenge, with the parameters an answer needs. */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  /** The qop values offered, lower-cased; `null` when the challenge names none (RFC 2069). */
  readonly qop: readonly string[] | null;
  /** The algorithm as the server spelled it, echoed verbatim: httpbin hashes by its exact text. */
  readonly algorithm: string | undefined;
  readonly stale: boolean;
  readonly userhash: boolean;
}

type Qop = "auth" | "auth-int";

function toDigestChallenge(challenge: AuthChallenge): DigestChallenge | undefined {
  const { params } = challenge;
  const nonce = params.get("nonce");
  if (challenge.scheme !== "digest" || nonce === undefined) return undefined;
  const qop =
    params
      .get("qop")
      ?.split(",")
      .map((value) => value.trim().toLowerCase())
      .filter(Boolean) ?? [];
  return {
    realm: params.get("realm") ?? "",
    nonce,
    opaque: params.get("opaque"),
    // Requests treats an empty qop like a missing one.
    qop: qop.length ? qop : null,
    algorithm: params.get("algorithm"),
    stale: params.get("stale")?.toLowerCase() === "true",
    userhash: params.get("userhash")?.toLowerCase() === "true",
  };
}

function answerable(challenge: DigestChallenge): boolean {
  const algorithm = digestAlgorithm(challenge.algorithm);
  if (!algorithm) return false;
  // RFC 2617 forbids a cnonce without qop, and a -sess key cannot be made without one.
  if (challenge.qop === null) return !algorithm.sess;
  return challenge.qop.includes("auth") || challenge.qop.includes("auth-int");
}

/**
 * The Digest challenge to answer among `WWW-Authenticate` field values: the strongest
 * algorithm nq supports, the first such challenge on a tie; `undefined` when none is usable.
 */
export function pickDigestChallenge(values: readonly string[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  let bestStrength = 0;
  for (const parsed of parseChallenges(values)) {
    const challenge = toDigestChallenge(parsed);
    if (!challenge || !answerable(challenge)) continue;
    const strength = digestAlgorithm(challenge.algorithm)!.strength;
    if (strength > bestStrength) {
      best = challenge;
      bestStrength = strength;
    }
  }
  return best;
}

/**
 * The qop to answer with: `auth` whenever offered (as Requests), `auth-int` when it is the
 * only choice and the body can be read without being consumed, `null` for RFC 2069, or
 * `undefined` when the challenge cannot be answered for this body.
 */
function chooseQop(offered: readonly string[] | null, bodyReadable: boolean): Qop | null | undefined {
  if (offered === null) return null;
  if (offered.includes("auth")) return "auth";
  if (offered.includes("auth-int") && bodyReadable) return "auth-int";
  return undefined;
}

/** What {@link digestAuthorization} computes an answer from. */
export interface DigestAnswerInput {
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** The request target as sent: path and query. */
  readonly uri: string;
  readonly challenge: DigestChallenge;
  readonly qop: Qop | null;
  readonly nonceCount: number;
  readonly cnonce: string;
  /** H(entity-body) in hex, for `auth-int`. */
  readonly bodyHash?: string | undefined;
}

const encoder = new TextEncoder();

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, "\\$&")}"`;
}

// RFC 8187 ext-value: encodeURIComponent leaves these four unescaped, attr-char does not allow them.
function extValue(value: string): string {
  const escaped = encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `UTF-8''${escaped}`;
}

/**
 * The `Authorization` value answering a Digest challenge, laid out as Requests writes it
 * (`algorithm` and `qop` quoted, `nc` not), with `userhash=true` when the server asked for it.
 *
 * @throws TypeError when the challenge's algorithm is unsupported.
 */
export function digestAuthorization(input: DigestAnswerInput): string {
  const { challenge, qop, cnonce } = input;
  const algorithm = digestAlgorithm(challenge.algorithm);
  if (!algorithm) throw new TypeError(`Unsupported digest algorithm: ${challenge.algorithm}`);
  const H = (text: string): string => bytesToHex(algorithm.hash(encoder.encode(text)));
  const { realm, nonce } = challenge;
  const nc = input.nonceCount.toString(16).padStart(8, "0");

  let ha1 = H(`${input.username}:${realm}:${input.password}`);
  if (algorithm.sess) ha1 = H(`${ha1}:${nonce}:${cnonce}`);
  const ha2 =
    qop === "auth-int"
      ? H(`${input.method}:${input.uri}:${input.bodyHash ?? H("")}`)
      : H(`${input.method}:${input.uri}`);
  const response =
    qop === null ? H(`${ha1}:${nonce}:${ha2}`) : H(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);

  let user: string;
  if (challenge.userhash) user = `username=${quote(H(`${input.username}:${realm}`))}`;
  // A quoted-string cannot carry text beyond ASCII; RFC 7616 §3.4.4 sends it as `username*`.
  else if (/^[\x20-\x7e]*$/.test(input.username)) user = `username=${quote(input.username)}`;
  else user = `username*=${extValue(input.username)}`;

  const parts = [
    user,
    `realm=${quote(realm)}`,
    `nonce=${quote(nonce)}`,
    `uri=${quote(input.uri)}`,
    `response="${response}"`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (challenge.algorithm !== undefined) parts.push(`algorithm=${quote(challenge.algorithm)}`);
  if (qop !== null) parts.push(`qop=${quote(qop)}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
  if (challenge.userhash) parts.push("userhash=true");
  return `Digest ${parts.join(", ")}`;
}

async function hashBody(hash: HashFunction, body: RequestBody | null): Promise<string> {
  if (body === null) return bytesToHex(hash(new Uint8Array(0)));
  if (body instanceof Uint8Array) return bytesToHex(hash(body));
  const state = hash.create();
  for await (const chunk of body) state.update(chunk);
  return bytesToHex(state.digest());
}

function newCnonce(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}

function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return url;
  }
}

function withAuthorization(request: PreparedRequest, header: string): PreparedRequest {
  const copy = request.copy();
  copy.headers.set("Authorization", header);
  return copy;
}

/** The challenge an origin last sent and how many times its nonce has been used. */
interface OriginState {
  readonly challenge: DigestChallenge;
  nonceCount: number;
}

interface Answer {
  readonly header: string;
  readonly challenge: DigestChallenge;
}

/**
 * HTTP Digest authentication: answers a `401` Digest challenge once (again only for
 * `stale=true`), then authenticates later requests to the same origin without waiting for one.
 */
export class HTTPDigestAuth extends AuthBase {
  /** The user name, sent as is, or hashed when the server asks for `userhash`. */
  readonly username: string;
  /** The password, which only enters the hashes. */
  readonly password: string;
  // Shared by every flow of this instance; what belongs to one request lives in its flow.
  readonly #origins = new Map<string, OriginState>();

  constructor(username: string, password: string) {
    super();
    this.username = username;
    this.password = password;
  }

  /** Sends the request (authenticated at once if its origin challenged before) and answers a Digest 401. */
  override async *authFlow(request: PreparedRequest): AuthFlow {
    const origin = originOf(request.url);
    let used: DigestChallenge | undefined;
    let sent = request;
    if (this.#origins.has(origin)) {
      const answer = await this.#answer(request, origin);
      if (answer) {
        sent = withAuthorization(request, answer.header);
        used = answer.challenge;
      }
    }
    let response: Response = yield sent;
    let answered = false;
    let staleAnswered = false;
    for (;;) {
      // RFC 9110 §11.6.1: on another status, WWW-Authenticate only says credentials might
      // change the answer; Requests' habit of retrying any 4xx is not followed.
      if (response.statusCode !== 401) {
        if (used) this.#acceptNextNonce(origin, used, response);
        return;
      }
      const challenge = pickDigestChallenge(response.headers.getAll("www-authenticate"));
      if (!challenge) return;
      this.#remember(origin, challenge);
      // A second 401 means the credentials were refused; answering it again would loop
      // forever. `stale=true` says they were right and only the nonce expired.
      if (answered) {
        if (!challenge.stale || staleAnswered) return;
        staleAnswered = true;
      }
      // A one-shot stream was consumed by the attempt that drew the challenge.
      if (!isReplayable(request.body)) return;
      const answer = await this.#answer(request, origin);
      if (!answer) return;
      answered = true;
      used = answer.challenge;
      response = yield withAuthorization(request, answer.header);
    }
  }

  #remember(origin: string, challenge: DigestChallenge): void {
    const previous = this.#origins.get(origin);
    // The count follows the nonce: a server re-sending the same nonce must still see nc grow.
    const nonceCount = previous?.challenge.nonce === challenge.nonce ? previous.nonceCount : 0;
    this.#origins.set(origin, { challenge, nonceCount });
  }

  /** RFC 7616 §3.5: the server hands out the nonce to use next, saving a 401 round trip. */
  #acceptNextNonce(origin: string, used: DigestChallenge, response: Response): void {
    const info = response.headers.get("authentication-info");
    const nextnonce = info ? parseAuthParams(info).get("nextnonce") : undefined;
    const state = this.#origins.get(origin);
    if (!nextnonce || state?.challenge !== used || used.nonce === nextnonce) return;
    this.#origins.set(origin, { challenge: { ...used, nonce: nextnonce, stale: false }, nonceCount: 0 });
  }

  /** The Authorization for the origin's current challenge, or `undefined` when it cannot be answered. */
  async #answer(request: PreparedRequest, origin: string): Promise<Answer | undefined> {
    const bodyHashes = new Map<HashFunction, string>();
    for (;;) {
      const state = this.#origins.get(origin);
      if (!state) return undefined;
      const { challenge } = state;
      const algorithm = digestAlgorithm(challenge.algorithm);
      const qop = algorithm && chooseQop(challenge.qop, isReplayable(request.body));
      if (!algorithm || qop === undefined) return undefined;
      let bodyHash: string | undefined;
      if (qop === "auth-int") {
        bodyHash = bodyHashes.get(algorithm.hash);
        if (bodyHash === undefined) {
          bodyHash = await hashBody(algorithm.hash, request.body);
          bodyHashes.set(algorithm.hash, bodyHash);
          // Another flow may have stored a newer challenge while the body was read: answer that.
          if (this.#origins.get(origin) !== state) continue;
        }
      }
      // No await from here to the header: interleaved flows never send the same nc.
      state.nonceCount += 1;
      const header = digestAuthorization({
        username: this.username,
        password: this.password,
        method: request.method,
        uri: request.pathUrl,
        challenge,
        qop,
        nonceCount: state.nonceCount,
        cnonce: newCnonce(),
        bodyHash,
      });
      return { header, challenge };
    }
  }
}
