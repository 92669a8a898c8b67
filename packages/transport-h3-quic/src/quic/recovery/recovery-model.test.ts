import fc from "fast-check";
import { describe, it } from "vitest";
import { LossDetection, type LossDetectionTimeout, type SentPacket } from "./loss-detection.js";
import { PACKET_NUMBER_SPACES, type PacketNumberSpace } from "./packet-number-space.js";
import { AckTracker, decodeAckDelay } from "./received-packets.js";

// A sender (LossDetection + NewReno) and a receiving peer (one AckTracker per space) joined by a
// lossy network, driven by random operations on a fake clock. Each run checks the bookkeeping
// invariants after every step, then lets the connection settle and checks every ack-eliciting
// packet came to an end: acknowledged, lost, or discarded with its keys.

type Op =
  | {
      kind: "send";
      space: PacketNumberSpace;
      ackEliciting: boolean;
      size: number;
      delivered: boolean;
      dt: number;
    }
  | { kind: "ack"; space: PacketNumberSpace; delivered: boolean; dt: number }
  | { kind: "timeout"; delivered: boolean }
  | { kind: "discard"; space: "initial" | "handshake"; dt: number }
  | { kind: "confirm"; dt: number }
  | { kind: "amplification"; limited: boolean; dt: number };

const space = fc.oneof(
  fc.constantFrom<PacketNumberSpace>("initial", "handshake"),
  fc.constant<PacketNumberSpace>("application"),
);
const dt = fc.integer({ min: 0, max: 400 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      space,
      ackEliciting: fc.boolean(),
      size: fc.integer({ min: 20, max: 1500 }),
      delivered: fc.boolean(),
      dt,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("ack" as const), space, delivered: fc.boolean(), dt }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("timeout" as const), delivered: fc.boolean() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("discard" as const),
      space: fc.constantFrom("initial" as const, "handshake" as const),
      dt,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("confirm" as const), dt }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("amplification" as const), limited: fc.boolean(), dt }),
  },
);

// Plain checks: vitest's expect costs too much in a loop run some 40 000 times.
function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

interface Frames {
  readonly key: string;
}

class Model {
  readonly ld: LossDetection<Frames>;
  readonly peer: Record<PacketNumberSpace, AckTracker> = {
    initial: new AckTracker({ space: "initial" }),
    handshake: new AckTracker({ space: "handshake" }),
    application: new AckTracker({ space: "application" }),
  };
  readonly nextPn: Record<PacketNumberSpace, number> = { initial: 0, handshake: 0, application: 0 };
  readonly discardedSpaces = new Set<PacketNumberSpace>();
  readonly ackElicitingSent = new Set<string>();
  readonly acked = new Set<string>();
  readonly lost = new Set<string>();
  readonly discarded = new Set<string>();
  now = 0;

  constructor(role: "client" | "server") {
    this.ld = new LossDetection<Frames>({ role });
  }

  send(
    space: PacketNumberSpace,
    ackEliciting: boolean,
    padded: boolean,
    size: number,
    delivered: boolean,
  ): void {
    if (this.discardedSpaces.has(space)) return;
    const packetNumber = this.nextPn[space]++;
    const key = `${space}:${packetNumber}`;
    const packet: SentPacket<Frames> = {
      packetNumber,
      space,
      timeSent: this.now,
      size,
      ackEliciting,
      inFlight: ackEliciting || padded,
      frames: { key },
    };
    this.ld.onPacketSent(packet);
    if (ackEliciting) this.ackElicitingSent.add(key);
    if (delivered) this.peer[space].onPacketReceived(packetNumber, this.now, ackEliciting);
  }

  deliverAck(space: PacketNumberSpace, delivered: boolean): void {
    const frame = this.peer[space].ackFrame(this.now);
    if (frame === undefined) return;
    this.peer[space].onAckSent();
    if (!delivered || this.discardedSpaces.has(space)) return;
    const outcome = this.ld.onAckReceived(space, frame, decodeAckDelay(frame.ackDelay, 3), this.now);
    this.#settle(outcome.acked, this.acked);
    this.#settle(outcome.lost, this.lost);
  }

  timeout(delivered: boolean): LossDetectionTimeout<Frames> {
    const deadline = this.ld.timerDeadline;
    if (deadline === undefined) return { kind: "none" };
    this.now = Math.max(this.now, deadline);
    const outcome = this.ld.onLossDetectionTimeout(this.now);
    if (outcome.kind === "lost") this.#settle(outcome.lost, this.lost);
    if (outcome.kind === "probe") {
      for (let i = 0; i < outcome.count; i++) this.send(outcome.space, true, true, 1200, delivered);
    }
    return outcome;
  }

  discard(space: "initial" | "handshake"): void {
    this.discardedSpaces.add(space);
    this.#settle(this.ld.discardSpace(space, this.now), this.discarded);
  }

  #settle(packets: readonly SentPacket<Frames>[], into: Set<string>): void {
    for (const packet of packets) {
      const key = packet.frames.key;
      check(!this.#settled(key), `${key} was already acked, lost or discarded`);
      into.add(key);
    }
  }

  checkInvariants(): void {
    const outstanding = PACKET_NUMBER_SPACES.flatMap((s) => this.ld.outstanding(s));
    const inFlight = outstanding.filter((p) => p.inFlight).reduce((sum, p) => sum + p.size, 0);
    check(this.ld.bytesInFlight >= 0, `bytes in flight ${this.ld.bytesInFlight}`);
    check(
      this.ld.bytesInFlight === inFlight,
      `bytes in flight ${this.ld.bytesInFlight}, expected ${inFlight}`,
    );
    for (const p of outstanding)
      check(!this.#settled(p.frames.key), `${p.frames.key} settled but outstanding`);
    for (const key of this.acked) check(!this.lost.has(key), `${key} both acked and lost`);
  }

  #settled(key: string): boolean {
    return this.acked.has(key) || this.lost.has(key) || this.discarded.has(key);
  }
}

function run(role: "client" | "server", ops: readonly Op[], padded: boolean): void {
  const model = new Model(role);
  for (const o of ops) {
    if ("dt" in o) model.now += o.dt;
    switch (o.kind) {
      case "send":
        model.send(o.space, o.ackEliciting, padded, o.size, o.delivered);
        break;
      case "ack":
        model.deliverAck(o.space, o.delivered);
        break;
      case "timeout":
        model.timeout(o.delivered);
        break;
      case "discard":
        model.discard(o.space);
        break;
      case "confirm":
        model.ld.onHandshakeConfirmed(model.now);
        break;
      case "amplification":
        if (role === "server") model.ld.setAmplificationLimited(o.limited, model.now);
        break;
    }
    model.checkInvariants();
  }

  // Settle: the handshake completes, its keys go, and the network stops losing packets. The
  // connection answers probes and, with nothing ack-eliciting left, sends one more packet (as
  // it would for new data or a PING) so trailing packets get a verdict.
  model.ld.setAmplificationLimited(false, model.now);
  model.ld.onHandshakeConfirmed(model.now);
  model.discard("initial");
  model.discard("handshake");
  for (let step = 0; step < 60 && model.ld.outstanding("application").length > 0; step++) {
    if (!model.ld.hasAckElicitingInFlight()) model.send("application", true, true, 1200, true);
    model.now += 1;
    model.deliverAck("application", true);
    if (model.ld.outstanding("application").length > 0) model.timeout(true);
    model.checkInvariants();
  }
  check(model.ld.outstanding("application").length === 0, "application packets left outstanding");
  check(model.ld.bytesInFlight === 0, `bytes in flight ${model.ld.bytesInFlight} after settling`);
  for (const key of model.ackElicitingSent) {
    check(model.acked.has(key) || model.lost.has(key) || model.discarded.has(key), `${key} never settled`);
  }
}

describe("recovery under random send, ACK, loss and timer sequences", () => {
  it("keeps bytes in flight exact, never acks and loses one packet, and settles every packet", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"client" | "server">("client", "server"),
        fc.array(op, { minLength: 10, maxLength: 150, size: "max" }),
        fc.boolean(),
        (role, ops, padded) => run(role, ops, padded),
      ),
      { seed: 9002, numRuns: 500 },
    );
  });
});
