import type { AclBootstrapRecord, AclPolicy, AclToken } from "../fsm/acl.js";
import type { NodeUsageSummary } from "../fsm/node-usage-summary.js";
import type { StateReader } from "../fsm/state-reader.js";
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
} from "../fsm/structs.js";

/**
 * A dry run's view of the state (Nomad's Job.Plan upserts the job into a throwaway copy of its
 * snapshot): one job answered from a proposed version, everything else from the snapshot. The
 * snapshot is never written; dropping the overlay drops the proposal.
 */
export class JobOverlayReader implements StateReader {
  constructor(
    private readonly base: StateReader,
    /** The job as it would be stored (see nextJobVersion in src/fsm/job-version.ts). */
    readonly job: Job,
  ) {}

  get index(): number {
    return this.base.index;
  }

  private isJob(namespace: string, id: string): boolean {
    return namespace === this.job.Namespace && id === this.job.ID;
  }

  jobByID(namespace: string, id: string): Job | undefined {
    return this.isJob(namespace, id) ? this.job : this.base.jobByID(namespace, id);
  }

  jobByVersion(namespace: string, id: string, version: number): Job | undefined {
    if (this.isJob(namespace, id) && version === this.job.Version) return this.job;
    return this.base.jobByVersion(namespace, id, version);
  }

  jobVersions(namespace: string, id: string): readonly Job[] {
    const stored = this.base.jobVersions(namespace, id);
    if (!this.isJob(namespace, id)) return stored;
    return [this.job, ...stored.filter((v) => v.Version !== this.job.Version)];
  }

  *jobs(): Iterable<Job> {
    let seen = false;
    for (const job of this.base.jobs()) {
      if (this.isJob(job.Namespace, job.ID)) {
        seen = true;
        yield this.job;
      } else yield job;
    }
    if (!seen) yield this.job;
  }

  *jobsByType(type: Job["Type"]): Iterable<Job> {
    for (const job of this.jobs()) if (job.Type === type) yield job;
  }

  jobsByParent(namespace: string, parentId: string): Iterable<Job> {
    return this.base.jobsByParent(namespace, parentId);
  }

  jobSummary(namespace: string, id: string): JobSummary | undefined {
    return this.base.jobSummary(namespace, id);
  }

  nodeByID(id: string): Node | undefined {
    return this.base.nodeByID(id);
  }

  nodes(): Iterable<Node> {
    return this.base.nodes();
  }

  nodesByClass(computedClass: string): Iterable<Node> {
    return this.base.nodesByClass(computedClass);
  }

  nodeCount(): number {
    return this.base.nodeCount();
  }

  allocByID(id: string): Allocation | undefined {
    return this.base.allocByID(id);
  }

  allocs(): Iterable<Allocation> {
    return this.base.allocs();
  }

  allocsByNode(nodeId: string): readonly Allocation[] {
    return this.base.allocsByNode(nodeId);
  }

  allocsByJob(namespace: string, jobId: string): readonly Allocation[] {
    return this.base.allocsByJob(namespace, jobId);
  }

  allocsByEval(evalId: string): readonly Allocation[] {
    return this.base.allocsByEval(evalId);
  }

  allocCount(): number {
    return this.base.allocCount();
  }

  nodeUsage(nodeId: string): NodeUsageSummary {
    return this.base.nodeUsage(nodeId);
  }

  evalByID(id: string): Evaluation | undefined {
    return this.base.evalByID(id);
  }

  evals(): Iterable<Evaluation> {
    return this.base.evals();
  }

  evalsByJob(namespace: string, jobId: string): readonly Evaluation[] {
    return this.base.evalsByJob(namespace, jobId);
  }

  deploymentByID(id: string): Deployment | undefined {
    return this.base.deploymentByID(id);
  }

  deployments(): Iterable<Deployment> {
    return this.base.deployments();
  }

  deploymentsByJob(namespace: string, jobId: string): Iterable<Deployment> {
    return this.base.deploymentsByJob(namespace, jobId);
  }

  latestDeploymentByJob(namespace: string, jobId: string): Deployment | undefined {
    return this.base.latestDeploymentByJob(namespace, jobId);
  }

  variable(namespace: string, path: string): Variable | undefined {
    return this.base.variable(namespace, path);
  }

  variablesByPrefix(namespace: string, prefix: string): Iterable<Variable> {
    return this.base.variablesByPrefix(namespace, prefix);
  }

  namespaceByName(name: string): Namespace | undefined {
    return this.base.namespaceByName(name);
  }

  namespaces(): readonly Namespace[] {
    return this.base.namespaces();
  }

  aclPolicy(name: string): AclPolicy | undefined {
    return this.base.aclPolicy(name);
  }

  aclPolicies(): readonly AclPolicy[] {
    return this.base.aclPolicies();
  }

  aclToken(accessorId: string): AclToken | undefined {
    return this.base.aclToken(accessorId);
  }

  aclTokenBySecretHash(secretHash: string): AclToken | undefined {
    return this.base.aclTokenBySecretHash(secretHash);
  }

  aclTokens(): readonly AclToken[] {
    return this.base.aclTokens();
  }

  aclBootstrap(): AclBootstrapRecord | undefined {
    return this.base.aclBootstrap();
  }

  schedulerConfig(): SchedulerConfiguration {
    return this.base.schedulerConfig();
  }

  tableIndex(table: string): number {
    return this.base.tableIndex(table);
  }
}
