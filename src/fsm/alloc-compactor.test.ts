import { describe, expect, it } from "vitest";
import { AllocCompactor } from "./alloc-compactor.js";
import { emptyAllocMetric } from "./alloc-metric.js";
import { mockAlloc, mockId } from "./mock.js";
import type { Allocation } from "./structs.js";

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
      expect(copy).toEqual({ ...expected, ModifyIndex: 7 });
      const owned = structuredClone(original);
      expect(compactor.compactOwned(owned, { ModifyIndex: 7 })).toEqual({ ...expected, ModifyIndex: 7 });
    }
  });

  it("shares identical sub-objects between allocations, frozen", () => {
    const compactor = new AllocCompactor();
    const a = compactor.compact(full(2));
    const b = compactor.compact(full(4));
    expect(a.AllocatedResources.Tasks).toBe(b.AllocatedResources.Tasks);
    expect(a.DesiredTransition).toBe(b.DesiredTransition);
    expect(a.Metrics?.NodesAvailable).toBe(b.Metrics?.NodesAvailable);
    expect(Object.isFrozen(a.AllocatedResources.Tasks["web"]?.Cpu)).toBe(true);
    expect(a.AllocatedResources.Shared.Ports).not.toBe(b.AllocatedResources.Shared.Ports);
    // A caller's object that went in stays its own (not frozen, not shared).
    const mine = full(6);
    compactor.compact(mine);
    expect(Object.isFrozen(mine.AllocatedResources.Tasks)).toBe(false);
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
    expect(stored).toEqual(partial);
    expect(Object.hasOwn(stored.Metrics ?? {}, "NodesInPool")).toBe(false);
  });
});
