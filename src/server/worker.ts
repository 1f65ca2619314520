import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Counter, Histogram } from "prom-client";
import { NotLeaderError, StaleEvalTokenError, StalePlanError } from "../common/errors.js";
import type { AgentMetrics } from "../common/metrics.js";
import type { Evaluation, PlanResult, SchedulerType } from "../fsm/structs.js";
import type { ServerContext } from "./context.js";
import type { BrokerClient, PlanSubmitter, WorkItem } from "./leader-client.js";
import { newEvaluation } from "./new-evaluation.js";
import { InlineSchedulerRunner, type ScheduleFn, type SchedulerRunner } from "./scheduler-runner.js";

export interface WorkerConfig {
  /** Scheduler types this worker runs. */
  schedulers: readonly SchedulerType[];
  /** Long-poll timeout of one dequeue. */
  dequeueTimeoutMs: number;
  /** Plan submissions that commit nothing, per eval, before giving up (Nomad: 5 attempts). */
  maxPlanAttempts: number;
  /** Pause after a failed dequeue (no leader reachable) before trying again. */
  retryBackoffMs: number;
}

export const DEFAULT_WORKER_CONFIG: WorkerConfig = {
  schedulers: ["service", "batch", "system", "sysbatch", "_core"],
  dequeueTimeoutMs: 5_000,
  maxPlanAttempts: 5,
  retryBackoffMs: 200,
};

/** A stable 32-bit seed from the eval id and the attempt, so a replayed eval plans the same way. */
export function evalSeed(evalId: string, attempt: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < evalId.length; i++) hash = Math.imul(hash ^ evalId.charCodeAt(i), 0x01000193);
  return (hash + attempt * 0x9e3779b1) >>> 0;
}

/**
 * A scheduler worker (Nomad's worker.go), one of `numSchedulers` on every server, the leader
 * included: dequeue an eval from the leader's broker, wait until the local FSM has reached the
 * eval's wait index, run the scheduler against a snapshot, submit the plan to the leader, refresh
 * and retry on partial rejection, write the eval's update and the evals it created, ack.
 *
 * The scheduler is synchronous CPU work; the worker yields to the event loop between evals (and
 * between plan attempts, which await the leader) so that Raft keeps its timing (invariant 6).
 */
export class Worker {
  private readonly metrics: WorkerMetrics;
  private readonly runner: SchedulerRunner;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private processed = 0;

  constructor(
    private readonly ctx: ServerContext,
    private readonly broker: BrokerClient,
    private readonly planner: PlanSubmitter,
    /** schedule() itself (run inline), or a runner. */
    scheduler: ScheduleFn | SchedulerRunner,
    private readonly config: WorkerConfig = DEFAULT_WORKER_CONFIG,
  ) {
    this.metrics = workerMetrics(ctx);
    this.runner = typeof scheduler === "function" ? new InlineSchedulerRunner(ctx, scheduler) : scheduler;
  }

  /** Evals this worker finished (acked), for tests and status. */
  get evalsProcessed(): number {
    return this.processed;
  }

  start(): void {
    if (this.running !== undefined) return;
    const abort = new AbortController();
    this.abort = abort;
    this.running = this.loop(abort.signal);
  }

  /** Stops after the current eval; resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.abort?.abort();
    const running = this.running;
    this.running = undefined;
    this.abort = undefined;
    await running;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let item: WorkItem | null;
      try {
        item = await this.broker.dequeue(this.config.schedulers, this.config.dequeueTimeoutMs, signal);
      } catch (error) {
        this.ctx.logger.warn({ err: error }, "worker: dequeue failed; retrying");
        await this.sleep(this.config.retryBackoffMs, signal);
        continue;
      }
      if (item === null) continue;
      await this.process(item, signal);
      await yieldToEventLoop();
    }
  }

  /** Runs one eval to its ack (or nack); never throws for the failures a leader change causes. */
  async process(item: WorkItem, signal?: AbortSignal): Promise<void> {
    const evaluation = item.eval;
    try {
      const updates = await this.scheduleWithRetries(item, signal);
      if (updates.length > 0) await this.planner.upsertEvals(updates, item.token);
      await this.broker.ack(evaluation.ID, item.token);
      this.processed++;
    } catch (error) {
      if (isLostDelivery(error) || signal?.aborted === true) {
        // The eval is no longer ours (nack timeout, leader change): whoever holds it now, or the
        // next leader restoring it from state, schedules it.
        this.ctx.logger.info({ evalId: evaluation.ID, err: error }, "worker: eval delivery lost");
        return;
      }
      this.ctx.logger.error({ evalId: evaluation.ID, err: error }, "worker: eval failed; nacking");
      try {
        await this.broker.nack(evaluation.ID, item.token);
      } catch (nackError) {
        this.ctx.logger.warn({ evalId: evaluation.ID, err: nackError }, "worker: nack failed");
      }
    }
  }

  /**
   * Schedules the eval, submitting plans until one commits fully or attempts run out; returns the
   * evals to write (the eval's own update first, then the evals the scheduler created).
   */
  private async scheduleWithRetries(item: WorkItem, signal?: AbortSignal): Promise<Evaluation[]> {
    let minIndex = item.waitIndex;
    // Only plans that commit nothing count against maxPlanAttempts: under contention (workers
    // racing for the same nodes) a partially committed plan is progress, and giving up on it
    // would leave the job to a slow retry (Nomad's plan-rejection pain point).
    let fruitless = 0;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const options = {
        now: this.ctx.clock.now(),
        seed: evalSeed(item.eval.ID, attempt),
        evalToken: item.token,
      };
      const { result: scheduled, snapshotIndex } = await this.runner.run(
        item.eval,
        minIndex,
        options,
        signal,
      );
      this.metrics.scheduleSeconds.observe(
        { scheduler: item.eval.Type },
        (performance.now() - started) / 1000,
      );
      // Core (GC) evals live only in the broker, never in state (as in Nomad): nothing to write
      // for them but the garbage they found.
      if (item.eval.Type === "_core") {
        if (scheduled.gc !== null) await this.planner.collectGarbage(scheduled.gc, item.eval.ID, item.token);
        return [];
      }
      // As Nomad's worker does: a blocked eval records the index of the snapshot it was blocked
      // at, so that capacity appearing after that index (a missed unblock) releases it at once,
      // and capacity before it does not release it again in a loop.
      const evals = [scheduled.eval, ...scheduled.createEvals].map((e) =>
        e.Status === "blocked" && e.SnapshotIndex < snapshotIndex
          ? { ...e, SnapshotIndex: snapshotIndex }
          : e,
      );
      if (scheduled.plan === null) {
        this.countFailures(scheduled.eval);
        return evals;
      }
      const result = await this.planner.submitPlan({ ...scheduled.plan, EvalToken: item.token });
      this.countPlacements(item.eval.Type, result);
      if (result.RefreshIndex === 0) {
        this.countFailures(scheduled.eval);
        return evals;
      }
      if (result.AllocIndex === 0) fruitless++;
      if (fruitless >= this.config.maxPlanAttempts) return this.giveUp(scheduled.eval, snapshotIndex);
      // Part of the plan did not fit the latest state: plan again on state at least that new.
      minIndex = result.RefreshIndex;
    }
  }

  /** New allocations the plan committed (in-place updates keep their CreateIndex; new ones have 0). */
  private countPlacements(scheduler: SchedulerType, result: PlanResult): void {
    if (result.AllocIndex === 0) return;
    let placed = 0;
    for (const allocs of Object.values(result.NodeAllocation)) {
      for (const alloc of allocs) if (alloc.CreateIndex === 0) placed++;
    }
    if (placed > 0) this.metrics.placements.inc({ scheduler }, placed);
  }

  /**
   * Allocations the eval's final scheduling could not place (each group's failed allocation and
   * those coalesced into it), counted once per eval: earlier attempts are retried, not failures.
   */
  private countFailures(evaluation: Evaluation): void {
    let failed = 0;
    for (const metric of Object.values(evaluation.FailedTGAllocs)) failed += 1 + metric.CoalescedFailures;
    if (failed > 0) this.metrics.placementFailures.inc({ scheduler: evaluation.Type }, failed);
  }

  /**
   * Out of plan attempts (Nomad's max-plan-attempts): the eval fails, and a blocked eval takes
   * over; the blocked-evals tracker retries it periodically, so the job is not left behind.
   */
  private giveUp(evaluation: Evaluation, snapshotIndex: number): Evaluation[] {
    const now = this.ctx.clock.now();
    const blocked = newEvaluation(
      {
        Namespace: evaluation.Namespace,
        Priority: evaluation.Priority,
        Type: evaluation.Type,
        TriggeredBy: "max-plan-attempts",
        JobID: evaluation.JobID,
        JobModifyIndex: evaluation.JobModifyIndex,
        Status: "blocked",
        StatusDescription: "created after reaching the maximum number of plan attempts",
        PreviousEval: evaluation.ID,
        EscapedComputedClass: true,
        SnapshotIndex: snapshotIndex,
      },
      now,
    );
    const failed: Evaluation = {
      ...evaluation,
      Status: "failed",
      StatusDescription: `maximum of ${this.config.maxPlanAttempts} plan attempts reached`,
      BlockedEval: blocked.ID,
      ModifyTime: now,
    };
    return [failed, blocked];
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const cancel = this.ctx.clock.setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done(): void {
        cancel();
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}

interface WorkerMetrics {
  readonly scheduleSeconds: Histogram;
  readonly placements: Counter;
  readonly placementFailures: Counter;
}

const workerMetricsByAgent = new WeakMap<AgentMetrics, WorkerMetrics>();

/**
 * The workers' series, labelled by scheduler type: created once per agent's metrics and shared by
 * its workers (a second registration of a name would throw).
 */
function workerMetrics(ctx: ServerContext): WorkerMetrics {
  let metrics = workerMetricsByAgent.get(ctx.metrics);
  if (metrics === undefined) {
    metrics = {
      scheduleSeconds: ctx.metrics.histogram(
        "drover_worker_schedule_seconds",
        "Time one schedule() call took, by scheduler type",
        ["scheduler"],
      ),
      placements: ctx.metrics.counter(
        "drover_scheduler_placements_total",
        "New allocations committed by this server's workers' plans, by scheduler type",
        ["scheduler"],
      ),
      placementFailures: ctx.metrics.counter(
        "drover_scheduler_placement_failures_total",
        "Allocations an eval could not place (no feasible node or no room), by scheduler type",
        ["scheduler"],
      ),
    };
    for (const scheduler of DEFAULT_WORKER_CONFIG.schedulers) {
      metrics.placements.inc({ scheduler }, 0);
      metrics.placementFailures.inc({ scheduler }, 0);
    }
    workerMetricsByAgent.set(ctx.metrics, metrics);
  }
  return metrics;
}

function isLostDelivery(error: unknown): boolean {
  return (
    error instanceof StaleEvalTokenError || error instanceof StalePlanError || error instanceof NotLeaderError
  );
}
