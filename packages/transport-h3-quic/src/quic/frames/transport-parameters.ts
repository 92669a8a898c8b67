/**
 * QUIC transport parameters (RFC 9000 §18): the body of the TLS quic_transport_parameters
 * extension (0x39, RFC 9001 §8.2), a sequence of (id varint, length varint, value).
 *
 * Decoding applies the defaults of §18.2 to absent parameters and enforces every rule §18.2 and
 * §7.4 put on values, with TRANSPORT_PARAMETER_ERROR. Unknown ids (including the reserved
 * 31·N+27 "GREASE" ids of §18.1) are kept, not rejected: §7.4.2 has endpoints ignore them.
 *
 * @packageDocumentation
 */

import { BufferReader, BufferWriter } from "../buffer.js";
import { QuicError, TransportErrorCode } from "../errors.js";
import { varintLength } from "../varint.js";

/**
 * The transport parameter ids of RFC 9000 §18.2 (Table 6).
 *
 * @alpha
 */
export const TransportParameterId = {
  ORIGINAL_DESTINATION_CONNECTION_ID: 0x00,
  MAX_IDLE_TIMEOUT: 0x01,
  STATELESS_RESET_TOKEN: 0x02,
  MAX_UDP_PAYLOAD_SIZE: 0x03,
  INITIAL_MAX_DATA: 0x04,
  INITIAL_MAX_STREAM_DATA_BIDI_LOCAL: 0x05,
  INITIAL_MAX_STREAM_DATA_BIDI_REMOTE: 0x06,
  INITIAL_MAX_STREAM_DATA_UNI: 0x07,
  INITIAL_MAX_STREAMS_BIDI: 0x08,
  INITIAL_MAX_STREAMS_UNI: 0x09,
  ACK_DELAY_EXPONENT: 0x0a,
  MAX_ACK_DELAY: 0x0b,
  DISABLE_ACTIVE_MIGRATION: 0x0c,
  PREFERRED_ADDRESS: 0x0d,
  ACTIVE_CONNECTION_ID_LIMIT: 0x0e,
  INITIAL_SOURCE_CONNECTION_ID: 0x0f,
  RETRY_SOURCE_CONNECTION_ID: 0x10,
} as const;

/**
 * The server's preferred_address (RFC 9000 §18.2, §9.6).
 *
 * @alpha
 */
export interface PreferredAddress {
  /** 4 bytes; all zero with port 0 when the server offers no IPv4 address. */
  readonly ipv4Address: Uint8Array;
  /** The IPv4 port. */
  readonly ipv4Port: number;
  /** 16 bytes; all zero with port 0 when the server offers no IPv6 address. */
  readonly ipv6Address: Uint8Array;
  /** The IPv6 port. */
  readonly ipv6Port: number;
  /** 1 to 20 bytes. */
  readonly connectionId: Uint8Array;
  /** 16 bytes. */
  readonly statelessResetToken: Uint8Array;
}

/**
 * A transport parameter this module does not interpret, kept as received.
 *
 * @alpha
 */
export interface UnknownTransportParameter {
  /** The parameter id. */
  readonly id: bigint;
  /** The raw value, a view into the received bytes. */
  readonly value: Uint8Array;
}

/**
 * A full set of transport parameters, with the RFC 9000 §18.2 defaults where one was absent.
 *
 * @alpha
 */
export interface TransportParameters {
  /** Server only: the DCID of the client's first Initial (§7.3). */
  readonly originalDestinationConnectionId?: Uint8Array;
  /** Milliseconds; 0 means no idle timeout from this side. */
  readonly maxIdleTimeout: number;
  /** Server only: 16 bytes. */
  readonly statelessResetToken?: Uint8Array;
  /** At least 1200; default 65527. */
  readonly maxUdpPayloadSize: number;
  /** The initial connection flow control limit, in bytes. */
  readonly initialMaxData: number;
  /** The initial limit on bidirectional streams the sender opens. */
  readonly initialMaxStreamDataBidiLocal: number;
  /** The initial limit on bidirectional streams the receiver opens. */
  readonly initialMaxStreamDataBidiRemote: number;
  /** The initial limit on unidirectional streams the receiver opens. */
  readonly initialMaxStreamDataUni: number;
  /** At most 2^60. */
  readonly initialMaxStreamsBidi: number;
  /** At most 2^60. */
  readonly initialMaxStreamsUni: number;
  /** At most 20; default 3. */
  readonly ackDelayExponent: number;
  /** Milliseconds, below 2^14; default 25. */
  readonly maxAckDelay: number;
  /** The sender does not support connection migration to a new address. */
  readonly disableActiveMigration: boolean;
  /** Server only. */
  readonly preferredAddress?: PreferredAddress;
  /** At least 2; default 2. */
  readonly activeConnectionIdLimit: number;
  /** The SCID of the sender's first Initial (§7.3); every endpoint sends it. */
  readonly initialSourceConnectionId?: Uint8Array;
  /** Server only, after a Retry: the SCID of the Retry packet (§7.3). */
  readonly retrySourceConnectionId?: Uint8Array;
  /** Parameters with ids this module does not know, in the order received. */
  readonly unknown: readonly UnknownTransportParameter[];
}

/**
 * The values of absent parameters (RFC 9000 §18.2).
 *
 * @alpha
 */
export const DEFAULT_TRANSPORT_PARAMETERS: TransportParameters = Object.freeze({
  maxIdleTimeout: 0,
  maxUdpPayloadSize: 65527,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  disableActiveMigration: false,
  activeConnectionIdLimit: 2,
  unknown: Object.freeze([]),
});

/**
 * Which endpoint sent the parameters: a client may not send the server-only ones (§18.2).
 *
 * @alpha
 */
export type TransportParameterSender = "client" | "server";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ERROR = TransportErrorCode.TRANSPORT_PARAMETER_ERROR;
const MAX_STREAMS_LIMIT = 1n << 60n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const SERVER_ONLY: ReadonlySet<number> = new Set([
  TransportParameterId.ORIGINAL_DESTINATION_CONNECTION_ID,
  TransportParameterId.STATELESS_RESET_TOKEN,
  TransportParameterId.PREFERRED_ADDRESS,
  TransportParameterId.RETRY_SOURCE_CONNECTION_ID,
]);

function fail(message: string): never {
  throw new QuicError(ERROR, message);
}

/** An integer parameter: one varint that must fill the value exactly (§18). */
function readIntegerValue(value: Uint8Array, name: string): bigint {
  const r = new BufferReader(value, 0, value.length, { errorCode: ERROR });
  const n = r.readVarintBigInt(name);
  if (r.remaining !== 0) fail(`${name} has ${r.remaining} bytes after its varint`);
  return n;
}

function asNumber(value: bigint): number {
  return value > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(value);
}

function connectionIdValue(value: Uint8Array, name: string): Uint8Array {
  if (value.length > 20) fail(`${name} longer than 20 bytes`);
  return value;
}

function decodePreferredAddress(value: Uint8Array): PreferredAddress {
  const r = new BufferReader(value, 0, value.length, { errorCode: ERROR });
  const ipv4Address = r.readBytes(4, "preferred IPv4 address");
  const ipv4Port = r.readUint16();
  const ipv6Address = r.readBytes(16, "preferred IPv6 address");
  const ipv6Port = r.readUint16();
  const length = r.readUint8();
  // §18.2: "A server MUST NOT include a zero-length connection ID in this transport parameter.
  // A client MUST treat a violation of this requirement as a connection error of type
  // TRANSPORT_PARAMETER_ERROR."
  if (length < 1 || length > 20) fail(`preferred address connection ID length ${length} outside 1..20`);
  const connectionId = r.readBytes(length, "preferred address connection ID");
  const statelessResetToken = r.readBytes(16, "preferred address reset token");
  if (r.remaining !== 0) fail("trailing bytes after preferred_address");
  return { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
}

/**
 * Decodes and validates the transport parameters `sender` sent. Every violation of §18.2 or
 * §7.4 throws a `QuicError` with TRANSPORT_PARAMETER_ERROR.
 *
 * @alpha
 */
export function decodeTransportParameters(
  bytes: Uint8Array,
  sender: TransportParameterSender,
): TransportParameters {
  const r = new BufferReader(bytes, 0, bytes.length, { errorCode: ERROR });
  const params: Mutable<TransportParameters> = { ...DEFAULT_TRANSPORT_PARAMETERS, unknown: [] };
  const unknown: UnknownTransportParameter[] = [];
  const seen = new Set<bigint>();
  while (r.remaining > 0) {
    const id = r.readVarintBigInt("parameter id");
    const value = r.readVarintPrefixedBytes("parameter value");
    // §7.4: "An endpoint SHOULD treat receipt of duplicate transport parameters as a
    // connection error of type TRANSPORT_PARAMETER_ERROR."
    if (seen.has(id)) fail(`transport parameter 0x${id.toString(16)} appears twice`);
    seen.add(id);
    if (id > 0x10n) {
      unknown.push({ id, value });
      continue;
    }
    const known = Number(id);
    if (sender === "client" && SERVER_ONLY.has(known))
      fail(`a client sent server-only parameter 0x${known.toString(16)}`);
    switch (known) {
      case TransportParameterId.ORIGINAL_DESTINATION_CONNECTION_ID:
        params.originalDestinationConnectionId = connectionIdValue(
          value,
          "original_destination_connection_id",
        );
        break;
      case TransportParameterId.MAX_IDLE_TIMEOUT:
        params.maxIdleTimeout = asNumber(readIntegerValue(value, "max_idle_timeout"));
        break;
      case TransportParameterId.STATELESS_RESET_TOKEN:
        if (value.length !== 16) fail("stateless_reset_token is not 16 bytes");
        params.statelessResetToken = value;
        break;
      case TransportParameterId.MAX_UDP_PAYLOAD_SIZE: {
        const size = readIntegerValue(value, "max_udp_payload_size");
        if (size < 1200n) fail(`max_udp_payload_size ${size} is below 1200`);
        params.maxUdpPayloadSize = asNumber(size);
        break;
      }
      case TransportParameterId.INITIAL_MAX_DATA:
        params.initialMaxData = asNumber(readIntegerValue(value, "initial_max_data"));
        break;
      case TransportParameterId.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL:
        params.initialMaxStreamDataBidiLocal = asNumber(
          readIntegerValue(value, "initial_max_stream_data_bidi_local"),
        );
        break;
      case TransportParameterId.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE:
        params.initialMaxStreamDataBidiRemote = asNumber(
          readIntegerValue(value, "initial_max_stream_data_bidi_remote"),
        );
        break;
      case TransportParameterId.INITIAL_MAX_STREAM_DATA_UNI:
        params.initialMaxStreamDataUni = asNumber(readIntegerValue(value, "initial_max_stream_data_uni"));
        break;
      case TransportParameterId.INITIAL_MAX_STREAMS_BIDI:
      case TransportParameterId.INITIAL_MAX_STREAMS_UNI: {
        const name =
          known === TransportParameterId.INITIAL_MAX_STREAMS_BIDI
            ? "initial_max_streams_bidi"
            : "initial_max_streams_uni";
        const count = readIntegerValue(value, name);
        // §4.6: a stream limit above 2^60 in a transport parameter is TRANSPORT_PARAMETER_ERROR.
        if (count > MAX_STREAMS_LIMIT) fail(`${name} ${count} exceeds 2^60`);
        if (known === TransportParameterId.INITIAL_MAX_STREAMS_BIDI)
          params.initialMaxStreamsBidi = asNumber(count);
        else params.initialMaxStreamsUni = asNumber(count);
        break;
      }
      case TransportParameterId.ACK_DELAY_EXPONENT: {
        const exponent = readIntegerValue(value, "ack_delay_exponent");
        if (exponent > 20n) fail(`ack_delay_exponent ${exponent} exceeds 20`);
        params.ackDelayExponent = Number(exponent);
        break;
      }
      case TransportParameterId.MAX_ACK_DELAY: {
        const delay = readIntegerValue(value, "max_ack_delay");
        if (delay >= 1n << 14n) fail(`max_ack_delay ${delay} is not below 2^14`);
        params.maxAckDelay = Number(delay);
        break;
      }
      case TransportParameterId.DISABLE_ACTIVE_MIGRATION:
        if (value.length !== 0) fail("disable_active_migration has a value");
        params.disableActiveMigration = true;
        break;
      case TransportParameterId.PREFERRED_ADDRESS:
        params.preferredAddress = decodePreferredAddress(value);
        break;
      case TransportParameterId.ACTIVE_CONNECTION_ID_LIMIT: {
        const limit = readIntegerValue(value, "active_connection_id_limit");
        if (limit < 2n) fail(`active_connection_id_limit ${limit} is below 2`);
        params.activeConnectionIdLimit = asNumber(limit);
        break;
      }
      case TransportParameterId.INITIAL_SOURCE_CONNECTION_ID:
        params.initialSourceConnectionId = connectionIdValue(value, "initial_source_connection_id");
        break;
      case TransportParameterId.RETRY_SOURCE_CONNECTION_ID:
        params.retrySourceConnectionId = connectionIdValue(value, "retry_source_connection_id");
        break;
    }
  }
  params.unknown = unknown;
  return params;
}

/**
 * Parameters to send: any subset; absent ones are left out and the peer applies the defaults.
 *
 * @alpha
 */
export type TransportParametersInit = Partial<TransportParameters>;

function writeInteger(w: BufferWriter, id: number, value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer`);
  w.writeVarint(id).writeVarint(varintLength(value)).writeVarint(value);
}

function writeBytes(w: BufferWriter, id: number | bigint, value: Uint8Array): void {
  w.writeVarint(id).writeVarintPrefixedBytes(value);
}

/**
 * Encodes transport parameters, in id order, unknown ones last. Values outside what §18.2
 * allows are a `RangeError`: sending them would make the peer close the connection.
 *
 * @alpha
 */
export function encodeTransportParameters(params: TransportParametersInit): Uint8Array {
  const w = new BufferWriter(128);
  const id = TransportParameterId;
  if (params.originalDestinationConnectionId !== undefined) {
    if (params.originalDestinationConnectionId.length > 20)
      throw new RangeError("connection ID longer than 20 bytes");
    writeBytes(w, id.ORIGINAL_DESTINATION_CONNECTION_ID, params.originalDestinationConnectionId);
  }
  if (params.maxIdleTimeout !== undefined)
    writeInteger(w, id.MAX_IDLE_TIMEOUT, params.maxIdleTimeout, "max_idle_timeout");
  if (params.statelessResetToken !== undefined) {
    if (params.statelessResetToken.length !== 16)
      throw new RangeError("stateless_reset_token must be 16 bytes");
    writeBytes(w, id.STATELESS_RESET_TOKEN, params.statelessResetToken);
  }
  if (params.maxUdpPayloadSize !== undefined) {
    if (params.maxUdpPayloadSize < 1200) throw new RangeError("max_udp_payload_size must be at least 1200");
    writeInteger(w, id.MAX_UDP_PAYLOAD_SIZE, params.maxUdpPayloadSize, "max_udp_payload_size");
  }
  if (params.initialMaxData !== undefined)
    writeInteger(w, id.INITIAL_MAX_DATA, params.initialMaxData, "initial_max_data");
  if (params.initialMaxStreamDataBidiLocal !== undefined) {
    writeInteger(
      w,
      id.INITIAL_MAX_STREAM_DATA_BIDI_LOCAL,
      params.initialMaxStreamDataBidiLocal,
      "initial_max_stream_data_bidi_local",
    );
  }
  if (params.initialMaxStreamDataBidiRemote !== undefined) {
    writeInteger(
      w,
      id.INITIAL_MAX_STREAM_DATA_BIDI_REMOTE,
      params.initialMaxStreamDataBidiRemote,
      "initial_max_stream_data_bidi_remote",
    );
  }
  if (params.initialMaxStreamDataUni !== undefined) {
    writeInteger(
      w,
      id.INITIAL_MAX_STREAM_DATA_UNI,
      params.initialMaxStreamDataUni,
      "initial_max_stream_data_uni",
    );
  }
  for (const [key, paramId, name] of [
    ["initialMaxStreamsBidi", id.INITIAL_MAX_STREAMS_BIDI, "initial_max_streams_bidi"],
    ["initialMaxStreamsUni", id.INITIAL_MAX_STREAMS_UNI, "initial_max_streams_uni"],
  ] as const) {
    const value = params[key];
    if (value === undefined) continue;
    if (BigInt(value) > MAX_STREAMS_LIMIT) throw new RangeError(`${name} exceeds 2^60`);
    writeInteger(w, paramId, value, name);
  }
  if (params.ackDelayExponent !== undefined) {
    if (params.ackDelayExponent > 20) throw new RangeError("ack_delay_exponent must be at most 20");
    writeInteger(w, id.ACK_DELAY_EXPONENT, params.ackDelayExponent, "ack_delay_exponent");
  }
  if (params.maxAckDelay !== undefined) {
    if (params.maxAckDelay >= 2 ** 14) throw new RangeError("max_ack_delay must be below 2^14");
    writeInteger(w, id.MAX_ACK_DELAY, params.maxAckDelay, "max_ack_delay");
  }
  if (params.disableActiveMigration) writeBytes(w, id.DISABLE_ACTIVE_MIGRATION, new Uint8Array(0));
  if (params.preferredAddress !== undefined)
    writeBytes(w, id.PREFERRED_ADDRESS, encodePreferredAddress(params.preferredAddress));
  if (params.activeConnectionIdLimit !== undefined) {
    if (params.activeConnectionIdLimit < 2)
      throw new RangeError("active_connection_id_limit must be at least 2");
    writeInteger(
      w,
      id.ACTIVE_CONNECTION_ID_LIMIT,
      params.activeConnectionIdLimit,
      "active_connection_id_limit",
    );
  }
  if (params.initialSourceConnectionId !== undefined) {
    if (params.initialSourceConnectionId.length > 20)
      throw new RangeError("connection ID longer than 20 bytes");
    writeBytes(w, id.INITIAL_SOURCE_CONNECTION_ID, params.initialSourceConnectionId);
  }
  if (params.retrySourceConnectionId !== undefined) {
    if (params.retrySourceConnectionId.length > 20)
      throw new RangeError("connection ID longer than 20 bytes");
    writeBytes(w, id.RETRY_SOURCE_CONNECTION_ID, params.retrySourceConnectionId);
  }
  for (const extra of params.unknown ?? []) {
    if (extra.id <= 0x10n) throw new RangeError(`parameter 0x${extra.id.toString(16)} is not unknown`);
    writeBytes(w, extra.id, extra.value);
  }
  return w.toBytes();
}

function encodePreferredAddress(address: PreferredAddress): Uint8Array {
  const { ipv4Address, ipv6Address, connectionId, statelessResetToken } = address;
  if (ipv4Address.length !== 4 || ipv6Address.length !== 16)
    throw new RangeError("preferred address of the wrong size");
  if (connectionId.length < 1 || connectionId.length > 20)
    throw new RangeError("preferred address connection ID must be 1..20 bytes");
  if (statelessResetToken.length !== 16)
    throw new RangeError("preferred address reset token must be 16 bytes");
  const w = new BufferWriter(64);
  w.writeBytes(ipv4Address)
    .writeUint16(address.ipv4Port)
    .writeBytes(ipv6Address)
    .writeUint16(address.ipv6Port);
  w.writeUint8(connectionId.length).writeBytes(connectionId).writeBytes(statelessResetToken);
  return w.toBytes();
}
