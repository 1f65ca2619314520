/**
 * The pipelining window of one follower in replicate state: the last index of each append message
 * sent and not yet acknowledged, with its size. Bounded in count and (optionally) bytes, so that a
 * slow follower cannot make the leader buffer an unbounded amount of data in the transport.
 */
import { assert } from "../../common/assert.js";
import type { LogIndex } from "./types.js";

export class Inflights {
  // A FIFO of (last index, bytes) pairs; `start` indexes the oldest. Indexes are increasing.
  private indexes: LogIndex[] = [];
  private sizes: number[] = [];
  private start = 0;
  private bytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number = Number.POSITIVE_INFINITY,
  ) {
    assert(capacity > 0, "inflights capacity must be positive");
  }

  get count(): number {
    return this.indexes.length - this.start;
  }

  add(lastIndex: LogIndex, bytes: number): void {
    assert(!this.full(), "cannot add to a full inflights window");
    const n = this.indexes.length;
    assert(
      n === this.start || lastIndex > (this.indexes[n - 1] as LogIndex),
      () => `inflights must grow: ${lastIndex} after ${this.indexes[n - 1]}`,
    );
    this.indexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `to` (they were acknowledged). */
  freeLE(to: LogIndex): void {
    while (this.start < this.indexes.length && (this.indexes[this.start] as LogIndex) <= to) {
      this.bytes -= this.sizes[this.start] as number;
      this.start++;
    }
    this.compactIfSparse();
  }

  /** Frees the oldest message; used when a heartbeat response proves the follower is alive but
   *  its append responses were lost, so the window would otherwise stay full forever. */
  freeFirstOne(): void {
    if (this.count === 0) return;
    this.bytes -= this.sizes[this.start] as number;
    this.start++;
    this.compactIfSparse();
  }

  full(): boolean {
    return this.count >= this.capacity || this.bytes >= this.maxBytes;
  }

  reset(): void {
    this.indexes = [];
    this.sizes = [];
    this.start = 0;
    this.bytes = 0;
  }

  private compactIfSparse(): void {
    if (this.start === this.indexes.length) {
      this.indexes.length = 0;
      this.sizes.length = 0;
      this.start = 0;
    } else if (this.start > 64 && this.start * 2 > this.indexes.length) {
      this.indexes = this.indexes.slice(this.start);
      this.sizes = this.sizes.slice(this.start);
      this.start = 0;
    }
  }
}
