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
import { verifyNodePlan } from "./plan-verify.js";

function view(node: Node, allocs: Allocation[]) {
  return {
    index: 1,
    nodeByID: (id: string) => (id === node.ID ? node : undefined),
    allocsByNode: () => allocs,
  };
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
