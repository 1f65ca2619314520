import { describe, expect, it } from "vitest";
import { AgentMetrics } from "../common/metrics.js";
import type { Evaluation } from "../fsm/structs.js";
import { BlockedEvals } from "./blocked-evals.js";
import { testEval } from "./test-fixtures.js";

function setup(): { blocked: BlockedEvals; released: Evaluation[] } {
  const released: Evaluation[] = [];
  const blocked = new BlockedEvals({ enqueue: (e) => released.push(e) });
  blocked.setEnabled(true);
  return { blocked, released };
}

const blockedEval = (fields: Partial<Evaluation>): Evaluation =>
  testEval({ Status: "blocked", SnapshotIndex: 10, CreateIndex: 10, ...fields });

describe("BlockedEvals", () => {
  it("unblocks only the evals that could use the class that gained capacity", () => {
    const { blocked, released } = setup();
    blocked.block(blockedEval({ ID: "wants-a", JobID: "1", ClassEligibility: { a: true, b: false } }));
    blocked.block(blockedEval({ ID: "not-b", JobID: "2", ClassEligibility: { b: false } }));
    blocked.block(
      blockedEval({ ID: "only-c", JobID: "3", ClassEligibility: { a: false, b: false, c: true } }),
    );
    blocked.unblock("b", 11);
    expect(released).toEqual([]);
    blocked.unblock("a", 12);
    expect(released.map((e) => e.ID).sort()).toEqual(["not-b", "wants-a"]);
    expect(blocked.stats().blocked).toBe(1);
  });

  it("wakes escaped evals on any change", () => {
    const { blocked, released } = setup();
    blocked.block(blockedEval({ ID: "esc", EscapedComputedClass: true, ClassEligibility: { x: false } }));
    blocked.unblock("x", 11);
    expect(released.map((e) => e.ID)).toEqual(["esc"]);
  });

  it("keeps one blocked eval per job: the newer replaces the older, which becomes a duplicate", () => {
    const { blocked } = setup();
    let notified = 0;
    blocked.setDuplicateListener(() => notified++);
    blocked.block(blockedEval({ ID: "old", JobID: "j", CreateIndex: 5 }));
    blocked.block(blockedEval({ ID: "new", JobID: "j", CreateIndex: 9 }));
    blocked.block(blockedEval({ ID: "older", JobID: "j", CreateIndex: 3 }));
    expect(blocked.has("new")).toBe(true);
    expect(blocked.stats().blocked).toBe(1);
    expect(blocked.takeDuplicates(10).map((e) => e.ID)).toEqual(["old", "older"]);
    expect(notified).toBe(2);
  });

  it("sends an eval that missed an unblock straight to the broker", () => {
    const { blocked, released } = setup();
    blocked.unblock("a", 20);
    blocked.block(blockedEval({ ID: "stale", SnapshotIndex: 15, ClassEligibility: { a: true } }));
    blocked.block(blockedEval({ ID: "fresh", JobID: "k", SnapshotIndex: 25, ClassEligibility: { a: true } }));
    blocked.block(
      blockedEval({ ID: "infeasible", JobID: "m", SnapshotIndex: 15, ClassEligibility: { a: false } }),
    );
    expect(released.map((e) => e.ID)).toEqual(["stale"]);
    expect(blocked.has("fresh")).toBe(true);
    expect(blocked.has("infeasible")).toBe(true);
  });

  it("periodically retries evals blocked by max plan attempts", () => {
    const { blocked, released } = setup();
    blocked.block(blockedEval({ ID: "max", TriggeredBy: "max-plan-attempts" }));
    blocked.block(blockedEval({ ID: "normal", JobID: "n" }));
    blocked.unblockFailed();
    expect(released.map((e) => e.ID)).toEqual(["max"]);
  });

  it("untracks completed evals and stopped jobs, flushes on disable, and counts blocked evals", async () => {
    const released: Evaluation[] = [];
    const metrics = new AgentMetrics("t", { processMetrics: false });
    const blocked = new BlockedEvals({ enqueue: (e) => released.push(e) }, metrics);
    blocked.setEnabled(true);
    blocked.block(blockedEval({ ID: "a", JobID: "a" }));
    blocked.block(blockedEval({ ID: "b", JobID: "b" }));
    blocked.block(blockedEval({ ID: "c", JobID: "c" }));
    expect(await metrics.text()).toMatch(/drover_broker_blocked\{agent="t"\} 3/);
    blocked.untrack("a");
    blocked.untrackJob("default", "b");
    expect(blocked.stats().blocked).toBe(1);
    blocked.setEnabled(false);
    expect(blocked.stats().blocked).toBe(0);
    blocked.block(blockedEval({ ID: "d", JobID: "d" }));
    expect(blocked.stats().blocked).toBe(0);
    expect(released).toEqual([]);
  });
});
