import { randomInt, randomUUID } from "node:crypto";
import { ConflictError, NotFoundError } from "../../common/errors.js";
import {
  type Allocation,
  DEFAULT_NAMESPACE,
  type Evaluation,
  type Job,
  type JobSummary,
} from "../../fsm/index.js";
import type {
  DispatchResult,
  JobRegisterOptions,
  JobRegisterResult,
  QueryOptions,
  QueryResult,
  ServerApi,
} from "../../rpc/server-api.js";
import { type JobPlanResult, planJob } from "../../scheduler/job-plan.js";
import { dispatchJob } from "../dispatch.js";
import { jobEvaluation } from "../new-evaluation.js";
import { type EndpointContext, matchesQuery } from "./endpoint-context.js";
import { jobFromInput } from "./job-input.js";
import { requireNamespace } from "./namespace-endpoints.js";

type JobApi = Pick<
  ServerApi,
  | "jobRegister"
  | "jobDeregister"
  | "jobDispatch"
  | "jobList"
  | "jobGet"
  | "jobAllocations"
  | "jobEvaluations"
  | "jobSummary"
  | "jobPlan"
>;

/**
 * The job endpoints (Nomad's job_endpoint.go): register (with its eval, and the optional
 * EnforceIndex check), deregister, dispatch of parameterized jobs, and the job reads.
 */
export class JobEndpoints implements JobApi {
  constructor(private readonly c: EndpointContext) {}

  jobRegister(input: Job, options: JobRegisterOptions): Promise<JobRegisterResult> {
    const job = jobFromInput(
      input,
      typeof input?.SubmitTime === "number" && input.SubmitTime > 0 ? input.SubmitTime : this.c.now(),
    );
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        requireNamespace(this.c.state(), job.Namespace);
        const existing = this.c.state().jobByID(job.Namespace, job.ID);
        if (options.enforceIndex === true) {
          const expected = options.jobModifyIndex ?? 0;
          const actual = existing?.JobModifyIndex ?? 0;
          if (expected !== actual) {
            throw new ConflictError(
              `job ${job.ID}: enforce index ${expected} does not match the current JobModifyIndex ${actual}`,
            );
          }
        }
        // Periodic and parameterized parents are launched by the leader, not scheduled directly.
        const evaluation =
          job.Periodic !== null || job.ParameterizedJob !== null
            ? null
            : jobEvaluation(job, "job-register", this.c.now());
        const { index, result } = await this.c.propose({ type: "job-register", Job: job, Eval: evaluation });
        return {
          evalId: result.EvalID,
          evalCreateIndex: result.EvalCreateIndex,
          jobModifyIndex: result.JobModifyIndex,
          index,
          warnings: "",
        };
      },
      (c) => c.jobRegister(job, options),
    );
  }

  /**
   * Nomad's Job.Plan: the job's scheduler run on the leader's state (after a ReadIndex barrier,
   * as linearizable reads are) with the job overlaid as its next version. Nothing is proposed:
   * no job version, allocation or eval is written.
   */
  jobPlan(input: Job, options: { diff: boolean }): Promise<JobPlanResult> {
    const now = this.c.now();
    const job = jobFromInput(input, now);
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        await this.c.server.barrier();
        requireNamespace(this.c.state(), job.Namespace);
        return planJob(this.c.state(), job, {
          now,
          seed: planSeed(),
          evalId: randomUUID(),
          diff: options.diff,
        });
      },
      (c) => c.jobPlan(job, options),
      true,
    );
  }

  jobDeregister(namespace: string, jobId: string, purge: boolean): Promise<JobRegisterResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const job = this.c.state().jobByID(ns, jobId);
        if (job === undefined) throw new NotFoundError(`job ${jobId} not found`);
        const now = this.c.now();
        const evaluation =
          job.Periodic !== null || job.ParameterizedJob !== null
            ? null
            : jobEvaluation(job, "job-deregister", now);
        const { index, result } = await this.c.propose({
          type: "job-deregister",
          Namespace: ns,
          JobID: jobId,
          Purge: purge,
          SubmitTime: now,
          Eval: evaluation,
        });
        return {
          evalId: result.EvalID,
          evalCreateIndex: result.EvalCreateIndex,
          jobModifyIndex: result.JobModifyIndex,
          index,
          warnings: "",
        };
      },
      (c) => c.jobDeregister(ns, jobId, purge),
    );
  }

  jobDispatch(
    namespace: string,
    jobId: string,
    payload: Uint8Array,
    meta: Record<string, string>,
  ): Promise<DispatchResult> {
    const ns = namespace || DEFAULT_NAMESPACE;
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        requireNamespace(this.c.state(), ns);
        return dispatchJob(this.c.server, ns, jobId, payload, meta);
      },
      (c) => c.jobDispatch(ns, jobId, payload, meta),
    );
  }

  jobList(query: QueryOptions): Promise<QueryResult<Job[]>> {
    return this.c.read(
      query,
      ["jobs"],
      (s) => [...s.jobs()].filter((j) => matchesQuery(j.Namespace, j.ID, query)),
      (c) => c.jobList(query),
    );
  }

  jobGet(id: string, query: QueryOptions): Promise<QueryResult<Job | undefined>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["jobs"],
      (s) => s.jobByID(ns, id),
      (c) => c.jobGet(id, query),
    );
  }

  jobAllocations(id: string, query: QueryOptions): Promise<QueryResult<Allocation[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["allocs"],
      (s) => [...s.allocsByJob(ns, id)],
      (c) => c.jobAllocations(id, query),
    );
  }

  jobEvaluations(id: string, query: QueryOptions): Promise<QueryResult<Evaluation[]>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["evals"],
      (s) => [...s.evalsByJob(ns, id)],
      (c) => c.jobEvaluations(id, query),
    );
  }

  jobSummary(id: string, query: QueryOptions): Promise<QueryResult<JobSummary | undefined>> {
    const ns = query.namespace ?? DEFAULT_NAMESPACE;
    return this.c.read(
      query,
      ["job_summary"],
      (s) => s.jobSummary(ns, id),
      (c) => c.jobSummary(id, query),
    );
  }
}

/** The dry run's PRNG seed: the scheduler itself stays pure, the server picks it. */
function planSeed(): number {
  return randomInt(0, 0x7fffffff);
}
