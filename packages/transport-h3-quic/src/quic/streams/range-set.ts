/**
 * A set of stream offsets kept as sorted, disjoint half-open ranges: what the send side uses to
 * remember which bytes were acknowledged and which were declared lost.
 *
 * Adjacent ranges are merged, so a stream acknowledged in order stays a single range no matter
 * how many frames it took. Lookups are binary searches; inserting or removing is linear in the
 * number of ranges, which stays small because loss and acknowledgement come in runs.
 *
 * @packageDocumentation
 */

/**
 * A half-open range of offsets, `start` included and `end` excluded.
 *
 * @alpha
 */
export interface OffsetRange {
  /** The first offset in the range. */
  readonly start: number;
  /** One past the last offset in the range. */
  readonly end: number;
}

function checkRange(start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new RangeError(`not an offset range: [${start}, ${end})`);
}

/**
 * A set of offsets stored as sorted, disjoint, non-adjacent half-open ranges.
 *
 * @alpha
 */
export class RangeSet {
  // Parallel arrays rather than objects: a range set lives as long as its stream and is
  // touched on every ACK, so fewer allocations matter more than readability here.
  #starts: number[] = [];
  #ends: number[] = [];

  /** How many disjoint ranges the set holds. */
  get rangeCount(): number {
    return this.#starts.length;
  }

  /** Whether the set holds no offsets. */
  get isEmpty(): boolean {
    return this.#starts.length === 0;
  }

  /** The lowest range, or `undefined` when the set is empty. */
  first(): OffsetRange | undefined {
    if (this.#starts.length === 0) return undefined;
    return { start: this.#starts[0]!, end: this.#ends[0]! };
  }

  /** The ranges, lowest first. */
  *[Symbol.iterator](): IterableIterator<OffsetRange> {
    for (let i = 0; i < this.#starts.length; i++) yield { start: this.#starts[i]!, end: this.#ends[i]! };
  }

  // The index of the first range whose end is at or after `offset`.
  #firstEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.#ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ends[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Empties the set. */
  clear(): void {
    this.#starts = [];
    this.#ends = [];
  }

  /** Adds `[start, end)`, merging it with every range it touches. */
  add(start: number, end: number): void {
    checkRange(start, end);
    if (start === end) return;
    const i = this.#firstEndingAtOrAfter(start);
    let j = i;
    while (j < this.#starts.length && this.#starts[j]! <= end) j++;
    if (i === j) {
      this.#starts.splice(i, 0, start);
      this.#ends.splice(i, 0, end);
      return;
    }
    const mergedStart = Math.min(start, this.#starts[i]!);
    const mergedEnd = Math.max(end, this.#ends[j - 1]!);
    this.#starts.splice(i, j - i, mergedStart);
    this.#ends.splice(i, j - i, mergedEnd);
  }

  /** Removes `[start, end)`, splitting a range that straddles it. */
  remove(start: number, end: number): void {
    checkRange(start, end);
    if (start === end) return;
    // Ranges ending exactly at `start` are untouched, hence `start + 1`.
    const i = this.#firstEndingAtOrAfter(start + 1);
    let j = i;
    while (j < this.#starts.length && this.#starts[j]! < end) j++;
    if (i === j) return;
    const keep: [number[], number[]] = [[], []];
    if (this.#starts[i]! < start) {
      keep[0].push(this.#starts[i]!);
      keep[1].push(start);
    }
    if (this.#ends[j - 1]! > end) {
      keep[0].push(end);
      keep[1].push(this.#ends[j - 1]!);
    }
    this.#starts.splice(i, j - i, ...keep[0]);
    this.#ends.splice(i, j - i, ...keep[1]);
  }

  /** Whether `offset` is in the set. */
  has(offset: number): boolean {
    const i = this.#firstEndingAtOrAfter(offset + 1);
    return i < this.#starts.length && this.#starts[i]! <= offset;
  }

  /** Whether every offset of `[start, end)` is in the set; an empty range always is. */
  covers(start: number, end: number): boolean {
    if (start >= end) return true;
    const i = this.#firstEndingAtOrAfter(start + 1);
    return i < this.#starts.length && this.#starts[i]! <= start && this.#ends[i]! >= end;
  }

  /** The parts of `[start, end)` that are not in the set, lowest first. */
  gaps(start: number, end: number): OffsetRange[] {
    checkRange(start, end);
    const out: OffsetRange[] = [];
    let pos = start;
    for (let i = this.#firstEndingAtOrAfter(start + 1); i < this.#starts.length && pos < end; i++) {
      const s = this.#starts[i]!;
      if (s >= end) break;
      if (s > pos) out.push({ start: pos, end: s });
      pos = Math.max(pos, this.#ends[i]!);
    }
    if (pos < end) out.push({ start: pos, end });
    return out;
  }

  /** The end of the run of offsets that starts at `from`, or `from` itself when `from` is not in the set. */
  contiguousEnd(from: number): number {
    const i = this.#firstEndingAtOrAfter(from + 1);
    if (i < this.#starts.length && this.#starts[i]! <= from) return this.#ends[i]!;
    return from;
  }
}
