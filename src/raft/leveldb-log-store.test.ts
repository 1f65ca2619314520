import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClassicLevel } from "classic-level";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../common/log.js";
import type { Entry } from "./core/types.js";
import { encodeEntry, entryKey } from "./entry-record.js";
import { LevelDbLogStore } from "./leveldb-log-store.js";
import { CompactedError, CorruptLogError, UnavailableError } from "./storage-errors.js";

const entry = (index: number, term: number, text = `e${index}`): Entry => ({
  index,
  term,
  type: "normal",
  data: new TextEncoder().encode(text),
});
const range = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, i) => entry(lo + i, term));
const texts = (entries: readonly Entry[]): string[] => entries.map((e) => new TextDecoder().decode(e.data));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "drover-logstore-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function reopen(store: LevelDbLogStore): Promise<LevelDbLogStore> {
  await store.close();
  return LevelDbLogStore.open(dir, silentLogger());
}

describe("LevelDbLogStore", () => {
  it("starts empty", async () => {
    const store = await LevelDbLogStore.open(dir, silentLogger());
    expect(store.firstIndex()).toBe(1);
    expect(store.lastIndex()).toBe(0);
    expect(store.term(0)).toBe(0);
    expect(store.initialState().hardState).toEqual({ term: 0, vote: "", commit: 0 });
    await store.close();
  });

  it("keeps entries, hard state and membership across a reopen", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 5, 1), hardState: { term: 1, vote: "s1", commit: 3 } });
    await store.persist({
      membership: {
        confState: { voters: ["s1", "s2"], learners: ["s3"], votersOutgoing: [] },
        index: 2,
        addresses: { s1: "127.0.0.1:1", s2: "127.0.0.1:2", s3: "127.0.0.1:3" },
      },
    });
    store = await reopen(store);
    expect(store.lastIndex()).toBe(5);
    expect(store.term(5)).toBe(1);
    expect(texts(store.entries(2, 5))).toEqual(["e2", "e3", "e4"]);
    expect(store.initialState().hardState).toEqual({ term: 1, vote: "s1", commit: 3 });
    expect(store.currentMembership().confState.learners).toEqual(["s3"]);
    expect(store.currentMembership().addresses["s3"]).toBe("127.0.0.1:3");
    await store.close();
  });

  it("replaces a conflicting suffix and forgets the entries after it (§5.3)", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 10, 1) });
    await store.persist({ entries: [entry(6, 2, "new6"), entry(7, 2, "new7")] });
    expect(store.lastIndex()).toBe(7);
    store = await reopen(store);
    expect(store.lastIndex()).toBe(7);
    expect(store.term(6)).toBe(2);
    expect(texts(store.entries(5, 8))).toEqual(["e5", "new6", "new7"]);
    expect(() => store.term(8)).toThrow(UnavailableError);
    await store.close();
  });

  it("limits entries() by bytes but always returns at least one", async () => {
    const store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 10, 1) });
    expect(store.entries(1, 11, 1)).toHaveLength(1);
    expect(store.entries(1, 11, 60)).toHaveLength(2);
    expect(store.entries(1, 11, Number.POSITIVE_INFINITY)).toHaveLength(10);
    expect(() => store.entries(1, 12, 100)).toThrow(UnavailableError);
    await store.close();
  });

  it("compacts up to a point, keeping the term of the compaction point", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: [...range(1, 5, 1), ...range(6, 20, 2)] });
    const conf = { voters: ["s1"], learners: [], votersOutgoing: [] };
    await store.compact({ index: 15, term: 2, confState: conf }, 12);
    store = await reopen(store);
    expect(store.firstIndex()).toBe(13);
    expect(store.term(12)).toBe(2);
    expect(() => store.term(11)).toThrow(CompactedError);
    expect(() => store.entries(12, 14)).toThrow(CompactedError);
    expect(texts(store.entries(13, 16))).toEqual(["e13", "e14", "e15"]);
    expect(store.snapshot().metadata.index).toBe(15);
    await store.close();
  });

  it("deletes compacted entries in the background, across slices, while later writes go on", async () => {
    const store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 3000, 1) });
    const conf = { voters: ["s1"], learners: [], votersOutgoing: [] };
    await store.compact({ index: 2800, term: 1, confState: conf }, 2500);
    // The next persist does not wait for the deletes.
    await store.persist({ entries: range(3001, 3010, 1) });
    await store.compact({ index: 3005, term: 1, confState: conf }, 2900);
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
    const left: number[] = [];
    for await (const key of db.keys({ gte: entryKey(0), lt: entryKey(1e9) })) left.push(key.readUInt32BE(5));
    await db.close();
    expect(left[0]).toBe(2901);
    expect(left).toHaveLength(110);
  });

  it("installs a received snapshot, dropping the whole old log", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 5, 1) });
    const conf = { voters: ["s1", "s2", "s3"], learners: [], votersOutgoing: [] };
    await store.persist({
      snapshot: { index: 100, term: 7, confState: conf },
      hardState: { term: 7, vote: "", commit: 100 },
    });
    store = await reopen(store);
    expect(store.firstIndex()).toBe(101);
    expect(store.lastIndex()).toBe(100);
    expect(store.term(100)).toBe(7);
    expect(store.initialState().confState).toEqual(conf);
    await store.persist({ entries: [entry(101, 7)] });
    expect(store.lastIndex()).toBe(101);
    await store.close();
  });

  it("truncates a torn last record instead of handing it out", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 5, 1) });
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
    const torn = encodeEntry(entry(6, 1, "a record that was half written"));
    await db.put(entryKey(6), torn.subarray(0, torn.length - 5));
    await db.close();
    store = await LevelDbLogStore.open(dir, silentLogger());
    expect(store.lastIndex()).toBe(5);
    await store.persist({ entries: [entry(6, 2, "fresh")] });
    store = await reopen(store);
    expect(texts(store.entries(6, 7))).toEqual(["fresh"]);
    await store.close();
  });

  it("refuses to start when a record in the middle is corrupt", async () => {
    const store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 5, 1) });
    await store.close();
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
    const flipped = encodeEntry(entry(3, 1));
    const last = flipped.length - 1;
    flipped.writeUInt8(flipped.readUInt8(last) ^ 0xff, last);
    await db.put(entryKey(3), flipped);
    await db.close();
    await expect(LevelDbLogStore.open(dir, silentLogger())).rejects.toThrow(CorruptLogError);
  });

  it("rejects an append that would leave a gap", async () => {
    const store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 3, 1) });
    await expect(store.persist({ entries: [entry(5, 1)] })).rejects.toThrow(/gap/);
    expect(store.lastIndex()).toBe(3);
    await store.close();
  });

  it("restarts with a commit index no lower than a compaction written before it", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 20, 1), hardState: { term: 1, vote: "s1", commit: 10 } });
    // Commit-only hard states wait for the next batch with entries; the compaction is written now.
    await store.persist({ hardState: { term: 1, vote: "s1", commit: 18 } });
    const conf = { voters: ["s1"], learners: [], votersOutgoing: [] };
    await store.compact({ index: 16, term: 1, confState: conf }, 12);
    store = await reopen(store);
    expect(store.initialState().hardState).toEqual({ term: 1, vote: "s1", commit: 16 });
    expect(store.firstIndex()).toBe(13);
    expect(store.lastIndex()).toBe(20);
    await store.close();
  });

  it("restarts the log after its snapshot when the snapshot names entries it lost", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 20, 1), hardState: { term: 1, vote: "s1", commit: 20 } });
    const conf = { voters: ["s1"], learners: [], votersOutgoing: [] };
    await store.compact({ index: 18, term: 1, confState: conf }, 10);
    await store.close();
    // A crash lost the last entries (written after the compaction's record, never synced).
    const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: "buffer", valueEncoding: "buffer" });
    await db.batch([15, 16, 17, 18, 19, 20].map((i) => ({ type: "del" as const, key: entryKey(i) })));
    await db.close();
    store = await LevelDbLogStore.open(dir, silentLogger());
    expect(store.firstIndex()).toBe(19);
    expect(store.lastIndex()).toBe(18);
    expect(store.term(18)).toBe(1);
    expect(store.initialState().hardState.commit).toBe(18);
    // The log goes on after the snapshot, and a restart keeps it so.
    await store.persist({ entries: range(19, 21, 2) });
    store = await reopen(store);
    expect(store.firstIndex()).toBe(19);
    expect(texts(store.entries(19, 22))).toEqual(["e19", "e20", "e21"]);
    await store.close();
  });

  it("writes a commit-only hard state with the next batch that carries entries", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 5, 1), hardState: { term: 1, vote: "s1", commit: 2 } });
    await store.persist({ hardState: { term: 1, vote: "s1", commit: 5 } });
    expect(store.currentHardState().commit).toBe(5);
    store = await reopen(store);
    // Volatile (Raft Figure 2): a stale commit index after a restart is re-learned from the leader.
    expect(store.initialState().hardState).toEqual({ term: 1, vote: "s1", commit: 2 });
    await store.persist({ hardState: { term: 1, vote: "s1", commit: 5 } });
    await store.persist({ entries: [entry(6, 1)] });
    store = await reopen(store);
    expect(store.initialState().hardState).toEqual({ term: 1, vote: "s1", commit: 5 });
    await store.close();
  });

  it("pipelined appends: memory at once, durable in order, merged while one write is in flight", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 2, 1), hardState: { term: 1, vote: "s1", commit: 0 } });
    const first = store.append([entry(3, 1)], { term: 1, vote: "s1", commit: 2 });
    const second = store.append(range(4, 6, 1), undefined);
    const third = store.append([entry(7, 1)], { term: 1, vote: "s1", commit: 6 });
    // The core reads them back at once (to replicate them), but none counts as durable yet.
    expect(store.lastIndex()).toBe(7);
    expect(texts(store.entries(3, 8))).toEqual(["e3", "e4", "e5", "e6", "e7"]);
    expect(store.durableLastIndex()).toBe(2);
    const durableAt: number[] = [];
    const done = [first, second, third].map((p) => p?.then(() => durableAt.push(store.durableLastIndex())));
    await Promise.all(done);
    // The second and third were queued behind the first and share one write.
    expect(durableAt).toEqual([3, 7, 7]);
    expect(store.durableLastIndex()).toBe(7);
    // A commit-only change needs no write of its own.
    expect(store.append([], { term: 1, vote: "s1", commit: 7 })).toBeUndefined();
    store = await reopen(store);
    expect(texts(store.entries(1, 8))).toEqual(["e1", "e2", "e3", "e4", "e5", "e6", "e7"]);
    expect(store.initialState().hardState).toEqual({ term: 1, vote: "s1", commit: 6 });
    await store.close();
  });

  it("pipelined appends refuse a log rewrite, a term change and a log persist in flight", async () => {
    const store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 3, 1), hardState: { term: 1, vote: "s1", commit: 0 } });
    expect(() => store.append([entry(3, 2)], undefined)).toThrow(/not at the end/);
    expect(() => store.append([entry(4, 2)], { term: 2, vote: "s1", commit: 0 })).toThrow(/term or vote/);
    const pending = store.append([entry(4, 1)], undefined);
    await expect(store.persist({ entries: [entry(5, 1)] })).rejects.toThrow(/in flight/);
    // A membership change may be recorded meanwhile; it leaves the appended entries alone.
    const conf = { voters: ["s1", "s2"], learners: [], votersOutgoing: [] };
    await store.persist({ membership: { confState: conf, index: 2, addresses: {} } });
    await pending;
    await store.whenIdle();
    expect(store.lastIndex()).toBe(4);
    expect(store.durableLastIndex()).toBe(4);
    await store.persist({ entries: [entry(5, 1)] });
    expect(store.lastIndex()).toBe(5);
    await store.close();
  });

  it("keeps a newer installed snapshot when an older local compaction arrives late", async () => {
    let store = await LevelDbLogStore.open(dir, silentLogger());
    await store.persist({ entries: range(1, 20, 1) });
    const conf = { voters: ["s1"], learners: [], votersOutgoing: [] };
    await store.persist({ snapshot: { index: 30, term: 2, confState: conf } });
    expect(await store.compact({ index: 15, term: 1, confState: conf }, 10)).toBe(false);
    store = await reopen(store);
    expect(store.snapshot().metadata.index).toBe(30);
    expect(store.firstIndex()).toBe(31);
    await store.close();
  });
});

describe("LevelDbLogStore with a small memory cache", () => {
  // "eN" entries are 26-27 bytes by entrySize: about three fit in 80 bytes.
  const cacheBytes = 80;
  const open = () => LevelDbLogStore.open(dir, silentLogger(), { cacheBytes });
  const all = (store: LevelDbLogStore) => store.entries(store.firstIndex(), store.lastIndex() + 1);

  it("keeps only the newest bytes in memory and reads older entries back from disk", async () => {
    let store = await open();
    for (let i = 1; i <= 20; i += 4) await store.persist({ entries: range(i, i + 3, 1) });
    expect(store.residentBytes()).toBeLessThanOrEqual(cacheBytes);
    expect(store.residentBytes()).toBeGreaterThan(0);
    expect(store.retainedBytes()).toBeGreaterThan(cacheBytes * 4);
    expect(texts(all(store))).toEqual(range(1, 20, 1).map((e) => new TextDecoder().decode(e.data)));
    expect(all(store).map((e) => e.term)).toEqual(Array(20).fill(1));
    // maxBytes counts evicted entries at their full size.
    expect(store.entries(1, 21, 60)).toHaveLength(2);
    await store.close();
    store = await open();
    expect(store.residentBytes()).toBeLessThanOrEqual(cacheBytes);
    expect(texts(store.entries(2, 5))).toEqual(["e2", "e3", "e4"]);
    await store.close();
  });

  it("replaces a suffix and compacts with entries evicted", async () => {
    const store = await open();
    await store.persist({ entries: range(1, 20, 1) });
    // A follower's conflicting suffix (§5.3) replaced from index 15 with the new leader's entries.
    await store.persist({ entries: range(15, 17, 2) });
    expect(store.lastIndex()).toBe(17);
    expect(all(store).map((e) => `${e.index}:${e.term}`)).toEqual([
      ...range(1, 14, 1).map((e) => `${e.index}:1`),
      "15:2",
      "16:2",
      "17:2",
    ]);
    expect(
      await store.compact(
        { index: 12, term: 1, confState: { voters: ["s1"], learners: [], votersOutgoing: [] } },
        10,
      ),
    ).toBe(true);
    expect(store.firstIndex()).toBe(11);
    expect(texts(all(store))).toEqual(["e11", "e12", "e13", "e14", "e15", "e16", "e17"]);
    expect(store.residentBytes()).toBeLessThanOrEqual(store.retainedBytes());
    // Replaced by a snapshot from the leader: nothing of the old log is left in memory or read.
    await store.persist({
      snapshot: { index: 30, term: 3, confState: { voters: ["s1"], learners: [], votersOutgoing: [] } },
    });
    expect(store.residentBytes()).toBe(0);
    expect(store.retainedBytes()).toBe(0);
    await store.persist({ entries: range(31, 40, 3) });
    expect(texts(all(store))).toHaveLength(10);
    expect(store.entries(31, 32)[0]?.term).toBe(3);
    await store.close();
  });

  it("never drops the bytes of a pipelined append before it is durable", async () => {
    const store = await open();
    await store.persist({ entries: range(1, 5, 1), hardState: { term: 1, vote: "s1", commit: 0 } });
    const durable = store.append(range(6, 30, 1), undefined);
    // Nothing of 6..30 is on disk yet, so all of it is still in memory.
    expect(store.residentBytes()).toBeGreaterThanOrEqual(
      range(6, 30, 1).reduce((n, e) => n + e.data.length, 0),
    );
    await durable;
    expect(store.residentBytes()).toBeLessThanOrEqual(cacheBytes);
    expect(texts(all(store))).toEqual(range(1, 30, 1).map((e) => new TextDecoder().decode(e.data)));
    await store.close();
  });
});
