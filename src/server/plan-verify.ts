import type { Allocation, Plan } from "../fsm/structs.js";
import { allocsFit, proposedNodeAllocs } from "../scheduler/fit.js";
import type { NodeAllocsView } from "./plan-overlay.js";

/** Why one node's part of a plan was rejected. */
export interface NodeRejection {
  readonly nodeId: string;
  readonly reason: string;
}

/** The part of a plan that fits, node by node, and the nodes that do not. */
export interface PlanVerification {
  NodeUpdate: Record<string, Allocation[]>;
  NodeAllocation: Record<string, Allocation[]>;
  NodePreemptions: Record<string, Allocation[]>;
  rejected: NodeRejection[];
  /** True when the whole plan was rejected because it is all-at-once and some node did not fit. */
  allAtOnceRejected: boolean;
}

/**
 * Checks one node's part of a plan against `view` (Nomad's evaluateNodePlan): placements need an
 * existing, ready node (a disconnected or down one only takes its allocations marked unknown or
 * lost); new placements also need it eligible and not draining; and everything that would then
 * hold the node must fit (cpu, memory, disk, ports). Stops alone always fit.
 * Returns the rejection reason, or undefined when the node's part fits.
 */
export function verifyNodePlan(view: NodeAllocsView, plan: Plan, nodeId: string): string | undefined {
  const placements = plan.NodeAllocation[nodeId] ?? [];
  if (placements.length === 0) return undefined;
  const node = view.nodeByID(nodeId);
  if (node === undefined) return "node does not exist";
  const existing = view.allocsByNode(nodeId);
  if (node.Status === "disconnected" || node.Status === "down") {
    // Nomad's isValidForDisconnectedNode: the only writes a disconnected (or down) node takes are
    // its own allocations being marked unknown (or lost, while their replacement waits for the
    // client to stop them); they hold no more than they held, so there is nothing to fit.
    const existingIds = new Set(existing.map((a) => a.ID));
    const onlyMarks = placements.every(
      (a) => (a.ClientStatus === "unknown" || a.ClientStatus === "lost") && existingIds.has(a.ID),
    );
    return onlyMarks ? undefined : `node is ${node.Status} and the plan places on it`;
  }
  if (node.Status !== "ready") return `node is ${node.Status}`;
  if (node.SchedulingEligibility !== "eligible" || node.DrainStrategy !== null) {
    // Only in-place updates of allocations already on the node may land here.
    const existingIds = new Set(existing.map((a) => a.ID));
    if (placements.some((a) => !existingIds.has(a.ID))) {
      return node.DrainStrategy !== null ? "node is draining" : "node is not eligible";
    }
  }
  const fit = allocsFit(node, proposedNodeAllocs(existing, plan, nodeId));
  return fit.fit ? undefined : `resources exhausted: ${fit.dimension ?? "unknown"}`;
}

/**
 * Verifies every node of a plan (the nodes it stops or places allocations on) and keeps the part
 * that fits. An all-at-once plan is kept whole or not at all (Nomad's AllAtOnce).
 */
export function verifyPlan(view: NodeAllocsView, plan: Plan): PlanVerification {
  const nodeIds = new Set([...Object.keys(plan.NodeUpdate), ...Object.keys(plan.NodeAllocation)]);
  const result: PlanVerification = {
    NodeUpdate: {},
    NodeAllocation: {},
    NodePreemptions: {},
    rejected: [],
    allAtOnceRejected: false,
  };
  for (const nodeId of nodeIds) {
    const reason = verifyNodePlan(view, plan, nodeId);
    if (reason !== undefined) {
      result.rejected.push({ nodeId, reason });
      if (plan.AllAtOnce) break;
      continue;
    }
    copyNonEmpty(result.NodeUpdate, plan.NodeUpdate, nodeId);
    copyNonEmpty(result.NodeAllocation, plan.NodeAllocation, nodeId);
    copyNonEmpty(result.NodePreemptions, plan.NodePreemptions, nodeId);
  }
  if (plan.AllAtOnce && result.rejected.length > 0) {
    result.NodeUpdate = {};
    result.NodeAllocation = {};
    result.NodePreemptions = {};
    result.allAtOnceRejected = true;
  }
  return result;
}

function copyNonEmpty(
  into: Record<string, Allocation[]>,
  from: Record<string, Allocation[]>,
  key: string,
): void {
  const value = from[key];
  if (value !== undefined && value.length > 0) into[key] = value;
}

/** True when the verification kept nothing that needs a Raft entry. */
export function verificationIsEmpty(v: PlanVerification): boolean {
  return (
    Object.keys(v.NodeUpdate).length === 0 &&
    Object.keys(v.NodeAllocation).length === 0 &&
    Object.keys(v.NodePreemptions).length === 0
  );
}
