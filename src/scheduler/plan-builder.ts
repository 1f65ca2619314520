import { holdsResources } from "../fsm/alloc-usage.js";
import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, AllocClientStatus, Evaluation, Job, Node, Plan } from "../fsm/structs.js";
import { CountKeys, NodeUsage } from "./node-usage.js";

/** Something that follows the allocations a plan adds and removes (spread and distinct_property counts). */
export interface PlanListener {
  placed(alloc: Allocation): void;
  stopped(alloc: Allocation): void;
}

/**
 * The plan under construction for one eval, with the per-node usage it implies. Stops are
 * recorded before the placements that may reuse their room (as Nomad computes stops first).
 * Usage for a node is built on first use from the snapshot's summary of the node and then kept in
 * step with the plan.
 */
export class PlanBuilder {
  readonly plan: Plan;
  private readonly usage = new Map<string, NodeUsage>();
  /** IDs of allocations the plan stops or preempts. */
  private readonly removed = new Set<string>();
  private readonly listeners: PlanListener[] = [];
  /** The job and group keys of this plan's node usages. */
  readonly keys = new CountKeys();

  constructor(
    readonly reader: StateReader,
    header: Pick<Plan, "EvalID" | "EvalToken" | "Priority" | "AllAtOnce" | "JobID" | "Namespace">,
  ) {
    this.plan = {
      ...header,
      NodeUpdate: {},
      NodeAllocation: {},
      NodePreemptions: {},
      Deployment: null,
      DeploymentUpdates: [],
      SnapshotIndex: reader.index,
    };
  }

  /** The builder for the plan of `evaluation`, which schedules `job` (null when it is gone). */
  static forEval(
    reader: StateReader,
    evaluation: Evaluation,
    job: Job | null,
    evalToken: string | undefined,
  ): PlanBuilder {
    return new PlanBuilder(reader, {
      EvalID: evaluation.ID,
      EvalToken: evalToken ?? "",
      Priority: job?.Priority ?? evaluation.Priority,
      AllAtOnce: job?.AllAtOnce ?? false,
      JobID: evaluation.JobID,
      Namespace: evaluation.Namespace,
    });
  }

  listen(listener: PlanListener): void {
    this.listeners.push(listener);
  }

  /** True when the allocation, as stored, holds resources and the plan does not remove it. */
  isLive(alloc: Allocation): boolean {
    return holdsResources(alloc) && !this.removed.has(alloc.ID);
  }

  wasRemoved(allocId: string): boolean {
    return this.removed.has(allocId);
  }

  /**
   * What the node holds once the plan applies. Built on first use from the snapshot's summary of
   * the node, with the plan's changes so far on it replayed (stops and preemptions, then
   * placements and in-place updates, as the plan applier applies them); kept in step after that.
   */
  usageOf(node: Node): NodeUsage {
    let usage = this.usage.get(node.ID);
    if (usage === undefined) {
      usage = new NodeUsage(node, this.keys, this.reader.nodeUsage(node.ID), this.storedAlloc);
      if (this.removed.size > 0) {
        for (const alloc of this.plan.NodeUpdate[node.ID] ?? []) {
          if (this.removed.has(alloc.ID)) usage.remove(alloc.ID);
        }
        for (const alloc of this.plan.NodePreemptions[node.ID] ?? []) {
          if (this.removed.has(alloc.ID)) usage.remove(alloc.ID);
        }
      }
      for (const alloc of this.plan.NodeAllocation[node.ID] ?? []) {
        if (holdsResources(alloc)) usage.add(alloc);
        else usage.remove(alloc.ID);
      }
      this.usage.set(node.ID, usage);
    }
    return usage;
  }

  private readonly storedAlloc = (allocId: string): Allocation | undefined => this.reader.allocByID(allocId);

  /**
   * Live allocations on the node once the plan applies (for preemption, which is rare: this one
   * walks the node's allocations).
   */
  liveAllocsOn(node: Node): Allocation[] {
    const usage = this.usageOf(node);
    const live = this.reader.allocsByNode(node.ID).filter((alloc) => usage.keepsStored(alloc));
    live.push(...usage.addedAllocs());
    return live;
  }

  /** Stops an allocation: a copy with DesiredStatus "stop" goes into NodeUpdate. */
  appendStop(alloc: Allocation, description: string, clientStatus?: AllocClientStatus): Allocation {
    const stopped: Allocation = {
      ...alloc,
      DesiredStatus: "stop",
      DesiredDescription: description,
      ClientStatus: clientStatus ?? alloc.ClientStatus,
    };
    push(this.plan.NodeUpdate, alloc.NodeID, stopped);
    this.remove(alloc);
    return stopped;
  }

  /** Evicts a lower-priority allocation to make room for `byAllocId`. */
  appendPreemption(alloc: Allocation, byAllocId: string): Allocation {
    const evicted: Allocation = {
      ...alloc,
      DesiredStatus: "evict",
      DesiredDescription: `Preempted by alloc ID ${byAllocId}`,
      PreemptedByAllocation: byAllocId,
    };
    push(this.plan.NodePreemptions, alloc.NodeID, evicted);
    this.remove(alloc);
    return evicted;
  }

  /** Places a new allocation or an in-place update of an existing one (same ID). */
  appendAlloc(alloc: Allocation): void {
    push(this.plan.NodeAllocation, alloc.NodeID, alloc);
    if (!holdsResources(alloc)) {
      // It replaces the stored allocation with its ID, which then holds nothing either.
      this.usage.get(alloc.NodeID)?.remove(alloc.ID);
      return;
    }
    this.usage.get(alloc.NodeID)?.add(alloc);
    for (const listener of this.listeners) listener.placed(alloc);
  }

  /**
   * Takes back the last stop of `alloc` (a destructive update whose replacement found no node
   * keeps the old allocation running, as Nomad's PopUpdate).
   */
  undoStop(alloc: Allocation): void {
    const list = this.plan.NodeUpdate[alloc.NodeID];
    const at = list === undefined ? -1 : list.findLastIndex((a) => a.ID === alloc.ID);
    if (list === undefined || at < 0) throw new Error(`no stop of alloc ${alloc.ID} to undo`);
    list.splice(at, 1);
    if (list.length === 0) delete this.plan.NodeUpdate[alloc.NodeID];
    this.removed.delete(alloc.ID);
    if (!holdsResources(alloc)) return;
    this.usage.get(alloc.NodeID)?.add(alloc);
    for (const listener of this.listeners) listener.placed(alloc);
  }

  private remove(alloc: Allocation): void {
    this.removed.add(alloc.ID);
    this.usage.get(alloc.NodeID)?.remove(alloc.ID);
    for (const listener of this.listeners) listener.stopped(alloc);
  }

  isEmpty(): boolean {
    const p = this.plan;
    return (
      Object.keys(p.NodeUpdate).length === 0 &&
      Object.keys(p.NodeAllocation).length === 0 &&
      Object.keys(p.NodePreemptions).length === 0 &&
      p.Deployment === null &&
      p.DeploymentUpdates.length === 0
    );
  }
}

function push(map: Record<string, Allocation[]>, key: string, alloc: Allocation): void {
  const list = map[key];
  if (list === undefined) map[key] = [alloc];
  else list.push(alloc);
}
