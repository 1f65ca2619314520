import { describe, expect, it } from "vitest";
import type { Evaluation } from "../fsm/structs.js";
import { CORE_JOB_EVAL_GC, CORE_JOB_FORCE_GC, CORE_JOB_JOB_GC, CORE_JOB_NODE_GC } from "./core-scheduler.js";
import { schedule } from "./index.js";
import { mockEval, mockGroup, mockJob, mockNode } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

const HOUR = 3600e9;

function coreEval(kind: string): Evaluation {
  return mockEval(mockJob(kind), { ID: `core-${kind}`, Type: "_core", JobID: kind, Priority: 200 });
}

function gcOf(h: SchedulerHarness, kind: string) {
  const result = schedule(h.snapshot(), coreEval(kind), { now: h.now, seed: 1 });
  expect(result.plan).toBeNull();
  expect(result.eval.Status).toBe("complete");
  return result.gc!;
}

describe("core scheduler (garbage collection)", () => {
  it("collects terminal evals and their terminal allocs after the threshold, not before", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 2 })] }));
    const first = h.evalFor(job);
    h.process(first);
    // Replace both allocations with a new version; the first eval's allocs end.
    const allocs = h.liveAllocs(job);
    h.clientUpdate(allocs, { ClientStatus: "complete" });
    h.process(h.evalFor(job));
    expect(gcOf(h, CORE_JOB_EVAL_GC).EvalIDs).not.toContain(first.ID);
    h.now += 2 * HOUR;
    const gc = gcOf(h, CORE_JOB_EVAL_GC);
    expect(gc.EvalIDs).toContain(first.ID);
    expect([...gc.AllocIDs].sort()).toEqual(allocs.map((a) => a.ID).sort());
  });

  it("keeps evals whose allocations still run", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 1 })] }));
    const evaluation = h.evalFor(job);
    h.process(evaluation);
    h.now += 10 * HOUR;
    expect(gcOf(h, CORE_JOB_EVAL_GC).EvalIDs).not.toContain(evaluation.ID);
  });

  it("keeps a failed allocation that may still be rescheduled", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 1 })] }));
    const evaluation = h.evalFor(job);
    h.process(evaluation);
    h.clientUpdate(h.liveAllocs(job), { ClientStatus: "failed" });
    h.now += 10 * HOUR;
    expect(gcOf(h, CORE_JOB_EVAL_GC).EvalIDs).not.toContain(evaluation.ID);
  });

  it("collects stopped jobs whose evals and allocs are all terminal and old", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 1 })] }));
    h.process(h.evalFor(job));
    h.process(h.evalFor(h.stopJob(job)));
    expect(gcOf(h, CORE_JOB_JOB_GC).Jobs).toEqual([]);
    h.now += 5 * HOUR;
    const gc = gcOf(h, CORE_JOB_JOB_GC);
    expect(gc.Jobs).toEqual([{ Namespace: "default", ID: "j" }]);
    expect(gc.EvalIDs).toHaveLength(2);
    expect(gc.AllocIDs).toHaveLength(1);
  });

  it("collects nodes down for more than a day with nothing running", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"), mockNode("n2"));
    h.setNodeStatus("n1", "down");
    h.now += 25 * HOUR;
    expect(gcOf(h, CORE_JOB_NODE_GC).NodeIDs).toEqual(["n1"]);
  });

  it("force-gc ignores the thresholds, and an unknown kind fails the eval", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    h.setNodeStatus("n1", "down");
    expect(gcOf(h, CORE_JOB_FORCE_GC).NodeIDs).toEqual(["n1"]);
    const bad = schedule(h.snapshot(), coreEval("nope"), { now: h.now, seed: 1 });
    expect(bad.eval.Status).toBe("failed");
    expect(bad.gc).toBeNull();
  });
});
