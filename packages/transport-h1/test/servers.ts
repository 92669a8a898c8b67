import { once } from "node:events";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from "node:https";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";

/** A request handler of a test server. */
export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An in-process server on 127.0.0.1 that counts the connections it accepts. */
export interface TestServer {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` (or https, or `tcp`). */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: ReadonlySet<Socket>;
  /** Resolves once every accepted connection has closed. */
  allClosed(): Promise<void>;
  /** Closes the listener and destroys every connection. */
  close(): Promise<void>;
}

function track(server: Server, scheme: string): Promise<TestServer> {
  const open = new Set<Socket>();
  let accepted = 0;
  let waiters: (() => void)[] = [];
  server.on("connection", (socket: Socket) => {
    accepted++;
    open.add(socket);
    // Tests provoke resets; the server side must not crash the worker on them.
    socket.on("error", () => {});
    socket.on("close", () => {
      open.delete(socket);
      if (open.size === 0) {
        const ready = waiters;
        waiters = [];
        for (const resolve of ready) resolve();
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        port,
        url: `${scheme}://127.0.0.1:${port}`,
        get accepted() {
          return accepted;
        },
        open,
        allClosed: () =>
          open.size === 0
            ? Promise.resolve()
            : new Promise<void>((done) => {
                waiters.push(done);
              }),
        close: async () => {
          for (const socket of open) socket.destroy();
          if (server.listening) {
            server.close();
            await once(server, "close");
          }
        },
      });
    });
  });
}

/** An HTTP/1.1 server running `handler`. */
export function startHttpServer(handler: Handler): Promise<TestServer> {
  const server = createHttpServer({ keepAliveTimeout: 10_000 }, handler);
  return track(server, "http");
}

/** An HTTPS server running `handler`. */
export function startHttpsServer(options: HttpsServerOptions, handler: Handler): Promise<TestServer> {
  const server = createHttpsServer({ keepAliveTimeout: 10_000, ...options }, handler);
  server.on("tlsClientError", () => {});
  return track(server, "https");
}

/** A raw TCP server: `onConnection` writes whatever bytes the test needs. */
export function startRawServer(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const server = createNetServer(onConnection);
  return track(server, "http");
}

/** Reads one request head (up to the blank line) off a raw socket. */
export function readRequestHead(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        socket.off("data", onData);
        resolve(text.slice(0, end));
      }
    };
    socket.on("data", onData);
  });
}
