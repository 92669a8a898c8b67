import type { Authenticator, AuthInput } from "./auth-flow.js";
import { type EncodedBody, encodeBody, type FilesInput, type RequestBody, type RequestData } from "./body.js";
import { Headers, type HeadersInit } from "./headers.js";
import type { Hooks, TransferProgress } from "./hooks.js";
import type { ConnectionInfo } from "./transport.js";
import { prepareUrl, type QueryParams, urlPath } from "./url.js";

/** Cookies given with one request: name → value, or any jar-like object the session understands. */
export type CookiesInput = { readonly [name: string]: string | null | undefined } | object;

/** What a {@link Request} is made of, before the session merges its own settings in. */
export interface RequestInit {
  readonly method?: string | undefined;
  readonly url: string;
  readonly headers?:
    | HeadersInit
    | { readonly [name: string]: string | number | null | undefined }
    | null
    | undefined;
  readonly params?: QueryParams | null | undefined;
  readonly data?: RequestData | null | undefined;
  readonly json?: unknown;
  readonly files?: FilesInput | null | undefined;
  readonly auth?: AuthInput | null | undefined;
  readonly cookies?: CookiesInput | null | undefined;
  readonly hooks?: Hooks | null | undefined;
}

/** A request as the caller describes it; `Session.prepareRequest` turns it into a {@link PreparedRequest}. */
export class Request {
  method: string;
  url: string;
  headers: RequestInit["headers"];
  params: QueryParams | null | undefined;
  data: RequestData | null | undefined;
  json: unknown;
  files: FilesInput | null | undefined;
  auth: AuthInput | null | undefined;
  cookies: CookiesInput | null | undefined;
  hooks: Hooks | null | undefined;

  constructor(init: RequestInit) {
    this.method = init.method ?? "GET";
    this.url = init.url;
    this.headers = init.headers;
    this.params = init.params;
    this.data = init.data;
    this.json = init.json;
    this.files = init.files;
    this.auth = init.auth;
    this.cookies = init.cookies;
    this.hooks = init.hooks;
  }

  /** Prepares the request on its own, without session settings (no auth, no cookie jar). */
  prepare(): PreparedRequest {
    const p = new PreparedRequest();
    p.prepare({
      method: this.method,
      url: this.url,
      headers: this.headers,
      params: this.params,
      data: this.data,
      json: this.json,
      files: this.files,
      hooks: this.hooks,
    });
    return p;
  }
}

/** What {@link PreparedRequest.prepare} takes: a request already merged with session settings. */
export interface PrepareInit {
  readonly method: string;
  readonly url: string;
  readonly headers?: RequestInit["headers"];
  readonly params?: QueryParams | null | undefined;
  readonly data?: RequestData | null | undefined;
  readonly json?: unknown;
  readonly files?: FilesInput | null | undefined;
  readonly hooks?: Hooks | null | undefined;
}

// Requests sends Content-Length: 0 for a body-less request except on these methods.
const NO_EMPTY_LENGTH = new Set(["GET", "HEAD"]);

/** The exact method, URL, headers and body to send. */
export class PreparedRequest {
  method = "GET";
  /** The full URL, fragment included; the fragment is never sent. */
  url = "";
  headers: Headers = new Headers();
  body: RequestBody | null = null;
  hooks: Hooks = {};
  /** The authenticator the session runs when it sends this request (it sets `Authorization`). */
  auth: Authenticator | undefined;
  /** The connection that served this request, once one was picked. */
  connInfo: ConnectionInfo | undefined;
  /** Upload progress while the body is sent, for the `onUpload` hook. */
  uploadProgress: TransferProgress | undefined;

  /** Runs every preparation step in Requests' order: method, URL, headers, body, hooks. */
  prepare(init: PrepareInit): this {
    this.prepareMethod(init.method);
    this.prepareUrl(init.url, init.params);
    this.prepareHeaders(init.headers);
    this.prepareBody(init.data, init.files, init.json);
    this.hooks = init.hooks ?? {};
    return this;
  }

  prepareMethod(method: string): void {
    this.method = method.toUpperCase();
  }

  prepareUrl(url: string, params?: QueryParams | null): void {
    this.url = prepareUrl(url, params);
  }

  prepareHeaders(headers: RequestInit["headers"]): void {
    // A Headers is already valid: copying it skips re-validating every field.
    this.headers = Headers.isHeaders(headers)
      ? headers.copy()
      : new Headers(headers as HeadersInit | null | undefined);
  }

  prepareBody(data?: RequestData | null, files?: FilesInput | null, json?: unknown): void {
    const encoded = encodeBody({ data, files, json, contentType: this.headers.get("content-type") });
    this.#setBody(encoded);
  }

  #setBody(encoded: EncodedBody): void {
    this.body = encoded.body;
    // A multipart type carries the boundary the body was built with, so it replaces the caller's.
    if (
      encoded.contentType !== null &&
      (!this.headers.has("content-type") || encoded.contentType.startsWith("multipart/"))
    ) {
      this.headers.set("Content-Type", encoded.contentType);
    }
    this.prepareContentLength(encoded.length);
  }

  /**
   * Content-Length as Requests sets it: the body's length when known and non-zero, chunked
   * otherwise (never both), 0 for no body except on GET and HEAD. A caller's Content-Length
   * stays on a body-less request and on a stream of unknown length.
   */
  prepareContentLength(length: number | null): void {
    if (this.body === null) {
      if (!NO_EMPTY_LENGTH.has(this.method) && !this.headers.has("content-length")) {
        this.headers.set("Content-Length", "0");
      }
      return;
    }
    if (length) {
      this.headers.set("Content-Length", String(length));
      this.headers.delete("transfer-encoding");
    } else if (!this.headers.has("content-length")) {
      this.headers.set("Transfer-Encoding", "chunked");
    }
  }

  /** The Cookie header, set only when the caller did not set one. */
  prepareCookies(cookieHeader: string | null): void {
    if (cookieHeader && !this.headers.has("cookie")) this.headers.set("Cookie", cookieHeader);
  }

  /** Path and query as sent on the request line: `/` when the URL has no path. */
  get pathUrl(): string {
    return urlPath(this.url);
  }

  /** A copy whose headers can change without touching this one; the body is shared. */
  copy(): PreparedRequest {
    const p = new PreparedRequest();
    p.method = this.method;
    p.url = this.url;
    p.headers = this.headers.copy();
    p.body = this.body;
    p.hooks = this.hooks;
    p.auth = this.auth;
    return p;
  }

  toString(): string {
    return `<PreparedRequest [${this.method}]>`;
  }
}
