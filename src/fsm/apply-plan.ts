import { allocCompactor } from "./alloc-compactor.js";
import { writeAlloc } from "./alloc-write.js";
import { applyDeploymentStatusUpdate } from "./apply-deployment-status.js";
import { upsertEvals } from "./apply-eval.js";
import type { PlanApplyCommand, PlanApplyResult } from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import { stringsOwned } from "./fast-decode.js";
import { placedAlloc } from "./placed-alloc.js";
import type { StateTxn } from "./state-txn.js";
import type { Allocation, Deployment } from "./structs.js";

/**
 * Commits a plan result in one entry (Nomad upsertPlanResults): the deployment and its status
 * updates first (placed allocs count against it), then stops, preemptions and placements. Every
 * written allocation carries this entry's index as ModifyIndex and AllocModifyIndex.
 */
export function applyPlan(txn: StateTxn, command: PlanApplyCommand): PlanApplyResult {
  if (command.Deployment !== null) upsertDeployment(txn, command.Deployment);
  for (const update of command.DeploymentUpdates) applyDeploymentStatusUpdate(txn, update);
  if (command.EvalID !== "") {
    // Nomad bumps the eval's ModifyIndex so that watchers see the plan happened.
    const evaluation = txn.evaluation(command.EvalID);
    if (evaluation !== undefined) txn.putEval({ ...evaluation, ModifyIndex: txn.index });
  }
  let written = 0;
  for (const allocs of Object.values(command.NodeUpdate)) {
    for (const diff of allocs) written += stopAlloc(txn, diff, command.Now) ? 1 : 0;
  }
  for (const allocs of Object.values(command.NodePreemptions)) {
    for (const diff of allocs) written += preemptAlloc(txn, diff, command.Now) ? 1 : 0;
  }
  const jobs = new KnownJobs(txn);
  const ownStrings = txn.ownsCommand && stringsOwned(command);
  for (const [nodeId, allocs] of Object.entries(command.NodeAllocation)) {
    for (const alloc of allocs) placeAlloc(txn, nodeId, alloc, command.Now, jobs, ownStrings);
    txn.placementsListed += allocs.length;
  }
  written += txn.placementsListed;
  upsertEvals(txn, command.Evals);
  return { AllocIndex: written > 0 ? txn.index : 0, AllocsWritten: written };
}

export function upsertDeployment(txn: StateTxn, deployment: Deployment): void {
  const existing = txn.deployment(deployment.ID);
  txn.putDeployment({
    ...deployment,
    CreateIndex: existing?.CreateIndex ?? txn.index,
    ModifyIndex: txn.index,
  });
}

function stopAlloc(txn: StateTxn, diff: Allocation, now: number): boolean {
  const existing = txn.alloc(diff.ID);
  // Garbage collected meanwhile: nothing left to stop.
  if (existing === undefined) return false;
  const lostOrUnknown = diff.ClientStatus === "lost" || diff.ClientStatus === "unknown";
  const stopped: Allocation = {
    ...existing,
    DesiredStatus: diff.DesiredStatus === "run" ? "stop" : diff.DesiredStatus,
    DesiredDescription: diff.DesiredDescription,
    ClientStatus: lostOrUnknown ? diff.ClientStatus : existing.ClientStatus,
    ClientDescription: lostOrUnknown ? diff.ClientDescription : existing.ClientDescription,
    FollowupEvalID: diff.FollowupEvalID === "" ? existing.FollowupEvalID : diff.FollowupEvalID,
    ModifyIndex: txn.index,
    AllocModifyIndex: txn.index,
    ModifyTime: now,
  };
  writeAlloc(txn, stopped, existing);
  return true;
}

function preemptAlloc(txn: StateTxn, diff: Allocation, now: number): boolean {
  const existing = txn.alloc(diff.ID);
  if (existing === undefined) return false;
  writeAlloc(
    txn,
    {
      ...existing,
      DesiredStatus: "evict",
      DesiredDescription:
        diff.DesiredDescription === ""
          ? `Preempted by alloc ID ${diff.PreemptedByAllocation}`
          : diff.DesiredDescription,
      PreemptedByAllocation: diff.PreemptedByAllocation,
      ModifyIndex: txn.index,
      AllocModifyIndex: txn.index,
      ModifyTime: now,
    },
    existing,
  );
  return true;
}

/**
 * Remembers the last job found, so that a plan's 1,000 placements of one job look it up once.
 * Placements never remove jobs, so a job seen earlier in the same plan still exists.
 */
class KnownJobs {
  private namespace: string | undefined;
  private id: string | undefined;

  constructor(private readonly txn: StateTxn) {}

  exists(namespace: string, id: string): boolean {
    if (id === this.id && namespace === this.namespace) return true;
    if (this.txn.job(namespace, id) === undefined) return false;
    this.namespace = namespace;
    this.id = id;
    return true;
  }
}

function placeAlloc(
  txn: StateTxn,
  nodeId: string,
  alloc: Allocation,
  now: number,
  jobs: KnownJobs,
  ownStrings: boolean,
): void {
  checkAlloc(alloc, nodeId);
  const existing = txn.alloc(alloc.ID);
  if (existing === undefined) {
    if (!jobs.exists(alloc.Namespace, alloc.JobID)) {
      // Nomad refuses too: the job was purged after the plan was made; the worker will refresh.
      throw new InvalidCommandError(
        `allocation ${alloc.ID} references unknown job ${JSON.stringify(alloc.JobID)}`,
      );
    }
    writeAlloc(txn, placedAlloc(alloc, txn.index, now, txn.ownsCommand, ownStrings), undefined, true);
    return;
  }
  // An in-place update: the client stays the authority on what it reported.
  const keepClient = alloc.ClientStatus !== "lost" && alloc.ClientStatus !== "unknown";
  const stored: Allocation = {
    ...alloc,
    TaskStates: existing.TaskStates,
    ClientStatus: keepClient ? existing.ClientStatus : alloc.ClientStatus,
    ClientDescription: keepClient ? existing.ClientDescription : alloc.ClientDescription,
    CreateIndex: existing.CreateIndex,
    ModifyIndex: txn.index,
    AllocModifyIndex: txn.index,
    CreateTime: existing.CreateTime,
    ModifyTime: now,
  };
  writeAlloc(
    txn,
    txn.ownsCommand ? allocCompactor.compactOwned(stored) : allocCompactor.compact(stored),
    existing,
  );
}

const ALLOC_STRING_FIELDS = ["ID", "Namespace", "EvalID", "NodeID", "JobID", "TaskGroup", "Name"] as const;

function checkAlloc(alloc: Allocation, nodeId: string): void {
  // Field by field: a loop over the names made a keyed load of seven names per allocation, which
  // V8 serves through its megamorphic cache (~0.15 µs per placement).
  const strings =
    typeof alloc.ID === "string" &&
    typeof alloc.Namespace === "string" &&
    typeof alloc.EvalID === "string" &&
    typeof alloc.NodeID === "string" &&
    typeof alloc.JobID === "string" &&
    typeof alloc.TaskGroup === "string" &&
    typeof alloc.Name === "string";
  if (!strings) {
    const field = ALLOC_STRING_FIELDS.find((name) => typeof alloc[name] !== "string");
    throw new InvalidCommandError(`allocation ${String(alloc.ID)}: ${String(field)} is not a string`);
  }
  if (alloc.ID === "") throw new InvalidCommandError("allocation without an ID");
  if (alloc.NodeID !== nodeId) {
    throw new InvalidCommandError(
      `allocation ${alloc.ID} is on node ${alloc.NodeID} but listed under ${nodeId}`,
    );
  }
  if (typeof alloc.ClientStatus !== "string" || typeof alloc.DesiredStatus !== "string") {
    throw new InvalidCommandError(`allocation ${alloc.ID}: statuses missing`);
  }
}
