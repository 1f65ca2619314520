import { ClassicLevel } from "classic-level";
import { Packr } from "msgpackr";
import { assert } from "../shared/assert.js";
import { CorruptSnapshotError } from "./errors.js";
import { readSnapshotStream } from "./snapshot-stream.js";
import type { Commit } from "./state-store.js";
import { emptyTables, isTableName, TABLES, type TableName, type Tables } from "./tables.js";
import { TablesBuilder } from "./tables-builder.js";

/**
 * The FSM's durable copy in LevelDB (classic-level). Each applied batch of entries becomes ONE
 * atomic LevelDB write holding the changed records and the applied index, so after a crash the
 * stored state is exactly the state after some applied index, and Raft replays only later
 * entries.
 *
 * Layout — every record lives under a generation, and one key names the live generation:
 *
 *   "!gen"                    → live generation number
 *   "g<gen>:m:applied"        → applied index of that generation
 *   "g<gen>:m:tables"         → table indexes of that generation
 *   "g<gen>:r:<table>:<key>"  → msgpack record
 *
 * A restore writes a fresh generation next to the live one and then flips "!gen" in one synced
 * write: a crash before the flip leaves the old state whole (the half-written generation is
 * cleared on the next open); a crash after it leaves the new state whole.
 */

const GEN_KEY = "!gen";
const LOAD_BATCH = 2000;
const RESTORE_BATCH = 2000;

export interface LevelStateOptions {
  /**
   * fsync each applied batch (default true). With false, a process crash still loses nothing
   * (the OS has the write) but a machine crash may lose the latest batches; Raft then replays
   * them from its log, which is only safe while the log still holds them.
   */
  readonly sync?: boolean;
}

type Db = ClassicLevel<string, Uint8Array>;

export class LevelState {
  private readonly packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
  private writing = false;

  private constructor(
    private readonly db: Db,
    private generation: number,
    private durableIndex: number,
    private readonly sync: boolean,
  ) {}

  /** Opens (or creates) the store in `dir` and loads every record into memory. */
  static async open(
    dir: string,
    options: LevelStateOptions = {},
  ): Promise<{ level: LevelState; tables: Tables }> {
    const db: Db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    const unpack = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
    const genBytes = await db.get(GEN_KEY);
    const generation = genBytes === undefined ? 0 : (unpack.unpack(genBytes) as number);
    assert(Number.isSafeInteger(generation) && generation >= 0, "leveldb-state: bad generation key");
    await clearOtherGenerations(db, generation);
    const tables = await loadGeneration(db, generation, unpack);
    return { level: new LevelState(db, generation, tables.index, options.sync ?? true), tables };
  }

  /** The applied index that is durable in LevelDB. */
  get appliedIndex(): number {
    return this.durableIndex;
  }

  /**
   * Persists the commits of one applied batch (in index order) with the applied index
   * `appliedIndex` in one atomic write. Changes to the same record collapse to the last one.
   */
  async write(
    commits: readonly Commit[],
    appliedIndex: number,
    tableIndexes: Readonly<Record<TableName, number>>,
  ): Promise<void> {
    assert(!this.writing, "leveldb-state: concurrent writes");
    assert(appliedIndex >= this.durableIndex, "leveldb-state: applied index moved backwards");
    const prefix = recordPrefix(this.generation);
    const merged = new Map<string, unknown>();
    for (const commit of commits) {
      for (const [table, changes] of commit.changes) {
        for (const [key, value] of changes) merged.set(`${prefix}${table}:${key}`, value);
      }
    }
    const ops: Array<{ type: "put"; key: string; value: Uint8Array } | { type: "del"; key: string }> = [];
    for (const [key, value] of merged) {
      ops.push(value === null ? { type: "del", key } : { type: "put", key, value: this.packr.pack(value) });
    }
    ops.push(
      { type: "put", key: metaKey(this.generation, "applied"), value: this.packr.pack(appliedIndex) },
      { type: "put", key: metaKey(this.generation, "tables"), value: this.packr.pack(tableIndexes) },
    );
    this.writing = true;
    try {
      await this.db.batch(ops, { sync: this.sync });
    } finally {
      this.writing = false;
    }
    this.durableIndex = appliedIndex;
  }

  /**
   * Replaces everything with a snapshot stream (see the layout note: crash safe), returning the
   * in-memory tables built from the same stream.
   */
  async restore(index: number, chunks: AsyncIterable<Uint8Array>): Promise<Tables> {
    assert(!this.writing, "leveldb-state: restore during a write");
    this.writing = true;
    try {
      const next = this.generation + 1;
      await clearGeneration(this.db, next);
      const prefix = recordPrefix(next);
      let builder: TablesBuilder | undefined;
      let tableIndexes: Record<TableName, number> | undefined;
      const read = await readSnapshotStream(
        chunks,
        (headerIndex, headerTables) => {
          if (headerIndex !== index) {
            throw new CorruptSnapshotError(`snapshot is at index ${headerIndex}, expected ${index}`);
          }
          builder = new TablesBuilder(headerIndex, headerTables);
          tableIndexes = headerTables;
        },
        async (table, records) => {
          const target = builder as TablesBuilder;
          const ops: Array<{ type: "put"; key: string; value: Uint8Array }> = [];
          for (const [key, value] of records) {
            target.add(table, key, value);
            ops.push({ type: "put", key: `${prefix}${table}:${key}`, value: this.packr.pack(value) });
            if (ops.length >= RESTORE_BATCH) await this.db.batch(ops.splice(0));
          }
          if (ops.length > 0) await this.db.batch(ops);
        },
      );
      assert(builder !== undefined && tableIndexes !== undefined, "restore: no header");
      await this.db.batch([
        { type: "put", key: metaKey(next, "applied"), value: this.packr.pack(read.index) },
        { type: "put", key: metaKey(next, "tables"), value: this.packr.pack(tableIndexes) },
      ]);
      // The flip: from here on the new generation is the state (synced, so it survives power loss).
      await this.db.put(GEN_KEY, this.packr.pack(next), { sync: true });
      const old = this.generation;
      this.generation = next;
      this.durableIndex = read.index;
      await clearGeneration(this.db, old);
      return builder.finish();
    } finally {
      this.writing = false;
    }
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function genPrefix(generation: number): string {
  return `g${generation.toString(16).padStart(8, "0")}:`;
}

function recordPrefix(generation: number): string {
  return `${genPrefix(generation)}r:`;
}

function metaKey(generation: number, name: string): string {
  return `${genPrefix(generation)}m:${name}`;
}

async function clearGeneration(db: Db, generation: number): Promise<void> {
  const prefix = genPrefix(generation);
  // ";" is the character after ":", so this range is exactly the generation's keys.
  await db.clear({ gte: prefix, lt: `${prefix.slice(0, -1)};` });
}

async function clearOtherGenerations(db: Db, live: number): Promise<void> {
  const prefix = genPrefix(live);
  await db.clear({ gte: "g", lt: prefix });
  await db.clear({ gte: `${prefix.slice(0, -1)};`, lt: "h" });
}

async function loadGeneration(db: Db, generation: number, unpack: Packr): Promise<Tables> {
  const applied = await db.get(metaKey(generation, "applied"));
  const storedTables = await db.get(metaKey(generation, "tables"));
  if (applied === undefined || storedTables === undefined) {
    // A fresh store: nothing applied yet.
    return emptyTables();
  }
  const index = unpack.unpack(applied) as number;
  const tableIndexes = unpack.unpack(storedTables) as Record<TableName, number>;
  for (const table of TABLES) {
    if (typeof tableIndexes[table] !== "number")
      throw new CorruptSnapshotError(`stored state lacks table index of ${table}`);
  }
  const builder = new TablesBuilder(index, tableIndexes);
  const prefix = recordPrefix(generation);
  const iterator = db.iterator({ gte: prefix, lt: `${prefix.slice(0, -1)};` });
  try {
    for (;;) {
      const batch = await iterator.nextv(LOAD_BATCH);
      if (batch.length === 0) break;
      for (const [key, value] of batch) {
        const rest = key.slice(prefix.length);
        const sep = rest.indexOf(":");
        const table = rest.slice(0, sep);
        if (sep < 0 || !isTableName(table))
          throw new CorruptSnapshotError(`stored record with bad key ${JSON.stringify(key)}`);
        builder.add(table, rest.slice(sep + 1), unpack.unpack(value));
      }
    }
  } finally {
    await iterator.close();
  }
  return builder.finish();
}
