import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../common/rand.js";
import { holdsResources } from "../fsm/alloc-usage.js";
import {
  type Allocation,
  type AllocClientStatus,
  emptyTables,
  mockId,
  mockNode,
  StateSnapshot,
} from "../fsm/index.js";
import { StateTxn } from "../fsm/state-txn.js";
import { randomAllocFactory } from "../fsm/test-random-alloc.js";
import { allocUsage, nodeCapacity } from "./fit.js";
import { PlanBuilder } from "./plan-builder.js";

const NODE = mockId(1, 1);
const OTHER = mockId(2, 1);
const STATUSES: AllocClientStatus[] = ["pending", "running", "complete", "failed", "lost"];
// 22 is reserved on the mock node; 20000 and 32000 bound its dynamic range.
const PORTS = [22, 8080, 20000, 23456, 23457, 32000];
const JOBS = ["a", "b"];
const GROUPS = ["web", "db"];

function allocFactory(rand: SeededRandom) {
  return randomAllocFactory(rand, {
    node: NODE,
    otherNode: OTHER,
    jobs: JOBS,
    groups: GROUPS,
    statuses: STATUSES,
    cpu: [100, 500],
    memoryMB: [128, 1024],
    diskMB: [150, 300],
    port: (r) => PORTS[r.int(PORTS.length)] as number,
  });
}

/**
 * What the node holds once the plan applies, listed as the plan builder did before the state kept
 * summaries: the stored allocations on the node that hold resources and that the plan neither
 * removes nor replaces, plus the last version of each holding allocation the plan places there.
 */
function listedLive(builder: PlanBuilder, stored: readonly Allocation[]): Allocation[] {
  const placed = new Map<string, Allocation>();
  for (const alloc of builder.plan.NodeAllocation[NODE] ?? []) placed.set(alloc.ID, alloc);
  const live = stored.filter((a) => builder.isLive(a) && !placed.has(a.ID));
  for (const alloc of placed.values()) if (holdsResources(alloc)) live.push(alloc);
  return live;
}

describe("PlanBuilder.usageOf from the node's usage summary", () => {
  it("equals the sums over the node's listed allocations, whenever it is first built", () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 12 }), (seed, buildAt) => {
        const rand = new SeededRandom(seed);
        const make = allocFactory(rand);
        const existing = Array.from({ length: 1 + rand.int(10) }, (_, i) => make(i + 1));
        const txn = new StateTxn(emptyTables(), 1);
        const node = mockNode({ ID: NODE });
        txn.putNode(node);
        txn.putNode(mockNode({ ID: OTHER }));
        for (const alloc of existing) txn.putAlloc(alloc);
        const reader = new StateSnapshot(txn.commit());
        const builder = new PlanBuilder(reader, {
          EvalID: "e",
          EvalToken: "",
          Priority: 50,
          AllAtOnce: false,
          JobID: "a",
          Namespace: "default",
        });
        const onNode = reader.allocsByNode(NODE);
        const untouched = [...onNode];
        const stopped: Allocation[] = [];
        for (let step = 0; step < 12; step++) {
          if (step === buildAt) {
            // Counting the dynamic ports now makes the later changes keep that count incrementally.
            const early = builder.usageOf(node);
            if (seed % 2 === 0) expect(early.dynamicUsed).toBeGreaterThanOrEqual(0);
          }
          const roll = rand.next();
          if (roll < 0.25 && untouched.length > 0) {
            const alloc = untouched.splice(rand.int(untouched.length), 1)[0] as Allocation;
            builder.appendStop(alloc, "stop");
            stopped.push(alloc);
          } else if (roll < 0.35 && untouched.length > 0) {
            builder.appendPreemption(untouched.splice(rand.int(untouched.length), 1)[0] as Allocation, "x");
          } else if (roll < 0.45 && stopped.length > 0) {
            builder.undoStop(stopped.pop() as Allocation);
          } else if (roll < 0.65 && untouched.length > 0) {
            // An in-place update (or a status mark) of a stored allocation.
            const alloc = untouched.splice(rand.int(untouched.length), 1)[0] as Allocation;
            const { AllocatedResources, ClientStatus } = make(0);
            builder.appendAlloc({ ...alloc, AllocatedResources, ClientStatus });
          } else {
            builder.appendAlloc(make(100 + step, { NodeID: NODE, DesiredStatus: "run" }));
          }
        }
        const usage = builder.usageOf(node);
        const live = listedLive(builder, onNode);
        const sum = (f: (a: Allocation) => number) => live.reduce((s, a) => s + f(a), 0);
        expect(usage.cpu).toBe(sum((a) => allocUsage(a).cpu));
        expect(usage.memoryMB).toBe(sum((a) => allocUsage(a).memoryMB));
        expect(usage.diskMB).toBe(sum((a) => allocUsage(a).diskMB));
        const capacity = nodeCapacity(node);
        const used = new Set(live.flatMap((a) => allocUsage(a).ports));
        for (const port of PORTS) {
          expect(usage.hasPort(port), `port ${port}`).toBe(
            used.has(port) && !capacity.reservedPorts.has(port),
          );
        }
        const inRange = (p: number) => p >= capacity.minDynamicPort && p <= capacity.maxDynamicPort;
        const dynamicUsed = new Set([...capacity.reservedPorts, ...used]);
        expect(usage.dynamicUsed).toBe([...dynamicUsed].filter(inRange).length);
        for (const job of JOBS) {
          const count = live.filter((a) => a.JobID === job).length;
          expect(usage.count(builder.keys.job("default", job)), `job ${job}`).toBe(count);
          for (const group of GROUPS) {
            const inGroup = live.filter((a) => a.JobID === job && a.TaskGroup === group).length;
            expect(usage.count(builder.keys.group("default", job, group))).toBe(inGroup);
          }
        }
        expect(new Set(builder.liveAllocsOn(node).map((a) => a.ID))).toEqual(new Set(live.map((a) => a.ID)));
      }),
      { numRuns: 1500 },
    );
  });
});
