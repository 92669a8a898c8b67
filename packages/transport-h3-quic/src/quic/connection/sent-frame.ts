/**
 * What a sent packet carried, as loss detection hands it back when the packet is acknowledged
 * or lost (`SentPacket.frames`). Records name what to do rather than the bytes sent: lost stream
 * and crypto data is resent by range from its send buffer, and a lost flow control update is
 * replaced by the current limit, which may have grown since (RFC 9000 §13.3).
 *
 * @packageDocumentation
 */

import type { Frame } from "../frames/frame.js";

/**
 * One frame of a sent packet, reduced to what acknowledgement and loss need.
 *
 * @internal
 */
export type SentFrame =
  /** An ACK frame: once it is acknowledged, the packets it covered need no acknowledging again. */
  | { readonly kind: "ack"; readonly largest: number }
  | { readonly kind: "crypto"; readonly offset: number; readonly length: number }
  | {
      readonly kind: "stream";
      readonly id: number;
      readonly offset: number;
      readonly length: number;
      readonly fin: boolean;
    }
  | { readonly kind: "maxData" }
  | { readonly kind: "maxStreamData"; readonly id: number }
  | { readonly kind: "maxStreams"; readonly bidirectional: boolean }
  | { readonly kind: "resetStream"; readonly id: number }
  | { readonly kind: "stopSending"; readonly id: number }
  | { readonly kind: "dataBlocked"; readonly limit: number }
  | { readonly kind: "streamDataBlocked"; readonly id: number; readonly limit: number }
  | { readonly kind: "streamsBlocked"; readonly bidirectional: boolean; readonly limit: number }
  /** A frame resent as it was: NEW_CONNECTION_ID, RETIRE_CONNECTION_ID, HANDSHAKE_DONE, NEW_TOKEN. */
  | { readonly kind: "frame"; readonly frame: Frame };
