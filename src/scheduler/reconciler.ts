import type {
  Allocation,
  AllocClientStatus,
  Deployment,
  DeploymentState,
  DeploymentStatusUpdate,
  Job,
  Nanos,
  Node,
  TaskGroup,
  UpdateStrategy,
} from "../fsm/structs.js";
import { allocIndexFromName, allocName } from "../fsm/structs.js";
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

/** One allocation's role in the group this round. */
interface Slot {
  alloc: Allocation;
  kind: "untainted" | "lost" | "rescheduleNow" | "migrate" | "done";
}

/** Reconciles one group; returns whether the group's part of the deployment is complete. */
function reconcileGroup(ctx: GroupContext, group: TaskGroup, allocs: readonly Allocation[]): boolean {
  const { input, job, result } = ctx;
  const desired: DesiredChanges = {
    place: 0,
    stop: 0,
    inPlace: 0,
    destructive: 0,
    migrate: 0,
    canary: 0,
    ignore: 0,
  };
  result.desired[group.Name] = desired;
  const policy = reschedulePolicy(group, job.Type);
  const update: UpdateStrategy | null = input.batch ? null : (group.Update ?? job.Update);
  const rolling = update !== null && update.MaxParallel > 0;
  const deployment = ctx.deployment;
  const dstate = deployment?.TaskGroups[group.Name];

  // 1. Classify.
  const slots: Slot[] = [];
  const canaries: Allocation[] = [];
  const later: Array<{ alloc: Allocation; time: Nanos }> = [];
  for (const alloc of allocs) {
    if (alloc.DesiredStatus !== "run") continue;
    const tainted = input.taintedNodes.has(alloc.NodeID);
    const node = input.taintedNodes.get(alloc.NodeID) ?? null;
    if (alloc.ClientStatus === "complete") {
      // A finished batch allocation has done its work and keeps its slot; a service one ended
      // and is replaced.
      if (input.batch) slots.push({ alloc, kind: "done" });
      continue;
    }
    if (alloc.ClientStatus === "failed") {
      if (alloc.NextAllocation !== "") continue;
      const decision = rescheduleDecision(alloc, policy);
      const forced = alloc.DesiredTransition.ForceReschedule;
      const followUpNow = alloc.FollowupEvalID !== "" && alloc.FollowupEvalID === input.evalId;
      if (forced || (decision.eligible && (decision.time <= input.now + RESCHEDULE_WINDOW || followUpNow))) {
        slots.push({ alloc, kind: "rescheduleNow" });
      } else {
        if (decision.eligible && alloc.FollowupEvalID === "") later.push({ alloc, time: decision.time });
        // A failed allocation that is not (yet) replaced keeps its slot, so no fresh one is placed.
        slots.push({ alloc, kind: "done" });
      }
      continue;
    }
    if (isLost(alloc, input.taintedNodes)) {
      slots.push({ alloc, kind: "lost" });
      continue;
    }
    if (tainted && node !== null && node.Status === "disconnected" && group.MaxClientDisconnect === null) {
      slots.push({ alloc, kind: "lost" });
      continue;
    }
    if (tainted && alloc.DesiredTransition.Migrate) {
      slots.push({ alloc, kind: "migrate" });
      continue;
    }
    const isCanary = alloc.DeploymentStatus?.Canary === true;
    if (isCanary && !(dstate?.Promoted ?? false)) {
      if (deployment !== null && alloc.DeploymentID === deployment.ID) canaries.push(alloc);
      else {
        result.stops.push({ alloc, description: ALLOC_OLD_CANARY });
        desired.stop++;
      }
      continue;
    }
    slots.push({ alloc, kind: "untainted" });
  }

  // 2. Scale down: drop the least useful slots first, highest index first within a kind.
  // An old allocation whose name a current one already holds (a promoted canary took it) goes
  // before any other untainted allocation.
  const currentNames = new Set(
    slots
      .filter((s) => s.kind === "untainted" && s.alloc.JobVersion === job.Version)
      .map((s) => s.alloc.Name),
  );
  const rank = (slot: Slot): number => {
    const order = { lost: 0, rescheduleNow: 1, migrate: 2, untainted: 4, done: 7 } as const;
    if (slot.kind !== "untainted") return order[slot.kind];
    if (slot.alloc.JobVersion === job.Version) return 5;
    return currentNames.has(slot.alloc.Name) ? 3 : 4;
  };
  let excess = slots.length - group.Count;
  if (excess > 0) {
    const removable = slots
      .filter((s) => s.kind !== "done")
      .sort(
        (a, b) => rank(a) - rank(b) || allocIndexFromName(b.alloc.Name) - allocIndexFromName(a.alloc.Name),
      );
    for (const slot of removable) {
      if (excess <= 0) break;
      excess--;
      slots.splice(slots.indexOf(slot), 1);
      desired.stop++;
      if (slot.kind === "lost")
        result.stops.push({ alloc: slot.alloc, description: ALLOC_LOST, clientStatus: "lost" });
      else result.stops.push({ alloc: slot.alloc, description: ALLOC_NOT_NEEDED });
    }
  }

  // 3. Replace lost and failed allocations; migrate off draining nodes within migrate.max_parallel.
  const used = new Set<number>(slots.map((s) => allocIndexFromName(s.alloc.Name)));
  for (const canary of canaries) used.add(allocIndexFromName(canary.Name));
  const place = (p: Omit<Placement, "group">): void => {
    result.placements.push({ group, ...p });
  };
  for (const slot of slots) {
    if (slot.kind === "lost") {
      // A lost allocation is marked lost whether or not its replacement finds a node.
      desired.place++;
      result.stops.push({ alloc: slot.alloc, description: ALLOC_LOST, clientStatus: "lost" });
      place({
        name: slot.alloc.Name,
        previous: slot.alloc,
        stopPrevious: null,
        reschedule: false,
        canary: false,
        penaltyNodes: [],
      });
    } else if (slot.kind === "rescheduleNow") {
      desired.place++;
      place({
        name: slot.alloc.Name,
        previous: slot.alloc,
        stopPrevious: { description: ALLOC_RESCHEDULED },
        reschedule: true,
        canary: false,
        penaltyNodes: penaltyNodes(slot.alloc),
      });
    }
  }
  const migrating = slots.filter((s) => s.kind === "migrate");
  if (migrating.length > 0) {
    // Replacements of migrated allocations that have not started yet count against max_parallel.
    const migrated = new Set(
      input.allocs.filter((a) => a.DesiredDescription === ALLOC_MIGRATING).map((a) => a.ID),
    );
    const inFlight = allocs.filter(
      (a) => a.DesiredStatus === "run" && a.ClientStatus === "pending" && migrated.has(a.PreviousAllocation),
    ).length;
    let budget = Math.max(0, (group.Migrate?.MaxParallel ?? 1) - inFlight);
    migrating.sort((a, b) => allocIndexFromName(a.alloc.Name) - allocIndexFromName(b.alloc.Name));
    for (const slot of migrating) {
      if (budget <= 0) {
        desired.ignore++;
        continue;
      }
      budget--;
      desired.migrate++;
      place({
        name: slot.alloc.Name,
        previous: slot.alloc,
        stopPrevious: { description: ALLOC_MIGRATING },
        reschedule: false,
        canary: false,
        penaltyNodes: [],
      });
    }
  }

  // 4. Updates of untainted allocations of older versions.
  const destructive: Allocation[] = [];
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
  for (const slot of slots) {
    if (slot.kind !== "untainted") continue;
    const alloc = slot.alloc;
    if (alloc.JobVersion === job.Version) {
      desired.ignore++;
      continue;
    }
    if (canUpdateInPlace(alloc.JobVersion)) {
      result.inPlace.push(alloc);
      desired.inPlace++;
    } else {
      destructive.push(alloc);
    }
  }
  destructive.sort((a, b) => allocIndexFromName(a.Name) - allocIndexFromName(b.Name));

  // 5. Deployment pacing.
  const promoted = dstate?.Promoted ?? false;
  const paused = deployment !== null && (deployment.Status === "paused" || deployment.Status === "pending");
  const failed = deployment?.Status === "failed";
  const wantCanaries = rolling && update.Canary > 0 && destructive.length > 0 && !promoted;
  let canariesToPlace = 0;
  if (wantCanaries && !paused) canariesToPlace = Math.max(0, update.Canary - canaries.length);
  const canarying = wantCanaries || (canaries.length > 0 && !promoted);
  const missing = Math.max(0, group.Count - slots.length);

  let destructiveNow = destructive.length;
  if (rolling && destructive.length > 0) {
    if (paused || failed || canarying) destructiveNow = 0;
    else if (deployment === null) destructiveNow = Math.min(destructive.length, update.MaxParallel);
    else {
      let limit = update.MaxParallel;
      for (const alloc of allocs) {
        if (alloc.DeploymentID !== deployment.ID || alloc.DesiredStatus !== "run") continue;
        if (alloc.ClientStatus === "complete" || alloc.ClientStatus === "failed") continue;
        if (alloc.DeploymentStatus?.Healthy === false) {
          limit = 0;
          break;
        }
        if (alloc.DeploymentStatus?.Healthy !== true) limit--;
      }
      destructiveNow = Math.min(destructive.length, Math.max(0, limit));
    }
  }
  desired.destructive = destructiveNow;
  desired.ignore += destructive.length - destructiveNow;

  // New slots: while canaries are unpromoted or the deployment is paused, only replacements go out.
  const placeNew = !(rolling && (paused || failed || canarying));
  const nextIndex = indexAllocator(used);
  if (placeNew) {
    for (let i = 0; i < missing; i++) {
      desired.place++;
      place({
        name: allocName(job.ID, group.Name, nextIndex()),
        previous: null,
        stopPrevious: null,
        reschedule: false,
        canary: false,
        penaltyNodes: [],
      });
    }
  }
  for (let i = 0; i < canariesToPlace; i++) {
    desired.canary++;
    // Canaries borrow the names of the allocations they would replace (Nomad's NextCanaries).
    const borrowed = destructive[(canaries.length + i) % destructive.length] as Allocation;
    place({
      name: borrowed.Name,
      previous: null,
      stopPrevious: null,
      reschedule: false,
      canary: true,
      penaltyNodes: [],
    });
  }
  for (const alloc of destructive.slice(0, destructiveNow)) {
    place({
      name: alloc.Name,
      previous: alloc,
      stopPrevious: { description: ALLOC_UPDATING },
      reschedule: false,
      canary: false,
      penaltyNodes: [],
    });
  }

  // 6. Create the deployment when a rolling update starts.
  const changing = destructive.length > 0 || (placeNew && missing > 0) || canariesToPlace > 0;
  if (rolling && deployment === null && ctx.newDeployment === null && changing) {
    ctx.newDeployment = newDeployment(input, job);
  }
  if (ctx.newDeployment !== null && wantCanaries && !update.AutoPromote) {
    ctx.newDeployment.StatusDescription = DEPLOYMENT_RUNNING_CANARIES;
  }
  const target = ctx.newDeployment ?? deployment;
  if (rolling && target !== null && target.TaskGroups[group.Name] === undefined) {
    target.TaskGroups[group.Name] = deploymentState(
      update,
      group,
      wantCanaries ? update.Canary : 0,
      input.now,
    );
    if (target === deployment) ctx.deploymentChanged = true;
  }

  // 7. Follow-up evals for failed allocations that are not due yet.
  batchFollowUps(result, later);

  // The group's deployment work is complete when nothing changes and every allocation of the
  // deployment is healthy.
  if (deployment === null) return true;
  const busy =
    result.placements.some((p) => p.group === group) || destructive.length > 0 || canarying || !placeNew;
  if (busy) return false;
  const state = deployment.TaskGroups[group.Name];
  if (state === undefined) return true;
  const healthy = allocs.filter(
    (a) =>
      a.DeploymentID === deployment.ID && a.DesiredStatus === "run" && a.DeploymentStatus?.Healthy === true,
  ).length;
  return healthy >= state.DesiredTotal;
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
