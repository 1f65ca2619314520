import { holdsResources } from "../fsm/alloc-usage.js";
import {
  EMPTY_NODE_USAGE,
  groupCountKey,
  jobCountKey,
  type NodeUsageSummary,
} from "../fsm/node-usage-summary.js";
import type { Allocation, Node } from "../fsm/structs.js";
import {
  allocUsage,
  DIMENSION_CPU,
  DIMENSION_DISK,
  DIMENSION_DYNAMIC_PORTS,
  DIMENSION_MEMORY,
  DIMENSION_PORT_COLLISION,
  DIMENSION_RESERVED_PORT,
  type NodeCapacity,
  nodeCapacity,
} from "./fit.js";
import type { GroupAsk } from "./group-ask.js";

/**
 * Job and group keys of `NodeUsage` counts, interned to small integers: the selection loop looks a
 * count up for every candidate node, and an integer-keyed map is much cheaper there than a
 * string-keyed one. One table per plan being built (PlanBuilder owns it), so it lives as long as
 * the eval and holds only the jobs on the nodes that eval looked at.
 */
export class CountKeys {
  private readonly ids = new Map<string, number>();
  /** Key − 1 → the state's count key (node-usage-summary.ts) it stands for. */
  private readonly texts: string[] = [];
  /** Key − 1 → true for a job's key (its count sums the job's groups), false for a group's. */
  private readonly jobKeys: boolean[] = [];

  /** Key of a job's allocations. */
  job(namespace: string, jobId: string): number {
    return this.intern(jobCountKey(namespace, jobId), true);
  }

  /** Key of a job's task group's allocations. */
  group(namespace: string, jobId: string, group: string): number {
    return this.intern(groupCountKey(namespace, jobId, group), false);
  }

  /** How many allocations the summary counts under `key`. */
  countIn(summary: NodeUsageSummary, key: number): number {
    const text = this.texts[key - 1];
    if (text === undefined) throw new Error(`count key ${key} was never interned`);
    return this.jobKeys[key - 1] === true ? summary.jobUsageCount(text) : summary.usageCount(text);
  }

  private intern(text: string, isJob: boolean): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      this.texts.push(text);
      this.jobKeys.push(isJob);
      id = this.texts.length;
      this.ids.set(text, id);
    }
    return id;
  }
}

/** The stored allocation with this ID, as the snapshot the plan is built on holds it. */
export type StoredAlloc = (allocId: string) => Allocation | undefined;

const NONE_STORED: StoredAlloc = () => undefined;

/**
 * What a node holds once the plan being built is applied: resource sums, used host ports and how
 * many allocations of each job and group it runs. It starts from the state's summary of the node
 * (StateReader.nodeUsage) and is kept in step with the plan (placements add, stops subtract), so
 * that neither building it nor checking a candidate node walks the node's allocations.
 *
 * Exactness: an allocation is subtracted at most once, and only if it is counted: either the
 * snapshot's summary counted it (it is stored on this node and holds resources) or the plan added
 * it. An in-place update first takes out what the allocation held before.
 */
export class NodeUsage {
  readonly capacity: NodeCapacity;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  // The collections below are created on first use: a scheduler builds a NodeUsage for every
  // candidate node it ranks, and most of them never see a placement or a stop.
  /** Plan's changes to the summary's port counts. */
  private portDelta: Map<number, number> | undefined;
  /** Used ports inside the dynamic range, node-reserved ones included; computed on first use. */
  private dynamicUsedCount: number | undefined;
  /** Allocation counts by `keys.job()` and `keys.group()`, fetched from the summary on first use. */
  private counts: Map<number, number> | undefined;
  /** Allocations the plan added here (placements, in-place updates), by ID. */
  private added: Map<string, Allocation> | undefined;
  /** Stored allocations the summary counted and the plan took out (stopped, or replaced in place). */
  private takenOut: Set<string> | undefined;

  constructor(
    readonly node: Node,
    readonly keys: CountKeys,
    private readonly base: NodeUsageSummary = EMPTY_NODE_USAGE,
    private readonly stored: StoredAlloc = NONE_STORED,
  ) {
    this.capacity = nodeCapacity(node);
    this.cpu = base.cpu;
    this.memoryMB = base.memoryMB;
    this.diskMB = base.diskMB;
  }

  /** Counts `alloc` (which holds resources), replacing what the allocation with its ID held. */
  add(alloc: Allocation): void {
    this.remove(alloc.ID);
    this.change(alloc, 1);
    this.added ??= new Map();
    this.added.set(alloc.ID, alloc);
  }

  /** Takes out the allocation with this ID if it is counted here; otherwise changes nothing. */
  remove(allocId: string): void {
    const added = this.added?.get(allocId);
    if (added !== undefined) {
      this.added?.delete(allocId);
      this.change(added, -1);
      return;
    }
    // An empty summary counts nothing stored (the common case of a fresh placement's node).
    if (this.base.allocs === 0 || this.takenOut?.has(allocId) === true) return;
    const stored = this.stored(allocId);
    if (stored === undefined || !this.countsStored(stored)) return;
    this.takenOut ??= new Set();
    this.takenOut.add(allocId);
    this.change(stored, -1);
  }

  /** True when the snapshot's summary of this node counts the stored allocation. */
  private countsStored(stored: Allocation): boolean {
    return stored.NodeID === this.node.ID && holdsResources(stored);
  }

  /** True when the stored allocation is counted here once the plan applies. */
  keepsStored(stored: Allocation): boolean {
    return (
      this.countsStored(stored) &&
      this.takenOut?.has(stored.ID) !== true &&
      this.added?.has(stored.ID) !== true
    );
  }

  /** The allocations the plan added here. */
  addedAllocs(): Allocation[] {
    return [...(this.added?.values() ?? [])];
  }

  private change(alloc: Allocation, sign: 1 | -1): void {
    const usage = allocUsage(alloc);
    this.cpu += sign * usage.cpu;
    this.memoryMB += sign * usage.memoryMB;
    this.diskMB += sign * usage.diskMB;
    for (const port of usage.ports) this.changePort(port, sign);
    this.bump(this.keys.job(alloc.Namespace, alloc.JobID), sign);
    this.bump(this.keys.group(alloc.Namespace, alloc.JobID, alloc.TaskGroup), sign);
  }

  private changePort(port: number, sign: 1 | -1): void {
    const before = this.portUses(port);
    this.portDelta ??= new Map();
    this.portDelta.set(port, (this.portDelta.get(port) ?? 0) + sign);
    if (this.dynamicUsedCount === undefined || this.capacity.reservedPorts.has(port)) return;
    if (port < this.capacity.minDynamicPort || port > this.capacity.maxDynamicPort) return;
    // The count is of distinct ports: it moves only when a port becomes used or free.
    if (sign > 0 && before === 0) this.dynamicUsedCount++;
    else if (sign < 0 && before === 1) this.dynamicUsedCount--;
  }

  /** How many counted allocations use the port (more than 1 only if the state over-commits it). */
  private portUses(port: number): number {
    return this.base.portCount(port) + (this.portDelta?.get(port) ?? 0);
  }

  /** True when a counted allocation uses the port (node-reserved ports are the capacity's, not here). */
  hasPort(port: number): boolean {
    return this.portUses(port) > 0 && !this.capacity.reservedPorts.has(port);
  }

  /** Used ports inside the node's dynamic range, node-reserved ones included. */
  get dynamicUsed(): number {
    if (this.dynamicUsedCount === undefined) this.dynamicUsedCount = this.countDynamicUsed();
    return this.dynamicUsedCount;
  }

  private countDynamicUsed(): number {
    const { minDynamicPort, maxDynamicPort, reservedPorts } = this.capacity;
    let used = 0;
    for (const port of reservedPorts) if (port >= minDynamicPort && port <= maxDynamicPort) used++;
    const counts = (port: number): boolean =>
      port >= minDynamicPort && port <= maxDynamicPort && !reservedPorts.has(port) && this.portUses(port) > 0;
    if (this.base.portBound > 0) {
      for (const port of this.base.distinctPorts()) if (counts(port)) used++;
    }
    // Ports the plan brought that the summary does not hold.
    for (const port of this.portDelta?.keys() ?? []) {
      if (this.base.portCount(port) === 0 && counts(port)) used++;
    }
    return used;
  }

  count(key: number): number {
    this.counts ??= new Map();
    let count = this.counts.get(key);
    if (count === undefined) {
      count = this.keys.countIn(this.base, key);
      this.counts.set(key, count);
    }
    return count;
  }

  private bump(key: number, delta: number): void {
    const count = this.count(key) + delta;
    this.counts?.set(key, count);
  }

  /** null when `ask` fits on top of what the node holds, else the exhausted dimension. */
  fits(ask: GroupAsk): string | null {
    const capacity = this.capacity;
    if (this.cpu + ask.cpu > capacity.cpu) return DIMENSION_CPU;
    if (this.memoryMB + ask.memoryMB > capacity.memoryMB) return DIMENSION_MEMORY;
    if (this.diskMB + ask.diskMB > capacity.diskMB) return DIMENSION_DISK;
    let staticInRange = 0;
    for (let i = 0; i < ask.staticPorts.length; i++) {
      const port = ask.staticPorts[i] as number;
      if (capacity.reservedPorts.has(port)) return DIMENSION_RESERVED_PORT;
      if (this.hasPort(port)) return DIMENSION_PORT_COLLISION;
      // Two static asks of the same port within one group collide with each other.
      if (ask.staticPorts.indexOf(port) !== i) return DIMENSION_PORT_COLLISION;
      if (port >= capacity.minDynamicPort && port <= capacity.maxDynamicPort) staticInRange++;
    }
    if (ask.dynamicPorts > 0) {
      const free = capacity.maxDynamicPort - capacity.minDynamicPort + 1 - this.dynamicUsed - staticInRange;
      if (free < ask.dynamicPorts) return DIMENSION_DYNAMIC_PORTS;
    }
    return null;
  }
}
