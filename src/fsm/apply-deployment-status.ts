import { markJobVersionStable } from "./apply-job.js";
import { InvalidCommandError } from "./errors.js";
import type { StateTxn } from "./state-txn.js";
import type { DeploymentStatusUpdate } from "./structs.js";

/** Sets a deployment's status; a successful deployment makes its job version stable (Nomad). */
export function applyDeploymentStatusUpdate(txn: StateTxn, update: DeploymentStatusUpdate): void {
  const deployment = txn.deployment(update.DeploymentID);
  if (deployment === undefined) {
    throw new InvalidCommandError(`deployment ${JSON.stringify(update.DeploymentID)} not found`);
  }
  txn.putDeployment({
    ...deployment,
    Status: update.Status,
    StatusDescription: update.StatusDescription,
    ModifyIndex: txn.index,
  });
  if (update.Status === "successful") {
    markJobVersionStable(txn, deployment.Namespace, deployment.JobID, deployment.JobVersion);
  }
}
