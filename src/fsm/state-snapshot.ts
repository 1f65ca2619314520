import { ACL_BOOTSTRAP_KEY, type AclBootstrapRecord, type AclPolicy, type AclToken } from "./acl.js";
import { IMPLICIT_DEFAULT_NAMESPACE } from "./namespace.js";
import type { NodeUsageSummary } from "./node-usage-summary.js";
import type { PMap } from "./persistent-map.js";
import type { StateReader } from "./state-reader.js";
import {
  type Allocation,
  DEFAULT_NAMESPACE,
  type Deployment,
  type Evaluation,
  type Job,
  type JobSummary,
  type Namespace,
  type Node,
  type SchedulerConfiguration,
  type Variable,
} from "./structs.js";
import { isTableName, nsKey, type Tables } from "./tables.js";

const NO_ALLOCS: readonly Allocation[] = Object.freeze([]);
const NO_EVALS: readonly Evaluation[] = Object.freeze([]);
const NO_JOBS: readonly Job[] = Object.freeze([]);

/**
 * The StateReader over one immutable `Tables` version. Creating one is O(1). Array answers
 * (allocsByNode, …) are materialised on first use and memoised: the view never changes, and
 * schedulers ask for the same node's allocations many times per evaluation.
 */
export class StateSnapshot implements StateReader {
  private readonly memo = new Map<string, readonly unknown[]>();

  constructor(readonly tables: Tables) {}

  get index(): number {
    return this.tables.index;
  }

  jobByID(namespace: string, id: string): Job | undefined {
    return this.tables.jobs.get(nsKey(namespace, id));
  }

  jobByVersion(namespace: string, id: string, version: number): Job | undefined {
    const versions = this.tables.jobVersions.get(nsKey(namespace, id));
    return versions?.find((job) => job.Version === version);
  }

  jobVersions(namespace: string, id: string): readonly Job[] {
    return this.tables.jobVersions.get(nsKey(namespace, id)) ?? NO_JOBS;
  }

  jobs(): Iterable<Job> {
    return this.tables.jobs.values();
  }

  jobsByType(type: Job["Type"]): Iterable<Job> {
    return this.tables.jobsByType.get(type)?.values() ?? NO_JOBS;
  }

  jobsByParent(namespace: string, parentId: string): Iterable<Job> {
    return this.tables.jobsByParent.get(nsKey(namespace, parentId))?.values() ?? NO_JOBS;
  }

  jobSummary(namespace: string, id: string): JobSummary | undefined {
    return this.tables.jobSummaries.get(nsKey(namespace, id));
  }

  nodeByID(id: string): Node | undefined {
    return this.tables.nodes.get(id);
  }

  nodes(): Iterable<Node> {
    return this.tables.nodes.values();
  }

  nodesByClass(computedClass: string): Iterable<Node> {
    return this.tables.nodesByClass.get(computedClass)?.values() ?? [];
  }

  nodeCount(): number {
    return this.tables.nodes.size;
  }

  allocByID(id: string): Allocation | undefined {
    return this.tables.allocs.get(id);
  }

  allocs(): Iterable<Allocation> {
    return this.tables.allocs.values();
  }

  allocsByNode(nodeId: string): readonly Allocation[] {
    const memoKey = `n${nodeId}`;
    const hit = this.memo.get(memoKey);
    if (hit !== undefined) return hit as readonly Allocation[];
    const list = this.tables.allocsByNode.get(nodeId, this.tables.allocs);
    this.memo.set(memoKey, list);
    return list;
  }

  allocsByJob(namespace: string, jobId: string): readonly Allocation[] {
    return this.memoised("j", nsKey(namespace, jobId), this.tables.allocsByJob, NO_ALLOCS);
  }

  allocsByEval(evalId: string): readonly Allocation[] {
    return this.memoised("e", evalId, this.tables.allocsByEval, NO_ALLOCS);
  }

  allocCount(): number {
    return this.tables.allocs.size;
  }

  nodeUsage(nodeId: string): NodeUsageSummary {
    return this.tables.nodeUsage.get(nodeId, () => this.allocsByNode(nodeId));
  }

  evalByID(id: string): Evaluation | undefined {
    return this.tables.evals.get(id);
  }

  evals(): Iterable<Evaluation> {
    return this.tables.evals.values();
  }

  evalsByJob(namespace: string, jobId: string): readonly Evaluation[] {
    return this.memoised("v", nsKey(namespace, jobId), this.tables.evalsByJob, NO_EVALS);
  }

  deploymentByID(id: string): Deployment | undefined {
    return this.tables.deployments.get(id);
  }

  deployments(): Iterable<Deployment> {
    return this.tables.deployments.values();
  }

  deploymentsByJob(namespace: string, jobId: string): Iterable<Deployment> {
    return this.tables.deploymentsByJob.get(nsKey(namespace, jobId))?.values() ?? [];
  }

  latestDeploymentByJob(namespace: string, jobId: string): Deployment | undefined {
    let latest: Deployment | undefined;
    for (const d of this.deploymentsByJob(namespace, jobId)) {
      if (latest === undefined || d.CreateIndex > latest.CreateIndex) latest = d;
    }
    return latest;
  }

  variable(namespace: string, path: string): Variable | undefined {
    return this.tables.variables.get(nsKey(namespace, path));
  }

  variablesByPrefix(namespace: string, prefix: string): Iterable<Variable> {
    // Variables are few (configuration, not data): a filtered sort per query is cheaper than
    // keeping a persistent ordered index in step with every write.
    const out: Variable[] = [];
    this.tables.variables.forEach((v) => {
      if (v.Namespace === namespace && v.Path.startsWith(prefix)) out.push(v);
    });
    return out.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
  }

  schedulerConfig(): SchedulerConfiguration {
    return this.tables.schedulerConfig;
  }

  namespaceByName(name: string): Namespace | undefined {
    return (
      this.tables.namespaces.get(name) ??
      (name === DEFAULT_NAMESPACE ? IMPLICIT_DEFAULT_NAMESPACE : undefined)
    );
  }

  namespaces(): readonly Namespace[] {
    // Namespaces are few: sorting per query beats keeping an ordered index in step.
    const out = this.tables.namespaces.toArray();
    if (!this.tables.namespaces.has(DEFAULT_NAMESPACE)) out.push(IMPLICIT_DEFAULT_NAMESPACE);
    return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  aclPolicy(name: string): AclPolicy | undefined {
    return this.tables.aclPolicies.get(name);
  }

  aclPolicies(): readonly AclPolicy[] {
    return this.tables.aclPolicies.toArray().sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  }

  aclToken(accessorId: string): AclToken | undefined {
    return this.tables.aclTokens.get(accessorId);
  }

  aclTokenBySecretHash(secretHash: string): AclToken | undefined {
    const accessor = this.tables.aclTokensBySecret.get(secretHash);
    return accessor === undefined ? undefined : this.tables.aclTokens.get(accessor);
  }

  aclTokens(): readonly AclToken[] {
    return this.tables.aclTokens
      .toArray()
      .sort((a, b) => (a.AccessorID < b.AccessorID ? -1 : a.AccessorID > b.AccessorID ? 1 : 0));
  }

  aclBootstrap(): AclBootstrapRecord | undefined {
    return this.tables.aclBootstrap.get(ACL_BOOTSTRAP_KEY);
  }

  tableIndex(table: string): number {
    if (!isTableName(table)) return 0;
    return this.tables.tableIndexes[table];
  }

  private memoised<T>(kind: string, key: string, index: PMap<PMap<T>>, empty: readonly T[]): readonly T[] {
    const memoKey = `${kind}${key}`;
    const hit = this.memo.get(memoKey);
    if (hit !== undefined) return hit as readonly T[];
    const inner = index.get(key);
    const list = inner === undefined ? empty : inner.toArray();
    this.memo.set(memoKey, list);
    return list;
  }
}
