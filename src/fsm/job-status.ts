import type { StateTxn } from "./state-txn.js";
import type { Job, JobChildrenSummary, JobStatus } from "./structs.js";
import { nsKey } from "./tables.js";

/**
 * A job's status, derived as Nomad's getJobStatus does: periodic, parameterized and system jobs
 * run until stopped; otherwise any live allocation means running, else any live evaluation means
 * pending, else the job is dead once it had evals or allocs (or they were garbage collected), and
 * pending before it ever had any.
 */
export function deriveJobStatus(txn: StateTxn, job: Job, evalsDeleted: boolean): JobStatus {
  if (job.Type === "system" || job.Periodic?.Enabled === true || job.ParameterizedJob !== null) {
    return job.Stop ? "dead" : "running";
  }
  if (txn.liveAllocCount(job.Namespace, job.ID) > 0) return "running";
  if (txn.liveEvalCount(job.Namespace, job.ID) > 0) return "pending";
  if (evalsDeleted || txn.hasEvalsOfJob(job.Namespace, job.ID) || txn.hasAllocsOfJob(job.Namespace, job.ID)) {
    return "dead";
  }
  return job.Stop ? "dead" : "pending";
}

/**
 * Recomputes the status of every job the command touched (allocs, evals or the job itself), then
 * the children counts of their parents. Runs once at the end of each command, so a plan of 1,000
 * allocations of one job costs one status check, not 1,000.
 */
export function settleJobStatuses(txn: StateTxn, evalsDeletedJobs: ReadonlySet<string>): void {
  const parents = new Set<string>();
  for (const key of txn.touchedJobs) {
    const sep = key.indexOf("\u0000");
    const namespace = key.slice(0, sep);
    const id = key.slice(sep + 1);
    const job = txn.job(namespace, id);
    if (job === undefined) continue;
    const status = deriveJobStatus(txn, job, evalsDeletedJobs.has(key));
    if (status !== job.Status) txn.putJob({ ...job, Status: status, ModifyIndex: txn.index });
    if (job.ParentID !== "") parents.add(nsKey(namespace, job.ParentID));
  }
  for (const key of parents) {
    const sep = key.indexOf("\u0000");
    settleChildrenSummary(txn, key.slice(0, sep), key.slice(sep + 1));
  }
}

function settleChildrenSummary(txn: StateTxn, namespace: string, parentId: string): void {
  const summary = txn.summary(namespace, parentId);
  if (summary === undefined) return;
  const children: JobChildrenSummary = { Pending: 0, Running: 0, Dead: 0 };
  for (const child of txn.jobsWithParent(namespace, parentId)) {
    if (child.Status === "pending") children.Pending += 1;
    else if (child.Status === "running") children.Running += 1;
    else children.Dead += 1;
  }
  const old = summary.Children;
  if (old.Pending === children.Pending && old.Running === children.Running && old.Dead === children.Dead)
    return;
  txn.putSummary({ ...summary, Children: children, ModifyIndex: txn.index });
}
