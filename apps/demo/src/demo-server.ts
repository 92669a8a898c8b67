import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://demo.local");
  const redirect = /^\/redirect\/(\d+)$/.exec(url.pathname);
  if (redirect) {
    const n = Number(redirect[1]);
    res.writeHead(302, { Location: n > 1 ? `/redirect/${n - 1}` : "/get" }).end();
  } else if (url.pathname === "/get") {
    const args: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      args[key] = values.length === 1 ? values[0]! : values;
    }
    json(res, 200, { args, headers: req.headers });
  } else if (url.pathname === "/post" && req.method === "POST") {
    const body = await readBody(req);
    json(res, 201, { json: JSON.parse(body || "null"), contentType: req.headers["content-type"] });
  } else if (url.pathname === "/slow") {
    setTimeout(() => json(res, 200, { late: true }), 2_000).unref();
  } else {
    json(res, 404, { error: "not found" });
  }
}

/** Starts the demo's HTTP/1.1 server on a free loopback port. */
export async function startDemoServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server };
}
