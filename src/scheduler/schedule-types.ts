import type { GcRequest } from "../fsm/commands.js";
import type { Allocation, Evaluation, Nanos, Plan } from "../fsm/structs.js";

/** Nomad's default garbage-collection thresholds (server config `*_gc_threshold`). */
export interface GcThresholds {
  /** Terminal evals (and their terminal allocs) older than this are removed: 1 h. */
  evalGcThreshold: Nanos;
  /** The same for evals of batch jobs: 24 h. */
  batchEvalGcThreshold: Nanos;
  /** Dead jobs whose evals and allocs are all terminal and older than this are removed: 4 h. */
  jobGcThreshold: Nanos;
  /** Nodes down for longer than this, with no live allocs, are removed: 24 h. */
  nodeGcThreshold: Nanos;
  /** Terminal deployments older than this (by their job's latest activity) are removed: 1 h. */
  deploymentGcThreshold: Nanos;
}

export const DEFAULT_GC_THRESHOLDS: GcThresholds = {
  evalGcThreshold: 3600e9,
  batchEvalGcThreshold: 24 * 3600e9,
  jobGcThreshold: 4 * 3600e9,
  nodeGcThreshold: 24 * 3600e9,
  deploymentGcThreshold: 3600e9,
};

export interface ScheduleOptions {
  /** The scheduling time (Unix ns), chosen by the worker before it calls the scheduler. */
  now: Nanos;
  /** Seed of the PRNG for node shuffling, port picks and ids: same inputs and seed, same plan. */
  seed: number;
  /** The broker token the worker holds for the eval, copied into Plan.EvalToken. */
  evalToken?: string;
  /** Overrides of the core scheduler's GC thresholds (server config). */
  gc?: Partial<GcThresholds>;
}

export type { GcRequest };

export interface ScheduleResult {
  /** The plan to submit; null when nothing changes. SnapshotIndex = reader.index. */
  plan: Plan | null;
  /**
   * The eval, updated: Status "complete" (placement failures are carried by a blocked eval in
   * createEvals and named in BlockedEval), "blocked" when the eval was itself a blocked eval that
   * still cannot place everything (the worker re-blocks it), "failed" for an eval the scheduler
   * cannot process (unknown type; the worker also fails evals after max plan attempts).
   * FailedTGAllocs, QueuedAllocations, ClassEligibility, EscapedComputedClass, NextEval and
   * StatusDescription are filled in.
   */
  eval: Evaluation;
  /** New evals to commit with the plan: blocked, delayed reschedule follow-ups, preemption, rolling. */
  createEvals: Evaluation[];
  /** Only from the core scheduler: what to garbage-collect; null otherwise. */
  gc: GcRequest | null;
  /** What the scheduler wanted per task group, only for an eval with AnnotatePlan (job plan). */
  annotations?: PlanAnnotations;
}

/** Nomad's DesiredUpdates: what the scheduler wants done to one task group's allocations. */
export interface DesiredTGUpdates {
  Place: number;
  Stop: number;
  InPlaceUpdate: number;
  DestructiveUpdate: number;
  Ignore: number;
  Canary: number;
  Migrate: number;
  Preemptions: number;
}

/** Nomad's PlanAnnotations: the scheduler's reasoning, filled in for dry runs (AnnotatePlan). */
export interface PlanAnnotations {
  DesiredTGUpdates: Record<string, DesiredTGUpdates>;
  PreemptedAllocs: Allocation[];
}

export function emptyDesiredUpdates(): DesiredTGUpdates {
  return {
    Place: 0,
    Stop: 0,
    InPlaceUpdate: 0,
    DestructiveUpdate: 0,
    Ignore: 0,
    Canary: 0,
    Migrate: 0,
    Preemptions: 0,
  };
}
