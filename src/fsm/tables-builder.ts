import { ACL_BOOTSTRAP_KEY, type AclBootstrapRecord, type AclPolicy, type AclToken } from "./acl.js";
import { allocCompactor } from "./alloc-compactor.js";
import { CorruptSnapshotError } from "./errors.js";
import { StateTxn } from "./state-txn.js";
import type {
  Allocation,
  Deployment,
  Evaluation,
  Job,
  JobSummary,
  Namespace,
  Node,
  SchedulerConfiguration,
  Variable,
} from "./structs.js";
import { emptyTables, isTableName, SCHEDULER_CONFIG_KEY, type TableName, type Tables } from "./tables.js";

/**
 * Rebuilds a `Tables` version from stored records (a LevelDB load or a snapshot stream), record by
 * record, with the secondary indexes and counters derived as they go. No command semantics run:
 * the records are the state.
 */
export class TablesBuilder {
  private readonly txn: StateTxn;
  private count = 0;

  constructor(
    readonly index: number,
    private readonly tableIndexes: Readonly<Record<TableName, number>>,
    raftOffset = 0,
  ) {
    this.txn = new StateTxn(emptyTables(), index, false);
    this.txn.raftOffset = raftOffset;
  }

  get records(): number {
    return this.count;
  }

  add(table: string, key: string, value: unknown): void {
    addRecord(this.txn, table, key, value);
    this.count += 1;
  }

  /** An allocation already in its stored, compact form (placedAlloc output). */
  addPlacedAlloc(alloc: Allocation): void {
    this.count += 1;
    this.txn.putAlloc(alloc);
  }

  finish(): Tables {
    return this.txn.commit(this.tableIndexes);
  }
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
