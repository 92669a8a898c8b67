import { describe, expect, it } from "vitest";
import { QuicError, TransportErrorCode } from "../errors.js";
import type { AckFrame } from "../frames/frame.js";
import type { NewReno } from "./congestion-control.js";
import { LossDetection, type SentPacket } from "./loss-detection.js";
import type { PacketNumberSpace } from "./packet-number-space.js";

type Frames = string;

interface SendOptions {
  readonly size?: number;
  readonly ackEliciting?: boolean;
}

function send(
  ld: LossDetection<Frames>,
  space: PacketNumberSpace,
  packetNumber: number,
  timeSent: number,
  options: SendOptions = {},
): SentPacket<Frames> {
  const ackEliciting = options.ackEliciting ?? true;
  const packet: SentPacket<Frames> = {
    packetNumber,
    space,
    timeSent,
    size: options.size ?? 1200,
    ackEliciting,
    inFlight: ackEliciting,
    frames: `${space}:${packetNumber}`,
  };
  ld.onPacketSent(packet);
  return packet;
}

/** Application packets numbered from `first`, one per send time. */
function sendAt(ld: LossDetection<Frames>, first: number, times: readonly number[]): void {
  for (const [i, t] of times.entries()) send(ld, "application", first + i, t);
}

/** An ACK frame from [smallest, largest] pairs, highest first. */
function ack(...ranges: [number, number][]): Pick<AckFrame, "ranges"> {
  return { ranges: ranges.map(([smallest, largest]) => ({ smallest, largest })) };
}

const numbers = (packets: readonly SentPacket<Frames>[]) => packets.map((p) => p.packetNumber);

function confirmedServer(): LossDetection<Frames> {
  const ld = new LossDetection<Frames>({ role: "server" });
  ld.onHandshakeConfirmed(0);
  return ld;
}

describe("LossDetection: acknowledgements (RFC 9002 A.7)", () => {
  it("reports newly acknowledged packets lowest first, with their frames, once", () => {
    const ld = confirmedServer();
    for (let pn = 0; pn < 6; pn++) send(ld, "application", pn, pn);
    const first = ld.onAckReceived("application", ack([4, 5], [0, 1]), 0, 50);
    expect(numbers(first.acked)).toEqual([0, 1, 4, 5]);
    expect(first.acked[0]!.frames).toBe("application:0");
    const again = ld.onAckReceived("application", ack([4, 5], [0, 1]), 0, 60);
    expect(again).toEqual({ acked: [], lost: [], rttSampled: false, persistentCongestion: false });
    expect(ld.largestAcked("application")).toBe(5);
  });

  it("samples the RTT only when the largest acknowledged is new and something ack-eliciting was acked", () => {
    const ld = confirmedServer();
    send(ld, "application", 0, 0);
    send(ld, "application", 1, 10);
    send(ld, "application", 2, 20, { ackEliciting: false });
    send(ld, "application", 3, 30);
    expect(ld.onAckReceived("application", ack([1, 1]), 0, 110).rttSampled).toBe(true);
    expect([ld.rtt.latestRtt, ld.rtt.smoothedRtt]).toEqual([100, 100]);
    // The largest (1) was acknowledged before: no sample from packet 0.
    expect(ld.onAckReceived("application", ack([0, 1]), 0, 500).rttSampled).toBe(false);
    // Only a non-ack-eliciting packet newly acknowledged: its ACK may have been delayed at will.
    expect(ld.onAckReceived("application", ack([2, 2]), 0, 900).rttSampled).toBe(false);
    expect(ld.rtt.latestRtt).toBe(100);
    // A later sample subtracts the reported delay.
    expect(ld.onAckReceived("application", ack([3, 3]), 10, 150).rttSampled).toBe(true);
    expect([ld.rtt.latestRtt, ld.rtt.smoothedRtt, ld.rtt.rttvar]).toEqual([120, 101.25, 40]);
  });

  it("ignores the ack delay of Initial ACKs", () => {
    const ld = new LossDetection<Frames>({ role: "client" });
    send(ld, "initial", 0, 0);
    send(ld, "initial", 1, 100);
    ld.onAckReceived("initial", ack([0, 0]), 0, 100);
    ld.onAckReceived("initial", ack([0, 1]), 15, 220);
    // adjusted stays 120: rttvar = 3/4·50 + 1/4·20, smoothed = 7/8·100 + 1/8·120
    expect([ld.rtt.smoothedRtt, ld.rtt.rttvar]).toEqual([102.5, 42.5]);
  });

  it("rejects an ACK of a packet number never sent with PROTOCOL_VIOLATION", () => {
    const ld = confirmedServer();
    for (let pn = 0; pn < 3; pn++) send(ld, "application", pn, pn);
    const error = (() => {
      try {
        ld.onAckReceived("application", ack([5, 5], [0, 2]), 0, 10);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(QuicError);
    expect((error as QuicError).code).toBe(TransportErrorCode.PROTOCOL_VIOLATION);
    expect((error as QuicError).frameType).toBe(0x02);
    expect(() => ld.onAckReceived("handshake", ack([0, 0]), 0, 10)).toThrow(QuicError);
    expect(() =>
      ld.onAckReceived(
        "application",
        { ranges: [{ smallest: 9, largest: 9 }], ecn: { ect0: 0, ect1: 0, ce: 0 } },
        0,
        10,
      ),
    ).toThrow(expect.objectContaining({ frameType: 0x03 }));
    // Nothing was changed by the rejected frames.
    expect(ld.outstanding("application")).toHaveLength(3);
  });

  it("rejects packet numbers that do not increase, and packets that are ack-eliciting but not in flight", () => {
    const ld = confirmedServer();
    send(ld, "application", 5, 0);
    expect(() => send(ld, "application", 5, 1)).toThrow(RangeError);
    expect(() =>
      ld.onPacketSent({
        packetNumber: 6,
        space: "application",
        timeSent: 1,
        size: 10,
        ackEliciting: true,
        inFlight: false,
        frames: "",
      }),
    ).toThrow(RangeError);
  });

  it("treats a new ECN-CE count as a congestion event", () => {
    const ld = confirmedServer();
    send(ld, "application", 0, 0);
    send(ld, "application", 1, 1);
    ld.onAckReceived("application", { ...ack([0, 0]), ecn: { ect0: 1, ect1: 0, ce: 0 } }, 0, 50);
    expect(ld.congestion.congestionWindow).toBe(12000 + 1200);
    ld.onAckReceived("application", { ...ack([0, 1]), ecn: { ect0: 1, ect1: 0, ce: 1 } }, 0, 60);
    // 13200 halved; the CE-marked packet itself was sent before recovery began, so no growth.
    expect(ld.congestion.congestionWindow).toBe(6600);
  });
});

describe("LossDetection: packet and time thresholds (RFC 9002 §6.1)", () => {
  it("declares packets lost kPacketThreshold below the largest acknowledged, and times the rest", () => {
    const ld = confirmedServer();
    for (let pn = 1; pn <= 4; pn++) send(ld, "application", pn, pn - 1);
    const outcome = ld.onAckReceived("application", ack([4, 4]), 0, 100);
    expect(numbers(outcome.acked)).toEqual([4]);
    expect(numbers(outcome.lost)).toEqual([1]);
    expect(outcome.lost[0]!.frames).toBe("application:1");
    expect(ld.bytesInFlight).toBe(2400);
    // latest_rtt = 97; loss delay = 9/8 × 97 = 109.125; packet 2 was sent at 1.
    expect(ld.timerDeadline).toBe(110.125);
  });

  it("declares the rest lost by time when the loss timer fires", () => {
    const ld = confirmedServer();
    for (let pn = 1; pn <= 4; pn++) send(ld, "application", pn, pn - 1);
    ld.onAckReceived("application", ack([4, 4]), 0, 100);
    expect(ld.onLossDetectionTimeout(110)).toEqual({ kind: "none" });
    const second = ld.onLossDetectionTimeout(110.125);
    expect(second).toMatchObject({ kind: "lost", space: "application", persistentCongestion: false });
    expect(second.kind === "lost" && numbers(second.lost)).toEqual([2]);
    expect(ld.timerDeadline).toBe(111.125);
    const third = ld.onLossDetectionTimeout(111.125);
    expect(third.kind === "lost" && numbers(third.lost)).toEqual([3]);
    // Nothing left in flight, and a server needs no anti-deadlock timer.
    expect([ld.timerDeadline, ld.bytesInFlight, ld.ptoCount]).toEqual([undefined, 0, 0]);
  });

  it("uses kGranularity as the smallest loss delay", () => {
    const ld = confirmedServer();
    send(ld, "application", 0, 0);
    send(ld, "application", 1, 0.1);
    send(ld, "application", 2, 0.2);
    // RTT samples of 0.4 ms: 9/8 × 0.4 is below 1 ms.
    ld.onAckReceived("application", ack([2, 2]), 0, 0.6);
    expect(ld.timerDeadline).toBe(1);
  });

  it("does not report a late acknowledgement of a packet already declared lost", () => {
    const ld = confirmedServer();
    for (let pn = 0; pn < 4; pn++) send(ld, "application", pn, pn);
    const first = ld.onAckReceived("application", ack([3, 3]), 0, 50);
    expect(numbers(first.lost)).toEqual([0]);
    const late = ld.onAckReceived("application", ack([3, 3], [0, 0]), 0, 55);
    expect(late.acked).toEqual([]);
  });
});

describe("LossDetection: probe timeout (RFC 9002 §6.2, A.8)", () => {
  it("arms PTO from the last ack-eliciting packet and doubles it on every expiry", () => {
    const ld = confirmedServer();
    send(ld, "application", 0, 0);
    send(ld, "application", 1, 5, { ackEliciting: false });
    // 333 + 4 × 166.5 + 25
    expect(ld.timerDeadline).toBe(1024);
    expect(ld.onLossDetectionTimeout(1000)).toEqual({ kind: "none" });
    expect(ld.onLossDetectionTimeout(1024)).toEqual({ kind: "probe", space: "application", count: 2 });
    expect(ld.ptoCount).toBe(1);
    expect(ld.timerDeadline).toBe(2048);
    // The probes restart the timer from when they were sent.
    send(ld, "application", 2, 1024);
    send(ld, "application", 3, 1024);
    expect(ld.timerDeadline).toBe(1024 + 2048);
    expect(ld.onLossDetectionTimeout(3072)).toEqual({ kind: "probe", space: "application", count: 2 });
    expect(ld.timerDeadline).toBe(1024 + 4096);
    // An acknowledgement resets the backoff.
    const outcome = ld.onAckReceived("application", ack([3, 3]), 0, 3100);
    expect(ld.ptoCount).toBe(0);
    expect(numbers(outcome.lost)).toEqual([0, 1]);
  });

  it("probes Initial or Handshake before confirmation, and application data only after it", () => {
    const ld = new LossDetection<Frames>({ role: "client" });
    send(ld, "handshake", 0, 10);
    send(ld, "application", 0, 20);
    // Handshake PTO excludes max_ack_delay: 10 + 999.
    expect(ld.timerDeadline).toBe(1009);
    expect(ld.onLossDetectionTimeout(1009)).toEqual({ kind: "probe", space: "handshake", count: 2 });

    ld.onAckReceived("handshake", ack([0, 0]), 0, 110);
    expect(ld.peerCompletedAddressValidation).toBe(true);
    expect(ld.ptoCount).toBe(0);
    // Only 1-RTT data in flight and the handshake not confirmed: no PTO.
    expect(ld.timerDeadline).toBeUndefined();

    ld.onHandshakeConfirmed(120);
    // 20 + 100 + 4 × 50 + 25
    expect(ld.timerDeadline).toBe(345);
    expect(ld.onLossDetectionTimeout(345)).toEqual({ kind: "probe", space: "application", count: 2 });
  });

  it("picks the space with the earliest PTO", () => {
    const ld = new LossDetection<Frames>({ role: "client" });
    send(ld, "initial", 0, 0);
    send(ld, "handshake", 0, 50);
    expect(ld.timerDeadline).toBe(999);
    expect(ld.onLossDetectionTimeout(999)).toMatchObject({ space: "initial" });
  });

  it("arms a client's anti-deadlock timer with nothing in flight until the server validated its address", () => {
    const ld = new LossDetection<Frames>({ role: "client" });
    send(ld, "initial", 0, 0);
    ld.onAckReceived("initial", ack([0, 0]), 0, 100);
    expect(ld.hasAckElicitingInFlight()).toBe(false);
    // From now: 100 + 100 + 4 × 50
    expect(ld.timerDeadline).toBe(400);
    expect(ld.onLossDetectionTimeout(400)).toEqual({ kind: "probe", space: "initial", count: 1 });
    expect(ld.timerDeadline).toBe(400 + 600);
    ld.onHandshakeKeysAvailable();
    expect(ld.onLossDetectionTimeout(1000)).toEqual({ kind: "probe", space: "handshake", count: 1 });
    expect(ld.ptoCount).toBe(2);
  });

  it("arms no PTO while a server is at its anti-amplification limit", () => {
    const ld = new LossDetection<Frames>({ role: "server" });
    send(ld, "initial", 0, 0);
    expect(ld.timerDeadline).toBe(999);
    ld.setAmplificationLimited(true, 5);
    expect(ld.timerDeadline).toBeUndefined();
    expect(ld.onLossDetectionTimeout(999)).toEqual({ kind: "none" });
    ld.setAmplificationLimited(false, 50);
    expect(ld.timerDeadline).toBe(999);
  });
});

describe("LossDetection: discarding keys (RFC 9002 §6.4)", () => {
  it("drops a space's packets from bytes in flight and rearms the timer for the others", () => {
    const ld = new LossDetection<Frames>({ role: "client" });
    send(ld, "initial", 0, 0);
    send(ld, "initial", 1, 1);
    send(ld, "handshake", 0, 2, { size: 500 });
    expect(ld.bytesInFlight).toBe(2900);
    expect(ld.timerDeadline).toBe(1 + 999);
    expect(ld.onLossDetectionTimeout(1000)).toMatchObject({ kind: "probe", space: "initial" });
    expect(ld.ptoCount).toBe(1);

    const discarded = ld.discardSpace("initial", 3);
    expect(discarded.map((p) => p.frames)).toEqual(["initial:0", "initial:1"]);
    expect([ld.bytesInFlight, ld.ptoCount, ld.outstanding("initial")]).toEqual([500, 0, []]);
    expect(ld.timerDeadline).toBe(2 + 999);
    expect(ld.discardSpace("initial", 4)).toEqual([]);
    expect(() => send(ld, "initial", 2, 5)).toThrow(RangeError);
    expect(ld.onAckReceived("initial", ack([0, 1]), 0, 6).acked).toEqual([]);
    // A client without Handshake keys would probe Initial; with Initial gone, Handshake it is.
    ld.discardSpace("handshake", 7);
    expect(ld.bytesInFlight).toBe(0);
    expect(ld.onLossDetectionTimeout(7 + 999)).toEqual({ kind: "probe", space: "handshake", count: 1 });
  });
});

describe("LossDetection: persistent congestion (RFC 9002 §7.6)", () => {
  function afterFirstSample(): LossDetection<Frames> {
    const ld = confirmedServer();
    send(ld, "application", 0, 0);
    ld.onAckReceived("application", ack([0, 0]), 0, 100);
    return ld;
  }

  it("collapses the window when contiguous losses span more than the persistent congestion duration", () => {
    const ld = afterFirstSample();
    sendAt(ld, 1, [200, 400, 600, 800, 1200]);
    send(ld, "application", 6, 1300);
    const outcome = ld.onAckReceived("application", ack([6, 6]), 0, 1400);
    // Duration after this sample: (100 + 4 × 37.5 + 25) × 3 = 825 < 1200 − 200.
    expect(ld.rtt.persistentCongestionDuration()).toBe(825);
    expect(numbers(outcome.lost)).toEqual([1, 2, 3, 4, 5]);
    expect(outcome.persistentCongestion).toBe(true);
    // kMinimumWindow (2400), out of recovery, then slow start for the acknowledged packet 6 (B.8
    // handles losses before acknowledgements).
    expect(ld.congestion.congestionWindow).toBe(3600);
    expect((ld.congestion as NewReno).ssthresh).toBe(6600);
    expect(ld.rtt.minRtt).toBe(100);
  });

  it("only halves when the losses span less than the duration", () => {
    const ld = afterFirstSample();
    sendAt(ld, 1, [200, 300, 400, 500, 600]);
    send(ld, "application", 6, 1300);
    const outcome = ld.onAckReceived("application", ack([6, 6]), 0, 1400);
    expect(outcome.persistentCongestion).toBe(false);
    // 13200 after the first ACK, halved.
    expect(ld.congestion.congestionWindow).toBe(6600);
  });

  it("does not count a span with an acknowledged packet in the middle", () => {
    const ld = afterFirstSample();
    sendAt(ld, 1, [200, 400, 700, 1000, 1250]);
    send(ld, "application", 6, 1300);
    const outcome = ld.onAckReceived("application", ack([6, 6], [3, 3]), 0, 1400);
    expect(numbers(outcome.lost)).toEqual([1, 2, 4, 5]);
    expect(outcome.persistentCongestion).toBe(false);
  });

  it("ignores packets sent before the first RTT sample", () => {
    const ld = confirmedServer();
    const cc = ld.congestion as NewReno;
    sendAt(ld, 0, [0, 500, 1000, 1500]);
    send(ld, "application", 4, 1600);
    const outcome = ld.onAckReceived("application", ack([4, 4]), 0, 1700);
    expect(numbers(outcome.lost)).toEqual([0, 1, 2, 3]);
    expect(outcome.persistentCongestion).toBe(false);
    expect(cc.congestionWindow).toBe(6000);
  });
});
