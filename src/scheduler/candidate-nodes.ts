import type { StateReader } from "../fsm/state-reader.js";
import type { Job, Node } from "../fsm/structs.js";
import { ALL_NODE_POOL, DEFAULT_NODE_POOL } from "../fsm/structs.js";
import { datacenterMatches } from "./datacenter-match.js";

/** The nodes a job may be placed on, and the counts `job status` shows about them. */
export interface CandidateNodes {
  /** Ready, eligible, not draining, in one of the job's datacenters and in its node pool. */
  nodes: Node[];
  /** Ready nodes per datacenter among the job's datacenters (AllocMetric.NodesAvailable). */
  byDatacenter: Record<string, number>;
  /** Nodes in the job's node pool (AllocMetric.NodesInPool). */
  inPool: number;
}

export function jobNodePool(job: Job): string {
  return job.NodePool === "" ? DEFAULT_NODE_POOL : job.NodePool;
}

export function nodeInPool(node: Node, pool: string): boolean {
  return pool === ALL_NODE_POOL || (node.NodePool === "" ? DEFAULT_NODE_POOL : node.NodePool) === pool;
}

/** Ready and eligible for new placements. */
export function nodeSchedulable(node: Node): boolean {
  return node.Status === "ready" && node.SchedulingEligibility === "eligible" && node.DrainStrategy === null;
}

/**
 * Nomad's readyNodesInDCsAndPool, in node-ID order (the caller shuffles with the eval's seed, so
 * the order here only has to be deterministic).
 */
export function candidateNodes(reader: StateReader, job: Job): CandidateNodes {
  const pool = jobNodePool(job);
  const nodes: Node[] = [];
  const byDatacenter: Record<string, number> = {};
  let inPool = 0;
  for (const node of reader.nodes()) {
    if (!nodeInPool(node, pool)) continue;
    inPool++;
    if (!datacenterMatches(node.Datacenter, job.Datacenters)) continue;
    if (!nodeSchedulable(node)) continue;
    byDatacenter[node.Datacenter] = (byDatacenter[node.Datacenter] ?? 0) + 1;
    nodes.push(node);
  }
  nodes.sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  return { nodes, byDatacenter, inPool };
}
