import type { AclBootstrapRecord, AclPolicy, AclToken } from "./acl.js";
import { NodeAllocsIndex } from "./node-allocs-store.js";
import { NodeUsageIndex } from "./node-usage-store.js";
import { PMap } from "./persistent-map.js";
import {
  type Allocation,
  DEFAULT_SCHEDULER_CONFIGURATION,
  type Deployment,
  type Evaluation,
  type Job,
  type JobSummary,
  type Namespace,
  type Node,
  type SchedulerConfiguration,
  type Variable,
} from "./structs.js";

/**
 * The names of the replicated tables: what `tableIndex()` and `watch()` take, and the record
 * kinds of LevelDB and of snapshot streams. Secondary indexes are not tables: they are rebuilt
 * from these on load.
 */
export const TABLES = [
  "jobs",
  "job_versions",
  "job_summary",
  "nodes",
  "allocs",
  "evals",
  "deployments",
  "variables",
  "scheduler_config",
  "namespaces",
  "acl_policies",
  "acl_tokens",
  "acl_bootstrap",
] as const;
export type TableName = (typeof TABLES)[number];

/**
 * Tables added after the first release of the stored formats: a LevelDB generation or snapshot
 * stream written before one existed lacks its table index, which then reads as 0 (the table was
 * empty). Every other table's index must be present.
 */
const LATER_TABLES: ReadonlySet<TableName> = new Set([
  "namespaces",
  "acl_policies",
  "acl_tokens",
  "acl_bootstrap",
]);

/**
 * The table indexes of a stored state, checked: undefined names the first table whose index is
 * missing (and not a later table), otherwise every table has a number.
 */
export function completeTableIndexes(
  stored: Record<string, unknown>,
): { indexes: Record<TableName, number>; missing?: undefined } | { missing: TableName } {
  const indexes = {} as Record<TableName, number>;
  for (const table of TABLES) {
    const value = stored[table];
    if (typeof value === "number") indexes[table] = value;
    else if (value === undefined && LATER_TABLES.has(table)) indexes[table] = 0;
    else return { missing: table };
  }
  return { indexes };
}

export function isTableName(name: string): name is TableName {
  return (TABLES as readonly string[]).includes(name);
}

export { nsKey } from "./ns-key.js";

/** The one key of the scheduler_config table. */
export const SCHEDULER_CONFIG_KEY = "config";

/**
 * One immutable version of the whole state. Every field is a persistent map (or a frozen value),
 * so holding a `Tables` is holding a snapshot; the store publishes a new one per applied entry.
 *
 * Invariants (checked by tests): every secondary index holds exactly the objects of its primary
 * table under the object's current key values; `liveAllocsByJob`/`liveEvalsByJob` count the
 * non-terminal allocs/evals of each job (absent when 0).
 */
export interface Tables {
  /**
   * The state index: what every record's CreateIndex/ModifyIndex, X-Nomad-Index and blocking
   * queries are measured in. It is the Raft index of the last applied entry plus `raftOffset`.
   */
  readonly index: number;
  /**
   * state index − Raft index. 0 until a snapshot restore brings records whose indexes are ahead of
   * this cluster's Raft log: the restore entry then moves the state index past the snapshot's, so
   * that indexes never go backwards (Nomad's restore makes Raft's index jump instead; Drover's Raft
   * log stays contiguous and the state index carries the jump). It only ever grows.
   */
  readonly raftOffset: number;
  readonly tableIndexes: Readonly<Record<TableName, number>>;

  readonly jobs: PMap<Job>;
  /** nsKey(job) → stored versions, newest first (at most JOB_TRACKED_VERSIONS). */
  readonly jobVersions: PMap<readonly Job[]>;
  readonly jobSummaries: PMap<JobSummary>;
  readonly jobsByType: PMap<PMap<Job>>;
  /** nsKey(namespace, ParentID) → nsKey(job) → job. */
  readonly jobsByParent: PMap<PMap<Job>>;

  readonly nodes: PMap<Node>;
  readonly nodesByClass: PMap<PMap<Node>>;

  readonly allocs: PMap<Allocation>;
  /** Node ID → its allocations, by ID. Read it through StateReader.allocsByNode (node-allocs-store.ts). */
  readonly allocsByNode: NodeAllocsIndex;
  /** nsKey(namespace, JobID) → alloc ID → alloc. */
  readonly allocsByJob: PMap<PMap<Allocation>>;
  readonly allocsByEval: PMap<PMap<Allocation>>;
  readonly liveAllocsByJob: PMap<number>;
  /**
   * Node ID → what the allocations holding resources there hold (node-usage-summary.ts); derived
   * from `allocs` like the indexes. Read it through StateReader.nodeUsage (node-usage-store.ts).
   */
  readonly nodeUsage: NodeUsageIndex;

  readonly evals: PMap<Evaluation>;
  readonly evalsByJob: PMap<PMap<Evaluation>>;
  readonly liveEvalsByJob: PMap<number>;

  readonly deployments: PMap<Deployment>;
  readonly deploymentsByJob: PMap<PMap<Deployment>>;

  /** nsKey(namespace, path) → variable. */
  readonly variables: PMap<Variable>;
  readonly schedulerConfig: SchedulerConfiguration;
  /** Name → namespace, as written (the implicit `default` is not stored until upserted). */
  readonly namespaces: PMap<Namespace>;
  /** Name → ACL policy. */
  readonly aclPolicies: PMap<AclPolicy>;
  /** AccessorID → ACL token. */
  readonly aclTokens: PMap<AclToken>;
  /** SecretHash → AccessorID: how a bearer secret finds its token (an index, not persisted). */
  readonly aclTokensBySecret: PMap<string>;
  /** ACL_BOOTSTRAP_KEY → the bootstrap record, once the ACL system was bootstrapped. */
  readonly aclBootstrap: PMap<AclBootstrapRecord>;
}

/** Nomad keeps the last six versions of each job. */
export const JOB_TRACKED_VERSIONS = 6;

export function emptyTables(): Tables {
  const tableIndexes = Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<TableName, number>;
  return {
    index: 0,
    raftOffset: 0,
    tableIndexes,
    jobs: PMap.empty(),
    jobVersions: PMap.empty(),
    jobSummaries: PMap.empty(),
    jobsByType: PMap.empty(),
    jobsByParent: PMap.empty(),
    nodes: PMap.empty(),
    nodesByClass: PMap.empty(),
    allocs: PMap.empty(),
    allocsByNode: NodeAllocsIndex.empty(),
    allocsByJob: PMap.empty(),
    allocsByEval: PMap.empty(),
    liveAllocsByJob: PMap.empty(),
    nodeUsage: NodeUsageIndex.empty(),
    evals: PMap.empty(),
    evalsByJob: PMap.empty(),
    liveEvalsByJob: PMap.empty(),
    deployments: PMap.empty(),
    deploymentsByJob: PMap.empty(),
    variables: PMap.empty(),
    schedulerConfig: DEFAULT_SCHEDULER_CONFIGURATION,
    namespaces: PMap.empty(),
    aclPolicies: PMap.empty(),
    aclTokens: PMap.empty(),
    aclTokensBySecret: PMap.empty(),
    aclBootstrap: PMap.empty(),
  };
}
