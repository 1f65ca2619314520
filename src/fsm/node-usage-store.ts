import { assert } from "../common/assert.js";
import { allocUsageInto, newAllocUsageScratch } from "./alloc-usage.js";
import { groupByNode } from "./node-allocs-store.js";
import {
  addAllocUsage,
  EMPTY_NODE_USAGE,
  groupKeyOfJob,
  type NodeUsageSummary,
  sumAllocs,
  summarizeAllocs,
  UsageCounter,
  type UsageSum,
} from "./node-usage-summary.js";
import type { PMap } from "./persistent-map.js";
import type { Allocation } from "./structs.js";

/**
 * The state's per-node usage summaries (node-usage-summary.ts), kept as live counts that apply
 * changes in place, plus a short log of each node's recent changes to read older versions by.
 *
 * Why not a persistent map of immutable summaries, like the other indexes: a plan spreads its
 * allocations over up to a thousand nodes, so every plan made a new summary for each of them
 * (a copy of the node's group and port counts, a new object, a trie path), and that garbage
 * outlived the young generation. Here a write changes the counts in place and appends one change
 * record; a snapshot still costs O(1) and never sees a later write.
 *
 * Versions. Every transaction that changes usage commits one write, numbered `seq` (1, 2, …; a
 * lineage's own counter, not the state index). `Tables.nodeUsage` is a `NodeUsageIndex`: the
 * store and the `seq` of the last write that version includes. Reading node N at `seq` S takes
 * N's live counts and takes back N's changes newer than S, newest first. The log keeps the last
 * KEPT_CHANGES changes per node at least; a version so old that some of its node's newer changes
 * were dropped, or that is more than MAX_NEWER changes behind, is summed afresh from the node's
 * allocations in that version (StateReader.allocsByNode): slower, never wrong. Readers
 * are recent snapshots (schedulers, the plan applier), so that path is rare.
 *
 * One writer: a store is changed only by a transaction on its newest version. A transaction on
 * an older version (tests branch states; production never does) first copies the store as of
 * that version (in `edit()`). A transaction that throws takes its changes back (`abort`), so a
 * rejected command still leaves the state as it was.
 */

/** Changes kept per node after pruning; a node's log is pruned when it holds twice as many. */
const KEPT_CHANGES = 32;
/** A read more changes behind than this sums the node's allocations instead. */
const MAX_NEWER = KEPT_CHANGES;

/**
 * One node's live usage, which it answers as a summary (of the newest write), and its recent
 * changes. The sums and ports are the record's own; the group and job counts live in the store,
 * by key first (see NodeUsageStore).
 *
 * The ports in use are a plain array holding each use (a port used twice is there twice), in no
 * order: a write appends or swaps one out after a scan of small integers side by side, where a
 * Map of port → uses cost two lookups in the node's own table, cold on every write of a plan
 * (each meets another node). Reads that ask per port get a Map built from the array on demand
 * and dropped by the next write.
 *
 * The log is four parallel arrays, oldest first (a record per change was an object per write
 * that lived through many scavenges): change i is write |seqs[i]| counting `changed[i]` (seqs[i]
 * > 0) or taking it back (< 0), under `groupKeys[i]` and `jobKeys[i]`. Invariant: |seqs| never
 * decreases along the log.
 */
class NodeUsageRecord implements NodeUsageSummary {
  allocs = 0;
  cpu = 0;
  memoryMB = 0;
  diskMB = 0;
  portCollisions = 0;
  invalidPorts = 0;
  /** Every use of a port, in no order. */
  private readonly ports: number[] = [];
  /** Port → uses, from `ports`, while no write changed them (see portCounts). */
  private portUses: Map<number, number> | undefined;
  readonly seqs: number[] = [];
  readonly changed: Allocation[] = [];
  readonly groupKeys: string[] = [];
  readonly jobKeys: string[] = [];
  /** Every dropped change had a seq ≤ this (0: none was dropped). */
  droppedThrough = 0;
  /** The seq of the last write that listed this record as touched (NodeUsageEdit). */
  touchedBy = 0;

  constructor(
    readonly nodeId: string,
    private readonly store: NodeUsageStore,
  ) {}

  /** Counts `alloc` (sign 1) or takes it back (-1) in the sums and ports. */
  changeSums(alloc: Allocation, sign: 1 | -1): void {
    addAllocUsage(this, alloc, sign, this.usePort);
  }

  private readonly usePort = (port: number, sign: 1 | -1): number => {
    this.portUses = undefined;
    const ports = this.ports;
    let before = 0;
    let at = -1;
    for (let i = 0; i < ports.length; i++) {
      if (ports[i] !== port) continue;
      before += 1;
      at = i;
    }
    if (sign > 0) {
      ports.push(port);
    } else {
      assert(at >= 0, () => `node usage of ${this.nodeId}: port ${port} released but not in use`);
      ports[at] = ports[ports.length - 1] as number;
      ports.pop();
    }
    return before;
  };

  private portCounts(): Map<number, number> {
    if (this.portUses === undefined) {
      const uses = new Map<number, number>();
      for (const port of this.ports) uses.set(port, (uses.get(port) ?? 0) + 1);
      this.portUses = uses;
    }
    return this.portUses;
  }

  loadSums(sum: UsageSum): void {
    this.allocs = sum.count;
    this.cpu = sum.cpu;
    this.memoryMB = sum.memoryMB;
    this.diskMB = sum.diskMB;
    this.portCollisions = sum.portCollisions;
    this.invalidPorts = sum.invalidPorts;
    for (const [port, uses] of sum.ports) for (let i = 0; i < uses; i++) this.ports.push(port);
  }

  /** Appends a change to the log (the caller applied it). */
  log(seq: number, sign: 1 | -1, alloc: Allocation, groupKey: string, jobKey: string): void {
    this.seqs.push(sign * seq);
    this.changed.push(alloc);
    this.groupKeys.push(groupKey);
    this.jobKeys.push(jobKey);
  }

  get portBound(): number {
    return this.ports.length;
  }

  portCount(port: number): number {
    return this.ports.length === 0 ? 0 : (this.portCounts().get(port) ?? 0);
  }

  distinctPorts(): Iterable<number> {
    return this.ports.length === 0 ? [] : this.portCounts().keys();
  }

  usageCount(key: string): number {
    return this.store.groupCounts.get(key)?.get(this.nodeId) ?? 0;
  }

  jobUsageCount(key: string): number {
    return this.store.jobCounts.get(key)?.get(this.nodeId) ?? 0;
  }

  /**
   * How many of the last changes are newer than write `seq`, or undefined when that cannot be
   * answered from the log (dropped changes, or more than MAX_NEWER).
   */
  newerThan(seq: number): number | undefined {
    if (this.droppedThrough > seq) return undefined;
    const seqs = this.seqs;
    let newer = 0;
    for (let i = seqs.length - 1; i >= 0 && Math.abs(seqs[i] as number) > seq; i--) {
      if (++newer > MAX_NEWER) return undefined;
    }
    return newer;
  }

  /** Takes back write `seq`'s changes (the last ones in the log). */
  rollBack(seq: number): void {
    while (this.seqs.length > 0 && Math.abs(this.seqs.at(-1) as number) === seq) {
      const sign = Math.sign(this.seqs.pop() as number) as 1 | -1;
      const alloc = this.changed.pop() as Allocation;
      const groupKey = this.groupKeys.pop() as string;
      const jobKey = this.jobKeys.pop() as string;
      this.changeSums(alloc, -sign as 1 | -1);
      addCount(this.store.groupCounts, groupKey, this.nodeId, -sign);
      addCount(this.store.jobCounts, jobKey, this.nodeId, -sign);
    }
  }

  prune(): void {
    const length = this.seqs.length;
    if (length <= 2 * KEPT_CHANGES) return;
    const drop = length - KEPT_CHANGES;
    this.droppedThrough = Math.abs(this.seqs[drop - 1] as number);
    for (const list of [this.seqs, this.changed, this.groupKeys, this.jobKeys] as unknown[][]) {
      list.copyWithin(0, drop);
      list.length = KEPT_CHANGES;
    }
  }
}

/** outer[key][nodeId] += delta, dropping entries (and inner maps) that reach 0. */
function addCount(outer: Map<string, Map<string, number>>, key: string, nodeId: string, delta: number): void {
  const inner = innerOf(outer, key);
  addInner(inner, nodeId, delta);
  if (inner.size === 0) outer.delete(key);
}

function addInner(inner: Map<string, number>, nodeId: string, delta: number): void {
  const after = (inner.get(nodeId) ?? 0) + delta;
  assert(after >= 0, () => `node usage of ${nodeId}: a count went negative`);
  if (after === 0) inner.delete(nodeId);
  else inner.set(nodeId, after);
}

/**
 * The mutable part shared by every version of one lineage. The group and job counts are kept by
 * key, then node: a plan writes one group's allocations over many nodes, so its writes meet one
 * inner map instead of a map per node (and a scheduler asks about one group across nodes).
 */
class NodeUsageStore {
  readonly records = new Map<string, NodeUsageRecord>();
  /** groupCountKey → node ID → holding allocations of the group there (no zeros). */
  readonly groupCounts = new Map<string, Map<string, number>>();
  /** jobCountKey → node ID → holding allocations of the job there (no zeros). */
  readonly jobCounts = new Map<string, Map<string, number>>();
  /** The seq of the newest committed write. */
  head = 0;
  /** The write in progress, if any. */
  pending: NodeUsageEdit | undefined;

  /** Takes in a node's usage summed from its allocations (a bulk load, or a copy of a version). */
  load(nodeId: string, sum: UsageSum): void {
    if (sum.count === 0) return;
    assert(!this.records.has(nodeId), () => `node usage: ${nodeId} loaded twice`);
    const record = new NodeUsageRecord(nodeId, this);
    record.loadSums(sum);
    this.records.set(nodeId, record);
    for (const [key, count] of sum.groups) innerOf(this.groupCounts, key).set(nodeId, count);
    for (const [key, count] of sum.jobs) innerOf(this.jobCounts, key).set(nodeId, count);
  }
}

function innerOf(outer: Map<string, Map<string, number>>, key: string): Map<string, number> {
  let inner = outer.get(key);
  if (inner === undefined) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}

/**
 * What allocUsageInto writes for the port reads of a view (its own: a view may be a counter's
 * base, read inside addAllocUsage's loop over that module's scratch).
 */
const readScratch = newAllocUsageScratch();

/**
 * Node `record`'s usage as write `seq` left it, while the log can say (else `fixed`, summed once
 * from the version's allocations). The sums are taken at construction; a count lookup takes the
 * live count back by the changes newer than `seq`, which later writes only append to.
 */
class NodeUsageView implements NodeUsageSummary {
  readonly allocs: number;
  readonly cpu: number;
  readonly memoryMB: number;
  readonly diskMB: number;
  readonly portCollisions: number;
  readonly invalidPorts: number;
  readonly portBound: number;
  private fixed: NodeUsageSummary | undefined;

  constructor(
    private readonly record: NodeUsageRecord,
    private readonly seq: number,
    newer: number,
    private readonly allocsAt: () => Iterable<Allocation>,
  ) {
    let at: NodeUsageSummary = record;
    if (newer > 0) {
      // The sums at `seq`: the live ones with the newer changes taken back, newest first (port
      // collisions depend on the order of uses).
      const back = new UsageCounter(record);
      const { seqs, changed, groupKeys, jobKeys } = record;
      for (let i = seqs.length - 1; i >= seqs.length - newer; i--) {
        const sign = (seqs[i] as number) > 0 ? -1 : 1;
        back.change(changed[i] as Allocation, sign, groupKeys[i], jobKeys[i]);
      }
      at = back;
    }
    this.allocs = at.allocs;
    this.cpu = at.cpu;
    this.memoryMB = at.memoryMB;
    this.diskMB = at.diskMB;
    this.portCollisions = at.portCollisions;
    this.invalidPorts = at.invalidPorts;
    this.portBound = at.portBound;
  }

  /** Where the changes newer than `seq` start in the log now, or undefined: read `fixed`. */
  private firstNewer(): number | undefined {
    if (this.fixed !== undefined) return undefined;
    const newer = this.record.newerThan(this.seq);
    if (newer === undefined) {
      this.fixed = summarizeAllocs(this.allocsAt());
      return undefined;
    }
    return this.record.seqs.length - newer;
  }

  portCount(port: number): number {
    const first = this.firstNewer();
    if (first === undefined) return (this.fixed as NodeUsageSummary).portCount(port);
    let count = this.record.portCount(port);
    const { seqs, changed } = this.record;
    for (let i = first; i < seqs.length; i++) {
      const usage = allocUsageInto(changed[i] as Allocation, readScratch);
      const sign = Math.sign(seqs[i] as number);
      for (let p = 0; p < usage.portCount; p++) if (usage.ports[p] === port) count -= sign;
    }
    return count;
  }

  distinctPorts(): Iterable<number> {
    const first = this.firstNewer();
    if (first === undefined) return (this.fixed as NodeUsageSummary).distinctPorts();
    const candidates = new Set(this.record.distinctPorts());
    const { seqs, changed } = this.record;
    for (let i = first; i < seqs.length; i++) {
      const usage = allocUsageInto(changed[i] as Allocation, readScratch);
      for (let p = 0; p < usage.portCount; p++) candidates.add(usage.ports[p] as number);
    }
    return [...candidates].filter((port) => this.portCount(port) > 0);
  }

  usageCount(key: string): number {
    const first = this.firstNewer();
    if (first === undefined) return (this.fixed as NodeUsageSummary).usageCount(key);
    return this.countBack(this.record.usageCount(key), this.record.groupKeys, key, first);
  }

  jobUsageCount(key: string): number {
    const first = this.firstNewer();
    if (first === undefined) return (this.fixed as NodeUsageSummary).jobUsageCount(key);
    return this.countBack(this.record.jobUsageCount(key), this.record.jobKeys, key, first);
  }

  /** `live` less the newer changes (from `first` on) whose key in `keys` is `key`. */
  private countBack(live: number, keys: readonly string[], key: string, first: number): number {
    let count = live;
    const seqs = this.record.seqs;
    for (let i = first; i < seqs.length; i++) if (keys[i] === key) count -= Math.sign(seqs[i] as number);
    return count;
  }
}

/**
 * One version of the per-node usage summaries: what `Tables.nodeUsage` holds. Immutable to its
 * holders; a transaction makes the next one through `edit()`.
 */
export class NodeUsageIndex {
  private constructor(
    private readonly store: NodeUsageStore,
    private readonly seq: number,
  ) {}

  static empty(): NodeUsageIndex {
    return new NodeUsageIndex(new NodeUsageStore(), 0);
  }

  /**
   * A new lineage holding these nodes' usage (node ID → sum; a bulk load's). A sum that counted
   * no groups and jobs (`UsageSum(false)`) leaves them to `counts`: (node ID, groupCountKey,
   * jobCountKey) of each holding allocation, best in runs of one group (a bulk load's order).
   */
  static of(
    sums: Iterable<[string, UsageSum]>,
    counts: Iterable<readonly [string, string, string]> = [],
  ): NodeUsageIndex {
    const store = new NodeUsageStore();
    for (const [nodeId, sum] of sums) store.load(nodeId, sum);
    let lastGroup: string | undefined;
    let lastJob: string | undefined;
    let groupInner = new Map<string, number>();
    let jobInner = new Map<string, number>();
    for (const [nodeId, groupKey, jobKey] of counts) {
      if (groupKey !== lastGroup) {
        lastGroup = groupKey;
        groupInner = innerOf(store.groupCounts, groupKey);
      }
      if (jobKey !== lastJob) {
        lastJob = jobKey;
        jobInner = innerOf(store.jobCounts, jobKey);
      }
      addInner(groupInner, nodeId, 1);
      addInner(jobInner, nodeId, 1);
    }
    return new NodeUsageIndex(store, 0);
  }

  /**
   * The node's summary in this version (EMPTY_NODE_USAGE when nothing holds it). `allocsAt`
   * lists the node's allocations in this version, for a read the log cannot answer.
   */
  get(nodeId: string, allocsAt: () => Iterable<Allocation>): NodeUsageSummary {
    const record = this.store.records.get(nodeId);
    if (record === undefined) return EMPTY_NODE_USAGE;
    const newer = record.newerThan(this.seq);
    if (newer === undefined) return summarizeAllocs(allocsAt());
    if (newer === 0 && record.allocs === 0) return EMPTY_NODE_USAGE;
    const view = new NodeUsageView(record, this.seq, newer, allocsAt);
    return view.allocs === 0 ? EMPTY_NODE_USAGE : view;
  }

  /** The nodes that may have a summary in this version (a superset of those that do). */
  nodeIds(): Iterable<string> {
    return this.store.records.keys();
  }

  /**
   * Starts the next write. `allocs` is this version's allocs table: if a later version was
   * written already, the store is copied as of this version from it first (a branch; tests only).
   */
  edit(allocs: PMap<Allocation>): NodeUsageEdit {
    const store = this.store;
    store.pending?.abort();
    if (store.head === this.seq) return new NodeUsageEdit(store, this.seq + 1);
    const forked = new NodeUsageStore();
    for (const [nodeId, list] of groupByNode(allocs)) forked.load(nodeId, sumAllocs(list));
    return new NodeUsageEdit(forked, 1);
  }

  /** @internal NodeUsageEdit's way to publish the version it committed. */
  static at(store: NodeUsageStore, seq: number): NodeUsageIndex {
    return new NodeUsageIndex(store, seq);
  }
}

/**
 * One transaction's changes to the usage summaries, applied to the live counts as they come:
 * `commit()` publishes them as the next version, `abort()` takes them back.
 */
export class NodeUsageEdit {
  private readonly touched: NodeUsageRecord[] = [];
  private done = false;
  // The last group and job written, with their count maps: a plan writes a run of allocations of
  // one group over up to a thousand nodes, so each key string is built and looked up once a run.
  private lastJobKey = "";
  private lastGroup = "";
  private groupKey = "";
  private groupInner: Map<string, number> | undefined;
  private jobInner: Map<string, number> | undefined;
  // The record last written: a plan writes its allocations node by node.
  private lastNodeId: string | undefined;
  private lastRecord: NodeUsageRecord | undefined;

  constructor(
    private readonly store: NodeUsageStore,
    private readonly seq: number,
  ) {
    store.pending = this;
  }

  /** Counts `alloc` on its node (it holds resources); `jobKey` = jobCountKey of the allocation. */
  add(alloc: Allocation, jobKey: string): void {
    this.change(alloc, 1, jobKey);
  }

  /** Takes back an allocation `add` counted, as it was then. */
  remove(alloc: Allocation, jobKey: string): void {
    this.change(alloc, -1, jobKey);
  }

  private change(alloc: Allocation, sign: 1 | -1, jobKey: string): void {
    assert(!this.done && this.store.pending === this, "node usage: write after its end");
    if (jobKey !== this.lastJobKey || alloc.TaskGroup !== this.lastGroup) {
      this.lastJobKey = jobKey;
      this.lastGroup = alloc.TaskGroup;
      this.groupKey = groupKeyOfJob(jobKey, alloc.TaskGroup);
      this.groupInner = undefined;
      this.jobInner = undefined;
    }
    const record = this.recordOf(alloc.NodeID);
    record.changeSums(alloc, sign);
    record.log(this.seq, sign, alloc, this.groupKey, jobKey);
    this.groupInner ??= innerOf(this.store.groupCounts, this.groupKey);
    this.jobInner ??= innerOf(this.store.jobCounts, jobKey);
    addInner(this.groupInner, alloc.NodeID, sign);
    addInner(this.jobInner, alloc.NodeID, sign);
    // An inner map that empties leaves its outer map (and the cache, which would keep it).
    if (this.groupInner.size === 0) {
      this.store.groupCounts.delete(this.groupKey);
      this.groupInner = undefined;
    }
    if (this.jobInner.size === 0) {
      this.store.jobCounts.delete(jobKey);
      this.jobInner = undefined;
    }
  }

  private recordOf(nodeId: string): NodeUsageRecord {
    if (nodeId === this.lastNodeId && this.lastRecord !== undefined) return this.lastRecord;
    let record = this.store.records.get(nodeId);
    if (record === undefined) {
      record = new NodeUsageRecord(nodeId, this.store);
      this.store.records.set(nodeId, record);
    }
    if (record.touchedBy !== this.seq) {
      record.touchedBy = this.seq;
      this.touched.push(record);
    }
    this.lastNodeId = nodeId;
    this.lastRecord = record;
    return record;
  }

  /** Publishes the changes as the store's next version. */
  commit(): NodeUsageIndex {
    assert(
      !this.done && this.store.pending === this,
      "node usage: a write committed twice or after a newer one",
    );
    this.done = true;
    this.store.pending = undefined;
    this.store.head = this.seq;
    for (const record of this.touched) record.prune();
    return NodeUsageIndex.at(this.store, this.seq);
  }

  /** Takes the changes back (a rejected command); the store is as it was before `edit()`. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.store.pending === this) this.store.pending = undefined;
    for (const record of this.touched) {
      record.rollBack(this.seq);
      record.touchedBy = 0;
    }
  }
}
