/**
 * What the core reads from durable storage (etcd-io/raft's Storage interface), and an in-memory
 * implementation used by the simulator, the scenario tests and the benchmark.
 *
 * The driver's durable store (LevelDB) implements `RaftStorage`. The core only ever READS through
 * this interface; all writes happen in the driver while it handles a `Ready` (persist `hardState`,
 * `entries`, `snapshot`), before it calls `advance()`. Everything the core has not yet seen
 * persisted lives in its `unstable` log and is lost on a crash — exactly what Raft allows, because
 * no message that depends on it has been sent (Raft Figure 2, "respond after persisting").
 */
import { assert } from "../../common/assert.js";
import { CompactedError, SnapshotTemporarilyUnavailableError, UnavailableError } from "./errors.js";
import type { ConfState, Entry, HardState, LogIndex, RaftId, Snapshot, Term } from "./types.js";
import { EMPTY_BYTES, NONE } from "./types.js";

export { CompactedError, SnapshotTemporarilyUnavailableError, UnavailableError };

export interface RaftStorage {
  /** The persisted hard state and the membership as of the latest snapshot (the core replays the
   *  conf changes after it from the log, through the application's `applyConfChange`). */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries in [lo, hi), at most maxBytes total (always at least one entry if any). Throws
   *  CompactedError if lo <= the compacted index, UnavailableError if hi > lastIndex()+1. */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  /** Term of entry i; valid for i in [firstIndex()-1, lastIndex()] (firstIndex()-1 = snapshot
   *  index). Throws CompactedError below, UnavailableError above. */
  term(i: LogIndex): Term;
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  /** The most recent snapshot (metadata + data; data may be empty if the driver streams it). May
   *  throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };
export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [] };

/** Bytes an entry counts for in message batching and size limits (payload plus a fixed header). */
export function entrySize(entry: Entry): number {
  return entry.data.byteLength + ENTRY_OVERHEAD_BYTES;
}
const ENTRY_OVERHEAD_BYTES = 16;

/** Keeps the longest prefix of `entries` whose total size is <= maxBytes, and at least one entry. */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length <= 1) return entries;
  let size = entrySize(entries[0] as Entry);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entrySize(entries[n] as Entry);
    if (size > maxBytes) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/**
 * The state a brand-new cluster starts from: a snapshot at index 1, term 1 holding the initial
 * voters. Every founding server persists this same snapshot (and hard state term 1, commit 1)
 * before it starts. Starting the log at 1 rather than 0 means a server added later (with an empty
 * log) is always sent a snapshot first, and so learns the membership it joins from its metadata.
 */
export function bootstrapSnapshot(voters: readonly RaftId[]): Snapshot {
  return {
    metadata: { index: 1, term: 1, confState: { voters: [...voters], learners: [], votersOutgoing: [] } },
    data: EMPTY_BYTES,
  };
}
export const BOOTSTRAP_HARD_STATE: HardState = { term: 1, vote: NONE, commit: 1 };

/**
 * In-memory `RaftStorage` (etcd's MemoryStorage). `ents[0]` is a dummy entry standing for the
 * snapshot's (index, term), so `ents[i - offset]` is entry i where offset = snapshot index.
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = {
    metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE },
    data: EMPTY_BYTES,
  };
  private ents: Entry[] = [{ term: 0, index: 0, type: "normal", data: EMPTY_BYTES }];

  /** A storage for a founding member of a new cluster (see `bootstrapSnapshot`). */
  static bootstrap(voters: readonly RaftId[]): MemoryStorage {
    const storage = new MemoryStorage();
    storage.applySnapshot(bootstrapSnapshot(voters));
    storage.setHardState(BOOTSTRAP_HARD_STATE);
    return storage;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  hardStateNow(): HardState {
    return this.hardState;
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  private get offset(): LogIndex {
    return (this.ents[0] as Entry).index;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const offset = this.offset;
    if (lo <= offset) throw new CompactedError(lo, offset);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    // Only the dummy entry left: nothing to return.
    if (this.ents.length === 1) return [];
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: LogIndex): Term {
    const offset = this.offset;
    if (i < offset) throw new CompactedError(i, offset);
    if (i - offset >= this.ents.length) throw new UnavailableError(i, this.lastIndex());
    return (this.ents[i - offset] as Entry).term;
  }

  firstIndex(): LogIndex {
    return this.offset + 1;
  }

  lastIndex(): LogIndex {
    return this.offset + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot (a follower installing one it received). */
  applySnapshot(snap: Snapshot): void {
    const index = snap.metadata.index;
    if (index <= this.snap.metadata.index) {
      throw new Error(`snapshot ${index} is not newer than ${this.snap.metadata.index}`);
    }
    this.snap = snap;
    this.ents = [{ term: snap.metadata.term, index, type: "normal", data: EMPTY_BYTES }];
  }

  /**
   * Records a snapshot of the application's state at `index` (<= the applied index), which must
   * still be in the log. Log entries are not dropped until `compact`.
   */
  createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): Snapshot {
    assert(
      index > this.snap.metadata.index,
      () => `snapshot ${index} is not newer than ${this.snap.metadata.index}`,
    );
    assert(index <= this.lastIndex(), () => `snapshot ${index} is beyond the last index ${this.lastIndex()}`);
    this.snap = { metadata: { index, term: this.term(index), confState }, data };
    return this.snap;
  }

  /** Drops entries before and at `compactIndex` (which must be <= the applied index). */
  compact(compactIndex: LogIndex): void {
    const offset = this.offset;
    if (compactIndex <= offset) throw new CompactedError(compactIndex, offset);
    assert(compactIndex <= this.lastIndex(), () => `compact ${compactIndex} beyond last ${this.lastIndex()}`);
    const i = compactIndex - offset;
    const head = this.ents[i] as Entry;
    this.ents = [
      { term: head.term, index: head.index, type: "normal", data: EMPTY_BYTES },
      ...this.ents.slice(i + 1),
    ];
  }

  /**
   * Appends entries, truncating any conflicting suffix first (a follower overwriting entries a new
   * leader does not have, Raft §5.3). Entries at or below the compaction point are ignored.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const lastNew = (entries[entries.length - 1] as Entry).index;
    if (lastNew < first) return;
    let es = entries;
    if (first > (entries[0] as Entry).index) es = entries.slice(first - (entries[0] as Entry).index);
    const at = (es[0] as Entry).index - this.offset;
    assert(
      at <= this.ents.length,
      () => `missing log entry: last ${this.lastIndex()}, append at ${(es[0] as Entry).index}`,
    );
    if (at < this.ents.length) this.ents.length = at;
    for (const e of es) this.ents.push(e);
  }
}
