import { type NodeUsageSummary, summaryWithPlan } from "../fsm/node-usage-summary.js";
import type { Allocation, Node, Plan } from "../fsm/structs.js";
import { allocClientTerminal } from "../fsm/structs.js";
import {
  DIMENSION_CPU,
  DIMENSION_DISK,
  DIMENSION_INVALID_PORT,
  DIMENSION_MEMORY,
  DIMENSION_PORT_COLLISION,
  DIMENSION_RESERVED_PORT,
  nodeCapacity,
} from "../scheduler/fit.js";
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
  if (node.Status === "disconnected" || node.Status === "down") {
    // Nomad's isValidForDisconnectedNode: the only writes a disconnected (or down) node takes are
    // its own allocations being marked unknown (or lost, while their replacement waits for the
    // client to stop them); they hold no more than they held, so there is nothing to fit.
    const existingIds = new Set(view.allocsByNode(nodeId).map((a) => a.ID));
    const onlyMarks = placements.every(
      (a) => (a.ClientStatus === "unknown" || a.ClientStatus === "lost") && existingIds.has(a.ID),
    );
    return onlyMarks ? undefined : `node is ${node.Status} and the plan places on it`;
  }
  if (node.Status !== "ready") return `node is ${node.Status}`;
  // Each placement's stored version, looked up once for both checks below.
  const stored = new Map<string, Allocation | undefined>();
  for (const alloc of placements) stored.set(alloc.ID, view.allocByID(alloc.ID));
  const foreign = foreignPlacement(stored, placements, nodeId);
  if (foreign !== undefined) return foreign;
  if (node.SchedulingEligibility !== "eligible" || node.DrainStrategy !== null) {
    // Only in-place updates of allocations already on the node may land here.
    const existingIds = new Set(view.allocsByNode(nodeId).map((a) => a.ID));
    if (placements.some((a) => !existingIds.has(a.ID))) {
      return node.DrainStrategy !== null ? "node is draining" : "node is not eligible";
    }
  }
  const exhausted = exhaustedDimension(node, proposedUsage(view, plan, nodeId, stored));
  return exhausted === undefined ? undefined : `resources exhausted: ${exhausted}`;
}

/**
 * An allocation never changes node or job: a placement whose ID names a stored allocation of
 * another node, job or namespace would overwrite that allocation (and leave its client running
 * something the state no longer knows). Schedulers draw 128-bit ids, so this is a guard against
 * a broken or hostile plan, not a path any healthy plan takes.
 */
function foreignPlacement(
  stored: ReadonlyMap<string, Allocation | undefined>,
  placements: readonly Allocation[],
  nodeId: string,
): string | undefined {
  for (const alloc of placements) {
    const existing = stored.get(alloc.ID);
    if (existing === undefined) continue;
    if (
      existing.NodeID !== nodeId ||
      existing.JobID !== alloc.JobID ||
      existing.Namespace !== alloc.Namespace
    ) {
      return `allocation ${alloc.ID} already exists for job ${existing.JobID} on node ${existing.NodeID}`;
    }
  }
  return undefined;
}

/**
 * What would hold the node once the plan applies (Nomad's AllocsFit input, as the scheduler's
 * proposedNodeAllocs lists it): the view's summary of the node, minus the stored allocations the
 * plan stops, preempts or replaces (each once, and only if the summary counts it), plus the
 * plan's placements whose client status is not terminal. O(the plan's allocations on the node).
 */
function proposedUsage(
  view: NodeAllocsView,
  plan: Plan,
  nodeId: string,
  /** Stored versions already looked up (the placements'). */
  stored: ReadonlyMap<string, Allocation | undefined>,
): NodeUsageSummary {
  const removedIds = [
    ...(plan.NodeUpdate[nodeId] ?? []).map((alloc) => alloc.ID),
    ...(plan.NodePreemptions[nodeId] ?? []).map((alloc) => alloc.ID),
  ];
  const placed = plan.NodeAllocation[nodeId] ?? [];
  return summaryWithPlan(
    view.nodeUsage(nodeId),
    nodeId,
    (id) => (stored.has(id) ? stored.get(id) : view.allocByID(id)),
    removedIds,
    placed,
    (alloc) => !allocClientTerminal(alloc),
  );
}

/**
 * The first dimension `usage` exceeds on the node, in Nomad's order (cpu, memory, disk, then
 * network), or undefined when it fits. Of the port problems, an invalid port is named before a
 * node-reserved one, and that before a port used twice.
 */
function exhaustedDimension(node: Node, usage: NodeUsageSummary): string | undefined {
  const capacity = nodeCapacity(node);
  if (usage.cpu > capacity.cpu) return DIMENSION_CPU;
  if (usage.memoryMB > capacity.memoryMB) return DIMENSION_MEMORY;
  if (usage.diskMB > capacity.diskMB) return DIMENSION_DISK;
  if (usage.invalidPorts > 0) return DIMENSION_INVALID_PORT;
  if (usesReservedPort(usage, capacity.reservedPorts)) return DIMENSION_RESERVED_PORT;
  if (usage.portCollisions > 0) return DIMENSION_PORT_COLLISION;
  return undefined;
}

/** True when some allocation uses a node-reserved port (walks the smaller of the two sets). */
function usesReservedPort(usage: NodeUsageSummary, reserved: ReadonlySet<number>): boolean {
  if (reserved.size <= usage.portBound) {
    for (const port of reserved) if (usage.portCount(port) > 0) return true;
    return false;
  }
  for (const port of usage.distinctPorts()) if (reserved.has(port)) return true;
  return false;
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
