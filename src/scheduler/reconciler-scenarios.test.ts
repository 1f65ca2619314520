import { describe, expect, it } from "vitest";
import type { Allocation, Job, Node } from "../fsm/structs.js";
import { allocIndexFromName } from "../fsm/structs.js";
import {
  ALLOC_LOST,
  ALLOC_MIGRATING,
  ALLOC_NOT_NEEDED,
  ALLOC_RESCHEDULED,
  ALLOC_UPDATING,
  DEPLOYMENT_CANCELLED_NEWER,
} from "./reconciler.js";
import { mockGroup, mockJob, mockNode, mockTask, mockUpdate } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

function setup(nodeCount: number, job: Job): { h: SchedulerHarness; job: Job; nodes: Node[] } {
  const h = new SchedulerHarness();
  const nodes = Array.from({ length: nodeCount }, (_, i) => mockNode(`node-${String(i).padStart(3, "0")}`));
  h.registerNodes(...nodes);
  const stored = h.registerJob(job);
  h.process(h.evalFor(stored));
  return { h, job: stored, nodes };
}

const stops = (h: SchedulerHarness): Array<{ id: string; why: string }> => {
  const plan = h.submissions[h.submissions.length - 1]?.plan;
  return Object.values(plan?.NodeUpdate ?? {})
    .flat()
    .map((a) => ({ id: a.ID, why: a.DesiredDescription }));
};

describe("reconciler through the service scheduler", () => {
  it("scales down by stopping the highest indexes", () => {
    const { h, job } = setup(5, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 10 })] }));
    const smaller = h.registerJob({ ...job, TaskGroups: [{ ...job.TaskGroups[0]!, Count: 6 }] });
    h.process(h.evalFor(smaller));
    const live = h.liveAllocs(smaller);
    expect(live.map((a) => allocIndexFromName(a.Name)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(stops(h).every((s) => s.why === ALLOC_NOT_NEEDED)).toBe(true);
    // A count change alone is an in-place update: the survivors move to the new version.
    expect(live.every((a) => a.JobVersion === smaller.Version)).toBe(true);
  });

  it("scales up with the lowest free indexes", () => {
    const { h, job } = setup(5, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 3 })] }));
    const bigger = h.registerJob({ ...job, TaskGroups: [{ ...job.TaskGroups[0]!, Count: 5 }] });
    const result = h.process(h.evalFor(bigger));
    expect(Object.values(result.plan!.NodeUpdate).flat()).toHaveLength(0);
    expect(
      h
        .liveAllocs(bigger)
        .map((a) => allocIndexFromName(a.Name))
        .sort(),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it("updates in place when only metadata changes", () => {
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 4 })] }));
    const before = new Map(h.liveAllocs(job).map((a) => [a.ID, a.NodeID]));
    const changed = h.registerJob({ ...job, Meta: { owner: "team-b" } });
    expect(changed.Version).toBe(job.Version + 1);
    const result = h.process(h.evalFor(changed));
    expect(Object.keys(result.plan!.NodeUpdate)).toHaveLength(0);
    const after = h.liveAllocs(changed);
    expect(new Map(after.map((a) => [a.ID, a.NodeID]))).toEqual(before);
    expect(after.every((a) => a.JobVersion === changed.Version)).toBe(true);
  });

  it("replaces allocations when the task changes (destructive), all at once without update block", () => {
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 4 })] }));
    const oldIds = new Set(h.liveAllocs(job).map((a) => a.ID));
    const task = mockTask("web", { Config: { command: "/bin/true" } });
    const changed = h.registerJob({ ...job, TaskGroups: [{ ...job.TaskGroups[0]!, Tasks: [task] }] });
    h.process(h.evalFor(changed));
    const live = h.liveAllocs(changed);
    expect(live).toHaveLength(4);
    expect(live.every((a) => !oldIds.has(a.ID) && a.JobVersion === changed.Version)).toBe(true);
    expect(live.every((a) => oldIds.has(a.PreviousAllocation))).toBe(true);
    expect(stops(h).every((s) => s.why === ALLOC_UPDATING)).toBe(true);
  });

  it("rolls a destructive update max_parallel at a time with a deployment", () => {
    const { h, job } = setup(
      4,
      mockJob("j", {
        Update: mockUpdate({ MaxParallel: 2 }),
        TaskGroups: [mockGroup("web", { Count: 5, Update: mockUpdate({ MaxParallel: 2 }) })],
      }),
    );
    const first = h.snapshot().latestDeploymentByJob(job.Namespace, job.ID);
    expect(first?.JobVersion).toBe(0);
    expect(first?.TaskGroups["web"]?.DesiredTotal).toBe(5);
    const task = mockTask("web", { Config: { command: "/bin/true" } });
    const v1 = h.registerJob({ ...job, TaskGroups: [{ ...job.TaskGroups[0]!, Tasks: [task] }] });
    const result = h.process(h.evalFor(v1));
    // The version-0 deployment is cancelled and a new one paces the update.
    expect(result.plan?.DeploymentUpdates).toContainEqual({
      DeploymentID: first?.ID,
      Status: "cancelled",
      StatusDescription: DEPLOYMENT_CANCELLED_NEWER,
    });
    const deployment = h.snapshot().latestDeploymentByJob(job.Namespace, job.ID)!;
    expect(deployment.JobVersion).toBe(v1.Version);
    expect(deployment.TaskGroups["web"]).toMatchObject({
      DesiredTotal: 5,
      DesiredCanaries: 0,
      AutoRevert: false,
    });
    let newOnes = h.liveAllocs(v1).filter((a) => a.JobVersion === v1.Version);
    expect(newOnes).toHaveLength(2);
    expect(newOnes.every((a) => a.DeploymentID === deployment.ID)).toBe(true);

    // Nothing more until the new allocations are healthy.
    const blocked = h.process(h.evalFor(v1));
    expect(blocked.plan).toBeNull();
    h.clientUpdate(newOnes, {
      ClientStatus: "running",
      DeploymentStatus: { Healthy: true, Timestamp: h.now, Canary: false, ModifyIndex: 0 },
    });
    h.process(h.evalFor(v1));
    newOnes = h.liveAllocs(v1).filter((a) => a.JobVersion === v1.Version);
    expect(newOnes).toHaveLength(4);
    h.clientUpdate(newOnes, {
      ClientStatus: "running",
      DeploymentStatus: { Healthy: true, Timestamp: h.now, Canary: false, ModifyIndex: 0 },
    });
    h.process(h.evalFor(v1));
    const all = h.liveAllocs(v1);
    expect(all.filter((a) => a.JobVersion === v1.Version)).toHaveLength(5);
    h.clientUpdate(all, {
      ClientStatus: "running",
      DeploymentStatus: { Healthy: true, Timestamp: h.now, Canary: false, ModifyIndex: 0 },
    });
    const done = h.process(h.evalFor(v1));
    expect(done.plan?.DeploymentUpdates).toContainEqual(
      expect.objectContaining({ DeploymentID: deployment.ID, Status: "successful" }),
    );
  });

  it("places canaries first and replaces the rest after promotion", () => {
    const u = mockUpdate({ MaxParallel: 1, Canary: 1 });
    const { h, job } = setup(4, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 3, Update: u })] }));
    const oldIds = new Set(h.liveAllocs(job).map((a) => a.ID));
    // Let the first deployment finish so it does not get in the way.
    h.clientUpdate(h.liveAllocs(job), {
      ClientStatus: "running",
      DeploymentStatus: { Healthy: true, Timestamp: 0, Canary: false, ModifyIndex: 0 },
    });
    const task = mockTask("web", { Config: { command: "/bin/true" } });
    const v1 = h.registerJob({ ...job, TaskGroups: [{ ...job.TaskGroups[0]!, Tasks: [task] }] });
    const result = h.process(h.evalFor(v1));
    const live = h.liveAllocs(v1);
    expect(live).toHaveLength(4);
    const canaries = live.filter((a) => a.DeploymentStatus?.Canary === true);
    expect(canaries).toHaveLength(1);
    expect(Object.keys(result.plan!.NodeUpdate)).toHaveLength(0);
    const deployment = h.snapshot().latestDeploymentByJob(v1.Namespace, v1.ID)!;
    expect(deployment.TaskGroups["web"]?.DesiredCanaries).toBe(1);
    expect(deployment.TaskGroups["web"]?.PlacedCanaries).toEqual(canaries.map((c) => c.ID));
    // Unpromoted: nothing else happens even when the canary is healthy.
    h.clientUpdate(canaries, {
      ClientStatus: "running",
      DeploymentStatus: { Healthy: true, Timestamp: 0, Canary: true, ModifyIndex: 0 },
    });
    expect(h.process(h.evalFor(v1)).plan).toBeNull();
    h.apply({ type: "deployment-promote", DeploymentID: deployment.ID, All: true, Groups: [], Eval: null });
    h.process(h.evalFor(v1));
    const after = h.liveAllocs(v1);
    // The canary stays, one old allocation is stopped for it, one is replaced (max_parallel 1).
    expect(after).toHaveLength(3);
    expect(after.filter((a) => oldIds.has(a.ID))).toHaveLength(1);
    expect(after.map((a) => a.Name).sort()).toEqual(["j.web[0]", "j.web[1]", "j.web[2]"]);
  });

  it("replaces allocations lost on a down node", () => {
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 6 })] }));
    const victim = h.liveAllocs(job)[0]!.NodeID;
    const onVictim = h
      .liveAllocs(job)
      .filter((a) => a.NodeID === victim)
      .map((a) => a.ID);
    h.setNodeStatus(victim, "down");
    const result = h.process(h.evalFor(job, { TriggeredBy: "node-update" }));
    const lost = Object.values(result.plan!.NodeUpdate).flat();
    expect(lost.map((a) => a.ID).sort()).toEqual([...onVictim].sort());
    expect(lost.every((a) => a.ClientStatus === "lost" && a.DesiredDescription === ALLOC_LOST)).toBe(true);
    const live = h.liveAllocs(job);
    expect(live).toHaveLength(6);
    expect(live.every((a) => a.NodeID !== victim)).toBe(true);
  });

  it("reschedules a failed allocation after its delay through a follow-up eval, away from its node", () => {
    const group = mockGroup("web", {
      Count: 2,
      ReschedulePolicy: {
        Attempts: 2,
        Interval: 3600e9,
        Delay: 30e9,
        DelayFunction: "constant",
        MaxDelay: 0,
        Unlimited: false,
      },
    });
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [group] }));
    const failed = h.liveAllocs(job)[0]!;
    h.clientUpdate([failed], { ClientStatus: "failed" });
    const first = h.process(h.evalFor(job, { TriggeredBy: "alloc-failure" }));
    const followUp = first.createEvals.find((e) => e.TriggeredBy === "failed-follow-up");
    expect(followUp?.WaitUntil).toBe(h.now + 30e9);
    expect(h.snapshot().allocByID(failed.ID)?.FollowupEvalID).toBe(followUp?.ID);
    expect(h.liveAllocs(job)).toHaveLength(1);
    // Processing again before the time changes nothing.
    expect(h.process(h.evalFor(job)).createEvals).toHaveLength(0);
    h.now += 30e9;
    h.process(followUp!);
    const replacement = h.liveAllocs(job).find((a) => a.PreviousAllocation === failed.ID);
    expect(replacement).toBeDefined();
    expect(replacement?.Name).toBe(failed.Name);
    expect(replacement?.NodeID).not.toBe(failed.NodeID);
    expect(replacement?.RescheduleTracker?.Events).toEqual([
      { RescheduleTime: h.now, PrevAllocID: failed.ID, PrevNodeID: failed.NodeID, Delay: 30e9 },
    ]);
    expect(h.snapshot().allocByID(failed.ID)?.DesiredDescription).toBe(ALLOC_RESCHEDULED);
  });

  it("stops rescheduling when attempts are used up", () => {
    const group = mockGroup("web", {
      Count: 1,
      ReschedulePolicy: {
        Attempts: 1,
        Interval: 3600e9,
        Delay: 0,
        DelayFunction: "constant",
        MaxDelay: 0,
        Unlimited: false,
      },
    });
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [group] }));
    h.clientUpdate(h.liveAllocs(job), { ClientStatus: "failed" });
    h.process(h.evalFor(job));
    const second = h.liveAllocs(job);
    expect(second).toHaveLength(1);
    h.clientUpdate(second, { ClientStatus: "failed" });
    const result = h.process(h.evalFor(job));
    expect(result.plan).toBeNull();
    expect(h.liveAllocs(job)).toHaveLength(0);
  });

  it("grows the delay exponentially up to the maximum", async () => {
    const { nextDelay } = await import("./reschedule-policy.js");
    const policy = {
      Attempts: 0,
      Interval: 0,
      Delay: 5e9,
      DelayFunction: "exponential" as const,
      MaxDelay: 30e9,
      Unlimited: true,
    };
    const fib = { ...policy, DelayFunction: "fibonacci" as const, MaxDelay: 100e9 };
    const alloc = (delays: number[]) =>
      ({
        TaskStates: {},
        ModifyTime: 0,
        RescheduleTracker: {
          Events: delays.map((Delay) => ({ RescheduleTime: 0, PrevAllocID: "", PrevNodeID: "", Delay })),
        },
      }) as never;
    expect(nextDelay(alloc([]), policy)).toBe(5e9);
    expect(nextDelay(alloc([5e9]), policy)).toBe(10e9);
    expect(nextDelay(alloc([5e9, 10e9, 20e9]), policy)).toBe(30e9);
    expect(nextDelay(alloc([5e9, 5e9]), fib)).toBe(10e9);
    expect(nextDelay(alloc([5e9, 5e9, 10e9]), fib)).toBe(15e9);
    expect(nextDelay(alloc([5e9]), { ...policy, DelayFunction: "constant" })).toBe(5e9);
  });

  it("migrates every marked allocation off a draining node at once: the drainer paces the marks", () => {
    const { h, job } = setup(1, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 3 })] }));
    h.registerNodes(mockNode("node-new"));
    const drained = "node-000";
    h.drainNode(drained, { Deadline: 3600e9, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: h.now });
    const [first, ...rest] = h.liveAllocs(job);
    h.markForMigration([first as Allocation]);
    h.process(h.evalFor(job, { TriggeredBy: "node-drain" }));
    expect(stops(h)).toEqual([expect.objectContaining({ why: ALLOC_MIGRATING })]);
    expect(h.liveAllocs(job).filter((a) => a.NodeID === "node-new")).toHaveLength(1);
    // Unmarked allocations stay until the drainer marks them.
    expect(h.process(h.evalFor(job)).plan).toBeNull();
    h.markForMigration(rest);
    h.process(h.evalFor(job, { TriggeredBy: "node-drain" }));
    expect(h.liveAllocs(job).map((a) => a.NodeID)).toEqual(["node-new", "node-new", "node-new"]);
  });

  it("stops a marked allocation even when its replacement fits nowhere", () => {
    const { h, job } = setup(1, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 2 })] }));
    h.drainNode("node-000", {
      Deadline: 3600e9,
      IgnoreSystemJobs: false,
      ForceDeadline: 0,
      StartedAt: h.now,
    });
    h.markForMigration(h.liveAllocs(job));
    const result = h.process(h.evalFor(job, { TriggeredBy: "node-drain" }));
    expect(stops(h).map((s) => s.why)).toEqual([ALLOC_MIGRATING, ALLOC_MIGRATING]);
    expect(h.liveAllocs(job)).toEqual([]);
    expect(result.eval.FailedTGAllocs).toHaveProperty("web");
  });

  it("stops everything when the job is stopped", () => {
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 4 })] }));
    const stopped = h.stopJob(job);
    h.process(h.evalFor(stopped, { TriggeredBy: "job-deregister" }));
    expect(h.liveAllocs(job)).toHaveLength(0);
  });

  it("stops everything when the job was purged", () => {
    const { h, job } = setup(3, mockJob("j", { TaskGroups: [mockGroup("web", { Count: 4 })] }));
    const evaluation = h.evalFor(job, { TriggeredBy: "job-deregister" });
    h.purgeJob(job);
    const result = h.process(evaluation, { apply: false });
    expect(Object.values(result.plan!.NodeUpdate).flat()).toHaveLength(4);
  });

  it("keeps finished batch allocations and does not run them again", () => {
    const { h, job } = setup(
      2,
      mockJob("b", { Type: "batch", TaskGroups: [mockGroup("work", { Count: 3, ReschedulePolicy: null })] }),
    );
    h.clientUpdate(h.liveAllocs(job), { ClientStatus: "complete" });
    const result = h.process(h.evalFor(job));
    expect(result.plan).toBeNull();
  });

  it("finishes the rest of a partially committed plan on retry", () => {
    const h = new SchedulerHarness();
    h.registerNodes(...Array.from({ length: 4 }, (_, i) => mockNode(`node-${i}`)));
    const job = h.registerJob(mockJob("j", { TaskGroups: [mockGroup("web", { Count: 8 })] }));
    const evaluation = h.evalFor(job);
    const first = h.process(evaluation, { rejectNodes: ["node-1", "node-2"] });
    const placed = h.liveAllocs(job).length;
    expect(placed).toBeLessThan(8);
    expect(first.plan).not.toBeNull();
    const retry = h.process(evaluation, { seed: 43 });
    expect(retry.eval.Status).toBe("complete");
    const live = h.liveAllocs(job);
    expect(live).toHaveLength(8);
    expect(new Set(live.map((a) => a.Name)).size).toBe(8);
  });
});
