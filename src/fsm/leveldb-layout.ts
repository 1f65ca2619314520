import type { ClassicLevel } from "classic-level";

/**
 * Key layout of the FSM's LevelDB (see leveldb-state.ts for why it is shaped so). Every key but
 * "!gen" and "!sync" lives under a generation; one generation is live at a time.
 *
 *   "!gen"                        → live generation number
 *   "!sync"                       → nothing: written with fsync to make earlier writes durable
 *   "g<gen>:e:<index>:a"          → ids of the allocations a plan entry created, or their number
 *                                   when it created every allocation it lists
 *   "g<gen>:e:<index>:b"          → that plan entry's bytes, when it is smaller than the plan
 *                                   file size (leveldb-state.ts); a larger one is the file
 *                                   plans/<gen>-<index>.plan instead (plan-files.ts)
 *   "g<gen>:m:applied"            → applied index of the generation
 *   "g<gen>:m:tables"             → table indexes of the generation
 *   "g<gen>:o:<alloc id>"         → the client-owned fields of that allocation (an overlay,
 *                                   alloc-client-overlay.ts) over its base: its "r" record if
 *                                   it has one, else the plan entry that created it
 *   "g<gen>:r:<table>:<key>"      → one record (record-codec.ts)
 *   "g<gen>:t:<index>:<alloc id>" → that plan's allocation was deleted (value: deleting index)
 *
 * Indexes are fixed-width hex so that keys sort in index order. The order of the prefixes is
 * chosen for LevelDB's compactions: the plan entries (its bulkiest values) come first and only
 * ever grow at the end of their range, so the key range of a new batch ([newest plan … small
 * mutable records]) overlaps none of the older plan data, which compactions then need not
 * rewrite again and again. clearGeneration and clearOtherGenerations clear whole generations,
 * whatever prefixes they hold (the plan files of a generation are PlanFiles').
 */
export type Db = ClassicLevel<string, Uint8Array>;

export const GEN_KEY = "!gen";
export const SYNC_KEY = "!sync";

/** A generation number as keys and plan file names write it: fixed-width hex. */
export function hexGeneration(generation: number): string {
  return generation.toString(16).padStart(8, "0");
}

export function genPrefix(generation: number): string {
  return `g${hexGeneration(generation)}:`;
}

export function hexIndex(index: number): string {
  return index.toString(16).padStart(13, "0");
}

/** `applied`: the state index; `tables`: the table indexes; `offset`: raftOffset (absent = 0). */
export function metaKey(generation: number, name: "applied" | "tables" | "offset"): string {
  return `${genPrefix(generation)}m:${name}`;
}

export function recordPrefix(generation: number): string {
  return `${genPrefix(generation)}r:`;
}

/** Overlays of allocations (see the table above); the key is this and the allocation's id. */
export function overlayPrefix(generation: number): string {
  return `${genPrefix(generation)}o:`;
}

export function planPrefix(generation: number): string {
  return `${genPrefix(generation)}e:`;
}

/** The bytes of the plan entry at `index` ("b" sorts after its ids, "a"). */
export function planKey(generation: number, index: number): string {
  return `${planPrefix(generation)}${hexIndex(index)}:b`;
}

export function planIdsKey(generation: number, index: number): string {
  return `${planPrefix(generation)}${hexIndex(index)}:a`;
}

export function tombstonePrefix(generation: number, index: number): string {
  return `${genPrefix(generation)}t:${hexIndex(index)}:`;
}

/** The range of every key starting with `prefix` (prefixes here end in ":", and ";" follows ":"). */
export function prefixRange(prefix: string): { gte: string; lt: string } {
  return { gte: prefix, lt: `${prefix.slice(0, -1)};` };
}

export async function clearGeneration(db: Db, generation: number): Promise<void> {
  await db.clear(prefixRange(genPrefix(generation)));
}

export async function clearOtherGenerations(db: Db, live: number): Promise<void> {
  const prefix = genPrefix(live);
  await db.clear({ gte: "g", lt: prefix });
  await db.clear({ gte: `${prefix.slice(0, -1)};`, lt: "h" });
}
