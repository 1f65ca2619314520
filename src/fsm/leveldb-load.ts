import { type AllocClientFields, isClientFields } from "./alloc-client-overlay.js";
import { decodeCommand } from "./command-codec.js";
import type { PlanApplyCommand } from "./commands.js";
import { CorruptSnapshotError } from "./errors.js";
import { stringsOwned } from "./fast-decode.js";
import {
  type Db,
  genPrefix,
  metaKey,
  overlayPrefix,
  planIdsKey,
  planKey,
  planPrefix,
  prefixRange,
  recordPrefix,
  SYNC_KEY,
  tombstonePrefix,
} from "./leveldb-layout.js";
import { placedAlloc } from "./placed-alloc.js";
import type { PlanFiles } from "./plan-files.js";
import type { RecordCodec } from "./record-codec.js";
import type { Allocation } from "./structs.js";
import { completeTableIndexes, emptyTables, isTableName, type Tables } from "./tables.js";
import { TablesBuilder } from "./tables-builder.js";

const LOAD_BATCH = 2000;
const PLAN_BATCH = 4;
/** Plan entries whose bytes are read ahead of the one being loaded. */
const PLAN_LOOKAHEAD = 4;
const EMPTY = new Uint8Array(0);

export interface Loaded {
  tables: Tables;
  /** Live plan entries → how many allocations they created are still stored. */
  planRefs: Map<number, number>;
  /** Plan entries (with their tombstones) that no longer back any allocation: to delete. */
  deadPlans: number[];
}

/**
 * Loads generation `generation`: allocations created by stored plan entries (rebuilt with the
 * same placedAlloc() apply used), minus tombstoned ones, overridden by individual records, which
 * are always newer (any later change of an allocation is stored as its own record), each with
 * its overlay of client-owned fields written in, if it has one (newer still: LevelState deletes
 * an allocation's overlay with every record it writes of it).
 */
export async function loadGeneration(
  db: Db,
  files: PlanFiles,
  generation: number,
  codec: RecordCodec,
): Promise<Loaded> {
  const applied = await db.get(metaKey(generation, "applied"));
  const storedTables = await db.get(metaKey(generation, "tables"));
  if (applied === undefined || storedTables === undefined) {
    return { tables: emptyTables(), planRefs: new Map(), deadPlans: [] };
  }
  const index = codec.unpack(applied) as number;
  const checked = completeTableIndexes(codec.unpack(storedTables) as Record<string, unknown>);
  if (checked.missing !== undefined)
    throw new CorruptSnapshotError(`stored state lacks table index of ${checked.missing}`);
  const tableIndexes = checked.indexes;
  const storedOffset = await db.get(metaKey(generation, "offset"));
  const raftOffset = storedOffset === undefined ? 0 : (codec.unpack(storedOffset) as number);
  if (!Number.isSafeInteger(raftOffset) || raftOffset < 0 || raftOffset > index)
    throw new CorruptSnapshotError(`stored state has a malformed raftOffset ${String(raftOffset)}`);
  const prefix = genPrefix(generation);

  // 1. What overrides a plan entry's allocation: a tombstone naming that entry, or a record of
  // the allocation (its newest version, but for an overlay). Both are few next to the plan
  // entries.
  const tombstones = new Map<string, number[]>();
  await scan(db, `${prefix}t:`, LOAD_BATCH, (key) => {
    const sep = key.indexOf(":");
    const id = key.slice(sep + 1);
    tombstones.set(id, [...(tombstones.get(id) ?? []), Number.parseInt(key.slice(0, sep), 16)]);
  });
  const allocRecords = new Set<string>();
  await scanKeys(db, `${recordPrefix(generation)}allocs:`, (id) => {
    allocRecords.add(id);
  });
  // Overlays: about one per allocation once its client reported (small records).
  const overlays = new Map<string, AllocClientFields>();
  await scan(db, overlayPrefix(generation), LOAD_BATCH, (id, value) => {
    const fields = codec.unpack(value);
    if (!isClientFields(fields)) throw new CorruptSnapshotError(`stored overlay of ${id} is malformed`);
    overlays.set(id, fields);
  });

  // 2. Allocations created by plan entries, in index order, straight into the tables. Their ids
  // are distinct once overridden ones are skipped: an id is created again only after its
  // deletion, which tombstoned it under the earlier plan (or deleted that plan).
  const builder = new TablesBuilder(index, tableIndexes, raftOffset, overlays);
  const planIds = new Map<number, readonly string[]>();
  await readPlans(db, files, generation, codec, (planIndex, storedIds, bytes) => {
    const command = decodeCommand(bytes);
    if (command.type !== "plan-apply") {
      throw new CorruptSnapshotError(`stored plan ${planIndex} is a ${command.type}`);
    }
    const created = createdFromRecord(command, storedIds, planIndex);
    planIds.set(
      planIndex,
      created.map((alloc) => alloc.ID),
    );
    const ownStrings = stringsOwned(command);
    for (const alloc of created) {
      if (allocRecords.size > 0 && allocRecords.has(alloc.ID)) continue;
      if (tombstones.size > 0 && tombstones.get(alloc.ID)?.includes(planIndex) === true) continue;
      builder.addPlacedAlloc(placedAlloc(alloc, planIndex, command.Now, true, ownStrings));
    }
  });

  // 3. Records: the latest value of everything they hold.
  await scan(db, recordPrefix(generation), LOAD_BATCH, (rest, value) => {
    const sep = rest.indexOf(":");
    const table = rest.slice(0, sep);
    if (sep < 0 || !isTableName(table)) {
      throw new CorruptSnapshotError(`stored record with bad key ${JSON.stringify(rest)}`);
    }
    builder.add(table, rest.slice(sep + 1), codec.unpack(value));
  });
  const tables = builder.finish();

  const planRefs = new Map<number, number>();
  // Tombstones of plan entries already gone (a crash between a write and its cleanup).
  const orphans = new Set([...tombstones.values()].flat().filter((planIndex) => !planIds.has(planIndex)));
  const deadPlans = [...orphans];
  for (const [planIndex, ids] of planIds) {
    const live = ids.filter((id) => tables.allocs.get(id)?.CreateIndex === planIndex).length;
    if (live > 0) planRefs.set(planIndex, live);
    else deadPlans.push(planIndex);
  }
  return { tables, planRefs, deadPlans };
}

/** The allocations a plan created, given what its plan-ids record holds: ids, or their number. */
function createdFromRecord(command: PlanApplyCommand, stored: unknown, planIndex: number): Allocation[] {
  if (Array.isArray(stored)) return createdBy(command, stored as string[]);
  const all: Allocation[] = [];
  for (const allocs of Object.values(command.NodeAllocation)) for (const alloc of allocs) all.push(alloc);
  if (stored !== all.length) {
    throw new CorruptSnapshotError(
      `stored plan ${planIndex} lists ${all.length} allocations, not ${String(stored)}`,
    );
  }
  return all;
}

/**
 * The allocations of a plan that it created, given their ids. The ids were stored in the order
 * apply placed them (StateTxn.placedFromEntry), which is the plan's own order, so one walk
 * matches them without a set of a thousand ids per plan; should they ever not line up, a set
 * decides instead.
 */
export function createdBy(command: PlanApplyCommand, ids: readonly string[]): Allocation[] {
  const created: Allocation[] = [];
  let next = 0;
  for (const allocs of Object.values(command.NodeAllocation)) {
    for (const alloc of allocs) {
      if (next < ids.length && alloc.ID === ids[next]) {
        created.push(alloc);
        next += 1;
      }
    }
  }
  if (next === ids.length) return created;
  const wanted = new Set(ids);
  return Object.values(command.NodeAllocation)
    .flat()
    .filter((alloc) => wanted.has(alloc.ID));
}

/** A stored plan entry on its way to the loader: its ids record and its bytes, maybe still read. */
interface StoredPlan {
  readonly planIndex: number;
  readonly ids: unknown;
  readonly bytes: Promise<Uint8Array>;
}

/**
 * Calls `onPlan` for every stored plan entry of the generation, in index order, with what its
 * ids record holds and its bytes: from LevelDB when it stored them ("b", right after the entry's
 * "a"), else from the entry's file. Entries are large (~0.5 MB for 1,000 allocations): LevelDB is
 * read a few entries at a time, the next batch while this one is decoded, and files up to
 * PLAN_LOOKAHEAD entries ahead.
 */
async function readPlans(
  db: Db,
  files: PlanFiles,
  generation: number,
  codec: RecordCodec,
  onPlan: (planIndex: number, ids: unknown, bytes: Uint8Array) => void,
): Promise<void> {
  const ahead: StoredPlan[] = [];
  // The entry whose ids were read last, until its bytes are known (or the next entry starts).
  let open: { planIndex: number; ids: unknown } | undefined;
  const close = (bytes?: Uint8Array): void => {
    if (open === undefined) return;
    const read = bytes !== undefined ? Promise.resolve(bytes) : files.read(generation, open.planIndex);
    // Handled when its turn comes; until then a failed read must not count as unhandled.
    read.catch(() => undefined);
    ahead.push({ planIndex: open.planIndex, ids: open.ids, bytes: read });
    open = undefined;
  };
  const drain = async (keep: number): Promise<void> => {
    while (ahead.length > keep) {
      const plan = ahead.shift() as StoredPlan;
      onPlan(plan.planIndex, plan.ids, await plan.bytes);
    }
  };
  try {
    for await (const batch of batches(db, planPrefix(generation), PLAN_BATCH)) {
      for (const [rest, value] of batch) {
        const planIndex = Number.parseInt(rest.slice(0, rest.indexOf(":")), 16);
        if (rest.endsWith(":a")) {
          close();
          open = { planIndex, ids: codec.unpack(value) };
          continue;
        }
        if (open?.planIndex !== planIndex)
          throw new CorruptSnapshotError(`stored plan ${planIndex} has no ids`);
        close(value);
      }
      await drain(PLAN_LOOKAHEAD);
    }
    close();
    await drain(0);
  } finally {
    // File reads still in flight (onPlan threw) end before the load reports.
    await Promise.allSettled(ahead.map((plan) => plan.bytes));
  }
}

/**
 * Deletes dead plan entries with their ids and tombstones (idempotent), and then their files:
 * only once LevelDB's deletion of what refers to them is durable (plan-files.ts).
 */
export async function deletePlans(
  db: Db,
  files: PlanFiles,
  generation: number,
  plans: readonly number[],
): Promise<void> {
  for (const planIndex of plans) {
    await db.batch([
      { type: "del", key: planKey(generation, planIndex) },
      { type: "del", key: planIdsKey(generation, planIndex) },
    ]);
    await db.clear(prefixRange(tombstonePrefix(generation, planIndex)));
  }
  const filed = files.filed(generation, plans);
  if (filed.length === 0) return;
  await db.put(SYNC_KEY, EMPTY, { sync: true });
  await files.remove(generation, filed);
}

async function scanKeys(db: Db, prefix: string, onKey: (rest: string) => void): Promise<void> {
  const iterator = db.keys(prefixRange(prefix));
  try {
    for (;;) {
      const batch = await iterator.nextv(LOAD_BATCH);
      if (batch.length === 0) break;
      for (const key of batch) onKey(key.slice(prefix.length));
    }
  } finally {
    await iterator.close();
  }
}

/** Calls `onRecord` for every record under `prefix`, in key order (see batches). */
async function scan(
  db: Db,
  prefix: string,
  batchSize: number,
  onRecord: (rest: string, value: Uint8Array) => void,
): Promise<void> {
  for await (const batch of batches(db, prefix, batchSize)) {
    for (const [rest, value] of batch) onRecord(rest, value);
  }
}

/**
 * The records under `prefix` in key order, `batchSize` at a time, keys without the prefix. The
 * next batch is read (on libuv's thread pool) while the caller works on this one.
 */
async function* batches(
  db: Db,
  prefix: string,
  batchSize: number,
): AsyncGenerator<Array<[string, Uint8Array]>> {
  const iterator = db.iterator(prefixRange(prefix));
  let pending: Promise<Array<[string, Uint8Array]>> | undefined;
  try {
    pending = iterator.nextv(batchSize);
    for (;;) {
      const batch = await pending;
      pending = undefined;
      if (batch.length === 0) break;
      pending = iterator.nextv(batchSize);
      for (const record of batch) record[0] = record[0].slice(prefix.length);
      yield batch;
    }
  } finally {
    // A read still in flight (the caller stopped early) ends before the iterator closes.
    await pending?.catch(() => undefined);
    await iterator.close();
  }
}
