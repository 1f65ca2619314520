import { assert } from "../common/assert.js";
import { computeAllocUsage, holdsResources, MAX_PORT } from "./alloc-usage.js";
import { type Owner, PMap } from "./persistent-map.js";
import type { Allocation } from "./structs.js";
import { nsKey } from "./tables.js";

/**
 * What the allocations that hold resources on one node (holdsResources) hold, summed: the state
 * keeps one per node so that a scheduler ranking a node, or the plan applier re-checking it, starts
 * from these sums instead of adding up every allocation on the node.
 *
 * A summary is immutable (its maps are persistent), so a snapshot holding it never sees later
 * writes. Invariant (tables-invariants.ts): each equals `summarizeAllocs` of its node's
 * allocations, and a node none of whose allocations holds resources has no summary.
 */
export interface NodeUsageSummary {
  /** How many allocations hold resources on the node. */
  readonly allocs: number;
  readonly cpu: number;
  readonly memoryMB: number;
  readonly diskMB: number;
  /**
   * Host port (`portKey`) → how many of those allocations use it. A multiset: a count above 1
   * means the state over-commits the port (an older state, or a plan verified before a fix).
   */
  readonly ports: PMap<number>;
  /** Σ (count − 1) over the ports: 0 unless some port is used twice. */
  readonly portCollisions: number;
  /** Uses of ports outside 1..65535 (never valid; kept so that a fit check can refuse them). */
  readonly invalidPorts: number;
  /** `jobCountKey` and `groupCountKey` → how many of those allocations belong to the job / group. */
  readonly counts: PMap<number>;
}

export const EMPTY_NODE_USAGE: NodeUsageSummary = Object.freeze({
  allocs: 0,
  cpu: 0,
  memoryMB: 0,
  diskMB: 0,
  ports: PMap.empty<number>(),
  portCollisions: 0,
  invalidPorts: 0,
  counts: PMap.empty<number>(),
});

/** The count key of a job's allocations: nsKey(namespace, jobId). */
export function jobCountKey(namespace: string, jobId: string): string {
  return nsKey(namespace, jobId);
}

/** The count key of a task group's allocations: the job's key, NUL, the group's name. */
export function groupCountKey(namespace: string, jobId: string, group: string): string {
  return `${nsKey(namespace, jobId)}\u0000${group}`;
}

// Port keys are interned: a node summary holds one entry per used port, and 5,000 nodes using
// the same few thousand ports would otherwise each keep their own copies of the strings.
const portKeys: string[] = [];

/** The key of a host port in `NodeUsageSummary.ports`. */
export function portKey(port: number): string {
  if (!Number.isInteger(port) || port < 0 || port > MAX_PORT) return String(port);
  let key = portKeys[port];
  if (key === undefined) {
    key = String(port);
    portKeys[port] = key;
  }
  return key;
}

/** How many holding allocations use `port` on the node. */
export function portCount(summary: NodeUsageSummary, port: number): number {
  return summary.ports.get(portKey(port)) ?? 0;
}

/**
 * A node's summary being changed: starts from a stored one (or EMPTY_NODE_USAGE) and publishes a
 * new immutable one on `finish()`. Its maps are written with `owner`: give it the owner of a
 * transaction (state-txn.ts) or a fresh `{}` for a throwaway copy, never one whose maps a reader
 * still holds.
 */
export class NodeUsageDraft {
  allocs: number;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  portCollisions: number;
  invalidPorts: number;
  ports: PMap<number>;
  counts: PMap<number>;

  constructor(
    base: NodeUsageSummary,
    private readonly owner: Owner,
  ) {
    this.allocs = base.allocs;
    this.cpu = base.cpu;
    this.memoryMB = base.memoryMB;
    this.diskMB = base.diskMB;
    this.portCollisions = base.portCollisions;
    this.invalidPorts = base.invalidPorts;
    this.ports = base.ports;
    this.counts = base.counts;
  }

  /**
   * Counts `alloc` (the caller has checked that it holds resources here). The keys default to
   * `jobCountKey` / `groupCountKey` of the allocation; a caller writing many passes shared ones.
   */
  add(alloc: Allocation, jobKey?: string, groupKey?: string): void {
    this.change(alloc, jobKey, groupKey, 1);
  }

  /** Takes back an allocation `add` counted, as it was then. */
  remove(alloc: Allocation, jobKey?: string, groupKey?: string): void {
    this.change(alloc, jobKey, groupKey, -1);
  }

  private change(
    alloc: Allocation,
    jobKey: string | undefined,
    groupKey: string | undefined,
    sign: 1 | -1,
  ): void {
    const usage = computeAllocUsage(alloc);
    this.allocs += sign;
    assert(this.allocs >= 0, () => `node usage of ${alloc.NodeID}: alloc ${alloc.ID} removed twice`);
    this.cpu += sign * usage.cpu;
    this.memoryMB += sign * usage.memoryMB;
    this.diskMB += sign * usage.diskMB;
    for (const port of usage.ports) this.changePort(port, sign);
    this.bump(jobKey ?? jobCountKey(alloc.Namespace, alloc.JobID), sign);
    this.bump(groupKey ?? groupCountKey(alloc.Namespace, alloc.JobID, alloc.TaskGroup), sign);
  }

  private changePort(port: number, sign: 1 | -1): void {
    const key = portKey(port);
    const before = this.ports.get(key) ?? 0;
    const after = before + sign;
    assert(after >= 0, () => `node usage: port ${port} released more often than used`);
    if (sign > 0 ? before >= 1 : before >= 2) this.portCollisions += sign;
    if (port < 1 || port > MAX_PORT) this.invalidPorts += sign;
    this.ports = after === 0 ? this.ports.delete(key, this.owner) : this.ports.set(key, after, this.owner);
  }

  private bump(key: string, sign: 1 | -1): void {
    const after = (this.counts.get(key) ?? 0) + sign;
    assert(after >= 0, () => `node usage: count of ${JSON.stringify(key)} went negative`);
    this.counts = after === 0 ? this.counts.delete(key, this.owner) : this.counts.set(key, after, this.owner);
  }

  /** The summary as it now stands (EMPTY_NODE_USAGE once nothing holds the node). */
  finish(): NodeUsageSummary {
    if (this.allocs === 0) {
      assert(
        this.ports.size === 0 &&
          this.counts.size === 0 &&
          this.portCollisions === 0 &&
          this.invalidPorts === 0,
        "node usage: no allocation left but ports or counts remain",
      );
      return EMPTY_NODE_USAGE;
    }
    return Object.freeze({
      allocs: this.allocs,
      cpu: this.cpu,
      memoryMB: this.memoryMB,
      diskMB: this.diskMB,
      ports: this.ports,
      portCollisions: this.portCollisions,
      invalidPorts: this.invalidPorts,
      counts: this.counts,
    });
  }
}

/** The summary of a node holding `allocs` (all on that node), recomputed from scratch. */
export function summarizeAllocs(allocs: Iterable<Allocation>): NodeUsageSummary {
  const draft = new NodeUsageDraft(EMPTY_NODE_USAGE, {});
  for (const alloc of allocs) if (holdsResources(alloc)) draft.add(alloc);
  return draft.finish();
}

/** A plain, order-independent form of a summary, for comparing two in tests and invariant checks. */
export function plainNodeUsage(summary: NodeUsageSummary): Record<string, unknown> {
  const sorted = (map: PMap<number>) => [...map.keys()].sort().map((key) => [key, map.get(key)] as const);
  return {
    allocs: summary.allocs,
    cpu: summary.cpu,
    memoryMB: summary.memoryMB,
    diskMB: summary.diskMB,
    ports: sorted(summary.ports),
    portCollisions: summary.portCollisions,
    invalidPorts: summary.invalidPorts,
    counts: sorted(summary.counts),
  };
}
