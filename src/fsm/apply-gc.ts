import type { EvalDeleteCommand, GcDeleteCommand, IndexResult } from "./commands.js";
import type { StateTxn } from "./state-txn.js";
import { nsKey } from "./tables.js";

/**
 * Garbage collection: deletes whatever of the listed objects still exists. Returns the jobs whose
 * evals or allocs went away, for which Nomad's status rule says "dead" (evalDelete).
 */
export function applyGcDelete(
  txn: StateTxn,
  command: GcDeleteCommand | EvalDeleteCommand,
): {
  result: IndexResult;
  evalsDeletedJobs: Set<string>;
} {
  const evalsDeletedJobs = new Set<string>();
  for (const id of command.EvalIDs) {
    const evaluation = txn.evaluation(id);
    if (evaluation === undefined) continue;
    const key = nsKey(evaluation.Namespace, evaluation.JobID);
    evalsDeletedJobs.add(key);
    txn.touchedJobs.add(key);
    txn.deleteEval(id);
  }
  for (const id of command.AllocIDs) {
    const alloc = txn.alloc(id);
    if (alloc === undefined) continue;
    const key = nsKey(alloc.Namespace, alloc.JobID);
    evalsDeletedJobs.add(key);
    txn.touchedJobs.add(key);
    txn.deleteAlloc(id);
  }
  if (command.type === "gc-delete") {
    for (const id of command.DeploymentIDs) txn.deleteDeployment(id);
    for (const job of command.Jobs) txn.deleteJob(job.Namespace, job.ID);
    for (const id of command.NodeIDs) txn.deleteNode(id);
  }
  return { result: { Index: txn.index }, evalsDeletedJobs };
}
