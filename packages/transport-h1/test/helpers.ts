import {
  Headers,
  type PreparedRequest,
  Request,
  type RequestBody,
  type SendOptions,
  type TimeoutSettings,
} from "@nq/models";

/** Send options with no timeouts and default verification, overridden as given. */
export function sendOptions(
  overrides: Omit<Partial<SendOptions>, "timeout"> & { timeout?: Partial<TimeoutSettings> } = {},
): SendOptions {
  const { timeout, ...rest } = overrides;
  return {
    verify: true,
    ...rest,
    timeout: { connect: null, read: null, total: null, ...timeout },
  };
}

/** A prepared request; `body` (bytes or a stream) is set as is, with the headers given. */
export function prepared(
  url: string,
  init: { method?: string; headers?: Record<string, string> | [string, string][]; body?: RequestBody } = {},
): PreparedRequest {
  const request = new Request({ method: init.method ?? "GET", url, headers: init.headers ?? null }).prepare();
  if (init.body !== undefined) {
    request.body = init.body;
    // prepare() saw no body and may have set Content-Length: 0; recompute it for this body.
    const given = new Headers(init.headers ?? null).get("content-length");
    if (given === null) request.headers.delete("content-length");
    if (init.body instanceof Uint8Array && given === null)
      request.headers.set("Content-Length", init.body.byteLength);
  }
  return request;
}

/** Reads an async iterable of chunks into one Buffer. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` until it holds or `timeout` ms pass, then fails with `message`. */
export async function eventually(predicate: () => boolean, message: string, timeout = 2_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${message}`);
    await sleep(5);
  }
}

// Handles a leaked connection would show as: sockets, TLS wraps, connects in progress, listeners.
// Timers are left out: undici and the test runner keep their own.
const NETWORK_HANDLES = new Set([
  "TCPSocketWrap",
  "TLSWrap",
  "ConnectWrap",
  "TCPServerWrap",
  "GetAddrInfoReqWrap",
]);

/** How many network handles (sockets, connects, servers) keep this process alive. */
export function openSocketCount(): number {
  return process.getActiveResourcesInfo().filter((name) => NETWORK_HANDLES.has(name)).length;
}

/** Waits until the process holds no more network handles than `baseline`. */
export async function expectNoStraySockets(baseline: number): Promise<void> {
  await eventually(
    () => openSocketCount() <= baseline,
    `stray handles: ${process.getActiveResourcesInfo().join(", ")} (baseline ${baseline})`,
  );
}
