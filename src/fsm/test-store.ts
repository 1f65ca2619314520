import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { writeSnapshotStream } from "./snapshot-stream.js";
import type { Tables } from "./tables.js";

/** Test support for stores on disk: temporary data directories and snapshot bytes. */

const dirs: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs (call it in afterEach). */
export function tempDir(prefix = "drover-fsm-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The Raft snapshot stream of `tables`, as one buffer (compares whole states byte for byte). */
export async function snapshotBytes(tables: Tables): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeSnapshotStream(tables)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Every key LevelDB holds in the (closed) store in `dir`, in key order. */
export async function storedLevelKeys(dir: string): Promise<string[]> {
  const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
  await db.open();
  try {
    return await db.keys().all();
  } finally {
    await db.close();
  }
}

/** `bytes` as a one-chunk stream (what a restore reads). */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
