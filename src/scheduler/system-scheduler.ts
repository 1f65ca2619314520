import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, AllocMetric, Evaluation, Job, Node, TaskGroup } from "../fsm/structs.js";
import { allocName } from "../fsm/structs.js";
import { newAllocation } from "./alloc-factory.js";
import { MetricRecorder } from "./alloc-metric.js";
import { candidateNodes, jobNodePool, nodeInPool } from "./candidate-nodes.js";
import { datacenterMatches } from "./datacenter-match.js";
import { childEval } from "./eval-factory.js";
import { JobFeasibility } from "./feasibility.js";
import { preemptionEvals } from "./generic-scheduler.js";
import { groupAsk } from "./group-ask.js";
import { generateUuid, schedulingRandom } from "./ids.js";
import { PlanBuilder } from "./plan-builder.js";
import { assignPorts } from "./port-assign.js";
import { chooseVictims, PREEMPTION_PRIORITY_DELTA, preemptionEnabled } from "./preemption.js";
import {
  ALLOC_JOB_STOPPED,
  ALLOC_LOST,
  ALLOC_MIGRATING,
  ALLOC_NOT_NEEDED,
  ALLOC_UPDATING,
} from "./reconciler.js";
import type { ScheduleOptions, ScheduleResult } from "./schedule-types.js";
import { tasksUpdated } from "./tasks-updated.js";

export const ALLOC_NODE_INFEASIBLE = "alloc not needed as node is no longer feasible";
export const ROLLING_EVAL_DESCRIPTION = "created for the next step of a rolling update";

/**
 * The system and sysbatch scheduler (Nomad's SystemScheduler): one allocation of each group on
 * every feasible node. Placed when a node becomes ready and eligible, stopped when its node goes
 * down (lost), drains, leaves the job's datacenters or pool, or no longer meets the constraints.
 * Sysbatch allocations run to completion once per node and job version. Updates follow
 * `update.max_parallel` with a follow-up eval after `stagger`. When a node lacks room, allocations
 * of jobs at least 10 priority lower are preempted if the cluster enables it (on by default for
 * system jobs).
 */
export function scheduleSystem(
  reader: StateReader,
  evaluation: Evaluation,
  options: ScheduleOptions,
): ScheduleResult {
  const rng = schedulingRandom(options.seed, evaluation.ID, reader.index);
  const newId = (): string => generateUuid(rng);
  const now = options.now;
  const job = reader.jobByID(evaluation.Namespace, evaluation.JobID) ?? null;
  const sysbatch = (job?.Type ?? evaluation.Type) === "sysbatch";
  const allocs = reader.allocsByJob(evaluation.Namespace, evaluation.JobID);
  const builder = new PlanBuilder(reader, {
    EvalID: evaluation.ID,
    EvalToken: options.evalToken ?? "",
    Priority: job?.Priority ?? evaluation.Priority,
    AllAtOnce: job?.AllAtOnce ?? false,
    JobID: evaluation.JobID,
    Namespace: evaluation.Namespace,
  });
  const createEvals: Evaluation[] = [];
  const updated: Evaluation = {
    ...evaluation,
    Status: "complete",
    StatusDescription: "",
    FailedTGAllocs: {},
    QueuedAllocations: {},
    ModifyTime: now,
    SnapshotIndex: reader.index,
  };

  if (job === null || job.Stop) {
    for (const alloc of allocs) stopIfLive(reader, builder, alloc, ALLOC_JOB_STOPPED);
    return { plan: builder.isEmpty() ? null : builder.plan, eval: updated, createEvals, gc: null };
  }

  const feasibility = new JobFeasibility(job);
  const candidates = candidateNodes(reader, job);
  const pool = jobNodePool(job);
  const preempt = preemptionEnabled(reader.schedulerConfig(), job.Type);
  const groups = new Map(job.TaskGroups.map((g) => [g.Name, g]));
  const rollingLimit = job.Update !== null && job.Update.MaxParallel > 0 ? job.Update.MaxParallel : Infinity;
  let destructiveBudget = rollingLimit;
  let deferred = false;

  // Existing allocations: keep one live allocation per node and group, stop what must go.
  const covered = new Map<string, Set<string>>(); // group → nodes already served
  for (const group of job.TaskGroups) covered.set(group.Name, new Set());
  const destructive: Array<{ alloc: Allocation; group: TaskGroup; node: Node }> = [];
  for (const alloc of [...allocs].sort((a, b) => b.CreateIndex - a.CreateIndex)) {
    if (alloc.DesiredStatus !== "run") continue;
    const group = groups.get(alloc.TaskGroup);
    if (group === undefined) {
      stopIfLive(reader, builder, alloc, ALLOC_NOT_NEEDED);
      continue;
    }
    const served = covered.get(group.Name) as Set<string>;
    const node = reader.nodeByID(alloc.NodeID);
    const clientDone = alloc.ClientStatus === "complete" || alloc.ClientStatus === "failed";
    if (clientDone) {
      // A finished sysbatch allocation of a compatible version means the node has done its run.
      if (sysbatch && !served.has(alloc.NodeID) && compatible(reader, job, group, alloc))
        served.add(alloc.NodeID);
      continue;
    }
    if (node === undefined || node.Status === "down" || alloc.ClientStatus === "lost") {
      if (alloc.ClientStatus !== "lost" || node === undefined || node.Status === "down") {
        builder.appendStop(alloc, ALLOC_LOST, "lost");
      }
      continue;
    }
    if (served.has(alloc.NodeID)) {
      builder.appendStop(alloc, ALLOC_NOT_NEEDED);
      continue;
    }
    if (node.DrainStrategy !== null && !node.DrainStrategy.IgnoreSystemJobs) {
      builder.appendStop(alloc, ALLOC_MIGRATING);
      continue;
    }
    if (
      !datacenterMatches(node.Datacenter, job.Datacenters) ||
      !nodeInPool(node, pool) ||
      feasibility.check(node, group.Name) !== null
    ) {
      builder.appendStop(alloc, ALLOC_NODE_INFEASIBLE);
      continue;
    }
    served.add(alloc.NodeID);
    if (alloc.JobVersion === job.Version) continue;
    if (compatible(reader, job, group, alloc)) {
      builder.appendAlloc({ ...alloc, EvalID: evaluation.ID, JobVersion: job.Version, ModifyTime: now });
    } else {
      destructive.push({ alloc, group, node });
    }
  }

  const failed: Record<string, AllocMetric> = {};
  const queued: Record<string, number> = {};
  const placeOn = (
    group: TaskGroup,
    node: Node,
    previous: Allocation | null,
    recorder: MetricRecorder,
  ): boolean => {
    recorder.evaluateNode();
    const verdict = feasibility.check(node, group.Name);
    if (verdict !== null) {
      recorder.filterNode(node, verdict);
      return false;
    }
    const usage = builder.usageOf(node);
    const ask = groupAsk(group);
    let victims: Allocation[] = [];
    const exhausted = usage.fits(ask);
    if (exhausted !== null) {
      const found = preempt
        ? chooseVictims(
            builder.liveAllocsOn(node),
            usage,
            ask,
            (a) =>
              (reader.jobByID(a.Namespace, a.JobID)?.Priority ?? 50) <=
              job.Priority - PREEMPTION_PRIORITY_DELTA,
            (a) => reader.jobByID(a.Namespace, a.JobID)?.Priority ?? 50,
          )
        : null;
      if (found === null) {
        recorder.exhaustNode(node, exhausted);
        queued[group.Name] = (queued[group.Name] ?? 0) + 1;
        const earlier = failed[group.Name];
        if (earlier === undefined) failed[group.Name] = recorder.metric;
        else if (earlier !== recorder.metric) earlier.CoalescedFailures++;
        return false;
      }
      victims = found;
    }
    const id = newId();
    for (const victim of victims) builder.appendPreemption(victim, id);
    const alloc = newAllocation({
      id,
      evalId: evaluation.ID,
      job,
      group,
      node,
      name: previous?.Name ?? allocName(job.ID, group.Name, 0),
      networks: assignPorts(group, node, usage, rng),
      metric: null,
      now,
      deploymentId: "",
      canary: false,
      previous,
      rescheduleEvent: null,
    });
    if (victims.length > 0) {
      alloc.PreemptedAllocations = victims.map((v) => v.ID);
      createEvals.push(...preemptionEvals(reader, evaluation, victims, newId, now));
    }
    builder.appendAlloc(alloc);
    return true;
  };

  // Destructive updates, paced by update.max_parallel.
  destructive.sort((a, b) => (a.node.ID < b.node.ID ? -1 : a.node.ID > b.node.ID ? 1 : 0));
  for (const { alloc, group, node } of destructive) {
    if (destructiveBudget <= 0) {
      deferred = true;
      continue;
    }
    destructiveBudget--;
    builder.appendStop(alloc, ALLOC_UPDATING);
    const recorder = new MetricRecorder();
    if (!placeOn(group, node, alloc, recorder)) builder.undoStop(alloc);
  }

  // New placements on every eligible node not yet served.
  for (const group of job.TaskGroups) {
    queued[group.Name] ??= 0;
    const served = covered.get(group.Name) as Set<string>;
    const recorder = new MetricRecorder();
    recorder.metric.NodesInPool = candidates.inPool;
    recorder.metric.NodesAvailable = { ...candidates.byDatacenter };
    for (const node of candidates.nodes) {
      if (served.has(node.ID)) continue;
      placeOn(group, node, null, recorder);
    }
  }
  for (const [name, metric] of Object.entries(failed)) {
    if (metric.NodesInPool === 0) metric.NodesInPool = candidates.inPool;
    failed[name] = metric;
  }
  updated.FailedTGAllocs = failed;
  updated.QueuedAllocations = queued;

  if (deferred) {
    const stagger = job.Update?.Stagger ?? 0;
    const next = childEval(evaluation, newId(), "rolling-update", now, {
      Wait: stagger,
      WaitUntil: now + stagger,
      StatusDescription: ROLLING_EVAL_DESCRIPTION,
    });
    createEvals.push(next);
    updated.NextEval = next.ID;
  }
  return { plan: builder.isEmpty() ? null : builder.plan, eval: updated, createEvals, gc: null };
}

function stopIfLive(reader: StateReader, builder: PlanBuilder, alloc: Allocation, why: string): void {
  if (alloc.DesiredStatus !== "run") return;
  if (alloc.ClientStatus === "complete" || alloc.ClientStatus === "failed" || alloc.ClientStatus === "lost")
    return;
  const node = reader.nodeByID(alloc.NodeID);
  if (node === undefined || node.Status === "down") builder.appendStop(alloc, ALLOC_LOST, "lost");
  else builder.appendStop(alloc, why);
}

/** True when the allocation's version differs from the job's only in ways an in-place update covers. */
function compatible(reader: StateReader, job: Job, group: TaskGroup, alloc: Allocation): boolean {
  if (alloc.JobVersion === job.Version) return true;
  const old = reader.jobByVersion(job.Namespace, job.ID, alloc.JobVersion);
  const oldGroup = old?.TaskGroups.find((g) => g.Name === group.Name);
  return old !== undefined && oldGroup !== undefined && !tasksUpdated(old, oldGroup, job, group);
}
