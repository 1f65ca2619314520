import { writeAlloc } from "./alloc-write.js";
import { upsertEvals } from "./apply-eval.js";
import type { AllocClientUpdateCommand, AllocDesiredTransitionCommand, IndexResult } from "./commands.js";
import type { StateTxn } from "./state-txn.js";
import type { Allocation, AllocDeploymentStatus } from "./structs.js";

/**
 * Client-reported status (Nomad nestedUpdateAllocFromClient): the client is the authority on its
 * status, task states and deployment health; AllocModifyIndex (the servers' changes) stays.
 * Updates for allocations already garbage collected are dropped, as Nomad does.
 */
export function applyAllocClientUpdate(txn: StateTxn, command: AllocClientUpdateCommand): IndexResult {
  for (const update of command.Allocs) {
    const existing = txn.alloc(update.ID);
    if (existing === undefined) continue;
    const updated: Allocation = {
      ...existing,
      ClientStatus: update.ClientStatus,
      ClientDescription: update.ClientDescription,
      TaskStates: update.TaskStates,
      DeploymentStatus: mergeHealth(existing.DeploymentStatus, update.DeploymentStatus, txn.index),
      ModifyIndex: txn.index,
      ModifyTime: update.ModifyTime,
    };
    writeAlloc(txn, updated, existing);
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}

function mergeHealth(
  stored: AllocDeploymentStatus | null,
  reported: AllocDeploymentStatus | null,
  index: number,
): AllocDeploymentStatus | null {
  if (reported === null || reported.Healthy === null) return stored;
  if (stored === null) return { ...reported, ModifyIndex: index };
  if (stored.Healthy === reported.Healthy) return stored;
  return { ...stored, Healthy: reported.Healthy, Timestamp: reported.Timestamp, ModifyIndex: index };
}

export function applyAllocDesiredTransition(
  txn: StateTxn,
  command: AllocDesiredTransitionCommand,
): IndexResult {
  for (const [id, transition] of Object.entries(command.Transitions)) {
    const existing = txn.alloc(id);
    if (existing === undefined) continue;
    writeAlloc(
      txn,
      {
        ...existing,
        DesiredTransition: { ...existing.DesiredTransition, ...transition },
        ModifyIndex: txn.index,
      },
      existing,
    );
  }
  upsertEvals(txn, command.Evals);
  return { Index: txn.index };
}
