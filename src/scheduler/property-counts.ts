import { holdsResources } from "../fsm/alloc-usage.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, Node } from "../fsm/structs.js";
import { resolveTarget } from "./node-target.js";
import type { PlanBuilder, PlanListener } from "./plan-builder.js";

/**
 * How many live allocations of a job (or of one of its groups) sit on nodes with each value of a
 * node property, once the plan applies: Nomad's propertySet, used by distinct_property and by
 * spread blocks. Built from the snapshot on creation and kept in step with the plan.
 */
export class PropertyCounts implements PlanListener {
  readonly counts = new Map<string, number>();
  private readonly counted = new Set<string>();
  private readonly nodeValues = new Map<string, string | null>();

  constructor(
    private readonly reader: StateReader,
    readonly attribute: string,
    private readonly namespace: string,
    private readonly jobId: string,
    /** Count only this group's allocations; null counts the whole job. */
    private readonly group: string | null,
    builder: PlanBuilder,
  ) {
    for (const alloc of reader.allocsByJob(namespace, jobId)) {
      if (builder.isLive(alloc)) this.placed(alloc);
    }
    for (const allocs of Object.values(builder.plan.NodeAllocation))
      for (const alloc of allocs) this.placed(alloc);
    builder.listen(this);
  }

  /** The node's value of the attribute, or null when the node does not have it. */
  valueOf(node: Node): string | null {
    let value = this.nodeValues.get(node.ID);
    if (value === undefined) {
      const resolved = resolveTarget(this.attribute, node);
      value = resolved.found ? resolved.value : null;
      this.nodeValues.set(node.ID, value);
    }
    return value;
  }

  countOf(value: string): number {
    return this.counts.get(value) ?? 0;
  }

  placed(alloc: Allocation): void {
    if (!holdsResources(alloc) || !this.matches(alloc) || this.counted.has(alloc.ID)) return;
    const value = this.valueOfAlloc(alloc);
    if (value === null) return;
    this.counted.add(alloc.ID);
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
  }

  stopped(alloc: Allocation): void {
    if (!this.counted.delete(alloc.ID)) return;
    const value = this.valueOfAlloc(alloc);
    if (value === null) return;
    const next = (this.counts.get(value) ?? 0) - 1;
    if (next <= 0) this.counts.delete(value);
    else this.counts.set(value, next);
  }

  private matches(alloc: Allocation): boolean {
    return (
      alloc.Namespace === this.namespace &&
      alloc.JobID === this.jobId &&
      (this.group === null || alloc.TaskGroup === this.group)
    );
  }

  private valueOfAlloc(alloc: Allocation): string | null {
    const node = this.reader.nodeByID(alloc.NodeID);
    return node === undefined ? null : this.valueOf(node);
  }
}
