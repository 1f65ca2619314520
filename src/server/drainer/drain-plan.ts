import type { StateReader } from "../../fsm/state-reader.js";
import {
  type Allocation,
  allocIndexFromName,
  allocTerminal,
  drainDeadlineReached,
  type Job,
  type Nanos,
  type Node,
  type TaskGroup,
} from "../../fsm/structs.js";

/** What the drainer must do now, decided from one state snapshot and the time. */
export interface DrainDecision {
  /** Allocations to mark for migration (DesiredTransition.Migrate), each once, in a stable order. */
  readonly migrate: readonly Allocation[];
  /** Draining nodes with nothing left to drain: their drain is complete. */
  readonly complete: readonly Node[];
  /** Draining nodes past their deadline: everything left on them is in `migrate` or marked. */
  readonly deadlined: readonly Node[];
  /** Nodes still draining (complete ones excluded). */
  readonly draining: number;
  /** The earliest deadline still ahead (Unix ns), 0 when none: when to decide again. */
  readonly nextDeadline: Nanos;
}

/** Nomad's default `migrate { max_parallel }`. */
export const DEFAULT_MIGRATE_MAX_PARALLEL = 1;

const SYSTEM_TYPES: ReadonlySet<Job["Type"]> = new Set(["system", "sysbatch"]);

/**
 * The node drainer's decision (Nomad's nomad/drainer: NodeDrainer, DrainingJobWatcher and
 * handleTaskGroup), a pure function of the state and `now`. Rerun after every change, it moves
 * each draining node forward one safe step at a time:
 *
 * - Service allocations on draining nodes are marked group by group so that, per group, at least
 *   `count - migrate.max_parallel` allocations stay healthy and unmarked: a marked allocation (and
 *   its replacement, until healthy) counts against max_parallel, so the next batch waits for the
 *   replacements of the previous one.
 * - Batch allocations are left to finish; only the deadline marks them.
 * - System (and sysbatch) allocations go last, once nothing else remains on the node, unless the
 *   drain ignores system jobs.
 * - At the deadline (or at once when forced) everything left is marked, regardless of max_parallel.
 * - A node with nothing left (terminal or stopped allocations only; system ones too unless
 *   ignored) is complete.
 *
 * Marking is all the drainer does to allocations: the schedulers stop and replace marked ones.
 */
export function planDrain(state: StateReader, now: Nanos): DrainDecision {
  const migrate = new Map<string, Allocation>();
  const mark = (alloc: Allocation): void => {
    if (!alloc.DesiredTransition.Migrate) migrate.set(alloc.ID, alloc);
  };
  const complete: Node[] = [];
  const deadlined: Node[] = [];
  const paced = new Set<string>();
  const groups = new Map<string, { job: Job; group: TaskGroup }>();
  let nextDeadline = 0;
  let drainingNodes = 0;

  for (const node of state.nodes()) {
    const strategy = node.DrainStrategy;
    if (strategy === null) continue;
    drainingNodes++;
    const live = state.allocsByNode(node.ID).filter((a) => !allocTerminal(a));
    const system = live.filter((a) => isSystemAlloc(state, a));
    const others = live.filter((a) => !isSystemAlloc(state, a));
    const remaining = strategy.IgnoreSystemJobs ? others : live;
    if (remaining.length === 0) {
      complete.push(node);
      continue;
    }
    if (drainDeadlineReached(strategy, now)) {
      deadlined.push(node);
      for (const alloc of remaining) mark(alloc);
      continue;
    }
    if (strategy.Deadline > 0 && (nextDeadline === 0 || strategy.ForceDeadline < nextDeadline)) {
      nextDeadline = strategy.ForceDeadline;
    }
    if (others.length === 0) {
      // Only system allocations remain (and the drain does not ignore them): they go together.
      for (const alloc of system) mark(alloc);
      continue;
    }
    paced.add(node.ID);
    for (const alloc of others) {
      const job = state.jobByID(alloc.Namespace, alloc.JobID);
      // A purged job's allocations are stopped by the scheduler; a batch one runs to its end.
      if (job === undefined || job.Type === "batch") continue;
      const group = job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
      if (group === undefined) continue;
      groups.set(`${job.Namespace}\u0000${job.ID}\u0000${group.Name}`, { job, group });
    }
  }

  for (const { job, group } of groups.values()) {
    for (const alloc of nextBatch(state, job, group, paced)) mark(alloc);
  }
  return {
    migrate: [...migrate.values()],
    complete,
    deadlined,
    draining: drainingNodes - complete.length,
    nextDeadline,
  };
}

/**
 * The allocations of one group to mark now: as many as keep `count - max_parallel` healthy,
 * unmarked allocations in the group (Nomad's handleTaskGroup threshold), taken from the draining
 * nodes in alloc-index order.
 */
function nextBatch(
  state: StateReader,
  job: Job,
  group: TaskGroup,
  pacedNodes: ReadonlySet<string>,
): Allocation[] {
  const live = state
    .allocsByJob(job.Namespace, job.ID)
    .filter((a) => a.TaskGroup === group.Name && !allocTerminal(a));
  const healthy = live.filter((a) => !a.DesiredTransition.Migrate && migrationHealthy(a)).length;
  const maxParallel = group.Migrate?.MaxParallel ?? DEFAULT_MIGRATE_MAX_PARALLEL;
  const budget = healthy - (group.Count - maxParallel);
  if (budget <= 0) return [];
  return live
    .filter((a) => pacedNodes.has(a.NodeID) && !a.DesiredTransition.Migrate)
    .sort((a, b) => allocIndexFromName(a.Name) - allocIndexFromName(b.Name) || (a.ID < b.ID ? -1 : 1))
    .slice(0, budget);
}

/**
 * Whether an allocation counts as healthy for pacing a drain: running, and healthy by its
 * deployment's verdict when it belongs to a deployment (the client sets it from the group's health
 * checks); an allocation outside any deployment counts once it runs.
 */
export function migrationHealthy(alloc: Allocation): boolean {
  if (allocTerminal(alloc) || alloc.ClientStatus !== "running") return false;
  const verdict = alloc.DeploymentStatus === null ? null : alloc.DeploymentStatus.Healthy;
  if (verdict !== null) return verdict;
  return alloc.DeploymentID === "";
}

function isSystemAlloc(state: StateReader, alloc: Allocation): boolean {
  const job = state.jobByID(alloc.Namespace, alloc.JobID);
  return job !== undefined && SYSTEM_TYPES.has(job.Type);
}
