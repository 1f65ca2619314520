import { describe, expect, it } from "vitest";
import { nextJobVersion } from "../fsm/job-version.js";
import type { Job } from "../fsm/structs.js";
import { JobOverlayReader } from "./job-overlay.js";
import { planJob } from "./job-plan.js";
import { mockGroup, mockJob, mockNode, mockTask } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

const OPTIONS = { now: 2_000_000e9, seed: 7, evalId: "plan-eval", diff: true };

function webJob(overrides: Partial<Job> = {}): Job {
  return mockJob("web", { TaskGroups: [mockGroup("web", { Count: 2 })], ...overrides });
}

function withEnv(job: Job, env: Record<string, string>): Job {
  const group = job.TaskGroups[0]!;
  return { ...job, TaskGroups: [{ ...group, Tasks: [{ ...group.Tasks[0]!, Env: env }] }] };
}

/** A harness with two nodes and the job registered and placed. */
function running(job: Job): { h: SchedulerHarness; stored: Job } {
  const h = new SchedulerHarness();
  h.registerNodes(mockNode("n1"), mockNode("n2"));
  const stored = h.registerJob(job);
  h.process(h.evalFor(stored));
  return { h, stored };
}

describe("nextJobVersion", () => {
  it("makes a new job version 0 and a changed one the next version, at the given index", () => {
    const job = webJob();
    expect(nextJobVersion(undefined, job, 9)).toMatchObject({
      Version: 0,
      JobModifyIndex: 9,
      CreateIndex: 9,
    });
    const stored = { ...job, Version: 2, JobModifyIndex: 5, CreateIndex: 3 };
    expect(nextJobVersion(stored, { ...job, Priority: 60 }, 9)).toMatchObject({
      Version: 3,
      JobModifyIndex: 9,
      CreateIndex: 3,
    });
    expect(nextJobVersion(stored, job, 9)).toMatchObject({ Version: 2, JobModifyIndex: 5 });
  });
});

describe("JobOverlayReader", () => {
  it("answers the proposed job and its version, the snapshot for everything else", () => {
    const { h, stored } = running(webJob());
    const snapshot = h.snapshot();
    const proposed = nextJobVersion(stored, { ...stored, Priority: 80 }, snapshot.index + 1);
    const overlay = new JobOverlayReader(snapshot, proposed);
    expect(overlay.index).toBe(snapshot.index);
    expect(overlay.jobByID("default", "web")?.Priority).toBe(80);
    expect(overlay.jobByVersion("default", "web", 1)?.Priority).toBe(80);
    expect(overlay.jobByVersion("default", "web", 0)?.Priority).toBe(50);
    expect(overlay.jobVersions("default", "web").map((v) => v.Version)).toEqual([1, 0]);
    expect([...overlay.jobs()].map((j) => j.Priority)).toEqual([80]);
    expect(overlay.allocsByJob("default", "web")).toBe(snapshot.allocsByJob("default", "web"));
    // The snapshot itself still holds the stored job.
    expect(snapshot.jobByID("default", "web")?.Priority).toBe(50);
  });

  it("adds a job the snapshot does not have", () => {
    const h = new SchedulerHarness();
    const overlay = new JobOverlayReader(h.snapshot(), nextJobVersion(undefined, webJob(), 1));
    expect([...overlay.jobs()].map((j) => j.ID)).toEqual(["web"]);
    expect([...overlay.jobsByType("batch")]).toEqual([]);
  });
});

describe("planJob", () => {
  it("plans creates for a new job, with index 0 and nothing written", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const before = h.snapshot();
    const plan = planJob(before, webJob(), OPTIONS);
    expect(plan.JobModifyIndex).toBe(0);
    expect(plan.Annotations.DesiredTGUpdates.web).toMatchObject({ Place: 2, Stop: 0 });
    expect(plan.Diff?.Type).toBe("Added");
    expect(plan.Diff?.TaskGroups?.[0]?.Updates).toEqual({ create: 2 });
    expect(plan.Diff?.TaskGroups?.[0]?.Tasks?.[0]?.Annotations).toEqual(["forces create"]);
    expect(plan.FailedTGAllocs).toEqual({});
    expect(h.snapshot().index).toBe(before.index);
    expect(h.snapshot().jobByID("default", "web")).toBeUndefined();
  });

  it("plans nothing for the job as it runs", () => {
    const { h, stored } = running(webJob());
    const plan = planJob(h.snapshot(), webJob(), OPTIONS);
    expect(plan.JobModifyIndex).toBe(stored.JobModifyIndex);
    expect(plan.Diff?.Type).toBe("None");
    expect(plan.Annotations.DesiredTGUpdates.web).toMatchObject({
      Place: 0,
      Ignore: 2,
      DestructiveUpdate: 0,
    });
    expect(plan.Plan).toBeNull();
  });

  it("plans destructive updates for an env change and annotates the task", () => {
    const { h } = running(webJob());
    const plan = planJob(h.snapshot(), withEnv(webJob(), { MODE: "b" }), OPTIONS);
    expect(plan.Annotations.DesiredTGUpdates.web).toMatchObject({ DestructiveUpdate: 2, Place: 0 });
    const group = plan.Diff?.TaskGroups?.[0];
    expect(group?.Updates).toEqual({ "create/destroy update": 2 });
    expect(group?.Tasks?.[0]?.Annotations).toEqual(["forces create/destroy update"]);
    expect(group?.Tasks?.[0]?.Fields).toEqual([
      { Type: "Added", Name: "Env[MODE]", Old: "", New: "b", Annotations: null },
    ]);
    // The stored job and its allocations are untouched.
    expect(h.snapshot().jobByID("default", "web")?.Version).toBe(0);
    expect(h.liveAllocs(webJob())).toHaveLength(2);
  });

  it("plans in-place updates for a change that does not need new allocations", () => {
    const { h } = running(webJob());
    const plan = planJob(h.snapshot(), webJob({ Priority: 70 }), OPTIONS);
    expect(plan.Annotations.DesiredTGUpdates.web).toMatchObject({ InPlaceUpdate: 2 });
    expect(plan.Diff?.TaskGroups?.[0]?.Updates).toEqual({ "in-place update": 2 });
  });

  it("plans stops for a scale down and for a removed group", () => {
    const { h } = running(webJob());
    const down = planJob(h.snapshot(), webJob({ TaskGroups: [mockGroup("web", { Count: 1 })] }), OPTIONS);
    expect(down.Annotations.DesiredTGUpdates.web).toMatchObject({ Stop: 1, InPlaceUpdate: 1 });
    const moved = planJob(h.snapshot(), webJob({ TaskGroups: [mockGroup("api", { Count: 1 })] }), OPTIONS);
    expect(moved.Annotations.DesiredTGUpdates.web).toMatchObject({ Stop: 2 });
    expect(moved.Annotations.DesiredTGUpdates.api).toMatchObject({ Place: 1 });
  });

  it("reports placement failures with their metric and the blocked eval it would create", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"));
    const job = webJob({
      TaskGroups: [mockGroup("web", { Count: 1, Tasks: [mockTask("web", { Driver: "docker" })] })],
    });
    const plan = planJob(h.snapshot(), job, OPTIONS);
    expect(plan.FailedTGAllocs.web?.NodesEvaluated).toBe(1);
    expect(Object.keys(plan.FailedTGAllocs.web?.ConstraintFiltered ?? {})).toEqual(["missing drivers"]);
    expect(plan.CreatedEvals.map((e) => e.Status)).toEqual(["blocked"]);
    expect([...h.snapshot().evals()]).toEqual([]);
  });

  it("is deterministic for the same snapshot and seed", () => {
    const { h } = running(webJob());
    const job = withEnv(webJob(), { MODE: "c" });
    expect(planJob(h.snapshot(), job, OPTIONS)).toEqual(planJob(h.snapshot(), job, OPTIONS));
  });

  it("counts system job placements from the plan", () => {
    const h = new SchedulerHarness();
    h.registerNodes(mockNode("n1"), mockNode("n2"));
    const job = webJob({ Type: "system", TaskGroups: [mockGroup("web", { Count: 1 })] });
    const plan = planJob(h.snapshot(), job, OPTIONS);
    expect(plan.Annotations.DesiredTGUpdates.web).toMatchObject({ Place: 2 });
  });
});
