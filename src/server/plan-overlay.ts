import { holdsResources } from "../fsm/alloc-usage.js";
import { type NodeUsageSummary, summaryWithPlan } from "../fsm/node-usage-summary.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, Node } from "../fsm/structs.js";

/** What the plan applier needs to read about a node: the node and the allocations that hold it. */
export interface NodeAllocsView {
  /** The index the view reflects (the base state's; the overlay's commit index is not known yet). */
  readonly index: number;
  nodeByID(id: string): Node | undefined;
  allocsByNode(nodeId: string): readonly Allocation[];
  /** The summary of what the node's allocations hold (StateReader.nodeUsage). */
  nodeUsage(nodeId: string): NodeUsageSummary;
  /** The allocation with this ID, if any. */
  allocByID(id: string): Allocation | undefined;
}

/** The per-node effects of a plan whose Raft commit is still in flight. */
export interface InFlightPlan {
  NodeUpdate: Record<string, Allocation[]>;
  NodeAllocation: Record<string, Allocation[]>;
  NodePreemptions: Record<string, Allocation[]>;
}

/**
 * The latest committed state with the effect of the previous plan, whose Raft commit is still in
 * flight, applied optimistically (Nomad's plan_apply.go applies the result to a state snapshot).
 * Raft commits entries in order, so by the time the plan verified against this view commits,
 * the in-flight plan has committed before it: this view is exactly the state the next plan will
 * land on, unless the in-flight commit fails, in which case the applier verifies again.
 *
 * Applying the overlay is idempotent (placements replace allocations by ID, stops remove by ID),
 * so it stays correct if the base state already contains the in-flight plan.
 */
export class OptimisticView implements NodeAllocsView {
  constructor(
    private readonly base: StateReader,
    private readonly inFlight: InFlightPlan,
  ) {}

  get index(): number {
    return this.base.index;
  }

  nodeByID(id: string): Node | undefined {
    return this.base.nodeByID(id);
  }

  /** In-flight allocations by ID: the placed version, or null for one it stops or preempts. */
  private inFlightById: Map<string, Allocation | null> | undefined;

  allocByID(id: string): Allocation | undefined {
    if (this.inFlightById === undefined) {
      const byId = new Map<string, Allocation | null>();
      for (const allocs of Object.values(this.inFlight.NodeAllocation)) {
        for (const alloc of allocs) byId.set(alloc.ID, alloc);
      }
      for (const allocs of Object.values(this.inFlight.NodeUpdate))
        for (const a of allocs) byId.set(a.ID, null);
      for (const allocs of Object.values(this.inFlight.NodePreemptions)) {
        for (const alloc of allocs) byId.set(alloc.ID, null);
      }
      this.inFlightById = byId;
    }
    const inFlight = this.inFlightById.get(id);
    if (inFlight === undefined) return this.base.allocByID(id);
    return inFlight ?? undefined;
  }

  /** The base summary with the in-flight plan's changes on the node applied (as allocsByNode). */
  nodeUsage(nodeId: string): NodeUsageSummary {
    const gone = new Set<string>();
    for (const alloc of this.inFlight.NodeUpdate[nodeId] ?? []) gone.add(alloc.ID);
    for (const alloc of this.inFlight.NodePreemptions[nodeId] ?? []) gone.add(alloc.ID);
    // A placement the same plan also stops is gone too (allocsByNode drops it).
    const placed = (this.inFlight.NodeAllocation[nodeId] ?? []).filter((alloc) => !gone.has(alloc.ID));
    return summaryWithPlan(
      this.base.nodeUsage(nodeId),
      nodeId,
      (id) => this.base.allocByID(id),
      gone,
      placed,
      holdsResources,
    );
  }

  allocsByNode(nodeId: string): readonly Allocation[] {
    const existing = this.base.allocsByNode(nodeId);
    const placed = this.inFlight.NodeAllocation[nodeId] ?? [];
    const stopped = this.inFlight.NodeUpdate[nodeId] ?? [];
    const preempted = this.inFlight.NodePreemptions[nodeId] ?? [];
    if (placed.length === 0 && stopped.length === 0 && preempted.length === 0) return existing;
    const replaced = new Map<string, Allocation>();
    for (const alloc of placed) replaced.set(alloc.ID, alloc);
    const gone = new Set<string>();
    for (const alloc of stopped) gone.add(alloc.ID);
    for (const alloc of preempted) gone.add(alloc.ID);
    const result: Allocation[] = [];
    for (const alloc of existing) {
      if (gone.has(alloc.ID) || replaced.has(alloc.ID)) continue;
      result.push(alloc);
    }
    for (const alloc of replaced.values()) if (!gone.has(alloc.ID)) result.push(alloc);
    return result;
  }
}
