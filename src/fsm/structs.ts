/**
 * Drover's data model, mirroring Nomad's structs and API shapes (PascalCase fields, Nomad's
 * names and status words), so that the HTTP API can serve these objects as they are.
 *
 * Units: every duration and timestamp is a number of NANOSECONDS, as in Nomad's JSON API
 * (`MinHealthyTime: 10000000000` is 10 s; `CreateTime` is Unix time in ns). Resources use
 * Nomad's units: CPU in MHz, memory and disk in MB.
 *
 * Objects stored in the state store are frozen by convention: never mutate one that came out of
 * a store or a snapshot; copy, change, and write it back through a command.
 */

export type Nanos = number;

export const DEFAULT_NAMESPACE = "default";
export const DEFAULT_REGION = "global";
export const DEFAULT_NODE_POOL = "default";
export const ALL_NODE_POOL = "all";

// ───────────────────────── jobs ─────────────────────────

export type JobType = "service" | "batch" | "system" | "sysbatch";
export const JOB_TYPES: readonly JobType[] = ["service", "batch", "system", "sysbatch"];
export type JobStatus = "pending" | "running" | "dead";

export interface Constraint {
  LTarget: string;
  RTarget: string;
  /** =, ==, is, !=, not, <, <=, >, >=, regexp, version, semver, set_contains, set_contains_all,
   * set_contains_any, is_set, is_not_set, distinct_hosts, distinct_property */
  Operand: string;
}

export interface Affinity {
  LTarget: string;
  RTarget: string;
  Operand: string;
  /** -100..100, not 0. */
  Weight: number;
}

export interface SpreadTarget {
  Value: string;
  Percent: number;
}

export interface Spread {
  Attribute: string;
  Weight: number;
  SpreadTarget: SpreadTarget[];
}

export interface Port {
  Label: string;
  /** The host port (static when reserved; assigned by the scheduler when dynamic). */
  Value: number;
  /** The port inside the task's network namespace (0 = same as Value). */
  To: number;
  HostNetwork: string;
}

export interface NetworkResource {
  Mode: string;
  Device: string;
  CIDR: string;
  IP: string;
  MBits: number;
  ReservedPorts: Port[];
  DynamicPorts: Port[];
}

export interface Resources {
  CPU: number;
  Cores: number;
  MemoryMB: number;
  MemoryMaxMB: number;
  DiskMB: number;
  Networks: NetworkResource[];
}

export interface RestartPolicy {
  Attempts: number;
  Interval: Nanos;
  Delay: Nanos;
  Mode: "fail" | "delay";
}

export type DelayFunction = "constant" | "exponential" | "fibonacci";

export interface ReschedulePolicy {
  Attempts: number;
  Interval: Nanos;
  Delay: Nanos;
  DelayFunction: DelayFunction;
  MaxDelay: Nanos;
  Unlimited: boolean;
}

export interface MigrateStrategy {
  MaxParallel: number;
  HealthCheck: "checks" | "task_states";
  MinHealthyTime: Nanos;
  HealthyDeadline: Nanos;
}

export interface UpdateStrategy {
  Stagger: Nanos;
  /** 0 disables rolling updates (all at once, no deployment). */
  MaxParallel: number;
  HealthCheck: "checks" | "task_states" | "manual";
  MinHealthyTime: Nanos;
  HealthyDeadline: Nanos;
  ProgressDeadline: Nanos;
  AutoRevert: boolean;
  AutoPromote: boolean;
  Canary: number;
}

export interface EphemeralDisk {
  Sticky: boolean;
  SizeMB: number;
  Migrate: boolean;
}

export interface PeriodicConfig {
  Enabled: boolean;
  /** Cron expression(s); Nomad accepts several in `crons`, the first is kept in Spec. */
  Spec: string;
  SpecType: "cron";
  ProhibitOverlap: boolean;
  TimeZone: string;
}

export interface ParameterizedJobConfig {
  Payload: "optional" | "required" | "forbidden";
  MetaRequired: string[];
  MetaOptional: string[];
}

export interface LogConfig {
  MaxFiles: number;
  MaxFileSizeMB: number;
}

/**
 * When a task runs relative to the group's main tasks (Nomad's `lifecycle` block): prestart tasks
 * run to completion before the main tasks start (or, as sidecars, keep running beside them);
 * poststart tasks start once every main task is running; poststop tasks run after the main tasks
 * have stopped.
 */
export interface TaskLifecycle {
  Hook: "prestart" | "poststart" | "poststop";
  Sidecar: boolean;
}

/** Where a dispatched job's payload is written for the task (relative to its local/ dir). */
export interface DispatchPayloadConfig {
  File: string;
}

export interface Task {
  Name: string;
  Driver: string;
  User: string;
  /** Driver-specific configuration, e.g. { command, args } for exec/raw_exec. */
  Config: Record<string, unknown>;
  Env: Record<string, string>;
  Resources: Resources;
  Meta: Record<string, string>;
  Constraints: Constraint[];
  Affinities: Affinity[];
  RestartPolicy: RestartPolicy | null;
  KillTimeout: Nanos;
  KillSignal: string;
  Leader: boolean;
  LogConfig: LogConfig;
  /** null: a main task. */
  Lifecycle: TaskLifecycle | null;
  DispatchPayload: DispatchPayloadConfig | null;
}

export interface TaskGroup {
  Name: string;
  Count: number;
  Constraints: Constraint[];
  Affinities: Affinity[];
  Spreads: Spread[];
  Tasks: Task[];
  RestartPolicy: RestartPolicy;
  ReschedulePolicy: ReschedulePolicy | null;
  Update: UpdateStrategy | null;
  Migrate: MigrateStrategy | null;
  EphemeralDisk: EphemeralDisk;
  Networks: NetworkResource[];
  Meta: Record<string, string>;
  /** What happens when the group's node stops heartbeating (Nomad's disconnect block); null: none. */
  Disconnect: DisconnectStrategy | null;
}

/** Which copy keeps running when a disconnected node comes back and its allocation was replaced. */
export type DisconnectReconcile = "best_score" | "keep_original" | "keep_replacement" | "longest_running";

export const DISCONNECT_RECONCILE: readonly DisconnectReconcile[] = [
  "best_score",
  "keep_original",
  "keep_replacement",
  "longest_running",
];

/**
 * Nomad's DisconnectStrategy. The older group fields `max_client_disconnect` (= LostAfter with
 * Replace true) and `stop_after_client_disconnect` (= StopOnClientAfter) canonicalize to it.
 */
export interface DisconnectStrategy {
  /** How long the servers keep a silent node's allocations `unknown` before they are lost; 0: not at all. */
  LostAfter: Nanos;
  /** Place a replacement while the original is unknown. */
  Replace: boolean;
  Reconcile: DisconnectReconcile;
  /** How long a client that cannot reach any server keeps the group's tasks running; null: forever. */
  StopOnClientAfter: Nanos | null;
}

export interface Job {
  Region: string;
  Namespace: string;
  ID: string;
  Name: string;
  Type: JobType;
  /** 1..100, default 50. */
  Priority: number;
  AllAtOnce: boolean;
  /** Globs allowed ("dc*"); "*" matches every datacenter. */
  Datacenters: string[];
  NodePool: string;
  Constraints: Constraint[];
  Affinities: Affinity[];
  Spreads: Spread[];
  TaskGroups: TaskGroup[];
  Update: UpdateStrategy | null;
  Periodic: PeriodicConfig | null;
  ParameterizedJob: ParameterizedJobConfig | null;
  /** Set on jobs launched from a periodic or parameterized parent. */
  ParentID: string;
  Dispatched: boolean;
  /** Base64 of the dispatch payload, "" when none. */
  Payload: string;
  Meta: Record<string, string>;
  Stop: boolean;
  Status: JobStatus;
  StatusDescription: string;
  Stable: boolean;
  Version: number;
  SubmitTime: Nanos;
  CreateIndex: number;
  ModifyIndex: number;
  /** Index of the last change to the job's specification (not its status). */
  JobModifyIndex: number;
}

export interface JobTaskGroupSummary {
  Queued: number;
  Complete: number;
  Failed: number;
  Running: number;
  Starting: number;
  Lost: number;
  Unknown: number;
}

export interface JobChildrenSummary {
  Pending: number;
  Running: number;
  Dead: number;
}

export interface JobSummary {
  JobID: string;
  Namespace: string;
  Summary: Record<string, JobTaskGroupSummary>;
  Children: JobChildrenSummary;
  CreateIndex: number;
  ModifyIndex: number;
}

// ───────────────────────── nodes ─────────────────────────

export type NodeStatus = "initializing" | "ready" | "down" | "disconnected";
export type SchedulingEligibility = "eligible" | "ineligible";

export interface DriverInfo {
  Attributes: Record<string, string>;
  Detected: boolean;
  Healthy: boolean;
  HealthDescription: string;
  UpdateTime: Nanos;
}

export interface NodeResources {
  Cpu: { CpuShares: number; TotalCpuCores: number };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  Networks: NetworkResource[];
  MinDynamicPort: number;
  MaxDynamicPort: number;
}

export interface NodeReservedResources {
  Cpu: { CpuShares: number };
  Memory: { MemoryMB: number };
  Disk: { DiskMB: number };
  /** Comma-separated ports and ranges ("22,80,8000-8100") the scheduler must not hand out. */
  Networks: { ReservedHostPorts: string };
}

/**
 * Nomad's DrainStrategy (its DrainSpec fields plus when the drain started and must end). The
 * leader's drainer marks allocations for migration until none remain, then clears it.
 */
export interface DrainStrategy {
  /** How long to wait for allocations to migrate; -1 (any negative) forces now, 0 means no deadline. */
  Deadline: Nanos;
  IgnoreSystemJobs: boolean;
  /** Absolute time at which remaining allocs are stopped (0 = none). */
  ForceDeadline: Nanos;
  StartedAt: Nanos;
}

/** Something the servers recorded about a node (Nomad's NodeEvent), shown by `GET /v1/node/:id`. */
export interface NodeEvent {
  Message: string;
  /** "Drain", "Cluster", ... (Nomad's subsystems). */
  Subsystem: string;
  Details: Record<string, string>;
  Timestamp: Nanos;
  /** Set by the FSM: the Raft index that recorded the event. */
  CreateIndex: number;
}

/** Nomad's MaxRetainedNodeEvents: a node keeps its latest events only. */
export const MAX_RETAINED_NODE_EVENTS = 10;

export interface Node {
  ID: string;
  /** Shared between the client and the servers only; never served by the API. */
  SecretID: string;
  Datacenter: string;
  Name: string;
  HTTPAddr: string;
  Attributes: Record<string, string>;
  NodeResources: NodeResources;
  ReservedResources: NodeReservedResources;
  Meta: Record<string, string>;
  NodeClass: string;
  NodePool: string;
  /** Hash of the attributes that feasibility may depend on (not unique ones). */
  ComputedClass: string;
  Drivers: Record<string, DriverInfo>;
  Status: NodeStatus;
  StatusDescription: string;
  StatusUpdatedAt: Nanos;
  SchedulingEligibility: SchedulingEligibility;
  DrainStrategy: DrainStrategy | null;
  /** The servers' record of what happened to the node, oldest first, at most MAX_RETAINED_NODE_EVENTS. */
  Events: NodeEvent[];
  CreateIndex: number;
  ModifyIndex: number;
}

// ───────────────────────── evaluations ─────────────────────────

export type EvalStatus = "pending" | "blocked" | "complete" | "failed" | "canceled";

/** Nomad's EvalTrigger* values. */
export type EvalTrigger =
  | "job-register"
  | "job-deregister"
  | "periodic-job"
  | "node-drain"
  | "node-update"
  | "alloc-stop"
  | "scheduled"
  | "rolling-update"
  | "deployment-watcher"
  | "failed-follow-up"
  | "max-plan-attempts"
  | "alloc-failure"
  | "queued-allocs"
  | "preemption"
  | "job-scaling"
  | "max-disconnect-timeout"
  | "reconnect";

/** Scheduler types: the job types plus "_core" for garbage collection. */
export type SchedulerType = JobType | "_core";

/** Why placements of one task group failed: what `job status` shows a user. */
export interface AllocMetric {
  NodesEvaluated: number;
  NodesFiltered: number;
  NodesInPool: number;
  NodesAvailable: Record<string, number>;
  ClassFiltered: Record<string, number>;
  ConstraintFiltered: Record<string, number>;
  NodesExhausted: number;
  ClassExhausted: Record<string, number>;
  DimensionExhausted: Record<string, number>;
  QuotaExhausted: string[];
  /** Top node scores, for `alloc status -verbose`. */
  ScoreMetaData: Array<{ NodeID: string; Scores: Record<string, number>; NormScore: number }>;
  AllocationTime: Nanos;
  CoalescedFailures: number;
}

export interface Evaluation {
  ID: string;
  Namespace: string;
  Priority: number;
  Type: SchedulerType;
  TriggeredBy: EvalTrigger;
  JobID: string;
  JobModifyIndex: number;
  NodeID: string;
  NodeModifyIndex: number;
  DeploymentID: string;
  Status: EvalStatus;
  StatusDescription: string;
  Wait: Nanos;
  /** Absolute time before which the eval must not be scheduled (0 = none). */
  WaitUntil: Nanos;
  NextEval: string;
  PreviousEval: string;
  BlockedEval: string;
  FailedTGAllocs: Record<string, AllocMetric>;
  /** For blocked evals: computed classes known (in)eligible when it was blocked. */
  ClassEligibility: Record<string, boolean>;
  /** True when eligibility depended on a unique attribute, so any node change may unblock it. */
  EscapedComputedClass: boolean;
  QuotaLimitReached: string;
  AnnotatePlan: boolean;
  QueuedAllocations: Record<string, number>;
  /** The state index the eval must be scheduled at or after. */
  SnapshotIndex: number;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: Nanos;
  ModifyTime: Nanos;
}

// ───────────────────────── allocations ─────────────────────────

export type AllocDesiredStatus = "run" | "stop" | "evict";
export type AllocClientStatus = "pending" | "running" | "complete" | "failed" | "lost" | "unknown";

export interface TaskEvent {
  Type: string;
  Time: Nanos;
  Message: string;
  DisplayMessage: string;
  ExitCode: number;
  Signal: number;
}

export interface TaskState {
  State: "pending" | "running" | "dead";
  Failed: boolean;
  Restarts: number;
  LastRestart: Nanos;
  StartedAt: Nanos;
  FinishedAt: Nanos;
  Events: TaskEvent[];
}

export interface AllocatedPortMapping {
  Label: string;
  Value: number;
  To: number;
  HostIP: string;
}

export interface AllocatedTaskResources {
  Cpu: { CpuShares: number };
  Memory: { MemoryMB: number; MemoryMaxMB: number };
  Networks: NetworkResource[];
}

export interface AllocatedResources {
  Tasks: Record<string, AllocatedTaskResources>;
  Shared: { DiskMB: number; Networks: NetworkResource[]; Ports: AllocatedPortMapping[] };
}

export interface DesiredTransition {
  /** Set by a drain: the alloc should be migrated off its node. */
  Migrate: boolean;
  Reschedule: boolean;
  ForceReschedule: boolean;
}

export interface RescheduleEvent {
  RescheduleTime: Nanos;
  PrevAllocID: string;
  PrevNodeID: string;
  Delay: Nanos;
}

export interface AllocDeploymentStatus {
  /** undefined until the client (or deadline) decides. */
  Healthy: boolean | null;
  Timestamp: Nanos;
  Canary: boolean;
  ModifyIndex: number;
}

/** One change of an allocation's status recorded by the servers (Nomad's AllocState). */
export interface AllocState {
  Field: "ClientStatus";
  Value: AllocClientStatus;
  Time: Nanos;
}

export interface Allocation {
  ID: string;
  Namespace: string;
  EvalID: string;
  /** `job.group[i]`. */
  Name: string;
  NodeID: string;
  NodeName: string;
  JobID: string;
  /** The allocation runs this version of the job (look it up in the job versions table). */
  JobVersion: number;
  TaskGroup: string;
  AllocatedResources: AllocatedResources;
  DesiredStatus: AllocDesiredStatus;
  DesiredDescription: string;
  DesiredTransition: DesiredTransition;
  ClientStatus: AllocClientStatus;
  ClientDescription: string;
  /**
   * Status changes the servers made (an `unknown` while the node is disconnected, then `running`
   * once the reconnect is reconciled): the last ClientStatus entry says whether the allocation
   * still waits for its reconnect to be reconciled.
   */
  AllocStates: AllocState[];
  TaskStates: Record<string, TaskState>;
  DeploymentID: string;
  DeploymentStatus: AllocDeploymentStatus | null;
  RescheduleTracker: { Events: RescheduleEvent[] } | null;
  NextAllocation: string;
  PreviousAllocation: string;
  FollowupEvalID: string;
  PreemptedAllocations: string[];
  PreemptedByAllocation: string;
  /** Metrics of the placement decision (nodes evaluated, scores). */
  Metrics: AllocMetric | null;
  CreateIndex: number;
  ModifyIndex: number;
  AllocModifyIndex: number;
  CreateTime: Nanos;
  ModifyTime: Nanos;
}

// ───────────────────────── deployments ─────────────────────────

export type DeploymentStatus =
  | "running"
  | "paused"
  | "failed"
  | "successful"
  | "cancelled"
  | "pending"
  | "blocked"
  | "unblocking";

export interface DeploymentState {
  AutoRevert: boolean;
  AutoPromote: boolean;
  ProgressDeadline: Nanos;
  RequireProgressBy: Nanos;
  Promoted: boolean;
  PlacedCanaries: string[];
  DesiredCanaries: number;
  DesiredTotal: number;
  PlacedAllocs: number;
  HealthyAllocs: number;
  UnhealthyAllocs: number;
}

export interface Deployment {
  ID: string;
  Namespace: string;
  JobID: string;
  JobVersion: number;
  JobModifyIndex: number;
  JobSpecModifyIndex: number;
  JobCreateIndex: number;
  TaskGroups: Record<string, DeploymentState>;
  Status: DeploymentStatus;
  StatusDescription: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/** A change of a deployment's status carried in a plan or a deployment-watcher command. */
export interface DeploymentStatusUpdate {
  DeploymentID: string;
  Status: DeploymentStatus;
  StatusDescription: string;
}

// ───────────────────────── variables ─────────────────────────

/** Nomad variables: a small replicated key/value store. */
export interface Variable {
  Namespace: string;
  Path: string;
  Items: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
  CreateTime: Nanos;
  ModifyTime: Nanos;
}

// ───────────────────────── namespaces ─────────────────────────

/**
 * Nomad's namespace: a name that jobs, evaluations, allocations, deployments and variables are
 * scoped by. Objects can only be written into a namespace that exists; `default` always exists
 * (implicitly until someone upserts it, see namespace.ts) and can never be deleted.
 */
export interface Namespace {
  Name: string;
  Description: string;
  Meta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
  /**
   * Nomad's enterprise and newer fields (Quota, Capabilities, NodePoolConfiguration,
   * VaultConfiguration, ConsulConfiguration): stored and answered as given, not enforced.
   */
  Quota?: string;
  Capabilities?: unknown;
  NodePoolConfiguration?: unknown;
  VaultConfiguration?: unknown;
  ConsulConfiguration?: unknown;
}

// ───────────────────────── cluster settings ─────────────────────────

export interface PreemptionConfig {
  SystemSchedulerEnabled: boolean;
  SysBatchSchedulerEnabled: boolean;
  BatchSchedulerEnabled: boolean;
  ServiceSchedulerEnabled: boolean;
}

export interface SchedulerConfiguration {
  SchedulerAlgorithm: "binpack" | "spread";
  PreemptionConfig: PreemptionConfig;
  MemoryOversubscriptionEnabled: boolean;
  /** Nomad: RejectJobRegistration, PauseEvalBroker. */
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

export const DEFAULT_SCHEDULER_CONFIGURATION: SchedulerConfiguration = {
  SchedulerAlgorithm: "binpack",
  PreemptionConfig: {
    SystemSchedulerEnabled: true,
    SysBatchSchedulerEnabled: false,
    BatchSchedulerEnabled: false,
    ServiceSchedulerEnabled: false,
  },
  MemoryOversubscriptionEnabled: false,
  RejectJobRegistration: false,
  PauseEvalBroker: false,
  CreateIndex: 0,
  ModifyIndex: 0,
};

// ───────────────────────── plans ─────────────────────────

/**
 * A scheduler's output for one evaluation: what to place, stop and preempt, node by node. The
 * plan applier on the leader verifies it against the latest state and commits what fits.
 */
export interface Plan {
  EvalID: string;
  /** The broker token the worker holds for the eval (checked by the applier). */
  EvalToken: string;
  Priority: number;
  AllAtOnce: boolean;
  /** The job the plan is for (null for node-only plans such as GC). */
  JobID: string;
  Namespace: string;
  /** Allocations to stop or evict, by node (copies with DesiredStatus/Description set). */
  NodeUpdate: Record<string, Allocation[]>;
  /** Allocations to create or update in place, by node. */
  NodeAllocation: Record<string, Allocation[]>;
  /** Lower-priority allocations to evict to make room, by node. */
  NodePreemptions: Record<string, Allocation[]>;
  /** A deployment to create or update with the plan. */
  Deployment: Deployment | null;
  DeploymentUpdates: DeploymentStatusUpdate[];
  /** The state index the plan was computed at. */
  SnapshotIndex: number;
}

/** What the applier committed of a plan. */
export interface PlanResult {
  NodeUpdate: Record<string, Allocation[]>;
  NodeAllocation: Record<string, Allocation[]>;
  NodePreemptions: Record<string, Allocation[]>;
  Deployment: Deployment | null;
  DeploymentUpdates: DeploymentStatusUpdate[];
  /** Nodes whose part of the plan was rejected (did not fit the latest state). */
  RejectedNodes: string[];
  /** When non-zero, the worker must refresh its snapshot to at least this index and retry. */
  RefreshIndex: number;
  /** The Raft index at which the plan was committed (0 if nothing was). */
  AllocIndex: number;
}

// ───────────────────────── helpers ─────────────────────────

export function isTerminalClientStatus(status: AllocClientStatus): boolean {
  return status === "complete" || status === "failed" || status === "lost";
}

/** An allocation is terminal when the servers want it stopped or the client says it ended. */
export function allocTerminal(alloc: Pick<Allocation, "DesiredStatus" | "ClientStatus">): boolean {
  return alloc.DesiredStatus !== "run" || isTerminalClientStatus(alloc.ClientStatus);
}

/** The client ended the allocation (it no longer uses resources on its node). */
export function allocClientTerminal(alloc: Pick<Allocation, "ClientStatus">): boolean {
  return isTerminalClientStatus(alloc.ClientStatus);
}

/**
 * Whether a drain must now stop everything left on its node (Nomad's DrainStrategy.DeadlineTime):
 * a negative Deadline forces at once, 0 never forces, a positive one forces from ForceDeadline.
 */
export function drainDeadlineReached(strategy: DrainStrategy, now: Nanos): boolean {
  if (strategy.Deadline < 0) return true;
  return strategy.Deadline > 0 && now >= strategy.ForceDeadline;
}

export function isTerminalEvalStatus(status: EvalStatus): boolean {
  return status === "complete" || status === "failed" || status === "canceled";
}

export function allocName(jobId: string, group: string, index: number): string {
  return `${jobId}.${group}[${index}]`;
}

/** Index from an alloc name `job.group[i]`. */
export function allocIndexFromName(name: string): number {
  const open = name.lastIndexOf("[");
  return Number(name.slice(open + 1, -1));
}
