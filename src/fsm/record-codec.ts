import { Packr } from "msgpackr";

/**
 * The encoding of records in LevelDB: msgpack where the commonest struct shapes are msgpackr
 * "shared structures" fixed in code, so their field names are not repeated in every stored
 * record (an allocation shrinks by about half, and decoding takes msgpackr's generated-reader fast
 * path). Objects of any other shape (or key order) are encoded as ordinary maps.
 *
 * The table below is part of the on-disk format: only ever APPEND to it (and bump nothing else);
 * removing or reordering an entry would misread stored records. The shared table never grows at
 * run time (shouldShareStructure is false), so no process ever depends on state it did not save.
 * The key lists are written out literally (they were once derived from the mock objects, so a
 * change to a mock silently reordered the evaluations' keys); record-codec.test.ts pins them.
 */
export const STATIC_STRUCTURES: readonly (readonly string[])[] = [
  // Allocation
  [
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
  ],
  // AllocatedResources
  ["Tasks", "Shared"],
  // AllocatedSharedResources
  ["DiskMB", "Networks", "Ports"],
  // AllocatedTaskResources
  ["Cpu", "Memory", "Networks"],
  // AllocatedCpuResources
  ["CpuShares"],
  // AllocatedMemoryResources
  ["MemoryMB", "MemoryMaxMB"],
  // NetworkResource
  ["Mode", "Device", "CIDR", "IP", "MBits", "ReservedPorts", "DynamicPorts"],
  // Port
  ["Label", "Value", "To", "HostNetwork"],
  // AllocatedPortMapping
  ["Label", "Value", "To", "HostIP"],
  // DesiredTransition
  ["Migrate", "Reschedule", "ForceReschedule"],
  // AllocDeploymentStatus
  ["Healthy", "Timestamp", "Canary", "ModifyIndex"],
  // AllocMetric
  [
    "NodesEvaluated",
    "NodesFiltered",
    "NodesInPool",
    "NodesAvailable",
    "ClassFiltered",
    "ConstraintFiltered",
    "NodesExhausted",
    "ClassExhausted",
    "DimensionExhausted",
    "QuotaExhausted",
    "ScoreMetaData",
    "AllocationTime",
    "CoalescedFailures",
  ],
  // NodeScoreMeta
  ["NodeID", "Scores", "NormScore"],
  // TaskState
  ["State", "Failed", "Restarts", "LastRestart", "StartedAt", "FinishedAt", "Events"],
  // TaskEvent
  ["Type", "Time", "Message", "DisplayMessage", "ExitCode", "Signal"],
  // Evaluation
  [
    "JobModifyIndex",
    "NodeID",
    "NodeModifyIndex",
    "DeploymentID",
    "Status",
    "StatusDescription",
    "Wait",
    "WaitUntil",
    "NextEval",
    "PreviousEval",
    "BlockedEval",
    "FailedTGAllocs",
    "ClassEligibility",
    "EscapedComputedClass",
    "QuotaLimitReached",
    "AnnotatePlan",
    "QueuedAllocations",
    "SnapshotIndex",
    "CreateIndex",
    "ModifyIndex",
    "CreateTime",
    "ModifyTime",
    "ID",
    "Namespace",
    "Priority",
    "Type",
    "TriggeredBy",
    "JobID",
  ],
  // Job
  [
    "Region",
    "Namespace",
    "ID",
    "Name",
    "Type",
    "Priority",
    "AllAtOnce",
    "Datacenters",
    "NodePool",
    "Constraints",
    "Affinities",
    "Spreads",
    "TaskGroups",
    "Update",
    "Periodic",
    "ParameterizedJob",
    "ParentID",
    "Dispatched",
    "Payload",
    "Meta",
    "Stop",
    "Status",
    "StatusDescription",
    "Stable",
    "Version",
    "SubmitTime",
    "CreateIndex",
    "ModifyIndex",
    "JobModifyIndex",
  ],
  // Node
  [
    "ID",
    "SecretID",
    "Datacenter",
    "Name",
    "HTTPAddr",
    "Attributes",
    "NodeResources",
    "ReservedResources",
    "Meta",
    "NodeClass",
    "NodePool",
    "ComputedClass",
    "Drivers",
    "Status",
    "StatusDescription",
    "StatusUpdatedAt",
    "SchedulingEligibility",
    "DrainStrategy",
    "CreateIndex",
    "ModifyIndex",
  ],
  // Deployment
  [
    "ID",
    "Namespace",
    "JobID",
    "JobVersion",
    "JobModifyIndex",
    "JobSpecModifyIndex",
    "JobCreateIndex",
    "TaskGroups",
    "Status",
    "StatusDescription",
    "CreateIndex",
    "ModifyIndex",
  ],
  // TaskGroupSummary
  ["Queued", "Complete", "Failed", "Running", "Starting", "Lost", "Unknown"],
  // JobSummary
  ["JobID", "Namespace", "Summary", "Children", "CreateIndex", "ModifyIndex"],
  // Namespace (namespace.ts storedNamespace's order; opaque fields make it an ordinary map)
  ["Name", "Description", "Meta", "CreateIndex", "ModifyIndex"],
  // Allocation with AllocStates (disconnected clients); the older shape above stays for stored records
  [
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
  ],
  // AllocState
  ["Field", "Value", "Time"],
  // Node, since nodes carry Events (records of the shape above still decode through it)
  [
    "ID",
    "SecretID",
    "Datacenter",
    "Name",
    "HTTPAddr",
    "Attributes",
    "NodeResources",
    "ReservedResources",
    "Meta",
    "NodeClass",
    "NodePool",
    "ComputedClass",
    "Drivers",
    "Status",
    "StatusDescription",
    "StatusUpdatedAt",
    "SchedulingEligibility",
    "DrainStrategy",
    "Events",
    "CreateIndex",
    "ModifyIndex",
  ],
  // An allocation's overlay of client-owned fields (alloc-client-overlay.ts CLIENT_FIELDS)
  ["ClientStatus", "ClientDescription", "TaskStates", "DeploymentStatus", "ModifyIndex", "ModifyTime"],
];

export class RecordCodec {
  private readonly packr = new Packr({
    structures: STATIC_STRUCTURES.map((keys) => [...keys]),
    maxSharedStructures: STATIC_STRUCTURES.length,
    shouldShareStructure: () => false,
    mapsAsObjects: true,
    moreTypes: false,
  });

  /** An encoded copy the caller may keep (msgpackr reuses its output buffer between calls). */
  pack(value: unknown): Uint8Array {
    return this.packr.pack(value).slice();
  }

  unpack(bytes: Uint8Array): unknown {
    return this.packr.unpack(bytes);
  }
}
