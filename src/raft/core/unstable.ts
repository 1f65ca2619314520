/**
 * The tail of the log (and possibly an incoming snapshot) that the driver has not yet persisted
 * (etcd-io/raft log_unstable.go). Entries here are handed out in `Ready.entries`; once the driver
 * reports them durable (`advance`, or `advanceDurable` after an asynchronous write) they move into
 * storage and are dropped from here.
 *
 * Invariants: `entries[i]` has index `offset + i`; if `snapshot` is set, offset = snapshot index + 1;
 * offset <= offsetInProgress <= offset + entries.length. Entries in [offset, offsetInProgress) were
 * handed to the driver (a Ready) and are being written: not handed out again, not yet durable.
 */
import { assert } from "../../common/assert.js";
import type { Entry, LogIndex, Snapshot, Term } from "./types.js";

export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  /** First index not yet handed to the driver (see the invariants above). */
  offsetInProgress: LogIndex;

  constructor(public offset: LogIndex) {
    this.offsetInProgress = offset;
  }

  /** Entries not yet handed to the driver for writing. */
  entriesToPersist(): Entry[] {
    return this.entries.slice(this.offsetInProgress - this.offset);
  }

  hasEntriesToPersist(): boolean {
    return this.offsetInProgress < this.offset + this.entries.length;
  }

  /** Everything now in `entries` has been handed to the driver (a Ready took it). */
  acceptInProgress(): void {
    this.offsetInProgress = this.offset + this.entries.length;
  }

  maybeFirstIndex(): LogIndex | undefined {
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index + 1;
  }

  maybeLastIndex(): LogIndex | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot === undefined ? undefined : this.snapshot.metadata.index;
  }

  maybeTerm(i: LogIndex): Term | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i)
        return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return (this.entries[i - this.offset] as Entry).term;
  }

  /** Entries up to (i, t) are durable now. Ignored if the entry there was replaced meanwhile. */
  stableTo(i: LogIndex, t: Term): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = i + 1;
    this.offsetInProgress = Math.max(this.offsetInProgress, this.offset);
  }

  stableSnapTo(i: LogIndex): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = s.metadata.index + 1;
    this.offsetInProgress = this.offset;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = (ents[0] as Entry).index;
    if (first === this.offset + this.entries.length) {
      // The common case: a plain append after the last entry.
      for (const e of ents) this.entries.push(e);
    } else if (first <= this.offset) {
      // Replaces everything unstable (and the driver will overwrite storage from `first` on).
      this.offset = first;
      this.offsetInProgress = first;
      this.entries = [...ents];
    } else {
      // Truncate to first-1, then append. A write in progress of the replaced entries no longer
      // counts (stableTo ignores a report whose term does not match), so they go out again.
      this.entries = this.entries.slice(0, first - this.offset);
      for (const e of ents) this.entries.push(e);
      this.offsetInProgress = Math.min(this.offsetInProgress, first);
    }
  }

  /** Entries in [lo, hi), which must lie within the unstable entries. */
  slice(lo: LogIndex, hi: LogIndex): Entry[] {
    assert(
      lo >= this.offset && hi <= this.offset + this.entries.length && lo <= hi,
      () => `unstable slice [${lo},${hi}) out of [${this.offset},${this.offset + this.entries.length})`,
    );
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
