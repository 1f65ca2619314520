import { writeAlloc } from "./alloc-write.js";
import { applyDeploymentStatusUpdate } from "./apply-deployment-status.js";
import { upsertEval } from "./apply-eval.js";
import { registerJob } from "./apply-job.js";
import type {
  DeploymentAllocHealthCommand,
  DeploymentPromoteCommand,
  DeploymentStatusCommand,
  IndexResult,
} from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import type { StateTxn } from "./state-txn.js";
import type { Deployment, DeploymentState } from "./structs.js";

export function applyDeploymentStatus(txn: StateTxn, command: DeploymentStatusCommand): IndexResult {
  applyDeploymentStatusUpdate(txn, command.Update);
  if (command.Job !== null) registerJob(txn, command.Job);
  if (command.Eval !== null) upsertEval(txn, command.Eval);
  return { Index: txn.index };
}

/**
 * Promotes canaries (Nomad UpdateDeploymentPromotion): every promoted group must have all its
 * placed canaries healthy; promoted canaries stop being canaries.
 */
export function applyDeploymentPromote(txn: StateTxn, command: DeploymentPromoteCommand): IndexResult {
  const deployment = activeDeployment(txn, command.DeploymentID);
  const groups: Record<string, DeploymentState> = { ...deployment.TaskGroups };
  const promoted: string[] = [];
  for (const [name, state] of Object.entries(deployment.TaskGroups)) {
    if (!command.All && !command.Groups.includes(name)) continue;
    if (state.DesiredCanaries === 0 || state.Promoted) continue;
    const healthy = state.PlacedCanaries.filter(
      (id) => txn.alloc(id)?.DeploymentStatus?.Healthy === true,
    ).length;
    if (healthy < state.DesiredCanaries) {
      throw new InvalidCommandError(
        `deployment ${deployment.ID}: task group ${JSON.stringify(name)} has ${healthy}/${state.DesiredCanaries} healthy canaries`,
      );
    }
    groups[name] = { ...state, Promoted: true };
    promoted.push(name);
  }
  for (const name of command.Groups) {
    if (!Object.hasOwn(deployment.TaskGroups, name)) {
      throw new InvalidCommandError(`deployment ${deployment.ID} has no task group ${JSON.stringify(name)}`);
    }
  }
  txn.putDeployment({ ...deployment, TaskGroups: groups, ModifyIndex: txn.index });
  for (const name of promoted) {
    for (const id of groups[name]?.PlacedCanaries ?? []) {
      const alloc = txn.alloc(id);
      if (alloc === undefined || alloc.DeploymentStatus === null) continue;
      writeAlloc(
        txn,
        {
          ...alloc,
          DeploymentStatus: { ...alloc.DeploymentStatus, Canary: false, ModifyIndex: txn.index },
          ModifyIndex: txn.index,
        },
        alloc,
      );
    }
  }
  if (command.Eval !== null) upsertEval(txn, command.Eval);
  return { Index: txn.index };
}

/** Health verdicts set by the deployment watcher (Nomad UpdateDeploymentAllocHealth). */
export function applyDeploymentAllocHealth(
  txn: StateTxn,
  command: DeploymentAllocHealthCommand,
): IndexResult {
  const deployment = activeDeployment(txn, command.DeploymentID);
  const verdicts: Array<[string, boolean]> = [
    ...command.HealthyAllocationIDs.map((id): [string, boolean] => [id, true]),
    ...command.UnhealthyAllocationIDs.map((id): [string, boolean] => [id, false]),
  ];
  for (const [id, healthy] of verdicts) {
    const alloc = txn.alloc(id);
    if (alloc === undefined) throw new InvalidCommandError(`allocation ${JSON.stringify(id)} not found`);
    if (alloc.DeploymentID !== deployment.ID) {
      throw new InvalidCommandError(`allocation ${id} is not part of deployment ${deployment.ID}`);
    }
    writeAlloc(
      txn,
      {
        ...alloc,
        DeploymentStatus: {
          Healthy: healthy,
          Timestamp: command.Timestamp,
          Canary: alloc.DeploymentStatus?.Canary ?? false,
          ModifyIndex: txn.index,
        },
        ModifyIndex: txn.index,
      },
      alloc,
    );
  }
  if (command.DeploymentUpdate !== null) applyDeploymentStatusUpdate(txn, command.DeploymentUpdate);
  if (command.Job !== null) registerJob(txn, command.Job);
  if (command.Eval !== null) upsertEval(txn, command.Eval);
  return { Index: txn.index };
}

const TERMINAL_DEPLOYMENT = new Set(["failed", "successful", "cancelled"]);

function activeDeployment(txn: StateTxn, id: string): Deployment {
  const deployment = txn.deployment(id);
  if (deployment === undefined) throw new InvalidCommandError(`deployment ${JSON.stringify(id)} not found`);
  if (TERMINAL_DEPLOYMENT.has(deployment.Status)) {
    throw new InvalidCommandError(`deployment ${id} has terminal status ${deployment.Status}`);
  }
  return deployment;
}
