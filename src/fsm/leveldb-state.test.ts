import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ClassicLevel } from "classic-level";
import type { Entry } from "../raft/core/types.js";
import { encodeCommand } from "./command-codec.js";
import type { Command } from "./commands.js";
import { DroverFsm } from "./drover-fsm.js";
import { mockAlloc, mockId, mockJob, mockNode, mockPlanApply } from "./mock.js";
import { writeSnapshotStream } from "./snapshot-stream.js";
import type { Allocation } from "./structs.js";

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

describe("opening a store", () => {
  it("leaves a store it cannot load closed, so that it can be opened again", async () => {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir, { sync: false });
    await fsm.apply([bigWrite(1)]);
    await fsm.close();
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    await db.put("g00000000:r:no-such-table:x", new Uint8Array([0xc0]));
    await db.close();
    for (let attempt = 0; attempt < 2; attempt++) {
      await expect(DroverFsm.open(dir)).rejects.toThrow(/stored record with bad key/);
    }
  });
});

describe("stored plan entries", () => {
  async function bytesOf(fsm: DroverFsm): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    for await (const chunk of writeSnapshotStream(fsm.store.tables())) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  function planEntry(index: number, allocs: Allocation[]): Entry {
    return { term: 1, index, type: "normal", data: encodeCommand(mockPlanApply(allocs, { Now: index })) };
  }

  it("reload a plan that created all its allocations and one that created some", async () => {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir, { sync: false });
    const nodes = [mockNode({ ID: mockId(1, 1) }), mockNode({ ID: mockId(2, 1) })];
    const job = mockJob();
    const alloc = (n: number, node: number): Allocation =>
      mockAlloc({ ID: mockId(n, 0xa), NodeID: mockId(node, 1), JobID: job.ID, Name: `${job.ID}.web[${n}]` });
    const command = (c: Command, index: number): Entry => ({
      term: 1,
      index,
      type: "normal",
      data: encodeCommand(c),
    });
    await fsm.apply([
      command({ type: "node-register", Nodes: nodes, Evals: [] }, 1),
      command({ type: "job-register", Job: job, Eval: null }, 2),
      // Every allocation new: the stored ids are just their number.
      planEntry(3, [alloc(1, 1), alloc(2, 2), alloc(3, 1)]),
      // One update of a stored allocation and two new ones: the ids of the new ones.
      planEntry(4, [alloc(4, 2), { ...alloc(2, 2), DesiredDescription: "updated" }, alloc(5, 1)]),
    ]);
    const before = await bytesOf(fsm);
    await fsm.close();
    const reopened = await DroverFsm.open(dir);
    expect(reopened.store.snapshot().allocCount()).toBe(5);
    expect((await bytesOf(reopened)).equals(before)).toBe(true);
    await reopened.close();
  });
});
