import type { Evaluation, Nanos, StateReader } from "../../fsm/index.js";
import { jobEvaluation } from "../new-evaluation.js";

/**
 * The evaluations a node's change of status needs (Nomad's createNodeEvals): one for every job
 * with an allocation on the node (its allocs may have to move or be restarted), and one for every
 * system and sysbatch job (they run on every eligible node, so a new or returning node needs them).
 * Created before proposing, so that the command carries them (invariant 2).
 */
export function nodeEvals(
  state: StateReader,
  nodeId: string,
  nodeModifyIndex: number,
  triggeredBy: "node-update" | "node-drain",
  now: Nanos,
): Evaluation[] {
  const evals: Evaluation[] = [];
  const seen = new Set<string>();
  const add = (namespace: string, jobId: string): void => {
    const key = `${namespace}\u0000${jobId}`;
    if (seen.has(key)) return;
    seen.add(key);
    const job = state.jobByID(namespace, jobId);
    if (job === undefined || job.Stop) return;
    evals.push(
      jobEvaluation(job, triggeredBy, now, {
        NodeID: nodeId,
        NodeModifyIndex: nodeModifyIndex,
        JobModifyIndex: job.JobModifyIndex,
      }),
    );
  };
  for (const alloc of state.allocsByNode(nodeId)) add(alloc.Namespace, alloc.JobID);
  for (const job of state.jobsByType("system")) add(job.Namespace, job.ID);
  for (const job of state.jobsByType("sysbatch")) add(job.Namespace, job.ID);
  return evals;
}
