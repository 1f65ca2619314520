import { updateDeploymentWithAlloc } from "./deployment-progress.js";
import { updateSummaryWithAlloc } from "./job-summary.js";
import type { StateTxn } from "./state-txn.js";
import type { Allocation } from "./structs.js";

/** Writes one allocation and everything derived from it: job summary and deployment counters. */
export function writeAlloc(
  txn: StateTxn,
  alloc: Allocation,
  existing: Allocation | undefined,
  fromEntry = false,
): void {
  txn.putAlloc(alloc, fromEntry);
  updateSummaryWithAlloc(txn, alloc, existing);
  updateDeploymentWithAlloc(txn, alloc, existing);
}
