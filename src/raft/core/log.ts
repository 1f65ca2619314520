/**
 * The Raft log as the core sees it: durable storage plus the unstable tail (etcd-io/raft log.go).
 *
 * Invariants: applied <= applying <= committed <= lastIndex; firstIndex - 1 <= committed.
 * `committed` may point into the unstable tail: a follower's driver persists `Ready.entries` before
 * it applies `Ready.committedEntries` of the same Ready. A leader's entries may still be being
 * written (asynchronously) when they commit on the followers' copies; those are not handed out for
 * applying until they are durable here too (`nextCommittedEnts(false)`).
 */
import { assert } from "../../common/assert.js";
import { CompactedError, UnavailableError } from "./errors.js";
import { entrySize, limitSize, type RaftStorage } from "./storage.js";
import type { Entry, LogIndex, Snapshot, Term } from "./types.js";
import { Unstable } from "./unstable.js";

export class RaftLog {
  readonly unstable: Unstable;
  committed: LogIndex;
  /** Highest index handed to the application in a Ready (not yet necessarily applied). */
  applying: LogIndex;
  /** Highest index the application has applied. */
  applied: LogIndex;

  constructor(
    readonly storage: RaftStorage,
    /** Byte bound for the committed entries of one Ready. */
    readonly maxApplyingBytes: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(last + 1);
    this.committed = first - 1;
    this.applying = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): Term {
    return this.term(this.lastIndex());
  }

  /** Term of entry i, valid for i in [firstIndex-1, lastIndex]; throws Compacted/UnavailableError. */
  term(i: LogIndex): Term {
    const dummy = this.firstIndex() - 1;
    if (i < dummy) throw new CompactedError(i, dummy);
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** Term of entry i, or undefined if it is compacted or not there. */
  termOrUndefined(i: LogIndex): Term | undefined {
    // Bounds first: every follower append asks for the term just past its log, and a thrown and
    // caught error there cost ~4% of a follower's CPU.
    if (i < this.firstIndex() - 1 || i > this.lastIndex()) return undefined;
    const unstableTerm = this.unstable.maybeTerm(i);
    if (unstableTerm !== undefined) return unstableTerm;
    try {
      return this.storage.term(i);
    } catch (error) {
      if (error instanceof CompactedError || error instanceof UnavailableError) return undefined;
      throw error;
    }
  }

  matchTerm(i: LogIndex, t: Term): boolean {
    return this.termOrUndefined(i) === t;
  }

  /** Raft §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Index of the first entry of `ents` that is missing or has another term in our log; 0 if none. */
  findConflict(ents: readonly Entry[]): LogIndex {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term` (with that term): where a log that has an
   * entry of `term` at `index` may match ours. Used for the fast back-off of rejected appends
   * (§5.3, the "conflict term" optimisation): one round trip per term instead of per entry.
   */
  findConflictByTerm(index: LogIndex, term: Term): { index: LogIndex; term: Term } {
    for (let i = index; i >= 0; i--) {
      const t = this.termOrUndefined(i);
      // Compacted (or beyond the end): we cannot say more; stop here.
      if (t === undefined) return { index: i, term: 0 };
      if (t <= term) return { index: i, term: t };
    }
    return { index: 0, term: 0 };
  }

  /**
   * A follower's append (§5.3): if our entry at `index` has `logTerm`, append `ents` (truncating a
   * conflicting suffix) and advance commit to min(committed, last new index). Returns the last new
   * index, or undefined if the log does not match at `index`.
   */
  maybeAppend(
    index: LogIndex,
    logTerm: Term,
    committed: LogIndex,
    ents: readonly Entry[],
  ): LogIndex | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      // A committed entry is never overwritten: that would break State Machine Safety (§5.4).
      assert(
        conflict > this.committed,
        () => `entry ${conflict} conflicts with committed entry ${this.committed}`,
      );
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): LogIndex {
    if (ents.length === 0) return this.lastIndex();
    const after = (ents[0] as Entry).index - 1;
    assert(after >= this.committed, () => `append after ${after} is below committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Everything up to this index is durable in storage (not in the unstable tail, and no write of
   *  it in progress). Meaningless while a snapshot is pending (a leader never has one). */
  stableLastIndex(): LogIndex {
    return this.unstable.offset - 1;
  }

  /** All writes handed to the driver so far are durable (a synchronous Ready's fsync covers every
   *  earlier write: the driver writes in order). */
  stableToInProgress(): void {
    const last = this.unstable.offsetInProgress - 1;
    if (last < this.unstable.offset) return;
    const t = this.unstable.maybeTerm(last);
    assert(t !== undefined, () => `no term for in-progress entry ${last}`);
    this.unstable.stableTo(last, t);
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  /** Committed entries not yet handed to the application, at most `maxApplyingBytes`; with
   *  `allowUnstable` false, only those already durable in our own log. */
  nextCommittedEnts(allowUnstable: boolean): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.maxApplicable(allowUnstable) + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingBytes);
  }

  hasNextCommittedEnts(allowUnstable: boolean): boolean {
    return !this.hasPendingSnapshot() && this.applying < this.maxApplicable(allowUnstable);
  }

  private maxApplicable(allowUnstable: boolean): LogIndex {
    return allowUnstable ? this.committed : Math.min(this.committed, this.stableLastIndex());
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(toCommit: LogIndex): void {
    // Never decrease commit: it may only move forward (a heartbeat may carry an older value).
    if (this.committed < toCommit) {
      assert(
        toCommit <= this.lastIndex(),
        () => `commit ${toCommit} is out of range [last ${this.lastIndex()}]`,
      );
      this.committed = toCommit;
    }
  }

  /** Raft §5.4.2: a leader commits by counting replicas only for entries of its current term. */
  maybeCommit(maxIndex: LogIndex, term: Term): boolean {
    if (maxIndex > this.committed && this.termOrUndefined(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  acceptApplying(i: LogIndex): void {
    assert(i <= this.committed, () => `applying ${i} beyond committed ${this.committed}`);
    this.applying = Math.max(this.applying, i);
  }

  appliedTo(i: LogIndex): void {
    if (i === 0) return;
    assert(
      i <= this.committed && i >= this.applied,
      () => `applied ${i} out of range [prev ${this.applied}, committed ${this.committed}]`,
    );
    this.applied = i;
    this.applying = Math.max(this.applying, i);
  }

  stableTo(i: LogIndex, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: LogIndex): void {
    this.unstable.stableSnapTo(i);
  }

  /** Replaces the log with a snapshot (the follower's state is behind it). */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi), at most maxBytes (at least one entry). */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError(lo, first - 1);
    assert(hi <= this.lastIndex() + 1, () => `slice [${lo},${hi}) beyond last ${this.lastIndex()}`);
    if (lo === hi) return [];
    const off = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < off) {
      const stored = this.storage.entries(lo, Math.min(hi, off), maxBytes);
      // The storage stopped early because of the size limit: return what it gave.
      if (stored.length < Math.min(hi, off) - lo) return stored;
      ents = stored;
    }
    if (hi > off) {
      const tail = this.unstable.slice(Math.max(lo, off), hi);
      ents = ents.length > 0 ? ents.concat(tail) : tail;
    }
    return limitSize(ents, maxBytes);
  }

  /** Total size of entries, as counted for message and uncommitted-size limits. */
  static size(ents: readonly Entry[]): number {
    let n = 0;
    for (const e of ents) n += entrySize(e);
    return n;
  }
}
