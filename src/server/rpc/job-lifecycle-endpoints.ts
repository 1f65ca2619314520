import { ConflictError, NotFoundError, ValidationError } from "../../common/errors.js";
import type { JobRegisterCommand } from "../../fsm/commands.js";
import {
  allocTerminal,
  DEFAULT_NAMESPACE,
  type Deployment,
  type Job,
  type Plan,
  type StateReader,
} from "../../fsm/index.js";
import type {
  EvalWriteResult,
  JobRegisterResult,
  JobScaleRequest,
  JobScaleStatus,
  JobStabilityResult,
  QueryOptions,
  QueryResult,
  ServerApi,
  TaskGroupScaleStatus,
} from "../../rpc/server-api.js";
import { jobEvaluation } from "../new-evaluation.js";
import { childJobCommand, periodicChildId } from "../periodic.js";
import { byNewest } from "./deployment-endpoints.js";
import type { EndpointContext } from "./endpoint-context.js";

type JobLifecycleApi = Pick<
  ServerApi,
  | "jobVersions"
  | "jobDeployments"
  | "jobLatestDeployment"
  | "jobScaleStatus"
  | "jobRevert"
  | "jobEvaluate"
  | "jobPeriodicForce"
  | "jobScale"
  | "jobStability"
  | "allocStop"
>;

/** What an allocation stopped by `alloc stop` says about itself. */
export const ALLOC_STOPPED_BY_OPERATOR = "alloc was stopped by an operator";

/**
 * A job's life after registration (Nomad's Job.GetJobVersions, Revert, Evaluate, Scale,
 * ScaleStatus, Stability, Periodic.Force and Alloc.Stop): every write but Stability (the FSM's
 * job-stability) is a job registration or an eval the leader builds before proposing.
 */
export class JobLifecycleEndpoints implements JobLifecycleApi {
  constructor(private readonly c: EndpointContext) {}

  jobVersions(id: string, query: QueryOptions): Promise<QueryResult<Job[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["job_versions"],
      (s) => [...s.jobVersions(ns, id)],
      (c) => c.jobVersions(id, query),
    );
  }

  jobDeployments(id: string, query: QueryOptions): Promise<QueryResult<Deployment[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["deployments"],
      (s) => [...s.deploymentsByJob(ns, id)].sort(byNewest),
      (c) => c.jobDeployments(id, query),
    );
  }

  jobLatestDeployment(id: string, query: QueryOptions): Promise<QueryResult<Deployment | undefined>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["deployments"],
      (s) => s.latestDeploymentByJob(ns, id),
      (c) => c.jobLatestDeployment(id, query),
    );
  }

  jobScaleStatus(id: string, query: QueryOptions): Promise<QueryResult<JobScaleStatus | undefined>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["jobs", "allocs", "deployments"],
      (s) => scaleStatus(s, ns, id),
      (c) => c.jobScaleStatus(id, query),
    );
  }

  jobRevert(
    namespace: string,
    jobId: string,
    version: number,
    enforcePrior: number | undefined,
  ): Promise<JobRegisterResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    checkCount(version, "JobVersion");
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const current = this.existingJob(state, ns, jobId);
        if (enforcePrior !== undefined && current.Version !== enforcePrior) {
          throw new ConflictError(
            `job ${jobId} is at version ${current.Version}, not the enforced prior version ${enforcePrior}`,
          );
        }
        if (version === current.Version) {
          throw new ValidationError(`job ${jobId} is at version ${version} already; nothing to revert`);
        }
        const target = state.jobByVersion(ns, jobId, version);
        if (target === undefined) throw new NotFoundError(`job ${jobId} has no version ${version}`);
        return this.register({ ...target, SubmitTime: this.c.now() }, "job-register");
      },
      (c) => c.jobRevert(ns, jobId, version, enforcePrior),
    );
  }

  jobEvaluate(namespace: string, jobId: string): Promise<JobRegisterResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const job = this.existingJob(this.c.state(), ns, jobId);
        if (job.Periodic !== null)
          throw new ValidationError(`job ${jobId} is periodic: it cannot be evaluated`);
        if (job.ParameterizedJob !== null) {
          throw new ValidationError(`job ${jobId} is parameterized: it cannot be evaluated`);
        }
        const evaluation = jobEvaluation(job, "job-register", this.c.now(), {
          JobModifyIndex: job.JobModifyIndex,
        });
        const { index } = await this.c.propose({ type: "eval-upsert", Evals: [evaluation] });
        return {
          evalId: evaluation.ID,
          evalCreateIndex: index,
          jobModifyIndex: job.JobModifyIndex,
          index,
          warnings: "",
        };
      },
      (c) => c.jobEvaluate(ns, jobId),
    );
  }

  jobPeriodicForce(namespace: string, jobId: string): Promise<JobRegisterResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const job = this.existingJob(state, ns, jobId);
        if (job.Periodic === null) throw new ValidationError(`job ${jobId} is not periodic`);
        if (!job.Periodic.Enabled || job.Stop) {
          throw new ValidationError(`periodic job ${jobId} is ${job.Stop ? "stopped" : "disabled"}`);
        }
        const now = this.c.now();
        const childId = periodicChildId(job.ID, Math.floor(now / 1e6));
        if (state.jobByID(ns, childId) !== undefined) {
          throw new ConflictError(`periodic job ${jobId} launched ${childId} this second already`);
        }
        const command = childJobCommand(job, childId, now, "periodic-job", {});
        return this.proposeRegister(command);
      },
      (c) => c.jobPeriodicForce(ns, jobId),
    );
  }

  jobScale(request: JobScaleRequest): Promise<JobRegisterResult> {
    const ns = request.namespace || DEFAULT_NAMESPACE;
    checkCount(request.count, "Count");
    if (request.group === "") throw new ValidationError("give the task group to scale", "Target.Group");
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const job = this.existingJob(this.c.state(), ns, request.jobId);
        if (job.Type === "system" || job.Type === "sysbatch") {
          throw new ValidationError(
            `job ${job.ID} is a ${job.Type} job: it runs on every node, it has no count`,
          );
        }
        if (request.enforceIndex === true && job.JobModifyIndex !== (request.jobModifyIndex ?? 0)) {
          throw new ConflictError(
            `job ${job.ID}: enforce index ${request.jobModifyIndex ?? 0} does not match the current JobModifyIndex ${job.JobModifyIndex}`,
          );
        }
        if (!job.TaskGroups.some((g) => g.Name === request.group)) {
          throw new ValidationError(`job ${job.ID} has no task group ${JSON.stringify(request.group)}`);
        }
        const scaled: Job = {
          ...job,
          TaskGroups: job.TaskGroups.map((g) =>
            g.Name === request.group ? { ...g, Count: request.count } : g,
          ),
          SubmitTime: this.c.now(),
        };
        return this.register(scaled, "job-scaling");
      },
      (c) => c.jobScale({ ...request, namespace: ns }),
    );
  }

  /** Marks a version stable or not (Nomad's Job.Stability): the FSM's job-stability command. */
  jobStability(
    namespace: string,
    jobId: string,
    version: number,
    stable: boolean,
  ): Promise<JobStabilityResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    checkCount(version, "JobVersion");
    return this.c.write(
      async () => {
        const state = this.c.state();
        this.existingJob(state, ns, jobId);
        if (state.jobByVersion(ns, jobId, version) === undefined) {
          throw new NotFoundError(`job ${jobId} has no version ${version}`);
        }
        const { index } = await this.c.propose({
          type: "job-stability",
          Namespace: ns,
          JobID: jobId,
          JobVersion: version,
          Stable: stable,
        });
        return { jobModifyIndex: index, index };
      },
      (c) => c.jobStability(ns, jobId, version, stable),
    );
  }

  /**
   * Stops an allocation for an operator: a plan that stops it goes through the leader's plan
   * queue like any scheduler's (so it is ordered with them), then an eval (trigger alloc-stop)
   * lets the scheduler place the replacement the job's count now lacks.
   */
  allocStop(allocId: string): Promise<EvalWriteResult> {
    return this.c.write(
      async () => {
        const duties = this.c.leaderDuties();
        const state = this.c.state();
        const alloc = state.allocByID(allocId);
        if (alloc === undefined) throw new NotFoundError(`allocation ${allocId} not found`);
        if (allocTerminal(alloc)) {
          throw new ValidationError(
            `allocation ${allocId} is already stopped (desired ${alloc.DesiredStatus}, client ${alloc.ClientStatus})`,
          );
        }
        const job = this.existingJob(state, alloc.Namespace, alloc.JobID);
        const plan: Plan = {
          EvalID: "",
          EvalToken: "",
          Priority: job.Priority,
          AllAtOnce: false,
          JobID: job.ID,
          Namespace: job.Namespace,
          NodeUpdate: {
            [alloc.NodeID]: [
              { ...alloc, DesiredStatus: "stop", DesiredDescription: ALLOC_STOPPED_BY_OPERATOR },
            ],
          },
          NodeAllocation: {},
          NodePreemptions: {},
          Deployment: null,
          DeploymentUpdates: [],
          SnapshotIndex: state.index,
        };
        const result = await duties.submitPlan(plan);
        if (result.AllocIndex === 0)
          throw new ConflictError(`allocation ${allocId}: the stop was not committed`);
        const evaluation = jobEvaluation(job, "alloc-stop", this.c.now(), {
          JobModifyIndex: job.JobModifyIndex,
        });
        const { index } = await this.c.propose({ type: "eval-upsert", Evals: [evaluation] });
        return { evalId: evaluation.ID, evalCreateIndex: index, modifyIndex: result.AllocIndex, index };
      },
      (c) => c.allocStop(allocId),
    );
  }

  private existingJob(state: StateReader, namespace: string, jobId: string): Job {
    const job = state.jobByID(namespace, jobId);
    if (job === undefined) throw new NotFoundError(`job ${jobId} not found`);
    return job;
  }

  /** Registers `job` as its next version, with an eval unless periodic or parameterized. */
  private register(job: Job, trigger: "job-register" | "job-scaling"): Promise<JobRegisterResult> {
    const evaluation =
      job.Periodic !== null || job.ParameterizedJob !== null
        ? null
        : jobEvaluation(job, trigger, this.c.now());
    return this.proposeRegister({ type: "job-register", Job: job, Eval: evaluation });
  }

  private async proposeRegister(command: JobRegisterCommand): Promise<JobRegisterResult> {
    const { index, result } = await this.c.propose(command);
    return {
      evalId: result.EvalID,
      evalCreateIndex: result.EvalCreateIndex,
      jobModifyIndex: result.JobModifyIndex,
      index,
      warnings: "",
    };
  }
}

function checkCount(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`must be a non-negative integer, got ${JSON.stringify(value)}`, field);
  }
}

/** Nomad's Job.ScaleStatus: desired counts from the job, the rest from its allocs and deployment. */
function scaleStatus(s: StateReader, namespace: string, jobId: string): JobScaleStatus | undefined {
  const job = s.jobByID(namespace, jobId);
  if (job === undefined) return undefined;
  const deployment = s.latestDeploymentByJob(namespace, jobId);
  const groups: Record<string, TaskGroupScaleStatus> = {};
  for (const group of job.TaskGroups) {
    const d = deployment?.JobVersion === job.Version ? deployment.TaskGroups[group.Name] : undefined;
    groups[group.Name] = {
      Desired: group.Count,
      Placed: 0,
      Running: 0,
      Healthy: d?.HealthyAllocs ?? 0,
      Unhealthy: d?.UnhealthyAllocs ?? 0,
      Events: [],
    };
  }
  for (const alloc of s.allocsByJob(namespace, jobId)) {
    const g = groups[alloc.TaskGroup];
    if (g === undefined || allocTerminal(alloc)) continue;
    g.Placed++;
    if (alloc.ClientStatus === "running") g.Running++;
  }
  return {
    JobID: job.ID,
    Namespace: job.Namespace,
    JobCreateIndex: job.CreateIndex,
    JobModifyIndex: job.JobModifyIndex,
    JobStopped: job.Stop,
    TaskGroups: groups,
  };
}
