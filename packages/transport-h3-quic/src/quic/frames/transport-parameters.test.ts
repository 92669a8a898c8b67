import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { QuicError, TransportErrorCode } from "../errors.js";
import { transportParameters } from "../test-support/arbitraries.js";
import { fromHex, toHex } from "../test-support/hex.js";
import { A2, DCID } from "../test-support/rfc9001-vectors.js";
import {
  DEFAULT_TRANSPORT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
  type TransportParameterSender,
} from "./transport-parameters.js";

function decodeError(hex: string, sender: TransportParameterSender = "server"): QuicError {
  try {
    decodeTransportParameters(fromHex(hex), sender);
  } catch (error) {
    if (error instanceof QuicError) return error;
    throw error;
  }
  throw new Error(`decoded without error: ${hex}`);
}

/** The quic_transport_parameters extension (0x0039) inside the RFC 9001 A.2 ClientHello. */
function a2TransportParameters(): Uint8Array {
  const crypto = toHex(fromHex(A2.cryptoFrame));
  const at = crypto.indexOf("00390032");
  expect(at).toBeGreaterThan(0);
  return fromHex(crypto.slice(at + 8, at + 8 + 2 * 0x32));
}

describe("transport parameters (RFC 9000 §18)", () => {
  it("decodes the client's parameters in the RFC 9001 A.2 ClientHello", () => {
    const params = decodeTransportParameters(a2TransportParameters(), "client");
    expect(params).toEqual({
      ...DEFAULT_TRANSPORT_PARAMETERS,
      // initial_max_data is 2^62−1 on the wire: larger than any window, so it saturates.
      initialMaxData: Number.MAX_SAFE_INTEGER,
      initialMaxStreamDataBidiLocal: 65535,
      initialMaxStreamDataBidiRemote: 65535,
      initialMaxStreamDataUni: 65535,
      initialMaxStreamsBidi: 16,
      initialMaxStreamsUni: 16,
      maxIdleTimeout: 30000,
      initialSourceConnectionId: fromHex(DCID),
      unknown: [],
    });
  });

  it("applies the §18.2 defaults to an empty set", () => {
    expect(decodeTransportParameters(new Uint8Array(0), "server")).toEqual(DEFAULT_TRANSPORT_PARAMETERS);
    expect(DEFAULT_TRANSPORT_PARAMETERS).toMatchObject({
      maxUdpPayloadSize: 65527,
      ackDelayExponent: 3,
      maxAckDelay: 25,
      activeConnectionIdLimit: 2,
    });
  });

  it("keeps unknown and reserved (31·N+27) parameters instead of failing (§7.4.2, §18.1)", () => {
    const params = decodeTransportParameters(fromHex("1b 02 abcd 4064 00 01 02 4400"), "client");
    expect(params.unknown).toEqual([
      { id: 27n, value: fromHex("abcd") },
      { id: 100n, value: new Uint8Array(0) },
    ]);
    expect(params.maxIdleTimeout).toBe(1024);
  });

  it("round-trips any valid set", () => {
    fc.assert(
      fc.property(transportParameters, (init) => {
        const decoded = decodeTransportParameters(encodeTransportParameters(init), "server");
        const expected = { ...DEFAULT_TRANSPORT_PARAMETERS, ...init, unknown: init.unknown ?? [] };
        expect(decoded).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it.each<[string, string, TransportParameterSender?]>([
    ["a duplicate parameter (§7.4)", "01 01 05 01 01 06"],
    ["a duplicate unknown parameter", "1b 00 1b 00"],
    ["original_destination_connection_id from a client", "00 00", "client"],
    ["stateless_reset_token from a client", `02 10 ${"00".repeat(16)}`, "client"],
    ["preferred_address from a client", `0d 00`, "client"],
    ["retry_source_connection_id from a client", "10 00", "client"],
    ["a reset token of 15 bytes", `02 0f ${"00".repeat(15)}`],
    ["max_udp_payload_size below 1200", "03 02 44af"],
    ["ack_delay_exponent above 20", "0a 01 15"],
    ["max_ack_delay of 2^14", "0b 04 80004000"],
    ["active_connection_id_limit below 2", "0e 01 01"],
    ["initial_max_streams_bidi above 2^60 (§4.6)", "08 08 d000000000000001"],
    ["initial_max_streams_uni above 2^60", "09 08 ffffffffffffffff"],
    ["an integer with trailing bytes", "04 02 0500"],
    ["an integer value that is empty", "04 00"],
    ["disable_active_migration with a value", "0c 01 00"],
    ["a connection ID over 20 bytes", `0f 15 ${"00".repeat(21)}`],
    [
      "a preferred_address with a zero-length connection ID",
      `0d 29 ${"00".repeat(24)} 00 ${"00".repeat(16)}`,
    ],
    ["a preferred_address with trailing bytes", `0d 2b ${"00".repeat(24)} 01 aa ${"00".repeat(16)} 00`],
    ["a truncated value", "04 04 8000"],
    ["a truncated length", "04"],
  ])("rejects %s with TRANSPORT_PARAMETER_ERROR", (_, hex, sender) => {
    expect(decodeError(hex, sender ?? "server").code).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });

  it("decodes a server's preferred_address", () => {
    const hex = `0d 2d c0000201 01bb ${"20010db8".padEnd(32, "0")} 01bb 04 01020304 ${"ab".repeat(16)}`;
    expect(decodeTransportParameters(fromHex(hex), "server").preferredAddress).toEqual({
      ipv4Address: fromHex("c0000201"),
      ipv4Port: 443,
      ipv6Address: fromHex("20010db8".padEnd(32, "0")),
      ipv6Port: 443,
      connectionId: fromHex("01020304"),
      statelessResetToken: fromHex("ab".repeat(16)),
    });
  });

  it("refuses to encode values the peer would reject", () => {
    for (const [i, init] of [
      { maxUdpPayloadSize: 1199 },
      { ackDelayExponent: 21 },
      { maxAckDelay: 2 ** 14 },
      { activeConnectionIdLimit: 1 },
      { initialMaxData: -1 },
      { statelessResetToken: new Uint8Array(15) },
      { initialSourceConnectionId: new Uint8Array(21) },
      { unknown: [{ id: 3n, value: new Uint8Array(0) }] },
    ].entries()) {
      expect(() => encodeTransportParameters(init), `case ${i}`).toThrow(RangeError);
    }
  });
});
