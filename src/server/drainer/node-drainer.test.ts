import { describe, expect, it } from "vitest";
import { mockAlloc, mockJob, mockNode, mockTaskGroup } from "../../fsm/mock.js";
import { StateStore } from "../../fsm/state-store.js";
import type { Allocation, AllocClientStatus, DrainStrategy, Job } from "../../fsm/structs.js";
import { InProcessContext } from "../in-process-context.js";
import { ManualClock } from "../manual-clock.js";
import { DRAIN_EVENT_COMPLETE, NodeDrainer } from "./node-drainer.js";

const A = "node-a";
const B = "node-b";
const MINUTE_NS = 60_000_000_000;

/**
 * A cluster of two nodes (A drains, B takes the replacements) in a real state store, the drainer
 * as the leader runs it, and a hand-played scheduler and client: tests say which allocations the
 * "scheduler" replaces and when the "client" reports them running.
 */
class Harness {
  readonly clock = new ManualClock();
  readonly store = new StateStore();
  readonly ctx = new InProcessContext(this.store, this.clock);
  readonly drainer = new NodeDrainer(this.ctx);
  private seq = 0;

  constructor() {
    this.ctx.onApplied((_index, command) => this.drainer.applied(command));
    this.ctx.applyNow({
      type: "node-register",
      Nodes: [mockNode({ ID: A, Name: "a" }), mockNode({ ID: B, Name: "b" })],
      Evals: [],
    });
  }

  job(job: Job): Job {
    this.ctx.applyNow({ type: "job-register", Job: job, Eval: null });
    return job;
  }

  /** `count` running allocations of the job's group on `node`. */
  place(
    job: Job,
    group: string,
    count: number,
    node = A,
    status: AllocClientStatus = "running",
  ): Allocation[] {
    const allocs = Array.from({ length: count }, () => {
      const n = this.seq++;
      return mockAlloc({
        ID: `alloc-${n}`,
        JobID: job.ID,
        TaskGroup: group,
        Name: `${job.ID}.${group}[${n}]`,
        NodeID: node,
        ClientStatus: status,
      });
    });
    this.ctx.applyNow({
      type: "plan-apply",
      EvalID: "",
      NodeUpdate: {},
      NodeAllocation: { [node]: allocs },
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      Evals: [],
      Now: 0,
    });
    return allocs;
  }

  drain(spec: Partial<DrainStrategy> = {}): void {
    const now = this.clock.now();
    const deadline = spec.Deadline ?? 0;
    this.ctx.applyNow({
      type: "node-drain",
      Updates: [
        {
          NodeID: A,
          DrainStrategy: {
            Deadline: deadline,
            IgnoreSystemJobs: spec.IgnoreSystemJobs ?? false,
            ForceDeadline: deadline > 0 ? now + deadline : 0,
            StartedAt: now,
          },
          MarkEligible: false,
          UpdatedAt: now,
          Event: null,
          IfDrainStartedAt: null,
        },
      ],
      Evals: [],
    });
  }

  cancel(markEligible: boolean): void {
    this.ctx.applyNow({
      type: "node-drain",
      Updates: [
        {
          NodeID: A,
          DrainStrategy: null,
          MarkEligible: markEligible,
          UpdatedAt: 0,
          Event: null,
          IfDrainStartedAt: null,
        },
      ],
      Evals: [],
    });
  }

  /** What the scheduler does with marked allocations: stops each, places a pending replacement on B. */
  replaceMarked(): Allocation[] {
    const marked = this.marked().filter((a) => a.DesiredStatus === "run");
    const replacements = marked.map((old) =>
      mockAlloc({
        ID: `${old.ID}-next`,
        JobID: old.JobID,
        TaskGroup: old.TaskGroup,
        Name: old.Name,
        NodeID: B,
        PreviousAllocation: old.ID,
      }),
    );
    this.ctx.applyNow({
      type: "plan-apply",
      EvalID: "",
      NodeUpdate: { [A]: marked.map((a) => ({ ...a, DesiredStatus: "stop" as const })) },
      NodeAllocation: replacements.length > 0 ? { [B]: replacements } : {},
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      Evals: [],
      Now: 0,
    });
    return replacements;
  }

  report(allocs: readonly Allocation[], status: AllocClientStatus): void {
    this.ctx.applyNow({
      type: "alloc-client-update",
      Allocs: allocs.map((a) => ({
        ID: a.ID,
        ClientStatus: status,
        ClientDescription: "",
        TaskStates: {},
        DeploymentStatus: null,
        ModifyTime: 0,
      })),
      Evals: [],
    });
  }

  marked(group?: string): Allocation[] {
    return [...this.ctx.state().allocs()].filter(
      (a) => a.DesiredTransition.Migrate && (group === undefined || a.TaskGroup === group),
    );
  }

  nodeA() {
    const node = this.ctx.state().nodeByID(A);
    if (node === undefined) throw new Error("node A is gone");
    return node;
  }

  /** Lets the drainer's batched decision run and its proposals apply. */
  async settle(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await this.ctx.barrier();
    }
  }
}

function serviceJob(id: string, groups: Record<string, { count: number; maxParallel: number }>): Job {
  return mockJob({
    ID: id,
    TaskGroups: Object.entries(groups).map(([name, g]) =>
      mockTaskGroup({
        Name: name,
        Count: g.count,
        Migrate: {
          MaxParallel: g.maxParallel,
          HealthCheck: "task_states",
          MinHealthyTime: 0,
          HealthyDeadline: 0,
        },
      }),
    ),
  });
}

describe("NodeDrainer", () => {
  it("marks at most max_parallel allocations per group, with one node-drain eval per job", async () => {
    const h = new Harness();
    const job = h.job(
      serviceJob("web", { one: { count: 3, maxParallel: 1 }, two: { count: 4, maxParallel: 2 } }),
    );
    h.place(job, "one", 3);
    h.place(job, "two", 4);
    h.drainer.setEnabled(true);
    h.drain();
    await h.settle();
    expect(h.marked("one")).toHaveLength(1);
    expect(h.marked("two")).toHaveLength(2);
    const evals = h.ctx.state().evalsByJob("default", "web");
    expect(evals.map((e) => e.TriggeredBy)).toEqual(["node-drain"]);
    // Nothing more while the marked ones are neither replaced nor healthy.
    h.clock.advance(60_000);
    await h.settle();
    expect(h.marked()).toHaveLength(3);
  });

  it("marks the next batch only once the replacements are healthy", async () => {
    const h = new Harness();
    const job = h.job(serviceJob("web", { one: { count: 3, maxParallel: 1 } }));
    h.place(job, "one", 3);
    h.drainer.setEnabled(true);
    h.drain();
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    const first = h.replaceMarked();
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    h.report(first, "running");
    await h.settle();
    expect(h.marked()).toHaveLength(2);
    h.report(h.replaceMarked(), "running");
    await h.settle();
    h.report(h.replaceMarked(), "running");
    await h.settle();
    expect(h.marked()).toHaveLength(3);
    const live = [...h.ctx.state().allocs()].filter((a) => a.DesiredStatus === "run");
    expect(live.map((a) => a.NodeID)).toEqual([B, B, B]);
    // Nothing runs on A any more: the drain completes by itself.
    const node = h.nodeA();
    expect(node.DrainStrategy).toBeNull();
    expect(node.SchedulingEligibility).toBe("ineligible");
    expect(node.Events.map((e) => e.Message)).toEqual([DRAIN_EVENT_COMPLETE]);
    expect(node.Events[0]?.Subsystem).toBe("Drain");
  });

  it("counts an allocation of a deployment as healthy only once its deployment says so", async () => {
    const h = new Harness();
    const job = h.job(serviceJob("web", { one: { count: 2, maxParallel: 1 } }));
    h.place(job, "one", 2);
    h.drainer.setEnabled(true);
    h.drain();
    await h.settle();
    const [next] = h.replaceMarked();
    if (next === undefined) throw new Error("no replacement");
    h.ctx.applyNow({
      type: "plan-apply",
      EvalID: "",
      NodeUpdate: {},
      NodeAllocation: { [B]: [{ ...next, DeploymentID: "d1", ClientStatus: "running" }] },
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      Evals: [],
      Now: 0,
    });
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    h.ctx.applyNow({
      type: "alloc-client-update",
      Allocs: [
        {
          ID: next.ID,
          ClientStatus: "running",
          ClientDescription: "",
          TaskStates: {},
          DeploymentStatus: { Healthy: true, Timestamp: 0, Canary: false, ModifyIndex: 0 },
          ModifyTime: 0,
        },
      ],
      Evals: [],
    });
    await h.settle();
    expect(h.marked()).toHaveLength(2);
  });

  it("drains system allocations last, after everything else left the node", async () => {
    const h = new Harness();
    const web = h.job(serviceJob("web", { one: { count: 1, maxParallel: 1 } }));
    const sys = h.job(
      mockJob({ ID: "sys", Type: "system", TaskGroups: [mockTaskGroup({ Name: "agent", Count: 1 })] }),
    );
    h.place(web, "one", 1);
    const [agent] = h.place(sys, "agent", 1);
    h.drainer.setEnabled(true);
    h.drain();
    await h.settle();
    expect(h.marked().map((a) => a.JobID)).toEqual(["web"]);
    h.replaceMarked();
    await h.settle();
    expect(h.marked().map((a) => a.ID)).toContain(agent?.ID);
    expect(h.nodeA().DrainStrategy).not.toBeNull();
    h.replaceMarked();
    await h.settle();
    expect(h.nodeA().DrainStrategy).toBeNull();
  });

  it("leaves system allocations alone with IgnoreSystemJobs, and completes around them", async () => {
    const h = new Harness();
    const web = h.job(serviceJob("web", { one: { count: 1, maxParallel: 1 } }));
    const sys = h.job(
      mockJob({ ID: "sys", Type: "system", TaskGroups: [mockTaskGroup({ Name: "agent", Count: 1 })] }),
    );
    h.place(web, "one", 1);
    h.place(sys, "agent", 1);
    h.drainer.setEnabled(true);
    h.drain({ IgnoreSystemJobs: true });
    await h.settle();
    h.replaceMarked();
    await h.settle();
    expect(h.marked().map((a) => a.JobID)).toEqual(["web"]);
    expect(h.nodeA().DrainStrategy).toBeNull();
    expect(h.nodeA().Events.map((e) => e.Message)).toEqual([DRAIN_EVENT_COMPLETE]);
  });

  it("lets batch allocations run until the deadline, then marks everything left at once", async () => {
    const h = new Harness();
    const web = h.job(serviceJob("web", { one: { count: 3, maxParallel: 1 } }));
    const batch = h.job(
      mockJob({ ID: "etl", Type: "batch", TaskGroups: [mockTaskGroup({ Name: "step", Count: 1 })] }),
    );
    h.place(web, "one", 3);
    const [step] = h.place(batch, "step", 1);
    h.drainer.setEnabled(true);
    h.drain({ Deadline: 10 * MINUTE_NS });
    await h.settle();
    expect(h.marked().map((a) => a.JobID)).toEqual(["web"]);
    // The replacement never becomes healthy: nothing more until the deadline.
    h.replaceMarked();
    h.clock.advance(10 * 60_000 - 1);
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    h.clock.advance(1);
    await h.settle();
    expect(h.marked("one")).toHaveLength(3);
    expect(h.marked("step").map((a) => a.ID)).toEqual([step?.ID]);
    h.replaceMarked();
    await h.settle();
    expect(h.nodeA().DrainStrategy).toBeNull();
    expect(h.nodeA().Events.map((e) => [e.Message, e.Details])).toEqual([
      [DRAIN_EVENT_COMPLETE, { deadline_reached: "true" }],
    ]);
  });

  it("forces everything off at once with a negative deadline", async () => {
    const h = new Harness();
    const job = h.job(serviceJob("web", { one: { count: 4, maxParallel: 1 } }));
    h.place(job, "one", 4);
    h.drainer.setEnabled(true);
    h.drain({ Deadline: -1 });
    await h.settle();
    expect(h.marked()).toHaveLength(4);
  });

  it("completes a drain whose batch allocations finished on their own", async () => {
    const h = new Harness();
    const batch = h.job(
      mockJob({ ID: "etl", Type: "batch", TaskGroups: [mockTaskGroup({ Name: "step", Count: 2 })] }),
    );
    const steps = h.place(batch, "step", 2);
    h.drainer.setEnabled(true);
    h.drain();
    await h.settle();
    expect(h.marked()).toEqual([]);
    h.report(steps, "complete");
    await h.settle();
    expect(h.nodeA().DrainStrategy).toBeNull();
    expect(h.marked()).toEqual([]);
  });

  it("stops marking when the drain is cancelled, and leaves eligibility to the operator", async () => {
    const h = new Harness();
    const job = h.job(serviceJob("web", { one: { count: 3, maxParallel: 1 } }));
    h.place(job, "one", 3);
    h.drainer.setEnabled(true);
    h.drain();
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    h.cancel(true);
    h.report(h.replaceMarked(), "running");
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    expect(h.nodeA().SchedulingEligibility).toBe("eligible");
    expect(h.nodeA().Events).toEqual([]);
  });

  it("commits a completion only for the drain it saw: one replaced meanwhile goes on", () => {
    const h = new Harness();
    h.drain();
    const startedAt = h.nodeA().DrainStrategy?.StartedAt as number;
    const complete = (ifStartedAt: number) =>
      h.ctx.applyNow({
        type: "node-drain",
        Updates: [
          {
            NodeID: A,
            DrainStrategy: null,
            MarkEligible: false,
            UpdatedAt: 0,
            Event: {
              Message: DRAIN_EVENT_COMPLETE,
              Subsystem: "Drain",
              Details: {},
              Timestamp: 0,
              CreateIndex: 0,
            },
            IfDrainStartedAt: ifStartedAt,
          },
        ],
        Evals: [],
      });
    complete(startedAt - 1_000_000);
    expect(h.nodeA().DrainStrategy?.StartedAt).toBe(startedAt);
    expect(h.nodeA().Events).toEqual([]);
    complete(startedAt);
    expect(h.nodeA().DrainStrategy).toBeNull();
    expect(h.nodeA().Events.map((e) => e.Message)).toEqual([DRAIN_EVENT_COMPLETE]);
  });

  it("does nothing off the leader, and a new leader resumes from the replicated state", async () => {
    const h = new Harness();
    const job = h.job(serviceJob("web", { one: { count: 3, maxParallel: 1 } }));
    h.place(job, "one", 3);
    h.drain({ Deadline: 10 * MINUTE_NS });
    await h.settle();
    expect(h.marked()).toEqual([]);
    h.drainer.setEnabled(true);
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    // Leadership moves: the old drainer stops; a drainer over the same replicated state takes over.
    h.drainer.setEnabled(false);
    const next = new NodeDrainer(new InProcessContext(h.store, h.clock));
    h.ctx.onApplied((_index, command) => next.applied(command));
    h.report(h.replaceMarked(), "running");
    await h.settle();
    expect(h.marked()).toHaveLength(1);
    next.setEnabled(true);
    await h.settle();
    expect(h.marked()).toHaveLength(2);
    // Its deadline timer comes from the replicated ForceDeadline.
    h.clock.advance(10 * 60_000);
    await h.settle();
    expect(h.marked()).toHaveLength(3);
  });
});
