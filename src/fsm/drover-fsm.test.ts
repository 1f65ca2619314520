import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { Entry } from "../raft/core/types.js";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import { DroverFsm } from "./drover-fsm.js";
import { CommandRejectedError, CorruptSnapshotError } from "./errors.js";
import { randomCommands } from "./random-commands.js";
import { checkTablesInvariants } from "./tables-invariants.js";
import { once, removeTempDirs, snapshotBytes, tempDir } from "./test-store.js";

afterEach(removeTempDirs);

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return Buffer.concat(out);
}

/** Entries for a command log, with a no-op and a membership change mixed in. */
function entries(seed: number, from: number, count: number): Entry[] {
  return randomCommands(seed, count).map((command, i): Entry => {
    const index = from + i;
    if (i % 17 === 5) return { term: 1, index, type: "normal", data: new Uint8Array(0) };
    if (i % 23 === 7) return { term: 1, index, type: "confChange", data: new Uint8Array([1, 2]) };
    return { term: 1, index, type: "normal", data: encodeCommand(command) };
  });
}

async function applyInBatches(fsm: DroverFsm, log: Entry[], batch: number): Promise<unknown[]> {
  const results: unknown[] = [];
  for (let i = 0; i < log.length; i += batch) results.push(...(await fsm.apply(log.slice(i, i + batch))));
  return results;
}

describe("DroverFsm apply timing", () => {
  it("brackets every command entry with the timer it is given, by command type or rejected", async () => {
    const fsm = DroverFsm.inMemory();
    const calls: string[] = [];
    let clock = 0;
    fsm.setApplyTimer({
      start: () => ++clock,
      stop: (started, command) => calls.push(`${command}@${started}`),
    });
    const log = entries(11, 1, 60);
    const results = await fsm.apply(log);
    const expected = log.flatMap((entry, i) => {
      if (entry.type !== "normal" || entry.data.length === 0) return [];
      const result = results[i];
      return [result instanceof CommandRejectedError ? "rejected" : decodeCommand(entry.data).type];
    });
    expect(calls.map((c) => c.split("@")[0])).toEqual(expected);
    expect(expected).toContain("rejected");
    // start() and stop() pair up, one entry at a time.
    expect(calls.map((c) => Number(c.split("@")[1]))).toEqual(expected.map((_, i) => i + 1));
  });
});

describe("DroverFsm on LevelDB", () => {
  it("survives a restart with the same state and applied index", async () => {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir);
    expect(fsm.appliedIndex()).toBe(0);
    const results = await applyInBatches(fsm, entries(11, 1, 200), 7);
    expect(results).toHaveLength(200);
    expect(results.some((r) => r instanceof CommandRejectedError)).toBe(true);
    expect(results.some((r) => r !== undefined && !(r instanceof Error))).toBe(true);
    await fsm.flush();
    expect(fsm.appliedIndex()).toBe(200);
    const before = await snapshotBytes(fsm.store.tables());
    await fsm.close();

    const reopened = await DroverFsm.open(dir);
    expect(reopened.appliedIndex()).toBe(200);
    checkTablesInvariants(reopened.store.tables());
    expect((await snapshotBytes(reopened.store.tables())).equals(before)).toBe(true);
    // Raft replays only what comes after; the result matches a store that never stopped.
    await reopened.apply(entries(12, 201, 50));
    const memory = DroverFsm.inMemory();
    await memory.apply(entries(11, 1, 200));
    await memory.apply(entries(12, 201, 50));
    expect(
      (await snapshotBytes(reopened.store.tables())).equals(await snapshotBytes(memory.store.tables())),
    ).toBe(true);
    await reopened.close();
  });

  it("keeps its durable index behind the applied state until flush() or close() write what is queued", async () => {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir);
    await applyInBatches(fsm, entries(21, 1, 30), 10);
    // Applied in memory at once; nothing durable yet (each apply only queued its records).
    expect(fsm.store.index).toBe(30);
    expect(fsm.appliedIndex()).toBe(0);
    await fsm.flush();
    expect(fsm.appliedIndex()).toBe(30);
    await applyInBatches(fsm, entries(22, 31, 20), 5);
    expect(fsm.appliedIndex()).toBe(30);
    const before = await snapshotBytes(fsm.store.tables());
    await fsm.close();
    const reopened = await DroverFsm.open(dir);
    expect(reopened.appliedIndex()).toBe(50);
    expect((await snapshotBytes(reopened.store.tables())).equals(before)).toBe(true);
    await reopened.close();
  });

  it("persists what it applied on demand, synced even when its writes are not; in memory it cannot", async () => {
    expect(DroverFsm.inMemory().persist).toBeUndefined();
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir, { sync: false });
    await applyInBatches(fsm, entries(23, 1, 30), 10);
    expect(fsm.appliedIndex()).toBe(0);
    const persist = fsm.persist as () => Promise<number>;
    expect(await persist()).toBe(30);
    expect(fsm.appliedIndex()).toBe(30);
    const before = await snapshotBytes(fsm.store.tables());
    await fsm.close();
    const reopened = await DroverFsm.open(dir);
    expect(reopened.appliedIndex()).toBe(30);
    expect((await snapshotBytes(reopened.store.tables())).equals(before)).toBe(true);
    await reopened.close();
  });

  it("hands out a snapshot without waiting for LevelDB; the stream ends only once its index is durable", async () => {
    const dir = tempDir();
    const fsm = await DroverFsm.open(dir);
    await applyInBatches(fsm, entries(31, 1, 40), 8);
    const snap = await fsm.snapshot();
    expect(snap.index).toBe(40);
    expect(fsm.appliedIndex()).toBe(0);
    // Applies go on while the snapshot streams (Raft's apply loop is not held up).
    await applyInBatches(fsm, entries(32, 41, 10), 5);
    const bytes = await collect(snap.chunks);
    expect(fsm.appliedIndex()).toBeGreaterThanOrEqual(40);
    const memory = DroverFsm.inMemory();
    await memory.apply(entries(31, 1, 40));
    expect(bytes.equals(await snapshotBytes(memory.store.tables()))).toBe(true);
    await fsm.close();
  });

  it("reloads exactly what it applied, for random logs and batchings, across several restarts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 40 }), async (seed, batch) => {
        const dir = tempDir();
        const memory = DroverFsm.inMemory();
        let fsm = await DroverFsm.open(dir);
        let next = 1;
        for (let round = 0; round < 3; round++) {
          const log = entries(seed + round, next, 120);
          next += log.length;
          await applyInBatches(fsm, log, batch);
          await memory.apply(log);
          await fsm.close();
          fsm = await DroverFsm.open(dir);
          expect(fsm.appliedIndex()).toBe(next - 1);
          checkTablesInvariants(fsm.store.tables());
          expect(
            (await snapshotBytes(fsm.store.tables())).equals(await snapshotBytes(memory.store.tables())),
          ).toBe(true);
        }
        await fsm.close();
      }),
      { numRuns: 15 },
    );
  });

  it("restores a snapshot durably and atomically", async () => {
    const source = DroverFsm.inMemory();
    await source.apply(entries(21, 1, 150));
    const snap = await source.snapshot();
    expect(snap.index).toBe(150);
    const snapBytes = await collect(snap.chunks);
    // The stream was taken from an immutable view: later applies do not leak into it.
    await source.apply(entries(22, 151, 20));

    const dir = tempDir();
    const target = await DroverFsm.open(dir);
    await target.apply(entries(23, 1, 60));
    await target.restore(150, once(snapBytes));
    expect(target.appliedIndex()).toBe(150);
    expect((await snapshotBytes(target.store.tables())).equals(snapBytes)).toBe(true);
    await target.close();

    const reopened = await DroverFsm.open(dir);
    expect(reopened.appliedIndex()).toBe(150);
    expect((await snapshotBytes(reopened.store.tables())).equals(snapBytes)).toBe(true);
    await reopened.close();
  });

  it("keeps every restored record after a snapshot-restore entry over the same keys: in memory, in a Raft snapshot a follower installs, and in LevelDB", async () => {
    // The restore deletes every record and writes the snapshot's again in one transaction, so
    // most keys are deleted then put: what the saved state holds must survive all three copies.
    const saved = DroverFsm.inMemory();
    await saved.apply(entries(41, 1, 120));
    const snapBytes = await snapshotBytes(saved.store.tables());
    const savedJobs = [...saved.store.snapshot().jobs()].map((j) => `${j.Namespace}/${j.ID}`).sort();
    expect(savedJobs.length).toBeGreaterThan(0);

    const dir = tempDir();
    const fsm = await DroverFsm.open(dir);
    // Same commands, then more: the restore runs over the same keys and over newer ones.
    await applyInBatches(fsm, [...entries(41, 1, 120), ...entries(42, 121, 60)], 9);
    const jobsOf = (f: DroverFsm): string[] =>
      [...f.store.snapshot().jobs()].map((j) => `${j.Namespace}/${j.ID}`).sort();
    expect((await snapshotBytes(fsm.store.tables())).equals(snapBytes)).toBe(false);
    expect(jobsOf(fsm).filter((job) => savedJobs.includes(job)).length).toBeGreaterThan(0);
    const [outcome] = await fsm.apply([
      {
        term: 2,
        index: 181,
        type: "normal",
        data: encodeCommand({ type: "snapshot-restore", Snapshot: snapBytes }),
      },
    ]);
    expect(outcome).toMatchObject({ Index: 181 });
    expect(jobsOf(fsm)).toEqual(savedJobs);
    for (const job of saved.store.snapshot().jobs()) {
      expect(fsm.store.snapshot().jobByID(job.Namespace, job.ID)).toEqual(job);
    }
    checkTablesInvariants(fsm.store.tables());
    const after = await snapshotBytes(fsm.store.tables());

    const follower = DroverFsm.inMemory();
    await follower.apply(entries(43, 1, 30));
    const snap = await fsm.snapshot();
    await follower.restore(snap.index, snap.chunks);
    expect(jobsOf(follower)).toEqual(savedJobs);
    expect((await snapshotBytes(follower.store.tables())).equals(after)).toBe(true);
    await fsm.close();

    const reopened = await DroverFsm.open(dir);
    expect(reopened.appliedIndex()).toBe(181);
    expect(jobsOf(reopened)).toEqual(savedJobs);
    expect((await snapshotBytes(reopened.store.tables())).equals(after)).toBe(true);
    await reopened.close();
  });

  it("keeps a restore's index jump across restarts, Raft snapshots and the entries after it", async () => {
    // A source far ahead (state index 300) restored into a log at Raft index 11.
    const saved = DroverFsm.inMemory();
    await saved.apply(entries(51, 1, 300));
    const snapBytes = await snapshotBytes(saved.store.tables());

    const dir = tempDir();
    const fsm = await DroverFsm.open(dir);
    await fsm.apply(entries(52, 1, 10));
    const restoreEntry: Entry = {
      term: 2,
      index: 11,
      type: "normal",
      data: encodeCommand({ type: "snapshot-restore", Snapshot: snapBytes }),
    };
    const [outcome] = await fsm.apply([restoreEntry, ...entries(53, 12, 5)]);
    expect(outcome).toMatchObject({ Index: 301 });
    expect([fsm.store.index, fsm.store.raftIndex]).toEqual([306, 16]);
    await fsm.flush();
    expect(fsm.appliedIndex()).toBe(16);

    // A follower installs the leader's Raft snapshot, named by its Raft index.
    const snap = await fsm.snapshot();
    expect(snap.index).toBe(16);
    const follower = DroverFsm.inMemory();
    await follower.restore(snap.index, snap.chunks);
    expect([follower.store.index, follower.appliedIndex()]).toEqual([306, 16]);
    await fsm.close();

    // After a restart Raft replays from Raft index 16, and entry 17 lands at state index 307.
    const reopened = await DroverFsm.open(dir);
    expect([reopened.appliedIndex(), reopened.store.index]).toEqual([16, 306]);
    await reopened.apply(entries(54, 17, 1));
    expect(reopened.store.index).toBe(307);
    await reopened.close();
  });

  it("keeps the old state whole when a restore stream breaks off", async () => {
    const source = DroverFsm.inMemory();
    await source.apply(entries(31, 1, 150));
    const snapBytes = await collect((await source.snapshot()).chunks);

    const dir = tempDir();
    const target = await DroverFsm.open(dir);
    await target.apply(entries(32, 1, 80));
    const before = await snapshotBytes(target.store.tables());
    await expect(
      target.restore(150, once(snapBytes.subarray(0, snapBytes.length - 9))),
    ).rejects.toBeInstanceOf(CorruptSnapshotError);
    const garbled = Buffer.from(snapBytes);
    garbled.fill(0x7f, 20, 60);
    await expect(target.restore(150, once(garbled))).rejects.toBeInstanceOf(CorruptSnapshotError);
    expect(target.appliedIndex()).toBe(80);
    expect((await snapshotBytes(target.store.tables())).equals(before)).toBe(true);
    await target.close();

    const reopened = await DroverFsm.open(dir);
    expect(reopened.appliedIndex()).toBe(80);
    expect((await snapshotBytes(reopened.store.tables())).equals(before)).toBe(true);
    // The next restore still works after the failed ones.
    await reopened.restore(150, once(snapBytes));
    expect((await snapshotBytes(reopened.store.tables())).equals(snapBytes)).toBe(true);
    await reopened.close();
  });
});
