import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { syncDir, writeFileDurably } from "../common/durable-file.js";
import { CorruptSnapshotError } from "./errors.js";
import { hexGeneration, hexIndex } from "./leveldb-layout.js";

/**
 * Large plan entries kept as files of their own, beside the FSM's LevelDB (leveldb-state.ts
 * stores every plan entry's bytes once, as the base of the allocations it created).
 *
 * Why not in LevelDB like everything else: a plan entry of a thousand allocations is about half
 * a megabyte, and LevelDB rewrites every value each time a compaction moves it down a level.
 * For plan entries, which are written once, never change and are deleted whole, that was most of
 * the disk's work and a background core's worth of CPU while plans were applied, and every
 * value was copied once more into the write batch on the applying thread. Here each such entry is
 * written once, read once at a restart, and unlinked when its last allocation goes.
 *
 * Durability rule: a file is durable (its data and its directory entry fsynced) before any
 * LevelDB write refers to it, and it is unlinked only after a durable LevelDB write stopped
 * referring to it. A file nothing refers to (a crash in between) is an orphan: `open` removes
 * it, as it removes the files of every generation but the live one.
 *
 * Names: `<generation>-<index>.plan`, both fixed-width hex (the layout's key encoding).
 */
export class PlanFiles {
  /** The plan indexes with a file in the live generation (the one removeAllBut kept). */
  private readonly held = new Set<number>();
  private live = -1;

  private constructor(private readonly dir: string) {}

  /** The plan files under `dir` (created if missing). */
  static async open(dir: string): Promise<PlanFiles> {
    await mkdir(dir, { recursive: true });
    return new PlanFiles(dir);
  }

  private path(generation: number, index: number): string {
    return join(this.dir, planFileName(generation, index));
  }

  /** Writes the plans' files and makes them durable (data, then the directory) before resolving. */
  async write(generation: number, plans: ReadonlyArray<{ index: number; bytes: Uint8Array }>): Promise<void> {
    if (plans.length === 0) return;
    await Promise.all(plans.map((plan) => writeFileDurably(this.path(generation, plan.index), plan.bytes)));
    await syncDir(this.dir);
    if (generation === this.live) for (const plan of plans) this.held.add(plan.index);
  }

  /** Which of these plans of generation `generation` have a file. */
  filed(generation: number, indexes: readonly number[]): number[] {
    return generation === this.live ? indexes.filter((index) => this.held.has(index)) : [];
  }

  /** The bytes of a stored plan's file. */
  async read(generation: number, index: number): Promise<Uint8Array> {
    try {
      return await readFile(this.path(generation, index));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new CorruptSnapshotError(`stored plan ${index} has no file ${this.path(generation, index)}`);
      }
      throw error;
    }
  }

  /** Unlinks these plans' files, where they exist (the caller made their removal from LevelDB durable). */
  async remove(generation: number, indexes: readonly number[]): Promise<void> {
    for (const index of indexes) {
      await rm(this.path(generation, index), { force: true });
      if (generation === this.live) this.held.delete(index);
    }
  }

  /**
   * Makes `live` the live generation and unlinks every file but those of it that `keep` accepts
   * (by plan index): the files of other generations and the orphans of the live one.
   */
  async removeAllBut(live: number, keep: (index: number) => boolean): Promise<void> {
    this.live = live;
    this.held.clear();
    let removed = false;
    for (const name of await readdir(this.dir)) {
      const match = PLAN_FILE.exec(name);
      if (match === null) continue;
      const index = Number.parseInt(match[2] as string, 16);
      if (Number.parseInt(match[1] as string, 16) === live && keep(index)) {
        this.held.add(index);
        continue;
      }
      await rm(join(this.dir, name), { force: true });
      removed = true;
    }
    if (removed) await syncDir(this.dir);
  }
}

/** The name of plan `index`'s file in generation `generation`; PLAN_FILE reads it back. */
export function planFileName(generation: number, index: number): string {
  return `${hexGeneration(generation)}-${hexIndex(index)}.plan`;
}

const PLAN_FILE = /^([0-9a-f]{8})-([0-9a-f]{13})\.plan$/;
