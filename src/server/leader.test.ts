import { describe, expect, it } from "vitest";
import { mockEval, mockId, mockJob, mockNode } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import type { Evaluation, Node } from "../fsm/structs.js";
import { computeNodeClass } from "../scheduler/computed-class.js";
import { DEFAULT_EVAL_BROKER_CONFIG } from "./eval-broker.js";
import { InProcessContext } from "./in-process-context.js";
import { DEFAULT_LEADER_CONFIG, Leader, type LeaderConfig } from "./leader.js";
import { ManualClock } from "./manual-clock.js";

const config: LeaderConfig = {
  ...DEFAULT_LEADER_CONFIG,
  broker: {
    ...DEFAULT_EVAL_BROKER_CONFIG,
    nackTimeoutMs: 1_000,
    initialNackDelayMs: 10,
    subsequentNackDelayMs: 10,
  },
  failedFollowUpMinMs: 60_000,
  failedFollowUpMaxMs: 120_000,
  gcIntervalMs: 5_000,
  coreJobs: ["eval-gc"],
};

function classed(node: Node): Node {
  return { ...node, ComputedClass: computeNodeClass(node) };
}

function evalFor(n: number, fields: Partial<Evaluation> = {}): Evaluation {
  return mockEval({ ID: mockId(n, 0xe), JobID: "web", ...fields });
}

function setup() {
  const clock = new ManualClock();
  const ctx = new InProcessContext(new StateStore(), clock);
  ctx.applyNow({ type: "job-register", Job: mockJob({ ID: "web" }), Eval: null });
  const leader = new Leader(ctx, config);
  return { clock, ctx, leader };
}

describe("Leader", () => {
  it("restores pending and blocked evals from state on establish, and flushes on revoke", async () => {
    const { ctx, leader } = setup();
    ctx.applyNow({ type: "job-register", Job: mockJob({ ID: "api" }), Eval: null });
    ctx.applyNow({
      type: "eval-upsert",
      Evals: [
        evalFor(1),
        evalFor(2, { JobID: "api", Status: "blocked", ClassEligibility: { other: false } }),
        evalFor(3, { JobID: "db", Status: "complete" }),
      ],
    });
    await leader.establish();
    expect(leader.isActive()).toBe(true);
    expect(leader.broker.stats().ready).toBe(1);
    expect(leader.blocked.stats().blocked).toBe(1);
    await leader.revoke();
    expect(leader.broker.stats().ready).toBe(0);
    expect(leader.blocked.stats().blocked).toBe(0);
    // A worker polling through a leader change waits instead of failing.
    const waiting = leader.client.dequeue(["service"], 60_000);
    await leader.establish();
    expect((await waiting)?.eval.ID).toBe(mockId(1, 0xe));
    await leader.revoke();
  });

  it("routes evals written after establish: pending to the broker, blocked to blocked evals", async () => {
    const { ctx, leader } = setup();
    await leader.establish();
    await ctx.propose({
      type: "job-register",
      Job: mockJob({ ID: "api" }),
      Eval: evalFor(1, { JobID: "api" }),
    });
    await ctx.propose({ type: "eval-upsert", Evals: [evalFor(2, { Status: "blocked", SnapshotIndex: 99 })] });
    expect(leader.broker.stats().ready).toBe(1);
    expect(leader.blocked.has(mockId(2, 0xe))).toBe(true);
    // A node joining is capacity: the blocked eval goes back to the broker.
    const node = classed(mockNode({ ID: mockId(1, 1) }));
    await ctx.propose({ type: "node-register", Nodes: [node], Evals: [] });
    expect(leader.blocked.stats().blocked).toBe(0);
    expect(leader.broker.stats().ready).toBe(2);
    await leader.revoke();
  });

  it("cancels superseded pending evals of a job through Raft", async () => {
    const { ctx, leader } = setup();
    await leader.establish();
    // Separate writes, so that the third is the newest (highest ModifyIndex).
    for (const n of [1, 2, 3]) await ctx.propose({ type: "eval-upsert", Evals: [evalFor(n)] });
    const first = await leader.client.dequeue(["service"], 0);
    expect(first?.eval.ID).toBe(mockId(1, 0xe));
    await leader.client.ack(mockId(1, 0xe), first?.token ?? "");
    await ctx.barrier();
    await new Promise((resolve) => setImmediate(resolve));
    await ctx.barrier();
    expect(ctx.state().evalByID(mockId(2, 0xe))?.Status).toBe("canceled");
    expect(ctx.state().evalByID(mockId(3, 0xe))?.Status).toBe("pending");
    expect((await leader.client.dequeue(["service"], 0))?.eval.ID).toBe(mockId(3, 0xe));
    await leader.revoke();
  });

  it("fails an eval at the delivery limit and writes a delayed follow-up eval", async () => {
    const { clock, ctx, leader } = setup();
    await leader.establish();
    await ctx.propose({ type: "eval-upsert", Evals: [evalFor(1)] });
    for (let i = 0; i < DEFAULT_EVAL_BROKER_CONFIG.deliveryLimit; i++) {
      const got = await leader.client.dequeue(["service"], 0);
      expect(got?.eval.ID).toBe(mockId(1, 0xe));
      await leader.client.nack(mockId(1, 0xe), got?.token ?? "");
      clock.advance(10);
    }
    // The failed-eval reaper picks it up from the failed queue and writes both evals.
    for (let i = 0; i < 5 && ctx.state().evalByID(mockId(1, 0xe))?.Status !== "failed"; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await ctx.barrier();
    }
    const failed = ctx.state().evalByID(mockId(1, 0xe));
    expect(failed?.Status).toBe("failed");
    const followUp = ctx.state().evalByID(failed?.NextEval ?? "");
    expect(followUp?.TriggeredBy).toBe("failed-follow-up");
    expect(followUp?.WaitUntil).toBeGreaterThanOrEqual(clock.now() + 59_000e6);
    // Not ready before its time.
    expect(await leader.client.dequeue(["service"], 0)).toBeNull();
    clock.advance(120_000);
    expect((await leader.client.dequeue(["service"], 0))?.eval.ID).toBe(followUp?.ID);
    await leader.revoke();
  });

  it("enqueues core GC evals on its timer, only while leader", async () => {
    const { clock, leader } = setup();
    await leader.establish();
    clock.advance(5_000);
    const core = await leader.client.dequeue(["_core"], 0);
    expect(core?.eval.JobID).toBe("eval-gc");
    await leader.revoke();
    clock.advance(50_000);
    expect(leader.broker.stats().byScheduler["_core"] ?? 0).toBe(0);
  });

  it("arms heartbeat timers for every live node on establish", async () => {
    const { ctx, leader } = setup();
    ctx.applyNow({
      type: "node-register",
      Nodes: [
        classed(mockNode({ ID: mockId(1, 1) })),
        classed(mockNode({ ID: mockId(2, 1), Status: "down" })),
      ],
      Evals: [],
    });
    await leader.establish();
    expect(leader.heartbeats.active).toBe(1);
    await leader.revoke();
    expect(leader.heartbeats.active).toBe(0);
  });

  it("retries evals blocked by max plan attempts on its timer", async () => {
    const { clock, ctx, leader } = setup();
    await leader.establish();
    await ctx.propose({
      type: "eval-upsert",
      Evals: [evalFor(1, { Status: "blocked", TriggeredBy: "max-plan-attempts", SnapshotIndex: 1_000 })],
    });
    expect(leader.blocked.stats().blocked).toBe(1);
    clock.advance(config.failedUnblockIntervalMs - 1);
    expect(leader.blocked.stats().blocked).toBe(1);
    clock.advance(1);
    expect(leader.blocked.stats().blocked).toBe(0);
    expect((await leader.client.dequeue(["service"], 0))?.eval.ID).toBe(mockId(1, 0xe));
    await leader.revoke();
  });
});
