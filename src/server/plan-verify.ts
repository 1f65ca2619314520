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

/** The nodes a plan touches (stops or placements), each once, in a stable order. */
function planNodeIds(plan: Plan): Set<string> {
  return new Set([...Object.keys(plan.NodeUpdate), ...Object.keys(plan.NodeAllocation)]);
}

function emptyVerification(): PlanVerification {
  return { NodeUpdate: {}, NodeAllocation: {}, NodePreemptions: {}, rejected: [], allAtOnceRejected: false };
}

/** Verifies one node into `result`; returns false when the node was rejected. */
function verifyInto(result: PlanVerification, view: NodeAllocsView, plan: Plan, nodeId: string): boolean {
  const reason = verifyNodePlan(view, plan, nodeId);
  if (reason !== undefined) {
    result.rejected.push({ nodeId, reason });
    return false;
  }
  copyNonEmpty(result.NodeUpdate, plan.NodeUpdate, nodeId);
  copyNonEmpty(result.NodeAllocation, plan.NodeAllocation, nodeId);
  copyNonEmpty(result.NodePreemptions, plan.NodePreemptions, nodeId);
  return true;
}

/** An all-at-once plan is kept whole or not at all (Nomad's AllAtOnce). */
function finish(result: PlanVerification, plan: Plan): PlanVerification {
  if (plan.AllAtOnce && result.rejected.length > 0) {
    result.NodeUpdate = {};
    result.NodeAllocation = {};
    result.NodePreemptions = {};
    result.allAtOnceRejected = true;
  }
  return result;
}

/**
 * Verifies every node of a plan (the nodes it stops or places allocations on) and keeps the part
 * that fits. An all-at-once plan is kept whole or not at all (Nomad's AllAtOnce).
 */
export function verifyPlan(view: NodeAllocsView, plan: Plan): PlanVerification {
  const result = emptyVerification();
  for (const nodeId of planNodeIds(plan)) {
    if (!verifyInto(result, view, plan, nodeId) && plan.AllAtOnce) break;
  }
  return finish(result, plan);
}

export interface PlanSlicing {
  /** At most this many nodes are verified in one event-loop turn (at least 1). */
  nodesPerSlice: number;
  /** A slice also ends once it has run this long (ms by `clock`), whatever its node count. */
  sliceMs: number;
  /** Milliseconds from any fixed origin (performance.now). */
  clock: () => number;
  /** Gives the event loop a turn between slices. */
  yieldTurn: () => Promise<void>;
}

/**
 * verifyPlan in slices with a turn of the event loop between them, so that one large plan (1,000
 * nodes, each holding hundreds of allocations to sum) cannot hold the loop (invariant 6). A slice
 * ends after `nodesPerSlice` nodes or `sliceMs`, whichever comes first: a plan that verifies
 * quickly is not spread over turns for nothing (the applier is the one serial step of placing, and
 * each turn it waits behind costs every plan queued after it).
 *
 * Each slice is verified against `latest()`, asked again after every turn: a node's part of the
 * plan is checked against the latest state there is when its turn comes, never an older one than
 * verifyPlan would have used. Fit is decided node by node, so slices do not interact; the caller
 * still serialises plans, so nothing places between slices but the plan already in flight, which
 * `latest()` includes. An all-at-once plan stops at its first rejected node and is rejected
 * whole, as in verifyPlan.
 */
export async function verifyPlanInSlices(
  latest: () => NodeAllocsView,
  plan: Plan,
  slicing: PlanSlicing,
): Promise<PlanVerification> {
  if (!(slicing.nodesPerSlice >= 1)) throw new Error("verifyPlanInSlices: nodesPerSlice must be at least 1");
  const result = emptyVerification();
  let view = latest();
  let inSlice = 0;
  let sliceStart = slicing.clock();
  for (const nodeId of planNodeIds(plan)) {
    if (
      inSlice === slicing.nodesPerSlice ||
      (inSlice > 0 && slicing.clock() - sliceStart >= slicing.sliceMs)
    ) {
      await slicing.yieldTurn();
      view = latest();
      inSlice = 0;
      sliceStart = slicing.clock();
    }
    inSlice++;
    if (!verifyInto(result, view, plan, nodeId) && plan.AllAtOnce) break;
  }
  return finish(result, plan);
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
