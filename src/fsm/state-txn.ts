import { assert } from "../common/assert.js";
import { ACL_BOOTSTRAP_KEY, type AclBootstrapRecord, type AclPolicy, type AclToken } from "./acl.js";
import { holdsResources } from "./alloc-usage.js";
import { BuiltInnerMaps, CounterDraft, IndexDraft } from "./index-draft.js";
import type { NodeAllocsEdit } from "./node-allocs-store.js";
import type { NodeUsageEdit } from "./node-usage-store.js";
import { hashString, type Owner, type PMap } from "./persistent-map.js";
import {
  type Allocation,
  allocTerminal,
  type Deployment,
  type Evaluation,
  isTerminalEvalStatus,
  type Job,
  type JobSummary,
  type JobTaskGroupSummary,
  type Namespace,
  type Node,
  type SchedulerConfiguration,
  type Variable,
} from "./structs.js";
import { nsKey, SCHEDULER_CONFIG_KEY, type TableName, type Tables } from "./tables.js";

/** A changed record of one transaction: the new value, or null for a deletion. */
export type ChangeSet = Map<TableName, Map<string, unknown>>;

/**
 * A write transaction over one `Tables` version: the only code that changes tables. It keeps the
 * secondary indexes and per-job counters in step with the primary tables, records every changed
 * record (for LevelDB) and every touched watch key, and publishes a new immutable `Tables` on
 * `commit()`. Nothing is visible to readers before that, and a transaction that throws is
 * aborted (`abort()`), which is how a rejected command leaves the state untouched.
 *
 * All writes of one transaction share one HAMT edit owner (see persistent-map.ts), so a batch of
 * N writes copies each trie path once; the owner dies with the transaction.
 */
export class StateTxn {
  private readonly owner: Owner = {};
  private readonly summaryDrafts = new Map<string, JobSummary>();
  readonly changes: ChangeSet = new Map();
  /**
   * Index watch keys touched (`allocs:job:<jobKey>`). The table keys and the `<table>:<key>` key
   * of every changed record are implied by `changes`, and `allocs:node:<id>` keys by
   * `touchedAllocNodes` (watch-registry.ts builds the strings only when someone waits on them).
   */
  readonly touched = new Set<string>();
  /** Nodes whose allocations changed: their `allocs:node:<id>` watch keys are touched. */
  readonly touchedAllocNodes = new Set<string>();
  /** Jobs (nsKey) whose status may need recomputing at the end of the command. */
  readonly touchedJobs = new Set<string>();
  /**
   * Allocations this entry created from the plan it carries, as first stored (see
   * placed-alloc.ts): LevelDB keeps the entry's bytes instead of re-encoding each of them.
   */
  readonly placedFromEntry = new Map<string, Allocation>();
  /**
   * How many placements the entry's plan listed (apply-plan.ts counts them as it places them):
   * when every one created an allocation, LevelDB stores their number instead of their IDs.
   */
  placementsListed = 0;
  /** Allocations deleted by this entry, with their last value (LevelDB needs their CreateIndex). */
  readonly deletedAllocs = new Map<string, Allocation>();
  /**
   * Allocations this entry rewrote, as they were before its first write of them (none for one
   * that did not exist then): LevelDB stores a rewrite that changed only client-owned fields as
   * an overlay on that value (alloc-client-overlay.ts).
   */
  readonly allocsBefore = new Map<string, Allocation>();
  // putAlloc's caches for runs of allocations of one job (see allocJobKey).
  private lastJobId = "";
  private lastJobNamespace = "";
  private lastJobKey = nsKey("", "");
  private lastTouchedJobKey: string | undefined;
  // The last alloc(id) lookup: a placement or an update looks its allocation up and then writes
  // it, and putAlloc takes the id's hash and the old value from here instead of hashing the id
  // and walking the million-entry trie again. Invariant: when lookedUpId is set, lookedUp is what
  // `allocs` holds under it (every write of `allocs` clears it).
  private lookedUpId: string | undefined;
  private lookedUpHash = 0;
  private lookedUp: Allocation | undefined;

  private jobs: PMap<Job>;
  private jobVersions: PMap<readonly Job[]>;
  private jobSummaries: PMap<JobSummary>;
  private readonly jobsByType: IndexDraft<Job>;
  private readonly jobsByParent: IndexDraft<Job>;
  private nodes: PMap<Node>;
  private readonly nodesByClass: IndexDraft<Node>;
  private allocs: PMap<Allocation>;
  /** Started by the first write of an allocation (node-allocs-store.ts, like usageEdit). */
  private byNodeEdit: NodeAllocsEdit | undefined;
  private readonly allocsByJob: IndexDraft<Allocation>;
  private readonly allocsByEval: IndexDraft<Allocation>;
  private readonly liveAllocsByJob: CounterDraft;
  /** Started by the first usage change (node-usage-store.ts: it claims the store's next write). */
  private usageEdit: NodeUsageEdit | undefined;
  private evals: PMap<Evaluation>;
  private readonly evalsByJob: IndexDraft<Evaluation>;
  private readonly liveEvalsByJob: CounterDraft;
  private deployments: PMap<Deployment>;
  private readonly deploymentsByJob: IndexDraft<Deployment>;
  private variables: PMap<Variable>;
  private schedulerConfigValue: SchedulerConfiguration;
  private namespaces: PMap<Namespace>;
  private aclPolicies: PMap<AclPolicy>;
  private aclTokens: PMap<AclToken>;
  private aclTokensBySecret: PMap<string>;
  private aclBootstrap: PMap<AclBootstrapRecord>;
  /** The committed version's raftOffset (tables.ts): the base's, unless the writer sets it. */
  raftOffset: number;

  constructor(
    private readonly base: Tables,
    /** The state index every write of this transaction carries. */
    readonly index: number,
    /** False when bulk-loading (restore, startup): nothing to persist or wake, so keep no log. */
    private readonly tracking = true,
    /** The command's objects were decoded for this transaction alone and may be reused in place. */
    readonly ownsCommand = false,
  ) {
    assert(index >= base.index, () => `txn index ${index} below state index ${base.index}`);
    this.raftOffset = base.raftOffset;
    this.jobs = base.jobs;
    this.jobVersions = base.jobVersions;
    this.jobSummaries = base.jobSummaries;
    this.jobsByType = new IndexDraft(base.jobsByType, this.owner);
    this.jobsByParent = new IndexDraft(base.jobsByParent, this.owner);
    this.nodes = base.nodes;
    this.nodesByClass = new IndexDraft(base.nodesByClass, this.owner);
    this.allocs = base.allocs;
    this.allocsByJob = new IndexDraft(base.allocsByJob, this.owner);
    this.allocsByEval = new IndexDraft(base.allocsByEval, this.owner);
    this.liveAllocsByJob = new CounterDraft(base.liveAllocsByJob, this.owner);
    this.evals = base.evals;
    this.evalsByJob = new IndexDraft(base.evalsByJob, this.owner);
    this.liveEvalsByJob = new CounterDraft(base.liveEvalsByJob, this.owner);
    this.deployments = base.deployments;
    this.deploymentsByJob = new IndexDraft(base.deploymentsByJob, this.owner);
    this.variables = base.variables;
    this.schedulerConfigValue = base.schedulerConfig;
    this.namespaces = base.namespaces;
    this.aclPolicies = base.aclPolicies;
    this.aclTokens = base.aclTokens;
    this.aclTokensBySecret = base.aclTokensBySecret;
    this.aclBootstrap = base.aclBootstrap;
  }

  // ───────────── reads (see this transaction's own writes) ─────────────

  job(namespace: string, id: string): Job | undefined {
    return this.jobs.get(nsKey(namespace, id));
  }
  jobVersionList(namespace: string, id: string): readonly Job[] {
    return this.jobVersions.get(nsKey(namespace, id)) ?? [];
  }
  summary(namespace: string, id: string): JobSummary | undefined {
    const key = nsKey(namespace, id);
    return this.summaryDrafts.get(key) ?? this.jobSummaries.get(key);
  }
  jobsWithParent(namespace: string, parentId: string): Job[] {
    return this.jobsByParent.get(nsKey(namespace, parentId))?.toArray() ?? [];
  }
  node(id: string): Node | undefined {
    return this.nodes.get(id);
  }
  alloc(id: string): Allocation | undefined {
    const hash = hashString(id);
    const found = this.allocs.getHashed(id, hash);
    this.lookedUpId = id;
    this.lookedUpHash = hash;
    this.lookedUp = found;
    return found;
  }
  allocsOfJob(namespace: string, jobId: string): Allocation[] {
    return this.allocsByJob.get(nsKey(namespace, jobId))?.toArray() ?? [];
  }
  hasAllocsOfJob(namespace: string, jobId: string): boolean {
    return this.allocsByJob.has(nsKey(namespace, jobId));
  }
  liveAllocCount(namespace: string, jobId: string): number {
    return this.liveAllocsByJob.get(nsKey(namespace, jobId));
  }
  evaluation(id: string): Evaluation | undefined {
    return this.evals.get(id);
  }
  evalsOfJob(namespace: string, jobId: string): Evaluation[] {
    return this.evalsByJob.get(nsKey(namespace, jobId))?.toArray() ?? [];
  }
  hasEvalsOfJob(namespace: string, jobId: string): boolean {
    return this.evalsByJob.has(nsKey(namespace, jobId));
  }
  liveEvalCount(namespace: string, jobId: string): number {
    return this.liveEvalsByJob.get(nsKey(namespace, jobId));
  }
  deployment(id: string): Deployment | undefined {
    return this.deployments.get(id);
  }
  deploymentsOfJob(namespace: string, jobId: string): Deployment[] {
    return this.deploymentsByJob.get(nsKey(namespace, jobId))?.toArray() ?? [];
  }
  variable(namespace: string, path: string): Variable | undefined {
    return this.variables.get(nsKey(namespace, path));
  }
  schedulerConfig(): SchedulerConfiguration {
    return this.schedulerConfigValue;
  }
  /** The stored namespace (the implicit `default` is not stored: see namespace.ts). */
  storedNamespace(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }
  /** A job of the namespace for which `test` holds, if any (a scan: namespace deletes are rare). */
  findJobInNamespace(namespace: string, test: (job: Job) => boolean): Job | undefined {
    for (const job of this.jobs.values()) if (job.Namespace === namespace && test(job)) return job;
    return undefined;
  }
  /** A variable of the namespace, if any (a scan, as above). */
  findVariableInNamespace(namespace: string): Variable | undefined {
    for (const variable of this.variables.values()) if (variable.Namespace === namespace) return variable;
    return undefined;
  }

  aclPolicy(name: string): AclPolicy | undefined {
    return this.aclPolicies.get(name);
  }
  aclToken(accessorId: string): AclToken | undefined {
    return this.aclTokens.get(accessorId);
  }
  /** The AccessorID of the token whose secret hashes to `secretHash`, if any. */
  aclTokenAccessorBySecret(secretHash: string): string | undefined {
    return this.aclTokensBySecret.get(secretHash);
  }
  aclBootstrapRecord(): AclBootstrapRecord | undefined {
    return this.aclBootstrap.get(ACL_BOOTSTRAP_KEY);
  }

  // ───────────── writes ─────────────

  putJob(job: Job): void {
    const key = nsKey(job.Namespace, job.ID);
    const old = this.jobs.get(key);
    if (old !== undefined) this.unindexJob(key, old);
    this.jobs = this.jobs.set(key, job, this.owner);
    this.jobsByType.set(job.Type, key, job);
    if (job.ParentID !== "") this.jobsByParent.set(nsKey(job.Namespace, job.ParentID), key, job);
    this.record("jobs", key, job);
  }

  deleteJob(namespace: string, id: string): void {
    const key = nsKey(namespace, id);
    const old = this.jobs.get(key);
    if (old === undefined) return;
    this.unindexJob(key, old);
    this.jobs = this.jobs.delete(key, this.owner);
    this.record("jobs", key, null);
    if (this.jobVersions.has(key)) {
      this.jobVersions = this.jobVersions.delete(key, this.owner);
      this.record("job_versions", key, null);
    }
    if (this.jobSummaries.has(key)) {
      this.jobSummaries = this.jobSummaries.delete(key, this.owner);
      this.record("job_summary", key, null);
    }
  }

  private unindexJob(key: string, old: Job): void {
    this.jobsByType.delete(old.Type, key);
    if (old.ParentID !== "") this.jobsByParent.delete(nsKey(old.Namespace, old.ParentID), key);
  }

  putJobVersions(namespace: string, id: string, versions: readonly Job[]): void {
    const key = nsKey(namespace, id);
    this.jobVersions = this.jobVersions.set(key, versions, this.owner);
    this.record("job_versions", key, versions);
  }

  /**
   * A mutable copy of a job's summary owned by this transaction (created on first use, stored
   * on commit), for the per-alloc counter updates of big plans. Undefined when the job has none.
   */
  summaryDraft(namespace: string, id: string): JobSummary | undefined {
    const key = nsKey(namespace, id);
    const draft = this.summaryDrafts.get(key);
    if (draft !== undefined) return draft;
    const stored = this.jobSummaries.get(key);
    if (stored === undefined) return undefined;
    const summary: Record<string, JobTaskGroupSummary> = {};
    for (const [name, group] of Object.entries(stored.Summary)) summary[name] = { ...group };
    const copy: JobSummary = { ...stored, Summary: summary, ModifyIndex: this.index };
    this.summaryDrafts.set(key, copy);
    return copy;
  }

  private flushSummaryDrafts(): void {
    const drafts = [...this.summaryDrafts.values()];
    this.summaryDrafts.clear();
    for (const draft of drafts) this.putSummary(draft);
  }

  putSummary(summary: JobSummary): void {
    const key = nsKey(summary.Namespace, summary.JobID);
    // A direct write supersedes the draft: it was built from summary(), which returns the draft.
    this.summaryDrafts.delete(key);
    this.jobSummaries = this.jobSummaries.set(key, summary, this.owner);
    this.record("job_summary", key, summary);
  }

  putNode(node: Node): void {
    const old = this.nodes.get(node.ID);
    if (old !== undefined) this.nodesByClass.delete(old.ComputedClass, node.ID);
    this.nodes = this.nodes.set(node.ID, node, this.owner);
    this.nodesByClass.set(node.ComputedClass, node.ID, node);
    this.record("nodes", node.ID, node);
  }

  deleteNode(id: string): void {
    const old = this.nodes.get(id);
    if (old === undefined) return;
    this.nodesByClass.delete(old.ComputedClass, id);
    this.nodes = this.nodes.delete(id, this.owner);
    this.record("nodes", id, null);
  }

  /** `fromEntry`: a new allocation placed by the entry's plan, stored exactly as placedAlloc() makes it. */
  putAlloc(alloc: Allocation, fromEntry = false): void {
    if (fromEntry && this.tracking) this.placedFromEntry.set(alloc.ID, alloc);
    // The id is hashed once for the primary table and the three indexes (FNV over 36 chars, four
    // times per alloc, was a visible share of a plan's apply).
    const known = alloc.ID === this.lookedUpId;
    const hash = known ? this.lookedUpHash : hashString(alloc.ID);
    const old = known ? this.lookedUp : this.allocs.getHashed(alloc.ID, hash);
    this.forgetLookup();
    if (old !== undefined && this.tracking && !this.allocsBefore.has(alloc.ID))
      this.allocsBefore.set(alloc.ID, old);
    const holds = holdsResources(alloc);
    // Most rewrites of an allocation (client status updates) leave what it holds as it was.
    const usageChanges = old === undefined ? holds : !holdsTheSame(old, alloc, holds);
    if (old !== undefined) {
      // An update that keeps the alloc under the same node, job and eval (a client's status
      // report, the commonest write) replaces it in place in each index below: deleting it first
      // and adding it back cost as much again.
      if (sameIndexKeys(old, alloc)) this.unindexInPlace(old, usageChanges);
      else this.unindexAlloc(old, hash, usageChanges);
    }
    this.allocs = this.allocs.setHashed(alloc.ID, hash, alloc, this.owner);
    const jobKey = this.allocJobKey(alloc.Namespace, alloc.JobID);
    if (usageChanges && holds) this.usage().add(alloc, jobKey);
    // A new allocation is in no index yet (they hold exactly the allocs table): a new inner map
    // may gather it for a bulk build (index-draft.ts).
    const absent = old === undefined;
    this.byNode().put(alloc, hash, absent);
    this.allocsByJob.setHashed(jobKey, alloc.ID, hash, alloc, absent);
    this.allocsByEval.setHashed(alloc.EvalID, alloc.ID, hash, alloc, absent);
    if (!allocTerminal(alloc)) this.liveAllocsByJob.add(jobKey, 1);
    this.record("allocs", alloc.ID, alloc);
    if (!this.tracking) return;
    this.touchedAllocNodes.add(alloc.NodeID);
    // Sets ignore repeats, so adding the job's keys once per run of allocs of one job is enough.
    if (jobKey !== this.lastTouchedJobKey) {
      this.touched.add(`allocs:job:${jobKey}`);
      this.touchedJobs.add(jobKey);
      this.lastTouchedJobKey = jobKey;
    }
  }

  private forgetLookup(): void {
    this.lookedUpId = undefined;
    this.lookedUp = undefined;
  }

  /** nsKey(namespace, jobId), the same string object for a run of allocs of one job. */
  private allocJobKey(namespace: string, jobId: string): string {
    if (jobId !== this.lastJobId || namespace !== this.lastJobNamespace) {
      this.lastJobId = jobId;
      this.lastJobNamespace = namespace;
      this.lastJobKey = nsKey(namespace, jobId);
    }
    return this.lastJobKey;
  }

  deleteAlloc(id: string): void {
    this.forgetLookup();
    const hash = hashString(id);
    const old = this.allocs.getHashed(id, hash);
    if (old === undefined) return;
    this.unindexAlloc(old, hash);
    this.allocs = this.allocs.delete(id, this.owner);
    if (this.tracking) this.deletedAllocs.set(id, old);
    this.record("allocs", id, null);
    this.touchedAllocNodes.add(old.NodeID);
    this.touched.add(`allocs:job:${nsKey(old.Namespace, old.JobID)}`);
  }

  /**
   * unindexAlloc for an alloc about to be replaced under the same index keys: only the counts and
   * (`releaseUsage`) its node's usage summary change.
   */
  private unindexInPlace(old: Allocation, releaseUsage: boolean): void {
    const jobKey = this.allocJobKey(old.Namespace, old.JobID);
    if (releaseUsage && holdsResources(old)) this.usage().remove(old, jobKey);
    if (!allocTerminal(old)) this.liveAllocsByJob.add(jobKey, -1);
    if (old.NodeID !== "") this.touchedAllocNodes.add(old.NodeID);
  }

  /**
   * `hash`: the allocs table's hash of its ID. `releaseUsage`: take the allocation out of its
   * node's usage summary (if it is counted there).
   */
  private unindexAlloc(old: Allocation, hash: number, releaseUsage = true): void {
    const jobKey = nsKey(old.Namespace, old.JobID);
    if (releaseUsage && holdsResources(old)) this.usage().remove(old, jobKey);
    this.byNode().remove(old.NodeID, old.ID, hash);
    this.allocsByJob.delete(jobKey, old.ID);
    this.allocsByEval.delete(old.EvalID, old.ID);
    if (!allocTerminal(old)) this.liveAllocsByJob.add(jobKey, -1);
    if (old.NodeID !== "") this.touchedAllocNodes.add(old.NodeID);
  }

  putEval(evaluation: Evaluation): void {
    const old = this.evals.get(evaluation.ID);
    if (old !== undefined) this.unindexEval(old);
    const jobKey = nsKey(evaluation.Namespace, evaluation.JobID);
    this.evals = this.evals.set(evaluation.ID, evaluation, this.owner);
    this.evalsByJob.set(jobKey, evaluation.ID, evaluation);
    if (!isTerminalEvalStatus(evaluation.Status)) this.liveEvalsByJob.add(jobKey, 1);
    this.record("evals", evaluation.ID, evaluation);
    this.touchedJobs.add(jobKey);
  }

  deleteEval(id: string): void {
    const old = this.evals.get(id);
    if (old === undefined) return;
    this.unindexEval(old);
    this.evals = this.evals.delete(id, this.owner);
    this.record("evals", id, null);
  }

  private unindexEval(old: Evaluation): void {
    const jobKey = nsKey(old.Namespace, old.JobID);
    this.evalsByJob.delete(jobKey, old.ID);
    if (!isTerminalEvalStatus(old.Status)) this.liveEvalsByJob.add(jobKey, -1);
  }

  putDeployment(deployment: Deployment): void {
    const jobKey = nsKey(deployment.Namespace, deployment.JobID);
    const old = this.deployments.get(deployment.ID);
    if (old !== undefined) {
      this.deploymentsByJob.delete(nsKey(old.Namespace, old.JobID), old.ID);
    }
    this.deployments = this.deployments.set(deployment.ID, deployment, this.owner);
    this.deploymentsByJob.set(jobKey, deployment.ID, deployment);
    this.record("deployments", deployment.ID, deployment);
  }

  deleteDeployment(id: string): void {
    const old = this.deployments.get(id);
    if (old === undefined) return;
    this.deploymentsByJob.delete(nsKey(old.Namespace, old.JobID), id);
    this.deployments = this.deployments.delete(id, this.owner);
    this.record("deployments", id, null);
  }

  putVariable(variable: Variable): void {
    const key = nsKey(variable.Namespace, variable.Path);
    this.variables = this.variables.set(key, variable, this.owner);
    this.record("variables", key, variable);
  }

  deleteVariable(namespace: string, path: string): void {
    const key = nsKey(namespace, path);
    if (!this.variables.has(key)) return;
    this.variables = this.variables.delete(key, this.owner);
    this.record("variables", key, null);
  }

  putNamespace(namespace: Namespace): void {
    this.namespaces = this.namespaces.set(namespace.Name, namespace, this.owner);
    this.record("namespaces", namespace.Name, namespace);
  }

  deleteNamespace(name: string): void {
    if (!this.namespaces.has(name)) return;
    this.namespaces = this.namespaces.delete(name, this.owner);
    this.record("namespaces", name, null);
  }

  putAclPolicy(policy: AclPolicy): void {
    this.aclPolicies = this.aclPolicies.set(policy.Name, policy, this.owner);
    this.record("acl_policies", policy.Name, policy);
  }

  deleteAclPolicy(name: string): void {
    if (!this.aclPolicies.has(name)) return;
    this.aclPolicies = this.aclPolicies.delete(name, this.owner);
    this.record("acl_policies", name, null);
  }

  putAclToken(token: AclToken): void {
    const old = this.aclTokens.get(token.AccessorID);
    if (old !== undefined && old.SecretHash !== token.SecretHash)
      this.aclTokensBySecret = this.aclTokensBySecret.delete(old.SecretHash, this.owner);
    this.aclTokens = this.aclTokens.set(token.AccessorID, token, this.owner);
    this.aclTokensBySecret = this.aclTokensBySecret.set(token.SecretHash, token.AccessorID, this.owner);
    this.record("acl_tokens", token.AccessorID, token);
  }

  deleteAclToken(accessorId: string): void {
    const old = this.aclTokens.get(accessorId);
    if (old === undefined) return;
    this.aclTokens = this.aclTokens.delete(accessorId, this.owner);
    this.aclTokensBySecret = this.aclTokensBySecret.delete(old.SecretHash, this.owner);
    this.record("acl_tokens", accessorId, null);
  }

  putAclBootstrap(record: AclBootstrapRecord): void {
    this.aclBootstrap = this.aclBootstrap.set(ACL_BOOTSTRAP_KEY, record, this.owner);
    this.record("acl_bootstrap", ACL_BOOTSTRAP_KEY, record);
  }

  putSchedulerConfig(config: SchedulerConfiguration): void {
    this.schedulerConfigValue = config;
    this.record("scheduler_config", SCHEDULER_CONFIG_KEY, config);
  }

  /**
   * Deletes every record of every table (a snapshot restore writes the new records next; one
   * written again under the same key ends up as a put, not a delete).
   */
  deleteEverything(): void {
    for (const key of [...this.jobs.keys()]) {
      const job = this.jobs.get(key) as Job;
      this.deleteJob(job.Namespace, job.ID);
    }
    for (const key of [...this.jobVersions.keys()]) {
      this.jobVersions = this.jobVersions.delete(key, this.owner);
      this.record("job_versions", key, null);
    }
    for (const key of [...this.jobSummaries.keys()]) {
      this.jobSummaries = this.jobSummaries.delete(key, this.owner);
      this.record("job_summary", key, null);
    }
    this.summaryDrafts.clear();
    for (const id of [...this.nodes.keys()]) this.deleteNode(id);
    for (const id of [...this.allocs.keys()]) this.deleteAlloc(id);
    for (const id of [...this.evals.keys()]) this.deleteEval(id);
    for (const id of [...this.deployments.keys()]) this.deleteDeployment(id);
    for (const key of [...this.variables.keys()]) {
      this.variables = this.variables.delete(key, this.owner);
      this.record("variables", key, null);
    }
    for (const name of [...this.namespaces.keys()]) this.deleteNamespace(name);
    for (const name of [...this.aclPolicies.keys()]) this.deleteAclPolicy(name);
    for (const id of [...this.aclTokens.keys()]) this.deleteAclToken(id);
    if (this.aclBootstrap.has(ACL_BOOTSTRAP_KEY)) {
      this.aclBootstrap = this.aclBootstrap.delete(ACL_BOOTSTRAP_KEY, this.owner);
      this.record("acl_bootstrap", ACL_BOOTSTRAP_KEY, null);
    }
  }

  /**
   * Publishes the new immutable version. The transaction must not be used afterwards. A bulk
   * load passes the table indexes it read; otherwise every changed table moves to this index.
   */
  commit(loadedTableIndexes?: Readonly<Record<TableName, number>>): Tables {
    this.flushSummaryDrafts();
    const tableIndexes = { ...(loadedTableIndexes ?? this.base.tableIndexes) };
    const newAllocMaps = new BuiltInnerMaps<Allocation>();
    const allocsByJob = this.allocsByJob.finish(newAllocMaps);
    const allocsByEval = this.allocsByEval.finish(newAllocMaps);
    for (const table of this.changes.keys()) tableIndexes[table] = this.index;
    const tables: Tables = {
      index: this.index,
      raftOffset: this.raftOffset,
      tableIndexes,
      jobs: this.jobs,
      jobVersions: this.jobVersions,
      jobSummaries: this.jobSummaries,
      jobsByType: this.jobsByType.finish(),
      jobsByParent: this.jobsByParent.finish(),
      nodes: this.nodes,
      nodesByClass: this.nodesByClass.finish(),
      allocs: this.allocs,
      allocsByNode: this.base.allocsByNode,
      allocsByJob,
      allocsByEval,
      liveAllocsByJob: this.liveAllocsByJob.finish(),
      nodeUsage: this.base.nodeUsage,
      evals: this.evals,
      evalsByJob: this.evalsByJob.finish(),
      liveEvalsByJob: this.liveEvalsByJob.finish(),
      deployments: this.deployments,
      deploymentsByJob: this.deploymentsByJob.finish(),
      variables: this.variables,
      schedulerConfig: this.schedulerConfigValue,
      namespaces: this.namespaces,
      aclPolicies: this.aclPolicies,
      aclTokens: this.aclTokens,
      aclTokensBySecret: this.aclTokensBySecret,
      aclBootstrap: this.aclBootstrap,
    };
    // Last: once committed, the in-place writes cannot be taken back (a throw above leaves them
    // pending, and their store's next edit aborts them).
    if (this.usageEdit === undefined && this.byNodeEdit === undefined) return tables;
    return {
      ...tables,
      nodeUsage: this.usageEdit?.commit() ?? tables.nodeUsage,
      allocsByNode: this.byNodeEdit?.commit() ?? tables.allocsByNode,
    };
  }

  /**
   * Drops the transaction: the usage summaries and the allocations by node, the indexes changed
   * in place before commit, take its changes back. Every other draft is simply forgotten.
   */
  abort(): void {
    this.usageEdit?.abort();
    this.byNodeEdit?.abort();
  }

  // ───────────── helpers ─────────────

  private usage(): NodeUsageEdit {
    this.usageEdit ??= this.base.nodeUsage.edit(this.base.allocs);
    return this.usageEdit;
  }

  private byNode(): NodeAllocsEdit {
    this.byNodeEdit ??= this.base.allocsByNode.edit(this.base.allocs);
    return this.byNodeEdit;
  }

  private record(table: TableName, key: string, value: unknown): void {
    if (!this.tracking) return;
    let changed = this.changes.get(table);
    if (changed === undefined) {
      changed = new Map();
      this.changes.set(table, changed);
    }
    changed.set(key, value);
  }
}

/** True when both allocs sit under the same keys of the node, job and eval indexes. */
function sameIndexKeys(a: Allocation, b: Allocation): boolean {
  return a.NodeID === b.NodeID && a.JobID === b.JobID && a.Namespace === b.Namespace && a.EvalID === b.EvalID;
}

/**
 * True when `next` holds on its node exactly what `old` held (`nextHolds` = holdsResources(next)):
 * both hold nothing, or both hold the same resources object on the same node for the same group.
 * Stored allocations share their frozen AllocatedResources across rewrites (alloc-compactor.ts).
 */
function holdsTheSame(old: Allocation, next: Allocation, nextHolds: boolean): boolean {
  if (holdsResources(old) !== nextHolds) return false;
  if (!nextHolds) return true;
  return (
    old.AllocatedResources === next.AllocatedResources &&
    old.NodeID === next.NodeID &&
    old.TaskGroup === next.TaskGroup &&
    old.JobID === next.JobID &&
    old.Namespace === next.Namespace
  );
}
