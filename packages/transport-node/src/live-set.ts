/**
 * The exchanges a pool has in flight, in an array: membership tests and removal are O(1)
 * through a slot number kept on the member.
 *
 * Not a `Set`: a `Set` or `Map` that gains and loses an entry per request rehashes over and over,
 * and V8 links each obsolete hash table to its successor while the old one still holds the
 * entries it had. Once one of those tables reaches the old generation, the chain keeps every
 * later table and the exchanges in it alive past each young-generation collection, until a full
 * one: at 64 requests in flight that tripled the time spent collecting garbage.
 */

/** A member of a {@link LiveSet}: the set keeps its position here. */
export interface LiveSetMember {
  /** The member's index in its set, or -1 outside any. Only the set writes it. */
  liveSlot: number;
}

/** An unordered set of in-flight members with O(1) add, delete and size. */
export class LiveSet<T extends LiveSetMember> {
  readonly #members: T[] = [];

  /** How many members there are. */
  get size(): number {
    return this.#members.length;
  }

  /** Adds `member`; adding one already in a set is a mistake. */
  add(member: T): void {
    if (member.liveSlot !== -1) throw new Error("already in a live set");
    member.liveSlot = this.#members.length;
    this.#members.push(member);
  }

  /** Removes `member`; returns false if it was not in this set. */
  delete(member: T): boolean {
    const slot = member.liveSlot;
    const members = this.#members;
    if (slot < 0 || members[slot] !== member) return false;
    const last = members.pop()!;
    if (last !== member) {
      members[slot] = last;
      last.liveSlot = slot;
    }
    member.liveSlot = -1;
    return true;
  }

  /** A copy of the members, safe to iterate while members leave. */
  snapshot(): T[] {
    return [...this.#members];
  }
}
