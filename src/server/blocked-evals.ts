import type { Gauge } from "prom-client";
import type { AgentMetrics } from "../common/metrics.js";
import type { Evaluation } from "../fsm/structs.js";

/** Where unblocked evals go: the eval broker. */
export interface EvalSink {
  enqueue(evaluation: Evaluation): void;
}

const jobKey = (e: Pick<Evaluation, "Namespace" | "JobID">): string => `${e.Namespace}\u0000${e.JobID}`;

/**
 * The leader's blocked evaluations (Nomad's blocked_evals.go): evals that could not place all
 * their allocations wait here until capacity appears on a node class they could use.
 *
 * - One blocked eval per job: a newer one replaces an older one, which becomes a duplicate that
 *   the leader cancels through Raft.
 * - Evals whose eligibility was decided per computed class are "captured" and woken only by a
 *   class they found eligible or have not seen; evals whose feasibility depended on something
 *   unique to a node ("escaped" computed class) are woken by any change.
 * - Missed unblocks: an unblock that happened after the eval's snapshot but before it reached
 *   us (it was computed on older state) would be lost; `unblockIndexes` per class catches it and
 *   the eval goes straight back to the broker.
 * - Evals blocked because the worker ran out of plan attempts are retried periodically
 *   (`unblockFailed`), since no capacity change may ever come for them.
 */
export class BlockedEvals {
  private enabled = false;
  private readonly captured = new Map<string, Evaluation>();
  private readonly escaped = new Map<string, Evaluation>();
  /** Job → its one blocked eval id. */
  private readonly jobs = new Map<string, string>();
  /** Computed class → the latest Raft index at which capacity appeared on it. */
  private readonly unblockIndexes = new Map<string, number>();
  private duplicates: Evaluation[] = [];
  private duplicateListener: (() => void) | undefined;
  private readonly blockedGauge: Gauge | undefined;

  constructor(
    private readonly sink: EvalSink,
    metrics?: AgentMetrics,
  ) {
    this.blockedGauge = metrics?.gauge("drover_broker_blocked", "Evaluations blocked until capacity appears");
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    if (!enabled) this.flush();
  }

  /** Called whenever duplicates appear, so the leader can cancel them through Raft. */
  setDuplicateListener(listener: (() => void) | undefined): void {
    this.duplicateListener = listener;
  }

  /** Seeds the per-class unblock index (used when rebuilding from state on gaining leadership). */
  noteCapacity(computedClass: string, index: number): void {
    const known = this.unblockIndexes.get(computedClass) ?? 0;
    if (index > known) this.unblockIndexes.set(computedClass, index);
  }

  /** Tracks a blocked eval, or sends it straight to the broker if it missed an unblock. */
  block(evaluation: Evaluation): void {
    if (!this.enabled) return;
    const key = jobKey(evaluation);
    const existingId = this.jobs.get(key);
    if (existingId !== undefined) {
      if (existingId === evaluation.ID) {
        this.remove(existingId);
      } else {
        const existing = this.captured.get(existingId) ?? this.escaped.get(existingId);
        if (existing !== undefined && existing.CreateIndex > evaluation.CreateIndex) {
          this.addDuplicate(evaluation);
          return;
        }
        if (existing !== undefined) {
          this.remove(existingId);
          this.addDuplicate(existing);
        }
      }
    }
    if (this.missedUnblock(evaluation)) {
      this.sink.enqueue(evaluation);
      return;
    }
    this.jobs.set(key, evaluation.ID);
    (evaluation.EscapedComputedClass ? this.escaped : this.captured).set(evaluation.ID, evaluation);
    this.updateGauge();
  }

  /** Forgets an eval that left the blocked state some other way (completed, cancelled). */
  untrack(evalId: string): void {
    if (this.remove(evalId)) this.updateGauge();
  }

  /** Forgets the job's blocked eval (the job was stopped or purged). */
  untrackJob(namespace: string, jobId: string): void {
    const id = this.jobs.get(jobKey({ Namespace: namespace, JobID: jobId }));
    if (id !== undefined) this.untrack(id);
  }

  /**
   * Capacity appeared on `computedClass` at Raft index `index` (a node became ready or eligible,
   * or allocations on it ended): every eval that could use that class goes back to the broker.
   */
  unblock(computedClass: string, index: number): void {
    if (!this.enabled) return;
    this.noteCapacity(computedClass, index);
    const released: Evaluation[] = [...this.escaped.values()];
    for (const e of this.captured.values()) {
      // false: the eval found this class infeasible; true or unknown: it may fit there now.
      if (e.ClassEligibility[computedClass] !== false) released.push(e);
    }
    this.release(released);
  }

  /** Releases the evals that were blocked because their worker ran out of plan attempts. */
  unblockFailed(): void {
    if (!this.enabled) return;
    const released: Evaluation[] = [];
    for (const e of [...this.captured.values(), ...this.escaped.values()]) {
      if (e.TriggeredBy === "max-plan-attempts") released.push(e);
    }
    this.release(released);
  }

  /** Takes up to `max` superseded blocked evals for the leader to cancel through Raft. */
  takeDuplicates(max: number): Evaluation[] {
    const taken = this.duplicates.slice(0, max);
    this.duplicates = this.duplicates.slice(taken.length);
    return taken;
  }

  stats(): { blocked: number; escaped: number; captured: number; duplicates: number } {
    return {
      blocked: this.captured.size + this.escaped.size,
      escaped: this.escaped.size,
      captured: this.captured.size,
      duplicates: this.duplicates.length,
    };
  }

  /** Whether the eval is being tracked as blocked. */
  has(evalId: string): boolean {
    return this.captured.has(evalId) || this.escaped.has(evalId);
  }

  private missedUnblock(evaluation: Evaluation): boolean {
    for (const [computedClass, index] of this.unblockIndexes) {
      if (index <= evaluation.SnapshotIndex) continue;
      if (evaluation.EscapedComputedClass) return true;
      // Unknown classes count too: a node of a class the eval never saw may fit it.
      if (evaluation.ClassEligibility[computedClass] !== false) return true;
    }
    return false;
  }

  private release(evals: Evaluation[]): void {
    if (evals.length === 0) return;
    for (const e of evals) this.remove(e.ID);
    this.updateGauge();
    for (const e of evals) this.sink.enqueue(e);
  }

  private remove(evalId: string): boolean {
    const e = this.captured.get(evalId) ?? this.escaped.get(evalId);
    if (e === undefined) return false;
    this.captured.delete(evalId);
    this.escaped.delete(evalId);
    const key = jobKey(e);
    if (this.jobs.get(key) === evalId) this.jobs.delete(key);
    return true;
  }

  private addDuplicate(evaluation: Evaluation): void {
    this.duplicates.push(evaluation);
    this.duplicateListener?.();
  }

  private flush(): void {
    this.captured.clear();
    this.escaped.clear();
    this.jobs.clear();
    this.unblockIndexes.clear();
    this.duplicates = [];
    this.updateGauge();
  }

  private updateGauge(): void {
    this.blockedGauge?.set(this.captured.size + this.escaped.size);
  }
}
