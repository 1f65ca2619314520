import { describe, expect, it } from "vitest";
import { StalePlanError } from "../common/errors.js";
import { mockAlloc, mockId, mockJob } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import type { Allocation, Node, Plan } from "../fsm/structs.js";
import { allocsFit } from "../scheduler/fit.js";
import { DEFAULT_EVAL_BROKER_CONFIG, EvalBroker } from "./eval-broker.js";
import { InProcessContext } from "./in-process-context.js";
import { ManualClock } from "./manual-clock.js";
import { PlanApplier } from "./plan-applier.js";
import { PlanQueue } from "./plan-queue.js";
import type { PlanSlicing } from "./plan-verify.js";
import { slotNode, testEval } from "./test-fixtures.js";

let allocSeq = 0;
function alloc(nodeId: string, fields: Partial<Allocation> = {}): Allocation {
  allocSeq++;
  return mockAlloc({
    ID: mockId(allocSeq, 0xa),
    NodeID: nodeId,
    Name: `example.web[${allocSeq}]`,
    AllocatedResources: {
      Tasks: { web: { Cpu: { CpuShares: 1000 }, Memory: { MemoryMB: 1000, MemoryMaxMB: 0 }, Networks: [] } },
      Shared: { DiskMB: 10, Networks: [], Ports: [] },
    },
    ...fields,
  });
}

function plan(evalId: string, token: string, placements: Allocation[], fields: Partial<Plan> = {}): Plan {
  const byNode: Record<string, Allocation[]> = {};
  for (const a of placements) byNode[a.NodeID] = [...(byNode[a.NodeID] ?? []), a];
  return {
    EvalID: evalId,
    EvalToken: token,
    Priority: 50,
    AllAtOnce: false,
    JobID: "example",
    Namespace: "default",
    NodeUpdate: {},
    NodeAllocation: byNode,
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    SnapshotIndex: 1,
    ...fields,
  };
}

async function setup(nodes: Node[], slicing: Partial<PlanSlicing> = {}) {
  const clock = new ManualClock();
  const ctx = new InProcessContext(new StateStore(), clock);
  ctx.applyNow({ type: "node-register", Nodes: nodes, Evals: [] });
  ctx.applyNow({ type: "job-register", Job: mockJob(), Eval: null });
  const broker = new EvalBroker(clock, DEFAULT_EVAL_BROKER_CONFIG);
  broker.setEnabled(true);
  const queue = new PlanQueue(ctx.metrics);
  queue.setEnabled(true);
  const applier = new PlanApplier(ctx, queue, (id, token) => broker.outstanding(id) === token, slicing);
  applier.start();
  /** Enqueues an eval and takes its delivery, as a worker would. */
  const deliver = async (id: string): Promise<string> => {
    broker.enqueue(testEval({ ID: id, JobID: `job-${id}` }));
    const got = await broker.dequeue(["service"], 0);
    if (got === null) throw new Error("no eval");
    return got.token;
  };
  return { ctx, broker, queue, applier, deliver };
}

function assertNoOverCommit(ctx: InProcessContext): void {
  const state = ctx.state();
  for (const n of state.nodes()) {
    const live = state.allocsByNode(n.ID).filter((a) => a.DesiredStatus === "run");
    expect(allocsFit(n, live).fit, `node ${n.Name} over-committed`).toBe(true);
  }
}

describe("PlanApplier", () => {
  it("commits the nodes that fit and rejects the rest with a refresh index", async () => {
    const a = slotNode(1, 1);
    const b = slotNode(2, 2);
    const { ctx, queue, applier, deliver } = await setup([a, b]);
    const token = await deliver("e1");
    const result = await queue.enqueue(plan("e1", token, [alloc(a.ID), alloc(a.ID), alloc(b.ID)]));
    expect(result.RejectedNodes).toEqual([a.ID]);
    expect(result.NodeAllocation[b.ID]).toHaveLength(1);
    expect(result.AllocIndex).toBeGreaterThan(0);
    expect(result.RefreshIndex).toBeGreaterThanOrEqual(result.AllocIndex);
    expect(ctx.state().allocsByNode(b.ID)).toHaveLength(1);
    expect(ctx.state().allocsByNode(a.ID)).toHaveLength(0);
    await applier.stop();
  });

  it("rejects an all-at-once plan whole when one node does not fit", async () => {
    const a = slotNode(1, 1);
    const b = slotNode(2, 2);
    const { ctx, queue, applier, deliver } = await setup([a, b]);
    const token = await deliver("e1");
    const result = await queue.enqueue(
      plan("e1", token, [alloc(a.ID), alloc(a.ID), alloc(b.ID)], { AllAtOnce: true }),
    );
    expect(result.AllocIndex).toBe(0);
    expect(result.RefreshIndex).toBeGreaterThan(0);
    expect(ctx.state().allocCount()).toBe(0);
    await applier.stop();
  });

  it("verifies the next plan against the previous one still in flight: racing plans never over-commit", async () => {
    const a = slotNode(1, 3);
    const { ctx, queue, applier, deliver } = await setup([a]);
    const tokens = await Promise.all(["e1", "e2", "e3"].map((id) => deliver(id)));
    // Three workers race for three slots with two allocs each: 6 asks, 3 slots.
    const results = await Promise.all(
      ["e1", "e2", "e3"].map((id, i) =>
        queue.enqueue(plan(id, tokens[i] as string, [alloc(a.ID), alloc(a.ID)], { JobID: `job-${id}` })),
      ),
    );
    const committed = results.filter((r) => r.AllocIndex > 0);
    expect(committed).toHaveLength(1);
    expect(results.filter((r) => r.RejectedNodes.length === 1)).toHaveLength(2);
    expect(ctx.state().allocsByNode(a.ID)).toHaveLength(2);
    for (const r of results)
      if (r.RejectedNodes.length > 0)
        expect(r.RefreshIndex).toBeGreaterThanOrEqual(committed[0]?.AllocIndex ?? 0);
    assertNoOverCommit(ctx);
    await applier.stop();
  });

  it("counts capacity freed by stops in the same plan and in the plan in flight", async () => {
    const a = slotNode(1, 1);
    const { ctx, queue, applier, deliver } = await setup([a]);
    const t1 = await deliver("e1");
    const first = alloc(a.ID);
    await queue.enqueue(plan("e1", t1, [first]));
    const t2 = await deliver("e2");
    const stop = { ...first, DesiredStatus: "stop" as const, DesiredDescription: "replaced" };
    const replaced = await queue.enqueue(plan("e2", t2, [alloc(a.ID)], { NodeUpdate: { [a.ID]: [stop] } }));
    expect(replaced.RejectedNodes).toEqual([]);
    expect(
      ctx
        .state()
        .allocsByNode(a.ID)
        .filter((x) => x.DesiredStatus === "run"),
    ).toHaveLength(1);
    assertNoOverCommit(ctx);
    await applier.stop();
  });

  it("rejects placements on nodes that are down, ineligible or missing", async () => {
    const down = slotNode(1, 4, { Status: "down" });
    const ineligible = slotNode(2, 4, { SchedulingEligibility: "ineligible" });
    const { ctx, queue, applier, deliver } = await setup([down, ineligible]);
    const token = await deliver("e1");
    const result = await queue.enqueue(
      plan("e1", token, [alloc(down.ID), alloc(ineligible.ID), alloc(mockId(99, 1))]),
    );
    expect(result.RejectedNodes.sort()).toEqual([down.ID, ineligible.ID, mockId(99, 1)].sort());
    expect(ctx.state().allocCount()).toBe(0);
    await applier.stop();
  });

  it("allows in-place updates, but no new placements, on an ineligible node", async () => {
    const a = slotNode(1, 2);
    const { ctx, queue, applier, deliver } = await setup([a]);
    const t1 = await deliver("e1");
    const existing = alloc(a.ID);
    await queue.enqueue(plan("e1", t1, [existing]));
    ctx.applyNow({
      type: "node-eligibility",
      Updates: [{ NodeID: a.ID, Eligibility: "ineligible", UpdatedAt: 0 }],
      Evals: [],
    });
    const t2 = await deliver("e2");
    const updated = { ...existing, DesiredDescription: "updated in place" };
    const inPlace = await queue.enqueue(plan("e2", t2, [updated]));
    expect(inPlace.RejectedNodes).toEqual([]);
    const t3 = await deliver("e3");
    const fresh = await queue.enqueue(plan("e3", t3, [alloc(a.ID)]));
    expect(fresh.RejectedNodes).toEqual([a.ID]);
    expect(ctx.state().allocsByNode(a.ID)).toHaveLength(1);
    await applier.stop();
  });

  it("refuses a plan whose eval token is no longer outstanding", async () => {
    const a = slotNode(1, 1);
    const { broker, queue, applier, deliver } = await setup([a]);
    const token = await deliver("e1");
    broker.nack("e1", token);
    await expect(queue.enqueue(plan("e1", token, [alloc(a.ID)]))).rejects.toBeInstanceOf(StalePlanError);
    await applier.stop();
  });

  it("creates evals for the jobs of preempted allocations", async () => {
    const a = slotNode(1, 1);
    const { ctx, queue, applier, deliver } = await setup([a]);
    ctx.applyNow({ type: "job-register", Job: mockJob({ ID: "low", Priority: 10 }), Eval: null });
    const t1 = await deliver("e1");
    const victim = alloc(a.ID, { JobID: "low" });
    await queue.enqueue(plan("e1", t1, [victim], { JobID: "low" }));
    const t2 = await deliver("e2");
    const evict = { ...victim, PreemptedByAllocation: "x" };
    const result = await queue.enqueue(
      plan("e2", t2, [alloc(a.ID)], { NodePreemptions: { [a.ID]: [evict] } }),
    );
    expect(result.RejectedNodes).toEqual([]);
    const evals = ctx.state().evalsByJob("default", "low");
    expect(evals.map((e) => e.TriggeredBy)).toEqual(["preemption"]);
    assertNoOverCommit(ctx);
    await applier.stop();
  });
});

describe("PlanApplier on a large plan", () => {
  /**
   * 1,000 one-slot nodes and a plan placing one alloc on each, verified 100 nodes per turn. At the
   * fifth turn the last node goes down: the slice that holds it is verified after that, against
   * the state as it is then.
   */
  async function largePlan(allAtOnce: boolean) {
    const nodes = Array.from({ length: 1000 }, (_, i) => slotNode(i + 1, 1));
    const last = nodes[999] as Node;
    const slices: number[] = [];
    let ctxRef: InProcessContext | undefined;
    const { ctx, queue, applier, deliver } = await setup(nodes, {
      nodesPerSlice: 100,
      sliceMs: Number.POSITIVE_INFINITY,
      yieldTurn: async () => {
        slices.push(ctxRef?.state().index ?? 0);
        if (slices.length === 5) {
          ctxRef?.applyNow({
            type: "node-status",
            Updates: [{ NodeID: last.ID, Status: "down", StatusDescription: "", UpdatedAt: 0 }],
            Evals: [],
          });
        }
        await new Promise((resolve) => setImmediate(resolve));
      },
    });
    ctxRef = ctx;
    const token = await deliver("e1");
    const result = await queue.enqueue(
      plan(
        "e1",
        token,
        nodes.map((n) => alloc(n.ID)),
        { AllAtOnce: allAtOnce },
      ),
    );
    await applier.stop();
    return { ctx, result, slices, last };
  }

  it("verifies it in bounded slices, each against the latest state", async () => {
    const { ctx, result, slices, last } = await largePlan(false);
    // 10 slices of 100 nodes: a turn between each two.
    expect(slices).toHaveLength(9);
    expect(result.RejectedNodes).toEqual([last.ID]);
    expect(Object.keys(result.NodeAllocation)).toHaveLength(999);
    expect(ctx.state().allocCount()).toBe(999);
    expect(ctx.state().allocsByNode(last.ID)).toHaveLength(0);
    expect(result.RefreshIndex).toBeGreaterThanOrEqual(result.AllocIndex);
    assertNoOverCommit(ctx);
  });

  it("rejects an all-at-once plan whole when a node of its last slice no longer fits", async () => {
    const { ctx, result, slices, last } = await largePlan(true);
    expect(slices).toHaveLength(9);
    expect(result.RejectedNodes).toEqual([last.ID]);
    expect(result.AllocIndex).toBe(0);
    expect(Object.keys(result.NodeAllocation)).toHaveLength(0);
    expect(ctx.state().allocCount()).toBe(0);
  });
});
