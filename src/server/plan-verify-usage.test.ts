import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../common/rand.js";
import {
  type Allocation,
  type AllocClientStatus,
  emptyTables,
  mockId,
  mockNode,
  type Plan,
  StateSnapshot,
} from "../fsm/index.js";
import { StateTxn } from "../fsm/state-txn.js";
import { randomAllocFactory } from "../fsm/test-random-alloc.js";
import {
  allocsFit,
  DIMENSION_CPU,
  DIMENSION_DISK,
  DIMENSION_MEMORY,
  proposedNodeAllocs,
} from "../scheduler/fit.js";
import { type InFlightPlan, type NodeAllocsView, OptimisticView } from "./plan-overlay.js";
import { verifyNodePlan } from "./plan-verify.js";

const NODE = mockId(1, 1);
const OTHER = mockId(2, 1);
const STATUSES: AllocClientStatus[] = ["pending", "running", "complete", "failed", "lost", "unknown"];
const WHOLE_DIMENSIONS = new Set([DIMENSION_CPU, DIMENSION_MEMORY, DIMENSION_DISK]);

/**
 * Random allocations on a node of 3,900 MHz / 7,936 MB / 96 GiB with port 22 reserved: sizes
 * that fill it after a few, ports from a small pool (22 is reserved, 70000 is invalid).
 */
function allocFactory(rand: SeededRandom) {
  const pick = (items: readonly number[]): number => items[rand.int(items.length)] as number;
  return randomAllocFactory(rand, {
    node: NODE,
    otherNode: OTHER,
    jobs: ["a", "b"],
    statuses: STATUSES,
    cpu: [100, 500, 1500],
    memoryMB: [128, 1024, 3000],
    diskMB: [150, 40_000],
    port: (r) => (r.next() < 0.03 ? pick([22, 70_000]) : pick([8080, 8081, 23456, 23457, 23458])),
  });
}

/** A plan (or an in-flight plan) over `existing`: stops, preemptions, in-place updates, placements. */
function randomPlan(
  rand: SeededRandom,
  existing: Allocation[],
  make: ReturnType<typeof allocFactory>,
  firstNewId: number,
): InFlightPlan {
  const plan: InFlightPlan = { NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {} };
  const push = (map: Record<string, Allocation[]>, alloc: Allocation) => {
    map[alloc.NodeID] = [...(map[alloc.NodeID] ?? []), alloc];
  };
  for (const alloc of existing) {
    const roll = rand.next();
    if (roll < 0.15) push(plan.NodeUpdate, { ...alloc, DesiredStatus: "stop" });
    else if (roll < 0.2) push(plan.NodePreemptions, { ...alloc, DesiredStatus: "evict" });
    else if (roll < 0.3) {
      const { AllocatedResources, ClientStatus } = make(0);
      push(plan.NodeAllocation, { ...alloc, DesiredStatus: "run", AllocatedResources, ClientStatus });
    }
  }
  const placements = rand.int(5);
  for (let i = 0; i < placements; i++) {
    push(plan.NodeAllocation, make(firstNewId + i, { DesiredStatus: "run", ClientStatus: "pending" }));
  }
  return plan;
}

function asPlan(p: InFlightPlan): Plan {
  return {
    EvalID: "",
    EvalToken: "",
    Priority: 50,
    AllAtOnce: false,
    JobID: "a",
    Namespace: "default",
    Deployment: null,
    DeploymentUpdates: [],
    SnapshotIndex: 1,
    ...p,
  };
}

/** What verifyNodePlan decided before the usage summary: fit over the listed allocations. */
function expectSameDecision(view: NodeAllocsView, plan: Plan): void {
  const reason = verifyNodePlan(view, plan, NODE);
  if ((plan.NodeAllocation[NODE] ?? []).length === 0) {
    expect(reason).toBeUndefined();
    return;
  }
  const node = view.nodeByID(NODE);
  if (node === undefined) throw new Error("test node missing");
  const reference = allocsFit(node, proposedNodeAllocs(view.allocsByNode(NODE), plan, NODE));
  if (reference.fit) {
    expect(reason).toBeUndefined();
  } else if (WHOLE_DIMENSIONS.has(reference.dimension ?? "")) {
    expect(reason).toBe(`resources exhausted: ${reference.dimension}`);
  } else {
    expect(reason).toMatch(/^resources exhausted: network: /);
  }
}

describe("verifyNodePlan from the node usage summary", () => {
  it("decides as allocsFit over the proposed allocations, on the state and with a plan in flight", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rand = new SeededRandom(seed);
        const make = allocFactory(rand);
        const existing = Array.from({ length: rand.int(8) }, (_, i) => make(i + 1));
        const txn = new StateTxn(emptyTables(), 1);
        txn.putNode(mockNode({ ID: NODE }));
        txn.putNode(mockNode({ ID: OTHER }));
        for (const alloc of existing) txn.putAlloc(alloc);
        const snapshot = new StateSnapshot(txn.commit());
        expectSameDecision(snapshot, asPlan(randomPlan(rand, existing, make, 100)));

        const inFlight = randomPlan(rand, existing, make, 200);
        const view = new OptimisticView(snapshot, inFlight);
        const visible = [...view.allocsByNode(NODE), ...view.allocsByNode(OTHER)];
        expectSameDecision(view, asPlan(randomPlan(rand, visible, make, 300)));
      }),
      { numRuns: 2000 },
    );
  });
});
