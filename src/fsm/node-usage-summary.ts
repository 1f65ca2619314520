import { assert } from "../common/assert.js";
import { allocUsageInto, holdsResources, MAX_PORT, newAllocUsageScratch } from "./alloc-usage.js";
import { BagDraft, bagCount, bagEntries, bagOf, bagPrefixSum, type CountBag, emptyBag } from "./count-bag.js";
import type { Allocation } from "./structs.js";
import { nsKey } from "./tables.js";

/**
 * What the allocations that hold resources on one node (holdsResources) hold, summed: the state
 * keeps one per node so that a scheduler ranking a node, or the plan applier re-checking it, starts
 * from these sums instead of adding up every allocation on the node.
 *
 * A summary is immutable (the object is frozen, its bags persistent: count-bag.ts), so a snapshot
 * holding it never sees later writes; an unchanged node's summary is shared by every version of
 * the state. Invariant (tables-invariants.ts): each equals `summarizeAllocs` of its node's
 * allocations, and a node none of whose allocations holds resources has no summary.
 */
export interface NodeUsageSummary {
  /** How many allocations hold resources on the node. */
  readonly allocs: number;
  readonly cpu: number;
  readonly memoryMB: number;
  readonly diskMB: number;
  /**
   * Host port → how many of those allocations use it: a multiset, so a count above 1 means the
   * state over-commits the port (an older state, or one a fix has not reached).
   */
  readonly ports: CountBag<number>;
  /** Σ (count − 1) over the ports: 0 unless some port is used twice. */
  readonly portCollisions: number;
  /** Uses of ports outside 1..65535 (never valid; kept so that a fit check can refuse them). */
  readonly invalidPorts: number;
  /**
   * `groupCountKey` → how many of those allocations belong to the task group. A job's count is
   * the sum over its groups (`jobUsageCount`): their keys share the job's prefix.
   */
  readonly counts: CountBag<string>;
}

export const EMPTY_NODE_USAGE: NodeUsageSummary = Object.freeze({
  allocs: 0,
  cpu: 0,
  memoryMB: 0,
  diskMB: 0,
  ports: emptyBag<number>(),
  portCollisions: 0,
  invalidPorts: 0,
  counts: emptyBag<string>(),
});

/** The count key of a job's allocations: nsKey(namespace, jobId). */
export function jobCountKey(namespace: string, jobId: string): string {
  return nsKey(namespace, jobId);
}

/** The count key of a task group's allocations: the job's key, NUL, the group's name. */
export function groupCountKey(namespace: string, jobId: string, group: string): string {
  return groupKeyOfJob(jobCountKey(namespace, jobId), group);
}

/** groupCountKey, given the job's key (jobCountKey). */
export function groupKeyOfJob(jobKey: string, group: string): string {
  return `${jobKey}\u0000${group}`;
}

/** How many holding allocations use `port` on the node. */
export function portCount(summary: NodeUsageSummary, port: number): number {
  return bagCount(summary.ports, port);
}

/** The ports the node's holding allocations use, each once, ascending. */
export function* distinctPorts(summary: NodeUsageSummary): Generator<number> {
  for (const [port] of bagEntries(summary.ports)) yield port;
}

/** How many holding allocations belong to the group (`key` = groupCountKey). */
export function usageCount(summary: NodeUsageSummary, key: string): number {
  return bagCount(summary.counts, key);
}

/** How many holding allocations belong to the job (`key` = jobCountKey), all groups together. */
export function jobUsageCount(summary: NodeUsageSummary, key: string): number {
  return bagPrefixSum(summary.counts, groupKeyOfJob(key, ""));
}

/** What allocUsageInto writes for the sums below, each read before the next allocation's. */
const scratchUsage = newAllocUsageScratch();

/**
 * A node's summary being changed: starts from a stored one (or EMPTY_NODE_USAGE) and publishes a
 * new immutable one on `finish()`; the base is never touched.
 */
export class NodeUsageDraft {
  allocs: number;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  portCollisions: number;
  invalidPorts: number;
  private readonly basePorts: CountBag<number>;
  /** Created on the first port change (most allocations of a big plan carry none). */
  private ports: BagDraft<number> | undefined;
  private readonly counts: BagDraft<string>;

  constructor(base: NodeUsageSummary) {
    this.allocs = base.allocs;
    this.cpu = base.cpu;
    this.memoryMB = base.memoryMB;
    this.diskMB = base.diskMB;
    this.portCollisions = base.portCollisions;
    this.invalidPorts = base.invalidPorts;
    this.basePorts = base.ports;
    this.counts = new BagDraft(base.counts);
  }

  /**
   * Counts `alloc` (the caller has checked that it holds resources here). The group key defaults
   * to `groupCountKey` of the allocation; a caller writing many passes a shared one.
   */
  add(alloc: Allocation, groupKey?: string): void {
    this.change(alloc, groupKey, 1);
  }

  /** Takes back an allocation `add` counted, as it was then. */
  remove(alloc: Allocation, groupKey?: string): void {
    this.change(alloc, groupKey, -1);
  }

  private change(alloc: Allocation, groupKey: string | undefined, sign: 1 | -1): void {
    const usage = allocUsageInto(alloc, scratchUsage);
    this.allocs += sign;
    assert(this.allocs >= 0, () => `node usage of ${alloc.NodeID}: alloc ${alloc.ID} removed twice`);
    this.cpu += sign * usage.cpu;
    this.memoryMB += sign * usage.memoryMB;
    this.diskMB += sign * usage.diskMB;
    for (let i = 0; i < usage.portCount; i++) {
      const port = usage.ports[i] as number;
      this.ports ??= new BagDraft(this.basePorts);
      const before = this.ports.add(port, sign);
      if (sign > 0 ? before >= 1 : before >= 2) this.portCollisions += sign;
      if (port < 1 || port > MAX_PORT) this.invalidPorts += sign;
    }
    this.counts.add(groupKey ?? groupCountKey(alloc.Namespace, alloc.JobID, alloc.TaskGroup), sign);
  }

  /** The summary as it now stands (EMPTY_NODE_USAGE once nothing holds the node). */
  finish(): NodeUsageSummary {
    if (this.allocs === 0) {
      assert(
        this.portCollisions === 0 && this.invalidPorts === 0,
        "node usage: no allocation left but port collisions remain",
      );
      return EMPTY_NODE_USAGE;
    }
    return Object.freeze({
      allocs: this.allocs,
      cpu: this.cpu,
      memoryMB: this.memoryMB,
      diskMB: this.diskMB,
      ports: this.ports?.finish() ?? this.basePorts,
      portCollisions: this.portCollisions,
      invalidPorts: this.invalidPorts,
      counts: this.counts.finish(),
    });
  }
}

/**
 * `base`, a node's summary, with a plan's changes on that node: every stored allocation the plan
 * removes (`removedIds`: stops, preemptions) or replaces (a placement with its ID) is taken out
 * once, if the summary counts it (`stored` finds it; it must be on `nodeId` and hold resources);
 * then the placements `counts` accepts are added. O(the plan's allocations on the node).
 */
export function summaryWithPlan(
  base: NodeUsageSummary,
  nodeId: string,
  stored: (allocId: string) => Allocation | undefined,
  removedIds: Iterable<string>,
  placed: readonly Allocation[],
  counts: (alloc: Allocation) => boolean,
): NodeUsageSummary {
  const taken = new Set(removedIds);
  for (const alloc of placed) taken.add(alloc.ID);
  if (taken.size === 0) return base;
  const draft = new NodeUsageDraft(base);
  for (const id of taken) {
    const alloc = stored(id);
    if (alloc !== undefined && alloc.NodeID === nodeId && holdsResources(alloc)) draft.remove(alloc);
  }
  for (const alloc of placed) if (counts(alloc)) draft.add(alloc);
  return draft.finish();
}

/**
 * The summary of a node holding `allocs` (all on that node), computed from scratch in one pass.
 * `groupKeys[i]`, when given, is groupCountKey of `allocs[i]` (a caller may pass one shared
 * string per group instead of building one per call).
 */
export function summarizeAllocs(
  allocs: readonly Allocation[],
  groupKeys?: readonly string[],
): NodeUsageSummary {
  const sum = new UsageSum();
  for (let i = 0; i < allocs.length; i++) {
    const alloc = allocs[i] as Allocation;
    if (!holdsResources(alloc)) continue;
    const usage = allocUsageInto(alloc, scratchUsage);
    const groupKey = groupKeys?.[i] ?? groupCountKey(alloc.Namespace, alloc.JobID, alloc.TaskGroup);
    sum.add(usage.cpu, usage.memoryMB, usage.diskMB, usage.ports, 0, usage.portCount, groupKey);
  }
  return sum.finish();
}

/**
 * A node's summary summed from scratch, one holding allocation at a time, and built once
 * (summarizeAllocs, and a bulk load, which gathers what each allocation holds beforehand).
 */
export class UsageSum {
  private count = 0;
  private cpu = 0;
  private memoryMB = 0;
  private diskMB = 0;
  private invalidPorts = 0;
  private portCollisions = 0;
  private readonly ports = new Map<number, number>();
  private readonly counts = new Map<string, number>();

  /** Counts one holding allocation: its sums, its ports `ports[from, to)` (each once), its group. */
  add(
    cpu: number,
    memoryMB: number,
    diskMB: number,
    ports: ArrayLike<number>,
    from: number,
    to: number,
    groupKey: string,
  ): void {
    this.count++;
    this.cpu += cpu;
    this.memoryMB += memoryMB;
    this.diskMB += diskMB;
    for (let p = from; p < to; p++) {
      const port = ports[p] as number;
      const before = this.ports.get(port) ?? 0;
      if (before > 0) this.portCollisions++;
      this.ports.set(port, before + 1);
      if (port < 1 || port > MAX_PORT) this.invalidPorts++;
    }
    this.counts.set(groupKey, (this.counts.get(groupKey) ?? 0) + 1);
  }

  finish(): NodeUsageSummary {
    if (this.count === 0) return EMPTY_NODE_USAGE;
    return Object.freeze({
      allocs: this.count,
      cpu: this.cpu,
      memoryMB: this.memoryMB,
      diskMB: this.diskMB,
      ports: bagOf(this.ports),
      portCollisions: this.portCollisions,
      invalidPorts: this.invalidPorts,
      counts: bagOf(this.counts),
    });
  }
}

/** A plain form of a summary (bags as their entries), for comparing two in tests and checks. */
export function plainNodeUsage(summary: NodeUsageSummary): Record<string, unknown> {
  return {
    allocs: summary.allocs,
    cpu: summary.cpu,
    memoryMB: summary.memoryMB,
    diskMB: summary.diskMB,
    ports: [...bagEntries(summary.ports)],
    portCollisions: summary.portCollisions,
    invalidPorts: summary.invalidPorts,
    counts: [...bagEntries(summary.counts)],
  };
}
