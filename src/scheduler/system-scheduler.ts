import type { SeededRandom } from "../common/rand.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, AllocMetric, Evaluation, Job, Node, TaskGroup } from "../fsm/structs.js";
import { allocName } from "../fsm/structs.js";
import { newAllocation } from "./alloc-factory.js";
import { MetricRecorder } from "./alloc-metric.js";
import { candidateNodes, jobNodePool, nodeInPool } from "./candidate-nodes.js";
import { datacenterMatches } from "./datacenter-match.js";
import { childEval, completedEval } from "./eval-factory.js";
import { JobFeasibility } from "./feasibility.js";
import { type GroupAsk, groupAsk } from "./group-ask.js";
import { IdSource, schedulingRandom } from "./ids.js";
import type { NodeUsage } from "./node-usage.js";
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
  return new SystemScheduler(reader, evaluation, options).run();
}

interface Destructive {
  alloc: Allocation;
  group: TaskGroup;
  node: Node;
}

class SystemScheduler {
  private readonly rng: SeededRandom;
  /** Ids of what this call creates: 128-bit seeded, never the 32-bit shuffling PRNG (ids.ts). */
  private readonly ids: IdSource;
  private readonly now: number;
  private readonly job: Job | null;
  private readonly sysbatch: boolean;
  private readonly builder: PlanBuilder;
  private readonly createEvals: Evaluation[] = [];
  private readonly failed: Record<string, AllocMetric> = {};
  private readonly queued: Record<string, number> = {};
  /** Per group, the nodes that already have (or had, for sysbatch) their allocation. */
  private readonly covered = new Map<string, Set<string>>();

  constructor(
    private readonly reader: StateReader,
    private readonly evaluation: Evaluation,
    options: ScheduleOptions,
  ) {
    this.rng = schedulingRandom(options.seed, evaluation.ID, reader.index);
    this.ids = new IdSource(options.seed, evaluation.ID, reader.index);
    this.now = options.now;
    this.job = reader.jobByID(evaluation.Namespace, evaluation.JobID) ?? null;
    this.sysbatch = (this.job?.Type ?? evaluation.Type) === "sysbatch";
    this.builder = PlanBuilder.forEval(reader, evaluation, this.job, options.evalToken);
  }

  private newId(): string {
    return this.ids.uuid();
  }

  run(): ScheduleResult {
    const { reader, job } = this;
    const allocs = reader.allocsByJob(this.evaluation.Namespace, this.evaluation.JobID);
    const updated = completedEval(this.evaluation, this.failed, this.queued, this.now, reader.index);
    if (job === null || job.Stop) {
      for (const alloc of allocs) stopIfLive(reader, this.builder, alloc, ALLOC_JOB_STOPPED);
      return this.result(updated);
    }
    const feasibility = new JobFeasibility(job);
    const candidates = candidateNodes(reader, job);
    for (const group of job.TaskGroups) {
      this.covered.set(group.Name, new Set());
      this.queued[group.Name] = 0;
    }
    const destructive = this.diffExisting(job, feasibility, allocs);
    const deferred = this.rollDestructive(job, feasibility, destructive);
    for (const group of job.TaskGroups) {
      const served = this.covered.get(group.Name) as Set<string>;
      const recorder = new MetricRecorder();
      recorder.metric.NodesInPool = candidates.inPool;
      recorder.metric.NodesAvailable = { ...candidates.byDatacenter };
      for (const node of candidates.nodes) {
        if (!served.has(node.ID)) this.placeOn(job, feasibility, group, node, null, recorder);
      }
    }
    for (const metric of Object.values(this.failed)) {
      if (metric.NodesInPool === 0) metric.NodesInPool = candidates.inPool;
    }
    if (deferred) {
      const stagger = job.Update?.Stagger ?? 0;
      const next = childEval(this.evaluation, this.newId(), "rolling-update", this.now, {
        Wait: stagger,
        WaitUntil: this.now + stagger,
        StatusDescription: ROLLING_EVAL_DESCRIPTION,
      });
      this.createEvals.push(next);
      updated.NextEval = next.ID;
    }
    return this.result(updated);
  }

  private result(updated: Evaluation): ScheduleResult {
    const plan = this.builder.isEmpty() ? null : this.builder.plan;
    return { plan, eval: updated, createEvals: this.createEvals, gc: null };
  }

  /**
   * Existing allocations: keep one live allocation per node and group, stop what must go (lost,
   * duplicate, draining, no longer feasible), update compatible ones in place, and return the
   * ones that need a destructive update.
   */
  private diffExisting(job: Job, feasibility: JobFeasibility, allocs: readonly Allocation[]): Destructive[] {
    const { reader, builder } = this;
    const groups = new Map(job.TaskGroups.map((g) => [g.Name, g]));
    const pool = jobNodePool(job);
    const destructive: Destructive[] = [];
    for (const alloc of [...allocs].sort((a, b) => b.CreateIndex - a.CreateIndex)) {
      if (alloc.DesiredStatus !== "run") continue;
      const group = groups.get(alloc.TaskGroup);
      if (group === undefined) {
        stopIfLive(reader, builder, alloc, ALLOC_NOT_NEEDED);
        continue;
      }
      const served = this.covered.get(group.Name) as Set<string>;
      const node = reader.nodeByID(alloc.NodeID);
      if (alloc.ClientStatus === "complete" || alloc.ClientStatus === "failed") {
        // A finished sysbatch allocation of a compatible version means the node has done its run.
        if (this.sysbatch && !served.has(alloc.NodeID) && compatible(reader, job, group, alloc)) {
          served.add(alloc.NodeID);
        }
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
      // A draining node's system allocations go when the leader's drainer marks them (after
      // everything else has left the node, or at the deadline), as in Nomad; until then they stay.
      if (node.DrainStrategy !== null && alloc.DesiredTransition.Migrate) {
        builder.appendStop(alloc, ALLOC_MIGRATING);
        continue;
      }
      const eligible =
        datacenterMatches(node.Datacenter, job.Datacenters) &&
        nodeInPool(node, pool) &&
        feasibility.check(node, group.Name) === null;
      if (!eligible) {
        builder.appendStop(alloc, ALLOC_NODE_INFEASIBLE);
        continue;
      }
      served.add(alloc.NodeID);
      if (alloc.JobVersion === job.Version) continue;
      if (compatible(reader, job, group, alloc)) {
        builder.appendAlloc({
          ...alloc,
          EvalID: this.evaluation.ID,
          JobVersion: job.Version,
          ModifyTime: this.now,
        });
      } else {
        destructive.push({ alloc, group, node });
      }
    }
    return destructive;
  }

  /** Destructive updates, `update.max_parallel` per eval; true when some had to wait. */
  private rollDestructive(job: Job, feasibility: JobFeasibility, destructive: Destructive[]): boolean {
    let budget = job.Update !== null && job.Update.MaxParallel > 0 ? job.Update.MaxParallel : Infinity;
    destructive.sort((a, b) => (a.node.ID < b.node.ID ? -1 : a.node.ID > b.node.ID ? 1 : 0));
    let deferred = false;
    for (const { alloc, group, node } of destructive) {
      if (budget <= 0) {
        deferred = true;
        continue;
      }
      budget--;
      this.builder.appendStop(alloc, ALLOC_UPDATING);
      if (!this.placeOn(job, feasibility, group, node, alloc, new MetricRecorder()))
        this.builder.undoStop(alloc);
    }
    return deferred;
  }

  /** Places one allocation of `group` on `node`, preempting lower-priority work if allowed. */
  private placeOn(
    job: Job,
    feasibility: JobFeasibility,
    group: TaskGroup,
    node: Node,
    previous: Allocation | null,
    recorder: MetricRecorder,
  ): boolean {
    const { builder } = this;
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
      const found = this.victims(job, node, usage, ask);
      if (found === null) {
        recorder.exhaustNode(node, exhausted);
        this.queued[group.Name] = (this.queued[group.Name] ?? 0) + 1;
        const earlier = this.failed[group.Name];
        if (earlier === undefined) this.failed[group.Name] = recorder.metric;
        else if (earlier !== recorder.metric) earlier.CoalescedFailures++;
        return false;
      }
      victims = found;
    }
    const id = this.newId();
    for (const victim of victims) builder.appendPreemption(victim, id);
    const alloc = newAllocation({
      id,
      evalId: this.evaluation.ID,
      job,
      group,
      node,
      name: previous?.Name ?? allocName(job.ID, group.Name, 0),
      networks: assignPorts(group, node, usage, this.rng),
      metric: null,
      now: this.now,
      deploymentId: "",
      canary: false,
      previous,
      rescheduleEvent: null,
    });
    // The victims' jobs get their evals from the plan applier (see generic-scheduler.ts).
    if (victims.length > 0) alloc.PreemptedAllocations = victims.map((v) => v.ID);
    builder.appendAlloc(alloc);
    return true;
  }

  /** Allocations to evict on `node` so `ask` fits, or null (none allowed or none enough). */
  private victims(job: Job, node: Node, usage: NodeUsage, ask: GroupAsk): Allocation[] | null {
    if (!preemptionEnabled(this.reader.schedulerConfig(), job.Type)) return null;
    const priorityOf = (a: Allocation): number => this.reader.jobByID(a.Namespace, a.JobID)?.Priority ?? 50;
    return chooseVictims(
      this.builder.liveAllocsOn(node),
      usage,
      ask,
      (a) => priorityOf(a) <= job.Priority - PREEMPTION_PRIORITY_DELTA,
      priorityOf,
    );
  }
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
