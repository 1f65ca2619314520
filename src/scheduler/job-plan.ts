import { makeEvaluation } from "../fsm/evaluation.js";
import { nextJobVersion } from "../fsm/job-version.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { AllocMetric, Evaluation, Job, Nanos, Plan } from "../fsm/structs.js";
import { schedule } from "./index.js";
import { type JobDiff, jobDiff, type TaskGroupDiff } from "./job-diff.js";
import { JobOverlayReader } from "./job-overlay.js";
import { type DesiredTGUpdates, emptyDesiredUpdates, type PlanAnnotations } from "./schedule-types.js";
import { tasksUpdated } from "./tasks-updated.js";

/** Nomad's JobPlanResponse, as `POST /v1/job/:id/plan` answers it. */
export interface JobPlanResult {
  /** The stored job's JobModifyIndex (0 when new): what `job run -check-index` must be given. */
  JobModifyIndex: number;
  /** The same index (Nomad's write meta of the plan). */
  Index: number;
  Diff: JobDiff | null;
  Annotations: PlanAnnotations;
  FailedTGAllocs: Record<string, AllocMetric>;
  /** Evals the scheduler would create (blocked, follow-ups); never committed. */
  CreatedEvals: Evaluation[];
  /** The plan the scheduler produced (null when nothing would change); never submitted. */
  Plan: Plan | null;
  Warnings: string;
}

export interface JobPlanOptions {
  now: Nanos;
  seed: number;
  /** The synthetic eval's ID (the caller's; the scheduler draws no randomness of its own). */
  evalId: string;
  /** Compute the job diff (Nomad's `Diff: true`). */
  diff: boolean;
}

/** Nomad's words for each desired update, as TaskGroupDiff.Updates keys them. */
const UPDATE_WORDS: ReadonlyArray<readonly [keyof DesiredTGUpdates, string]> = [
  ["Place", "create"],
  ["Stop", "destroy"],
  ["Migrate", "migrate"],
  ["InPlaceUpdate", "in-place update"],
  ["DestructiveUpdate", "create/destroy update"],
  ["Ignore", "ignore"],
  ["Canary", "canary"],
];

/**
 * Nomad's Job.Plan, as a pure function of a snapshot: the submitted job is overlaid on `reader`
 * as the version the store would make of it, a synthetic eval (AnnotatePlan) is scheduled
 * against the overlay, and the result — desired updates per group, placement failures, the
 * evals it would create — is answered with the diff from the stored job. Nothing is written.
 */
export function planJob(reader: StateReader, submitted: Job, options: JobPlanOptions): JobPlanResult {
  const existing = reader.jobByID(submitted.Namespace, submitted.ID);
  const proposed = nextJobVersion(existing, submitted, reader.index + 1);
  const evaluation = makeEvaluation(
    {
      ID: options.evalId,
      Namespace: proposed.Namespace,
      Priority: proposed.Priority,
      Type: proposed.Type,
      TriggeredBy: "job-register",
      JobID: proposed.ID,
      JobModifyIndex: proposed.JobModifyIndex,
      AnnotatePlan: true,
    },
    options.now,
  );
  const index = existing?.JobModifyIndex ?? 0;
  // Periodic and parameterized parents are never scheduled themselves, only their children.
  const launched = proposed.Periodic !== null || proposed.ParameterizedJob !== null;
  const result = launched
    ? null
    : schedule(new JobOverlayReader(reader, proposed), evaluation, { now: options.now, seed: options.seed });
  const annotations = result?.annotations ?? planAnnotations(result?.plan ?? null, proposed);
  for (const group of proposed.TaskGroups) {
    annotations.DesiredTGUpdates[group.Name] ??= emptyDesiredUpdates();
  }
  let diff: JobDiff | null = null;
  if (options.diff) {
    diff = jobDiff(existing, submitted);
    annotateDiff(diff, annotations, existing, proposed);
  }
  return {
    JobModifyIndex: index,
    Index: index,
    Diff: diff,
    Annotations: annotations,
    FailedTGAllocs: result?.eval.FailedTGAllocs ?? {},
    CreatedEvals: result?.createEvals ?? [],
    Plan: result?.plan ?? null,
    Warnings: "",
  };
}

/**
 * Annotations read off a plan, for schedulers that do not count their decisions (system,
 * sysbatch): a new allocation is a create (or, replacing one the plan stops, a create/destroy
 * update), an existing one an in-place update, any other stop a destroy.
 */
export function planAnnotations(plan: Plan | null, job: Job): PlanAnnotations {
  const updates: Record<string, DesiredTGUpdates> = {};
  const entry = (group: string): DesiredTGUpdates => {
    updates[group] ??= emptyDesiredUpdates();
    return updates[group];
  };
  for (const group of job.TaskGroups) entry(group.Name);
  if (plan === null) return { DesiredTGUpdates: updates, PreemptedAllocs: [] };
  const stopped = new Set<string>();
  for (const list of Object.values(plan.NodeUpdate)) for (const a of list) stopped.add(a.ID);
  const replaced = new Set<string>();
  for (const list of Object.values(plan.NodeAllocation)) {
    for (const alloc of list) {
      const e = entry(alloc.TaskGroup);
      if (alloc.CreateIndex > 0) e.InPlaceUpdate++;
      else if (alloc.PreviousAllocation !== "" && stopped.has(alloc.PreviousAllocation)) {
        e.DestructiveUpdate++;
        replaced.add(alloc.PreviousAllocation);
      } else e.Place++;
      e.Preemptions += alloc.PreemptedAllocations.length;
    }
  }
  for (const list of Object.values(plan.NodeUpdate)) {
    for (const alloc of list) if (!replaced.has(alloc.ID)) entry(alloc.TaskGroup).Stop++;
  }
  const preempted = Object.values(plan.NodePreemptions).flat();
  return { DesiredTGUpdates: updates, PreemptedAllocs: preempted };
}

/**
 * Nomad's scheduler/annotate.go: each group's Updates from the desired updates, and each edited
 * task's annotation — "forces create/destroy update" when the change needs new allocations,
 * "forces in-place update" otherwise; added tasks "forces create", deleted ones "forces destroy".
 */
export function annotateDiff(
  diff: JobDiff,
  annotations: PlanAnnotations,
  oldJob: Job | undefined,
  newJob: Job,
): void {
  for (const group of diff.TaskGroups ?? []) {
    const desired = annotations.DesiredTGUpdates[group.Name];
    if (desired !== undefined) group.Updates = updateWords(desired);
    annotateTasks(group, oldJob, newJob);
  }
}

function updateWords(desired: DesiredTGUpdates): Record<string, number> | null {
  const words: Record<string, number> = {};
  for (const [key, word] of UPDATE_WORDS) if (desired[key] > 0) words[word] = desired[key];
  return Object.keys(words).length === 0 ? null : words;
}

function annotateTasks(group: TaskGroupDiff, oldJob: Job | undefined, newJob: Job): void {
  const oldGroup = oldJob?.TaskGroups.find((g) => g.Name === group.Name);
  const newGroup = newJob.TaskGroups.find((g) => g.Name === group.Name);
  const destructive =
    oldJob !== undefined &&
    oldGroup !== undefined &&
    newGroup !== undefined &&
    tasksUpdated(oldJob, oldGroup, newJob, newGroup);
  for (const task of group.Tasks ?? []) {
    if (task.Type === "Added") task.Annotations = ["forces create"];
    else if (task.Type === "Deleted") task.Annotations = ["forces destroy"];
    else if (task.Type === "Edited") {
      task.Annotations = [destructive ? "forces create/destroy update" : "forces in-place update"];
    }
  }
}
