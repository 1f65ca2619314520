import type { StateReader } from "../fsm/state-reader.js";
import type { Constraint, Job, Node, TaskGroup } from "../fsm/structs.js";
import { DISTINCT_HOSTS, DISTINCT_PROPERTY } from "./constraint-check.js";
import type { NodeUsage } from "./node-usage.js";
import type { PlanBuilder } from "./plan-builder.js";
import { PropertyCounts } from "./property-counts.js";

interface PropertyLimit {
  counts: PropertyCounts;
  limit: number;
  label: string;
}

/**
 * distinct_hosts and distinct_property, which depend on where the job's other allocations are
 * (plan included) and so are checked per node at selection time. At job level they count all of
 * the job's allocations, at group level only the group's (Nomad's DistinctHostsIterator and
 * DistinctPropertyIterator). distinct_property's RTarget is the allowed count per value (default 1).
 */
export class DistinctChecker {
  private readonly jobHosts: boolean;
  private readonly groupHosts: boolean;
  private readonly jobKey: number;
  private readonly groupKey: number;
  private readonly properties: PropertyLimit[] = [];

  constructor(reader: StateReader, builder: PlanBuilder, job: Job, group: TaskGroup) {
    const groupConstraints: Constraint[] = [...group.Constraints];
    for (const task of group.Tasks) groupConstraints.push(...task.Constraints);
    this.jobHosts = job.Constraints.some((c) => c.Operand === DISTINCT_HOSTS && c.RTarget !== "false");
    this.groupHosts = groupConstraints.some((c) => c.Operand === DISTINCT_HOSTS && c.RTarget !== "false");
    this.jobKey = builder.keys.job(job.Namespace, job.ID);
    this.groupKey = builder.keys.group(job.Namespace, job.ID, group.Name);
    const add = (constraint: Constraint, scope: string | null): void => {
      if (constraint.Operand !== DISTINCT_PROPERTY) return;
      const limit = constraint.RTarget === "" ? 1 : Number(constraint.RTarget);
      this.properties.push({
        counts: new PropertyCounts(reader, constraint.LTarget, job.Namespace, job.ID, scope, builder),
        limit: Number.isInteger(limit) && limit > 0 ? limit : 1,
        label: `${DISTINCT_PROPERTY}: ${constraint.LTarget}`,
      });
    };
    for (const c of job.Constraints) add(c, null);
    for (const c of groupConstraints) add(c, group.Name);
  }

  get active(): boolean {
    return this.jobHosts || this.groupHosts || this.properties.length > 0;
  }

  /** null when the node passes, else the reason it is filtered. */
  check(node: Node, usage: NodeUsage): string | null {
    if (this.jobHosts && usage.count(this.jobKey) > 0) return DISTINCT_HOSTS;
    if (this.groupHosts && usage.count(this.groupKey) > 0) return DISTINCT_HOSTS;
    for (const property of this.properties) {
      const value = property.counts.valueOf(node);
      if (value === null) return `missing property ${property.counts.attribute}`;
      if (property.counts.countOf(value) >= property.limit) return property.label;
    }
    return null;
  }
}
