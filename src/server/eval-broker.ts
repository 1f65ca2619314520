import { randomUUID } from "node:crypto";
import type { Gauge } from "prom-client";
import { assert } from "../common/assert.js";
import { StaleEvalTokenError } from "../common/errors.js";
import type { AgentMetrics } from "../common/metrics.js";
import type { Evaluation } from "../fsm/structs.js";
import type { CancelTimer, Clock } from "./clock.js";
import { PriorityHeap } from "./priority-heap.js";

/** The queue that evals go to once they have been nacked `deliveryLimit` times. */
export const FAILED_QUEUE = "_failed";

/** Every queue the broker can hold (a bounded label set for its gauges). */
const BROKER_QUEUES: readonly string[] = ["service", "batch", "system", "sysbatch", "_core", FAILED_QUEUE];

export interface EvalBrokerConfig {
  /** An unacked eval is nacked automatically after this long (Nomad: 60 s). */
  nackTimeoutMs: number;
  /** Deliveries before an eval goes to the failed queue (Nomad: 3). */
  deliveryLimit: number;
  /** Delay before a nacked eval is ready again, after its first delivery (Nomad: 1 s). */
  initialNackDelayMs: number;
  /** Delay before a nacked eval is ready again, after later deliveries (Nomad: 20 s). */
  subsequentNackDelayMs: number;
}

export const DEFAULT_EVAL_BROKER_CONFIG: EvalBrokerConfig = {
  nackTimeoutMs: 60_000,
  deliveryLimit: 3,
  initialNackDelayMs: 1_000,
  subsequentNackDelayMs: 20_000,
};

/** What a worker gets from the broker: the eval and the token that proves it holds it. */
export interface Dequeued {
  readonly eval: Evaluation;
  readonly token: string;
}

interface Unacked {
  readonly eval: Evaluation;
  readonly token: string;
  /** The nack timer; null while paused (the eval's plan is in the plan queue). */
  cancelNack: CancelTimer | null;
}

interface Waiter {
  readonly schedulers: readonly string[];
  readonly resolve: (value: Dequeued | null) => void;
  cancelTimer: CancelTimer;
  cleanup: () => void;
}

const jobKey = (e: Pick<Evaluation, "Namespace" | "JobID">): string => `${e.Namespace}\u0000${e.JobID}`;

/** Ready order: higher priority first, then older (lower CreateIndex) first. */
const readyBefore = (a: Evaluation, b: Evaluation): boolean =>
  a.Priority !== b.Priority ? a.Priority > b.Priority : a.CreateIndex < b.CreateIndex;

/** Release order among one job's pending evals: higher priority, then the newest. */
const pendingBefore = (a: Evaluation, b: Evaluation): boolean =>
  a.Priority !== b.Priority ? a.Priority > b.Priority : a.ModifyIndex > b.ModifyIndex;

/**
 * The leader's eval broker (Nomad's eval_broker.go). Evaluations wait in one ready queue per
 * scheduler type, ordered by priority then age, and are handed to workers with a token.
 *
 * Invariant 4 (docs/architecture.md): at most one eval per job is ready or unacked at any time
 * (`jobEvals`); later evals of the job wait in `pending`. When the outstanding one is acked, the
 * newest pending eval is released (it is scheduled against state that covers all the others) and
 * the rest become cancelable, for the leader to cancel in batches through Raft.
 *
 * The broker is only enabled on the leader. Disabling flushes everything: the next leader
 * rebuilds the broker from the replicated state. Dequeue callers are never failed by a disabled
 * broker: they wait (long poll) and get `null` at their timeout.
 */
export class EvalBroker {
  private enabled = false;
  /** Every eval the broker tracks (ready, unacked, pending, delayed) → deliveries so far. */
  private readonly evals = new Map<string, number>();
  /** Job → the id of its one ready-or-unacked eval. */
  private readonly jobEvals = new Map<string, string>();
  private readonly pending = new Map<string, PriorityHeap<Evaluation>>();
  private cancelable: Evaluation[] = [];
  private readonly ready = new Map<string, PriorityHeap<Evaluation>>();
  private readonly unack = new Map<string, Unacked>();
  /** Token → an eval enqueued again while that delivery was unacked; enqueued on ack. */
  private readonly requeue = new Map<string, Evaluation>();
  /** Evals waiting for their WaitUntil or for a nack delay to pass. */
  private readonly delayed = new Map<string, CancelTimer>();
  private waiters: Waiter[] = [];
  private readonly enabledListeners = new Set<() => void>();
  private cancelableListener: (() => void) | undefined;

  private readonly readyGauge: Gauge | undefined;
  private readonly unackedGauge: Gauge | undefined;
  /** drover_broker_ready by scheduler type: one child per type, set on every change. */
  private readonly readyBySchedulerGauges: ReadonlyArray<readonly [string, Gauge.Internal<string>]>;

  constructor(
    private readonly clock: Clock,
    private readonly config: EvalBrokerConfig = DEFAULT_EVAL_BROKER_CONFIG,
    metrics?: AgentMetrics,
  ) {
    assert(config.deliveryLimit >= 1, "eval broker: deliveryLimit must be at least 1");
    this.readyGauge = metrics?.gauge("drover_broker_ready", "Evaluations ready to be dequeued");
    this.unackedGauge = metrics?.gauge("drover_broker_unacked", "Evaluations dequeued and not yet acked");
    const byScheduler = metrics?.gauge(
      "drover_broker_ready_by_scheduler",
      "Evaluations ready to be dequeued, by scheduler type (_failed: out of deliveries, for the GC)",
      ["scheduler"],
    );
    this.readyBySchedulerGauges =
      byScheduler === undefined
        ? []
        : BROKER_QUEUES.map((queue) => [queue, byScheduler.labels(queue)] as const);
    this.updateGauges();
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /** Enabled on gaining leadership, disabled (and flushed) on losing it. */
  setEnabled(enabled: boolean): void {
    const was = this.enabled;
    this.enabled = enabled;
    if (!enabled && was) this.flush();
    if (enabled && !was) for (const listener of this.enabledListeners) listener();
  }

  /** Called whenever evals become cancelable, so the leader can cancel them through Raft. */
  setCancelableListener(listener: (() => void) | undefined): void {
    this.cancelableListener = listener;
  }

  /**
   * Enqueues an eval (pending, blocked-then-unblocked, or follow-up). Ignored while disabled
   * (the next leader restores from state) and for evals already tracked. An eval enqueued again
   * while it is unacked (its worker re-submitted it) is kept until the current delivery is acked.
   */
  enqueue(evaluation: Evaluation): void {
    if (!this.enabled) return;
    const outstanding = this.unack.get(evaluation.ID);
    if (outstanding !== undefined) {
      this.requeue.set(outstanding.token, evaluation);
      return;
    }
    if (this.evals.has(evaluation.ID)) return;
    this.evals.set(evaluation.ID, 0);
    const waitMs = (evaluation.WaitUntil - this.clock.now()) / 1e6;
    if (evaluation.WaitUntil > 0 && waitMs > 0) {
      this.delay(evaluation, waitMs);
    } else {
      this.processEnqueue(evaluation, evaluation.Type);
    }
    this.updateGauges();
  }

  enqueueAll(evals: Iterable<Evaluation>): void {
    for (const e of evals) this.enqueue(e);
  }

  /**
   * Hands out the best ready eval among `schedulers` (highest priority, then oldest), waiting up
   * to `timeoutMs` for one; `null` when none came (or the signal aborted).
   */
  dequeue(schedulers: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<Dequeued | null> {
    const now = this.tryDequeue(schedulers);
    if (now !== null || timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        schedulers,
        resolve,
        cancelTimer: () => {},
        cleanup: () => {},
      };
      const finish = (): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.cancelTimer();
        waiter.cleanup();
      };
      waiter.cancelTimer = this.clock.setTimeout(() => {
        finish();
        resolve(null);
      }, timeoutMs);
      if (signal !== undefined) {
        const onAbort = (): void => {
          finish();
          resolve(null);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      this.waiters.push(waiter);
    });
  }

  /** The token of the eval's outstanding delivery, if it is unacked. */
  outstanding(evalId: string): string | undefined {
    return this.unack.get(evalId)?.token;
  }

  /** Restarts the nack timer of an outstanding eval (a worker shows it is still alive). */
  outstandingReset(evalId: string, token: string): void {
    const entry = this.checkToken(evalId, token);
    if (entry.cancelNack === null) return;
    entry.cancelNack();
    entry.cancelNack = this.startNackTimer(entry);
  }

  /** Stops the nack timer while the eval's plan waits in the plan queue (Nomad's PauseNackTimeout). */
  pauseNackTimeout(evalId: string, token: string): void {
    const entry = this.checkToken(evalId, token);
    entry.cancelNack?.();
    entry.cancelNack = null;
  }

  resumeNackTimeout(evalId: string, token: string): void {
    const entry = this.checkToken(evalId, token);
    if (entry.cancelNack !== null) return;
    entry.cancelNack = this.startNackTimer(entry);
  }

  /** The worker is done with the eval: it leaves the broker, and its job's next eval is released. */
  ack(evalId: string, token: string): void {
    const entry = this.checkToken(evalId, token);
    entry.cancelNack?.();
    this.unack.delete(evalId);
    this.evals.delete(evalId);
    const key = jobKey(entry.eval);
    if (this.jobEvals.get(key) === evalId) this.jobEvals.delete(key);
    const again = this.requeue.get(token);
    this.requeue.delete(token);
    if (again !== undefined) this.enqueue(again);
    this.releasePending(key);
    this.updateGauges();
  }

  /**
   * The worker gave up on the eval (or its nack timer fired): it is ready again after a delay,
   * or goes to the failed queue once it has been delivered `deliveryLimit` times.
   */
  nack(evalId: string, token: string): void {
    const entry = this.checkToken(evalId, token);
    entry.cancelNack?.();
    this.unack.delete(evalId);
    this.requeue.delete(token);
    const deliveries = this.evals.get(evalId) ?? 0;
    // The job's slot in jobEvals stays with this eval while it waits, so no other eval of the
    // job is handed out in between (invariant 4) and the job's evals keep their order.
    if (deliveries >= this.config.deliveryLimit) {
      this.pushReady(entry.eval, FAILED_QUEUE);
    } else {
      const delayMs = deliveries <= 1 ? this.config.initialNackDelayMs : this.config.subsequentNackDelayMs;
      this.delayed.set(
        evalId,
        this.clock.setTimeout(() => {
          this.delayed.delete(evalId);
          this.pushReady(entry.eval, entry.eval.Type);
          this.updateGauges();
        }, delayMs),
      );
    }
    this.updateGauges();
  }

  /** Takes up to `max` superseded pending evals for the leader to cancel through Raft. */
  takeCancelable(max: number): Evaluation[] {
    const taken = this.cancelable.slice(0, max);
    this.cancelable = this.cancelable.slice(taken.length);
    return taken;
  }

  /** Registers `fn` to run every time the broker becomes enabled; returns an unsubscribe. */
  onEnabled(fn: () => void): () => void {
    this.enabledListeners.add(fn);
    return () => this.enabledListeners.delete(fn);
  }

  stats(): {
    ready: number;
    unacked: number;
    pending: number;
    delayed: number;
    failed: number;
    cancelable: number;
    byScheduler: Record<string, number>;
  } {
    let ready = 0;
    const byScheduler: Record<string, number> = {};
    for (const [queue, heap] of this.ready) {
      byScheduler[queue] = heap.size;
      if (queue !== FAILED_QUEUE) ready += heap.size;
    }
    let pending = 0;
    for (const heap of this.pending.values()) pending += heap.size;
    return {
      ready,
      unacked: this.unack.size,
      pending,
      delayed: this.delayed.size,
      failed: this.ready.get(FAILED_QUEUE)?.size ?? 0,
      cancelable: this.cancelable.length,
      byScheduler,
    };
  }

  private processEnqueue(evaluation: Evaluation, queue: string): void {
    const key = jobKey(evaluation);
    const holder = this.jobEvals.get(key);
    if (holder !== undefined && holder !== evaluation.ID) {
      let heap = this.pending.get(key);
      if (heap === undefined) {
        heap = new PriorityHeap(pendingBefore);
        this.pending.set(key, heap);
      }
      heap.push(evaluation);
      return;
    }
    this.jobEvals.set(key, evaluation.ID);
    this.pushReady(evaluation, queue);
  }

  private pushReady(evaluation: Evaluation, queue: string): void {
    let heap = this.ready.get(queue);
    if (heap === undefined) {
      heap = new PriorityHeap(readyBefore);
      this.ready.set(queue, heap);
    }
    heap.push(evaluation);
    this.wakeWaiters();
  }

  private releasePending(key: string): void {
    const heap = this.pending.get(key);
    if (heap === undefined) return;
    this.pending.delete(key);
    const next = heap.pop();
    assert(next !== undefined, "eval broker: empty pending heap kept for a job");
    const superseded = heap.drain();
    for (const e of superseded) this.evals.delete(e.ID);
    this.processEnqueue(next, next.Type);
    if (superseded.length > 0) {
      this.cancelable.push(...superseded);
      this.cancelableListener?.();
    }
  }

  private delay(evaluation: Evaluation, ms: number): void {
    this.delayed.set(
      evaluation.ID,
      this.clock.setTimeout(() => {
        this.delayed.delete(evaluation.ID);
        this.processEnqueue(evaluation, evaluation.Type);
        this.updateGauges();
      }, ms),
    );
  }

  private tryDequeue(schedulers: readonly string[]): Dequeued | null {
    if (!this.enabled) return null;
    let best: PriorityHeap<Evaluation> | undefined;
    for (const scheduler of schedulers) {
      const heap = this.ready.get(scheduler);
      const top = heap?.peek();
      if (heap === undefined || top === undefined) continue;
      const bestTop = best?.peek();
      if (bestTop === undefined || readyBefore(top, bestTop)) best = heap;
    }
    const evaluation = best?.pop();
    if (evaluation === undefined) return null;
    const token = randomUUID();
    const entry: Unacked = { eval: evaluation, token, cancelNack: null };
    entry.cancelNack = this.startNackTimer(entry);
    this.unack.set(evaluation.ID, entry);
    this.evals.set(evaluation.ID, (this.evals.get(evaluation.ID) ?? 0) + 1);
    this.updateGauges();
    return { eval: evaluation, token };
  }

  private wakeWaiters(): void {
    if (!this.enabled) return;
    for (const waiter of [...this.waiters]) {
      const got = this.tryDequeue(waiter.schedulers);
      if (got === null) continue;
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.cancelTimer();
      waiter.cleanup();
      waiter.resolve(got);
    }
  }

  private startNackTimer(entry: Unacked): CancelTimer {
    return this.clock.setTimeout(() => {
      // Only if this very delivery is still outstanding (not acked, nacked or flushed since).
      if (this.unack.get(entry.eval.ID) === entry) this.nack(entry.eval.ID, entry.token);
    }, this.config.nackTimeoutMs);
  }

  private checkToken(evalId: string, token: string): Unacked {
    const entry = this.unack.get(evalId);
    if (entry === undefined) throw new StaleEvalTokenError(evalId, "not outstanding");
    if (entry.token !== token) throw new StaleEvalTokenError(evalId, "token does not match");
    return entry;
  }

  private flush(): void {
    for (const entry of this.unack.values()) entry.cancelNack?.();
    for (const cancel of this.delayed.values()) cancel();
    this.unack.clear();
    this.delayed.clear();
    this.evals.clear();
    this.jobEvals.clear();
    this.pending.clear();
    this.ready.clear();
    this.requeue.clear();
    this.cancelable = [];
    this.updateGauges();
  }

  private updateGauges(): void {
    if (this.readyGauge === undefined || this.unackedGauge === undefined) return;
    let ready = 0;
    for (const [queue, heap] of this.ready) if (queue !== FAILED_QUEUE) ready += heap.size;
    this.readyGauge.set(ready);
    this.unackedGauge.set(this.unack.size);
    for (const [queue, gauge] of this.readyBySchedulerGauges) gauge.set(this.ready.get(queue)?.size ?? 0);
  }
}
