import { assert } from "../common/assert.js";
import { ACL_BOOTSTRAP_KEY, type AclBootstrapRecord, type AclPolicy, type AclToken } from "./acl.js";
import type { AllocClientFields } from "./alloc-client-overlay.js";
import { allocCompactor } from "./alloc-compactor.js";
import { allocUsageInto, holdsResources, newAllocUsageScratch } from "./alloc-usage.js";
import { CorruptSnapshotError } from "./errors.js";
import { NodeAllocsIndex } from "./node-allocs-store.js";
import { NodeUsageIndex } from "./node-usage-store.js";
import { groupKeyOfJob, UsageSum } from "./node-usage-summary.js";
import { hashString, PMap } from "./persistent-map.js";
import { StateTxn } from "./state-txn.js";
import {
  type Allocation,
  allocTerminal,
  type Deployment,
  type Evaluation,
  type Job,
  type JobSummary,
  type Namespace,
  type Node,
  type SchedulerConfiguration,
  type Variable,
} from "./structs.js";
import {
  emptyTables,
  isTableName,
  nsKey,
  SCHEDULER_CONFIG_KEY,
  type TableName,
  type Tables,
} from "./tables.js";

/**
 * Rebuilds a `Tables` version from stored records (a LevelDB load or a snapshot stream), record by
 * record, with the secondary indexes and counters derived as they go. No command semantics run:
 * the records are the state.
 *
 * Allocations (nearly all of a big state) are gathered first and their table, indexes and
 * counters built in one pass each on finish() (PMap.build): inserting a million of them one at a
 * time re-allocated a trie array per insert and index, the largest share of a restart's garbage.
 */
export class TablesBuilder {
  private readonly txn: StateTxn;
  private count = 0;
  /** Alloc ID → alloc; a later record of an id replaces the earlier one. */
  private readonly allocs = new Map<string, Allocation>();
  /**
   * Allocations created by stored plan entries, whose ids are distinct from each other and from
   * every record (the loader skips those a record or tombstone overrides): kept in a list, since
   * a million-entry Map only to find no repeats was a tenth of a restart.
   */
  private readonly placed: Allocation[] = [];
  /** How many of `overlays` were written into an allocation so far. */
  private overlaid = 0;

  constructor(
    readonly index: number,
    private readonly tableIndexes: Readonly<Record<TableName, number>>,
    raftOffset = 0,
    /**
     * Stored overlays by alloc ID (leveldb-layout.ts), written into their allocation as it is
     * added; each must find its allocation (else finish() reports the store corrupt).
     */
    private readonly overlays: ReadonlyMap<string, AllocClientFields> = NO_OVERLAYS,
  ) {
    this.txn = new StateTxn(emptyTables(), index, false);
    this.txn.raftOffset = raftOffset;
  }

  get records(): number {
    return this.count;
  }

  add(table: string, key: string, value: unknown): void {
    if (table === "allocs") {
      if (typeof value !== "object" || value === null) {
        throw new CorruptSnapshotError(`${table}/${key}: record is not an object`);
      }
      const alloc = this.withOverlay(allocCompactor.compact(value as Allocation));
      this.allocs.set(alloc.ID, alloc);
    } else {
      addRecord(this.txn, table, key, value);
    }
    this.count += 1;
  }

  /**
   * An allocation already in its stored, compact form (placedAlloc output), whose id no other
   * allocation given to this builder has (a repeat fails an assertion on finish()).
   */
  addPlacedAlloc(alloc: Allocation): void {
    this.count += 1;
    this.placed.push(this.withOverlay(alloc));
  }

  /** `alloc` (which this builder owns) with its overlay written in, if it has one. */
  private withOverlay(alloc: Allocation): Allocation {
    if (this.overlays.size === 0) return alloc;
    const fields = this.overlays.get(alloc.ID);
    if (fields === undefined) return alloc;
    allocCompactor.setClientFields(alloc, fields);
    this.overlaid += 1;
    return alloc;
  }

  finish(): Tables {
    const tables = this.txn.commit(this.tableIndexes);
    assert(tables.allocs.size === 0, "tables-builder: allocations bypassed the bulk build");
    const all = this.allocs.size === 0 ? this.placed : [...this.placed, ...this.allocs.values()];
    const built = buildAllocTables(all);
    this.allocs.clear();
    this.placed.length = 0;
    // Each allocation id was added once (PMap.build asserts it), so each overlay was written at
    // most once: fewer written than stored means some found no allocation.
    if (this.overlaid !== this.overlays.size) {
      for (const id of this.overlays.keys()) {
        if (!built.allocs.has(id))
          throw new CorruptSnapshotError(`stored overlay of missing allocation ${id}`);
      }
    }
    return { ...tables, ...built };
  }
}

const NO_OVERLAYS: ReadonlyMap<string, AllocClientFields> = new Map();

type AllocTables = Pick<
  Tables,
  "allocs" | "allocsByNode" | "allocsByJob" | "allocsByEval" | "liveAllocsByJob" | "nodeUsage"
>;

/**
 * The allocation table, its three indexes, the live counts per job and the per-node usage
 * summaries (what StateTxn.putAlloc maintains one alloc at a time), each built in one pass. Every
 * alloc ID is hashed once.
 */
function buildAllocTables(allocs: readonly Allocation[]): AllocTables {
  const ids = allocs.map((a) => a.ID);
  const hashes = Uint32Array.from(ids, hashString);
  const byNode = new Groups();
  const byJob = new Groups();
  const byEval = new Groups();
  const live = new Map<string, number>();
  // groupCountKey of each alloc: one shared string per group, so that every node's count of a
  // group shares it and no key is built per allocation. Allocations come in runs of one job and
  // group (a plan's), so the last key is compared first.
  const groupKeys = new Array<string>(allocs.length);
  const jobKeys = new Array<string>(allocs.length);
  const held = new HeldColumns(allocs.length);
  const knownGroupKeys = new Map<string, string>();
  let lastNamespace: string | undefined;
  let lastJobId: string | undefined;
  let lastGroup: string | undefined;
  let jobKey = "";
  let groupKey = "";
  for (const [i, alloc] of allocs.entries()) {
    if (alloc.JobID !== lastJobId || alloc.Namespace !== lastNamespace) {
      lastNamespace = alloc.Namespace;
      lastJobId = alloc.JobID;
      jobKey = nsKey(alloc.Namespace, alloc.JobID);
      lastGroup = undefined;
    }
    if (alloc.TaskGroup !== lastGroup) {
      lastGroup = alloc.TaskGroup;
      const key = groupKeyOfJob(jobKey, alloc.TaskGroup);
      groupKey = knownGroupKeys.get(key) ?? key;
      knownGroupKeys.set(groupKey, groupKey);
    }
    groupKeys[i] = groupKey;
    jobKeys[i] = jobKey;
    held.add(i, alloc);
    byNode.add(alloc.NodeID, i);
    byJob.add(jobKey, i);
    byEval.add(alloc.EvalID, i);
    if (!allocTerminal(alloc)) live.set(jobKey, (live.get(jobKey) ?? 0) + 1);
  }
  const builtGroups = new Map<number, { items: readonly number[]; map: PMap<Allocation> }>();
  return {
    allocs: PMap.build(ids, allocs, hashes),
    allocsByNode: NodeAllocsIndex.of(byNode.lists(allocs)),
    // One build per distinct group: a job placed by one eval has equal job and eval maps
    // (see BuiltInnerMaps in index-draft.ts; the same sharing apply does).
    allocsByJob: byJob.build(ids, allocs, hashes, builtGroups),
    allocsByEval: byEval.build(ids, allocs, hashes, builtGroups),
    liveAllocsByJob: PMap.build([...live.keys()], [...live.values()]),
    nodeUsage: NodeUsageIndex.of(byNode.summarize(held), heldCounts(held, allocs, groupKeys, jobKeys)),
  };
}

/** (node ID, group key, job key) of each holding allocation, in load order (runs of a group). */
function* heldCounts(
  held: HeldColumns,
  allocs: readonly Allocation[],
  groupKeys: readonly string[],
  jobKeys: readonly string[],
): Generator<readonly [string, string, string]> {
  for (let i = 0; i < allocs.length; i++) {
    if (held.holds[i] === 1)
      yield [(allocs[i] as Allocation).NodeID, groupKeys[i] as string, jobKeys[i] as string];
  }
}

/**
 * What each allocation holds on its node (alloc-usage.ts), by position, gathered in the order
 * the allocations were loaded. Summing per node then reads these columns instead of each
 * allocation's resources: walking a node's allocations jumps across the whole heap, and the
 * chain of loads from an allocation to its ports cost ~0.7 µs per allocation in cache misses (a
 * restart's usage sums were a tenth of its CPU); in load order the same reads are nearly linear.
 */
class HeldColumns {
  /** 1 when allocation i holds resources (holdsResources), else 0 and nothing else is set. */
  readonly holds: Uint8Array;
  readonly cpu: Float64Array;
  readonly memoryMB: Float64Array;
  readonly diskMB: Float64Array;
  /** Allocation i's ports are ports[portStart[i], portStart[i + 1]). */
  readonly portStart: Int32Array;
  readonly ports: number[] = [];
  private readonly scratch = newAllocUsageScratch();

  constructor(count: number) {
    this.holds = new Uint8Array(count);
    this.cpu = new Float64Array(count);
    this.memoryMB = new Float64Array(count);
    this.diskMB = new Float64Array(count);
    this.portStart = new Int32Array(count + 1);
  }

  /** Records allocation i; allocations are added in order, each once. */
  add(i: number, alloc: Allocation): void {
    if (holdsResources(alloc)) {
      const usage = allocUsageInto(alloc, this.scratch);
      this.holds[i] = 1;
      this.cpu[i] = usage.cpu;
      this.memoryMB[i] = usage.memoryMB;
      this.diskMB[i] = usage.diskMB;
      for (let p = 0; p < usage.portCount; p++) this.ports.push(usage.ports[p] as number);
    }
    this.portStart[i + 1] = this.ports.length;
  }
}

/** Item positions grouped by an index key, for the outer → inner maps of a secondary index. */
class Groups {
  private readonly groups = new Map<string, number[]>();
  private lastKey: string | undefined;
  private last: number[] = [];

  add(key: string, item: number): void {
    if (key !== this.lastKey) {
      this.lastKey = key;
      let group = this.groups.get(key);
      if (group === undefined) {
        group = [];
        this.groups.set(key, group);
      }
      this.last = group;
    }
    this.last.push(item);
  }

  /** Each group's values (by item position), in a fresh array. */
  lists<V>(values: readonly V[]): Map<string, V[]> {
    const out = new Map<string, V[]>();
    for (const [key, items] of this.groups)
      out.set(
        key,
        items.map((i) => values[i] as V),
      );
    return out;
  }

  /**
   * The resources each group's allocations hold (groups by node ID); the group and job counts
   * are left to the caller, which counts them by key.
   */
  *summarize(held: HeldColumns): Generator<[string, UsageSum]> {
    for (const [nodeId, items] of this.groups) {
      const sum = new UsageSum();
      for (const i of items) {
        if (held.holds[i] === 0) continue;
        const { ports, portStart } = held;
        sum.add(
          held.cpu[i] as number,
          held.memoryMB[i] as number,
          held.diskMB[i] as number,
          ports,
          portStart[i] as number,
          portStart[i + 1] as number,
        );
      }
      yield [nodeId, sum];
    }
  }

  /**
   * The outer → inner maps. `built` (by a group's first item) holds the inner maps built so far
   * by the groups finished with it: a group of the same items, in the same order, shares one.
   */
  build<V>(
    keys: readonly string[],
    values: readonly V[],
    hashes: Uint32Array,
    built?: Map<number, { items: readonly number[]; map: PMap<V> }>,
  ): PMap<PMap<V>> {
    const inner: Array<PMap<V>> = [];
    for (const items of this.groups.values()) {
      const first = items[0] as number;
      const known = built?.get(first);
      if (known !== undefined && sameItems(known.items, items)) {
        inner.push(known.map);
        continue;
      }
      const map = PMap.build(
        items.map((i) => keys[i] as string),
        items.map((i) => values[i] as V),
        Uint32Array.from(items, (i) => hashes[i] as number),
      );
      built?.set(first, { items, map });
      inner.push(map);
    }
    return PMap.build([...this.groups.keys()], inner);
  }
}

function sameItems(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Writes one stored record into `txn` (a bulk load, or a snapshot-restore command). The record
 * is the state: no command semantics run.
 */
export function addRecord(txn: StateTxn, table: string, key: string, value: unknown): void {
  if (!isTableName(table)) throw new CorruptSnapshotError(`unknown table ${JSON.stringify(table)}`);
  if (typeof value !== "object" || value === null) {
    throw new CorruptSnapshotError(`${table}/${key}: record is not an object`);
  }
  switch (table) {
    case "jobs":
      txn.putJob(value as Job);
      return;
    case "job_versions": {
      if (!Array.isArray(value)) throw new CorruptSnapshotError(`job_versions/${key}: not a list`);
      const versions = value as Job[];
      const first = versions[0];
      if (first === undefined) throw new CorruptSnapshotError(`job_versions/${key}: empty`);
      txn.putJobVersions(first.Namespace, first.ID, versions);
      return;
    }
    case "job_summary":
      txn.putSummary(value as JobSummary);
      return;
    case "nodes":
      txn.putNode(value as Node);
      return;
    case "allocs":
      txn.putAlloc(allocCompactor.compact(value as Allocation));
      return;
    case "evals":
      txn.putEval(value as Evaluation);
      return;
    case "deployments":
      txn.putDeployment(value as Deployment);
      return;
    case "variables":
      txn.putVariable(value as Variable);
      return;
    case "scheduler_config":
      if (key !== SCHEDULER_CONFIG_KEY)
        throw new CorruptSnapshotError(`scheduler_config/${key}: unknown key`);
      txn.putSchedulerConfig(value as SchedulerConfiguration);
      return;
    case "namespaces":
      if ((value as Namespace).Name !== key)
        throw new CorruptSnapshotError(
          `namespaces/${key}: record names ${JSON.stringify((value as Namespace).Name)}`,
        );
      txn.putNamespace(value as Namespace);
      return;
    case "acl_policies":
      if ((value as AclPolicy).Name !== key)
        throw new CorruptSnapshotError(
          `acl_policies/${key}: record names ${JSON.stringify((value as AclPolicy).Name)}`,
        );
      txn.putAclPolicy(value as AclPolicy);
      return;
    case "acl_tokens":
      if ((value as AclToken).AccessorID !== key)
        throw new CorruptSnapshotError(
          `acl_tokens/${key}: record is token ${JSON.stringify((value as AclToken).AccessorID)}`,
        );
      txn.putAclToken(value as AclToken);
      return;
    case "acl_bootstrap":
      if (key !== ACL_BOOTSTRAP_KEY) throw new CorruptSnapshotError(`acl_bootstrap/${key}: unknown key`);
      txn.putAclBootstrap(value as AclBootstrapRecord);
      return;
  }
}
