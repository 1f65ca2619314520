import type { StateReader } from "../fsm/state-reader.js";
import type { Allocation, Evaluation, Job, Nanos } from "../fsm/structs.js";
import { allocTerminal, isTerminalEvalStatus } from "../fsm/structs.js";
import { deploymentActive } from "./reconciler.js";
import {
  DEFAULT_GC_THRESHOLDS,
  type GcRequest,
  type GcThresholds,
  type ScheduleOptions,
  type ScheduleResult,
} from "./schedule-types.js";

/** The core job kinds, carried in a "_core" eval's JobID (Nomad's CoreJob* names). */
export const CORE_JOB_EVAL_GC = "eval-gc";
export const CORE_JOB_JOB_GC = "job-gc";
export const CORE_JOB_NODE_GC = "node-gc";
export const CORE_JOB_DEPLOYMENT_GC = "deployment-gc";
/** Every kind at once, with all thresholds at zero (`drover system gc`). */
export const CORE_JOB_FORCE_GC = "force-gc";

/**
 * The core scheduler: garbage collection. A "_core" eval names its kind in JobID; the result's
 * `gc` lists what to delete (the server commits it as the fsm's gc-delete command) and `plan` is
 * always null. Ages are measured against `now` with the objects' own timestamps (ModifyTime of
 * evals and allocs, StatusUpdatedAt of nodes, SubmitTime of jobs).
 *
 * - eval-gc: terminal evals older than the threshold (24 h for batch jobs, else 1 h) whose
 *   allocations are all terminal and old, with those allocations. Allocations the scheduler still
 *   reads are kept: a failed one that may still be rescheduled, and finished batch allocations of
 *   the job's current version (they stop the batch job from running again).
 * - job-gc: jobs that are stopped or dead, not periodic or parameterized parents, whose evals and
 *   allocations are all terminal and older than 4 h; with their evals, allocs and deployments.
 * - node-gc: nodes down for more than 24 h with no live allocations.
 * - deployment-gc: terminal deployments, other than a job's latest, whose job is older than 1 h.
 */
export function scheduleCore(
  reader: StateReader,
  evaluation: Evaluation,
  options: ScheduleOptions,
): ScheduleResult {
  const force = evaluation.JobID === CORE_JOB_FORCE_GC;
  const thresholds: GcThresholds = force
    ? {
        evalGcThreshold: 0,
        batchEvalGcThreshold: 0,
        jobGcThreshold: 0,
        nodeGcThreshold: 0,
        deploymentGcThreshold: 0,
      }
    : { ...DEFAULT_GC_THRESHOLDS, ...options.gc };
  const gc: GcRequest = { EvalIDs: [], AllocIDs: [], Jobs: [], NodeIDs: [], DeploymentIDs: [] };
  const now = options.now;
  const kind = evaluation.JobID;
  const known = [
    CORE_JOB_EVAL_GC,
    CORE_JOB_JOB_GC,
    CORE_JOB_NODE_GC,
    CORE_JOB_DEPLOYMENT_GC,
    CORE_JOB_FORCE_GC,
  ];
  if (!known.includes(kind)) {
    return {
      plan: null,
      eval: {
        ...evaluation,
        Status: "failed",
        StatusDescription: `unknown core job ${JSON.stringify(kind)}`,
        ModifyTime: now,
      },
      createEvals: [],
      gc: null,
    };
  }
  const gcJobs = new Set<string>();
  if (force || kind === CORE_JOB_JOB_GC) jobGc(reader, now, thresholds, gc, gcJobs);
  if (force || kind === CORE_JOB_EVAL_GC) evalGc(reader, now, thresholds, gc, gcJobs);
  if (force || kind === CORE_JOB_DEPLOYMENT_GC) deploymentGc(reader, now, thresholds, gc, gcJobs);
  if (force || kind === CORE_JOB_NODE_GC) nodeGc(reader, now, thresholds, gc);
  return {
    plan: null,
    eval: { ...evaluation, Status: "complete", StatusDescription: "", ModifyTime: now },
    createEvals: [],
    gc,
  };
}

const key = (namespace: string, id: string): string => `${namespace}\u0000${id}`;

function jobGc(reader: StateReader, now: Nanos, t: GcThresholds, gc: GcRequest, gcJobs: Set<string>): void {
  for (const job of reader.jobs()) {
    if (!(job.Stop || job.Status === "dead")) continue;
    if (job.Periodic?.Enabled === true || job.ParameterizedJob !== null) {
      if (!job.Stop) continue;
    }
    if (now - job.SubmitTime < t.jobGcThreshold) continue;
    const evals = reader.evalsByJob(job.Namespace, job.ID);
    const allocs = reader.allocsByJob(job.Namespace, job.ID);
    const oldEnough = (time: Nanos): boolean => now - time >= t.jobGcThreshold;
    if (!evals.every((e) => isTerminalEvalStatus(e.Status) && oldEnough(e.ModifyTime))) continue;
    if (!allocs.every((a) => allocTerminal(a) && oldEnough(a.ModifyTime))) continue;
    gcJobs.add(key(job.Namespace, job.ID));
    gc.Jobs.push({ Namespace: job.Namespace, ID: job.ID });
    for (const e of evals) gc.EvalIDs.push(e.ID);
    for (const a of allocs) gc.AllocIDs.push(a.ID);
    for (const d of reader.deployments()) {
      if (d.Namespace === job.Namespace && d.JobID === job.ID) gc.DeploymentIDs.push(d.ID);
    }
  }
}

function evalGc(reader: StateReader, now: Nanos, t: GcThresholds, gc: GcRequest, gcJobs: Set<string>): void {
  for (const evaluation of reader.evals()) {
    if (evaluation.Type === "_core" && isTerminalEvalStatus(evaluation.Status)) {
      if (now - evaluation.ModifyTime >= t.evalGcThreshold) gc.EvalIDs.push(evaluation.ID);
      continue;
    }
    if (!isTerminalEvalStatus(evaluation.Status) || gcJobs.has(key(evaluation.Namespace, evaluation.JobID)))
      continue;
    const job = reader.jobByID(evaluation.Namespace, evaluation.JobID);
    const threshold = evaluation.Type === "batch" ? t.batchEvalGcThreshold : t.evalGcThreshold;
    if (now - evaluation.ModifyTime < threshold) continue;
    const allocs = reader.allocsByEval(evaluation.ID);
    if (!allocs.every((a) => allocTerminal(a) && now - a.ModifyTime >= threshold)) continue;
    const keep = allocs.filter((a) => stillNeeded(a, job));
    // An eval whose allocations are still read stays too, so that nothing points at a missing eval.
    if (keep.length > 0) continue;
    gc.EvalIDs.push(evaluation.ID);
    for (const a of allocs) gc.AllocIDs.push(a.ID);
  }
}

/** Terminal allocations the schedulers still read while their job lives. */
function stillNeeded(alloc: Allocation, job: Job | undefined): boolean {
  if (job === undefined || job.Stop) return false;
  if (alloc.ClientStatus === "failed" && alloc.DesiredStatus === "run" && alloc.NextAllocation === "")
    return true;
  return (
    (job.Type === "batch" || job.Type === "sysbatch") &&
    alloc.ClientStatus === "complete" &&
    alloc.JobVersion === job.Version
  );
}

function deploymentGc(
  reader: StateReader,
  now: Nanos,
  t: GcThresholds,
  gc: GcRequest,
  gcJobs: Set<string>,
): void {
  for (const deployment of reader.deployments()) {
    if (deploymentActive(deployment) || gcJobs.has(key(deployment.Namespace, deployment.JobID))) continue;
    const latest = reader.latestDeploymentByJob(deployment.Namespace, deployment.JobID);
    const job = reader.jobByID(deployment.Namespace, deployment.JobID);
    if (job !== undefined && latest?.ID === deployment.ID) continue;
    if (job !== undefined && now - job.SubmitTime < t.deploymentGcThreshold) continue;
    gc.DeploymentIDs.push(deployment.ID);
  }
}

function nodeGc(reader: StateReader, now: Nanos, t: GcThresholds, gc: GcRequest): void {
  for (const node of reader.nodes()) {
    if (node.Status !== "down" || now - node.StatusUpdatedAt < t.nodeGcThreshold) continue;
    if (reader.allocsByNode(node.ID).some((a) => !allocTerminal(a))) continue;
    gc.NodeIDs.push(node.ID);
  }
}
