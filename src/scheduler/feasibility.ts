import type { Constraint, Job, Node, TaskGroup } from "../fsm/structs.js";
import { DISTINCT_HOSTS, DISTINCT_PROPERTY, nodeMeetsConstraint } from "./constraint-check.js";
import { isUniqueTarget } from "./node-target.js";

/**
 * Static feasibility of a node for a job and one of its task groups, in Nomad's order: job
 * constraints, then the group's drivers, then group and task constraints. (Datacenter, pool and
 * readiness are applied when the candidate node list is built, see candidate-nodes.ts; distinct_*
 * and resources depend on other allocations and are checked per node at selection time.)
 *
 * Results for the parts that depend only on the node's computed class are cached per class, so a
 * cluster of 5,000 nodes in 10 classes evaluates each constraint 10 times. Constraints that read a
 * unique attribute (`${node.unique.id}`, `${attr.unique.*}`, `${meta.unique.*}`) "escape" the
 * cache and run for every node.
 */

/** A constraint with the text Nomad shows for it in ConstraintFiltered ("${attr.kernel.name} = linux"). */
interface NamedConstraint {
  constraint: Constraint;
  label: string;
}

function label(c: Constraint): string {
  return `${c.LTarget} ${c.Operand} ${c.RTarget}`.trim();
}

function split(constraints: readonly Constraint[]): {
  cached: NamedConstraint[];
  escaped: NamedConstraint[];
} {
  const cached: NamedConstraint[] = [];
  const escaped: NamedConstraint[] = [];
  for (const constraint of constraints) {
    if (constraint.Operand === DISTINCT_HOSTS || constraint.Operand === DISTINCT_PROPERTY) continue;
    const named = { constraint, label: label(constraint) };
    if (isUniqueTarget(constraint.LTarget) || isUniqueTarget(constraint.RTarget)) escaped.push(named);
    else cached.push(named);
  }
  return { cached, escaped };
}

function firstFailure(node: Node, constraints: readonly NamedConstraint[]): string | null {
  for (const { constraint, label: text } of constraints) {
    if (!nodeMeetsConstraint(node, constraint)) return text;
  }
  return null;
}

/** The drivers a group's tasks need. */
export function groupDrivers(group: TaskGroup): string[] {
  return [...new Set(group.Tasks.map((task) => task.Driver))];
}

/** True when the node has the driver detected and healthy (or, as Nomad, the `driver.<name>` attribute). */
export function nodeHasDriver(node: Node, driver: string): boolean {
  const info = node.Drivers[driver];
  if (info !== undefined) return info.Detected && info.Healthy;
  const attribute = node.Attributes[`driver.${driver}`];
  return attribute === "1" || attribute === "true";
}

/** Cache value: null = feasible, else the reason the class is not. */
type Verdict = string | null;

/** Job-level and group-level static feasibility with per-class caching. */
export class JobFeasibility {
  private readonly job: ReturnType<typeof split>;
  private readonly jobCache = new Map<string, Verdict>();
  private readonly groups = new Map<string, GroupFeasibility>();
  /** True when any constraint of the job or its groups escaped class caching. */
  readonly escaped: boolean;

  constructor(job: Job) {
    this.job = split(job.Constraints);
    let escaped = this.job.escaped.length > 0;
    for (const group of job.TaskGroups) {
      const checker = new GroupFeasibility(group);
      this.groups.set(group.Name, checker);
      escaped ||= checker.escaped;
    }
    this.escaped = escaped;
  }

  group(name: string): GroupFeasibility {
    const checker = this.groups.get(name);
    if (checker === undefined) throw new Error(`task group ${name} is not part of the job`);
    return checker;
  }

  /** null when the node passes the job's constraints, else the failing constraint's label. */
  checkJob(node: Node): Verdict {
    // A node without a computed class cannot share a verdict with any other node.
    let verdict = node.ComputedClass === "" ? undefined : this.jobCache.get(node.ComputedClass);
    if (verdict === undefined) {
      verdict = firstFailure(node, this.job.cached);
      if (node.ComputedClass !== "") this.jobCache.set(node.ComputedClass, verdict);
    }
    if (verdict !== null) return verdict;
    return this.job.escaped.length === 0 ? null : firstFailure(node, this.job.escaped);
  }

  /** Job then group checks: null when statically feasible, else the reason. */
  check(node: Node, group: string): Verdict {
    return this.checkJob(node) ?? this.group(group).check(node);
  }

  /**
   * What a blocked eval records: for each computed class seen, whether the job and at least one
   * group were feasible on it (Nomad's EvalEligibility.GetClasses).
   */
  classEligibility(): Record<string, boolean> {
    const classes: Record<string, boolean> = {};
    for (const [computedClass, verdict] of this.jobCache) {
      if (verdict !== null) {
        classes[computedClass] = false;
        continue;
      }
      let any = false;
      let seen = false;
      for (const group of this.groups.values()) {
        const groupVerdict = group.cachedVerdict(computedClass);
        if (groupVerdict === undefined) continue;
        seen = true;
        any ||= groupVerdict === null;
      }
      if (seen) classes[computedClass] = any;
    }
    return classes;
  }
}

export class GroupFeasibility {
  private readonly drivers: string[];
  private readonly constraints: ReturnType<typeof split>;
  private readonly cache = new Map<string, Verdict>();
  readonly escaped: boolean;

  constructor(group: TaskGroup) {
    this.drivers = groupDrivers(group);
    const all = [...group.Constraints];
    for (const task of group.Tasks) all.push(...task.Constraints);
    this.constraints = split(all);
    this.escaped = this.constraints.escaped.length > 0;
  }

  check(node: Node): Verdict {
    let verdict = node.ComputedClass === "" ? undefined : this.cache.get(node.ComputedClass);
    if (verdict === undefined) {
      verdict = this.checkClass(node);
      if (node.ComputedClass !== "") this.cache.set(node.ComputedClass, verdict);
    }
    if (verdict !== null) return verdict;
    return this.constraints.escaped.length === 0 ? null : firstFailure(node, this.constraints.escaped);
  }

  cachedVerdict(computedClass: string): Verdict | undefined {
    return this.cache.get(computedClass);
  }

  private checkClass(node: Node): Verdict {
    for (const driver of this.drivers) if (!nodeHasDriver(node, driver)) return `missing drivers`;
    return firstFailure(node, this.constraints.cached);
  }
}
