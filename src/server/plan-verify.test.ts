import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Allocation,
  mockAlloc,
  mockId,
  mockNode,
  type Node,
  type NodeStatus,
  type Plan,
} from "../fsm/index.js";
import { summarizeAllocs } from "../fsm/node-usage-summary.js";
import type { NodeAllocsView } from "./plan-overlay.js";
import { verifyNodePlan, verifyPlan, verifyPlanInSlices } from "./plan-verify.js";

/** A view over listed nodes and allocations, its summaries summed from the allocations. */
function listView(index: number, nodes: readonly Node[], allocs: readonly Allocation[]): NodeAllocsView {
  const onNode = (nodeId: string) => allocs.filter((a) => a.NodeID === nodeId);
  return {
    index,
    nodeByID: (id) => nodes.find((n) => n.ID === id),
    allocsByNode: onNode,
    nodeUsage: (nodeId) => summarizeAllocs(onNode(nodeId)),
    allocByID: (id) => allocs.find((a) => a.ID === id),
  };
}

function view(node: Node, allocs: Allocation[]) {
  return listView(1, [node], allocs);
}

function plan(allocs: Allocation[], nodeId: string): Plan {
  return {
    EvalID: "",
    EvalToken: "",
    Priority: 50,
    AllAtOnce: false,
    JobID: "web",
    Namespace: "default",
    NodeUpdate: {},
    NodeAllocation: { [nodeId]: allocs },
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    SnapshotIndex: 1,
  };
}

describe("verifyNodePlan on a node that is not ready", () => {
  const nodeId = mockId(1, 1);
  const existing = mockAlloc({ ID: mockId(1, 0xa), NodeID: nodeId, ClientStatus: "running" });
  const fresh = mockAlloc({ ID: mockId(2, 0xa), NodeID: nodeId, ClientStatus: "pending" });

  it.each(["disconnected", "down"] as NodeStatus[])(
    "takes only its allocations marked unknown or lost (%s)",
    (status) => {
      const node = mockNode({ ID: nodeId, Status: status });
      const v = view(node, [existing]);
      expect(
        verifyNodePlan(v, plan([{ ...existing, ClientStatus: "unknown" }], nodeId), nodeId),
      ).toBeUndefined();
      expect(
        verifyNodePlan(v, plan([{ ...existing, ClientStatus: "lost" }], nodeId), nodeId),
      ).toBeUndefined();
      expect(verifyNodePlan(v, plan([existing], nodeId), nodeId)).toBe(
        `node is ${status} and the plan places on it`,
      );
      expect(verifyNodePlan(v, plan([{ ...fresh, ClientStatus: "unknown" }], nodeId), nodeId)).toBe(
        `node is ${status} and the plan places on it`,
      );
    },
  );

  it("rejects any placement on an initializing node", () => {
    const node = mockNode({ ID: nodeId, Status: "initializing" });
    expect(
      verifyNodePlan(
        view(node, [existing]),
        plan([{ ...existing, ClientStatus: "unknown" }], nodeId),
        nodeId,
      ),
    ).toBe("node is initializing");
  });
});

describe("verifyPlanInSlices", () => {
  /** An alloc of `cpu` MHz on node `node` with one static port (ports collide when equal). */
  const unit = (id: number, node: number, cpu: number, port: number): Allocation =>
    mockAlloc({
      ID: mockId(id, 0xa),
      NodeID: mockId(node, 1),
      AllocatedResources: {
        Tasks: { web: { Cpu: { CpuShares: cpu }, Memory: { MemoryMB: 10, MemoryMaxMB: 0 }, Networks: [] } },
        Shared: { DiskMB: 1, Networks: [], Ports: [{ Label: "p", Value: port, To: 0, HostIP: "" }] },
      },
    });

  it("decides exactly as verifyPlan against one state, whatever the slice size", async () => {
    const scenario = fc.record({
      nodes: fc.integer({ min: 1, max: 12 }),
      existing: fc.array(
        fc.tuple(fc.nat(11), fc.integer({ min: 100, max: 900 }), fc.integer({ min: 20000, max: 20020 })),
        { maxLength: 30 },
      ),
      placed: fc.array(
        fc.tuple(fc.nat(13), fc.integer({ min: 100, max: 900 }), fc.integer({ min: 20000, max: 20020 })),
        { maxLength: 30 },
      ),
      stops: fc.array(fc.nat(29), { maxLength: 10 }),
      allAtOnce: fc.boolean(),
      perSlice: fc.integer({ min: 1, max: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const nodes = Array.from({ length: sc.nodes }, (_, i) =>
          mockNode({
            ID: mockId(i, 1),
            NodeResources: {
              ...mockNode().NodeResources,
              Cpu: { CpuShares: 2000, TotalCpuCores: 2 },
            },
          }),
        );
        const existing = sc.existing
          .filter(([n]) => n < sc.nodes)
          .map(([n, cpu, port], i) => unit(i + 1, n, cpu, port));
        const view = listView(7, nodes, existing);
        const NodeAllocation: Record<string, Allocation[]> = {};
        for (const [i, [n, cpu, port]] of sc.placed.entries()) {
          const a = unit(1000 + i, n, cpu, port);
          NodeAllocation[a.NodeID] = [...(NodeAllocation[a.NodeID] ?? []), a];
        }
        const NodeUpdate: Record<string, Allocation[]> = {};
        for (const k of sc.stops) {
          const a = existing[k];
          if (a === undefined) continue;
          NodeUpdate[a.NodeID] = [...(NodeUpdate[a.NodeID] ?? []), { ...a, DesiredStatus: "stop" }];
        }
        const p: Plan = { ...plan([], mockId(0, 1)), NodeAllocation, NodeUpdate, AllAtOnce: sc.allAtOnce };
        let turns = 0;
        const sliced = await verifyPlanInSlices(() => view, p, {
          nodesPerSlice: sc.perSlice,
          sliceMs: Number.POSITIVE_INFINITY,
          clock: () => 0,
          yieldTurn: async () => {
            turns++;
          },
        });
        expect(sliced).toEqual(verifyPlan(view, p));
        const touched = new Set([...Object.keys(NodeUpdate), ...Object.keys(NodeAllocation)]).size;
        if (!sc.allAtOnce) expect(turns).toBe(Math.max(0, Math.ceil(touched / sc.perSlice) - 1));
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it("ends a slice on time even before its node count", async () => {
    const node = mockNode({ ID: mockId(1, 1) });
    const view = { ...listView(1, [node], []), nodeByID: () => node };
    const NodeAllocation: Record<string, Allocation[]> = {};
    for (let i = 0; i < 10; i++) NodeAllocation[mockId(i, 1)] = [unit(i + 1, i, 1, 20000 + i)];
    let now = 0;
    let turns = 0;
    await verifyPlanInSlices(
      () => view,
      { ...plan([], node.ID), NodeAllocation },
      {
        nodesPerSlice: 100,
        sliceMs: 3,
        // Each node "takes" 1 ms: a slice holds 3 nodes.
        clock: () => now++,
        yieldTurn: async () => {
          turns++;
        },
      },
    );
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});

describe("verifyNodePlan on an id that is already taken", () => {
  const nodeA = mockNode({ ID: mockId(1, 1) });
  const nodeB = mockNode({ ID: mockId(2, 1) });
  const stored = mockAlloc({ ID: mockId(1, 0xb), NodeID: nodeA.ID, JobID: "web", ClientStatus: "running" });
  const v = listView(1, [nodeA, nodeB], [stored]);

  it("rejects a placement that would move a stored allocation to another node", () => {
    const moved = { ...stored, NodeID: nodeB.ID, ClientStatus: "pending" as const };
    expect(verifyNodePlan(v, plan([moved], nodeB.ID), nodeB.ID)).toBe(
      `allocation ${stored.ID} already exists for job web on node ${nodeA.ID}`,
    );
  });

  it("rejects a placement that would give a stored allocation to another job", () => {
    const taken = { ...stored, JobID: "other" };
    expect(verifyNodePlan(v, plan([taken], nodeA.ID), nodeA.ID)).toMatch(/already exists for job web/);
  });

  it("takes an in-place update of the allocation on its own node and job", () => {
    const updated = { ...stored, DesiredDescription: "updated in place" };
    expect(verifyNodePlan(v, plan([updated], nodeA.ID), nodeA.ID)).toBeUndefined();
  });
});
