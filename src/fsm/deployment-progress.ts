import type { StateTxn } from "./state-txn.js";
import type { Allocation } from "./structs.js";

/**
 * Keeps a deployment's per-group counters in step with its allocations (Nomad
 * updateDeploymentWithAlloc): a new allocation counts as placed (and as a placed canary when it is
 * one); a first or changed health verdict counts as healthy or unhealthy.
 */
export function updateDeploymentWithAlloc(
  txn: StateTxn,
  alloc: Allocation,
  existing: Allocation | undefined,
): void {
  if (alloc.DeploymentID === "") return;
  const deployment = txn.deployment(alloc.DeploymentID);
  if (deployment === undefined) return;
  const state = deployment.TaskGroups[alloc.TaskGroup];
  if (state === undefined) return;

  let placed = 0;
  let healthy = 0;
  let unhealthy = 0;
  let canary = false;
  if (existing === undefined || existing.DeploymentID !== alloc.DeploymentID) {
    placed = 1;
    canary = alloc.DeploymentStatus?.Canary === true;
  }
  const before =
    existing?.DeploymentID === alloc.DeploymentID ? (existing.DeploymentStatus?.Healthy ?? null) : null;
  const after = alloc.DeploymentStatus?.Healthy ?? null;
  if (after !== null && after !== before) {
    if (after) healthy = 1;
    else unhealthy = 1;
    // A verdict that flips takes the old one back.
    if (before === true) healthy -= 1;
    if (before === false) unhealthy -= 1;
  }
  if (placed === 0 && healthy === 0 && unhealthy === 0) return;
  txn.putDeployment({
    ...deployment,
    TaskGroups: {
      ...deployment.TaskGroups,
      [alloc.TaskGroup]: {
        ...state,
        PlacedAllocs: state.PlacedAllocs + placed,
        PlacedCanaries: canary ? [...state.PlacedCanaries, alloc.ID] : state.PlacedCanaries,
        HealthyAllocs: state.HealthyAllocs + healthy,
        UnhealthyAllocs: state.UnhealthyAllocs + unhealthy,
      },
    },
    ModifyIndex: txn.index,
  });
}
