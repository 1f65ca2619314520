import { describe, expect, it } from "vitest";
import type { PlanApplyCommand } from "./commands.js";
import { createdBy } from "./leveldb-load.js";
import { mockAlloc, mockId } from "./mock.js";

function plan(byNode: Record<string, string[]>): PlanApplyCommand {
  return {
    type: "plan-apply",
    EvalID: "",
    NodeUpdate: {},
    NodeAllocation: Object.fromEntries(
      Object.entries(byNode).map(([node, ids]) => [node, ids.map((ID) => mockAlloc({ ID, NodeID: node }))]),
    ),
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    Now: 0,
  };
}

describe("createdBy", () => {
  const [a, b, c, d] = [1, 2, 3, 4].map((i) => mockId(i, 0xa)) as [string, string, string, string];
  const command = plan({ [mockId(1, 1)]: [a, b], [mockId(2, 1)]: [c, d] });

  it("picks the plan's created allocations in the order they were stored", () => {
    expect(createdBy(command, [a, c, d]).map((x) => x.ID)).toEqual([a, c, d]);
    expect(createdBy(command, [])).toEqual([]);
  });

  it("still finds them when the stored ids are in another order", () => {
    expect(createdBy(command, [d, a]).map((x) => x.ID)).toEqual([a, d]);
  });
});
