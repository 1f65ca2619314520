import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeCommand } from "./command-codec.js";
import { randomCommands } from "./random-commands.js";
import { tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
import { StateStore } from "./state-store.js";
import type { Tables } from "./tables.js";
import { checkTablesInvariants } from "./tables-invariants.js";

async function streamBytes(tables: Tables): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeSnapshotStream(tables)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* rechunk(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function replay(seed: number, count: number): { store: StateStore; rejected: number } {
  const store = new StateStore();
  let rejected = 0;
  randomCommands(seed, count).forEach((command, i) => {
    if (store.applyEntry(i + 1, encodeCommand(command)) instanceof Error) rejected += 1;
  });
  return { store, rejected };
}

describe("StateStore over random command logs", () => {
  it("keeps indexes in agreement with tables after every command", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 120 }), (seed, count) => {
        const store = new StateStore();
        randomCommands(seed, count).forEach((command, i) => {
          store.applyEntry(i + 1, encodeCommand(command));
          checkTablesInvariants(store.tables());
        });
        expect(store.index).toBe(count);
      }),
      { numRuns: 150 },
    );
  });

  it("never changes a snapshot after later writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const store = new StateStore();
        const taken: Array<[Tables, Buffer]> = [];
        const commands = randomCommands(seed, 80);
        for (const [i, command] of commands.entries()) {
          store.applyEntry(i + 1, encodeCommand(command));
          if (i % 10 === 0) taken.push([store.tables(), await streamBytes(store.tables())]);
        }
        for (const [tables, bytes] of taken) expect((await streamBytes(tables)).equals(bytes)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("gives byte-identical snapshots for the same log, and restores them exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 5000 }), async (seed, chunkSize) => {
        const a = replay(seed, 150);
        const b = replay(seed, 150);
        const bytesA = await streamBytes(a.store.tables());
        expect((await streamBytes(b.store.tables())).equals(bytesA)).toBe(true);
        expect(a.rejected).toBe(b.rejected);
        const restored = await tablesFromSnapshot(rechunk(bytesA, chunkSize));
        checkTablesInvariants(restored);
        expect((await streamBytes(restored)).equals(bytesA)).toBe(true);
        // A restored store goes on exactly like the original.
        const more = randomCommands(seed + 1, 40);
        const c = new StateStore(restored);
        more.forEach((command, i) => {
          a.store.applyEntry(151 + i, encodeCommand(command));
          c.applyEntry(151 + i, encodeCommand(command));
        });
        expect((await streamBytes(c.tables())).equals(await streamBytes(a.store.tables()))).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it("exercises both accepted and rejected commands", () => {
    const { store, rejected } = replay(7, 400);
    expect(rejected).toBeGreaterThan(10);
    expect(store.snapshot().allocCount()).toBeGreaterThan(0);
    expect(store.snapshot().jobs()[Symbol.iterator]().next().done).toBe(false);
  });
});
