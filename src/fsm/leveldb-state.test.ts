import { readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../raft/core/types.js";
import { encodeCommand } from "./command-codec.js";
import type { Command } from "./commands.js";
import { DroverFsm } from "./drover-fsm.js";
import { CorruptSnapshotError } from "./errors.js";
import { planIdsKey, tombstonePrefix } from "./leveldb-layout.js";
import { PLAN_FILE_BYTES } from "./leveldb-state.js";
import { mockAlloc, mockId, mockJob, mockNode, mockPlanApply } from "./mock.js";
import { planFileName } from "./plan-files.js";
import type { Allocation } from "./structs.js";
import { removeTempDirs, snapshotBytes, storedLevelKeys, tempDir } from "./test-store.js";

afterEach(removeTempDirs);

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
    const before = await snapshotBytes(fsm.store.tables());
    await fsm.close();
    const reopened = await DroverFsm.open(dir);
    expect(reopened.store.snapshot().allocCount()).toBe(5);
    expect((await snapshotBytes(reopened.store.tables())).equals(before)).toBe(true);
    await reopened.close();
  });
});

describe("plan entries kept as files", () => {
  const nodes = [mockNode({ ID: mockId(1, 1) }), mockNode({ ID: mockId(2, 1) })];
  const job = mockJob();
  /** Entries 1–3: the nodes, the job and a plan of `count` new allocations (index 3). */
  function entries(count: number): Entry[] {
    const allocs = Array.from({ length: count }, (_, n) =>
      mockAlloc({
        ID: mockId(n + 1, 0xa),
        NodeID: mockId(1 + (n % 2), 1),
        JobID: job.ID,
        Name: `${job.ID}.web[${n}]`,
      }),
    );
    return [
      {
        term: 1,
        index: 1,
        type: "normal",
        data: encodeCommand({ type: "node-register", Nodes: nodes, Evals: [] }),
      },
      {
        term: 1,
        index: 2,
        type: "normal",
        data: encodeCommand({ type: "job-register", Job: job, Eval: null }),
      },
      { term: 1, index: 3, type: "normal", data: encodeCommand(mockPlanApply(allocs, { Now: 3 })) },
    ];
  }
  /** A store in a fresh directory holding entries(count), closed; with its snapshot bytes. */
  async function stored(count: number): Promise<{ dir: string; bytes: Buffer }> {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir, { sync: false });
    await fsm.apply(entries(count));
    const bytes = await snapshotBytes(fsm.store.tables());
    await fsm.close();
    return { dir, bytes };
  }
  const planFiles = (dir: string): string[] => readdirSync(join(dir, "plans")).sort();

  it("hold a large plan entry's bytes outside LevelDB, and a small one's inside", async () => {
    const large = await stored(400);
    expect(entries(400)[2]?.data.length).toBeGreaterThanOrEqual(PLAN_FILE_BYTES);
    expect(planFiles(large.dir)).toEqual([planFileName(0, 3)]);
    const keys = await storedLevelKeys(large.dir);
    expect(keys.filter((key) => key.includes(":e:"))).toEqual([planIdsKey(0, 3)]);
    const reopened = await DroverFsm.open(large.dir);
    expect(reopened.store.snapshot().allocCount()).toBe(400);
    expect((await snapshotBytes(reopened.store.tables())).equals(large.bytes)).toBe(true);
    await reopened.close();

    const small = await stored(3);
    expect(planFiles(small.dir)).toEqual([]);
    expect((await storedLevelKeys(small.dir)).filter((key) => key.includes(":e:")).length).toBe(2);
  });

  it("remove orphaned files and other generations' at open, and nothing else", async () => {
    const { dir, bytes } = await stored(400);
    const [kept] = planFiles(dir);
    // A plan written just before a crash (its LevelDB write lost), an old generation's plan, and
    // a file that is not a plan's.
    writeFileSync(join(dir, "plans", planFileName(0, 9)), "half");
    writeFileSync(join(dir, "plans", planFileName(7, 3)), "old");
    writeFileSync(join(dir, "plans", "notes.txt"), "mine");
    const reopened = await DroverFsm.open(dir);
    expect((await snapshotBytes(reopened.store.tables())).equals(bytes)).toBe(true);
    await reopened.close();
    expect(planFiles(dir)).toEqual([kept, "notes.txt"]);
  });

  it("remove a plan found dead at open (a crash before its cleanup) with its file", async () => {
    const { dir } = await stored(400);
    // Every allocation of plan 3 tombstoned, as a deletion leaves it before the plan is cleared.
    const db = new ClassicLevel<string, Uint8Array>(dir, { keyEncoding: "utf8", valueEncoding: "view" });
    await db.open();
    const ops = Array.from({ length: 400 }, (_, n) => ({
      type: "put" as const,
      key: `${tombstonePrefix(0, 3)}${mockId(n + 1, 0xa)}`,
      value: new Uint8Array([4]),
    }));
    await db.batch(ops);
    await db.close();
    const reopened = await DroverFsm.open(dir);
    expect(reopened.store.snapshot().allocCount()).toBe(0);
    await reopened.close();
    expect(planFiles(dir)).toEqual([]);
    expect((await storedLevelKeys(dir)).filter((key) => key.includes(":e:") || key.includes(":t:"))).toEqual(
      [],
    );
  });

  it("refuse to load a store whose plan file is gone, and leave what is stored as it was", async () => {
    const { dir } = await stored(400);
    const keys = await storedLevelKeys(dir);
    rmSync(join(dir, "plans", planFiles(dir)[0] as string));
    const opening = DroverFsm.open(dir);
    await expect(opening).rejects.toBeInstanceOf(CorruptSnapshotError);
    await expect(opening).rejects.toThrow(/stored plan 3 has no file/);
    expect(await storedLevelKeys(dir)).toEqual(keys);
  });
});
