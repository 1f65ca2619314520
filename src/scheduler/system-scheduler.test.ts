// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
import { describe, expect, it } from "vitest";
import type { Job, Node } from "../fsm/structs.js";
import { ALLOC_LOST, ALLOC_MIGRATING } from "./reconciler.js";
import { ALLOC_NODE_INFEASIBLE } from "./system-scheduler.js";
import { mockGroup, mockJob, mockNode, mockSystemJob, mockTask, mockUpdate } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

function setup(
  count: number,
  overrides: (i: number) => Partial<Node> = () => ({}),
): { h: SchedulerHarness; nodes: Node[] } {
  const h = new SchedulerHarness();
  const nodes = Array.from({ length: count }, (_, i) => mockNode(`node-${i}`, overrides(i)));
  h.registerNodes(...nodes);
  return { h, nodes };
}

/** A system job at priority 80 whose one task asks for `cpu` MHz. */
function systemJobAsking(cpu: number): Job {
  const task = mockTask("web", { Resources: { ...mockTask().Resources, CPU: cpu } });
  return mockSystemJob("sys", { Priority: 80, TaskGroups: [mockGroup("web", { Count: 1, Tasks: [task] })] });
}

const lastStops = (h: SchedulerHarness) => Object.values(h.submissions.at(-1)?.plan.NodeUpdate ?? {}).flat();

describe("system scheduler", () => {
  it("places exactly one allocation per feasible node", () => {
    const { h } = setup(6, (i) => (i === 5 ? { Attributes: { "kernel.name": "darwin" } } : {}));
    const job = h.registerJob(mockSystemJob());
    const result = h.process(h.evalFor(job));
    const live = h.liveAllocs(job);
    expect(live.map((a) => a.NodeID).sort()).toEqual(["node-0", "node-1", "node-2", "node-3", "node-4"]);
    expect(live.every((a) => a.Name === "sys1.web[0]")).toBe(true);
    expect(result.eval.FailedTGAllocs).toEqual({});
    expect(h.process(h.evalFor(job)).plan).toBeNull();
  });

  it("places on a node when it joins and marks allocations lost when it goes down", () => {
    const { h } = setup(2);
    const job = h.registerJob(mockSystemJob());
    h.process(h.evalFor(job));
    h.registerNodes(mockNode("node-new"));
    h.process(h.evalFor(job, { TriggeredBy: "node-update", NodeID: "node-new" }));
    expect(
      h
        .liveAllocs(job)
        .map((a) => a.NodeID)
        .sort(),
    ).toEqual(["node-0", "node-1", "node-new"]);
    h.setNodeStatus("node-1", "down");
    h.process(h.evalFor(job, { TriggeredBy: "node-update", NodeID: "node-1" }));
    expect(lastStops(h)).toEqual([
      expect.objectContaining({ NodeID: "node-1", ClientStatus: "lost", DesiredDescription: ALLOC_LOST }),
    ]);
    expect(
      h
        .liveAllocs(job)
        .map((a) => a.NodeID)
        .sort(),
    ).toEqual(["node-0", "node-new"]);
  });

  it("keeps a draining node's allocations until the drainer marks them for migration", () => {
    const { h } = setup(2);
    const job = h.registerJob(mockSystemJob());
    h.process(h.evalFor(job));
    h.drainNode("node-0", { Deadline: 0, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: 0 });
    expect(h.process(h.evalFor(job)).plan).toBeNull();
    h.markForMigration(h.liveAllocs(job).filter((a) => a.NodeID === "node-0"));
    h.process(h.evalFor(job));
    expect(lastStops(h).map((a) => [a.NodeID, a.DesiredDescription])).toEqual([["node-0", ALLOC_MIGRATING]]);
    expect(h.liveAllocs(job).map((a) => a.NodeID)).toEqual(["node-1"]);
  });

  it("stops allocations on nodes that drain (once marked) or stop meeting the constraints", () => {
    const { h } = setup(3);
    const job = h.registerJob(mockSystemJob());
    h.process(h.evalFor(job));
    h.drainNode("node-0", { Deadline: 0, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: 0 });
    h.markForMigration(h.liveAllocs(job).filter((a) => a.NodeID === "node-0"));
    h.registerNodes(mockNode("node-1", { Attributes: { "kernel.name": "darwin" } }));
    h.process(h.evalFor(job));
    const why = Object.fromEntries(lastStops(h).map((a) => [a.NodeID, a.DesiredDescription]));
    expect(why).toEqual({ "node-0": ALLOC_MIGRATING, "node-1": ALLOC_NODE_INFEASIBLE });
    expect(h.liveAllocs(job).map((a) => a.NodeID)).toEqual(["node-2"]);
  });

  it("keeps system allocations on a draining node that ignores system jobs", () => {
    const { h } = setup(1);
    const job = h.registerJob(mockSystemJob());
    h.process(h.evalFor(job));
    h.drainNode("node-0", { Deadline: 0, IgnoreSystemJobs: true, ForceDeadline: 0, StartedAt: 0 });
    expect(h.process(h.evalFor(job)).plan).toBeNull();
  });

  it("updates in place or destructively, max_parallel at a time with a follow-up eval", () => {
    const { h } = setup(4);
    const base = mockSystemJob("sys", {
      Update: mockUpdate({
        Stagger: 10e9,
        MaxParallel: 1,
        MinHealthyTime: 0,
        HealthyDeadline: 0,
        ProgressDeadline: 0,
      }),
    });
    const job = h.registerJob(base);
    h.process(h.evalFor(job));
    const meta = h.registerJob({ ...job, Meta: { v: "2" } });
    const inPlace = h.process(h.evalFor(meta));
    expect(Object.keys(inPlace.plan?.NodeUpdate ?? {})).toHaveLength(0);
    expect(h.liveAllocs(meta).every((a) => a.JobVersion === meta.Version)).toBe(true);
    const group = meta.TaskGroups[0]!;
    const changed = h.registerJob({
      ...meta,
      TaskGroups: [
        { ...group, Tasks: [mockTask("web", { ...group.Tasks[0]!, Config: { command: "/bin/true" } })] },
      ],
    });
    const step = h.process(h.evalFor(changed));
    expect(lastStops(h)).toHaveLength(1);
    const next = step.createEvals.find((e) => e.TriggeredBy === "rolling-update");
    expect(next?.WaitUntil).toBe(h.now + 10e9);
    expect(step.eval.NextEval).toBe(next?.ID);
    for (let i = 0; i < 3; i++) h.process(h.evalFor(changed));
    expect(h.liveAllocs(changed).every((a) => a.JobVersion === changed.Version)).toBe(true);
    expect(h.liveAllocs(changed)).toHaveLength(4);
  });

  it("runs a sysbatch job once per node and not again after it completes", () => {
    const { h } = setup(3);
    const job = h.registerJob(mockSystemJob("sb", { Type: "sysbatch" }));
    h.process(h.evalFor(job));
    expect(h.liveAllocs(job)).toHaveLength(3);
    h.clientUpdate(h.liveAllocs(job), { ClientStatus: "complete" });
    expect(h.process(h.evalFor(job)).plan).toBeNull();
  });

  it("replaces a failed system allocation", () => {
    const { h } = setup(2);
    const job = h.registerJob(mockSystemJob());
    h.process(h.evalFor(job));
    h.clientUpdate([h.liveAllocs(job)[0]!], { ClientStatus: "failed" });
    h.process(h.evalFor(job));
    expect(h.liveAllocs(job)).toHaveLength(2);
  });

  it("preempts lower-priority allocations to make room", () => {
    const { h } = setup(1);
    const low: Job = mockJob("low", { Priority: 20, TaskGroups: [mockGroup("web", { Count: 7 })] });
    const lowJob = h.registerJob(low);
    h.process(h.evalFor(lowJob));
    expect(h.liveAllocs(lowJob)).toHaveLength(7); // 3500 of 3900 MHz: 1000 more needs two evictions
    const sys = h.registerJob(systemJobAsking(1000));
    const result = h.process(h.evalFor(sys));
    const preempted = Object.values(result.plan?.NodePreemptions ?? {}).flat();
    expect(preempted).toHaveLength(2);
    expect(preempted.every((a) => a.JobID === "low" && a.DesiredStatus === "evict")).toBe(true);
    const placed = h.liveAllocs(sys)[0]!;
    expect([...placed.PreemptedAllocations].sort()).toEqual(preempted.map((a) => a.ID).sort());
    // The plan applier creates the victims' evals for what it commits (plan-applier.test.ts);
    // the scheduler asking for them too made two evals per preempted job.
    expect(result.createEvals.filter((e) => e.TriggeredBy === "preemption")).toEqual([]);
    expect(h.liveAllocs(lowJob)).toHaveLength(5);
  });

  it("does not preempt jobs less than 10 priority lower", () => {
    const { h } = setup(1);
    const lowJob = h.registerJob(
      mockJob("low", { Priority: 75, TaskGroups: [mockGroup("web", { Count: 7 })] }),
    );
    h.process(h.evalFor(lowJob));
    const sys = h.registerJob(systemJobAsking(900));
    const result = h.process(h.evalFor(sys));
    expect(result.plan).toBeNull();
    expect(result.eval.FailedTGAllocs["web"]?.DimensionExhausted["cpu"]).toBe(1);
    expect(result.eval.QueuedAllocations).toEqual({ web: 1 });
  });

  it("preempts for service jobs only when the cluster enables it", () => {
    const { h } = setup(1);
    const lowJob = h.registerJob(
      mockJob("low", { Priority: 20, TaskGroups: [mockGroup("web", { Count: 7 })] }),
    );
    h.process(h.evalFor(lowJob));
    const high = h.registerJob(
      mockJob("high", { Priority: 90, TaskGroups: [mockGroup("web", { Count: 2 })] }),
    );
    expect(h.process(h.evalFor(high), { apply: false }).plan).toBeNull();
    h.setSchedulerConfig({
      PreemptionConfig: {
        SystemSchedulerEnabled: true,
        SysBatchSchedulerEnabled: false,
        BatchSchedulerEnabled: false,
        ServiceSchedulerEnabled: true,
      },
    });
    const result = h.process(h.evalFor(high));
    expect(Object.values(result.plan?.NodePreemptions ?? {}).flat()).toHaveLength(2);
    expect(h.liveAllocs(high)).toHaveLength(2);
  });

  it("stops all allocations of a stopped system job", () => {
    const { h } = setup(3);
    const job = h.registerJob(mockSystemJob());
    h.process(h.evalFor(job));
    h.process(h.evalFor(h.stopJob(job)));
    expect(h.liveAllocs(job)).toHaveLength(0);
  });
});
