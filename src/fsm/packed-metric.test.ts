import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { packValue, unpackValue } from "../rpc/codec.js";
import { emptyAllocMetric } from "./alloc-metric.js";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import type { PlanApplyCommand } from "./commands.js";
import { fastDecode } from "./fast-decode.js";
import { mockAlloc, mockId } from "./mock.js";
import { PAYLOAD_STRUCTURES, PackedAllocMetric, packedMetric, unpackedMetric } from "./packed-metric.js";
import { RecordCodec } from "./record-codec.js";
import type { Allocation, AllocMetric } from "./structs.js";

function metric(i: number, scores = 5): AllocMetric {
  return {
    ...emptyAllocMetric(),
    NodesEvaluated: 5000,
    NodesFiltered: i % 7,
    NodesInPool: 5000,
    NodesAvailable: { dc1: 5000, dc2: i },
    ConstraintFiltered: { "${node.class} = c1m-1": 4000 },
    ScoreMetaData: Array.from({ length: scores }, (_, k) => ({
      NodeID: mockId(k + i, 1),
      Scores: k % 2 === 0 ? { binpack: 0.25 + k / 10 } : { binpack: 0.5, "job-anti-affinity": -0.125 },
      NormScore: 0.25 + k / 10,
    })),
    AllocationTime: 150_000 + i,
  };
}

function plan(allocs: Allocation[]): PlanApplyCommand {
  return {
    type: "plan-apply",
    EvalID: mockId(1, 0xe),
    NodeUpdate: {},
    NodeAllocation: { [mockId(1, 1)]: allocs },
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    Now: 1,
  };
}

describe("PackedAllocMetric", () => {
  it("reads back every field, and JSON shows the plain metric", () => {
    const original = metric(3);
    const packed = PackedAllocMetric.pack(original);
    expect(packed.unpack()).toEqual(original);
    expect(packed.ScoreMetaData).toEqual(original.ScoreMetaData);
    expect(packed.NodesAvailable).toEqual({ dc1: 5000, dc2: 3 });
    expect(packed.AllocationTime).toBe(150_003);
    expect(JSON.parse(JSON.stringify({ Metrics: packed }))).toEqual({ Metrics: original });
    // Every read is a fresh copy: changing it changes nothing stored.
    packed.ScoreMetaData.push({ NodeID: "x", Scores: {}, NormScore: 0 });
    expect(packed.ScoreMetaData).toHaveLength(5);
    expect(Object.isFrozen(packed)).toBe(true);
  });

  it("is one string, smaller than the plain metric's encoding", () => {
    const packed = PackedAllocMetric.pack(metric(1));
    expect(typeof packed.packed).toBe("string");
    expect(packed.packed.length).toBeLessThan(new Packr().pack(metric(1)).length);
    expect(Object.keys(packed)).toEqual(["packed"]);
  });

  it("keeps shapes it has no structure for, and packs once", () => {
    const odd = { ...metric(2), Extra: [1, 2] } as unknown as AllocMetric;
    const packed = PackedAllocMetric.pack(odd);
    expect(packed.unpack()).toEqual(odd);
    expect(PackedAllocMetric.pack(packed)).toBe(packed);
    expect(packedMetric(null)).toBeNull();
    expect(unpackedMetric(packed)).toEqual(odd);
    expect(unpackedMetric(metric(2))).toEqual(metric(2));
  });

  it("pins the payload's structure table (part of the on-disk format)", () => {
    expect(PAYLOAD_STRUCTURES.map((keys) => keys.join(","))).toEqual([
      "NodesEvaluated,NodesFiltered,NodesInPool,NodesAvailable,ClassFiltered,ConstraintFiltered,NodesExhausted,ClassExhausted,DimensionExhausted,QuotaExhausted,ScoreMetaData,AllocationTime,CoalescedFailures",
      "NodeID,Scores,NormScore",
      "binpack",
      "binpack,job-anti-affinity",
      "spread",
      "spread,job-anti-affinity",
    ]);
  });

  it("travels packed through plan entries, records and RPC payloads", () => {
    const allocs = [0, 1, 2].map((i) => mockAlloc({ ID: mockId(i, 0xa), Metrics: packedMetric(metric(i)) }));
    const bytes = encodeCommand(plan(allocs));
    // The fast decoder (what every server uses) and msgpackr (its fallback) agree.
    const fast = fastDecode(bytes) as PlanApplyCommand;
    const slow = new Packr({ useRecords: true, mapsAsObjects: true, moreTypes: false }).unpack(
      bytes,
    ) as PlanApplyCommand;
    const decoded = decodeCommand(bytes) as PlanApplyCommand;
    for (const command of [fast, slow, decoded]) {
      const got = Object.values(command.NodeAllocation)[0] ?? [];
      expect(got.map((a) => a.Metrics)).toEqual(allocs.map((a) => a.Metrics));
      for (const a of got) expect(a.Metrics).toBeInstanceOf(PackedAllocMetric);
    }
    const codec = new RecordCodec();
    const record = codec.unpack(codec.pack(allocs[1])) as Allocation;
    expect(record.Metrics).toBeInstanceOf(PackedAllocMetric);
    expect(record).toEqual(allocs[1]);
    const sent = unpackValue<Allocation[]>(packValue(allocs));
    expect(sent).toEqual(allocs);
  });

  it("decodes every extension length the fast decoder may meet", () => {
    for (const length of [1, 2, 3, 4, 8, 16, 255, 256, 70_000]) {
      const packed = PackedAllocMetric.fromLatin1("\u00ff".repeat(length - 1) + "a");
      const bytes = encodeCommand(plan([mockAlloc({ Metrics: packed })]));
      const fast = fastDecode(bytes) as PlanApplyCommand | undefined;
      expect(fast, `length ${length}`).toBeDefined();
      expect(Object.values(fast?.NodeAllocation ?? {})[0]?.[0]?.Metrics).toEqual(packed);
      const slow = new Packr({ useRecords: true, mapsAsObjects: true }).unpack(bytes) as PlanApplyCommand;
      expect(Object.values(slow.NodeAllocation)[0]?.[0]?.Metrics, `length ${length}`).toEqual(packed);
    }
  });
});
