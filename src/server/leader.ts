import { SeededRandom } from "../common/rand.js";
import type { Command } from "../fsm/commands.js";
import type { Evaluation, Plan, PlanResult } from "../fsm/structs.js";
import { allocClientTerminal, isTerminalEvalStatus } from "../fsm/structs.js";
import { CORE_JOB_FORCE_GC } from "../scheduler/core-scheduler.js";
import type { GcRequest } from "../scheduler/schedule-types.js";
import { BlockedEvals } from "./blocked-evals.js";
import type { CancelTimer } from "./clock.js";
import { commandEffects } from "./command-effects.js";
import type { ServerContext } from "./context.js";
import { DeploymentWatcher } from "./deployment-watcher.js";
import { NodeDrainer } from "./drainer/node-drainer.js";
import {
  DEFAULT_EVAL_BROKER_CONFIG,
  EvalBroker,
  type EvalBrokerConfig,
  FAILED_QUEUE,
} from "./eval-broker.js";
import { DEFAULT_HEARTBEAT_CONFIG, type HeartbeatConfig, HeartbeatTimers } from "./heartbeats.js";
import { LocalLeaderClient } from "./local-leader-client.js";
import { newEvaluation } from "./new-evaluation.js";
import { PeriodicDispatcher } from "./periodic.js";
import { PlanApplier } from "./plan-applier.js";
import { PlanQueue } from "./plan-queue.js";

export interface LeaderConfig {
  broker: EvalBrokerConfig;
  heartbeat: HeartbeatConfig;
  /** Follow-up evals for failed evals wait a random time in [min, max] (Nomad: 1–6 min). */
  failedFollowUpMinMs: number;
  failedFollowUpMaxMs: number;
  /** How often evals blocked by max plan attempts are retried (Nomad: 1 min). */
  failedUnblockIntervalMs: number;
  /** How often core GC evals are enqueued (0 disables). */
  gcIntervalMs: number;
  /** Core jobs (the core scheduler's JobIDs) enqueued each GC interval. */
  coreJobs: readonly string[];
  /** Largest batch of evals cancelled in one Raft entry. */
  cancelBatchSize: number;
}

export const DEFAULT_LEADER_CONFIG: LeaderConfig = {
  broker: DEFAULT_EVAL_BROKER_CONFIG,
  heartbeat: DEFAULT_HEARTBEAT_CONFIG,
  failedFollowUpMinMs: 60_000,
  failedFollowUpMaxMs: 360_000,
  failedUnblockIntervalMs: 60_000,
  gcIntervalMs: 300_000,
  coreJobs: ["eval-gc", "job-gc", "node-gc", "deployment-gc"],
  cancelBatchSize: 1_000,
};

/** Nomad's CoreJobPriority: above every user job's priority (1..100). */
export const CORE_JOB_PRIORITY = 200;

/**
 * The leader's duties (Nomad's leader.go establishLeadership/revokeLeadership). The agent
 * constructs one Leader per server at start (components and metrics live for the process) and
 * calls `establish()` when Raft makes this server leader and `revoke()` when it stops being one.
 *
 * On establish: a Raft barrier (the FSM has applied everything committed before leadership),
 * then, in one synchronous step, the broker and blocked evals are rebuilt from that state and the
 * applied-command hook goes live, so no eval falls between the restore and the hook. Then the
 * plan applier, heartbeat timers (failover TTL for every node), periodic launches, the deployment
 * watcher, the node drainer, the failed-eval reaper, the cancel reaper and the GC timer start. On revoke all of it stops and is flushed.
 */
export class Leader {
  readonly broker: EvalBroker;
  readonly blocked: BlockedEvals;
  readonly plans: PlanQueue;
  readonly applier: PlanApplier;
  readonly heartbeats: HeartbeatTimers;
  readonly periodic: PeriodicDispatcher;
  readonly deployments: DeploymentWatcher;
  readonly drainer: NodeDrainer;
  /** The broker and plan queue as workers (local, or via the agent's gRPC endpoints) use them. */
  readonly client: LocalLeaderClient;

  private active = false;
  /** Bumped on every establish/revoke so that a stale establish stops after its barrier. */
  private generation = 0;
  private readonly random = new SeededRandom(0x5eed);
  private timers: CancelTimer[] = [];
  private failedReaper: { abort: AbortController; done: Promise<void> } | undefined;
  private cancelling = false;

  constructor(
    private readonly ctx: ServerContext,
    private readonly config: LeaderConfig = DEFAULT_LEADER_CONFIG,
  ) {
    this.broker = new EvalBroker(ctx.clock, config.broker, ctx.metrics);
    this.blocked = new BlockedEvals(this.broker, ctx.metrics);
    this.plans = new PlanQueue(ctx.metrics);
    this.applier = new PlanApplier(ctx, this.plans, (id, token) => this.broker.outstanding(id) === token);
    this.heartbeats = new HeartbeatTimers(ctx, config.heartbeat);
    this.periodic = new PeriodicDispatcher(ctx);
    this.deployments = new DeploymentWatcher(ctx);
    this.drainer = new NodeDrainer(ctx);
    this.client = new LocalLeaderClient(ctx, this.broker, this.plans);
    this.broker.setCancelableListener(() => this.scheduleCancel());
    this.blocked.setDuplicateListener(() => this.scheduleCancel());
    ctx.onApplied((index, command) => this.onApplied(index, command));
  }

  /** True between a completed establish() and the next revoke(). */
  isActive(): boolean {
    return this.active;
  }

  /** Takes up the leader's duties; resolves once they run (or when revoked meanwhile). */
  async establish(): Promise<void> {
    if (this.active) return;
    const generation = ++this.generation;
    await this.ctx.barrier();
    if (generation !== this.generation) return;
    // Synchronous from here to `active = true`: no command can apply in between, so the restored
    // state and the hook together see every eval exactly once.
    this.restore();
    this.active = true;
    this.scheduleCancel();
    this.applier.start();
    this.heartbeats.setEnabled(true);
    this.periodic.setEnabled(true);
    this.deployments.setEnabled(true);
    this.drainer.setEnabled(true);
    this.startFailedReaper();
    this.every(this.config.failedUnblockIntervalMs, () => this.blocked.unblockFailed());
    if (this.config.gcIntervalMs > 0) this.every(this.config.gcIntervalMs, () => this.enqueueCoreEvals());
    this.ctx.logger.info(
      { index: this.ctx.state().index, ...this.broker.stats(), blocked: this.blocked.stats().blocked },
      "leader duties established",
    );
  }

  /** Gives up the leader's duties: everything stops and is flushed (the next leader rebuilds). */
  async revoke(): Promise<void> {
    this.generation++;
    const wasActive = this.active;
    this.active = false;
    for (const cancel of this.timers) cancel();
    this.timers = [];
    this.broker.setEnabled(false);
    this.blocked.setEnabled(false);
    this.plans.setEnabled(false);
    this.heartbeats.setEnabled(false);
    this.periodic.setEnabled(false);
    this.deployments.setEnabled(false);
    this.drainer.setEnabled(false);
    const reaper = this.failedReaper;
    this.failedReaper = undefined;
    reaper?.abort.abort();
    await this.applier.stop();
    await reaper?.done;
    if (wasActive) this.ctx.logger.info("leader duties revoked");
  }

  // ── The leader's duties as the RPC endpoints use them (structurally rpc/endpoints.ts LeaderDuties) ──

  /** Long-polls the broker; never fails because of a leader change (null at the timeout). */
  dequeue(
    schedulers: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ eval: Evaluation; token: string } | null> {
    return this.broker.dequeue(schedulers, timeoutMs, signal);
  }

  /** Throws StaleEvalTokenError when `token` is not the eval's outstanding delivery. */
  ack(evalId: string, token: string): void {
    this.broker.ack(evalId, token);
  }

  nack(evalId: string, token: string): void {
    this.broker.nack(evalId, token);
  }

  holds(evalId: string, token: string): boolean {
    return this.broker.outstanding(evalId) === token;
  }

  /**
   * Puts a re-blocked eval back into the blocked set. Upserting an eval with status "blocked"
   * already does this through the applied-command hook; calling it again is harmless.
   */
  reblock(evaluation: Evaluation, _token: string): void {
    if (evaluation.Status === "blocked") this.blocked.block(evaluation);
  }

  /** Queues a plan for the applier (token checked, nack timer paused while queued). */
  submitPlan(plan: Plan): Promise<PlanResult> {
    return this.client.submitPlan(plan);
  }

  /** Commits a core eval's garbage (the fsm's gc-delete) for the worker holding it. */
  collectGarbage(request: GcRequest, evalId: string, token: string): Promise<number> {
    return this.client.collectGarbage(request, evalId, token);
  }

  /**
   * Enqueues a forced GC (`PUT /v1/system/gc`): one core eval of kind force-gc, straight to the
   * broker like the periodic ones. Answers its ID.
   */
  forceGc(): string {
    return this.enqueueCoreEval(CORE_JOB_FORCE_GC);
  }

  /** Resets the node's heartbeat timer; answers its TTL in ms. Throws NotLeaderError off the leader. */
  heartbeat(nodeId: string): number {
    return this.heartbeats.resetHeartbeatTimer(nodeId);
  }

  /** Rebuilds the broker and blocked evals from the latest state. */
  private restore(): void {
    const state = this.ctx.state();
    this.broker.setEnabled(true);
    this.blocked.setEnabled(true);
    this.plans.setEnabled(true);
    // Capacity that appeared before this leader took over counts for missed-unblock detection.
    for (const node of state.nodes()) {
      if (node.Status === "ready" && node.SchedulingEligibility === "eligible") {
        this.blocked.noteCapacity(node.ComputedClass, node.ModifyIndex);
      }
    }
    for (const alloc of state.allocs()) {
      if (!allocClientTerminal(alloc) && alloc.DesiredStatus === "run") continue;
      const node = state.nodeByID(alloc.NodeID);
      if (node !== undefined) this.blocked.noteCapacity(node.ComputedClass, alloc.ModifyIndex);
    }
    const evals = [...state.evals()].sort((a, b) => a.CreateIndex - b.CreateIndex);
    for (const e of evals) this.route(e);
  }

  private onApplied(index: number, command: Command): void {
    if (!this.active) return;
    const state = this.ctx.state();
    const effects = commandEffects(command, state);
    for (const id of effects.evalIds) {
      const stored = state.evalByID(id);
      if (stored !== undefined) this.route(stored);
    }
    // One unblock per class per command: a batch of thousands of finished allocations on a few
    // classes must not scan the blocked evals thousands of times.
    const classes = new Set<string>();
    for (const nodeId of effects.capacityNodeIds) {
      const node = state.nodeByID(nodeId);
      if (node !== undefined && node.Status === "ready" && node.SchedulingEligibility === "eligible") {
        classes.add(node.ComputedClass);
      }
    }
    for (const computedClass of classes) this.blocked.unblock(computedClass, index);
    for (const { namespace, id } of effects.registeredJobs) {
      const job = state.jobByID(namespace, id);
      if (job === undefined) continue;
      if (job.Stop) {
        this.periodic.remove(namespace, id);
        this.blocked.untrackJob(namespace, id);
      } else {
        this.periodic.add(job);
      }
    }
    for (const { namespace, id } of effects.deregisteredJobs) {
      this.periodic.remove(namespace, id);
      this.blocked.untrackJob(namespace, id);
    }
    for (const nodeId of effects.forgottenNodeIds) this.heartbeats.clearHeartbeatTimer(nodeId);
    this.deployments.applied(command, state);
    this.drainer.applied(command);
  }

  /** Sends an eval where its status says it belongs. */
  private route(e: Evaluation): void {
    if (e.Status === "pending") {
      this.broker.enqueue(e);
    } else if (e.Status === "blocked") {
      this.blocked.block(e);
    } else if (isTerminalEvalStatus(e.Status)) {
      this.blocked.untrack(e.ID);
    }
  }

  /** Cancels superseded evals (broker pending, blocked duplicates) in batches through Raft. */
  private scheduleCancel(): void {
    if (this.cancelling || !this.active) return;
    this.cancelling = true;
    setImmediate(() => {
      this.cancelBatches().then(
        () => {
          this.cancelling = false;
        },
        (error: unknown) => {
          this.cancelling = false;
          this.ctx.logger.warn({ err: error }, "could not cancel superseded evals");
        },
      );
    });
  }

  private async cancelBatches(): Promise<void> {
    for (;;) {
      if (!this.active) return;
      const batch = [
        ...this.broker.takeCancelable(this.config.cancelBatchSize),
        ...this.blocked.takeDuplicates(this.config.cancelBatchSize),
        // Core evals live only in the broker: a superseded one is simply dropped.
      ].filter((e) => e.Type !== "_core");
      if (batch.length === 0) return;
      const now = this.ctx.clock.now();
      const evals = batch.map((e) => ({
        ...e,
        Status: "canceled" as const,
        StatusDescription: "canceled: superseded by a more recent evaluation of the job",
        ModifyTime: now,
      }));
      await this.ctx.propose({ type: "eval-upsert", Evals: evals });
    }
  }

  /**
   * Evals that reached the delivery limit: marked failed, with a follow-up eval some minutes
   * later so that the job is retried without a storm (Nomad's reapFailedEvaluations).
   */
  private startFailedReaper(): void {
    const abort = new AbortController();
    const done = (async () => {
      while (!abort.signal.aborted) {
        const got = await this.broker.dequeue([FAILED_QUEUE], 60_000, abort.signal);
        if (got === null) continue;
        const now = this.ctx.clock.now();
        const waitMs =
          this.config.failedFollowUpMinMs +
          this.random.next() * (this.config.failedFollowUpMaxMs - this.config.failedFollowUpMinMs);
        const failed = got.eval;
        const followUp = newEvaluation(
          {
            Namespace: failed.Namespace,
            Priority: failed.Priority,
            Type: failed.Type,
            TriggeredBy: "failed-follow-up",
            JobID: failed.JobID,
            JobModifyIndex: failed.JobModifyIndex,
            PreviousEval: failed.ID,
            Wait: waitMs * 1e6,
            WaitUntil: now + waitMs * 1e6,
          },
          now,
        );
        const update: Evaluation = {
          ...failed,
          Status: "failed",
          StatusDescription: `evaluation reached the delivery limit (${this.config.broker.deliveryLimit})`,
          NextEval: followUp.ID,
          ModifyTime: now,
        };
        try {
          await this.ctx.propose({ type: "eval-upsert", Evals: [update, followUp] });
          this.broker.ack(failed.ID, got.token);
        } catch (error) {
          this.ctx.logger.warn({ evalId: failed.ID, err: error }, "could not record a failed eval");
        }
      }
    })();
    this.failedReaper = { abort, done };
  }

  /** Core GC evals are not written to Raft (as in Nomad): they go straight to the broker. */
  private enqueueCoreEvals(): void {
    for (const jobId of this.config.coreJobs) this.enqueueCoreEval(jobId);
  }

  private enqueueCoreEval(jobId: string): string {
    const state = this.ctx.state();
    const evaluation = newEvaluation(
      {
        Namespace: "-",
        Priority: CORE_JOB_PRIORITY,
        Type: "_core",
        TriggeredBy: "scheduled",
        JobID: jobId,
        SnapshotIndex: state.index,
        CreateIndex: state.index,
        ModifyIndex: state.index,
      },
      this.ctx.clock.now(),
    );
    this.broker.enqueue(evaluation);
    return evaluation.ID;
  }

  private every(ms: number, fn: () => void): void {
    const slot = this.timers.length;
    const arm = (): void => {
      this.timers[slot] = this.ctx.clock.setTimeout(() => {
        if (!this.active) return;
        fn();
        arm();
      }, ms);
    };
    arm();
  }
}
