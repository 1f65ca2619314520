import { assert } from "../common/assert.js";
import { allocUsageInto, newAllocUsageScratch } from "./alloc-usage.js";
import {
  EMPTY_NODE_USAGE,
  groupKeyOfJob,
  type NodeUsageSummary,
  summarizeAllocs,
  UsageCounter,
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
 * allocations in that version (`allocsByNode`, which is persistent): slower, never wrong. Readers
 * are recent snapshots (schedulers, the plan applier), so that path is rare.
 *
 * One writer: a store is changed only by a transaction on its newest version. A transaction on
 * an older version (tests branch states; production never does) first copies the store as of
 * that version (`fork`). A transaction that throws takes its changes back (`abort`), so a rejected
 * command still leaves the state as it was.
 */

/** Changes kept per node after pruning; a node's log is pruned when it holds twice as many. */
const KEPT_CHANGES = 32;
/** A read more changes behind than this sums the node's allocations instead. */
const MAX_NEWER = KEPT_CHANGES;

/** One change of a node's usage: write `seq` counted `alloc` (sign 1) or took it back (-1). */
interface UsageChange {
  readonly seq: number;
  readonly sign: 1 | -1;
  readonly alloc: Allocation;
  readonly groupKey: string;
  readonly jobKey: string;
}

/** One node's live usage and its recent changes. */
class NodeUsageRecord {
  readonly live: UsageCounter;
  /** Recent changes, oldest first. Invariant: seqs never decrease along the list. */
  changes: UsageChange[] = [];
  /** Every dropped change had a seq ≤ this (0: none was dropped). */
  droppedThrough = 0;
  /** The seq of the last write that listed this record as touched (NodeUsageEdit). */
  touchedBy = 0;

  constructor(base: NodeUsageSummary) {
    this.live = new UsageCounter(base);
  }

  apply(change: UsageChange): void {
    this.live.change(change.alloc, change.sign, change.groupKey, change.jobKey);
    this.changes.push(change);
  }

  /**
   * How many of the last changes are newer than write `seq`, or undefined when that cannot be
   * answered from the log (dropped changes, or more than MAX_NEWER).
   */
  newerThan(seq: number): number | undefined {
    if (this.droppedThrough > seq) return undefined;
    const changes = this.changes;
    let newer = 0;
    for (let i = changes.length - 1; i >= 0 && (changes[i] as UsageChange).seq > seq; i--) {
      if (++newer > MAX_NEWER) return undefined;
    }
    return newer;
  }

  /** Takes back write `seq`'s changes (the last ones in the log). */
  rollBack(seq: number): void {
    for (;;) {
      const last = this.changes.at(-1);
      if (last === undefined || last.seq !== seq) return;
      this.changes.pop();
      this.live.change(last.alloc, -last.sign as 1 | -1, last.groupKey, last.jobKey);
    }
  }

  prune(): void {
    if (this.changes.length <= 2 * KEPT_CHANGES) return;
    const drop = this.changes.length - KEPT_CHANGES;
    this.droppedThrough = (this.changes[drop - 1] as UsageChange).seq;
    this.changes = this.changes.slice(drop);
  }
}

/** The mutable part shared by every version of one lineage. */
class NodeUsageStore {
  readonly records = new Map<string, NodeUsageRecord>();
  /** The seq of the newest committed write. */
  head = 0;
  /** The write in progress, if any. */
  pending: NodeUsageEdit | undefined;
}

/** What allocUsageInto writes for the port reads of a view. */
const scratchUsage = newAllocUsageScratch();

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
    let at: NodeUsageSummary = record.live;
    if (newer > 0) {
      // The sums at `seq`: the live ones with the newer changes taken back, newest first (port
      // collisions depend on the order of uses).
      const back = new UsageCounter(record.live);
      const changes = record.changes;
      for (let i = changes.length - 1; i >= changes.length - newer; i--) {
        const change = changes[i] as UsageChange;
        back.change(change.alloc, -change.sign as 1 | -1, change.groupKey, change.jobKey);
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

  /** The changes newer than `seq` now, or undefined once this view must read `fixed`. */
  private newer(): number | undefined {
    if (this.fixed !== undefined) return undefined;
    const newer = this.record.newerThan(this.seq);
    if (newer === undefined) this.fixed = summarizeAllocs(this.allocsAt());
    return newer;
  }

  portCount(port: number): number {
    const newer = this.newer();
    if (newer === undefined) return (this.fixed as NodeUsageSummary).portCount(port);
    let count = this.record.live.portCount(port);
    const changes = this.record.changes;
    for (let i = changes.length - newer; i < changes.length; i++) {
      const change = changes[i] as UsageChange;
      const usage = allocUsageInto(change.alloc, scratchUsage);
      for (let p = 0; p < usage.portCount; p++) if (usage.ports[p] === port) count -= change.sign;
    }
    return count;
  }

  distinctPorts(): Iterable<number> {
    const newer = this.newer();
    if (newer === undefined) return (this.fixed as NodeUsageSummary).distinctPorts();
    const candidates = new Set(this.record.live.distinctPorts());
    const changes = this.record.changes;
    for (let i = changes.length - newer; i < changes.length; i++) {
      const usage = allocUsageInto((changes[i] as UsageChange).alloc, scratchUsage);
      for (let p = 0; p < usage.portCount; p++) candidates.add(usage.ports[p] as number);
    }
    return [...candidates].filter((port) => this.portCount(port) > 0);
  }

  usageCount(key: string): number {
    const newer = this.newer();
    if (newer === undefined) return (this.fixed as NodeUsageSummary).usageCount(key);
    let count = this.record.live.usageCount(key);
    const changes = this.record.changes;
    for (let i = changes.length - newer; i < changes.length; i++) {
      const change = changes[i] as UsageChange;
      if (change.groupKey === key) count -= change.sign;
    }
    return count;
  }

  jobUsageCount(key: string): number {
    const newer = this.newer();
    if (newer === undefined) return (this.fixed as NodeUsageSummary).jobUsageCount(key);
    let count = this.record.live.jobUsageCount(key);
    const changes = this.record.changes;
    for (let i = changes.length - newer; i < changes.length; i++) {
      const change = changes[i] as UsageChange;
      if (change.jobKey === key) count -= change.sign;
    }
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

  /** A new lineage holding these summaries (node ID → summary; a bulk load's). */
  static of(summaries: Iterable<[string, NodeUsageSummary]>): NodeUsageIndex {
    const store = new NodeUsageStore();
    for (const [nodeId, summary] of summaries) {
      if (summary !== EMPTY_NODE_USAGE) store.records.set(nodeId, new NodeUsageRecord(summary));
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
    if (newer === 0 && record.live.allocs === 0) return EMPTY_NODE_USAGE;
    const view = new NodeUsageView(record, this.seq, newer, allocsAt);
    return view.allocs === 0 ? EMPTY_NODE_USAGE : view;
  }

  /** The nodes that may have a summary in this version (a superset of those that do). */
  nodeIds(): Iterable<string> {
    return this.store.records.keys();
  }

  /**
   * Starts the next write. `allocsByNode` is this version's: if a later version was written
   * already, the store is copied as of this version from it first (a branch; tests only).
   */
  edit(allocsByNode: PMap<PMap<Allocation>>): NodeUsageEdit {
    const store = this.store;
    store.pending?.abort();
    if (store.head === this.seq) return new NodeUsageEdit(store, this.seq + 1);
    const forked = new NodeUsageStore();
    allocsByNode.forEach((allocs, nodeId) => {
      const summary = summarizeAllocs(allocs.values());
      if (summary !== EMPTY_NODE_USAGE) forked.records.set(nodeId, new NodeUsageRecord(summary));
    });
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
  // The last group key built: one string shared by every node's count of a run of allocations of
  // one group (a plan spreads one group over up to a thousand nodes).
  private lastJobKey = "";
  private lastGroup = "";
  private lastGroupKey = "";
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
      this.lastGroupKey = groupKeyOfJob(jobKey, alloc.TaskGroup);
    }
    this.recordOf(alloc.NodeID).apply({ seq: this.seq, sign, alloc, groupKey: this.lastGroupKey, jobKey });
  }

  private recordOf(nodeId: string): NodeUsageRecord {
    if (nodeId === this.lastNodeId && this.lastRecord !== undefined) return this.lastRecord;
    let record = this.store.records.get(nodeId);
    if (record === undefined) {
      record = new NodeUsageRecord(EMPTY_NODE_USAGE);
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
