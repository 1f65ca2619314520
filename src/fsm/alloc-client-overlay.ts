import type { Allocation } from "./structs.js";

/**
 * The fields a client's status update rewrites (apply-alloc.ts, Nomad's
 * nestedUpdateAllocFromClient) with its modify stamps; deployment health and promotion rewrite a
 * subset of them. LevelDB stores a rewrite of an allocation that changed nothing else as these
 * fields alone, an overlay on the allocation as it is stored (leveldb-layout.ts): nearly every
 * allocation gets one such update, and encoding the whole allocation again cost more than the
 * rest of its write.
 *
 * Every overlay carries all of these fields, so a newer overlay replaces an older one whole:
 * base + any earlier overlays + the newest overlay = base + the newest overlay.
 */
export const CLIENT_FIELDS = [
  "ClientStatus",
  "ClientDescription",
  "TaskStates",
  "DeploymentStatus",
  "ModifyIndex",
  "ModifyTime",
] as const;

export type AllocClientFields = Pick<Allocation, (typeof CLIENT_FIELDS)[number]>;

function isClientField(key: string): boolean {
  switch (key) {
    case "ClientStatus":
    case "ClientDescription":
    case "TaskStates":
    case "DeploymentStatus":
    case "ModifyIndex":
    case "ModifyTime":
      return true;
    default:
      return false;
  }
}

/**
 * The overlay that turns `before` into `after`, or undefined when anything else differs. Exact,
 * not a guess: `after` must have `before`'s keys in `before`'s order (the snapshot stream
 * encodes key order), all the client fields among them, and every other field the very same
 * value (Object.is: the same primitive, or the same object). Stored allocations are never
 * changed in place (snapshots rely on it), so a shared object still holds what was stored.
 * Hence base + overlay equals `after` whenever `before` equals the stored base.
 */
export function clientOverlay(before: Allocation, after: Allocation): AllocClientFields | undefined {
  const same =
    hasAllocKeys(before) && hasAllocKeys(after)
      ? sameOtherFields(before, after)
      : sameOtherFieldsOfAnyShape(before, after);
  if (!same) return undefined;
  // Always this key order: it is the overlay's shared structure (record-codec.ts).
  const overlay: AllocClientFields = {
    ClientStatus: after.ClientStatus,
    ClientDescription: after.ClientDescription,
    TaskStates: after.TaskStates,
    DeploymentStatus: after.DeploymentStatus,
    ModifyIndex: after.ModifyIndex,
    ModifyTime: after.ModifyTime,
  };
  // Whatever the loader would refuse is stored whole instead.
  return hasClientFieldTypes(overlay) ? overlay : undefined;
}

/**
 * The keys of an allocation in the order the compactor (alloc-compactor.ts) and apply build
 * them: nearly every stored allocation has exactly these, and for those sameOtherFields compares
 * field by field (a generic walk over the keys cost ~8 times as much).
 */
export const ALLOC_KEYS: readonly (keyof Allocation)[] = [
  "ID",
  "Namespace",
  "EvalID",
  "Name",
  "NodeID",
  "NodeName",
  "JobID",
  "JobVersion",
  "TaskGroup",
  "AllocatedResources",
  "DesiredStatus",
  "DesiredDescription",
  "DesiredTransition",
  "ClientStatus",
  "ClientDescription",
  "AllocStates",
  "TaskStates",
  "DeploymentID",
  "DeploymentStatus",
  "RescheduleTracker",
  "NextAllocation",
  "PreviousAllocation",
  "FollowupEvalID",
  "PreemptedAllocations",
  "PreemptedByAllocation",
  "Metrics",
  "CreateIndex",
  "ModifyIndex",
  "AllocModifyIndex",
  "CreateTime",
  "ModifyTime",
];

/** Whether `a`'s own keys are exactly ALLOC_KEYS, in that order. */
function hasAllocKeys(a: Allocation): boolean {
  let i = 0;
  for (const key in a) {
    if (key !== ALLOC_KEYS[i]) return false;
    i += 1;
  }
  return i === ALLOC_KEYS.length;
}

/** For two allocations with ALLOC_KEYS: every field but the client fields is the same (Object.is). */
function sameOtherFields(a: Allocation, b: Allocation): boolean {
  return (
    Object.is(a.ID, b.ID) &&
    Object.is(a.Namespace, b.Namespace) &&
    Object.is(a.EvalID, b.EvalID) &&
    Object.is(a.Name, b.Name) &&
    Object.is(a.NodeID, b.NodeID) &&
    Object.is(a.NodeName, b.NodeName) &&
    Object.is(a.JobID, b.JobID) &&
    Object.is(a.JobVersion, b.JobVersion) &&
    Object.is(a.TaskGroup, b.TaskGroup) &&
    Object.is(a.AllocatedResources, b.AllocatedResources) &&
    Object.is(a.DesiredStatus, b.DesiredStatus) &&
    Object.is(a.DesiredDescription, b.DesiredDescription) &&
    Object.is(a.DesiredTransition, b.DesiredTransition) &&
    Object.is(a.AllocStates, b.AllocStates) &&
    Object.is(a.DeploymentID, b.DeploymentID) &&
    Object.is(a.RescheduleTracker, b.RescheduleTracker) &&
    Object.is(a.NextAllocation, b.NextAllocation) &&
    Object.is(a.PreviousAllocation, b.PreviousAllocation) &&
    Object.is(a.FollowupEvalID, b.FollowupEvalID) &&
    Object.is(a.PreemptedAllocations, b.PreemptedAllocations) &&
    Object.is(a.PreemptedByAllocation, b.PreemptedByAllocation) &&
    Object.is(a.Metrics, b.Metrics) &&
    Object.is(a.CreateIndex, b.CreateIndex) &&
    Object.is(a.AllocModifyIndex, b.AllocModifyIndex) &&
    Object.is(a.CreateTime, b.CreateTime)
  );
}

/** sameOtherFields for allocations of any shape: the same keys in the same order, client fields among them. */
function sameOtherFieldsOfAnyShape(before: Allocation, after: Allocation): boolean {
  const keys = Object.keys(after);
  const beforeKeys = Object.keys(before);
  if (keys.length !== beforeKeys.length) return false;
  const a = after as unknown as Record<string, unknown>;
  const b = before as unknown as Record<string, unknown>;
  let clientFields = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (key !== beforeKeys[i]) return false;
    if (isClientField(key)) clientFields += 1;
    else if (!Object.is(a[key], b[key])) return false;
  }
  return clientFields === CLIENT_FIELDS.length;
}

/** Whether a decoded overlay record has the shape clientOverlay() writes. */
export function isClientFields(value: unknown): value is AllocClientFields {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  let count = 0;
  for (const key in v) {
    if (!isClientField(key)) return false;
    count += 1;
  }
  return count === CLIENT_FIELDS.length && hasClientFieldTypes(v);
}

function hasClientFieldTypes(v: Readonly<Partial<Record<keyof AllocClientFields, unknown>>>): boolean {
  return (
    typeof v.ClientStatus === "string" &&
    typeof v.ClientDescription === "string" &&
    typeof v.TaskStates === "object" &&
    v.TaskStates !== null &&
    typeof v.DeploymentStatus === "object" &&
    typeof v.ModifyIndex === "number" &&
    typeof v.ModifyTime === "number"
  );
}
