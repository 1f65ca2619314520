import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../raft/core/types.js";
import { encodeCommand } from "./command-codec.js";
import { DroverFsm } from "./drover-fsm.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "drover-level-state-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A variable write of about one MiB (what a plan entry of 2,000 allocations weighs). */
function bigWrite(index: number): Entry {
  const command = {
    type: "var-put" as const,
    Var: { Namespace: "default", Path: `big/${index}`, Items: { blob: "x".repeat(1 << 20) } },
    CAS: null,
    Now: index,
  };
  return { term: 1, index, type: "normal", data: encodeCommand(command) };
}

function logBytes(dir: string): number {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".log"))
    .reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
}

describe("LevelState writes", () => {
  it("bound what a burst of applies that never yields queues, by bytes as well as operations", async () => {
    const fsm = await DroverFsm.open(tempDir(), { sync: false });
    // Forty entries of 1 MiB, applied back to back: a handful of operations in all, far below
    // the operation bound, so only the byte bound makes apply wait for the disk on the way.
    for (let index = 1; index <= 40; index++) await fsm.apply([bigWrite(index)]);
    expect(fsm.appliedIndex()).toBeGreaterThan(0);
    await fsm.close();
  });

  it("leave nothing in LevelDB's log for the next open to replay", async () => {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir, { sync: false });
    for (let index = 1; index <= 3; index++) await fsm.apply([bigWrite(index)]);
    await fsm.close();
    expect(logBytes(dir)).toBe(0);
    const again = await DroverFsm.open(dir);
    expect(again.store.snapshot().index).toBe(3);
    await again.close();
  });
});
