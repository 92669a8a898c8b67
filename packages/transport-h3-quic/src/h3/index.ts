/**
 * A minimal HTTP/3 client (RFC 9114) with static-only QPACK (RFC 9204), on top of a QUIC session
 * such as `quic.connectQuic`'s. This entry point is the module's whole public surface.
 *
 * What is here: HTTP/3 frames and `FrameReader`, SETTINGS and GOAWAY; QPACK field sections with
 * the static table and literals, and the HPACK Huffman decoder; `MinimalH3Client`, which sends
 * GET and HEAD requests and streams the response body; `H3Error` with the error codes of
 * RFC 9114 §8.1 and RFC 9204 §6.
 *
 * What is not here yet: request bodies and other methods, the QPACK dynamic table, server push,
 * and an nq `Transport` over it (with Alt-Svc discovery and the mapping to `TransportError`).
 *
 * @packageDocumentation
 */
export { H3Error, H3ErrorCode, h3ErrorName } from "./errors.js";
export {
  decodeFieldSection,
  decodePrefixedInteger,
  encodeFieldSection,
  encodePrefixedInteger,
  type H3Field,
} from "./field-section.js";
export {
  decodeGoaway,
  decodeSettings,
  encodeH3Frame,
  encodeSettings,
  type FrameEvent,
  FrameReader,
  type FrameReaderOptions,
  H3FrameType,
  H3SettingId,
  H3StreamType,
  HTTP2_ONLY_FRAME_TYPES,
} from "./frames.js";
export { HUFFMAN_CODES, huffmanDecode } from "./huffman.js";
export {
  type H3InformationalResponse,
  type H3QuicSession,
  type H3RequestOptions,
  type H3Response,
  type H3Stream,
  MinimalH3Client,
  type MinimalH3ClientOptions,
} from "./minimal-client.js";
export { QPACK_STATIC_TABLE } from "./qpack-static.js";
