import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Counter, Histogram } from "prom-client";
import { NotLeaderError, StalePlanError } from "../common/errors.js";
import type { PlanApplyCommand } from "../fsm/commands.js";
import type { Allocation, Evaluation, Plan, PlanResult } from "../fsm/structs.js";
import type { ServerContext } from "./context.js";
import { jobEvaluation } from "./new-evaluation.js";
import { type NodeAllocsView, OptimisticView } from "./plan-overlay.js";
import type { PendingPlan, PlanQueue } from "./plan-queue.js";
import {
  type PlanSlicing,
  type PlanVerification,
  verificationIsEmpty,
  verifyPlanInSlices,
} from "./plan-verify.js";

/**
 * A verify slice ends after this many nodes or this many milliseconds: a 1,000-node plan on a
 * lightly filled cluster verifies in one turn, one on nodes holding hundreds of allocations each
 * (C1M's density) in several, none holding the loop much longer than the time bound.
 */
const DEFAULT_NODES_PER_SLICE = 512;
const DEFAULT_SLICE_MS = 10;

/** Answers whether `token` is still the outstanding delivery of `evalId` (the broker's view). */
export type EvalTokenCheck = (evalId: string, token: string) => boolean;

interface InFlight {
  readonly command: PlanApplyCommand;
  /** Resolves with the commit index, or null when the commit failed. Never rejects. */
  readonly settled: Promise<number | null>;
}

/**
 * The leader's one plan applier (Nomad's plan_apply.go). It takes plans from the plan queue in
 * order, verifies each node by node against the latest state (a slice of nodes per event-loop
 * turn), commits the part that fits as one Raft entry and answers the worker with a PlanResult
 * (RejectedNodes and a RefreshIndex for the rest).
 *
 * Pipelining: plan N+1 is verified while plan N's Raft commit is in flight, against the latest
 * state with N's effect applied optimistically (OptimisticView). N+1 is proposed only after N
 * has committed, so there is never more than one plan in flight and the view N+1 was checked
 * against is exactly the state it lands on (invariant 3: never over-commit). If N's commit
 * fails, N+1 is verified again against the state as it really is.
 */
export class PlanApplier {
  private readonly applySeconds: Histogram | undefined;
  private readonly rejectedNodes: Counter | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private readonly slicing: PlanSlicing;

  constructor(
    private readonly ctx: ServerContext,
    private readonly queue: PlanQueue,
    private readonly tokenValid: EvalTokenCheck,
    slicing: Partial<PlanSlicing> = {},
  ) {
    this.slicing = {
      nodesPerSlice: slicing.nodesPerSlice ?? DEFAULT_NODES_PER_SLICE,
      sliceMs: slicing.sliceMs ?? DEFAULT_SLICE_MS,
      clock: slicing.clock ?? (() => performance.now()),
      yieldTurn: slicing.yieldTurn ?? (() => yieldToEventLoop()),
    };
    this.applySeconds = ctx.metrics.histogram(
      "drover_plan_apply_seconds",
      "Time from dequeuing a plan to answering its worker",
    );
    this.rejectedNodes = ctx.metrics.counter(
      "drover_plan_rejected_nodes_total",
      "Nodes whose part of a plan was rejected by the plan applier",
    );
  }

  /** Starts the applier loop (on gaining leadership). */
  start(): void {
    if (this.running !== undefined) return;
    const abort = new AbortController();
    this.abort = abort;
    this.running = this.loop(abort.signal).catch((error: unknown) => {
      // The loop only throws on a bug (an assertion); crash loudly rather than stop applying.
      this.ctx.logger.fatal({ err: error }, "plan applier failed");
      throw error;
    });
  }

  /** Stops the loop and waits for it (on losing leadership; disable the queue first). */
  async stop(): Promise<void> {
    this.abort?.abort();
    const running = this.running;
    this.running = undefined;
    this.abort = undefined;
    await running;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let inFlight: InFlight | undefined;
    for (;;) {
      const pending = await this.queue.dequeue(signal);
      if (pending === null) break;
      inFlight = await this.applyOne(pending, inFlight);
    }
    if (inFlight !== undefined) await inFlight.settled;
  }

  /** Verifies and commits one plan; returns the plan now in flight (this one, or the previous). */
  private async applyOne(
    pending: PendingPlan,
    previous: InFlight | undefined,
  ): Promise<InFlight | undefined> {
    const started = performance.now();
    const plan = pending.plan;
    if (plan.EvalID !== "" && !this.tokenValid(plan.EvalID, plan.EvalToken)) {
      pending.reject(new StalePlanError(plan.EvalID));
      return previous;
    }
    // Each slice of nodes is verified against the latest state, with the plan in flight applied.
    const latest = (): NodeAllocsView => {
      const base = this.ctx.state();
      return previous === undefined ? base : new OptimisticView(base, previous.command);
    };
    let verification = await verifyPlanInSlices(latest, plan, this.slicing);
    let refreshIndex = this.ctx.state().index;
    if (previous !== undefined) {
      const previousIndex = await previous.settled;
      if (previousIndex === null) {
        // The optimistic view assumed a commit that did not happen: verify against reality.
        verification = await verifyPlanInSlices(() => this.ctx.state(), plan, this.slicing);
        refreshIndex = this.ctx.state().index;
      } else {
        refreshIndex = Math.max(refreshIndex, previousIndex);
      }
    }
    const rejectedIds = verification.rejected.map((r) => r.nodeId);
    if (rejectedIds.length > 0) {
      this.rejectedNodes?.inc(rejectedIds.length);
      this.ctx.logger.debug(
        { evalId: plan.EvalID, rejected: verification.rejected },
        "plan partially rejected",
      );
    }
    const commitsNothing =
      verificationIsEmpty(verification) &&
      (verification.allAtOnceRejected || (plan.Deployment === null && plan.DeploymentUpdates.length === 0));
    if (commitsNothing) {
      pending.resolve(result(plan, verification, rejectedIds.length > 0 ? refreshIndex : 0, 0));
      this.applySeconds?.observe((performance.now() - started) / 1000);
      return undefined;
    }
    const command = this.commandFor(plan, verification);
    // Verifying a 1,000-node plan and encoding its command each take tens of milliseconds: give
    // the event loop a turn in between (Raft heartbeats, votes; invariant 6). Nothing but this
    // applier places allocations, so the verified part still fits when it is proposed.
    await yieldToEventLoop();
    const settled = this.ctx.propose(command).then(
      (committed) => {
        const refresh = rejectedIds.length > 0 ? Math.max(refreshIndex, committed.index) : 0;
        pending.resolve(result(plan, verification, refresh, committed.index));
        this.applySeconds?.observe((performance.now() - started) / 1000);
        return committed.index;
      },
      (error: unknown) => {
        pending.reject(error instanceof Error ? error : new NotLeaderError(undefined));
        return null;
      },
    );
    return { command, settled };
  }

  private commandFor(plan: Plan, v: PlanVerification): PlanApplyCommand {
    return {
      type: "plan-apply",
      EvalID: plan.EvalID,
      NodeUpdate: v.NodeUpdate,
      NodeAllocation: v.NodeAllocation,
      NodePreemptions: v.NodePreemptions,
      Deployment: v.allAtOnceRejected ? null : plan.Deployment,
      DeploymentUpdates: v.allAtOnceRejected ? [] : plan.DeploymentUpdates,
      Evals: this.preemptionEvals(v.NodePreemptions),
      Now: this.ctx.clock.now(),
    };
  }

  /** One eval per job that loses allocations to preemption, so it can place them elsewhere. */
  private preemptionEvals(preemptions: Record<string, Allocation[]>): Evaluation[] {
    const state = this.ctx.state();
    const now = this.ctx.clock.now();
    const evals = new Map<string, Evaluation>();
    for (const allocs of Object.values(preemptions)) {
      for (const preempted of allocs) {
        const stored = state.allocByID(preempted.ID);
        const namespace = stored?.Namespace ?? preempted.Namespace;
        const jobId = stored?.JobID ?? preempted.JobID;
        const key = `${namespace}\u0000${jobId}`;
        const job = state.jobByID(namespace, jobId);
        if (evals.has(key) || job === undefined) continue;
        evals.set(key, jobEvaluation(job, "preemption", now, { JobModifyIndex: job.JobModifyIndex }));
      }
    }
    return [...evals.values()];
  }
}

function result(plan: Plan, v: PlanVerification, refreshIndex: number, allocIndex: number): PlanResult {
  return {
    NodeUpdate: v.NodeUpdate,
    NodeAllocation: v.NodeAllocation,
    NodePreemptions: v.NodePreemptions,
    Deployment: v.allAtOnceRejected ? null : plan.Deployment,
    DeploymentUpdates: v.allAtOnceRejected ? [] : plan.DeploymentUpdates,
    RejectedNodes: v.rejected.map((r) => r.nodeId),
    RefreshIndex: refreshIndex,
    AllocIndex: allocIndex,
  };
}
