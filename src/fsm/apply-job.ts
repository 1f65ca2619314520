import { upsertEval } from "./apply-eval.js";
import { requireNamespace } from "./apply-namespace.js";
import type {
  IndexResult,
  JobDeregisterCommand,
  JobDeregisterResult,
  JobRegisterCommand,
  JobRegisterResult,
  JobStabilityCommand,
} from "./commands.js";
import { InvalidCommandError } from "./errors.js";
import { ensureSummaryForJob } from "./job-summary.js";
import { nextJobVersion } from "./job-version.js";
import type { StateTxn } from "./state-txn.js";
import { JOB_TYPES, type Job } from "./structs.js";
import { JOB_TRACKED_VERSIONS } from "./tables.js";

export function applyJobRegister(txn: StateTxn, command: JobRegisterCommand): JobRegisterResult {
  const job = registerJob(txn, command.Job);
  // Checked here, in log order, so that no namespace deleted after the leader's own check lets a
  // job into a namespace that no longer exists (Nomad's upsertJobImpl does the same). After
  // registerJob, which validates the job's shape; a refusal drops the whole transaction.
  requireNamespace(txn, job.Namespace);
  if (command.Eval !== null) upsertEval(txn, command.Eval);
  return {
    JobModifyIndex: job.JobModifyIndex,
    Version: job.Version,
    EvalID: command.Eval?.ID ?? "",
    EvalCreateIndex: command.Eval === null ? 0 : txn.index,
  };
}

export function applyJobDeregister(txn: StateTxn, command: JobDeregisterCommand): JobDeregisterResult {
  const existing = txn.job(command.Namespace, command.JobID);
  if (existing === undefined) {
    throw new InvalidCommandError(
      `job ${JSON.stringify(command.JobID)} in namespace ${command.Namespace} not found`,
    );
  }
  let jobModifyIndex = txn.index;
  if (command.Purge) {
    txn.deleteJob(command.Namespace, command.JobID);
  } else if (!existing.Stop) {
    jobModifyIndex = registerJob(txn, {
      ...existing,
      Stop: true,
      SubmitTime: command.SubmitTime,
    }).JobModifyIndex;
  } else {
    jobModifyIndex = existing.JobModifyIndex;
  }
  if (command.Eval !== null) upsertEval(txn, command.Eval);
  return {
    JobModifyIndex: jobModifyIndex,
    EvalID: command.Eval?.ID ?? "",
    EvalCreateIndex: command.Eval === null ? 0 : txn.index,
  };
}

/**
 * Stores a job version (Nomad upsertJobImpl): a changed specification becomes a new version with
 * JobModifyIndex at this entry; an unchanged one keeps its version. The last
 * JOB_TRACKED_VERSIONS versions stay readable for allocations that still run them.
 */
export function registerJob(txn: StateTxn, submitted: Job): Job {
  checkJob(submitted);
  const existing = txn.job(submitted.Namespace, submitted.ID);
  const job = nextJobVersion(existing, submitted, txn.index);
  txn.putJob(job);
  const versions = txn.jobVersionList(job.Namespace, job.ID).filter((v) => v.Version !== job.Version);
  txn.putJobVersions(job.Namespace, job.ID, [job, ...versions].slice(0, JOB_TRACKED_VERSIONS));
  ensureSummaryForJob(txn, job);
  txn.touchedJobs.add(`${job.Namespace}\u0000${job.ID}`);
  return job;
}

/** Marks a job version stable (a deployment of it succeeded). */
export function markJobVersionStable(txn: StateTxn, namespace: string, id: string, version: number): void {
  setJobVersionStability(txn, namespace, id, version, true);
}

/** An operator's `job-stability`: the version must exist (the endpoint checked; a race fails here). */
export function applyJobStability(txn: StateTxn, command: JobStabilityCommand): IndexResult {
  const { Namespace: namespace, JobID: id, JobVersion: version } = command;
  if (!txn.jobVersionList(namespace, id).some((v) => v.Version === version)) {
    throw new InvalidCommandError(
      `job ${JSON.stringify(id)} in namespace ${namespace} has no version ${version}`,
    );
  }
  setJobVersionStability(txn, namespace, id, version, command.Stable);
  return { Index: txn.index };
}

/** Sets Stable of one stored version, and of the job when it is the current version. */
function setJobVersionStability(
  txn: StateTxn,
  namespace: string,
  id: string,
  version: number,
  stable: boolean,
): void {
  const versions = txn.jobVersionList(namespace, id);
  if (versions.some((v) => v.Version === version && v.Stable !== stable)) {
    txn.putJobVersions(
      namespace,
      id,
      versions.map((v) => (v.Version === version ? { ...v, Stable: stable } : v)),
    );
  }
  const job = txn.job(namespace, id);
  if (job !== undefined && job.Version === version && job.Stable !== stable) {
    txn.putJob({ ...job, Stable: stable, ModifyIndex: txn.index });
  }
}

function checkJob(job: Job): void {
  if (typeof job.ID !== "string" || job.ID === "") throw new InvalidCommandError("job: ID is missing");
  if (typeof job.Namespace !== "string" || job.Namespace === "") {
    throw new InvalidCommandError(`job ${job.ID}: Namespace is missing`);
  }
  if (!JOB_TYPES.includes(job.Type))
    throw new InvalidCommandError(`job ${job.ID}: unknown Type ${String(job.Type)}`);
  if (!Array.isArray(job.TaskGroups))
    throw new InvalidCommandError(`job ${job.ID}: TaskGroups is not a list`);
  if (typeof job.ParentID !== "string")
    throw new InvalidCommandError(`job ${job.ID}: ParentID is not a string`);
}
