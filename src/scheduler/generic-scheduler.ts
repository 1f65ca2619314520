import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, AllocMetric, Evaluation, Job, Node } from "../fsm/structs.js";
import type { SeededRandom } from "../shared/rand.js";
import { newAllocation } from "./alloc-factory.js";
import { type CandidateNodes, candidateNodes } from "./candidate-nodes.js";
import { childEval } from "./eval-factory.js";
import { JobFeasibility } from "./feasibility.js";
import { generateUuid, schedulingRandom } from "./ids.js";
import { PlanBuilder } from "./plan-builder.js";
import { assignPorts } from "./port-assign.js";
import { preemptionEnabled, tryPreemption } from "./preemption.js";
import { type Placement, reconcile } from "./reconciler.js";
import type { ScheduleOptions, ScheduleResult } from "./schedule-types.js";
import { type Selection, SelectStack } from "./select-stack.js";

export const BLOCKED_EVAL_DESCRIPTION = "created to place remaining allocations";
export const FOLLOWUP_EVAL_DESCRIPTION = "created for delayed rescheduling";

/**
 * The service and batch scheduler (Nomad's GenericScheduler): reconcile the job's allocations
 * with its spec, then find nodes for the placements. One call is one attempt; the worker retries
 * with a fresher snapshot when the plan applier rejects part of a plan, and because every decision
 * is taken from the snapshot, a second call on state that holds part of an earlier plan simply
 * does what is left.
 */
export function scheduleGeneric(
  reader: StateReader,
  evaluation: Evaluation,
  options: ScheduleOptions,
): ScheduleResult {
  const rng = schedulingRandom(options.seed, evaluation.ID, reader.index);
  const newId = (): string => generateUuid(rng);
  const now = options.now;
  const job = reader.jobByID(evaluation.Namespace, evaluation.JobID) ?? null;
  const batch = (job?.Type ?? evaluation.Type) === "batch";
  const allocs = reader.allocsByJob(evaluation.Namespace, evaluation.JobID);
  const rec = reconcile({
    job,
    allocs,
    deployment: reader.latestDeploymentByJob(evaluation.Namespace, evaluation.JobID) ?? null,
    taintedNodes: taintedNodes(reader, allocs),
    jobVersion: (version) => reader.jobByVersion(evaluation.Namespace, evaluation.JobID, version),
    batch,
    now,
    evalId: evaluation.ID,
    newId,
  });

  const builder = new PlanBuilder(reader, {
    EvalID: evaluation.ID,
    EvalToken: options.evalToken ?? "",
    Priority: job?.Priority ?? evaluation.Priority,
    AllAtOnce: job?.AllAtOnce ?? false,
    JobID: evaluation.JobID,
    Namespace: evaluation.Namespace,
  });
  const createEvals: Evaluation[] = [];
  for (const stop of rec.stops) builder.appendStop(stop.alloc, stop.description, stop.clientStatus);
  builder.plan.DeploymentUpdates.push(...rec.deploymentUpdates);
  const deploymentId = rec.currentDeployment?.ID ?? "";
  if (job !== null) {
    for (const alloc of rec.inPlace) {
      builder.appendAlloc({
        ...alloc,
        EvalID: evaluation.ID,
        JobVersion: job.Version,
        DeploymentID: alloc.DeploymentID === "" ? deploymentId : alloc.DeploymentID,
        ModifyTime: now,
      });
    }
  }
  for (const followUp of rec.followUps) {
    const id = newId();
    createEvals.push(
      childEval(evaluation, id, "failed-follow-up", now, {
        WaitUntil: followUp.waitUntil,
        StatusDescription: FOLLOWUP_EVAL_DESCRIPTION,
      }),
    );
    for (const alloc of followUp.allocs) builder.appendAlloc({ ...alloc, FollowupEvalID: id });
  }

  const failed: Record<string, AllocMetric> = {};
  const queued: Record<string, number> = {};
  for (const group of job?.TaskGroups ?? []) queued[group.Name] = 0;
  let feasibility: JobFeasibility | null = null;
  if (job !== null && rec.placements.length > 0) {
    const candidates = candidateNodes(reader, job);
    feasibility = new JobFeasibility(job);
    const stack = new SelectStack(
      builder,
      job,
      feasibility,
      rng.shuffle(candidates.nodes.slice()),
      reader.schedulerConfig().SchedulerAlgorithm,
      batch,
    );
    const preempt = preemptionEnabled(reader.schedulerConfig(), job.Type);
    for (const placement of rec.placements) {
      const groupName = placement.group.Name;
      const earlier = failed[groupName];
      if (earlier !== undefined) {
        // Nomad coalesces: once a group failed to place, its other placements fail the same way.
        earlier.CoalescedFailures++;
        queued[groupName] = (queued[groupName] ?? 0) + 1;
        continue;
      }
      if (placement.stopPrevious !== null && placement.previous !== null) {
        builder.appendStop(
          placement.previous,
          placement.stopPrevious.description,
          placement.stopPrevious.clientStatus,
        );
      }
      const penaltyNodes = new Set(placement.penaltyNodes);
      const { selection: found, metric } = stack.select(placement.group, { penaltyNodes });
      let selection: Selection | null = found;
      let preempted: Allocation[] = [];
      if (selection === null && preempt) {
        const attempt = tryPreemption(builder, job, placement.group, candidates.nodes, feasibility);
        if (attempt !== null) {
          selection = attempt.selection;
          preempted = attempt.victims;
        }
      }
      fillNodeCounts(metric, candidates);
      if (selection === null) {
        failed[groupName] = metric;
        queued[groupName] = (queued[groupName] ?? 0) + 1;
        if (placement.stopPrevious !== null && placement.previous !== null)
          builder.undoStop(placement.previous);
        continue;
      }
      const id = newId();
      // Evictions first, so that the new allocation's ports may reuse theirs.
      for (const victim of preempted) builder.appendPreemption(victim, id);
      const alloc = place(job, placement, selection, metric, rng, id, evaluation.ID, now, deploymentId);
      if (preempted.length > 0) {
        alloc.PreemptedAllocations = preempted.map((v) => v.ID);
        createEvals.push(...preemptionEvals(reader, evaluation, preempted, newId, now));
      }
      builder.appendAlloc(alloc);
    }
  }

  // The store counts placed allocations and canaries into the deployment as it writes them.
  builder.plan.Deployment = rec.deployment;

  const updated: Evaluation = {
    ...evaluation,
    Status: "complete",
    StatusDescription: "",
    FailedTGAllocs: failed,
    QueuedAllocations: queued,
    ModifyTime: now,
    SnapshotIndex: reader.index,
  };
  if (Object.keys(failed).length > 0 && job !== null) {
    const classes = feasibility?.classEligibility() ?? {};
    const escaped = feasibility?.escaped ?? false;
    if (evaluation.Status === "blocked") {
      // A blocked eval that still cannot place everything goes back to the blocked set.
      Object.assign(updated, { Status: "blocked", ClassEligibility: classes, EscapedComputedClass: escaped });
    } else {
      const blocked = childEval(evaluation, newId(), "queued-allocs", now, {
        Status: "blocked",
        StatusDescription: BLOCKED_EVAL_DESCRIPTION,
        JobModifyIndex: job.JobModifyIndex,
        ClassEligibility: classes,
        EscapedComputedClass: escaped,
        // The blocked-evals tracker compares this with capacity changes seen since.
        SnapshotIndex: reader.index,
      });
      createEvals.push(blocked);
      updated.BlockedEval = blocked.ID;
    }
  }
  return { plan: builder.isEmpty() ? null : builder.plan, eval: updated, createEvals, gc: null };
}

function place(
  job: Job,
  placement: Placement,
  selection: Selection,
  metric: AllocMetric,
  rng: SeededRandom,
  id: string,
  evalId: string,
  now: number,
  deploymentId: string,
): Allocation {
  const previous = placement.previous;
  return newAllocation({
    id,
    evalId,
    job,
    group: placement.group,
    node: selection.node,
    name: placement.name,
    networks: assignPorts(placement.group, selection.node, selection.usage, rng),
    metric,
    now,
    deploymentId,
    canary: placement.canary,
    previous,
    rescheduleEvent:
      placement.reschedule && previous !== null
        ? {
            RescheduleTime: now,
            PrevAllocID: previous.ID,
            PrevNodeID: previous.NodeID,
            Delay: rescheduleDelay(previous, now),
          }
        : null,
  });
}

/** The delay the replacement actually waited: from the failure to now (never negative). */
function rescheduleDelay(previous: Allocation, now: number): number {
  let finished = 0;
  for (const state of Object.values(previous.TaskStates))
    if (state.FinishedAt > finished) finished = state.FinishedAt;
  const failedAt = finished > 0 ? finished : previous.ModifyTime;
  return Math.max(0, now - failedAt);
}

function fillNodeCounts(metric: AllocMetric, candidates: CandidateNodes): void {
  metric.NodesInPool = candidates.inPool;
  metric.NodesAvailable = { ...candidates.byDatacenter };
}

/**
 * Nodes of the job's allocations that make them lost or migrating: down, disconnected, draining,
 * or gone from the state (null).
 */
export function taintedNodes(reader: StateReader, allocs: readonly Allocation[]): Map<string, Node | null> {
  const tainted = new Map<string, Node | null>();
  const seen = new Set<string>();
  for (const alloc of allocs) {
    if (alloc.DesiredStatus !== "run" || seen.has(alloc.NodeID)) continue;
    seen.add(alloc.NodeID);
    const node = reader.nodeByID(alloc.NodeID);
    if (node === undefined) tainted.set(alloc.NodeID, null);
    else if (node.Status === "down" || node.Status === "disconnected" || node.DrainStrategy !== null) {
      tainted.set(alloc.NodeID, node);
    }
  }
  return tainted;
}

/** One eval per job whose allocations were preempted, so that they get rescheduled. */
export function preemptionEvals(
  reader: StateReader,
  parent: Evaluation,
  victims: readonly Allocation[],
  newId: () => string,
  now: number,
): Evaluation[] {
  const evals: Evaluation[] = [];
  const seen = new Set<string>();
  for (const victim of victims) {
    const key = `${victim.Namespace}\u0000${victim.JobID}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const job = reader.jobByID(victim.Namespace, victim.JobID);
    if (job === undefined) continue;
    evals.push(
      childEval(parent, newId(), "preemption", now, {
        Namespace: job.Namespace,
        JobID: job.ID,
        Priority: job.Priority,
        Type: job.Type,
        JobModifyIndex: job.JobModifyIndex,
        PreviousEval: "",
      }),
    );
  }
  return evals;
}
