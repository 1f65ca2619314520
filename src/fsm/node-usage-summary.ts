import { assert } from "../common/assert.js";
import { computeAllocUsage, holdsResources, MAX_PORT } from "./alloc-usage.js";
import type { Allocation } from "./structs.js";
import { nsKey } from "./tables.js";

/**
 * What the allocations that hold resources on one node (holdsResources) hold, summed: the state
 * keeps one per node so that a scheduler ranking a node, or the plan applier re-checking it, starts
 * from these sums instead of adding up every allocation on the node.
 *
 * A summary is immutable (the object is frozen; its arrays are read-only by type and never
 * written once published), so a snapshot holding it never sees later writes; an unchanged node's summary is shared by every version of the state. Invariant
 * (tables-invariants.ts): each equals `summarizeAllocs` of its node's allocations, and a node
 * none of whose allocations holds resources has no summary.
 *
 * Ports and counts are sorted arrays rather than persistent maps: a node holds a few hundred
 * entries at most, a changed summary copies them once per transaction, and an array slot costs a
 * fraction of a trie entry (the summaries of a million allocations are ~3 entries per allocation).
 */
export interface NodeUsageSummary {
  /** How many allocations hold resources on the node. */
  readonly allocs: number;
  readonly cpu: number;
  readonly memoryMB: number;
  readonly diskMB: number;
  /**
   * The host ports those allocations use, ascending, one element per use: a multiset, so a port
   * appears twice when the state over-commits it (an older state, or one a fix has not reached).
   */
  readonly ports: readonly number[];
  /** Σ (uses − 1) over the ports: 0 unless some port is used twice. */
  readonly portCollisions: number;
  /** Uses of ports outside 1..65535 (never valid; kept so that a fit check can refuse them). */
  readonly invalidPorts: number;
  /** `jobCountKey` and `groupCountKey` values, ascending (string order), each once. */
  readonly countKeys: readonly string[];
  /** countValues[i]: how many of those allocations count under countKeys[i] (always ≥ 1). */
  readonly countValues: readonly number[];
}

const NONE: readonly never[] = Object.freeze([]);

export const EMPTY_NODE_USAGE: NodeUsageSummary = Object.freeze({
  allocs: 0,
  cpu: 0,
  memoryMB: 0,
  diskMB: 0,
  ports: NONE,
  portCollisions: 0,
  invalidPorts: 0,
  countKeys: NONE,
  countValues: NONE,
});

/** The count key of a job's allocations: nsKey(namespace, jobId). */
export function jobCountKey(namespace: string, jobId: string): string {
  return nsKey(namespace, jobId);
}

/** The count key of a task group's allocations: the job's key, NUL, the group's name. */
export function groupCountKey(namespace: string, jobId: string, group: string): string {
  return `${nsKey(namespace, jobId)}\u0000${group}`;
}

/** The first index of `sorted` whose element is not below `value`. */
function lowerBound<T>(sorted: readonly T[], value: T): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as T) < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

// Array.prototype.splice was most of a plan's summary upkeep (a generic builtin, and it allocates
// the removed-elements array); these plain loops on small arrays are what the JIT does well.

function insertAt<T>(array: T[], at: number, value: T): void {
  array.push(value);
  for (let i = array.length - 1; i > at; i--) array[i] = array[i - 1] as T;
  array[at] = value;
}

function removeAt<T>(array: T[], at: number): void {
  for (let i = at + 1; i < array.length; i++) array[i - 1] = array[i] as T;
  array.pop();
}

/** How many holding allocations use `port` on the node. */
export function portCount(summary: NodeUsageSummary, port: number): number {
  const ports = summary.ports;
  let at = lowerBound(ports, port);
  let count = 0;
  while (ports[at] === port) {
    count++;
    at++;
  }
  return count;
}

/** The ports the node's holding allocations use, each once, ascending. */
export function* distinctPorts(summary: NodeUsageSummary): Generator<number> {
  const ports = summary.ports;
  for (let i = 0; i < ports.length; i++) if (i === 0 || ports[i] !== ports[i - 1]) yield ports[i] as number;
}

/** How many holding allocations count under `key` (jobCountKey / groupCountKey). */
export function usageCount(summary: NodeUsageSummary, key: string): number {
  const at = lowerBound(summary.countKeys, key);
  return summary.countKeys[at] === key ? (summary.countValues[at] as number) : 0;
}

/**
 * A node's summary being changed: starts from a stored one (or EMPTY_NODE_USAGE) and publishes a
 * new immutable one on `finish()`. The base's arrays are copied on the first change of each, so
 * the base is never touched.
 */
export class NodeUsageDraft {
  allocs: number;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  portCollisions: number;
  invalidPorts: number;
  private ports: number[];
  private countKeys: string[];
  private countValues: number[];
  private ownPorts = false;
  private ownCounts = false;

  constructor(base: NodeUsageSummary) {
    this.allocs = base.allocs;
    this.cpu = base.cpu;
    this.memoryMB = base.memoryMB;
    this.diskMB = base.diskMB;
    this.portCollisions = base.portCollisions;
    this.invalidPorts = base.invalidPorts;
    this.ports = base.ports as number[];
    this.countKeys = base.countKeys as string[];
    this.countValues = base.countValues as number[];
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
    if (!this.ownPorts) {
      this.ports = this.ports.slice();
      this.ownPorts = true;
    }
    const ports = this.ports;
    const at = lowerBound(ports, port);
    const usedBefore = ports[at] === port;
    if (sign > 0) {
      if (usedBefore) this.portCollisions++;
      insertAt(ports, at, port);
    } else {
      assert(usedBefore, () => `node usage: port ${port} released more often than used`);
      if (ports[at + 1] === port) this.portCollisions--;
      removeAt(ports, at);
    }
    if (port < 1 || port > MAX_PORT) this.invalidPorts += sign;
  }

  private bump(key: string, sign: 1 | -1): void {
    if (!this.ownCounts) {
      this.countKeys = this.countKeys.slice();
      this.countValues = this.countValues.slice();
      this.ownCounts = true;
    }
    const at = lowerBound(this.countKeys, key);
    if (this.countKeys[at] === key) {
      const after = (this.countValues[at] as number) + sign;
      assert(after >= 0, () => `node usage: count of ${JSON.stringify(key)} went negative`);
      if (after > 0) {
        this.countValues[at] = after;
      } else {
        removeAt(this.countKeys, at);
        removeAt(this.countValues, at);
      }
      return;
    }
    assert(sign > 0, () => `node usage: count of ${JSON.stringify(key)} went negative`);
    insertAt(this.countKeys, at, key);
    insertAt(this.countValues, at, 1);
  }

  /** The summary as it now stands (EMPTY_NODE_USAGE once nothing holds the node). */
  finish(): NodeUsageSummary {
    if (this.allocs === 0) {
      assert(
        this.ports.length === 0 &&
          this.countKeys.length === 0 &&
          this.portCollisions === 0 &&
          this.invalidPorts === 0,
        "node usage: no allocation left but ports or counts remain",
      );
      return EMPTY_NODE_USAGE;
    }
    // Published arrays are never written again: a later draft copies them first. They are not
    // frozen because copying a frozen array (slice or a loop) is several times slower, and each
    // placement copies its node's arrays once.
    this.ownPorts = false;
    this.ownCounts = false;
    return Object.freeze({
      allocs: this.allocs,
      cpu: this.cpu,
      memoryMB: this.memoryMB,
      diskMB: this.diskMB,
      ports: this.ports,
      portCollisions: this.portCollisions,
      invalidPorts: this.invalidPorts,
      countKeys: this.countKeys,
      countValues: this.countValues,
    });
  }
}

/**
 * The summary of a node holding `allocs` (all on that node), computed from scratch in one pass
 * and one sort (a bulk load builds every node's this way). `countKey` may return shared strings
 * for the job and group keys (by default each call builds its own).
 */
export function summarizeAllocs(
  allocs: Iterable<Allocation>,
  countKey: (key: string) => string = (key) => key,
): NodeUsageSummary {
  let count = 0;
  let cpu = 0;
  let memoryMB = 0;
  let diskMB = 0;
  let invalidPorts = 0;
  const ports: number[] = [];
  const counts = new Map<string, number>();
  for (const alloc of allocs) {
    if (!holdsResources(alloc)) continue;
    const usage = computeAllocUsage(alloc);
    count++;
    cpu += usage.cpu;
    memoryMB += usage.memoryMB;
    diskMB += usage.diskMB;
    for (const port of usage.ports) {
      ports.push(port);
      if (port < 1 || port > MAX_PORT) invalidPorts++;
    }
    const jobKey = countKey(jobCountKey(alloc.Namespace, alloc.JobID));
    const groupKey = countKey(`${jobKey}\u0000${alloc.TaskGroup}`);
    counts.set(jobKey, (counts.get(jobKey) ?? 0) + 1);
    counts.set(groupKey, (counts.get(groupKey) ?? 0) + 1);
  }
  if (count === 0) return EMPTY_NODE_USAGE;
  ports.sort((a, b) => a - b);
  let portCollisions = 0;
  for (let i = 1; i < ports.length; i++) if (ports[i] === ports[i - 1]) portCollisions++;
  const countKeys = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.freeze({
    allocs: count,
    cpu,
    memoryMB,
    diskMB,
    ports,
    portCollisions,
    invalidPorts,
    countKeys,
    countValues: countKeys.map((key) => counts.get(key) as number),
  });
}

/** A plain form of a summary, for comparing two in tests and invariant checks. */
export function plainNodeUsage(summary: NodeUsageSummary): Record<string, unknown> {
  return {
    allocs: summary.allocs,
    cpu: summary.cpu,
    memoryMB: summary.memoryMB,
    diskMB: summary.diskMB,
    ports: [...summary.ports],
    portCollisions: summary.portCollisions,
    invalidPorts: summary.invalidPorts,
    counts: summary.countKeys.map((key, i) => [key, summary.countValues[i]]),
  };
}
