import { ClassicLevel } from "classic-level";
import { pack, unpack } from "msgpackr";
import { assert } from "../common/assert.js";
import { type LevelOp, writeLevelBatch } from "../common/level-batch.js";
import type { Logger } from "../common/log.js";
import type { RaftStorage } from "./core/storage.js";
import type {
  ConfState,
  Entry,
  HardState,
  LogIndex,
  RaftId,
  Snapshot,
  SnapshotMetadata,
  Term,
} from "./core/types.js";
import { EMPTY_BYTES, NONE } from "./core/types.js";
import {
  decodeEntry,
  ENTRY_KEY_END,
  ENTRY_KEY_MIN,
  encodeEntry,
  entryKey,
  entrySize,
  indexOfEntryKey,
  isEntryKey,
} from "./entry-record.js";
import { CompactedError, CorruptLogError, UnavailableError } from "./storage-errors.js";

/**
 * Raft's durable state in LevelDB (classic-level): the log, the hard state (term, vote, commit),
 * the membership and the metadata of the latest snapshot.
 *
 * Reads are synchronous, as the pure core wants them. Every entry after the compaction point keeps
 * its index, term and type in memory; its bytes stay in memory only while they are among the
 * newest `cacheBytes` of the log (what replication and apply read nearly always). Older bytes are
 * dropped once durable and read back from LevelDB synchronously (getSync) in the rare case that a
 * lagging follower or a lagging state machine asks for them. So the log's memory does not grow
 * with the log, and snapshots need not be taken just to bound memory. Writes go through `persist`,
 * one atomic LevelDB batch with `sync: true` per Ready, so that many proposals share one fsync
 * (group commit) and nothing is acknowledged before it is durable (Raft Figure 2, "persistent
 * state ... updated on stable storage before responding to RPCs").
 *
 * `persist` updates memory only after the batch is durable, so the core never reads back a state
 * that a crash could still take away. The leader has a second, pipelined way in (`append`): its
 * new entries enter memory at once, so the core can replicate them and take more proposals while
 * the fsync runs (thesis §10.2.1), and `durableLastIndex()` says how far the log is durable; the
 * driver never counts or applies the leader's own copy beyond it. Pipelined writes go to LevelDB
 * one at a time, in order, each carrying everything queued meanwhile (group commit), so a crash
 * leaves a prefix of them and the torn-tail rule at load still holds.
 */

type Op = LevelOp<Buffer, Buffer>;

interface QueuedAppend {
  readonly ops: Op[];
  /** The last index this write makes durable. */
  last: LogIndex;
  readonly waiters: Array<{ resolve: () => void; reject: (error: Error) => void }>;
}

/** An entry whose bytes were dropped from memory; `size` is what entrySize() gave for it. */
interface EvictedEntry {
  readonly index: LogIndex;
  readonly term: Term;
  readonly type: Entry["type"];
  readonly size: number;
  readonly data?: undefined;
}

type TailEntry = Entry | EvictedEntry;

function sizeOf(entry: TailEntry): number {
  return entry.data === undefined ? entry.size : entrySize(entry);
}

/** Default of LogStoreOptions.cacheBytes. */
export const DEFAULT_LOG_CACHE_BYTES = 64 << 20;

export interface LogStoreOptions {
  /** Bytes of the newest entries kept in memory (older ones are read back from disk). */
  readonly cacheBytes?: number | undefined;
}

/** Log entries deleted per LevelDB clear() when compaction collects garbage. */
const GC_SLICE_ENTRIES = 1024;

const KEY_HARD_STATE = Buffer.from("m/hardstate");
const KEY_CONF = Buffer.from("m/conf");
const KEY_SNAPSHOT = Buffer.from("m/snapshot");
const KEY_COMPACTED = Buffer.from("m/compacted");

const EMPTY_CONF: ConfState = { voters: [], learners: [], votersOutgoing: [] };
const EMPTY_HARD_STATE: HardState = { term: 0, vote: NONE, commit: 0 };

/** Membership as last applied by the driver, with the servers' addresses (from ConfChange contexts). */
export interface Membership {
  readonly confState: ConfState;
  /** Log index of the last configuration change reflected in `confState` (0 = none). */
  readonly index: LogIndex;
  readonly addresses: Readonly<Record<RaftId, string>>;
}

/** Everything that must be durable before the messages of one Ready are sent. */
export interface PersistBatch {
  readonly hardState?: HardState | undefined;
  readonly entries?: readonly Entry[] | undefined;
  /** A snapshot received from the leader: replaces the whole log up to its index. */
  readonly snapshot?: SnapshotMetadata | undefined;
  readonly membership?: Membership | undefined;
}

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export class LevelDbLogStore implements RaftStorage {
  /** Index and term of the last entry dropped by compaction (or of the snapshot that replaced the log). */
  private compactedIndex: LogIndex = 0;
  private compactedTerm: Term = 0;
  /** Entries compactedIndex+1 .. lastIndex, contiguous: tail[i].index === compactedIndex + 1 + i. */
  private tail: TailEntry[] = [];
  private tailBytes = 0;
  /**
   * tail[0 .. cachedFrom) are evicted (bytes on disk only), tail[cachedFrom ..] hold their bytes;
   * cachedBytes is the size of the latter. Only durable entries are ever evicted.
   */
  private cachedFrom = 0;
  private cachedBytes = 0;
  private hardState: HardState = EMPTY_HARD_STATE;
  private membership: Membership = { confState: EMPTY_CONF, index: 0, addresses: {} };
  private snapshotMeta: SnapshotMetadata = { index: 0, term: 0, confState: EMPTY_CONF };
  private writing = false;
  /** A persist() that changes the log's shape (entries or snapshot) is running: no append() now. */
  private reshaping = false;
  /**
   * The in-memory hard state holds a commit index not yet written (commit-only changes are not
   * worth a write of their own; see persist). Written with the next batch that carries entries.
   */
  private hardStateUnsaved = false;
  /** Pipelined appends not yet handed to LevelDB, merged into the next write. */
  private queued: QueuedAppend | undefined;
  /** The pipelined write LevelDB is doing now (at most one, to keep their order). */
  private inflight: QueuedAppend | undefined;
  /** Last durable index while pipelined appends are queued or in flight (else lastIndex()). */
  private durableLast: LogIndex = 0;
  private appendFailure: Error | undefined;
  private idleWaiters: Array<() => void> = [];

  private constructor(
    private readonly db: ClassicLevel<Buffer, Buffer>,
    private readonly log: Logger,
    private readonly cacheBytes: number,
  ) {}

  /**
   * Opens (or creates) the store at `path` and loads it into memory. A record whose checksum does
   * not match is a torn write at the tail (never fsynced, so never acknowledged): it and anything
   * after it are deleted. A bad record followed by good ones is real corruption: refuse to start.
   */
  static async open(path: string, log: Logger, options: LogStoreOptions = {}): Promise<LevelDbLogStore> {
    const cacheBytes = options.cacheBytes ?? DEFAULT_LOG_CACHE_BYTES;
    assert(cacheBytes >= 0, "log cache size must not be negative");
    const db = new ClassicLevel<Buffer, Buffer>(path, { keyEncoding: "buffer", valueEncoding: "buffer" });
    await db.open();
    const store = new LevelDbLogStore(db, log, cacheBytes);
    try {
      await store.load();
    } catch (error) {
      await db.close();
      throw error;
    }
    return store;
  }

  private async load(): Promise<void> {
    const hs = await this.db.get(KEY_HARD_STATE);
    if (hs !== undefined) this.hardState = unpack(hs) as HardState;
    const conf = await this.db.get(KEY_CONF);
    if (conf !== undefined) this.membership = unpack(conf) as Membership;
    const snap = await this.db.get(KEY_SNAPSHOT);
    if (snap !== undefined) this.snapshotMeta = unpack(snap) as SnapshotMetadata;
    const compacted = await this.db.get(KEY_COMPACTED);
    if (compacted !== undefined) {
      [this.compactedIndex, this.compactedTerm] = unpack(compacted) as [LogIndex, Term];
    }

    const records: Array<{ index: LogIndex; entry: Entry | undefined }> = [];
    for await (const [key, value] of this.db.iterator({ gte: ENTRY_KEY_MIN, lt: ENTRY_KEY_END })) {
      assert(isEntryKey(key), "malformed entry key");
      const index = indexOfEntryKey(key);
      // Entries at or below the compaction point may be left over by an interrupted compaction.
      if (index > this.compactedIndex) records.push({ index, entry: decodeEntry(index, value) });
    }
    let good = 0;
    for (const record of records) {
      if (record.entry === undefined || record.index !== this.compactedIndex + 1 + good) break;
      this.push(record.entry);
      good++;
    }
    const bad = records[good];
    if (bad !== undefined) {
      // Only the last record may be bad: that is a torn write, never fsynced, so never
      // acknowledged and safe to drop. Anything else is corruption we must not paper over.
      if (good !== records.length - 1 || bad.index !== this.compactedIndex + 1 + good) {
        throw new CorruptLogError(
          `log record ${bad.index} is corrupt or out of place with ${records.length - good - 1} records after it`,
        );
      }
      this.log.warn({ index: bad.index }, "truncating torn log tail record");
      await this.db.batch([{ type: "del", key: entryKey(bad.index) }], { sync: true });
    }
    // Everything loaded is durable.
    this.evict();
    const snapshot = this.snapshotMeta;
    if (snapshot.index > this.lastIndex()) {
      // A compaction's record can reach the disk before the last entries it covers (a leader's
      // pipelined appends are written after it). The state machine holds what the snapshot names,
      // so the log restarts right after it, as after installing a snapshot; the leader re-sends
      // whatever follows.
      this.log.warn({ snapshot: snapshot.index, last: this.lastIndex() }, "log ends before its snapshot");
      this.truncate(0);
      this.compactedIndex = snapshot.index;
      this.compactedTerm = snapshot.term;
      await this.db.batch(
        [{ type: "put", key: KEY_COMPACTED, value: pack([snapshot.index, snapshot.term]) }],
        {
          sync: true,
        },
      );
    }
    if (this.hardState.commit < snapshot.index) {
      // Only a batch with entries writes the commit index (see persist), but a snapshot names
      // applied, hence committed, state: a crash between a compaction and the next such batch
      // left a commit index below the snapshot, which the core cannot restart from (its applied
      // index would pass its commit index).
      this.hardState = { ...this.hardState, commit: snapshot.index };
    }
    if (this.hardState.commit > this.lastIndex()) {
      // The commit index is volatile state in Raft (Figure 2); only entries we hold can be
      // committed from our point of view. Entries and hard state share one batch, so this only
      // happens after real data loss, which the leader repairs by re-sending.
      this.log.warn({ commit: this.hardState.commit, last: this.lastIndex() }, "commit index beyond log");
      this.hardState = { ...this.hardState, commit: this.lastIndex() };
    }
  }

  // ─────────────── RaftStorage: synchronous reads for the core ───────────────

  /**
   * The hard state and the membership as of the latest snapshot: the core replays the conf
   * changes after the snapshot from the log (the driver restarts it with `applied` = the
   * snapshot's index and skips re-applying to the state machine what it already holds).
   */
  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snapshotMeta.confState };
  }

  /** Entries [lo, hi), at least one if any, then up to `maxBytes` in total. */
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number = Number.POSITIVE_INFINITY): Entry[] {
    if (lo <= this.compactedIndex) throw new CompactedError(lo, this.compactedIndex);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const entry = this.tail[i - this.compactedIndex - 1] as TailEntry;
      bytes += sizeOf(entry);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry.data === undefined ? this.readBack(entry) : entry);
    }
    return out;
  }

  /** An evicted entry's bytes, read back from LevelDB (not cached again: it is old). */
  private readBack(entry: EvictedEntry): Entry {
    const value = this.db.getSync(entryKey(entry.index));
    const decoded = value === undefined ? undefined : decodeEntry(entry.index, value);
    if (decoded === undefined || decoded.term !== entry.term) {
      throw new CorruptLogError(`log record ${entry.index} is missing or corrupt on disk`);
    }
    return decoded;
  }

  term(index: LogIndex): Term {
    if (index === this.compactedIndex) return this.compactedTerm;
    if (index < this.compactedIndex) throw new CompactedError(index, this.compactedIndex);
    const entry = this.tail[index - this.compactedIndex - 1];
    if (entry === undefined) throw new UnavailableError(index, this.lastIndex());
    return entry.term;
  }

  firstIndex(): LogIndex {
    return this.compactedIndex + 1;
  }

  lastIndex(): LogIndex {
    return this.compactedIndex + this.tail.length;
  }

  /** The latest snapshot's metadata; its bytes live in the snapshot store, so `data` is empty. */
  snapshot(): Snapshot {
    return { metadata: this.snapshotMeta, data: EMPTY_BYTES };
  }

  // ─────────────── driver-side API ───────────────

  currentHardState(): HardState {
    return this.hardState;
  }

  currentMembership(): Membership {
    return this.membership;
  }

  /** Bytes of entries held after the compaction point (for byte-based compaction thresholds). */
  retainedBytes(): number {
    return this.tailBytes;
  }

  /** Bytes of those entries held in memory too (at most about `cacheBytes`). */
  residentBytes(): number {
    return this.cachedBytes;
  }

  /**
   * Makes one Ready's state durable in a single atomic, fsynced batch. Entries may overwrite a
   * conflicting suffix (a follower's log reconciled with the leader's, §5.3): everything after
   * the last new entry is deleted in the same batch. Calls must not overlap.
   */
  async persist(batch: PersistBatch): Promise<void> {
    assert(!this.writing, "persist calls overlap");
    const reshapes = (batch.entries?.length ?? 0) > 0 || batch.snapshot !== undefined;
    // Pipelined appends may still be in flight while a membership change is recorded (different
    // keys, and memory's log is left alone then), but never while the log itself is rewritten.
    assert(!reshapes || this.pipelineIdle(), "persist of log entries while pipelined appends are in flight");
    this.writing = true;
    this.reshaping = reshapes;
    try {
      const ops: Op[] = [];
      let snapshotMeta = this.snapshotMeta;
      let compactedIndex = this.compactedIndex;
      let compactedTerm = this.compactedTerm;
      /** How many entries of the current tail survive this batch. */
      let keep = this.tail.length;

      if (batch.snapshot !== undefined) {
        const meta = batch.snapshot;
        // A snapshot received from the leader replaces our log up to its index (§7). Entries after
        // it that agree with it may stay; etcd drops them all, which is simpler and equally safe.
        snapshotMeta = meta;
        compactedIndex = meta.index;
        compactedTerm = meta.term;
        keep = 0;
        ops.push({ type: "put", key: KEY_SNAPSHOT, value: pack(meta) });
        ops.push({ type: "put", key: KEY_COMPACTED, value: pack([meta.index, meta.term]) });
      }

      const entries = batch.entries ?? [];
      const first = entries[0];
      if (first !== undefined) {
        const keptLast = compactedIndex + keep;
        assert(first.index > compactedIndex, () => `append at ${first.index} into compacted log`);
        assert(first.index <= keptLast + 1, () => `append at ${first.index} leaves a gap after ${keptLast}`);
        keep = Math.min(keep, first.index - compactedIndex - 1);
        for (let i = 0; i < entries.length; i++) {
          const entry = entries[i] as Entry;
          assert(entry.index === first.index + i, "appended entries are not contiguous");
          ops.push({ type: "put", key: entryKey(entry.index), value: encodeEntry(entry) });
        }
      }
      // Stored entries past the new end of the log (a replaced suffix, §5.3, or a log replaced by
      // a snapshot) are deleted in the same atomic batch.
      if (reshapes) {
        const newLast = first === undefined ? compactedIndex + keep : first.index + entries.length - 1;
        const oldLast = this.compactedIndex + this.tail.length;
        for (let i = Math.max(newLast, this.compactedIndex) + 1; i <= oldLast; i++) {
          ops.push({ type: "del", key: entryKey(i) });
        }
      }

      const hardState = batch.hardState ?? this.hardState;
      // A batch that only moves the commit index is not written at all: the commit index is
      // volatile state in Raft (Figure 2), re-learned from the leader after a crash (load()
      // tolerates a stale one). It goes to disk with the next batch that carries entries, which
      // makes it durable no earlier than the entries it covers.
      const commitOnly =
        !reshapes &&
        batch.membership === undefined &&
        hardState.term === this.hardState.term &&
        hardState.vote === this.hardState.vote;
      const hardStateChanged = batch.hardState !== undefined && !commitOnly;
      if (hardStateChanged || (reshapes && (batch.hardState !== undefined || this.hardStateUnsaved))) {
        ops.push({ type: "put", key: KEY_HARD_STATE, value: pack(hardState) });
      }
      let membership = this.membership;
      if (batch.membership !== undefined) {
        membership = batch.membership;
        ops.push({ type: "put", key: KEY_CONF, value: pack(membership) });
      } else if (batch.snapshot !== undefined) {
        membership = { ...this.membership, confState: batch.snapshot.confState, index: batch.snapshot.index };
        ops.push({ type: "put", key: KEY_CONF, value: pack(membership) });
      }

      if (ops.length > 0) await this.write(ops);

      // Durable: now update memory, in place (the tail can hold many thousand entries).
      if (reshapes) {
        this.snapshotMeta = snapshotMeta;
        this.compactedIndex = compactedIndex;
        this.compactedTerm = compactedTerm;
        this.truncate(keep);
        for (const entry of entries) this.push(entry);
        // Pipelined appends are idle here (asserted above): the whole log is durable.
        this.evict();
        this.hardStateUnsaved = false;
      }
      if (batch.hardState !== undefined) {
        this.hardState = batch.hardState;
        if (commitOnly) this.hardStateUnsaved = true;
        else if (hardStateChanged) this.hardStateUnsaved = false;
      }
      this.membership = membership;
    } finally {
      this.writing = false;
      this.reshaping = false;
    }
  }

  // ─────────────── the leader's pipelined appends ───────────────

  /**
   * The leader's fast path: appends `entries` at the end of the log (never a truncation; a leader
   * never rewrites its own log, §5.3 Leader Append-Only) and takes a commit-only `hardState`
   * (term and vote unchanged). Memory is updated at once; the returned promise resolves when the
   * entries are durable (undefined when nothing needed writing). A failed write rejects it and
   * every later append throws: the server must stop.
   */
  append(entries: readonly Entry[], hardState: HardState | undefined): Promise<void> | undefined {
    if (this.appendFailure !== undefined) throw this.appendFailure;
    assert(!this.reshaping, "pipelined append while persist rewrites the log");
    if (hardState !== undefined) {
      assert(
        hardState.term === this.hardState.term && hardState.vote === this.hardState.vote,
        "pipelined append with a term or vote change",
      );
      if (hardState.commit !== this.hardState.commit) this.hardStateUnsaved = true;
      this.hardState = hardState;
    }
    const first = entries[0];
    if (first === undefined) return undefined;
    assert(
      first.index === this.lastIndex() + 1,
      () => `pipelined append at ${first.index} is not at the end`,
    );
    if (this.pipelineIdle()) this.durableLast = this.lastIndex();
    const batch = this.queued ?? { ops: [], last: 0, waiters: [] };
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      assert(entry.index === first.index + i, "appended entries are not contiguous");
      batch.ops.push({ type: "put", key: entryKey(entry.index), value: encodeEntry(entry) });
      this.push(entry);
    }
    batch.last = this.lastIndex();
    this.queued = batch;
    const durable = new Promise<void>((resolve, reject) => batch.waiters.push({ resolve, reject }));
    this.pump();
    return durable;
  }

  /** Everything at or below this index is durable (the log's end unless appends are pending). */
  durableLastIndex(): LogIndex {
    return this.pipelineIdle() ? this.lastIndex() : this.durableLast;
  }

  /**
   * Resolves once no pipelined append is queued or in flight (whether it succeeded or not: a
   * failure reaches the append's own promise).
   */
  whenIdle(): Promise<void> {
    if (this.pipelineIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pipelineIdle(): boolean {
    return this.queued === undefined && this.inflight === undefined;
  }

  private pump(): void {
    if (this.inflight !== undefined) return;
    const batch = this.queued;
    if (batch === undefined) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
      return;
    }
    this.queued = undefined;
    this.inflight = batch;
    if (this.hardStateUnsaved) {
      // The commit index never runs ahead of the entries written with or before it.
      batch.ops.push({ type: "put", key: KEY_HARD_STATE, value: pack(this.hardState) });
      this.hardStateUnsaved = false;
    }
    this.write(batch.ops).then(
      () => {
        this.durableLast = batch.last;
        this.evict();
        this.inflight = undefined;
        for (const w of batch.waiters) w.resolve();
        this.pump();
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        this.appendFailure = failure;
        this.inflight = undefined;
        const queued = this.queued;
        this.queued = undefined;
        for (const w of [...batch.waiters, ...(queued?.waiters ?? [])]) w.reject(failure);
        this.pump();
      },
    );
  }

  /**
   * Records that a snapshot of the state machine at `meta.index` is durable (its bytes are in the
   * snapshot store), and drops log entries up to `compactTo` (≤ meta.index), keeping a trailing
   * window so that slightly slow followers still catch up from the log instead of a snapshot.
   * Returns false (and changes nothing) when the store already records a snapshot at least as
   * new, e.g. one installed from the leader while this one was being written.
   */
  async compact(meta: SnapshotMetadata, compactTo: LogIndex): Promise<boolean> {
    assert(compactTo <= meta.index, "compaction beyond the snapshot");
    assert(!this.writing, "compact overlaps persist");
    if (meta.index <= this.snapshotMeta.index) return false;
    assert(meta.index <= this.lastIndex(), "snapshot beyond the log");
    this.writing = true;
    try {
      const to = Math.max(compactTo, this.compactedIndex);
      const ops: Op[] = [{ type: "put", key: KEY_SNAPSHOT, value: pack(meta) }];
      const term = to === this.compactedIndex ? this.compactedTerm : this.term(to);
      if (to > this.compactedIndex) {
        ops.push({ type: "put", key: KEY_COMPACTED, value: pack([to, term]) });
      }
      // The compaction point is written first; the deletes are garbage collection, which load()
      // tolerates if a crash leaves some behind. They run in the background, in slices, so that
      // deleting thousands of entries does not hold up the next persist (a follower compacting
      // could not acknowledge appends meanwhile, and all servers compact at about the same time).
      await this.write(ops);
      if (to > this.compactedIndex) this.collectGarbage(this.compactedIndex, to);
      const dropped = to - this.compactedIndex;
      for (let i = 0; i < dropped; i++) {
        const size = sizeOf(this.tail[i] as TailEntry);
        this.tailBytes -= size;
        if (i >= this.cachedFrom) this.cachedBytes -= size;
      }
      this.tail = this.tail.slice(dropped);
      this.cachedFrom = Math.max(0, this.cachedFrom - dropped);
      this.compactedIndex = to;
      this.compactedTerm = term;
      this.snapshotMeta = meta;
      return true;
    } finally {
      this.writing = false;
    }
  }

  // ─────────────── the in-memory window ───────────────

  /** Appends an entry (with its bytes) at the end of the tail. */
  private push(entry: Entry): void {
    const size = entrySize(entry);
    this.tail.push(entry);
    this.tailBytes += size;
    this.cachedBytes += size;
  }

  /** Drops tail[keep ..] (a replaced suffix or a log replaced by a snapshot). */
  private truncate(keep: number): void {
    for (let i = keep; i < this.tail.length; i++) {
      const size = sizeOf(this.tail[i] as TailEntry);
      this.tailBytes -= size;
      if (i >= this.cachedFrom) this.cachedBytes -= size;
    }
    this.tail.length = Math.min(this.tail.length, keep);
    this.cachedFrom = Math.min(this.cachedFrom, this.tail.length);
  }

  /**
   * Drops the bytes of the oldest cached entries while the cache is over its size, never those of
   * an entry that is not durable yet (getSync could not read it back). The newest entry keeps its
   * bytes whatever its size.
   */
  private evict(): void {
    const durable = this.durableLastIndex();
    while (this.cachedBytes > this.cacheBytes && this.cachedFrom < this.tail.length - 1) {
      const entry = this.tail[this.cachedFrom] as Entry;
      if (entry.index > durable) return;
      const size = entrySize(entry);
      this.tail[this.cachedFrom] = { index: entry.index, term: entry.term, type: entry.type, size };
      this.cachedBytes -= size;
      this.cachedFrom++;
    }
  }

  /**
   * Deletes the stored entries in (`after`, `to`], already behind the durable compaction point,
   * GC_SLICE_ENTRIES at a time, after any earlier collection. The first collection of a process
   * starts at the lowest possible key (leftovers of a crash mid-collection). Only keys below the
   * compaction point are touched, which no other write of this store touches any more. A failure
   * is kept and thrown by close().
   */
  private collectGarbage(after: LogIndex, to: LogIndex): void {
    // The chain never rejects (nobody awaits it before close(), and an unhandled rejection would
    // end the process): a failure is kept for close().
    this.garbage = this.garbage
      .then(async () => {
        for (let from = after + 1; from <= to; from += GC_SLICE_ENTRIES) {
          const end = Math.min(to, from + GC_SLICE_ENTRIES - 1);
          const lowest = this.collectedOnce ? entryKey(from) : ENTRY_KEY_MIN;
          await this.db.clear({ gte: lowest, lt: entryKey(end + 1) });
          this.collectedOnce = true;
        }
      })
      .catch((error: unknown) => {
        this.garbageFailure ??= error instanceof Error ? error : new Error(String(error));
      });
  }

  /** Whether a collection (which starts at the lowest key) already ran in this process. */
  private collectedOnce = false;
  private garbage: Promise<void> = Promise.resolve();
  private garbageFailure: Error | undefined;

  /** One atomic, fsynced LevelDB write. */
  private write(ops: readonly Op[]): Promise<void> {
    return writeLevelBatch(this.db, ops, true);
  }

  async close(): Promise<void> {
    await this.whenIdle();
    await this.garbage;
    await this.db.close();
    if (this.garbageFailure !== undefined) throw this.garbageFailure;
  }
}
