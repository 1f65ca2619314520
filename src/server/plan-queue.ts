import type { Gauge } from "prom-client";
import { assert } from "../common/assert.js";
import { NotLeaderError } from "../common/errors.js";
import type { AgentMetrics } from "../common/metrics.js";
import type { Plan, PlanResult } from "../fsm/structs.js";
import { PriorityHeap } from "./priority-heap.js";

/** A plan waiting for the applier, with the promise its submitter awaits. */
export interface PendingPlan {
  readonly plan: Plan;
  readonly seq: number;
  readonly resolve: (result: PlanResult) => void;
  readonly reject: (error: Error) => void;
}

/** Higher priority first; among equals, first come first served. */
const planBefore = (a: PendingPlan, b: PendingPlan): boolean =>
  a.plan.Priority !== b.plan.Priority ? a.plan.Priority > b.plan.Priority : a.seq < b.seq;

/**
 * The leader's plan queue (Nomad's plan_queue.go): workers' plans wait here for the one applier
 * that serializes them. Enabled only on the leader; disabling fails every waiting plan with
 * NotLeaderError (the worker drops its eval, which the next leader restores from state).
 */
export class PlanQueue {
  private enabled = false;
  private seq = 0;
  private readonly heap = new PriorityHeap<PendingPlan>(planBefore);
  private waiter: ((p: PendingPlan | null) => void) | undefined;
  private readonly depthGauge: Gauge | undefined;

  constructor(metrics?: AgentMetrics) {
    this.depthGauge = metrics?.gauge("drover_plan_queue_depth", "Plans waiting for the plan applier");
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (enabled) return;
    for (const pending of this.heap.drain()) pending.reject(new NotLeaderError(undefined));
    this.depthGauge?.set(0);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(null);
  }

  get depth(): number {
    return this.heap.size;
  }

  /** Queues a plan; resolves with what the applier committed of it. */
  enqueue(plan: Plan): Promise<PlanResult> {
    if (!this.enabled) return Promise.reject(new NotLeaderError(undefined));
    return new Promise((resolve, reject) => {
      const pending: PendingPlan = { plan, seq: this.seq++, resolve, reject };
      const waiter = this.waiter;
      if (waiter !== undefined) {
        this.waiter = undefined;
        waiter(pending);
        return;
      }
      this.heap.push(pending);
      this.depthGauge?.set(this.heap.size);
    });
  }

  /** The next plan in order, waiting for one; null once the queue is disabled or `signal` aborts. */
  dequeue(signal?: AbortSignal): Promise<PendingPlan | null> {
    const next = this.heap.pop();
    if (next !== undefined) {
      this.depthGauge?.set(this.heap.size);
      return Promise.resolve(next);
    }
    if (!this.enabled || signal?.aborted === true) return Promise.resolve(null);
    assert(this.waiter === undefined, "plan queue: only one applier may dequeue at a time");
    return new Promise((resolve) => {
      const onAbort = (): void => {
        if (this.waiter === wake) this.waiter = undefined;
        resolve(null);
      };
      const wake = (p: PendingPlan | null): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve(p);
      };
      this.waiter = wake;
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
