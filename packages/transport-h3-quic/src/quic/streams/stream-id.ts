/**
 * Stream IDs (RFC 9000 §2.1): the two low bits say who opened the stream (bit 0: 0 client,
 * 1 server) and whether it is bidirectional (bit 1: 0 bidirectional, 1 unidirectional); the
 * rest is the stream's index among streams of its type. So a client opens bidirectional
 * streams 0, 4, 8… and unidirectional 2, 6, 10…; a server 1, 5, 9… and 3, 7, 11….
 *
 * IDs go up to 2^62−1, past the 32 bits JavaScript's bitwise operators see, so the arithmetic
 * here is `%` and division, never `&` or `>>`.
 *
 * @packageDocumentation
 */

/**
 * Which endpoint this is, or which endpoint opened a stream.
 *
 * @alpha
 */
export type StreamRole = "client" | "server";

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`not a stream ID: ${id}`);
}

/**
 * Whether stream `id` is bidirectional (bit 1 clear).
 *
 * @alpha
 */
export function isBidirectionalStream(id: number): boolean {
  checkId(id);
  return id % 4 < 2;
}

/**
 * The endpoint that opened stream `id` (bit 0).
 *
 * @alpha
 */
export function streamInitiator(id: number): StreamRole {
  checkId(id);
  return id % 2 === 0 ? "client" : "server";
}

/**
 * The stream's position among streams of the same initiator and direction: 0 for the first.
 *
 * @alpha
 */
export function streamIndex(id: number): number {
  checkId(id);
  return Math.floor(id / 4);
}

/**
 * The ID of the `index`-th stream that `initiator` opens in the given direction.
 *
 * @alpha
 */
export function streamId(initiator: StreamRole, bidirectional: boolean, index: number): number {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`not a stream index: ${index}`);
  return index * 4 + (bidirectional ? 0 : 2) + (initiator === "server" ? 1 : 0);
}
