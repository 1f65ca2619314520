import { describe, expect, it } from "vitest";
import { NotLeaderError } from "../common/errors.js";
import { mockAlloc, mockId, mockJob, mockNode, mockTaskGroup } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import { DEFAULT_HEARTBEAT_CONFIG, HeartbeatTimers } from "./heartbeats.js";
import { InProcessContext } from "./in-process-context.js";
import { ManualClock } from "./manual-clock.js";

const config = {
  ...DEFAULT_HEARTBEAT_CONFIG,
  minHeartbeatTtlMs: 1_000,
  heartbeatGraceMs: 500,
  failoverHeartbeatTtlMs: 10_000,
};

function setup(disconnect: { LostAfter: number } | null = null) {
  const clock = new ManualClock();
  const ctx = new InProcessContext(new StateStore(), clock);
  const nodes = [mockNode({ ID: mockId(1, 1) }), mockNode({ ID: mockId(2, 1) })];
  ctx.applyNow({ type: "node-register", Nodes: nodes, Evals: [] });
  const group = mockTaskGroup({
    Disconnect:
      disconnect === null
        ? null
        : {
            LostAfter: disconnect.LostAfter,
            Replace: true,
            Reconcile: "best_score",
            StopOnClientAfter: null,
          },
  });
  ctx.applyNow({ type: "job-register", Job: mockJob({ ID: "web", TaskGroups: [group] }), Eval: null });
  ctx.applyNow({ type: "job-register", Job: mockJob({ ID: "agent", Type: "system" }), Eval: null });
  ctx.applyNow({
    type: "plan-apply",
    EvalID: "",
    NodeUpdate: {},
    NodeAllocation: {
      [mockId(1, 1)]: [mockAlloc({ ID: mockId(1, 0xa), JobID: "web", NodeID: mockId(1, 1) })],
    },
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    Now: clock.now(),
  });
  const timers = new HeartbeatTimers(ctx, config, 7);
  return { clock, ctx, timers };
}

/** drover_heartbeat_expiries_total by outcome. */
async function expiries(ctx: InProcessContext): Promise<Record<string, number>> {
  const metric = ctx.metrics.registry.getSingleMetric("drover_heartbeat_expiries_total");
  if (metric === undefined) throw new Error("drover_heartbeat_expiries_total is not registered");
  const { values } = await metric.get();
  return Object.fromEntries(values.map((v) => [String(v.labels["outcome"]), v.value]));
}

describe("HeartbeatTimers", () => {
  it("marks a node down after TTL + grace, with evals for its jobs and every system job", async () => {
    const { clock, ctx, timers } = setup();
    timers.setEnabled(true);
    const ttl = timers.resetHeartbeatTimer(mockId(1, 1));
    expect(ttl).toBeGreaterThanOrEqual(1_000);
    expect(ttl).toBeLessThanOrEqual(2_000);
    clock.advance(ttl + 499);
    await ctx.barrier();
    expect(ctx.state().nodeByID(mockId(1, 1))?.Status).toBe("ready");
    clock.advance(1);
    await ctx.barrier();
    const node = ctx.state().nodeByID(mockId(1, 1));
    expect(node?.Status).toBe("down");
    const evals = [...ctx.state().evals()];
    expect(evals.map((e) => e.JobID).sort()).toEqual(["agent", "web"]);
    expect(evals.every((e) => e.NodeID === mockId(1, 1) && e.TriggeredBy === "node-update")).toBe(true);
    expect(timers.active).toBe(1);
  });

  it("keeps a node that heartbeats in time", async () => {
    const { clock, ctx, timers } = setup();
    timers.setEnabled(true);
    for (let i = 0; i < 20; i++) {
      const ttl = timers.resetHeartbeatTimer(mockId(1, 1));
      clock.advance(ttl);
    }
    await ctx.barrier();
    expect(ctx.state().nodeByID(mockId(1, 1))?.Status).toBe("ready");
  });

  it("gives every node the failover TTL on gaining leadership, and stops all timers on losing it", async () => {
    const { clock, ctx, timers } = setup();
    timers.setEnabled(true);
    expect(timers.active).toBe(2);
    clock.advance(9_999);
    await ctx.barrier();
    expect([...ctx.state().nodes()].every((n) => n.Status === "ready")).toBe(true);
    timers.setEnabled(false);
    expect(timers.active).toBe(0);
    clock.advance(60_000);
    await ctx.barrier();
    expect([...ctx.state().nodes()].every((n) => n.Status === "ready")).toBe(true);
    expect(() => timers.resetHeartbeatTimer(mockId(1, 1))).toThrow(NotLeaderError);
  });

  it("scales the TTL with the number of nodes to stay near the target heartbeat rate", () => {
    const { timers } = setup();
    timers.setEnabled(true);
    for (let i = 0; i < 1_000; i++) timers.resetHeartbeatTimer(mockId(100 + i, 1));
    // 1,002 nodes at 50 heartbeats/s: at least 20 s, staggered up to twice that.
    const ttl = timers.nextTtlMs();
    expect(ttl).toBeGreaterThanOrEqual(20_040);
    expect(ttl).toBeLessThanOrEqual(40_080);
  });

  it("marks a node with allocations in a disconnect window disconnected, then down once it is over", async () => {
    const { clock, ctx, timers } = setup({ LostAfter: 60e9 });
    timers.setEnabled(true);
    const ttl = timers.resetHeartbeatTimer(mockId(1, 1));
    clock.advance(ttl + 500);
    await ctx.barrier();
    expect(ctx.state().nodeByID(mockId(1, 1))?.Status).toBe("disconnected");
    expect(ctx.state().nodeByID(mockId(2, 1))?.Status).toBe("ready");
    expect(await expiries(ctx)).toEqual({ down: 0, disconnected: 1 });
    const evals = [...ctx.state().evals()];
    expect(evals.map((e) => e.JobID).sort()).toEqual(["agent", "web"]);
    // Still tracked: the scheduler marks the allocation unknown; it stays so within lost_after.
    expect(timers.active).toBe(2);
    const alloc = ctx.state().allocByID(mockId(1, 0xa))!;
    const unknownAt = clock.now();
    ctx.applyNow({
      type: "plan-apply",
      EvalID: "",
      NodeUpdate: {},
      NodeAllocation: {
        [mockId(1, 1)]: [
          {
            ...alloc,
            ClientStatus: "unknown",
            AllocStates: [{ Field: "ClientStatus", Value: "unknown", Time: unknownAt }],
          },
        ],
      },
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      Evals: [],
      Now: unknownAt,
    });
    clock.advance(3_000);
    await ctx.barrier();
    expect(ctx.state().nodeByID(mockId(1, 1))?.Status).toBe("disconnected");
    clock.advance(60_000);
    await ctx.barrier();
    expect(ctx.state().nodeByID(mockId(1, 1))?.Status).toBe("down");
    // Neither node is tracked any more (the other, without allocations, went down long ago).
    expect(timers.active).toBe(0);
    // Expiries that changed nothing (still disconnected, within the window) are not counted.
    expect(await expiries(ctx)).toEqual({ down: 2, disconnected: 1 });
  });

  it("marks a node down when its allocations have no disconnect window", async () => {
    const { clock, ctx, timers } = setup(null);
    timers.setEnabled(true);
    const ttl = timers.resetHeartbeatTimer(mockId(1, 1));
    clock.advance(ttl + 500);
    await ctx.barrier();
    expect(ctx.state().nodeByID(mockId(1, 1))?.Status).toBe("down");
  });
});
