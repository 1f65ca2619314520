import { updateSummaryWithEval } from "./job-summary.js";
import type { StateTxn } from "./state-txn.js";
import type { Evaluation } from "./structs.js";

/**
 * Upserts evaluations (Nomad nestedUpsertEval): indexes from the entry, Queued counts into the
 * job summary, and — when an eval completed with every placement made — cancels the job's other
 * blocked evals, which no longer have anything to wait for.
 */
export function upsertEvals(txn: StateTxn, evals: readonly Evaluation[]): void {
  for (const evaluation of evals) upsertEval(txn, evaluation);
}

export function upsertEval(txn: StateTxn, evaluation: Evaluation): void {
  const existing = txn.evaluation(evaluation.ID);
  const stored: Evaluation = {
    ...evaluation,
    CreateIndex: existing?.CreateIndex ?? txn.index,
    ModifyIndex: txn.index,
  };
  txn.putEval(stored);
  updateSummaryWithEval(txn, stored);
  if (stored.Status === "complete" && Object.keys(stored.FailedTGAllocs).length === 0) {
    cancelBlockedEvals(txn, stored);
  }
}

function cancelBlockedEvals(txn: StateTxn, done: Evaluation): void {
  for (const other of txn.evalsOfJob(done.Namespace, done.JobID)) {
    if (other.ID === done.ID || other.Status !== "blocked") continue;
    txn.putEval({
      ...other,
      Status: "canceled",
      StatusDescription: `evaluation "${done.ID}" successful`,
      ModifyIndex: txn.index,
      ModifyTime: done.ModifyTime,
    });
  }
}
