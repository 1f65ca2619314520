import type { ClassicLevel } from "classic-level";

/**
 * Key layout of the FSM's LevelDB (see leveldb-state.ts for why it is shaped so). Every key but
 * "!gen" lives under a generation; one generation is live at a time.
 *
 *   "!gen"                        → live generation number
 *   "g<gen>:m:applied"            → applied index of the generation
 *   "g<gen>:m:tables"             → table indexes of the generation
 *   "g<gen>:r:<table>:<key>"      → one record (record-codec.ts)
 *   "g<gen>:p:<index>"            → a plan entry's bytes: the allocations it created
 *   "g<gen>:q:<index>"            → ids of the allocations that plan entry created
 *   "g<gen>:t:<index>:<alloc id>" → that plan's allocation was deleted (value: deleting index)
 *
 * Indexes are fixed-width hex so that keys sort in index order.
 */
export type Db = ClassicLevel<string, Uint8Array>;

export const GEN_KEY = "!gen";

export function genPrefix(generation: number): string {
  return `g${generation.toString(16).padStart(8, "0")}:`;
}

export function hexIndex(index: number): string {
  return index.toString(16).padStart(13, "0");
}

export function metaKey(generation: number, name: "applied" | "tables"): string {
  return `${genPrefix(generation)}m:${name}`;
}

export function recordPrefix(generation: number): string {
  return `${genPrefix(generation)}r:`;
}

export function planKey(generation: number, index: number): string {
  return `${genPrefix(generation)}p:${hexIndex(index)}`;
}

export function planIdsKey(generation: number, index: number): string {
  return `${genPrefix(generation)}q:${hexIndex(index)}`;
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
