import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import type { AllocClientUpdate } from "../fsm/commands.js";
import { mockId } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import { allocTerminal, type Node } from "../fsm/structs.js";
import { allocsFit } from "../scheduler/fit.js";
import { schedule } from "../scheduler/index.js";
import { InProcessContext } from "./in-process-context.js";
import { DEFAULT_LEADER_CONFIG, Leader } from "./leader.js";
import { ManualClock } from "./manual-clock.js";
import { newEvaluation } from "./new-evaluation.js";
import { registerJob, slotJob, slotNode } from "./test-fixtures.js";
import { DEFAULT_WORKER_CONFIG, Worker } from "./worker.js";

/**
 * The leader's machinery end to end in one process: the real state store (the FSM, without
 * replication), the broker, blocked evals, plan queue and applier, heartbeats, and N workers
 * running the real schedulers, racing each other. Time moves only with the manual clock.
 */
class Harness {
  readonly clock = new ManualClock();
  readonly ctx = new InProcessContext(new StateStore(), this.clock);
  readonly leader: Leader;

  /** `gcIntervalMs` 0: no core GC evals unless a test asks for them. */
  constructor(gcIntervalMs = 0) {
    this.leader = new Leader(this.ctx, { ...DEFAULT_LEADER_CONFIG, gcIntervalMs, coreJobs: ["eval-gc"] });
  }
  readonly workers: Worker[] = [];

  async start(workers: number): Promise<void> {
    await this.leader.establish();
    for (let i = 0; i < workers; i++) {
      const worker = new Worker(this.ctx, this.leader.client, this.leader.client, schedule, {
        ...DEFAULT_WORKER_CONFIG,
        schedulers: ["service", "batch", "system", "sysbatch", "_core"],
      });
      worker.start();
      this.workers.push(worker);
    }
  }

  async stop(): Promise<void> {
    await this.leader.revoke();
    await Promise.all(this.workers.map((w) => w.stop()));
  }

  registerNodes(nodes: Node[]): void {
    this.ctx.applyNow({ type: "node-register", Nodes: nodes, Evals: [] });
  }

  /** The clients' part: every pending allocation that should run reports running. */
  async runPendingAllocs(): Promise<void> {
    const updates: AllocClientUpdate[] = [];
    for (const alloc of this.ctx.state().allocs()) {
      if (alloc.ClientStatus !== "pending" || alloc.DesiredStatus !== "run") continue;
      updates.push({
        ID: alloc.ID,
        ClientStatus: "running",
        ClientDescription: "",
        TaskStates: {},
        DeploymentStatus: null,
        ModifyTime: this.clock.now(),
      });
    }
    if (updates.length > 0)
      await this.ctx.propose({ type: "alloc-client-update", Allocs: updates, Evals: [] });
  }

  /**
   * Turns the event loop (never the manual clock) until `cond` holds. The wall-clock limit only
   * guards against a hang; nothing asserts on speed.
   *
   * Workers racing for the last slots may see one eval's plan refused five times; the eval then
   * fails and a blocked eval waits for the leader's periodic release of failed evals (Nomad's,
   * every minute). The manual clock never gets there, so once nothing else is scheduled that
   * release runs here, as the leader's timer would.
   */
  async until(cond: () => boolean, what: string, hangGuardMs = 30_000): Promise<void> {
    const giveUpAt = performance.now() + hangGuardMs;
    while (performance.now() < giveUpAt) {
      if (cond()) return;
      if (this.idle()) this.leader.blocked.unblockFailed();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const evals = [...this.ctx.state().evals()].map(
      (e) => `${e.JobID}:${e.Status}:${e.TriggeredBy}:${e.StatusDescription}`,
    );
    throw new Error(
      `never reached: ${what} (broker ${JSON.stringify(this.leader.broker.stats())}, blocked ${JSON.stringify(this.leader.blocked.stats())}, evals not complete: ${evals.filter((e) => !e.includes(":complete:")).join(" | ")})`,
    );
  }

  /** True when no eval is waiting or being scheduled. */
  idle(): boolean {
    const stats = this.leader.broker.stats();
    return stats.ready === 0 && stats.unacked === 0 && stats.pending === 0 && this.leader.plans.depth === 0;
  }

  liveAllocs(jobId: string) {
    return this.ctx
      .state()
      .allocsByJob("default", jobId)
      .filter((a) => !allocTerminal(a));
  }

  assertNoOverCommit(): void {
    const state = this.ctx.state();
    for (const node of state.nodes()) {
      const live = state.allocsByNode(node.ID).filter((a) => !allocTerminal(a));
      expect(allocsFit(node, live).fit, `node ${node.Name} over-committed`).toBe(true);
    }
  }

  assertNoDuplicateNames(): void {
    const names = new Set<string>();
    for (const alloc of this.ctx.state().allocs()) {
      if (allocTerminal(alloc)) continue;
      expect(names.has(alloc.Name), `duplicate live allocation ${alloc.Name}`).toBe(false);
      names.add(alloc.Name);
    }
  }
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

describe("leader machinery with real schedulers (in-process)", () => {
  it("converges 50 jobs × count 20 with 4 racing workers, never over-committing", async () => {
    const h = new Harness();
    harness = h;
    // 1,000 allocations on 110 nodes × 10 slots: tight enough that workers collide.
    h.registerNodes(Array.from({ length: 110 }, (_, i) => slotNode(i + 1, 10)));
    await h.start(4);
    await Promise.all(Array.from({ length: 50 }, (_, i) => registerJob(h.ctx, slotJob(`job-${i}`, 20))));
    await h.until(
      () =>
        h.idle() &&
        Array.from({ length: 50 }, (_, i) => h.liveAllocs(`job-${i}`).length).every((n) => n === 20),
      "every job has 20 allocations",
    );
    await h.runPendingAllocs();
    expect(h.ctx.state().allocCount()).toBe(1_000);
    h.assertNoOverCommit();
    h.assertNoDuplicateNames();
    const state = h.ctx.state();
    for (const e of state.evals()) {
      // An eval whose plans lost the race five times fails, and its blocked follow-up (released
      // by the leader's periodic retry) must have finished the job's work.
      if (e.Status === "failed") expect(state.evalByID(e.BlockedEval)?.Status).toBe("complete");
      else expect(["complete", "canceled"]).toContain(e.Status);
    }
  });

  it("loses and regains leadership mid-scheduling; every job still converges with no duplicate names", async () => {
    const h = new Harness();
    harness = h;
    h.registerNodes(Array.from({ length: 40 }, (_, i) => slotNode(i + 1, 10)));
    await h.start(3);
    await Promise.all(Array.from({ length: 20 }, (_, i) => registerJob(h.ctx, slotJob(`job-${i}`, 15))));
    // Let some plans land, then depose the leader while workers are mid-eval.
    await h.until(() => h.ctx.state().allocCount() > 0, "first placements");
    expect(h.leader.broker.stats().unacked).toBeGreaterThan(0);
    h.ctx.setLeader(false);
    await h.leader.revoke();
    expect(h.leader.broker.stats().ready).toBe(0);
    h.ctx.setLeader(true);
    await h.leader.establish();
    await h.until(
      () =>
        h.idle() &&
        Array.from({ length: 20 }, (_, i) => h.liveAllocs(`job-${i}`).length).every((n) => n === 15),
      "every job has 15 allocations after the leader change",
    );
    h.assertNoOverCommit();
    h.assertNoDuplicateNames();
  });

  it("two workers racing for the last capacity never over-commit; the loser blocks, then places when a node joins", async () => {
    const h = new Harness();
    harness = h;
    h.registerNodes([slotNode(1, 1)]);
    await h.start(2);
    await Promise.all([registerJob(h.ctx, slotJob("a", 1)), registerJob(h.ctx, slotJob("b", 1))]);
    await h.until(() => h.idle() && h.leader.blocked.stats().blocked === 1, "one job placed, one blocked");
    h.assertNoOverCommit();
    const placed = h.liveAllocs("a").length + h.liveAllocs("b").length;
    expect(placed).toBe(1);
    const text = await h.ctx.metrics.text();
    expect(text).toMatch(/drover_plan_rejected_nodes_total\{agent="in-process"\} [1-9]/);
    // A node joins: the blocked eval is released and the job places there.
    h.registerNodes([slotNode(2, 1)]);
    await h.until(
      () => h.idle() && h.liveAllocs("a").length === 1 && h.liveAllocs("b").length === 1,
      "both jobs placed after the node joined",
    );
    expect(h.leader.blocked.stats().blocked).toBe(0);
    h.assertNoOverCommit();
  });

  it("marks a node down when it misses its TTL and replaces its allocations elsewhere", async () => {
    const h = new Harness();
    harness = h;
    const nodes = [slotNode(1, 4), slotNode(2, 4), slotNode(3, 4)];
    h.registerNodes(nodes);
    await h.start(2);
    await registerJob(h.ctx, slotJob("web", 6));
    await h.until(() => h.idle() && h.liveAllocs("web").length === 6, "6 allocations placed");
    await h.runPendingAllocs();
    const victim = nodes.find((n) => h.ctx.state().allocsByNode(n.ID).length > 0);
    if (victim === undefined) throw new Error("no node got allocations");
    const survivors = nodes.filter((n) => n !== victim);
    // Everyone heartbeats; then the victim goes silent while the others keep beating.
    for (const n of nodes) h.leader.heartbeat(n.ID);
    for (let step = 0; step < 40 && h.ctx.state().nodeByID(victim.ID)?.Status !== "down"; step++) {
      for (const n of survivors) h.leader.heartbeat(n.ID);
      h.clock.advance(1_000);
      await h.ctx.barrier();
    }
    expect(h.ctx.state().nodeByID(victim.ID)?.Status).toBe("down");
    await h.until(
      () =>
        h.idle() &&
        h.liveAllocs("web").length === 6 &&
        h.liveAllocs("web").every((a) => a.NodeID !== victim.ID),
      "allocations replaced on the surviving nodes",
    );
    const lost = h.ctx
      .state()
      .allocsByNode(victim.ID)
      .filter((a) => a.JobID === "web");
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((a) => a.ClientStatus === "lost" && a.DesiredStatus === "stop")).toBe(true);
    h.assertNoOverCommit();
    h.assertNoDuplicateNames();
  });

  it("garbage-collects old terminal evals through core evals on the leader's GC timer", async () => {
    const h = new Harness(60_000);
    harness = h;
    h.registerNodes([slotNode(1, 4)]);
    await h.start(1);
    await registerJob(h.ctx, slotJob("web", 1));
    await h.until(() => h.idle() && h.liveAllocs("web").length === 1, "job placed");
    const stop = newEvaluation(
      { Namespace: "default", Priority: 50, Type: "service", TriggeredBy: "job-deregister", JobID: "web" },
      h.clock.now(),
    );
    await h.ctx.propose({
      type: "job-deregister",
      Namespace: "default",
      JobID: "web",
      Purge: false,
      SubmitTime: h.clock.now(),
      Eval: stop,
    });
    await h.until(() => h.idle() && h.liveAllocs("web").length === 0, "job stopped");
    const done = [...h.ctx.state().evals()];
    expect(done.every((e) => e.Status === "complete")).toBe(true);
    // Two hours later (the node heartbeating all along) the evals and their stopped allocations
    // are past Nomad's 1 h eval GC threshold.
    for (let elapsedMs = 0; elapsedMs < 2 * 3_600_000; elapsedMs += 5_000) {
      h.leader.heartbeat(mockId(1, 1));
      h.clock.advance(5_000);
      await h.ctx.barrier();
    }
    await h.until(
      () => h.idle() && done.every((e) => h.ctx.state().evalByID(e.ID) === undefined),
      "old evals collected",
    );
    expect(h.ctx.state().allocsByJob("default", "web")).toHaveLength(0);
    // Core evals are never written to the state.
    expect([...h.ctx.state().evals()].filter((e) => e.Type === "_core")).toHaveLength(0);
  });
});
