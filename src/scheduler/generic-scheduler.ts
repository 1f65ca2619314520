import type { SeededRandom } from "../common/rand.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, AllocMetric, Evaluation, Job, Node } from "../fsm/structs.js";
import { newAllocation } from "./alloc-factory.js";
import { type CandidateNodes, candidateNodes } from "./candidate-nodes.js";
import { childEval, completedEval } from "./eval-factory.js";
import { JobFeasibility } from "./feasibility.js";
import { IdSource, schedulingRandom } from "./ids.js";
import { PlanBuilder } from "./plan-builder.js";
import { assignPorts } from "./port-assign.js";
import { preemptionEnabled, tryPreemption } from "./preemption.js";
import { type Placement, type ReconcileResult, reconcile } from "./reconciler.js";
import {
  emptyDesiredUpdates,
  type PlanAnnotations,
  type ScheduleOptions,
  type ScheduleResult,
} from "./schedule-types.js";
import { type Selection, SelectStack } from "./select-stack.js";

export const BLOCKED_EVAL_DESCRIPTION = "created to place remaining allocations";
export const FOLLOWUP_EVAL_DESCRIPTION = "created for delayed rescheduling";
export const DISCONNECT_TIMEOUT_EVAL_DESCRIPTION = "created for delayed disconnect timeout";

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
  return new GenericScheduler(reader, evaluation, options).run();
}

class GenericScheduler {
  private readonly rng: SeededRandom;
  /** Ids of what this call creates: 128-bit seeded, never the 32-bit shuffling PRNG (ids.ts). */
  private readonly ids: IdSource;
  private readonly now: number;
  private readonly job: Job | null;
  private readonly builder: PlanBuilder;
  private readonly createEvals: Evaluation[] = [];
  private readonly failed: Record<string, AllocMetric> = {};
  private readonly queued: Record<string, number> = {};
  private feasibility: JobFeasibility | null = null;

  constructor(
    private readonly reader: StateReader,
    private readonly evaluation: Evaluation,
    options: ScheduleOptions,
  ) {
    this.rng = schedulingRandom(options.seed, evaluation.ID, reader.index);
    this.ids = new IdSource(options.seed, evaluation.ID, reader.index);
    this.now = options.now;
    this.job = reader.jobByID(evaluation.Namespace, evaluation.JobID) ?? null;
    this.builder = PlanBuilder.forEval(reader, evaluation, this.job, options.evalToken);
    for (const group of this.job?.TaskGroups ?? []) this.queued[group.Name] = 0;
  }

  private newId(): string {
    return this.ids.uuid();
  }

  run(): ScheduleResult {
    const { reader, evaluation, job } = this;
    const allocs = reader.allocsByJob(evaluation.Namespace, evaluation.JobID);
    const rec = reconcile({
      job,
      allocs,
      deployment: reader.latestDeploymentByJob(evaluation.Namespace, evaluation.JobID) ?? null,
      taintedNodes: taintedNodes(reader, allocs),
      jobVersion: (version) => reader.jobByVersion(evaluation.Namespace, evaluation.JobID, version),
      deploymentByID: (id) => reader.deploymentByID(id),
      batch: (job?.Type ?? evaluation.Type) === "batch",
      now: this.now,
      evalId: evaluation.ID,
      newId: () => this.newId(),
    });
    this.applyDecisions(rec);
    if (job !== null && rec.placements.length > 0) this.placeAll(job, rec);
    // The store counts placed allocations and canaries into the deployment as it writes them.
    this.builder.plan.Deployment = rec.deployment;
    const updated = this.finishEval();
    const plan = this.builder.isEmpty() ? null : this.builder.plan;
    const result: ScheduleResult = { plan, eval: updated, createEvals: this.createEvals, gc: null };
    if (evaluation.AnnotatePlan) result.annotations = this.annotations(rec);
    return result;
  }

  /**
   * Nomad's plan annotations from the reconciler's counts. Stops of groups the job no longer has
   * (or of every group of a stopped job) are counted under their group, as Nomad's reconciler does.
   */
  private annotations(rec: ReconcileResult): PlanAnnotations {
    const updates: PlanAnnotations["DesiredTGUpdates"] = {};
    for (const [group, d] of Object.entries(rec.desired)) {
      updates[group] = {
        Place: d.place,
        Stop: d.stop,
        InPlaceUpdate: d.inPlace,
        DestructiveUpdate: d.destructive,
        Ignore: d.ignore,
        Canary: d.canary,
        Migrate: d.migrate,
        Preemptions: 0,
      };
    }
    for (const stop of rec.stops) {
      const group = stop.alloc.TaskGroup;
      if (rec.desired[group] !== undefined) continue;
      const entry = updates[group] ?? emptyDesiredUpdates();
      entry.Stop++;
      updates[group] = entry;
    }
    const preempted: PlanAnnotations["PreemptedAllocs"] = [];
    for (const [nodeId, evicted] of Object.entries(this.builder.plan.NodePreemptions)) {
      preempted.push(...evicted);
      for (const alloc of this.builder.plan.NodeAllocation[nodeId] ?? []) {
        const entry = updates[alloc.TaskGroup];
        if (entry !== undefined) entry.Preemptions += alloc.PreemptedAllocations.length;
      }
    }
    return { DesiredTGUpdates: updates, PreemptedAllocs: preempted };
  }

  /** Stops, deployment updates, in-place updates and follow-up evals: everything but placements. */
  private applyDecisions(rec: ReconcileResult): void {
    const { builder, evaluation, job, now } = this;
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
      const id = this.newId();
      this.createEvals.push(
        childEval(evaluation, id, "failed-follow-up", now, {
          WaitUntil: followUp.waitUntil,
          StatusDescription: FOLLOWUP_EVAL_DESCRIPTION,
        }),
      );
      for (const alloc of followUp.allocs) builder.appendAlloc({ ...alloc, FollowupEvalID: id });
    }
    this.applyDisconnects(rec);
  }

  /**
   * Allocations of disconnected nodes become unknown, each batch with the eval that will find
   * them lost when the window ends (named by their FollowupEvalID); reconnected ones that keep
   * running record it (unless an in-place update already carries them); lost ones whose client
   * will stop them later are marked lost, with the eval that replaces them then.
   */
  private applyDisconnects(rec: ReconcileResult): void {
    const { builder, evaluation, now } = this;
    const timeoutEval = new Map<string, string>();
    for (const timeout of rec.disconnectTimeouts) {
      const id = this.newId();
      this.createEvals.push(
        childEval(evaluation, id, "max-disconnect-timeout", now, {
          WaitUntil: timeout.waitUntil,
          StatusDescription: DISCONNECT_TIMEOUT_EVAL_DESCRIPTION,
        }),
      );
      for (const alloc of timeout.allocs) timeoutEval.set(alloc.ID, id);
    }
    for (const alloc of rec.disconnectUpdates) {
      const followUp = timeoutEval.get(alloc.ID) ?? alloc.FollowupEvalID;
      builder.appendAlloc({ ...alloc, FollowupEvalID: followUp, ModifyTime: now });
    }
    const inPlace = new Set(rec.inPlace.map((a) => a.ID));
    for (const alloc of rec.reconnectUpdates) {
      if (!inPlace.has(alloc.ID)) builder.appendAlloc({ ...alloc, ModifyTime: now });
    }
    // Lost allocations whose replacement waits for their client to stop them.
    for (const later of rec.lostLater) {
      const id = this.newId();
      this.createEvals.push(
        childEval(evaluation, id, "failed-follow-up", now, {
          WaitUntil: later.waitUntil,
          StatusDescription: FOLLOWUP_EVAL_DESCRIPTION,
        }),
      );
      for (const alloc of later.allocs)
        builder.appendAlloc({ ...alloc, FollowupEvalID: id, ModifyTime: now });
    }
  }

  private placeAll(job: Job, rec: ReconcileResult): void {
    const candidates = candidateNodes(this.reader, job);
    const feasibility = new JobFeasibility(job);
    this.feasibility = feasibility;
    const stack = new SelectStack(
      this.builder,
      job,
      feasibility,
      this.rng.shuffle(candidates.nodes.slice()),
      this.reader.schedulerConfig().SchedulerAlgorithm,
      job.Type === "batch",
    );
    const context: PlacementContext = {
      job,
      candidates,
      feasibility,
      stack,
      preempt: preemptionEnabled(this.reader.schedulerConfig(), job.Type),
      deploymentId: rec.currentDeployment?.ID ?? "",
    };
    for (const placement of rec.placements) {
      const groupName = placement.group.Name;
      const earlier = this.failed[groupName];
      if (earlier !== undefined) {
        // Nomad coalesces: once a group failed to place, its other placements fail the same way.
        earlier.CoalescedFailures++;
        this.queued[groupName] = (this.queued[groupName] ?? 0) + 1;
        continue;
      }
      this.placeOne(context, placement);
    }
  }

  /**
   * One placement: stop what it replaces (so its room can be reused), select a node (or a node
   * with lower-priority allocations to preempt), and place; on failure take the stop back.
   */
  private placeOne(ctx: PlacementContext, placement: Placement): void {
    const { builder } = this;
    const replaces = placement.stopPrevious !== null ? placement.previous : null;
    if (replaces !== null && placement.stopPrevious !== null) {
      builder.appendStop(replaces, placement.stopPrevious.description, placement.stopPrevious.clientStatus);
    }
    const { selection: found, metric } = ctx.stack.select(placement.group, {
      penaltyNodes: new Set(placement.penaltyNodes),
    });
    let selection: Selection | null = found;
    let preempted: Allocation[] = [];
    if (selection === null && ctx.preempt) {
      const attempt = tryPreemption(builder, ctx.job, placement.group, ctx.candidates.nodes, ctx.feasibility);
      if (attempt !== null) {
        selection = attempt.selection;
        preempted = attempt.victims;
      }
    }
    fillNodeCounts(metric, ctx.candidates);
    const groupName = placement.group.Name;
    if (selection === null) {
      this.failed[groupName] = metric;
      this.queued[groupName] = (this.queued[groupName] ?? 0) + 1;
      if (replaces !== null) builder.undoStop(replaces);
      return;
    }
    const id = this.newId();
    // Evictions first, so that the new allocation's ports may reuse theirs.
    for (const victim of preempted) builder.appendPreemption(victim, id);
    const alloc = place(
      ctx.job,
      placement,
      selection,
      metric,
      this.rng,
      id,
      this.evaluation.ID,
      this.now,
      ctx.deploymentId,
    );
    // The evals that reschedule the victims' jobs come from the plan applier, for the
    // preemptions it actually commits (a partly rejected plan may commit fewer).
    if (preempted.length > 0) alloc.PreemptedAllocations = preempted.map((v) => v.ID);
    builder.appendAlloc(alloc);
  }

  /**
   * The eval's outcome: complete, with failures explained and a blocked eval asked for; a blocked
   * eval that still cannot place everything is re-blocked instead.
   */
  private finishEval(): Evaluation {
    const { evaluation, job, reader } = this;
    const updated = completedEval(evaluation, this.failed, this.queued, this.now, reader.index);
    if (Object.keys(this.failed).length === 0 || job === null) return updated;
    const classes = this.feasibility?.classEligibility() ?? {};
    const escaped = this.feasibility?.escaped ?? false;
    if (evaluation.Status === "blocked") {
      return { ...updated, Status: "blocked", ClassEligibility: classes, EscapedComputedClass: escaped };
    }
    const blocked = childEval(evaluation, this.newId(), "queued-allocs", this.now, {
      Status: "blocked",
      StatusDescription: BLOCKED_EVAL_DESCRIPTION,
      JobModifyIndex: job.JobModifyIndex,
      ClassEligibility: classes,
      EscapedComputedClass: escaped,
      // The blocked-evals tracker compares this with capacity changes seen since.
      SnapshotIndex: reader.index,
    });
    this.createEvals.push(blocked);
    return { ...updated, BlockedEval: blocked.ID };
  }
}

interface PlacementContext {
  job: Job;
  candidates: CandidateNodes;
  feasibility: JobFeasibility;
  stack: SelectStack;
  preempt: boolean;
  deploymentId: string;
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
