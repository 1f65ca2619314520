import { describe, expect, it } from "vitest";
import { SPREAD_AFFINITY_LIMIT, scoreLimit } from "./select-stack.js";
import { mockGroup, mockJob, mockNode, mockTask } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

describe("scoreLimit", () => {
  it.each([
    [5000, false, false, 13],
    [5000, true, false, 2],
    [3, false, false, 2],
    [5000, false, true, SPREAD_AFFINITY_LIMIT],
    [5000, true, true, SPREAD_AFFINITY_LIMIT],
    [40, false, true, 40],
  ])("%d nodes, batch %s, spread/affinity %s → %d", (nodes, batch, spread, limit) => {
    expect(scoreLimit(nodes, batch, spread)).toBe(limit);
  });
});

describe("reschedule penalty", () => {
  it("moves a rescheduled allocation off the node where it failed even when that node packs best", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("a"), mockNode("b"));
    // A filler makes its node the bin-packing favourite.
    const big = mockTask("web", { Resources: { ...mockTask().Resources, CPU: 3000 } });
    const filler = h.registerJob(
      mockJob("filler", { TaskGroups: [mockGroup("web", { Count: 1, Tasks: [big] })] }),
    );
    h.process(h.evalFor(filler));
    const fullest = h.liveAllocs(filler)[0]!.NodeID;
    const job = h.registerJob(
      mockJob("j", {
        TaskGroups: [
          mockGroup("web", {
            Count: 1,
            ReschedulePolicy: {
              Attempts: 3,
              Interval: 3600e9,
              Delay: 0,
              DelayFunction: "constant",
              MaxDelay: 0,
              Unlimited: false,
            },
          }),
        ],
      }),
    );
    h.process(h.evalFor(job));
    const first = h.liveAllocs(job)[0]!;
    expect(first.NodeID).toBe(fullest);
    h.clientUpdate([first], { ClientStatus: "failed" });
    const result = h.process(h.evalFor(job));
    const replacement = h.liveAllocs(job)[0]!;
    expect(replacement.PreviousAllocation).toBe(first.ID);
    expect(replacement.NodeID).not.toBe(fullest);
    const scores = result.plan?.NodeAllocation[replacement.NodeID]?.[0]?.Metrics?.ScoreMetaData ?? [];
    expect(scores.find((s) => s.NodeID === fullest)?.Scores["node-reschedule-penalty"]).toBe(-1);
  });
});

describe("job anti-affinity", () => {
  it("spreads a group's allocations over equal nodes despite bin-packing", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("a"), mockNode("b"));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 2 })] }));
    const result = h.process(h.evalFor(job));
    expect(new Set(h.liveAllocs(job).map((a) => a.NodeID))).toEqual(new Set(["a", "b"]));
    // The second placement saw the first's node penalized: −(1+1)/2 = −1.
    const second = Object.values(result.plan!.NodeAllocation)
      .flat()
      .find((a) => a.Name === "j.web[1]");
    const scores = second?.Metrics?.ScoreMetaData ?? [];
    const penalized = scores.find((s) => s.Scores["job-anti-affinity"] !== undefined);
    expect(penalized?.Scores["job-anti-affinity"]).toBe(-1);
  });
});
