import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { SeededRandom } from "../common/rand.js";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import type { Command } from "./commands.js";
import { DroverFsm } from "./drover-fsm.js";
import { mockAlloc, mockId } from "./mock.js";
import { EMPTY_NODE_USAGE, plainNodeUsage, summarizeAllocs } from "./node-usage-summary.js";
import { randomCommands } from "./random-commands.js";
import { tablesFromSnapshot, writeSnapshotStream } from "./snapshot-stream.js";
import { StateSnapshot } from "./state-snapshot.js";
import { StateStore } from "./state-store.js";
import { StateTxn } from "./state-txn.js";
import type { AllocatedResources, Allocation } from "./structs.js";
import { emptyTables, type Tables } from "./tables.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Random commands whose allocations hold varied resources: cpu, memory and disk of several
 * sizes, and zero to three host ports from a small pool (so that ports collide on a node, and
 * one allocation sometimes names a port twice), in shared ports and task networks.
 */
function variedCommands(seed: number, count: number): Command[] {
  const rand = new SeededRandom(seed ^ 0x5eed);
  const pick = <T>(items: readonly T[]): T => items[rand.int(items.length)] as T;
  const resources = (): AllocatedResources => {
    const ports = Array.from({ length: rand.int(4) }, () => pick([22, 8080, 23456, 23457]));
    const taskPort = rand.next() < 0.3 ? [pick([8080, 23457])] : [];
    return {
      Tasks: {
        web: {
          Cpu: { CpuShares: pick([0, 100, 500]) },
          Memory: { MemoryMB: pick([64, 256]), MemoryMaxMB: 0 },
          Networks: taskPort.map((value) => ({
            Mode: "host",
            Device: "",
            CIDR: "",
            IP: "",
            MBits: 0,
            ReservedPorts: [],
            DynamicPorts: [{ Label: "t", Value: value, To: 0, HostNetwork: "default" }],
          })),
        },
        ...(rand.next() < 0.3
          ? { side: { Cpu: { CpuShares: 50 }, Memory: { MemoryMB: 32, MemoryMaxMB: 0 }, Networks: [] } }
          : {}),
      },
      Shared: {
        DiskMB: pick([0, 150, 300]),
        Networks: [],
        Ports: ports.map((value, i) => ({ Label: `p${i}`, Value: value, To: 0, HostIP: "" })),
      },
    } as AllocatedResources;
  };
  const vary = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(vary);
    if (typeof value !== "object" || value === null || value instanceof Uint8Array) return value;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      out[key] = key === "AllocatedResources" ? resources() : vary(field);
    }
    return out;
  };
  return randomCommands(seed, count).map((command) => vary(command) as Command);
}

/** Every node that has allocations or may have a summary. */
function nodeIdsOf(tables: Tables): Set<string> {
  return new Set<string>([...tables.allocsByNode.nodeIds(), ...tables.nodeUsage.nodeIds()]);
}

/** Every node's stored summary against the one recomputed from the node's allocations. */
function expectSummariesMatchAllocs(tables: Tables): void {
  const snap = new StateSnapshot(tables);
  for (const nodeId of nodeIdsOf(tables)) {
    const allocs = snap.allocsByNode(nodeId);
    const summary = snap.nodeUsage(nodeId);
    expect(plainNodeUsage(summary, allocs), `node ${nodeId}`).toEqual(
      plainNodeUsage(summarizeAllocs(allocs), allocs),
    );
    if (summary.allocs === 0) expect(summary, `empty summary of ${nodeId}`).toBe(EMPTY_NODE_USAGE);
  }
}

async function streamBytes(tables: Tables): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of writeSnapshotStream(tables)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

describe("per-node usage summaries", () => {
  it("equal the sums of each node's allocations after every command, a bulk load and a snapshot restore", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.integer({ min: 1, max: 150 }), async (seed, count) => {
        const store = new StateStore();
        variedCommands(seed, count).forEach((command, i) => {
          store.applyEntry(i + 1, encodeCommand(command));
          expectSummariesMatchAllocs(store.tables());
        });
        const bytes = await streamBytes(store.tables());
        // Bulk load (what a restart from a Raft snapshot builds).
        const loaded = await tablesFromSnapshot(once(bytes));
        expectSummariesMatchAllocs(loaded);
        expect(plainAll(loaded)).toEqual(plainAll(store.tables()));
        // A snapshot-restore entry over a store that already holds other allocations.
        const into = new StateStore();
        for (const [i, command] of variedCommands(seed + 1, 60).entries()) {
          into.applyEntry(i + 1, encodeCommand(command));
        }
        into.apply(100, decodeCommand(encodeCommand({ type: "snapshot-restore", Snapshot: bytes })));
        expectSummariesMatchAllocs(into.tables());
        expect(plainAll(into.tables())).toEqual(plainAll(store.tables()));
      }),
      { numRuns: 60 },
    );
  });

  it("equal the sums of each node's allocations after a LevelDB restart", async () => {
    for (const seed of [1, 2, 3]) {
      const dir = mkdtempSync(join(tmpdir(), "drover-usage-"));
      dirs.push(dir);
      let fsm = await DroverFsm.open(dir);
      const log = variedCommands(seed, 150).map((command, i) => ({
        term: 1,
        index: i + 1,
        type: "normal" as const,
        data: encodeCommand(command),
      }));
      await fsm.apply(log);
      const before = plainAll(fsm.store.tables());
      await fsm.close();
      fsm = await DroverFsm.open(dir);
      expectSummariesMatchAllocs(fsm.store.tables());
      expect(plainAll(fsm.store.tables())).toEqual(before);
      await fsm.close();
    }
  });

  it("never change in a snapshot when later commands apply", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const store = new StateStore();
        const taken: Array<[StateSnapshot, Record<string, unknown>]> = [];
        for (const [i, command] of variedCommands(seed, 100).entries()) {
          store.applyEntry(i + 1, encodeCommand(command));
          if (i % 10 === 0) {
            const snap = store.snapshot() as StateSnapshot;
            taken.push([snap, plainAll(snap.tables)]);
          }
        }
        for (const [snap, seen] of taken) expect(plainAll(snap.tables)).toEqual(seen);
      }),
      { numRuns: 40 },
    );
  });

  it("count a port used by two allocations twice, and keep it used while either holds it", () => {
    const nodeId = mockId(1, 1);
    const withPort = (n: number): Allocation =>
      mockAlloc({ ID: mockId(n, 0xa), NodeID: nodeId, ClientStatus: "running" });
    const write = (tables: Tables, index: number, allocs: Allocation[]): Tables => {
      const txn = new StateTxn(tables, index);
      for (const alloc of allocs) txn.putAlloc(alloc);
      return txn.commit();
    };
    const two = write(emptyTables(), 1, [withPort(1), withPort(2)]);
    const usage = (tables: Tables) => new StateSnapshot(tables).nodeUsage(nodeId);
    expect(usage(two)).toMatchObject({ allocs: 2, cpu: 1000, memoryMB: 512, diskMB: 300, portCollisions: 1 });
    expect(usage(two).portCount(23456)).toBe(2);
    const one = write(two, 2, [{ ...withPort(1), ClientStatus: "complete" }]);
    expect(usage(one)).toMatchObject({ allocs: 1, cpu: 500, portCollisions: 0 });
    expect(usage(one).portCount(23456)).toBe(1);
    expect(usage(one).jobUsageCount(`default\u0000${withPort(2).JobID}`)).toBe(1);
    expect(usage(one).usageCount(`default\u0000${withPort(2).JobID}\u0000web`)).toBe(1);
    const none = write(one, 3, [{ ...withPort(2), DesiredStatus: "stop" }]);
    expect(usage(none)).toBe(EMPTY_NODE_USAGE);
    // The earlier versions are untouched.
    expect(usage(two).allocs).toBe(2);
    expect(usage(two).portCount(23456)).toBe(2);
  });
});

/** Every stored summary in plain form, by node (nodes nothing holds left out). */
function plainAll(tables: Tables): Record<string, unknown> {
  const snap = new StateSnapshot(tables);
  const out: Record<string, unknown> = {};
  for (const nodeId of [...nodeIdsOf(tables)].sort()) {
    const summary = snap.nodeUsage(nodeId);
    if (summary !== EMPTY_NODE_USAGE) out[nodeId] = plainNodeUsage(summary, snap.allocsByNode(nodeId));
  }
  return out;
}
