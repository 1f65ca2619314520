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

  /** Key of a job's allocations. */
  job(namespace: string, jobId: string): number {
    return this.intern(`${namespace}\u0000${jobId}`);
  }

  /** Key of a job's task group's allocations. */
  group(namespace: string, jobId: string, group: string): number {
    return this.intern(`${namespace}\u0000${jobId}\u0000${group}`);
  }

  private intern(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(text, id);
    }
    return id;
  }
}

/**
 * What a node holds once the plan being built is applied: resource sums, used host ports and how
 * many allocations of each job and group it runs. Kept incrementally (placements add, stops
 * subtract) so that checking a candidate node is O(ports asked), not O(allocations on the node).
 */
export class NodeUsage {
  readonly capacity: NodeCapacity;
  cpu = 0;
  memoryMB = 0;
  diskMB = 0;
  readonly ports = new Set<number>();
  /** Used ports inside the node's dynamic range, node-reserved ones included. */
  dynamicUsed = 0;
  /** Allocation counts by `keys.job()` and `keys.group()`. */
  readonly jobCounts = new Map<number, number>();
  /** The allocations counted here, by ID (so a stop of an uncounted one changes nothing). */
  readonly counted = new Map<string, Allocation>();

  constructor(
    readonly node: Node,
    readonly keys: CountKeys,
  ) {
    this.capacity = nodeCapacity(node);
    for (const port of this.capacity.reservedPorts) {
      if (port >= this.capacity.minDynamicPort && port <= this.capacity.maxDynamicPort) this.dynamicUsed++;
    }
  }

  add(alloc: Allocation): void {
    if (this.counted.has(alloc.ID)) this.remove(alloc.ID);
    const usage = allocUsage(alloc);
    this.cpu += usage.cpu;
    this.memoryMB += usage.memoryMB;
    this.diskMB += usage.diskMB;
    for (const port of usage.ports) {
      // A collision here means the state already over-commits the node's ports; the count of
      // dynamic ports is kept per distinct port so it stays right either way.
      if (this.ports.has(port) || this.capacity.reservedPorts.has(port)) continue;
      this.ports.add(port);
      if (port >= this.capacity.minDynamicPort && port <= this.capacity.maxDynamicPort) this.dynamicUsed++;
    }
    this.counted.set(alloc.ID, alloc);
    bump(this.jobCounts, this.keys.job(alloc.Namespace, alloc.JobID), 1);
    bump(this.jobCounts, this.keys.group(alloc.Namespace, alloc.JobID, alloc.TaskGroup), 1);
  }

  remove(allocId: string): void {
    const alloc = this.counted.get(allocId);
    if (alloc === undefined) return;
    this.counted.delete(allocId);
    const usage = allocUsage(alloc);
    this.cpu -= usage.cpu;
    this.memoryMB -= usage.memoryMB;
    this.diskMB -= usage.diskMB;
    for (const port of usage.ports) {
      if (!this.ports.delete(port)) continue;
      if (port >= this.capacity.minDynamicPort && port <= this.capacity.maxDynamicPort) this.dynamicUsed--;
    }
    bump(this.jobCounts, this.keys.job(alloc.Namespace, alloc.JobID), -1);
    bump(this.jobCounts, this.keys.group(alloc.Namespace, alloc.JobID, alloc.TaskGroup), -1);
  }

  count(key: number): number {
    return this.jobCounts.get(key) ?? 0;
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
      if (this.ports.has(port)) return DIMENSION_PORT_COLLISION;
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

function bump(map: Map<number, number>, key: number, delta: number): void {
  const next = (map.get(key) ?? 0) + delta;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}
