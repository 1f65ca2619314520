import type { StateReader } from "../fsm/state-reader.js";
import type {
  Allocation,
  Deployment,
  Evaluation,
  Job,
  JobSummary,
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
    /** The job as it would be stored (see proposedJobVersion). */
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

  latestDeploymentByJob(namespace: string, jobId: string): Deployment | undefined {
    return this.base.latestDeploymentByJob(namespace, jobId);
  }

  variable(namespace: string, path: string): Variable | undefined {
    return this.base.variable(namespace, path);
  }

  variablesByPrefix(namespace: string, prefix: string): Iterable<Variable> {
    return this.base.variablesByPrefix(namespace, prefix);
  }

  schedulerConfig(): SchedulerConfiguration {
    return this.base.schedulerConfig();
  }

  tableIndex(table: string): number {
    return this.base.tableIndex(table);
  }
}

/**
 * Fields the state store manages rather than the submitter; a job that differs from the stored
 * one only in these is the same version (mirrors the store's rule in src/fsm/apply-job.ts).
 */
const VOLATILE: ReadonlySet<string> = new Set([
  "Version",
  "Stable",
  "Status",
  "StatusDescription",
  "SubmitTime",
  "CreateIndex",
  "ModifyIndex",
  "JobModifyIndex",
]);

/** Whether two jobs differ only in fields the store manages (Nomad's Job.SpecChanged, negated). */
export function sameJobSpec(a: Job, b: Job): boolean {
  const spec = (job: Job): string =>
    JSON.stringify(
      Object.entries(job)
        .filter(([key]) => !VOLATILE.has(key))
        .sort(([x], [y]) => (x < y ? -1 : 1)),
    );
  return spec(a) === spec(b);
}

/**
 * `submitted` as the store would keep it if it were registered at `index` over `existing`: a
 * changed spec becomes the next version (JobModifyIndex = index), an unchanged one keeps the
 * stored version and indexes.
 */
export function proposedJobVersion(existing: Job | undefined, submitted: Job, index: number): Job {
  const changed = existing === undefined || !sameJobSpec(existing, submitted);
  return {
    ...submitted,
    Version: existing === undefined ? 0 : changed ? existing.Version + 1 : existing.Version,
    Stable: changed ? false : (existing?.Stable ?? false),
    Status: existing?.Status ?? "pending",
    CreateIndex: existing?.CreateIndex ?? index,
    ModifyIndex: index,
    JobModifyIndex: changed ? index : (existing?.JobModifyIndex ?? index),
  };
}
