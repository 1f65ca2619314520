import type { StateTxn } from "./state-txn.js";
import type {
  Allocation,
  AllocClientStatus,
  Evaluation,
  Job,
  JobSummary,
  JobTaskGroupSummary,
} from "./structs.js";

/**
 * Job summaries, maintained by apply as Nomad's state store does: one count per task group of
 * allocations Queued (from the last evaluation's QueuedAllocations), Starting (pending),
 * Running, Complete, Failed, Lost and Unknown.
 */

export function emptyGroupSummary(): JobTaskGroupSummary {
  return { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 };
}

/** Ensures the job has a summary with an entry for each of its task groups (Nomad updateSummaryWithJob). */
export function ensureSummaryForJob(txn: StateTxn, job: Job): void {
  const existing = txn.summary(job.Namespace, job.ID);
  if (existing !== undefined && job.TaskGroups.every((tg) => Object.hasOwn(existing.Summary, tg.Name)))
    return;
  const summary: Record<string, JobTaskGroupSummary> = { ...(existing?.Summary ?? {}) };
  for (const tg of job.TaskGroups) summary[tg.Name] ??= emptyGroupSummary();
  const next: JobSummary = {
    JobID: job.ID,
    Namespace: job.Namespace,
    Summary: summary,
    Children: existing?.Children ?? { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: existing?.CreateIndex ?? txn.index,
    ModifyIndex: txn.index,
  };
  txn.putSummary(next);
}

type Bin = "Starting" | "Running" | "Complete" | "Failed" | "Lost" | "Unknown";

const BIN: Readonly<Record<AllocClientStatus, Bin>> = {
  pending: "Starting",
  running: "Running",
  complete: "Complete",
  failed: "Failed",
  lost: "Lost",
  unknown: "Unknown",
};

/**
 * Moves one allocation between summary bins after it was written (Nomad updateSummaryWithAlloc):
 * a new pending alloc leaves Queued for Starting; a client status change moves it from the old
 * status's bin to the new one. Counts never go below zero.
 */
export function updateSummaryWithAlloc(
  txn: StateTxn,
  alloc: Allocation,
  existing: Allocation | undefined,
): void {
  if (existing !== undefined && existing.ClientStatus === alloc.ClientStatus) return;
  if (existing === undefined && alloc.ClientStatus !== "pending") return;
  // A private copy for this transaction: a plan of 1,000 allocs copies the summary once.
  const group = txn.summaryDraft(alloc.Namespace, alloc.JobID)?.Summary[alloc.TaskGroup];
  if (group === undefined) return;
  if (existing === undefined) {
    // Only a fresh pending placement counts: it consumed one queued placement.
    group.Starting += 1;
    if (group.Queued > 0) group.Queued -= 1;
  } else {
    group[BIN[alloc.ClientStatus]] += 1;
    const from = BIN[existing.ClientStatus];
    if (group[from] > 0) group[from] -= 1;
  }
}

/** Sets Queued from a completed scheduling pass (Nomad nestedUpsertEval). */
export function updateSummaryWithEval(txn: StateTxn, evaluation: Evaluation): void {
  const queued = Object.entries(evaluation.QueuedAllocations);
  if (queued.length === 0) return;
  const summary = txn.summary(evaluation.Namespace, evaluation.JobID);
  if (summary === undefined) return;
  let changed = false;
  const groups = { ...summary.Summary };
  for (const [name, count] of queued) {
    const group = groups[name];
    if (group === undefined || group.Queued === count) continue;
    groups[name] = { ...group, Queued: count };
    changed = true;
  }
  if (changed) txn.putSummary({ ...summary, Summary: groups, ModifyIndex: txn.index });
}
