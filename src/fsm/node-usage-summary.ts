import { assert } from "../common/assert.js";
import { allocUsageInto, holdsResources, MAX_PORT, newAllocUsageScratch } from "./alloc-usage.js";
import { nsKey } from "./ns-key.js";
import type { Allocation } from "./structs.js";

/**
 * What the allocations that hold resources on one node (holdsResources) hold, summed: the state
 * keeps one per node (node-usage-store.ts) so that a scheduler ranking a node, or the plan applier
 * re-checking it, starts from these sums instead of adding up every allocation on the node.
 *
 * A summary never changes once handed out, whatever is written later. Invariant
 * (tables-invariants.ts): the state's summary of a node equals `summarizeAllocs` of its
 * allocations.
 */
export interface NodeUsageSummary {
  /** How many allocations hold resources on the node. */
  readonly allocs: number;
  readonly cpu: number;
  readonly memoryMB: number;
  readonly diskMB: number;
  /** Σ (uses − 1) over the ports: 0 unless some port is used twice. */
  readonly portCollisions: number;
  /** Uses of ports outside 1..65535 (never valid; kept so that a fit check can refuse them). */
  readonly invalidPorts: number;
  /** At least the number of distinct ports in use; 0 when none is. */
  readonly portBound: number;
  /**
   * How many of the allocations use the host port: a multiset, so a count above 1 means the state
   * over-commits the port (an older state, or one a fix has not reached).
   */
  portCount(port: number): number;
  /** The ports in use, each once, in no particular order. */
  distinctPorts(): Iterable<number>;
  /** How many of the allocations belong to the task group (`key` = groupCountKey). */
  usageCount(key: string): number;
  /** How many of the allocations belong to the job, all groups together (`key` = jobCountKey). */
  jobUsageCount(key: string): number;
}

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

/** What allocUsageInto writes for the sums below, each read before the next allocation's. */
const scratchUsage = newAllocUsageScratch();
/**
 * summarizeAllocs' own: it may run inside UsageCounter.change's loop over `scratchUsage` (a
 * counter's base may be a store view that falls back to summing).
 */
const summingScratch = newAllocUsageScratch();

const NO_PORTS: ReadonlyMap<number, number> = new Map();
const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/** The sums a summary's writer keeps (UsageCounter, the store's live records). */
export interface UsageSums {
  allocs: number;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  portCollisions: number;
  invalidPorts: number;
}

/**
 * Counts `alloc` into `sums` (`sign` 1) or takes it back (-1), as it holds now. `usePort` changes
 * a port's uses by `sign` and returns the uses before, from which the collisions follow.
 */
export function addAllocUsage(
  sums: UsageSums,
  alloc: Allocation,
  sign: 1 | -1,
  usePort: (port: number, sign: 1 | -1) => number,
): void {
  const usage = allocUsageInto(alloc, scratchUsage);
  sums.allocs += sign;
  assert(sums.allocs >= 0, () => `node usage of ${alloc.NodeID}: alloc ${alloc.ID} removed twice`);
  sums.cpu += sign * usage.cpu;
  sums.memoryMB += sign * usage.memoryMB;
  sums.diskMB += sign * usage.diskMB;
  for (let i = 0; i < usage.portCount; i++) {
    const port = usage.ports[i] as number;
    const before = usePort(port, sign);
    if (sign > 0 ? before >= 1 : before >= 2) sums.portCollisions += sign;
    if (port < 1 || port > MAX_PORT) sums.invalidPorts += sign;
  }
}

/**
 * Usage counted on top of a base summary: the sums as plain fields, and the ports and counts as
 * changes to the base's (entries that return to 0 are dropped). Over EMPTY_NODE_USAGE the changes
 * are the counts themselves, which is how the store keeps a node's live usage
 * (node-usage-store.ts); over a stored summary it is a plan's effect on the node.
 */
export class UsageCounter implements UsageSums {
  allocs: number;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  portCollisions: number;
  invalidPorts: number;
  /** Created on the first port change (most allocations carry none). */
  private ports: Map<number, number> | undefined;
  private groups: Map<string, number> | undefined;
  private jobs: Map<string, number> | undefined;

  constructor(private readonly base: NodeUsageSummary) {
    this.allocs = base.allocs;
    this.cpu = base.cpu;
    this.memoryMB = base.memoryMB;
    this.diskMB = base.diskMB;
    this.portCollisions = base.portCollisions;
    this.invalidPorts = base.invalidPorts;
  }

  /**
   * Counts `alloc` (`sign` 1; the caller has checked that it holds resources here) or takes back
   * an allocation counted before, as it was then (`sign` -1). The keys default to the
   * allocation's; a caller writing many passes shared strings.
   */
  change(alloc: Allocation, sign: 1 | -1, groupKey?: string, jobKey?: string): void {
    addAllocUsage(this, alloc, sign, this.usePort);
    const job = jobKey ?? jobCountKey(alloc.Namespace, alloc.JobID);
    this.groups ??= new Map();
    this.jobs ??= new Map();
    addTo(this.groups, groupKey ?? groupKeyOfJob(job, alloc.TaskGroup), sign);
    addTo(this.jobs, job, sign);
  }

  private readonly usePort = (port: number, sign: 1 | -1): number => {
    this.ports ??= new Map();
    return this.base.portCount(port) + addTo(this.ports, port, sign);
  };

  portCount(port: number): number {
    return this.base.portCount(port) + (this.ports?.get(port) ?? 0);
  }

  /** At least the number of distinct ports in use. */
  get portBound(): number {
    return this.base.portBound + (this.ports?.size ?? 0);
  }

  *distinctPorts(): Generator<number> {
    for (const port of this.base.distinctPorts()) if (this.portCount(port) > 0) yield port;
    for (const port of this.ports?.keys() ?? []) {
      if (this.base.portCount(port) === 0 && this.portCount(port) > 0) yield port;
    }
  }

  usageCount(key: string): number {
    return this.base.usageCount(key) + (this.groups?.get(key) ?? 0);
  }

  jobUsageCount(key: string): number {
    return this.base.jobUsageCount(key) + (this.jobs?.get(key) ?? 0);
  }

  /**
   * The counts as they now stand, as a summary that no later change touches (EMPTY_NODE_USAGE
   * once nothing holds the node). O(the changes): it keeps the base and copies the changes.
   */
  finish(): NodeUsageSummary {
    if (this.allocs === 0) {
      assert(
        this.portCollisions === 0 && this.invalidPorts === 0,
        "node usage: no allocation left but port collisions remain",
      );
      return EMPTY_NODE_USAGE;
    }
    const changed = new UsageCounter(this.base);
    changed.allocs = this.allocs;
    changed.cpu = this.cpu;
    changed.memoryMB = this.memoryMB;
    changed.diskMB = this.diskMB;
    changed.portCollisions = this.portCollisions;
    changed.invalidPorts = this.invalidPorts;
    if (this.ports !== undefined) changed.ports = new Map(this.ports);
    if (this.groups !== undefined) changed.groups = new Map(this.groups);
    if (this.jobs !== undefined) changed.jobs = new Map(this.jobs);
    return Object.freeze(changed);
  }
}

/** map[key] += delta, dropping the entry at 0; returns the value before. */
function addTo<K>(map: Map<K, number>, key: K, delta: number): number {
  const before = map.get(key) ?? 0;
  const after = before + delta;
  if (after === 0) map.delete(key);
  else map.set(key, after);
  return before;
}

/** A summary built once from absolute counts (summarizeAllocs, UsageSum). */
class FixedUsage implements NodeUsageSummary {
  constructor(
    readonly allocs: number,
    readonly cpu: number,
    readonly memoryMB: number,
    readonly diskMB: number,
    readonly portCollisions: number,
    readonly invalidPorts: number,
    private readonly ports: ReadonlyMap<number, number>,
    private readonly groups: ReadonlyMap<string, number>,
    private readonly jobs: ReadonlyMap<string, number>,
  ) {}

  get portBound(): number {
    return this.ports.size;
  }

  portCount(port: number): number {
    return this.ports.get(port) ?? 0;
  }

  distinctPorts(): Iterable<number> {
    return this.ports.keys();
  }

  usageCount(key: string): number {
    return this.groups.get(key) ?? 0;
  }

  jobUsageCount(key: string): number {
    return this.jobs.get(key) ?? 0;
  }
}

export const EMPTY_NODE_USAGE: NodeUsageSummary = Object.freeze(
  new FixedUsage(0, 0, 0, 0, 0, 0, NO_PORTS, NO_COUNTS, NO_COUNTS),
);

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
  const counter = new UsageCounter(base);
  for (const id of taken) {
    const alloc = stored(id);
    if (alloc !== undefined && alloc.NodeID === nodeId && holdsResources(alloc)) counter.change(alloc, -1);
  }
  for (const alloc of placed) if (counts(alloc)) counter.change(alloc, 1);
  return counter.finish();
}

/** The summary of a node holding `allocs` (all on that node), computed from scratch in one pass. */
export function summarizeAllocs(allocs: Iterable<Allocation>): NodeUsageSummary {
  return sumAllocs(allocs).finish();
}

/** What the holding ones of `allocs` (all on one node) hold, summed. */
export function sumAllocs(allocs: Iterable<Allocation>): UsageSum {
  const sum = new UsageSum();
  for (const alloc of allocs) {
    if (!holdsResources(alloc)) continue;
    const usage = allocUsageInto(alloc, summingScratch);
    sum.add(usage.cpu, usage.memoryMB, usage.diskMB, usage.ports, 0, usage.portCount);
    sum.addGroup(jobCountKey(alloc.Namespace, alloc.JobID), alloc.TaskGroup);
  }
  return sum;
}

/**
 * A node's summary summed from scratch, one holding allocation at a time, and built once
 * (summarizeAllocs, and a bulk load, which gathers what each allocation holds beforehand).
 */
export class UsageSum {
  count = 0;
  cpu = 0;
  memoryMB = 0;
  diskMB = 0;
  invalidPorts = 0;
  portCollisions = 0;
  readonly ports = new Map<number, number>();
  readonly groups = new Map<string, number>();
  readonly jobs = new Map<string, number>();

  /**
   * Adds one holding allocation's resources: its sums and its ports `ports[from, to)` (each once).
   * `addGroup` counts its job and group (a bulk load counts those by key instead).
   */
  add(
    cpu: number,
    memoryMB: number,
    diskMB: number,
    ports: ArrayLike<number>,
    from: number,
    to: number,
  ): void {
    this.count++;
    this.cpu += cpu;
    this.memoryMB += memoryMB;
    this.diskMB += diskMB;
    for (let p = from; p < to; p++) {
      const port = ports[p] as number;
      if (addTo(this.ports, port, 1) > 0) this.portCollisions++;
      if (port < 1 || port > MAX_PORT) this.invalidPorts++;
    }
  }

  /** Counts one holding allocation under its job (`jobKey` = jobCountKey) and group. */
  addGroup(jobKey: string, group: string): void {
    addTo(this.groups, groupKeyOfJob(jobKey, group), 1);
    addTo(this.jobs, jobKey, 1);
  }

  finish(): NodeUsageSummary {
    if (this.count === 0) return EMPTY_NODE_USAGE;
    return Object.freeze(
      new FixedUsage(
        this.count,
        this.cpu,
        this.memoryMB,
        this.diskMB,
        this.portCollisions,
        this.invalidPorts,
        this.ports,
        this.groups,
        this.jobs,
      ),
    );
  }
}

/**
 * A plain form of a summary, for comparing two in tests and checks: the ports (with their counts)
 * ascending, and the counts of the groups and jobs of `allocs` (a summary cannot list its keys;
 * pass the node's allocations).
 */
export function plainNodeUsage(
  summary: NodeUsageSummary,
  allocs: Iterable<Allocation> = [],
): Record<string, unknown> {
  const keys = { groups: new Set<string>(), jobs: new Set<string>() };
  for (const alloc of allocs) {
    keys.groups.add(groupCountKey(alloc.Namespace, alloc.JobID, alloc.TaskGroup));
    keys.jobs.add(jobCountKey(alloc.Namespace, alloc.JobID));
  }
  const ports = [...summary.distinctPorts()].sort((a, b) => a - b);
  return {
    allocs: summary.allocs,
    cpu: summary.cpu,
    memoryMB: summary.memoryMB,
    diskMB: summary.diskMB,
    ports: ports.map((port) => [port, summary.portCount(port)]),
    portCollisions: summary.portCollisions,
    invalidPorts: summary.invalidPorts,
    groups: [...keys.groups].sort().map((key) => [key, summary.usageCount(key)]),
    jobs: [...keys.jobs].sort().map((key) => [key, summary.jobUsageCount(key)]),
  };
}
