import { assert } from "../common/assert.js";
import { hashString, type PMap } from "./persistent-map.js";
import type { Allocation } from "./structs.js";

/**
 * The state's allocations by node (`Tables.allocsByNode`), kept as one live map per node changed
 * in place, plus a short log of each node's recently changed IDs to
 * read older versions by. The same scheme as the usage summaries (node-usage-store.ts), and for
 * the same reason: a plan spreads its allocations over up to a thousand nodes, and a persistent
 * per-node map copied a trie path for every one of them on every plan, garbage that outlived the
 * young generation.
 *
 * Versions. Each transaction that changes the index commits one write, numbered `seq` (the
 * lineage's own counter). Reading node N at `seq` S takes N's live list and puts back, for each
 * ID changed after S, that allocation as the version's `allocs` table holds it (the primary table
 * stays persistent, so the log needs only the IDs). A version so old that some of its node's
 * later changes were dropped, or more than MAX_NEWER behind, is answered by scanning that
 * version's whole `allocs` table: slow, never wrong, and rare, since readers hold recent
 * snapshots.
 *
 * Order. A node's allocations are listed by ID, so that equal states list them alike whatever
 * their history (a restart included). Reads sort; they are the rare path (preemption, a node
 * going down, the API), while every placement writes.
 *
 * One writer: a transaction on an older version (tests branch states) first copies the index as of
 * that version; a transaction that throws takes its changes back (`abort`).
 */

/**
 * Changes kept per node after pruning; a node's log is pruned when it holds twice as many. More
 * than the usage store keeps: every write of an allocation is a change here (client updates
 * included), and an entry is only a seq and an ID.
 */
const KEPT_CHANGES = 64;
/** A read more changes behind than this scans the allocs table instead. */
const MAX_NEWER = KEPT_CHANGES;

const NONE: readonly Allocation[] = Object.freeze([]);

/**
 * The hash a record keeps of an allocation ID: the allocs table's hash of it (which a write has
 * at hand), cut to 30 bits so that the array holding it stays an array of small integers.
 */
function idHash(tableHash: number): number {
  return tableHash & 0x3fffffff;
}

/**
 * One node's allocations and the IDs its recent writes changed.
 *
 * The allocations are a plain array in no useful order (reads sort), with each one's ID hash at
 * the same position in `hashes`: a placement appends to both, and finding an allocation scans
 * the hashes (small integers, side by side) and compares an ID only where they match. A Map by
 * ID cost a hash of the ID string and a cold lookup in the node's table on every write, and each
 * of a plan's writes meets another node's table.
 */
class NodeAllocsRecord {
  readonly allocs: Allocation[] = [];
  readonly hashes: number[] = [];
  /** The log, oldest first: write seqs[i] changed allocation changedIds[i]. */
  readonly seqs: number[] = [];
  readonly changedIds: string[] = [];
  /** Every dropped change had a seq ≤ this (0: none was dropped). */
  droppedThrough = 0;
  /** The seq of the last write that listed this record as touched. */
  touchedBy = 0;

  /**
   * How many of the last changes are newer than write `seq`, or undefined when the log cannot
   * say (dropped changes, or more than MAX_NEWER).
   */
  newerThan(seq: number): number | undefined {
    if (this.droppedThrough > seq) return undefined;
    let newer = 0;
    for (let i = this.seqs.length - 1; i >= 0 && (this.seqs[i] as number) > seq; i--) {
      if (++newer > MAX_NEWER) return undefined;
    }
    return newer;
  }

  prune(): void {
    const length = this.seqs.length;
    if (length <= 2 * KEPT_CHANGES) return;
    const drop = length - KEPT_CHANGES;
    this.droppedThrough = this.seqs[drop - 1] as number;
    for (const list of [this.seqs, this.changedIds] as unknown[][]) {
      list.copyWithin(0, drop);
      list.length = KEPT_CHANGES;
    }
  }

  /** Where the allocation with this ID (and idHash) is in `allocs`, or -1. */
  indexOf(id: string, hash: number): number {
    const hashes = this.hashes;
    for (let i = 0; i < hashes.length; i++) {
      if (hashes[i] === hash && (this.allocs[i] as Allocation).ID === id) return i;
    }
    return -1;
  }

  /** Lists `alloc`, replacing the one with its ID; `absent`: the caller knows there is none. */
  set(alloc: Allocation, hash: number, absent: boolean): void {
    const at = absent ? -1 : this.indexOf(alloc.ID, hash);
    if (at >= 0) {
      this.allocs[at] = alloc;
      return;
    }
    this.allocs.push(alloc);
    this.hashes.push(hash);
  }

  /** Takes the allocation with this ID off the list (the last one fills its place). */
  delete(id: string, hash: number): void {
    const at = this.indexOf(id, hash);
    if (at < 0) return;
    const last = this.allocs.length - 1;
    this.allocs[at] = this.allocs[last] as Allocation;
    this.hashes[at] = this.hashes[last] as number;
    this.allocs.pop();
    this.hashes.pop();
  }
}

/** The mutable part shared by every version of one lineage. */
class NodeAllocsStore {
  readonly records = new Map<string, NodeAllocsRecord>();
  /** The seq of the newest committed write. */
  head = 0;
  /** The write in progress, if any. */
  pending: NodeAllocsEdit | undefined;

  recordOf(nodeId: string): NodeAllocsRecord {
    let record = this.records.get(nodeId);
    if (record === undefined) {
      record = new NodeAllocsRecord();
      this.records.set(nodeId, record);
    }
    return record;
  }

  /** A store holding these lists (node ID → its allocations, any order; taken over). */
  static grouped(byNode: Map<string, Allocation[]>): NodeAllocsStore {
    const store = new NodeAllocsStore();
    for (const [nodeId, allocs] of byNode) {
      const record = store.recordOf(nodeId);
      for (const alloc of allocs) record.set(alloc, idHash(hashString(alloc.ID)), true);
    }
    return store;
  }
}

/**
 * One version of the allocations by node: what `Tables.allocsByNode` holds. Immutable to its
 * holders; a transaction makes the next one through `edit()`.
 */
export class NodeAllocsIndex {
  private constructor(
    private readonly store: NodeAllocsStore,
    private readonly seq: number,
  ) {}

  static empty(): NodeAllocsIndex {
    return new NodeAllocsIndex(new NodeAllocsStore(), 0);
  }

  /** A new lineage holding these lists (node ID → its allocations, any order; taken over). */
  static of(byNode: Map<string, Allocation[]>): NodeAllocsIndex {
    return new NodeAllocsIndex(NodeAllocsStore.grouped(byNode), 0);
  }

  /**
   * The node's allocations in this version, sorted by ID (a fresh array). `allocs` is this
   * version's allocs table.
   */
  get(nodeId: string, allocs: PMap<Allocation>): readonly Allocation[] {
    const record = this.store.records.get(nodeId);
    if (record === undefined) return NONE;
    const newer = record.newerThan(this.seq);
    if (newer === undefined) return scan(allocs, nodeId);
    if (newer === 0) return record.allocs.length === 0 ? NONE : [...record.allocs].sort(compareAllocIds);
    const changed = new Set<string>();
    for (let i = record.seqs.length - newer; i < record.seqs.length; i++) {
      changed.add(record.changedIds[i] as string);
    }
    const out: Allocation[] = [];
    for (const alloc of record.allocs) if (!changed.has(alloc.ID)) out.push(alloc);
    for (const id of changed) {
      const then = allocs.get(id);
      if (then !== undefined && then.NodeID === nodeId) out.push(then);
    }
    return out.length === 0 ? NONE : out.sort(compareAllocIds);
  }

  /** The nodes that may have allocations in this version (a superset of those that do). */
  nodeIds(): Iterable<string> {
    return this.store.records.keys();
  }

  /**
   * Starts the next write. `allocs` is this version's allocs table: if a later version was
   * written already, the index is copied as of this version from it first (a branch; tests only).
   */
  edit(allocs: PMap<Allocation>): NodeAllocsEdit {
    const store = this.store;
    store.pending?.abort();
    if (store.head === this.seq) return new NodeAllocsEdit(store, this.seq + 1, allocs);
    return new NodeAllocsEdit(NodeAllocsStore.grouped(groupByNode(allocs)), 1, allocs);
  }

  /** @internal NodeAllocsEdit's way to publish the version it committed. */
  static at(store: NodeAllocsStore, seq: number): NodeAllocsIndex {
    return new NodeAllocsIndex(store, seq);
  }
}

/** The order a node's allocations are listed in: by ID. */
export function compareAllocIds(a: Allocation, b: Allocation): number {
  return a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0;
}

/**
 * Node ID → its allocations in `allocs` (in table order), by a walk of the whole table: what a
 * copy of an older version and the invariant checks start from.
 */
export function groupByNode(allocs: PMap<Allocation>): Map<string, Allocation[]> {
  const byNode = new Map<string, Allocation[]>();
  allocs.forEach((alloc) => {
    const list = byNode.get(alloc.NodeID);
    if (list === undefined) byNode.set(alloc.NodeID, [alloc]);
    else list.push(alloc);
  });
  return byNode;
}

/** The node's allocations, found by scanning the whole table (a version the log cannot read). */
function scan(allocs: PMap<Allocation>, nodeId: string): readonly Allocation[] {
  const out: Allocation[] = [];
  allocs.forEach((alloc) => {
    if (alloc.NodeID === nodeId) out.push(alloc);
  });
  return out.length === 0 ? NONE : out.sort(compareAllocIds);
}

/**
 * One transaction's changes to the allocations by node, applied to the live lists as they come:
 * `commit()` publishes them as the next version, `abort()` takes them back.
 */
export class NodeAllocsEdit {
  private readonly touched: Array<[string, NodeAllocsRecord]> = [];
  private done = false;
  // The record last written: a plan writes its allocations node by node.
  private lastNodeId: string | undefined;
  private lastRecord: NodeAllocsRecord | undefined;

  constructor(
    private readonly store: NodeAllocsStore,
    private readonly seq: number,
    /** The allocs table of the version this write starts from (what `abort()` restores). */
    private readonly base: PMap<Allocation>,
  ) {
    store.pending = this;
  }

  /**
   * Lists `alloc` under its node, replacing the one with its ID there. `hash`: the allocs table's
   * hash of its ID; `absent`: no allocation with its ID is listed anywhere (it is new to the
   * allocs table).
   */
  put(alloc: Allocation, hash: number, absent: boolean): void {
    this.logged(alloc.NodeID, alloc.ID).set(alloc, idHash(hash), absent);
  }

  /** Takes the allocation with this ID (`hash`: the table's hash of it) off the node's list. */
  remove(nodeId: string, id: string, hash: number): void {
    this.logged(nodeId, id).delete(id, idHash(hash));
  }

  private logged(nodeId: string, id: string): NodeAllocsRecord {
    assert(!this.done && this.store.pending === this, "allocs by node: write after its end");
    let record = this.lastRecord;
    if (nodeId !== this.lastNodeId || record === undefined) {
      record = this.store.recordOf(nodeId);
      if (record.touchedBy !== this.seq) {
        record.touchedBy = this.seq;
        this.touched.push([nodeId, record]);
      }
      this.lastNodeId = nodeId;
      this.lastRecord = record;
    }
    record.seqs.push(this.seq);
    record.changedIds.push(id);
    return record;
  }

  /** Publishes the changes as the store's next version. */
  commit(): NodeAllocsIndex {
    assert(
      !this.done && this.store.pending === this,
      "allocs by node: a write committed twice or after a newer one",
    );
    this.done = true;
    this.store.pending = undefined;
    this.store.head = this.seq;
    for (const [, record] of this.touched) record.prune();
    return NodeAllocsIndex.at(this.store, this.seq);
  }

  /** Takes the changes back (a rejected command): each changed ID as the base version holds it. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (this.store.pending === this) this.store.pending = undefined;
    for (const [nodeId, record] of this.touched) {
      while (record.seqs.length > 0 && record.seqs.at(-1) === this.seq) {
        record.seqs.pop();
        const id = record.changedIds.pop() as string;
        const hash = idHash(hashString(id));
        const before = this.base.get(id);
        if (before !== undefined && before.NodeID === nodeId) record.set(before, hash, false);
        else record.delete(id, hash);
      }
      record.touchedBy = 0;
    }
  }
}
