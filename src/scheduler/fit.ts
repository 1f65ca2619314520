import { type AllocUsage, computeAllocUsage, MAX_PORT } from "../fsm/alloc-usage.js";
import type { Allocation, Node } from "../fsm/structs.js";
import { allocClientTerminal } from "../fsm/structs.js";
import { parsePortSpec } from "./port-spec.js";

/**
 * The fit check: do these allocations, together, fit on this node? Shared by the schedulers
 * (which use the incremental form in node-usage.ts) and the plan applier on the leader, which
 * re-checks every node of a plan against the latest committed state (docs/architecture.md,
 * invariant 3).
 *
 * Dimensions are reported with Nomad's words so that `job status` reads the same.
 */
export const DIMENSION_CPU = "cpu";
export const DIMENSION_MEMORY = "memory";
export const DIMENSION_DISK = "disk";
export const DIMENSION_PORT_COLLISION = "network: port collision";
export const DIMENSION_RESERVED_PORT = "network: reserved port collision";
export const DIMENSION_INVALID_PORT = "network: invalid port";
export const DIMENSION_DYNAMIC_PORTS = "network: dynamic port selection failed";

/** Nomad's default dynamic port range, used when a node does not report its own. */
export const DEFAULT_MIN_DYNAMIC_PORT = 20000;
export const DEFAULT_MAX_DYNAMIC_PORT = 32000;

export interface FitResult {
  fit: boolean;
  /** The first exhausted dimension when `fit` is false. */
  dimension?: string;
}

export interface FitOptions {
  /**
   * Count allocations whose client status is terminal too (default false: a client-terminal
   * allocation no longer holds resources, as in Nomad's AllocsFit).
   */
  includeClientTerminal?: boolean;
}

/** What a node can give to allocations: its total minus what the operator reserved. */
export interface NodeCapacity {
  cpu: number;
  memoryMB: number;
  diskMB: number;
  /** Host ports no allocation may use (reserved host ports and the node networks' reserved ports). */
  reservedPorts: ReadonlySet<number>;
  minDynamicPort: number;
  maxDynamicPort: number;
}

export type { AllocUsage };

const capacityCache = new WeakMap<Node, NodeCapacity>();
/** Most nodes share a reserved-ports spec ("22"); they share its parsed set, which nobody mutates. */
const reservedSetCache = new Map<string, ReadonlySet<number>>();

/** The node's allocatable capacity (memoized per node object: stored nodes are frozen). */
export function nodeCapacity(node: Node): NodeCapacity {
  const cached = capacityCache.get(node);
  if (cached !== undefined) return cached;
  const resources = node.NodeResources;
  const reserved = node.ReservedResources;
  let reservedPorts: ReadonlySet<number> | undefined = reservedSetCache.get(
    reserved.Networks.ReservedHostPorts,
  );
  if (reservedPorts === undefined) {
    reservedPorts = new Set(
      parsePortSpec(reserved.Networks.ReservedHostPorts, `node ${node.ID} reserved host ports`),
    );
    if (reservedSetCache.size > 1000) reservedSetCache.clear();
    reservedSetCache.set(reserved.Networks.ReservedHostPorts, reservedPorts);
  }
  const networkReserved = resources.Networks.flatMap((n) => n.ReservedPorts.filter((p) => p.Value > 0));
  if (networkReserved.length > 0) {
    const merged = new Set(reservedPorts);
    for (const port of networkReserved) merged.add(port.Value);
    reservedPorts = merged;
  }
  const capacity: NodeCapacity = {
    cpu: resources.Cpu.CpuShares - reserved.Cpu.CpuShares,
    memoryMB: resources.Memory.MemoryMB - reserved.Memory.MemoryMB,
    diskMB: resources.Disk.DiskMB - reserved.Disk.DiskMB,
    reservedPorts,
    minDynamicPort: resources.MinDynamicPort > 0 ? resources.MinDynamicPort : DEFAULT_MIN_DYNAMIC_PORT,
    maxDynamicPort: resources.MaxDynamicPort > 0 ? resources.MaxDynamicPort : DEFAULT_MAX_DYNAMIC_PORT,
  };
  capacityCache.set(node, capacity);
  return capacity;
}

const usageCache = new WeakMap<Allocation, AllocUsage>();

/**
 * The resources an allocation holds (the state store's definition, alloc-usage.ts), memoized per
 * allocation object: stored allocations are frozen, and a scheduler asks for the same ones often.
 */
export function allocUsage(alloc: Allocation): AllocUsage {
  const cached = usageCache.get(alloc);
  if (cached !== undefined) return cached;
  const usage = computeAllocUsage(alloc);
  usageCache.set(alloc, usage);
  return usage;
}

/**
 * Checks that `allocs` fit on `node` together: cpu, memory and disk sums within the node's
 * allocatable capacity, no port outside 1..65535, no port on a node-reserved port, and no port
 * used twice. The caller passes exactly the allocations that would hold the node (for the plan
 * applier: the node's non-terminal allocations, minus the plan's stops and preemptions, plus the
 * plan's placements; see `proposedNodeAllocs`).
 */
export function allocsFit(node: Node, allocs: readonly Allocation[], options: FitOptions = {}): FitResult {
  const capacity = nodeCapacity(node);
  let cpu = 0;
  let memoryMB = 0;
  let diskMB = 0;
  const used = new Set<number>();
  let portProblem: string | undefined;
  for (const alloc of allocs) {
    if (options.includeClientTerminal !== true && allocClientTerminal(alloc)) continue;
    const usage = allocUsage(alloc);
    cpu += usage.cpu;
    memoryMB += usage.memoryMB;
    diskMB += usage.diskMB;
    if (portProblem !== undefined) continue;
    for (const port of usage.ports) {
      if (port < 1 || port > MAX_PORT) {
        portProblem = DIMENSION_INVALID_PORT;
      } else if (capacity.reservedPorts.has(port)) {
        portProblem = DIMENSION_RESERVED_PORT;
      } else if (used.has(port)) {
        portProblem = DIMENSION_PORT_COLLISION;
      } else {
        used.add(port);
        continue;
      }
      break;
    }
  }
  // Nomad reports the first exhausted dimension in this order: cpu, memory, disk, then network.
  if (cpu > capacity.cpu) return { fit: false, dimension: DIMENSION_CPU };
  if (memoryMB > capacity.memoryMB) return { fit: false, dimension: DIMENSION_MEMORY };
  if (diskMB > capacity.diskMB) return { fit: false, dimension: DIMENSION_DISK };
  if (portProblem !== undefined) return { fit: false, dimension: portProblem };
  return { fit: true };
}

/**
 * The allocations that would hold `nodeId` once a plan is applied: the node's existing
 * allocations that are not terminal, minus the ones the plan stops or preempts, plus the ones it
 * places or updates (an in-place update replaces the existing allocation with the same ID).
 */
export function proposedNodeAllocs(
  existing: readonly Allocation[],
  plan: {
    NodeUpdate: Record<string, Allocation[]>;
    NodeAllocation: Record<string, Allocation[]>;
    NodePreemptions: Record<string, Allocation[]>;
  },
  nodeId: string,
): Allocation[] {
  const removed = new Set<string>();
  for (const alloc of plan.NodeUpdate[nodeId] ?? []) removed.add(alloc.ID);
  for (const alloc of plan.NodePreemptions[nodeId] ?? []) removed.add(alloc.ID);
  const placed = plan.NodeAllocation[nodeId] ?? [];
  for (const alloc of placed) removed.add(alloc.ID);
  const result: Allocation[] = [];
  for (const alloc of existing) {
    if (alloc.DesiredStatus !== "run" || allocClientTerminal(alloc)) continue;
    if (!removed.has(alloc.ID)) result.push(alloc);
  }
  for (const alloc of placed) result.push(alloc);
  return result;
}
