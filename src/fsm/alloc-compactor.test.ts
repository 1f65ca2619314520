import { describe, expect, it } from "vitest";
import { AllocCompactor } from "./alloc-compactor.js";
import { emptyAllocMetric } from "./alloc-metric.js";
import { mockAlloc, mockId } from "./mock.js";
import { PackedAllocMetric, unpackedMetric } from "./packed-metric.js";
import type { Allocation } from "./structs.js";

/** The alloc with its metrics unpacked, to compare values. */
function plain(alloc: Allocation): Allocation {
  return { ...alloc, Metrics: unpackedMetric(alloc.Metrics) };
}

function full(i: number): Allocation {
  return mockAlloc({
    ID: mockId(i, 0xa),
    DesiredTransition: { Migrate: i % 2 === 0, Reschedule: false, ForceReschedule: i % 3 === 0 },
    AllocatedResources: {
      Tasks: {
        web: { Cpu: { CpuShares: 500 + (i % 2) }, Memory: { MemoryMB: 256, MemoryMaxMB: 0 }, Networks: [] },
      },
      Shared: {
        DiskMB: 150,
        Networks: [
          {
            Mode: "host",
            Device: "eth0",
            CIDR: "",
            IP: "10.0.0.1",
            MBits: 0,
            ReservedPorts: [],
            DynamicPorts: [{ Label: "http", Value: 20000 + i, To: 8080, HostNetwork: "default" }],
          },
        ],
        Ports: [{ Label: "http", Value: 20000 + i, To: 8080, HostIP: "10.0.0.1" }],
      },
    },
    Metrics: {
      ...emptyAllocMetric(),
      NodesEvaluated: 10,
      NodesFiltered: 1,
      NodesInPool: 10,
      NodesAvailable: { dc1: 10 },
      ScoreMetaData: [{ NodeID: mockId(i % 3, 1), Scores: { binpack: i / 7 }, NormScore: i / 7 }],
      AllocationTime: 1000 + i,
    },
  });
}

describe("AllocCompactor", () => {
  it("never changes values, copying or in place", () => {
    const compactor = new AllocCompactor();
    for (let i = 0; i < 50; i++) {
      const original = full(i);
      const expected = structuredClone(original);
      const copy = compactor.compact(original, { ModifyIndex: 7 });
      expect(original).toEqual(expected);
      expect(plain(copy)).toEqual({ ...expected, ModifyIndex: 7 });
      const owned = structuredClone(original);
      expect(plain(compactor.compactOwned(owned, { ModifyIndex: 7 }))).toEqual({
        ...expected,
        ModifyIndex: 7,
      });
    }
  });

  it("shares identical sub-objects between allocations, frozen", () => {
    const compactor = new AllocCompactor();
    const a = compactor.compact(full(2));
    const b = compactor.compact(full(4));
    expect(a.AllocatedResources.Tasks).toBe(b.AllocatedResources.Tasks);
    expect(a.DesiredTransition).toBe(b.DesiredTransition);
    expect(a.Metrics).toBeInstanceOf(PackedAllocMetric);
    expect(Object.isFrozen(a.AllocatedResources.Tasks["web"]?.Cpu)).toBe(true);
    expect(a.AllocatedResources.Shared.Ports).not.toBe(b.AllocatedResources.Shared.Ports);
    // A caller's object that went in stays its own (not frozen, not shared).
    const mine = full(6);
    compactor.compact(mine);
    expect(Object.isFrozen(mine.AllocatedResources.Tasks)).toBe(false);
  });

  it("shares identical port lists, frozen, copying or in place", () => {
    const compactor = new AllocCompactor();
    const withPort = (i: number, value: number): Allocation => {
      const alloc = full(i);
      const network = alloc.AllocatedResources.Shared.Networks[0];
      if (network === undefined) throw new Error("full() without a network");
      network.DynamicPorts = [{ Label: "http", Value: value, To: 8080, HostNetwork: "default" }];
      alloc.AllocatedResources.Shared.Ports = [{ Label: "http", Value: value, To: 8080, HostIP: "10.0.0.1" }];
      return alloc;
    };
    const a = compactor.compactOwned(withPort(1, 25000));
    const b = compactor.compact(withPort(2, 25000));
    const c = compactor.compactOwned(withPort(3, 25001));
    const dynamic = (x: Allocation) => x.AllocatedResources.Shared.Networks[0]?.DynamicPorts;
    expect(dynamic(b)).toBe(dynamic(a));
    expect(b.AllocatedResources.Shared.Ports).toBe(a.AllocatedResources.Shared.Ports);
    expect(Object.isFrozen(dynamic(a))).toBe(true);
    expect(Object.isFrozen(dynamic(a)?.[0])).toBe(true);
    expect(dynamic(c)).not.toBe(dynamic(a));
    expect(dynamic(c)).toEqual([{ Label: "http", Value: 25001, To: 8080, HostNetwork: "default" }]);
    // A label that looks like a field boundary does not meet another list's key.
    const tricky = compactor.compactOwned(withPort(4, 25000));
    const network = tricky.AllocatedResources.Shared.Networks[0];
    if (network === undefined) throw new Error("no network");
    const odd = withPort(5, 25000);
    const oddNetwork = odd.AllocatedResources.Shared.Networks[0];
    if (oddNetwork === undefined) throw new Error("no network");
    oddNetwork.DynamicPorts = [{ Label: "http25000:8080:7:default", Value: 1, To: 2, HostNetwork: "" }];
    expect(dynamic(compactor.compactOwned(odd))).not.toBe(network.DynamicPorts);
    // Other shapes (key order, -0, extra fields) are kept as they came, not shared.
    const reordered = withPort(6, 25000);
    const moved = reordered.AllocatedResources.Shared.Networks[0];
    if (moved === undefined) throw new Error("no network");
    moved.DynamicPorts = [{ Value: 25000, Label: "http", To: 8080, HostNetwork: "default" }];
    const kept = compactor.compactOwned(reordered);
    expect(dynamic(kept)).not.toBe(dynamic(a));
    expect(Object.keys(dynamic(kept)?.[0] ?? {})).toEqual(["Value", "Label", "To", "HostNetwork"]);
    const negative = withPort(7, 0);
    const negativeNetwork = negative.AllocatedResources.Shared.Networks[0];
    if (negativeNetwork === undefined) throw new Error("no network");
    negativeNetwork.DynamicPorts = [{ Label: "http", Value: -0, To: 8080, HostNetwork: "default" }];
    expect(Object.is(dynamic(compactor.compactOwned(negative))?.[0]?.Value, -0)).toBe(true);
  });

  it("packs the metrics, copying or in place, and keeps their key order", () => {
    const compactor = new AllocCompactor();
    const withCounts = (counts: Record<string, number>): Allocation => {
      const alloc = full(1);
      const metric = unpackedMetric(alloc.Metrics);
      if (metric === null) throw new Error("no metrics");
      metric.NodesAvailable = counts;
      alloc.Metrics = metric;
      return alloc;
    };
    const owned = compactor.compactOwned(withCounts({ dc2: 3, dc1: 10 }));
    const copied = compactor.compact(withCounts({ dc2: 3, dc1: 10 }));
    for (const alloc of [owned, copied]) {
      expect(alloc.Metrics).toBeInstanceOf(PackedAllocMetric);
      expect(Object.keys(alloc.Metrics?.NodesAvailable ?? {})).toEqual(["dc2", "dc1"]);
      expect(alloc.Metrics?.ScoreMetaData).toEqual(full(1).Metrics?.ScoreMetaData);
    }
    // Packed metrics stay as they are: the same object, not packed again.
    const again = compactor.compact(owned);
    expect(again.Metrics).toBe(owned.Metrics);
  });

  it("keeps the order of task names when sharing task resources", () => {
    const compactor = new AllocCompactor();
    const task = { Cpu: { CpuShares: 100 }, Memory: { MemoryMB: 64, MemoryMaxMB: 0 }, Networks: [] };
    const withTasks = (names: string[]): Allocation => {
      const alloc = full(2);
      alloc.AllocatedResources.Tasks = Object.fromEntries(names.map((n) => [n, structuredClone(task)]));
      return alloc;
    };
    const ab = compactor.compactOwned(withTasks(["a", "b"]));
    const ba = compactor.compactOwned(withTasks(["b", "a"]));
    const ab2 = compactor.compact(withTasks(["a", "b"]));
    expect(Object.keys(ab.AllocatedResources.Tasks)).toEqual(["a", "b"]);
    expect(Object.keys(ba.AllocatedResources.Tasks)).toEqual(["b", "a"]);
    expect(ab2.AllocatedResources.Tasks).toBe(ab.AllocatedResources.Tasks);
  });

  it("keeps unknown shapes as they came", () => {
    const compactor = new AllocCompactor();
    const odd = { ...full(1), Extra: "x" } as Allocation;
    expect(compactor.compact(odd)).toEqual(odd);
    const partial = full(2);
    const metrics = partial.Metrics as unknown as Record<string, unknown>;
    delete metrics["NodesInPool"];
    const stored = compactor.compact(partial);
    expect(plain(stored)).toEqual(partial);
    expect(Object.hasOwn(unpackedMetric(stored.Metrics) ?? {}, "NodesInPool")).toBe(false);
  });
});
