import {
  disconnectExpired,
  lastRecordedClientStatus,
  needsReconnect,
  supportsDisconnect,
  withRecordedClientStatus,
} from "../fsm/alloc-disconnect.js";
import type {
  Allocation,
  AllocClientStatus,
  Deployment,
  DeploymentState,
  DeploymentStatusUpdate,
  DisconnectStrategy,
  Job,
  Nanos,
  Node,
  TaskGroup,
  UpdateStrategy,
} from "../fsm/structs.js";
import { allocIndexFromName, allocName } from "../fsm/structs.js";
import { pickReconnecting } from "./reconnect-choice.js";
import { RESCHEDULE_WINDOW, rescheduleDecision, reschedulePolicy } from "./reschedule-policy.js";
import { tasksUpdated } from "./tasks-updated.js";

/**
 * The reconciler for service and batch jobs (Nomad's allocReconciler): compares the job's
 * desired state with its allocations and says what to stop, update in place and place, with the
 * deployment that paces a rolling update. Pure: arrays in, decisions out; the scheduler turns
 * them into a plan and finds nodes for the placements.
 */

// Nomad's descriptions, so that `alloc status` reads the same.
export const ALLOC_NOT_NEEDED = "alloc not needed due to job update";
export const ALLOC_JOB_STOPPED = "alloc not needed since job was stopped";
export const ALLOC_MIGRATING = "alloc is being migrated";
export const ALLOC_UPDATING = "alloc is being updated due to job update";
export const ALLOC_LOST = "alloc is lost since its node is down";
export const ALLOC_RESCHEDULED = "alloc was rescheduled because it failed";
export const ALLOC_OLD_CANARY = "alloc is a canary of an older deployment";
export const ALLOC_UNKNOWN = "alloc is unknown since node is disconnected";
export const ALLOC_RECONNECTED = "alloc not needed due to disconnected client reconnect";
export const DEPLOYMENT_CANCELLED_NEWER = "Cancelled due to newer version of job";
export const DEPLOYMENT_CANCELLED_STOPPED = "Cancelled because job is stopped";
export const DEPLOYMENT_SUCCESSFUL = "Deployment completed successfully";
export const DEPLOYMENT_RUNNING = "Deployment is running";
export const DEPLOYMENT_RUNNING_CANARIES = "Deployment is running but requires manual promotion";

/** Failed allocations due within this window of each other share one follow-up eval (Nomad: 5 s). */
export const FOLLOWUP_BATCH_WINDOW: Nanos = 5e9;

export interface ReconcileInput {
  /** The job; null when it no longer exists (purged). */
  job: Job | null;
  /** Every allocation of the job, terminal ones included. */
  allocs: readonly Allocation[];
  /** The job's latest deployment, if any. */
  deployment: Deployment | null;
  /** Nodes of the job's allocations that are down, disconnected, draining or gone (null). */
  taintedNodes: ReadonlyMap<string, Node | null>;
  /** Looks up an older version of the job (to tell in-place from destructive updates). */
  jobVersion: (version: number) => Job | undefined;
  /** Looks up a deployment (to know whether an older canary was promoted); absent: none known. */
  deploymentByID?: (id: string) => Deployment | undefined;
  batch: boolean;
  now: Nanos;
  evalId: string;
  /** Makes a new id (deployment ids) from the eval's seeded PRNG. */
  newId: () => string;
}

export interface Placement {
  group: TaskGroup;
  name: string;
  /** The allocation this one replaces (lost, failed, migrating or destructively updated). */
  previous: Allocation | null;
  /** Stop `previous` in the same plan, only if this placement succeeds. */
  stopPrevious: { description: string; clientStatus?: AllocClientStatus } | null;
  /** A replacement of a failed allocation under the reschedule policy. */
  reschedule: boolean;
  canary: boolean;
  /** Avoid these nodes (where the previous instance failed). */
  penaltyNodes: string[];
}

export interface Stop {
  alloc: Allocation;
  description: string;
  clientStatus?: AllocClientStatus;
}

export interface FollowUp {
  waitUntil: Nanos;
  allocs: Allocation[];
}

export interface ReconcileResult {
  stops: Stop[];
  /** Existing allocations to move to the job's current version on their node. */
  inPlace: Allocation[];
  placements: Placement[];
  /** A deployment to create, or the current one with changes (placed canaries, status). */
  deployment: Deployment | null;
  /** The deployment new allocations belong to (created now or already running for this version). */
  currentDeployment: Deployment | null;
  deploymentUpdates: DeploymentStatusUpdate[];
  /** Failed allocations to reschedule later, in batches sharing one eval. */
  followUps: FollowUp[];
  /** Allocations of newly disconnected nodes, marked unknown (status recorded in AllocStates). */
  disconnectUpdates: Allocation[];
  /** When each batch of newly unknown allocations becomes lost (one max-disconnect-timeout eval each). */
  disconnectTimeouts: FollowUp[];
  /** Reconnected allocations that keep running, with the reconnect recorded in AllocStates. */
  reconnectUpdates: Allocation[];
  /**
   * Lost allocations of groups with stop_on_client_after, marked lost but replaced only once
   * their client will have stopped them (one follow-up eval per batch).
   */
  lostLater: FollowUp[];
  /** Per group: what the reconciler wanted (for eval annotations and tests). */
  desired: Record<string, DesiredChanges>;
}

export interface DesiredChanges {
  place: number;
  stop: number;
  inPlace: number;
  destructive: number;
  migrate: number;
  canary: number;
  ignore: number;
}

const ACTIVE_DEPLOYMENT = new Set(["running", "paused", "pending", "blocked", "unblocking"]);

export function deploymentActive(deployment: Deployment | null): boolean {
  return deployment !== null && ACTIVE_DEPLOYMENT.has(deployment.Status);
}

export function reconcile(input: ReconcileInput): ReconcileResult {
  const result: ReconcileResult = {
    stops: [],
    inPlace: [],
    placements: [],
    deployment: null,
    currentDeployment: null,
    deploymentUpdates: [],
    followUps: [],
    disconnectUpdates: [],
    disconnectTimeouts: [],
    reconnectUpdates: [],
    lostLater: [],
    desired: {},
  };
  const { job } = input;
  const stopped = job === null || job.Stop;
  let deployment = input.deployment;

  if (deployment !== null && deploymentActive(deployment)) {
    if (stopped) {
      cancel(result, deployment, DEPLOYMENT_CANCELLED_STOPPED);
      deployment = null;
    } else if (
      deployment.JobVersion !== job.Version ||
      (deployment.JobCreateIndex !== 0 && deployment.JobCreateIndex !== job.CreateIndex)
    ) {
      cancel(result, deployment, DEPLOYMENT_CANCELLED_NEWER);
      deployment = null;
    }
  }
  // Only a deployment of this job version paces the update. It is copied because stored objects
  // are frozen and the reconciler may add a group's state to it.
  if (deployment !== null && (stopped || deployment.JobVersion !== job.Version)) deployment = null;
  // A finished deployment paces nothing (a new change starts a new one); a failed one stays and
  // holds further destructive updates of this version back, as in Nomad.
  if (deployment !== null && (deployment.Status === "successful" || deployment.Status === "cancelled")) {
    deployment = null;
  }
  if (deployment !== null) deployment = { ...deployment, TaskGroups: { ...deployment.TaskGroups } };

  const byGroup = new Map<string, Allocation[]>();
  for (const alloc of input.allocs) {
    const list = byGroup.get(alloc.TaskGroup);
    if (list === undefined) byGroup.set(alloc.TaskGroup, [alloc]);
    else list.push(alloc);
  }

  if (stopped) {
    for (const allocs of byGroup.values()) stopAll(result, allocs, input, ALLOC_JOB_STOPPED);
    return result;
  }

  for (const [name, allocs] of byGroup) {
    if (!job.TaskGroups.some((g) => g.Name === name)) stopAll(result, allocs, input, ALLOC_NOT_NEEDED);
  }

  const ctx: GroupContext = { input, job, result, deployment, newDeployment: null };
  let complete = true;
  for (const group of job.TaskGroups) {
    if (!reconcileGroup(ctx, group, byGroup.get(group.Name) ?? [])) complete = false;
  }
  result.currentDeployment = ctx.newDeployment ?? ctx.deployment;
  if (ctx.newDeployment !== null) {
    result.deployment = ctx.newDeployment;
  } else if (ctx.deployment !== null) {
    if (result.deployment === null && ctx.deploymentChanged) result.deployment = ctx.deployment;
    if (complete && ctx.deployment.Status === "running") {
      result.deploymentUpdates.push({
        DeploymentID: ctx.deployment.ID,
        Status: "successful",
        StatusDescription: DEPLOYMENT_SUCCESSFUL,
      });
    }
  }
  return result;
}

function cancel(result: ReconcileResult, deployment: Deployment, description: string): void {
  result.deploymentUpdates.push({
    DeploymentID: deployment.ID,
    Status: "cancelled",
    StatusDescription: description,
  });
}

/** Stops every allocation that still runs or may run; lost ones are marked lost. */
function stopAll(
  result: ReconcileResult,
  allocs: readonly Allocation[],
  input: ReconcileInput,
  why: string,
): void {
  for (const alloc of allocs) {
    if (alloc.DesiredStatus !== "run") continue;
    if (isLost(alloc, input.taintedNodes)) {
      if (alloc.ClientStatus !== "complete" && alloc.ClientStatus !== "failed") {
        result.stops.push({ alloc, description: ALLOC_LOST, clientStatus: "lost" });
      }
      continue;
    }
    if (
      alloc.ClientStatus === "complete" ||
      alloc.ClientStatus === "failed" ||
      alloc.ClientStatus === "lost"
    ) {
      continue;
    }
    result.stops.push({ alloc, description: why });
  }
}

function isLost(alloc: Allocation, tainted: ReadonlyMap<string, Node | null>): boolean {
  if (!tainted.has(alloc.NodeID)) return alloc.ClientStatus === "lost";
  const node = tainted.get(alloc.NodeID) ?? null;
  return node === null || node.Status === "down" || alloc.ClientStatus === "lost";
}

interface GroupContext {
  input: ReconcileInput;
  job: Job;
  result: ReconcileResult;
  /** The active deployment of the current job version, if any. */
  deployment: Deployment | null;
  newDeployment: Deployment | null;
  deploymentChanged?: boolean;
}

/** Which slots scaleDown drops first (untainted: 4 for an old version, 5 for the current one). */
const SCALE_DOWN_ORDER = {
  lost: 0,
  rescheduleNow: 1,
  migrate: 2,
  unknown: 3,
  replaceUnknown: 3,
  untainted: 4,
  done: 7,
} as const;

/**
 * One allocation's role in the group this round. `unknown`: on a disconnected node, holding its
 * slot until it reconnects or is lost (disconnect.replace = false); `replaceUnknown`: the same,
 * but a replacement is placed beside it now.
 */
interface Slot {
  alloc: Allocation;
  kind: "untainted" | "lost" | "rescheduleNow" | "migrate" | "unknown" | "replaceUnknown" | "done";
}

/** Reconciles one group; returns whether the group's part of the deployment is complete. */
function reconcileGroup(ctx: GroupContext, group: TaskGroup, allocs: readonly Allocation[]): boolean {
  return new GroupReconciler(ctx, group, allocs).run();
}

/**
 * The steps for one task group, in order: classify the allocations, scale down, replace lost and
 * failed ones, migrate off draining nodes, split updates into in-place and destructive, pace the
 * destructive ones (deployment, canaries), place missing ones, and ask for follow-up evals.
 */
class GroupReconciler {
  private readonly input: ReconcileInput;
  private readonly job: Job;
  private readonly result: ReconcileResult;
  private readonly desired: DesiredChanges = {
    place: 0,
    stop: 0,
    inPlace: 0,
    destructive: 0,
    migrate: 0,
    canary: 0,
    ignore: 0,
  };
  private readonly update: UpdateStrategy | null;
  private readonly deployment: Deployment | null;
  private readonly promoted: boolean;
  private slots: Slot[] = [];
  /** Unpromoted canaries of the current deployment (extra to the count). */
  private readonly canaries: Allocation[] = [];
  private readonly later: Array<{ alloc: Allocation; time: Nanos }> = [];
  private readonly destructive: Allocation[] = [];
  /** Running allocations of nodes that have just become disconnected (to be marked unknown). */
  private readonly disconnecting: Allocation[] = [];
  /** Allocations already unknown that may still reconnect. */
  private readonly unknown: Allocation[] = [];
  /** Unknown allocations whose client reported them again (running or pending). */
  private readonly reconnecting: Allocation[] = [];
  /** Unknown allocations whose client reported them failed. */
  private readonly failedReconnects: Allocation[] = [];

  constructor(
    private readonly ctx: GroupContext,
    private readonly group: TaskGroup,
    private readonly allocs: readonly Allocation[],
  ) {
    this.input = ctx.input;
    this.job = ctx.job;
    this.result = ctx.result;
    this.result.desired[group.Name] = this.desired;
    const update = this.input.batch ? null : (group.Update ?? this.job.Update);
    this.update = update !== null && update.MaxParallel > 0 ? update : null;
    this.deployment = ctx.deployment;
    this.promoted = this.deployment?.TaskGroups[group.Name]?.Promoted ?? false;
  }

  run(): boolean {
    this.classify();
    this.settleDisconnects();
    this.dropReplaced();
    this.scaleDown();
    this.replaceLostAndFailed();
    this.migrate();
    this.splitUpdates();
    const pacing = this.pace();
    this.placeMissing(pacing);
    this.placeCanaries(pacing);
    for (const alloc of this.destructive.slice(0, pacing.destructiveNow)) {
      this.place(alloc.Name, alloc, { description: ALLOC_UPDATING });
    }
    this.ensureDeployment(pacing);
    batchFollowUps(this.result, this.later);
    return this.deploymentComplete(pacing);
  }

  private place(
    name: string,
    previous: Allocation | null,
    stopPrevious: Placement["stopPrevious"],
    extra: Partial<Pick<Placement, "reschedule" | "canary" | "penaltyNodes">> = {},
  ): void {
    this.result.placements.push({
      group: this.group,
      name,
      previous,
      stopPrevious,
      reschedule: extra.reschedule ?? false,
      canary: extra.canary ?? false,
      penaltyNodes: extra.penaltyNodes ?? [],
    });
  }

  /** 1. Each allocation that servers still want running gets a role. */
  private classify(): void {
    const { input, group } = this;
    const policy = reschedulePolicy(group, this.job.Type);
    const disconnect = supportsDisconnect(group.Disconnect) ? group.Disconnect : null;
    for (const alloc of this.allocs) {
      if (alloc.DesiredStatus !== "run") continue;
      if (disconnect !== null && this.classifyDisconnect(alloc, disconnect)) continue;
      const tainted = input.taintedNodes.has(alloc.NodeID);
      const node = input.taintedNodes.get(alloc.NodeID) ?? null;
      // Without a disconnect window, an allocation of a disconnected node is lost at once.
      const disconnected = tainted && node?.Status === "disconnected";
      const lost = isLost(alloc, input.taintedNodes) || disconnected;
      if (alloc.DeploymentStatus?.Canary === true && !this.canaryPromoted(alloc)) {
        this.classifyCanary(alloc, lost);
        continue;
      }
      if (alloc.ClientStatus === "complete") {
        // A finished batch allocation has done its work and keeps its slot; a service one ended
        // and is replaced.
        if (input.batch) this.slots.push({ alloc, kind: "done" });
        continue;
      }
      if (alloc.ClientStatus === "failed") {
        this.classifyFailed(alloc, policy);
        continue;
      }
      if (lost) {
        this.slots.push({ alloc, kind: "lost" });
      } else if (alloc.DesiredTransition.Migrate) {
        // As Nomad's filterByTainted: a marked allocation migrates even if its node's drain ended
        // meanwhile (the drainer had already decided it moves).
        this.slots.push({ alloc, kind: "migrate" });
      } else {
        this.slots.push({ alloc, kind: "untainted" });
      }
    }
  }

  /**
   * Allocations of a group with a disconnect window (Nomad's filterByTainted for disconnected
   * clients): on a disconnected node, running ones are to be marked unknown and pending ones are
   * lost; unknown ones wait for their node until lost_after has passed (or the node is down);
   * ones the servers marked unknown that their client reports again are reconnecting. Returns
   * false for allocations the usual rules handle.
   */
  private classifyDisconnect(alloc: Allocation, disconnect: DisconnectStrategy): boolean {
    const { input } = this;
    const tainted = input.taintedNodes.has(alloc.NodeID);
    const node = input.taintedNodes.get(alloc.NodeID) ?? null;
    const nodeGone = tainted && (node === null || node.Status === "down");
    const expired =
      disconnectExpired(alloc, disconnect, input.now) ||
      (alloc.ClientStatus === "unknown" &&
        alloc.FollowupEvalID !== "" &&
        alloc.FollowupEvalID === input.evalId);
    if (tainted && node?.Status === "disconnected") {
      if (alloc.ClientStatus === "running") this.disconnecting.push(alloc);
      else if (alloc.ClientStatus === "pending") this.slots.push({ alloc, kind: "lost" });
      else if (alloc.ClientStatus === "unknown") {
        if (expired) this.slots.push({ alloc, kind: "lost" });
        else this.unknown.push(alloc);
      } else return false;
      return true;
    }
    if (alloc.ClientStatus === "unknown") {
      // The node is back but its client has not reported this allocation yet, or the node is down.
      if (expired || nodeGone) this.slots.push({ alloc, kind: "lost" });
      else this.unknown.push(alloc);
      return true;
    }
    if (!needsReconnect(alloc) || nodeGone) return false;
    if (alloc.ClientStatus === "running" || alloc.ClientStatus === "pending") {
      this.reconnecting.push(alloc);
      return true;
    }
    if (alloc.ClientStatus === "failed") {
      this.failedReconnects.push(alloc);
      return true;
    }
    return false;
  }

  /**
   * Decides what the disconnect window asks for, once every other allocation has its slot:
   * reconnected allocations first (the reconcile strategy picks which of an original and its
   * replacements keeps running; the others stop), then failed reconnects, then allocations of
   * newly disconnected nodes (marked unknown, lost at the end of the window) and those already
   * unknown. An unknown allocation whose name a live allocation holds is already replaced: it
   * stays outside the count until it reconnects or is lost.
   */
  private settleDisconnects(): void {
    const disconnect = this.group.Disconnect;
    if (!supportsDisconnect(disconnect)) return;
    const { input } = this;
    const liveSlots = (name: string): Slot[] =>
      this.slots.filter((s) => s.alloc.Name === name && (s.kind === "untainted" || s.kind === "migrate"));
    const stop = (alloc: Allocation): void => {
      this.result.stops.push({ alloc, description: ALLOC_RECONNECTED });
      this.desired.stop++;
    };
    for (const original of this.reconnecting) {
      const rivals = liveSlots(original.Name);
      let keep = original;
      for (const rival of rivals) keep = pickReconnecting(disconnect, this.group, keep, rival.alloc);
      for (const rival of rivals) if (rival.alloc !== keep) stop(rival.alloc);
      this.slots = this.slots.filter((s) => !rivals.includes(s) || s.alloc === keep);
      if (keep === original) {
        const acked = { ...original, AllocStates: withRecordedClientStatus(original, "running", input.now) };
        this.result.reconnectUpdates.push(acked);
        this.slots.push({ alloc: acked, kind: "untainted" });
      } else {
        stop(original);
      }
    }
    for (const alloc of this.failedReconnects) {
      if (liveSlots(alloc.Name).length > 0) stop(alloc);
      else this.classifyFailed(alloc, reschedulePolicy(this.group, this.job.Type));
    }
    const holdOrReplace = (alloc: Allocation): void => {
      if (liveSlots(alloc.Name).length > 0) return;
      this.slots.push({ alloc, kind: disconnect.Replace ? "replaceUnknown" : "unknown" });
    };
    const timedOut: Allocation[] = [];
    for (const alloc of this.disconnecting) {
      const unknown: Allocation = {
        ...alloc,
        ClientStatus: "unknown",
        ClientDescription: ALLOC_UNKNOWN,
        AllocStates: withRecordedClientStatus(alloc, "unknown", input.now),
      };
      this.result.disconnectUpdates.push(unknown);
      timedOut.push(unknown);
      holdOrReplace(unknown);
    }
    if (timedOut.length > 0) {
      this.result.disconnectTimeouts.push({ waitUntil: input.now + disconnect.LostAfter, allocs: timedOut });
    }
    for (const alloc of this.unknown) holdOrReplace(alloc);
  }

  /** Was the deployment this canary was placed for promoted (for this group)? */
  private canaryPromoted(alloc: Allocation): boolean {
    const deployment =
      this.deployment !== null && alloc.DeploymentID === this.deployment.ID
        ? this.deployment
        : this.input.deploymentByID?.(alloc.DeploymentID);
    return deployment?.TaskGroups[this.group.Name]?.Promoted ?? false;
  }

  /**
   * An unpromoted canary is extra to the count and never takes a slot: a live one of the current
   * deployment is kept; a failed or lost one is dropped (a new canary takes its place), and one of
   * an older deployment is stopped.
   */
  private classifyCanary(alloc: Allocation, lost: boolean): void {
    if (alloc.ClientStatus === "complete") return;
    if (alloc.ClientStatus === "failed") this.stopCanary({ alloc, description: ALLOC_NOT_NEEDED });
    else if (lost) this.stopCanary({ alloc, description: ALLOC_LOST, clientStatus: "lost" });
    else if (this.deployment !== null && alloc.DeploymentID === this.deployment.ID) this.canaries.push(alloc);
    else this.stopCanary({ alloc, description: ALLOC_OLD_CANARY });
  }

  private stopCanary(stop: Stop): void {
    this.result.stops.push(stop);
    this.desired.stop++;
  }

  private classifyFailed(alloc: Allocation, policy: ReturnType<typeof reschedulePolicy>): void {
    if (alloc.NextAllocation !== "") return;
    const decision = rescheduleDecision(alloc, policy);
    const forced = alloc.DesiredTransition.ForceReschedule;
    const followUpNow = alloc.FollowupEvalID !== "" && alloc.FollowupEvalID === this.input.evalId;
    const due = decision.time <= this.input.now + RESCHEDULE_WINDOW || followUpNow;
    if (forced || (decision.eligible && due)) {
      this.slots.push({ alloc, kind: "rescheduleNow" });
      return;
    }
    if (decision.eligible && alloc.FollowupEvalID === "") this.later.push({ alloc, time: decision.time });
    // A failed allocation that is not (yet) replaced keeps its slot, so no fresh one is placed.
    this.slots.push({ alloc, kind: "done" });
  }

  /**
   * Canaries borrow the names of the allocations they replace, so after a promotion a name can be
   * held twice: by the promoted canary and by the old allocation it replaced (or by that old
   * allocation's replacement, when it failed meanwhile). One allocation per name is kept — a
   * current-version one, healthy first, then the oldest — and the others are stopped now, so that
   * no two live allocations share a name; missing slots are then filled under fresh names.
   */
  private dropReplaced(): void {
    const version = this.job.Version;
    const keep = new Map<string, Slot>();
    // Prefer a slot that needs nothing (untainted), then the current version, then healthy, then oldest.
    const better = (a: Slot, b: Slot): boolean => {
      if ((a.kind === "untainted") !== (b.kind === "untainted")) return a.kind === "untainted";
      if ((a.alloc.JobVersion === version) !== (b.alloc.JobVersion === version))
        return a.alloc.JobVersion === version;
      const healthyA = a.alloc.DeploymentStatus?.Healthy === true;
      const healthyB = b.alloc.DeploymentStatus?.Healthy === true;
      if (healthyA !== healthyB) return healthyA;
      return a.alloc.CreateIndex < b.alloc.CreateIndex;
    };
    for (const slot of this.slots) {
      if (slot.kind === "done") continue;
      const held = keep.get(slot.alloc.Name);
      if (held === undefined || better(slot, held)) keep.set(slot.alloc.Name, slot);
    }
    this.slots = this.slots.filter((slot) => {
      if (slot.kind === "done" || keep.get(slot.alloc.Name) === slot) return true;
      if (slot.kind === "lost") {
        this.result.stops.push({ alloc: slot.alloc, description: ALLOC_LOST, clientStatus: "lost" });
      } else if (slot.kind !== "rescheduleNow") {
        this.result.stops.push({ alloc: slot.alloc, description: ALLOC_NOT_NEEDED });
      }
      this.desired.stop++;
      return false;
    });
  }

  /**
   * 2. Drop the least useful slots first, highest index first within a kind; old-version untainted
   * allocations go before current ones. (A name held twice after a promotion was already settled
   * by dropReplaced, which leaves one slot per name.)
   */
  private scaleDown(): void {
    let excess = this.slots.length - this.group.Count;
    if (excess <= 0) return;
    const version = this.job.Version;
    const rank = (slot: Slot): number => {
      if (slot.kind !== "untainted") return SCALE_DOWN_ORDER[slot.kind];
      return slot.alloc.JobVersion === version ? 5 : 4;
    };
    const removable = this.slots
      .filter((s) => s.kind !== "done")
      .sort(
        (a, b) => rank(a) - rank(b) || allocIndexFromName(b.alloc.Name) - allocIndexFromName(a.alloc.Name),
      );
    const removed = new Set<Slot>();
    for (const slot of removable) {
      if (excess <= 0) break;
      excess--;
      removed.add(slot);
      this.desired.stop++;
      if (slot.kind === "lost") {
        this.result.stops.push({ alloc: slot.alloc, description: ALLOC_LOST, clientStatus: "lost" });
      } else {
        this.result.stops.push({ alloc: slot.alloc, description: ALLOC_NOT_NEEDED });
      }
    }
    this.slots = this.slots.filter((s) => !removed.has(s));
  }

  /**
   * 3. Lost allocations are marked lost and replaced; failed ones due now are rescheduled; unknown
   * ones get a replacement beside them (they are not stopped: they may reconnect).
   */
  private replaceLostAndFailed(): void {
    for (const slot of this.slots) {
      if (slot.kind === "replaceUnknown") {
        this.desired.place++;
        this.place(slot.alloc.Name, slot.alloc, null);
      } else if (slot.kind === "lost" && this.replaceLater(slot.alloc)) {
        this.desired.ignore++;
      } else if (slot.kind === "lost") {
        // A lost allocation is marked lost whether or not its replacement finds a node.
        this.desired.place++;
        this.result.stops.push({ alloc: slot.alloc, description: ALLOC_LOST, clientStatus: "lost" });
        this.place(slot.alloc.Name, slot.alloc, null);
      } else if (slot.kind === "rescheduleNow") {
        this.desired.place++;
        this.place(
          slot.alloc.Name,
          slot.alloc,
          { description: ALLOC_RESCHEDULED },
          {
            reschedule: true,
            penaltyNodes: penaltyNodes(slot.alloc),
          },
        );
      }
    }
  }

  /**
   * Nomad's delayByStopAfterClientDisconnect: the client of a lost allocation whose group has
   * stop_on_client_after stops it that long (plus the kill timeout) after losing its servers, so
   * the replacement waits until then rather than run beside it. Until that time the allocation is
   * marked lost (recorded in AllocStates, when it is first seen lost) but keeps its slot, and a
   * follow-up eval comes back for it. Returns whether the replacement waits.
   */
  private replaceLater(alloc: Allocation): boolean {
    const stopAfter = this.group.Disconnect?.StopOnClientAfter ?? null;
    const { input } = this;
    // A node gone from the state cannot take the lost mark; nothing is gained by waiting.
    if (stopAfter === null || input.taintedNodes.get(alloc.NodeID) === null) return false;
    if (alloc.FollowupEvalID !== "" && alloc.FollowupEvalID === input.evalId) return false;
    const recorded = lastRecordedClientStatus(alloc);
    const lostAt = recorded?.Value === "lost" ? recorded.Time : input.now;
    const killMax = Math.max(0, ...this.group.Tasks.map((t) => t.KillTimeout));
    const waitUntil = lostAt + stopAfter + killMax;
    if (waitUntil <= input.now) return false;
    if (recorded?.Value !== "lost") {
      const lost: Allocation = {
        ...alloc,
        ClientStatus: "lost",
        ClientDescription: ALLOC_LOST,
        AllocStates: withRecordedClientStatus(alloc, "lost", input.now),
      };
      const batch = this.result.lostLater.find((f) => f.waitUntil === waitUntil);
      if (batch === undefined) this.result.lostLater.push({ waitUntil, allocs: [lost] });
      else batch.allocs.push(lost);
    }
    return true;
  }

  /**
   * 4. Migrate marked allocations off draining nodes (Nomad's computeMigrations): each one is
   * stopped and replaced. The drainer paces the marks (migrate.max_parallel per group, the rest at
   * the deadline), so every mark is acted on at once; the stop stands even when no node takes the
   * replacement (which then waits as a queued placement), or a drain's deadline could not end it.
   */
  private migrate(): void {
    const migrating = this.slots.filter((s) => s.kind === "migrate");
    migrating.sort((a, b) => allocIndexFromName(a.alloc.Name) - allocIndexFromName(b.alloc.Name));
    for (const slot of migrating) {
      this.desired.migrate++;
      this.result.stops.push({ alloc: slot.alloc, description: ALLOC_MIGRATING });
      this.place(slot.alloc.Name, slot.alloc, null);
    }
  }

  /** 5. Untainted allocations of older versions: in place when nothing placement-relevant changed. */
  private splitUpdates(): void {
    const { input, job, group } = this;
    // One comparison per old version, not per allocation.
    const inPlaceByVersion = new Map<number, boolean>();
    const canUpdateInPlace = (version: number): boolean => {
      let answer = inPlaceByVersion.get(version);
      if (answer === undefined) {
        const old = input.jobVersion(version);
        const oldGroup = old?.TaskGroups.find((g) => g.Name === group.Name);
        answer = old !== undefined && oldGroup !== undefined && !tasksUpdated(old, oldGroup, job, group);
        inPlaceByVersion.set(version, answer);
      }
      return answer;
    };
    for (const slot of this.slots) {
      if (slot.kind !== "untainted") continue;
      const alloc = slot.alloc;
      if (alloc.JobVersion === job.Version) {
        this.desired.ignore++;
      } else if (canUpdateInPlace(alloc.JobVersion)) {
        this.result.inPlace.push(alloc);
        this.desired.inPlace++;
      } else {
        this.destructive.push(alloc);
      }
    }
    this.destructive.sort((a, b) => allocIndexFromName(a.Name) - allocIndexFromName(b.Name));
  }

  /**
   * 6. How much of the update may happen now (Nomad's computeUnderProvisionedBy): everything
   * without a rolling update; otherwise max_parallel minus the deployment's allocations not yet
   * healthy, nothing while canaries wait for promotion, the deployment is paused or failed, or one
   * of its allocations is unhealthy.
   */
  private pace(): Pacing {
    const { update, deployment, destructive } = this;
    const paused = deployment !== null && (deployment.Status === "paused" || deployment.Status === "pending");
    const failed = deployment?.Status === "failed";
    const wantCanaries = update !== null && update.Canary > 0 && destructive.length > 0 && !this.promoted;
    const canariesToPlace =
      update !== null && wantCanaries && !paused ? Math.max(0, update.Canary - this.canaries.length) : 0;
    const canarying = wantCanaries || (this.canaries.length > 0 && !this.promoted);
    let destructiveNow = destructive.length;
    if (update !== null && destructive.length > 0) {
      if (paused || failed || canarying) destructiveNow = 0;
      else if (deployment === null) destructiveNow = Math.min(destructive.length, update.MaxParallel);
      else destructiveNow = Math.min(destructive.length, this.deploymentBudget(deployment, update));
    }
    this.desired.destructive = destructiveNow;
    this.desired.ignore += destructive.length - destructiveNow;
    // While canaries are unpromoted or the deployment is paused, only replacements go out.
    const placeNew = !(update !== null && (paused || failed || canarying));
    return { wantCanaries, canariesToPlace, canarying, destructiveNow, placeNew };
  }

  private deploymentBudget(deployment: Deployment, update: UpdateStrategy): number {
    let limit = update.MaxParallel;
    for (const alloc of this.allocs) {
      if (alloc.DeploymentID !== deployment.ID || alloc.DesiredStatus !== "run") continue;
      if (alloc.ClientStatus === "complete" || alloc.ClientStatus === "failed") continue;
      if (alloc.DeploymentStatus?.Healthy === false) return 0;
      if (alloc.DeploymentStatus?.Healthy !== true) limit--;
    }
    return Math.max(0, limit);
  }

  /** 7. New allocations for missing slots, with the lowest free name indexes. */
  private placeMissing(pacing: Pacing): void {
    if (!pacing.placeNew) return;
    const used = new Set<number>(this.slots.map((s) => allocIndexFromName(s.alloc.Name)));
    for (const canary of this.canaries) used.add(allocIndexFromName(canary.Name));
    const nextIndex = indexAllocator(used);
    const missing = Math.max(0, this.group.Count - this.slots.length);
    for (let i = 0; i < missing; i++) {
      this.desired.place++;
      this.place(allocName(this.job.ID, this.group.Name, nextIndex()), null, null);
    }
  }

  /** Canaries borrow the names of the allocations they would replace (Nomad's NextCanaries). */
  private placeCanaries(pacing: Pacing): void {
    for (let i = 0; i < pacing.canariesToPlace; i++) {
      this.desired.canary++;
      const borrowed = this.destructive[(this.canaries.length + i) % this.destructive.length] as Allocation;
      this.place(borrowed.Name, null, null, { canary: true });
    }
  }

  /** 8. A rolling update that starts gets a deployment; a group new to it gets its state. */
  private ensureDeployment(pacing: Pacing): void {
    const { ctx, update, deployment } = this;
    if (update === null) return;
    const missing = this.group.Count - this.slots.length;
    const changing =
      this.destructive.length > 0 || (pacing.placeNew && missing > 0) || pacing.canariesToPlace > 0;
    if (deployment === null && ctx.newDeployment === null && changing) {
      ctx.newDeployment = newDeployment(this.input, this.job);
    }
    if (ctx.newDeployment !== null && pacing.wantCanaries && !update.AutoPromote) {
      ctx.newDeployment.StatusDescription = DEPLOYMENT_RUNNING_CANARIES;
    }
    const target = ctx.newDeployment ?? deployment;
    if (target === null) return;
    const state = target.TaskGroups[this.group.Name];
    if (state === undefined) {
      const canaries = pacing.wantCanaries ? update.Canary : 0;
      target.TaskGroups[this.group.Name] = deploymentState(update, this.group, canaries, this.input.now);
      if (target === deployment) ctx.deploymentChanged = true;
    } else if (pacing.wantCanaries && state.DesiredCanaries !== update.Canary) {
      // The group joined this deployment while it needed no canaries (e.g. only replacing lost
      // allocations) and now has destructive updates: as in Nomad, the deployment asks for the
      // canaries it waits on, or promotion would skip the group and its rollout never resume.
      target.TaskGroups[this.group.Name] = { ...state, DesiredCanaries: update.Canary };
      if (target === deployment) ctx.deploymentChanged = true;
    }
  }

  /** The group's deployment work is complete when nothing changes and all its allocations are healthy. */
  private deploymentComplete(pacing: Pacing): boolean {
    const deployment = this.deployment;
    if (deployment === null) return true;
    const busy =
      this.result.placements.some((p) => p.group === this.group) ||
      this.destructive.length > 0 ||
      pacing.canarying ||
      !pacing.placeNew;
    if (busy) return false;
    const state = deployment.TaskGroups[this.group.Name];
    if (state === undefined) return true;
    const healthy = this.allocs.filter(
      (a) =>
        a.DeploymentID === deployment.ID && a.DesiredStatus === "run" && a.DeploymentStatus?.Healthy === true,
    ).length;
    return healthy >= state.DesiredTotal;
  }
}

interface Pacing {
  wantCanaries: boolean;
  canariesToPlace: number;
  canarying: boolean;
  destructiveNow: number;
  placeNew: boolean;
}

/** The nodes where this allocation's reschedule chain failed, to score them down. */
function penaltyNodes(alloc: Allocation): string[] {
  const nodes = new Set<string>([alloc.NodeID]);
  for (const event of alloc.RescheduleTracker?.Events ?? []) nodes.add(event.PrevNodeID);
  return [...nodes];
}

function indexAllocator(used: Set<number>): () => number {
  let next = 0;
  return () => {
    while (used.has(next)) next++;
    used.add(next);
    return next;
  };
}

function batchFollowUps(result: ReconcileResult, later: Array<{ alloc: Allocation; time: Nanos }>): void {
  later.sort((a, b) => a.time - b.time);
  let current: FollowUp | null = null;
  for (const { alloc, time } of later) {
    if (current === null || time - current.waitUntil >= FOLLOWUP_BATCH_WINDOW) {
      current = { waitUntil: time, allocs: [] };
      result.followUps.push(current);
    }
    current.allocs.push(alloc);
  }
}

function newDeployment(input: ReconcileInput, job: Job): Deployment {
  return {
    ID: input.newId(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.ModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    TaskGroups: {},
    Status: "running",
    StatusDescription: DEPLOYMENT_RUNNING,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}

/**
 * A group's deployment state. MinHealthyTime and HealthyDeadline stay in the job's update block,
 * where the deployment watcher reads them; ProgressDeadline becomes RequireProgressBy here.
 */
function deploymentState(
  update: UpdateStrategy,
  group: TaskGroup,
  canaries: number,
  now: Nanos,
): DeploymentState {
  return {
    AutoRevert: update.AutoRevert,
    AutoPromote: update.AutoPromote,
    ProgressDeadline: update.ProgressDeadline,
    RequireProgressBy: update.ProgressDeadline > 0 ? now + update.ProgressDeadline : 0,
    Promoted: false,
    PlacedCanaries: [],
    DesiredCanaries: canaries,
    DesiredTotal: group.Count,
    PlacedAllocs: 0,
    HealthyAllocs: 0,
    UnhealthyAllocs: 0,
  };
}
