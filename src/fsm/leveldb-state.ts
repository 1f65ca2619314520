import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { assert } from "../common/assert.js";
import { type LevelOp, writeLevelBatch } from "../common/level-batch.js";
import { clientOverlay } from "./alloc-client-overlay.js";
import { CorruptSnapshotError } from "./errors.js";
import {
  clearGeneration,
  clearOtherGenerations,
  type Db,
  GEN_KEY,
  metaKey,
  overlayPrefix,
  planIdsKey,
  planKey,
  recordPrefix,
  SYNC_KEY,
  tombstonePrefix,
} from "./leveldb-layout.js";
import { deletePlans, type Loaded, loadGeneration } from "./leveldb-load.js";
import { PlanFiles } from "./plan-files.js";
import { RecordCodec } from "./record-codec.js";
import { readSnapshotStream } from "./snapshot-stream.js";
import type { Commit } from "./state-store.js";
import type { Allocation } from "./structs.js";
import type { TableName, Tables } from "./tables.js";
import { TablesBuilder } from "./tables-builder.js";

/**
 * The FSM's durable copy in LevelDB (classic-level), laid out as leveldb-layout.ts describes.
 *
 * Atomicity: each batch of applied entries becomes ONE LevelDB write holding the changed records
 * and the applied index, so the stored state is always exactly the state after some applied
 * index, and after a restart Raft replays only the entries after it.
 *
 * Plan entries: re-encoding every allocation a plan creates would cost more CPU than applying it
 * (msgpack ≈ 14 µs per allocation here). Instead the plan entry's own bytes are stored once, with
 * the ids of the allocations it created (a large entry's bytes in a file of its own, beside
 * LevelDB: plan-files.ts says why and how that stays atomic); the loader rebuilds those with the same placedAlloc()
 * that apply used. Any later change of such an allocation is stored as its own record (which
 * wins on load); its deletion leaves a tombstone next to the plan while the plan is still
 * stored. A plan entry is deleted, with its tombstones, once none of its allocations is left
 * (planRefs counts the living allocations each stored plan created, wherever their value is
 * stored: a plan entry stays while any of them lives).
 *
 * Client updates: a change that rewrote only an allocation's client-owned fields (its status
 * reports, nearly one per allocation) is stored as an overlay of just those fields on the stored
 * allocation, its record or else its plan entry (alloc-client-overlay.ts; encodeAlloc states
 * the invariant), instead of re-encoding the whole allocation.
 *
 * Restore writes a fresh generation next to the live one and then flips "!gen" in one synced
 * write: a crash before the flip leaves the old state whole (the half-written generation is
 * cleared on the next open); a crash after it leaves the new state whole.
 */

export interface LevelStateOptions {
  /**
   * fsync each write (default true). With false, a process crash still loses nothing (the OS
   * has the write) but a machine crash may lose the latest batches; Raft then replays them from
   * its log, which is only safe while the log still holds them.
   */
  readonly sync?: boolean;
  /**
   * Plan entries of at least this many bytes are kept in files of their own (plan-files.ts)
   * instead of LevelDB (default PLAN_FILE_BYTES; tests move it to exercise both).
   */
  readonly planFileBytes?: number;
}

/**
 * Below this size a plan entry's bytes go into LevelDB with the rest of its write: a file costs
 * an fsync of its own and of the directory, which small entries (a job's few allocations, the
 * common case) would pay for little.
 */
export const PLAN_FILE_BYTES = 64 << 10;

type Op = LevelOp<string, Uint8Array>;

interface QueuedBatch {
  ops: Op[];
  appliedIndex: number;
  tableIndexes: Readonly<Record<TableName, number>>;
  raftOffset: number;
  /** Plan entries whose last allocation went away in this batch: clear their tombstones after it. */
  deadPlans: number[];
  /** Plan entries stored as files (PlanFiles), written before the batch. */
  planFiles: Array<{ index: number; bytes: Uint8Array }>;
  /** The keys' and values' bytes (about what the write adds to LevelDB's log and memtable). */
  bytes: number;
}

const EMPTY = new Uint8Array(0);

/** Queued (not yet written) operations above which `write()` waits for the disk. */
const MAX_QUEUED_OPS = 8000;
/**
 * Queued bytes above which `write()` waits for the disk. Plan entries are large (~0.5 MB for
 * 1,000 allocations) and few operations each, so the operation bound alone let a burst of applies
 * that never yields to the event loop (a Raft replay, the fsm bench) queue thousands of them
 * into one write: hundreds of MB held twice in memory, written as one batch into LevelDB's log
 * and memtable, which then stayed unflushed in the log for the next open to replay.
 */
const MAX_QUEUED_BYTES = 16 << 20;
/**
 * Queued bytes that start a write at once, from `write()` itself, when none is in flight: LevelDB's
 * memtable (4 MiB by default) is flushed to a table file between writes, so writes about its
 * size keep the log short, and a write started now runs on libuv's thread pool while applies go
 * on (a timer would not fire before the applying code yields).
 */
const PUMP_NOW_BYTES = 4 << 20;

/** How long applied batches gather before one LevelDB write takes them all (see schedulePump). */
const PUMP_DELAY_MS = 10;
/** Queued operations that are written on the next turn without waiting out the delay. */
const PUMP_NOW_OPS = 2000;

export class LevelState {
  private queued: QueuedBatch | undefined;
  private inflight: Promise<void> | undefined;
  private failure: Error | undefined;
  private drainWaiters: Array<() => void> = [];
  private restoring = false;

  private constructor(
    private readonly db: Db,
    private readonly codec: RecordCodec,
    private generation: number,
    private durableIndex: number,
    private durableOffset: number,
    /** Stored plan entries → how many of the allocations they created still exist. */
    private planRefs: Map<number, number>,
    private readonly sync: boolean,
    private readonly files: PlanFiles,
    private readonly planFileBytes: number,
  ) {}

  /** Opens (or creates) the store in `dir` and loads every record into memory. */
  static async open(
    dir: string,
    options: LevelStateOptions = {},
  ): Promise<{ level: LevelState; tables: Tables }> {
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    // The plan files live in a directory of their own inside LevelDB's (which ignores it).
    const files = await PlanFiles.open(join(dir, "plans"));
    await db.open();
    const codec = new RecordCodec();
    const { generation, loaded } = await loadStored(db, files, codec).catch(async (error: unknown) => {
      // A store that cannot be loaded is left closed (and as it was), so it may be opened again.
      await db.close();
      throw error;
    });
    // LevelDB reads its table files through mmap, and the load touched every page of every one:
    // ~250 bytes of resident (file-backed) memory per stored allocation that stays mapped while
    // the table cache keeps the files open. Reopening closes them; later reads map only what they
    // touch. (Measured on a 1M-alloc store: RssFile 292 → 41 MB; close and open took ~70 ms.)
    await db.close();
    await db.open();
    const level = new LevelState(
      db,
      codec,
      generation,
      loaded.tables.index,
      loaded.tables.raftOffset,
      loaded.planRefs,
      options.sync ?? true,
      files,
      options.planFileBytes ?? PLAN_FILE_BYTES,
    );
    return { level, tables: loaded.tables };
  }

  /** The state index that is durable in LevelDB (may trail the in-memory state; see write). */
  get appliedIndex(): number {
    return this.durableIndex;
  }

  /** The Raft index of that durable state: where Raft replays from after a restart. */
  get appliedRaftIndex(): number {
    return this.durableIndex - this.durableOffset;
  }

  /**
   * Queues the commits of one applied batch (in index order) to be written, with the applied
   * index, in one atomic LevelDB write. The disk write runs in the background; batches queued
   * meanwhile are coalesced into the next write (group commit), so applying the next entries
   * overlaps with the fsync of the previous ones. Waits only when the queue is full. This is safe
   * because every queued entry is already durable in the Raft log: after a crash the store
   * reopens at its durable applied index and Raft replays the rest. `flush()` waits for
   * everything queued (before Raft compacts its log, and on close).
   */
  async write(
    commits: readonly Commit[],
    appliedIndex: number,
    tableIndexes: Readonly<Record<TableName, number>>,
    raftOffset: number,
  ): Promise<void> {
    this.throwIfFailed();
    assert(!this.restoring, "leveldb-state: write during a restore");
    const batch = this.queued ?? {
      ops: [],
      appliedIndex,
      tableIndexes,
      raftOffset,
      deadPlans: [],
      planFiles: [],
      bytes: 0,
    };
    assert(appliedIndex >= batch.appliedIndex, "leveldb-state: applied index moved backwards");
    for (const commit of commits) this.encodeCommit(commit, batch);
    batch.appliedIndex = appliedIndex;
    batch.tableIndexes = tableIndexes;
    batch.raftOffset = raftOffset;
    this.queued = batch;
    if (batch.bytes >= PUMP_NOW_BYTES && this.inflight === undefined) {
      clearTimeout(this.pumpTimer);
      this.pumpTimer = undefined;
      this.pump();
    } else {
      this.schedulePump();
    }
    while (
      this.queued !== undefined &&
      (this.queued.ops.length > MAX_QUEUED_OPS || this.queued.bytes > MAX_QUEUED_BYTES)
    ) {
      if (this.inflight === undefined) this.pump();
      await this.nextDrain();
    }
    this.throwIfFailed();
  }

  private encodeCommit(commit: Commit, batch: QueuedBatch): void {
    const g = this.generation;
    // Without the entry's bytes (a command applied directly, not from Raft) every record is stored.
    const fromEntry = commit.entryData !== undefined && commit.placedFromEntry.size > 0;
    if (fromEntry) {
      const bytes = commit.entryData as Uint8Array;
      const ids = this.codec.pack(createdIds(commit));
      batch.bytes += bytes.length + ids.length;
      if (bytes.length >= this.planFileBytes) batch.planFiles.push({ index: commit.index, bytes });
      else batch.ops.push({ type: "put", key: planKey(g, commit.index), value: bytes });
      batch.ops.push({ type: "put", key: planIdsKey(g, commit.index), value: ids });
      this.planRefs.set(commit.index, commit.placedFromEntry.size);
    }
    const prefix = recordPrefix(g);
    for (const [table, changes] of commit.changes) {
      if (table === "allocs") {
        for (const [id, value] of changes)
          this.encodeAlloc(commit, fromEntry, id, value as Allocation | null, batch);
        continue;
      }
      for (const [key, value] of changes) {
        const full = `${prefix}${table}:${key}`;
        if (value === null) {
          batch.ops.push({ type: "del", key: full });
          batch.bytes += full.length;
        } else {
          const packed = this.codec.pack(value);
          batch.ops.push({ type: "put", key: full, value: packed });
          batch.bytes += full.length + packed.length;
        }
      }
    }
    for (const [id, last] of commit.deletedAllocs) {
      // Every allocation whose CreateIndex names a stored plan was created by that plan.
      const refs = this.planRefs.get(last.CreateIndex);
      if (refs === undefined) continue;
      batch.ops.push({
        type: "put",
        key: `${tombstonePrefix(g, last.CreateIndex)}${id}`,
        value: this.codec.pack(commit.index),
      });
      if (refs > 1) {
        this.planRefs.set(last.CreateIndex, refs - 1);
        continue;
      }
      this.planRefs.delete(last.CreateIndex);
      batch.ops.push(
        { type: "del", key: planKey(g, last.CreateIndex) },
        { type: "del", key: planIdsKey(g, last.CreateIndex) },
      );
      batch.deadPlans.push(last.CreateIndex);
    }
  }

  /**
   * The operations storing allocation `id`'s value after `commit` (null: deleted). Invariant:
   * "o:<id>" exists (stored or queued) only while the allocation exists and its stored base
   * (record, else plan entry) plus that overlay equals the allocation in memory. So a deletion
   * and every whole record of an allocation that existed before the commit, or was deleted in it,
   * delete the overlay in the same batch, after any earlier put of it (a batch applies its
   * operations in order); an overlay is written only on top of the value the allocation had
   * before the commit, which (by the invariant) is what the store then holds.
   */
  private encodeAlloc(
    commit: Commit,
    fromEntry: boolean,
    id: string,
    value: Allocation | null,
    batch: QueuedBatch,
  ): void {
    // Stored as part of the plan entry, unless changed again within the same entry.
    if (fromEntry && value !== null && commit.placedFromEntry.get(id) === value) return;
    const g = this.generation;
    const record = `${recordPrefix(g)}allocs:${id}`;
    const overlay = `${overlayPrefix(g)}${id}`;
    if (value === null) {
      batch.ops.push({ type: "del", key: record }, { type: "del", key: overlay });
      batch.bytes += record.length + overlay.length;
      return;
    }
    const before = commit.allocsBefore.get(id);
    // A deletion in this entry may have tombstoned the base in the plan: such a value is stored whole.
    const replaced = commit.deletedAllocs.has(id);
    if (before !== undefined && !replaced) {
      const fields = clientOverlay(before, value);
      if (fields !== undefined) {
        const packed = this.codec.pack(fields);
        batch.ops.push({ type: "put", key: overlay, value: packed });
        batch.bytes += overlay.length + packed.length;
        return;
      }
    }
    const packed = this.codec.pack(value);
    batch.ops.push({ type: "put", key: record, value: packed });
    batch.bytes += record.length + packed.length;
    if (before !== undefined || replaced) {
      batch.ops.push({ type: "del", key: overlay });
      batch.bytes += overlay.length;
    }
  }

  /**
   * Waits until the state at `index` (or later) is durable. Unlike flush() it ends while applies
   * go on and queue more.
   */
  async flushTo(index: number): Promise<void> {
    await this.writeQueuedUntil(() => this.durableIndex >= index);
  }

  /** Waits until everything queued is durable. */
  async flush(): Promise<void> {
    await this.writeQueuedUntil(() => this.inflight === undefined && this.queued === undefined);
  }

  /**
   * Writes what is queued up to state `index` and fsyncs it even when writes are not synced
   * (`sync: false`), so
   * that Raft may drop the log entries behind the durable index. One synced write suffices:
   * LevelDB makes every earlier write durable with it (its documented "every Nth write synced"
   * scheme relies on the same).
   */
  async persist(index: number): Promise<void> {
    await this.flushTo(index);
    if (this.sync) return;
    // A key of its own: a batch written meanwhile must not see its applied index overwritten.
    await this.db.put(SYNC_KEY, EMPTY, { sync: true });
    this.throwIfFailed();
  }

  /** Someone waits: what is queued goes to disk now, not after the gathering delay. */
  private async writeQueuedUntil(done: () => boolean): Promise<void> {
    while (!done()) {
      this.throwIfFailed();
      assert(
        this.inflight !== undefined || this.queued !== undefined,
        () => `leveldb-state: waiting with nothing queued (durable ${this.durableIndex})`,
      );
      if (this.inflight === undefined) {
        clearTimeout(this.pumpTimer);
        this.pumpTimer = undefined;
        this.pump();
      }
      await this.nextDrain();
    }
    this.throwIfFailed();
  }

  /**
   * Starts the next write a little later rather than inside the apply: the proposers of the
   * entries just applied hear back (and their HTTP answers go out) first, and everything applied
   * meanwhile joins one LevelDB write. Each write is a round trip through libuv's thread pool,
   * two thread wake-ups that cost more CPU on this kind of machine than the write itself; at one
   * write outstanding that was one round trip per entry on every server. A full queue is written
   * on the next turn. While a write is in flight its completion starts the next one. Nothing
   * waits for these writes but flush() (Raft's snapshots, close), so the delay costs no latency.
   */
  private schedulePump(): void {
    if (this.inflight !== undefined) return;
    const full =
      this.queued !== undefined &&
      (this.queued.ops.length >= PUMP_NOW_OPS || this.queued.bytes >= PUMP_NOW_BYTES);
    if (this.pumpTimer !== undefined && !full) return;
    clearTimeout(this.pumpTimer);
    const start = (): void => {
      this.pumpTimer = undefined;
      this.pump();
    };
    this.pumpTimer = full ? setTimeout(start, 0) : setTimeout(start, PUMP_DELAY_MS);
  }

  private pumpTimer: NodeJS.Timeout | undefined;

  private pump(): void {
    if (this.inflight !== undefined || this.queued === undefined || this.failure !== undefined) return;
    const batch = this.queued;
    this.queued = undefined;
    const g = this.generation;
    batch.ops.push(
      { type: "put", key: metaKey(g, "applied"), value: this.codec.pack(batch.appliedIndex) },
      { type: "put", key: metaKey(g, "tables"), value: this.codec.pack(batch.tableIndexes) },
      { type: "put", key: metaKey(g, "offset"), value: this.codec.pack(batch.raftOffset) },
    );
    // Plan files are durable before the write that refers to them (plan-files.ts).
    this.inflight = this.files
      .write(g, batch.planFiles)
      .then(() => writeLevelBatch(this.db, batch.ops, this.sync))
      // Tombstones of dead plans go after the atomic write; leftovers (a crash in between) are
      // found and cleared by the next open.
      .then(() => deletePlans(this.db, this.files, g, batch.deadPlans))
      .then(
        () => {
          this.durableIndex = batch.appliedIndex;
          this.durableOffset = batch.raftOffset;
          this.inflight = undefined;
          if (this.drainWaiters.length > 0) this.pump();
          else this.schedulePump();
          this.wakeDrainWaiters();
        },
        (error: unknown) => {
          // The disk failed under us: every later write and flush reports it; nothing is retried,
          // because the in-memory state is already ahead of what LevelDB holds.
          this.failure = error instanceof Error ? error : new Error(String(error));
          this.inflight = undefined;
          this.wakeDrainWaiters();
        },
      );
  }

  private nextDrain(): Promise<void> {
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const wake of waiters) wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Replaces everything with a snapshot stream (crash safe, see above), returning the in-memory
   * tables built from the same stream. `raftIndex` is the Raft index the snapshot was taken at.
   */
  async restore(raftIndex: number, chunks: AsyncIterable<Uint8Array>): Promise<Tables> {
    await this.flush();
    assert(!this.restoring, "leveldb-state: concurrent restores");
    this.restoring = true;
    try {
      const next = this.generation + 1;
      await clearGeneration(this.db, next);
      const prefix = recordPrefix(next);
      let builder: TablesBuilder | undefined;
      let tableIndexes: Record<TableName, number> | undefined;
      let raftOffset = 0;
      const read = await readSnapshotStream(
        chunks,
        (header) => {
          if (header.index - header.raftOffset !== raftIndex) {
            throw new CorruptSnapshotError(
              `snapshot is at Raft index ${header.index - header.raftOffset}, expected ${raftIndex}`,
            );
          }
          builder = new TablesBuilder(header.index, header.tableIndexes, header.raftOffset);
          tableIndexes = header.tableIndexes;
          raftOffset = header.raftOffset;
        },
        async (table, records) => {
          const target = builder as TablesBuilder;
          const ops: Op[] = [];
          for (const [key, value] of records) {
            target.add(table, key, value);
            ops.push({ type: "put", key: `${prefix}${table}:${key}`, value: this.codec.pack(value) });
          }
          await this.db.batch(ops);
        },
      );
      assert(builder !== undefined && tableIndexes !== undefined, "restore: no header");
      await this.db.batch([
        { type: "put", key: metaKey(next, "applied"), value: this.codec.pack(read.index) },
        { type: "put", key: metaKey(next, "tables"), value: this.codec.pack(tableIndexes) },
        { type: "put", key: metaKey(next, "offset"), value: this.codec.pack(raftOffset) },
      ]);
      // The flip: from here on the new generation is the state (synced, so it survives power loss).
      await this.db.put(GEN_KEY, this.codec.pack(next), { sync: true });
      const old = this.generation;
      this.generation = next;
      this.durableIndex = read.index;
      this.durableOffset = raftOffset;
      this.planRefs = new Map();
      await clearGeneration(this.db, old);
      await this.files.removeAllBut(next, () => true);
      return builder.finish();
    } finally {
      this.restoring = false;
    }
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await flushMemtable(this.db);
    } finally {
      await this.db.close();
    }
  }
}

/**
 * Loads the live generation of an open store and clears what it no longer needs: other
 * generations, dead plan entries (with their files) and plan files nothing refers to.
 */
async function loadStored(
  db: Db,
  files: PlanFiles,
  codec: RecordCodec,
): Promise<{ generation: number; loaded: Loaded }> {
  const genBytes = await db.get(GEN_KEY);
  const generation = genBytes === undefined ? 0 : (codec.unpack(genBytes) as number);
  assert(Number.isSafeInteger(generation) && generation >= 0, "leveldb-state: bad generation key");
  await clearOtherGenerations(db, generation);
  const loaded = await loadGeneration(db, files, generation, codec);
  // Orphaned files go at once (nothing refers to them); a dead plan's file only once its
  // deletion from LevelDB is durable, which deletePlans sees to.
  const dead = new Set(loaded.deadPlans);
  await files.removeAllBut(generation, (index) => loaded.planRefs.has(index) || dead.has(index));
  await deletePlans(db, files, generation, loaded.deadPlans);
  return { generation, loaded };
}

/**
 * Writes LevelDB's memtable to a table file. What it holds is otherwise only in the log, which
 * the next open replays before anything is read (up to a memtable's worth of records inserted
 * again and written to a table file, inside the restart). LevelDB flushes the memtable before
 * any manual compaction; the range compacted here holds no key (keys start with "!" or "g":
 * leveldb-layout.ts), so nothing else is rewritten.
 */
async function flushMemtable(db: Db): Promise<void> {
  await db.compactRange("\u0000", "\u0001");
}

/**
 * What the plan-ids record of a commit holds (leveldb-layout.ts): the ids of the allocations the
 * entry's plan created, in the order apply placed them, or just their number when the plan
 * created every allocation it lists (the common case; the loader then takes them all, in the
 * plan's order, which is the order apply placed them in). Packing a thousand ids per plan was a
 * tenth of a LevelDB write's bytes and ~0.7 µs of apply per allocation.
 */
function createdIds(commit: Commit): string[] | number {
  const created = commit.placedFromEntry;
  if (commit.command?.type !== "plan-apply") return [...created.keys()];
  // placedFromEntry holds distinct ids of allocations the plan lists: as many means all of them.
  return commit.placementsListed === created.size ? created.size : [...created.keys()];
}
