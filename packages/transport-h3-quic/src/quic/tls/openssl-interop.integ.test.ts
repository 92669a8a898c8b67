/**
 * The TLS 1.3 client against OpenSSL (Node's `tls.createServer`) over TCP on loopback, through
 * the test record layer: every suite, group and certificate key type, HelloRetryRequest,
 * session tickets, client certificate requests, and the failures a real server produces.
 *
 * After each handshake an HTTP-ish request goes out as application data and the server's reply
 * comes back: OpenSSL only decrypts the request if our client application secret is right, and
 * we only decrypt the reply if the server one is.
 */

import { Buffer } from "node:buffer";
import { createHash, createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { createServer as createTcpServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from "node:tls";
import { createTestPki, type TestCertificate, type TestKeyType } from "@nq/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 } from "../crypto/cipher-suite.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { secrets, sha384 } from "../test-support/rfc8448-vectors.js";
import {
  ContentType,
  type LoggedHandshakeMessage,
  MAX_PLAINTEXT_LENGTH,
  openRecord,
  plaintextRecord,
  recordProtection,
  sealRecord,
  TlsConnectionClosedError,
  TlsPeerAlertError,
  TlsRecordClient,
  type TlsRecordClientOptions,
} from "../test-support/tls-record-layer.js";
import { TestTlsServer } from "../test-support/tls-test-server.js";
import { TlsAlert, TlsAlertError } from "./alert.js";
import { TrustStore, verifyServerCertificateChain } from "./certificate-verifier.js";
import { TlsClientHandshake, type TlsClientOptions } from "./client-handshake.js";
import {
  decodeCertificateVerify,
  decodeKeyShareServerHello,
  decodeServerHello,
  ExtensionType,
  findExtension,
  HandshakeType,
  isHelloRetryRequest,
  NamedGroup,
  SignatureScheme,
} from "./handshake-messages.js";

const TEST_TIMEOUT = 15_000;
const WAIT_TIMEOUT = 5_000;

const pki = createTestPki();
const trust = new TrustStore(pki.ca.cert);
const leaves: Record<TestKeyType, TestCertificate> = {
  ec: pki.issue({ keyType: "ec" }),
  rsa: pki.issue({ keyType: "rsa" }),
  ed25519: pki.issue({ keyType: "ed25519" }),
};
// A tls.Server honours its own cipher order by default (honorCipherOrder), and Node's TLS 1.3
// list starts with AES-256-GCM, so that is what a server not told otherwise picks from our
// offer of 0x1301, 0x1302, 0x1303. Node takes TLS 1.3 suites in `ciphers`; it has no
// `ciphersuites` option.
const NODE_DEFAULT_SUITE = "TLS_AES_256_GCM_SHA384";
const EXPECTED_SCHEME: Record<TestKeyType, number> = {
  ec: SignatureScheme.ecdsa_secp256r1_sha256,
  // TLS 1.3 allows only PSS for an RSA CertificateVerify; OpenSSL picks it for an rsaEncryption key.
  rsa: SignatureScheme.rsa_pss_rsae_sha256,
  ed25519: SignatureScheme.ed25519,
};

let cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const close of cleanup.reverse()) await close();
  cleanup = [];
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `predicate` holds; `check` may throw to end the wait early. */
async function eventually(
  predicate: () => boolean,
  what: string,
  check: () => void = () => {},
  timeout = WAIT_TIMEOUT,
): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    check();
    if (predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await delay(2);
  }
}

// ---------------------------------------------------------------------------------------------
// The OpenSSL side

/** What the server saw of one connection that completed its handshake. */
interface ServerSession {
  readonly socket: TLSSocket;
  readonly alpnProtocol: string | false | null;
  readonly cipher: string;
  readonly protocol: string | null;
  readonly servername: string | false | null | undefined;
  readonly authorized: boolean;
  received: Buffer;
  sent: Buffer | undefined;
}

interface InteropServer {
  readonly port: number;
  /** Every name SNICallback was called with. */
  readonly sni: string[];
  readonly sessions: ServerSession[];
  /** `tlsClientError`s: how OpenSSL saw a handshake fail (our alerts arrive here). */
  readonly clientErrors: (Error & { code?: string })[];
}

/**
 * An OpenSSL TLS 1.3 server that reads one request (headers and a Content-Length body) and
 * answers with a response whose body is fresh random bytes, then ends the connection.
 */
async function startOpenSslServer(
  options: TlsOptions & { readonly responseLength?: number },
): Promise<InteropServer> {
  const { responseLength = 40_000, ...tlsOptions } = options;
  const state: InteropServer = { port: 0, sni: [], sessions: [], clientErrors: [] };
  const sockets = new Set<Socket>();
  const server = createTlsServer({
    minVersion: "TLSv1.3",
    SNICallback: (servername, callback) => {
      state.sni.push(servername);
      callback(null);
    },
    ...tlsOptions,
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("tlsClientError", (error) => state.clientErrors.push(error));
  server.on("secureConnection", (socket: TLSSocket) => {
    socket.on("error", () => {});
    const session: ServerSession = {
      socket,
      alpnProtocol: socket.alpnProtocol,
      cipher: socket.getCipher().name,
      protocol: socket.getProtocol(),
      servername: socket.servername,
      authorized: socket.authorized,
      received: Buffer.alloc(0),
      sent: undefined,
    };
    state.sessions.push(session);
    socket.on("data", (chunk: Buffer) => {
      session.received = Buffer.concat([session.received, chunk]);
      const headerEnd = session.received.indexOf("\r\n\r\n");
      if (headerEnd < 0 || session.sent !== undefined) return;
      const length = Number(
        /content-length: (\d+)/i.exec(session.received.subarray(0, headerEnd).toString())?.[1] ?? 0,
      );
      if (session.received.length < headerEnd + 4 + length) return;
      const body = randomBytes(responseLength);
      session.sent = Buffer.concat([
        Buffer.from(
          `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nx-request-sha256: ${sha256(session.received)}\r\n\r\n`,
        ),
        body,
      ]);
      socket.end(session.sent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return Object.assign(state, { port: portOf(server) });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the server has no port");
  return address.port;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function serverOptions(leaf: TestCertificate, extra: TlsOptions = {}): TlsOptions {
  return { key: leaf.key, cert: leaf.chain, ALPNProtocols: ["http/1.1"], ...extra };
}

/** A plain TCP server whose connections `onConnection` handles; for servers that misbehave. */
async function startTcpServer(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return portOf(server);
}

/**
 * A TCP relay in front of `targetPort` that passes the client's bytes through and hands each
 * whole record from the server to `onRecord`, which returns the bytes to forward and whether to
 * end the connection after them.
 */
async function startRecordRelay(
  targetPort: number,
  onRecord: (record: Buffer, index: number) => { readonly forward: Uint8Array; readonly end?: boolean },
): Promise<number> {
  return startTcpServer((client) => {
    const upstream = tcpConnect(targetPort, "127.0.0.1");
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk) => upstream.write(chunk));
    client.on("close", () => upstream.destroy());
    let buffer = Buffer.alloc(0);
    let index = 0;
    let ended = false;
    upstream.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (!ended && buffer.length >= 5) {
        const length = 5 + buffer.readUInt16BE(3);
        if (buffer.length < length) break;
        const { forward, end = false } = onRecord(buffer.subarray(0, length), index++);
        buffer = buffer.subarray(length);
        client.write(forward);
        if (end) {
          ended = true;
          client.end();
          upstream.destroy();
        }
      }
    });
    upstream.on("end", () => client.end());
  });
}

// ---------------------------------------------------------------------------------------------
// Our side: TlsClientHandshake in plain-TLS mode over the test record layer

function clientOptions(overrides: Partial<TlsClientOptions> = {}): TlsClientOptions {
  return {
    serverName: "localhost",
    alpnProtocols: ["h3", "http/1.1"],
    verifyCertificate: (chain, serverName) => verifyServerCertificateChain(chain, { serverName, trust }),
    ...overrides,
  };
}

/** One TCP connection driven by a `TlsRecordClient`. */
class RecordConnection {
  readonly socket: Socket;
  readonly client: TlsRecordClient;
  readonly handshake: TlsClientHandshake;
  /** The alert number this client sent when it failed, if it sent one. */
  sentAlert: number | undefined;
  #error: Error | undefined;
  #ended = false;

  constructor(
    port: number,
    options: TlsClientOptions,
    recordOptions: TlsRecordClientOptions & { readonly byteAtATime?: boolean } = {},
  ) {
    this.handshake = new TlsClientHandshake(options);
    this.client = new TlsRecordClient(this.handshake, recordOptions);
    this.socket = tcpConnect(port, "127.0.0.1");
    cleanup.push(() => {
      this.socket.destroy();
    });
    this.socket.on("connect", () => this.socket.write(this.client.start()));
    this.socket.on("data", (chunk: Buffer) => {
      if (this.#error !== undefined) return;
      try {
        // Byte at a time: every record and every handshake message arrives in pieces.
        const pieces =
          recordOptions.byteAtATime === true ? [...chunk].map((byte) => Uint8Array.of(byte)) : [chunk];
        for (const piece of pieces) {
          const out = this.client.receive(piece);
          if (out.length > 0) this.socket.write(out);
        }
      } catch (error) {
        this.#fail(error as Error);
      }
    });
    this.socket.on("end", () => this.#onEnd());
    this.socket.on("close", () => this.#onEnd());
    this.socket.on("error", (error) => this.#fail(error));
  }

  /** Waits for `predicate`; rejects with the connection's error, or if it ends first. */
  until(predicate: () => boolean, what: string, timeout = WAIT_TIMEOUT): Promise<void> {
    return eventually(
      predicate,
      what,
      () => {
        if (predicate()) return;
        if (this.#error !== undefined) throw this.#error;
        if (this.#ended) throw new Error(`the connection ended before ${what}`);
      },
      timeout,
    );
  }

  /** The error the connection failed with; fails the test if it succeeds or hangs instead. */
  async failure(timeout = WAIT_TIMEOUT): Promise<Error> {
    try {
      await this.until(() => false, "a failure", timeout);
    } catch (error) {
      return error as Error;
    }
    throw new Error("unreachable");
  }

  send(data: Uint8Array): void {
    this.socket.write(this.client.sealApplicationData(data));
  }

  /** Sends a request with a body, and returns the whole response once the server has closed. */
  async exchange(request: Uint8Array): Promise<Uint8Array> {
    this.send(request);
    await this.until(() => this.client.peerClosed, "the server's close_notify");
    return this.client.takeApplicationData();
  }

  #fail(error: Error): void {
    if (this.#error !== undefined) return;
    this.#error = error;
    // Our own alert goes to the server under the keys it reads with, so it can report why.
    if (error instanceof TlsAlertError && this.socket.writable) {
      this.sentAlert = error.alert;
      this.socket.end(this.client.fatalAlertRecord(error));
    } else {
      this.socket.destroy();
    }
  }

  #onEnd(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#error !== undefined) return;
    try {
      this.client.end();
    } catch (error) {
      this.#fail(error as Error);
    }
  }
}

function httpRequest(bodyLength: number): Uint8Array {
  const body = randomBytes(bodyLength);
  return Buffer.concat([
    Buffer.from(`POST /interop HTTP/1.1\r\nhost: localhost\r\ncontent-length: ${body.length}\r\n\r\n`),
    body,
  ]);
}

function received(client: TlsRecordClient, level?: string): LoggedHandshakeMessage[] {
  return client.messages.filter(
    (m) => m.direction === "received" && (level === undefined || m.level === level),
  );
}

function typesOf(messages: readonly LoggedHandshakeMessage[]): number[] {
  return messages.map((m) => m.type);
}

/** The group of the (last) ServerHello's key share. */
function selectedGroup(client: TlsRecordClient): number {
  const hello = received(client, "initial").findLast((m) => m.type === HandshakeType.server_hello)!;
  const share = findExtension(decodeServerHello(hello.body).extensions, ExtensionType.key_share)!;
  return decodeKeyShareServerHello(share).group;
}

function certificateVerifyScheme(client: TlsRecordClient): number {
  const message = received(client, "handshake").find((m) => m.type === HandshakeType.certificate_verify)!;
  return decodeCertificateVerify(message.body).scheme;
}

const H = HandshakeType;
const FIRST_FLIGHT = [H.encrypted_extensions, H.certificate, H.certificate_verify, H.finished];

/**
 * The full check after a successful handshake: both sides agree on what was negotiated, the
 * request reaches OpenSSL byte for byte and its response decrypts here byte for byte.
 */
async function expectWorkingConnection(
  server: InteropServer,
  connection: RecordConnection,
  expected: { readonly cipher: string; readonly requestLength?: number },
): Promise<ServerSession> {
  await connection.until(() => connection.handshake.complete, "the handshake");
  const request = httpRequest(expected.requestLength ?? 20_000);
  const response = await connection.exchange(request);

  expect(server.sessions).toHaveLength(1);
  const session = server.sessions[0]!;
  expect(session.protocol).toBe("TLSv1.3");
  expect(session.cipher).toBe(expected.cipher);
  expect(connection.handshake.cipherSuite?.name).toBe(expected.cipher);
  expect(session.alpnProtocol).toBe("http/1.1");
  expect(connection.handshake.alpnProtocol).toBe("http/1.1");
  expect(session.servername).toBe("localhost");
  expect(server.sni).toEqual(["localhost"]);

  expect(session.received.length).toBe(request.length);
  expect(sha256(session.received)).toBe(sha256(request));
  expect(session.sent).toBeDefined();
  expect(response.length).toBe(session.sent!.length);
  expect(sha256(response)).toBe(sha256(session.sent!));
  expect(Buffer.from(response).subarray(0, 17).toString()).toBe("HTTP/1.1 200 OK\r\n");
  expect(server.clientErrors).toEqual([]);
  return session;
}

// ---------------------------------------------------------------------------------------------

describe("the record keys", () => {
  // The Illustrated TLS 1.3 Connection prints the record key and IV of both handshake secrets
  // (SHA-384); a record layer on the QUIC labels would give different bytes.
  it('are HKDF-Expand-Label(secret, "key"/"iv") as in the tls13.xargs.org trace', () => {
    const server = recordProtection(TLS_AES_256_GCM_SHA384, fromHex(sha384.serverHandshakeTraffic));
    const client = recordProtection(TLS_AES_256_GCM_SHA384, fromHex(sha384.clientHandshakeTraffic));
    expect(toHex(server.key)).toBe(sha384.serverHandshakeKey);
    expect(toHex(server.iv)).toBe(sha384.serverHandshakeIv);
    expect(toHex(client.key)).toBe(sha384.clientHandshakeKey);
    expect(toHex(client.iv)).toBe(sha384.clientHandshakeIv);
    expect(server.sequence).toBe(0);
  });

  it("match the write keys RFC 8448 §3 prints for all four traffic secrets (SHA-256)", () => {
    const keyAndIv = (secret: string) => {
      const { key, iv } = recordProtection(TLS_AES_128_GCM_SHA256, fromHex(secret));
      return `${toHex(key)} ${toHex(iv)}`;
    };
    expect(keyAndIv(secrets.serverHandshakeTraffic)).toBe(
      "3fce516009c21727d0f2e4e86ee403bc 5d313eb2671276ee13000b30",
    );
    expect(keyAndIv(secrets.clientHandshakeTraffic)).toBe(
      "dbfaa693d1762c5b666af5d950258d01 5bd3c71b836e0b76bb73265f",
    );
    expect(keyAndIv(secrets.serverApplicationTraffic)).toBe(
      "9f02283b6c9c07efc26bb9f2ac92e356 cf782b88dd83549aadf1e984",
    );
    expect(keyAndIv(secrets.clientApplicationTraffic)).toBe(
      "17422dda596ed5d9acd890e3c63f5051 5b78923dee08579033e523d9",
    );
  });
});

// OpenSSL puts every handshake message in a record of its own (and splits only a message over
// 16 KiB), so it never sends several messages in one record. The test server of the unit tests
// plays the server here to cover that, with no socket: its flight goes out as protected records
// cut at arbitrary points, with padding.
describe("the record layer without a socket", () => {
  it("reads several handshake messages per record and one message over two records", () => {
    const client = new TlsRecordClient(
      new TlsClientHandshake(clientOptions({ alpnProtocols: ["http/1.1"] })),
    );
    const hello = client.start();
    expect([...hello.subarray(0, 3)]).toEqual([ContentType.handshake, 3, 1]);
    const server = new TestTlsServer({
      certificateChain: [new Uint8Array(new X509Certificate(leaves.ec.cert).raw)],
      privateKey: createPrivateKey(leaves.ec.key),
      signatureScheme: SignatureScheme.ecdsa_secp256r1_sha256,
      alpnProtocol: "http/1.1",
    });
    const flight = server.serverFlight(hello.subarray(5));
    const readKeys = recordProtection(flight.cipherSuite, flight.handshakeSecrets.server);
    // EncryptedExtensions, Certificate and half the CertificateVerify; then the rest and Finished.
    const cut = flight.encryptedExtensions.length + flight.certificate.length + 10;
    const toClient = Buffer.concat([
      plaintextRecord(ContentType.handshake, flight.serverHello),
      plaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1)),
      sealRecord(readKeys, ContentType.handshake, flight.handshakeBytes.subarray(0, cut), 300),
      sealRecord(readKeys, ContentType.handshake, flight.handshakeBytes.subarray(cut)),
    ]);
    const reply = client.receive(toClient);
    expect(client.complete).toBe(true);
    expect(typesOf(received(client, "handshake"))).toEqual(FIRST_FLIGHT);
    expect(client.records.map((r) => [r.level, r.type, r.length])).toEqual([
      ["initial", ContentType.handshake, flight.serverHello.length],
      ["initial", ContentType.change_cipher_spec, 1],
      ["handshake", ContentType.handshake, cut],
      ["handshake", ContentType.handshake, flight.handshakeBytes.length - cut],
    ]);

    // The reply is one record under the client handshake key, sequence 0: the client Finished.
    const writeKeys = recordProtection(flight.cipherSuite, flight.handshakeSecrets.client);
    const finished = openRecord(writeKeys, reply.subarray(0, 5), reply.subarray(5));
    expect(reply.length).toBe(5 + ((reply[3]! << 8) | reply[4]!));
    expect(finished.content[0]).toBe(H.finished);
    expect(finished.type).toBe(ContentType.handshake);
    expect(() => server.receiveClientFlight([finished.content])).not.toThrow();

    // Application data both ways, each direction's sequence starting at 0 under the new keys.
    const request = client.sealApplicationData(new TextEncoder().encode("ping"));
    const serverRead = recordProtection(flight.cipherSuite, flight.applicationSecrets.client);
    const opened = openRecord(serverRead, request.subarray(0, 5), request.subarray(5));
    expect(new TextDecoder().decode(opened.content)).toBe("ping");
    const serverWrite = recordProtection(flight.cipherSuite, flight.applicationSecrets.server);
    const pong = sealRecord(serverWrite, ContentType.application_data, new TextEncoder().encode("pong"), 7);
    expect(client.receive(pong)).toHaveLength(0);
    expect(new TextDecoder().decode(client.takeApplicationData())).toBe("pong");
    // A replayed record has the wrong sequence number, so it no longer authenticates.
    expect(() => client.receive(pong)).toThrow(/bad_record_mac/);
  });
});

describe("TLS 1.3 client against OpenSSL over TCP", { timeout: TEST_TIMEOUT }, () => {
  const suites = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
  ] as const;
  const curves = [
    { ecdhCurve: "X25519", group: "x25519", code: NamedGroup.x25519 },
    { ecdhCurve: "P-256", group: "secp256r1", code: NamedGroup.secp256r1 },
  ] as const;
  const keyTypes = ["ec", "rsa", "ed25519"] as const;
  const matrix = suites.flatMap((suite) =>
    curves.flatMap((curve) => keyTypes.map((keyType) => ({ suite, ...curve, keyType }))),
  );

  it.each(matrix)(
    "$suite, $ecdhCurve, $keyType certificate: handshake, then a request and its response",
    async ({ suite, ecdhCurve, group, code, keyType }) => {
      const server = await startOpenSslServer(serverOptions(leaves[keyType], { ciphers: suite, ecdhCurve }));
      // The client offers only the server's group, so no HelloRetryRequest is needed.
      const connection = new RecordConnection(server.port, clientOptions({ groups: [group] }));
      await expectWorkingConnection(server, connection, { cipher: suite });

      const { client, handshake } = connection;
      expect(selectedGroup(client)).toBe(code);
      expect(certificateVerifyScheme(client)).toBe(EXPECTED_SCHEME[keyType]);
      expect(handshake.peerCertificate?.raw.equals(new X509Certificate(leaves[keyType].cert).raw)).toBe(true);
      expect(typesOf(client.messages.filter((m) => m.direction === "sent"))).toEqual([
        H.client_hello,
        H.finished,
      ]);
      expect(typesOf(received(client, "initial"))).toEqual([H.server_hello]);
      expect(typesOf(received(client, "handshake"))).toEqual(FIRST_FLIGHT);
      // OpenSSL issues two tickets after our Finished, under the application keys.
      expect(typesOf(received(client, "application"))).toEqual([H.new_session_ticket, H.new_session_ticket]);
    },
  );

  it("completes a HelloRetryRequest: x25519 share offered, the server wants P-256", async () => {
    const server = await startOpenSslServer(serverOptions(leaves.ec, { ecdhCurve: "P-256" }));
    const connection = new RecordConnection(server.port, clientOptions({ groups: ["x25519", "secp256r1"] }));
    await expectWorkingConnection(server, connection, { cipher: NODE_DEFAULT_SUITE });

    const { client } = connection;
    const hellos = received(client, "initial");
    expect(typesOf(hellos)).toEqual([H.server_hello, H.server_hello]);
    const retry = decodeServerHello(hellos[0]!.body);
    expect(isHelloRetryRequest(retry)).toBe(true);
    expect(findExtension(retry.extensions, ExtensionType.key_share)).toEqual(Uint8Array.of(0x00, 0x17));
    expect(isHelloRetryRequest(decodeServerHello(hellos[1]!.body))).toBe(false);
    expect(selectedGroup(client)).toBe(NamedGroup.secp256r1);
    const sent = client.messages.filter((m) => m.direction === "sent");
    expect(typesOf(sent)).toEqual([H.client_hello, H.client_hello, H.finished]);
  });

  it("receives and keeps OpenSSL's NewSessionTickets", async () => {
    const server = await startOpenSslServer(serverOptions(leaves.ec, { sessionTimeout: 1234 }));
    const connection = new RecordConnection(server.port, clientOptions());
    await expectWorkingConnection(server, connection, { cipher: NODE_DEFAULT_SUITE });

    const tickets = connection.handshake.takeSessionTickets();
    expect(tickets).toHaveLength(2);
    for (const ticket of tickets) {
      // OpenSSL's ticket_lifetime is the session timeout.
      expect(ticket.lifetime).toBe(1234);
      expect(ticket.ticket.length).toBeGreaterThan(32);
      // SHA-384: the secret is as long as the suite's hash.
      expect(ticket.resumptionSecret).toHaveLength(48);
      expect(ticket.cipherSuite.name).toBe(NODE_DEFAULT_SUITE);
      expect(ticket.serverName).toBe("localhost");
      expect(ticket.alpnProtocol).toBe("http/1.1");
      expect(ticket.maxEarlyDataSize).toBeUndefined();
    }
    // Distinct nonces give distinct PSKs from the one resumption_master_secret.
    expect(toHex(tickets[0]!.nonce)).not.toBe(toHex(tickets[1]!.nonce));
    expect(toHex(tickets[0]!.resumptionSecret)).not.toBe(toHex(tickets[1]!.resumptionSecret));
    expect(connection.handshake.takeSessionTickets()).toEqual([]);
  });

  it("takes every record and handshake message in one-byte pieces", async () => {
    const server = await startOpenSslServer(
      serverOptions(leaves.rsa, { ciphers: "TLS_CHACHA20_POLY1305_SHA256" }),
    );
    const connection = new RecordConnection(server.port, clientOptions(), { byteAtATime: true });
    await expectWorkingConnection(server, connection, {
      cipher: "TLS_CHACHA20_POLY1305_SHA256",
      requestLength: 100,
    });
    expect(typesOf(received(connection.client, "handshake"))).toEqual(FIRST_FLIGHT);
  });

  it("reassembles a Certificate message split across records (a certificate over 16 KiB)", async () => {
    const hosts = ["localhost", ...Array.from({ length: 1_200 }, (_, i) => `host-${i}.interop.example`)];
    const big = pki.issue({ hosts });
    const server = await startOpenSslServer(serverOptions(big));
    const connection = new RecordConnection(server.port, clientOptions());
    await expectWorkingConnection(server, connection, { cipher: NODE_DEFAULT_SUITE });

    const { client } = connection;
    const certificate = received(client, "handshake").find((m) => m.type === H.certificate)!;
    expect(certificate.raw.length).toBeGreaterThan(MAX_PLAINTEXT_LENGTH);
    const handshakeRecords = client.records.filter((r) => r.level === "handshake");
    expect(
      handshakeRecords.some((r) => r.type === ContentType.handshake && r.length === MAX_PLAINTEXT_LENGTH),
    ).toBe(true);
    expect(handshakeRecords.length).toBeGreaterThan(FIRST_FLIGHT.length);
    expect(connection.handshake.peerCertificate?.subjectAltName).toContain("DNS:host-1199.interop.example");
  });

  it("pads its protected records, and OpenSSL strips the padding", async () => {
    const server = await startOpenSslServer(serverOptions(leaves.ec));
    const connection = new RecordConnection(server.port, clientOptions(), {
      padding: 200,
      maxFragmentLength: 1000,
    });
    await expectWorkingConnection(server, connection, { cipher: NODE_DEFAULT_SUITE });
  });

  describe("client certificate requests", () => {
    it("declines with an empty Certificate; a server that does not insist goes on", async () => {
      const server = await startOpenSslServer(
        serverOptions(leaves.ec, { requestCert: true, rejectUnauthorized: false }),
      );
      const connection = new RecordConnection(server.port, clientOptions());
      const session = await expectWorkingConnection(server, connection, { cipher: NODE_DEFAULT_SUITE });
      expect(session.authorized).toBe(false);
      const { client } = connection;
      expect(typesOf(received(client, "handshake"))).toEqual([
        H.encrypted_extensions,
        H.certificate_request,
        H.certificate,
        H.certificate_verify,
        H.finished,
      ]);
      const sent = client.messages.filter((m) => m.direction === "sent" && m.level === "handshake");
      expect(typesOf(sent)).toEqual([H.certificate, H.finished]);
      // certificate_request_context (empty) and an empty certificate_list.
      expect(toHex(sent[0]!.body)).toBe("00000000");
    });

    it("a server that insists sends certificate_required under its application keys", async () => {
      const server = await startOpenSslServer(
        serverOptions(leaves.ec, { requestCert: true, rejectUnauthorized: true }),
      );
      const connection = new RecordConnection(server.port, clientOptions());
      // Our side completes when it sends its Finished; the server's verdict comes after.
      await connection.until(() => connection.handshake.complete, "the handshake");
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsPeerAlertError);
      expect((error as TlsPeerAlertError).alert).toBe(TlsAlert.certificate_required);
      expect((error as TlsPeerAlertError).level).toBe("application");
      expect(server.sessions).toEqual([]);
      await eventually(() => server.clientErrors.length > 0, "the server's tlsClientError");
      expect(server.clientErrors[0]!.code).toBe("ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE");
    });
  });

  describe("ALPN", () => {
    // Node's ALPN select callback answers a mismatch with a fatal no_application_protocol
    // alert, as RFC 7301 §3.2 says, so the server's own alert 120 arrives in plaintext in place
    // of a ServerHello, and our client's check never gets to run. The server-without-ALPN test
    // below is where our client's own no_application_protocol is exercised.
    it("server offers only http/1.1, the client asks for h3: the server's alert 120 arrives", async () => {
      const server = await startOpenSslServer(serverOptions(leaves.ec));
      const connection = new RecordConnection(server.port, clientOptions({ alpnProtocols: ["h3"] }));
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsPeerAlertError);
      expect((error as TlsPeerAlertError).alert).toBe(TlsAlert.no_application_protocol);
      expect((error as TlsPeerAlertError).level).toBe("initial");
      expect(connection.sentAlert).toBeUndefined();
      expect(received(connection.client)).toEqual([]);
      await eventually(() => server.clientErrors.length > 0, "the server's tlsClientError");
      expect(server.clientErrors[0]!.code).toBe("ERR_SSL_NO_APPLICATION_PROTOCOL");
    });

    // A server without ALPN ignores the extension; then it is our client that refuses.
    it("server without ALPN: our client fails with no_application_protocol and tells the server", async () => {
      const server = await startOpenSslServer({ key: leaves.ec.key, cert: leaves.ec.chain });
      const connection = new RecordConnection(server.port, clientOptions({ alpnProtocols: ["h3"] }));
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsAlertError);
      expect((error as TlsAlertError).alert).toBe(TlsAlert.no_application_protocol);
      expect(error.message).toContain("the server selected no ALPN protocol");
      expect(connection.sentAlert).toBe(TlsAlert.no_application_protocol);
      // The alert went under the client handshake key; OpenSSL decrypted and reported it.
      await eventually(() => server.clientErrors.length > 0, "the server's tlsClientError");
      expect(server.clientErrors[0]!.code).toBe("ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL");
      expect(server.sessions).toEqual([]);
    });
  });

  describe("certificate failures, reported to OpenSSL as our alert", () => {
    const cases = [
      {
        name: "wrong host name",
        certificate: () => leaves.ec,
        serverName: "wrong.example",
        alert: TlsAlert.bad_certificate,
        cause: "ERR_TLS_CERT_ALTNAME_INVALID",
        serverCode: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
      },
      {
        name: "certificate from another CA",
        certificate: () => createTestPki().issue(),
        serverName: "localhost",
        alert: TlsAlert.unknown_ca,
        cause: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        serverCode: "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
      },
      {
        name: "expired certificate",
        certificate: () =>
          pki.issue({
            notBefore: new Date(Date.now() - 10 * 86_400_000),
            notAfter: new Date(Date.now() - 86_400_000),
          }),
        serverName: "localhost",
        alert: TlsAlert.certificate_expired,
        cause: "CERT_HAS_EXPIRED",
        serverCode: "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED",
      },
    ];

    it.each(cases)("$name → alert $alert", async ({ certificate, serverName, alert, cause, serverCode }) => {
      const server = await startOpenSslServer(serverOptions(certificate()));
      const connection = new RecordConnection(server.port, clientOptions({ serverName }));
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsAlertError);
      expect((error as TlsAlertError).alert).toBe(alert);
      expect(((error as TlsAlertError).cause as { code?: string }).code).toBe(cause);
      expect(connection.sentAlert).toBe(alert);
      expect(server.sni).toEqual([serverName]);
      await eventually(() => server.clientErrors.length > 0, "the server's tlsClientError");
      expect(server.clientErrors[0]!.code).toBe(serverCode);
      expect(server.sessions).toEqual([]);
    });
  });

  describe("broken servers", () => {
    it("closes right after the ClientHello: a closed-connection error", async () => {
      let clientHello: Buffer | undefined;
      const port = await startTcpServer((socket) =>
        socket.once("data", (data: Buffer) => {
          clientHello = data;
          socket.end();
        }),
      );
      const connection = new RecordConnection(port, clientOptions());
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsConnectionClosedError);
      expect(error.message).toContain("during the handshake, reading at the initial level");
      expect((error as TlsConnectionClosedError).bytesReceived).toBe(0);
      // What the server got was one plaintext handshake record holding a ClientHello.
      expect(clientHello?.[0]).toBe(ContentType.handshake);
      expect(clientHello?.readUInt16BE(1)).toBe(0x0301);
      expect(clientHello?.[5]).toBe(H.client_hello);
      expect(clientHello?.length).toBe(5 + clientHello!.readUInt16BE(3));
    });

    it("OpenSSL's flight cut off inside the first protected record", async () => {
      const server = await startOpenSslServer(serverOptions(leaves.ec));
      const port = await startRecordRelay(server.port, (record) =>
        record[0] === ContentType.application_data
          ? { forward: record.subarray(0, 20), end: true }
          : { forward: record },
      );
      const connection = new RecordConnection(port, clientOptions());
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsConnectionClosedError);
      expect(error.message).toContain("reading at the handshake level");
      expect(error.message).toContain("20 of them in an incomplete record");
      expect(typesOf(received(connection.client))).toEqual([H.server_hello]);
    });

    it("one flipped bit in OpenSSL's first protected record: bad_record_mac, reported to OpenSSL", async () => {
      const server = await startOpenSslServer(serverOptions(leaves.ec));
      let tampered = false;
      const port = await startRecordRelay(server.port, (record) => {
        if (record[0] !== ContentType.application_data || tampered) return { forward: record };
        tampered = true;
        const copy = Buffer.from(record);
        copy[10]! ^= 0x01;
        return { forward: copy };
      });
      const connection = new RecordConnection(port, clientOptions());
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsAlertError);
      expect((error as TlsAlertError).alert).toBe(TlsAlert.bad_record_mac);
      expect(connection.sentAlert).toBe(TlsAlert.bad_record_mac);
      await eventually(() => server.clientErrors.length > 0, "the server's tlsClientError");
      expect(server.clientErrors[0]!.code).toBe("ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC");
    });

    it("answers in HTTP: unexpected_message at the first byte", async () => {
      const port = await startTcpServer((socket) =>
        socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")),
      );
      const connection = new RecordConnection(port, clientOptions());
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsAlertError);
      expect((error as TlsAlertError).alert).toBe(TlsAlert.unexpected_message);
      expect(error.message).toContain("record type 72 (0x48) is not a TLS content type");
    });

    it("announces a 16 MiB ServerHello: refused at once, not waited for", async () => {
      const record = Buffer.alloc(5 + 100, 0xa5);
      record.set([ContentType.handshake, 3, 3, 0, 100]);
      record[5] = H.server_hello;
      record.writeUIntBE(0xffffff, 6, 3);
      const port = await startTcpServer((socket) => socket.once("data", () => socket.write(record)));
      const connection = new RecordConnection(port, clientOptions());
      const error = await connection.failure();
      expect(error).toBeInstanceOf(TlsAlertError);
      expect((error as TlsAlertError).alert).toBe(TlsAlert.illegal_parameter);
      expect(error.message).toContain("16777215 bytes exceeds the 65536-byte limit");
    });

    it("never answers: the wait is bounded", async () => {
      const port = await startTcpServer(() => {});
      const connection = new RecordConnection(port, clientOptions());
      const error = await connection.failure(300);
      expect(error.message).toBe("timed out after 300 ms waiting for a failure");
      expect(connection.handshake.complete).toBe(false);
    });
  });
});
