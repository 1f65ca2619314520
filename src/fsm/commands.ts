import type { AclPolicySpec, AclTokenSpec } from "./acl.js";
import type { NamespaceSpec } from "./namespace.js";
import type {
  Allocation,
  AllocClientStatus,
  AllocDeploymentStatus,
  Deployment,
  DeploymentStatusUpdate,
  DesiredTransition,
  DrainStrategy,
  Evaluation,
  Job,
  Nanos,
  Node,
  NodeEvent,
  NodeStatus,
  SchedulerConfiguration,
  SchedulingEligibility,
  TaskState,
  Variable,
} from "./structs.js";

/**
 * The commands Raft replicates, a discriminated union on `type` (docs/architecture.md, invariant 2):
 * every ID and timestamp a command needs is chosen by the proposer and carried in the command, so
 * `apply()` is a pure function of the state and the entry. Each command is applied at its Raft
 * index, which becomes the CreateIndex/ModifyIndex of what it writes.
 *
 * Fields use Nomad's PascalCase (they mirror Nomad's *Request structs) so that RPC handlers can
 * pass API objects through unchanged.
 */

/** Register (create or update) a job, with the eval that schedules it. */
export interface JobRegisterCommand {
  type: "job-register";
  /** The job as submitted. Version, indexes and Status are set by apply. */
  Job: Job;
  Eval: Evaluation | null;
}

/** Stop a job (a new version with Stop=true) or purge it (remove job, versions and summary). */
export interface JobDeregisterCommand {
  type: "job-deregister";
  Namespace: string;
  JobID: string;
  Purge: boolean;
  /** SubmitTime of the stopped version. */
  SubmitTime: Nanos;
  Eval: Evaluation | null;
}

export interface EvalUpsertCommand {
  type: "eval-upsert";
  Evals: Evaluation[];
}

/** Garbage collection of evaluations and their allocations (Nomad's EvalDeleteRequest). */
export interface EvalDeleteCommand {
  type: "eval-delete";
  EvalIDs: string[];
  AllocIDs: string[];
}

/** The plan applier's commit: one Raft entry for one (partially) accepted plan. */
export interface PlanApplyCommand {
  type: "plan-apply";
  /** The eval the plan was computed for ("" when none). */
  EvalID: string;
  /** Allocations to stop, by node: ID, DesiredStatus, DesiredDescription (and ClientStatus "lost"). */
  NodeUpdate: Record<string, Allocation[]>;
  /** Allocations to create, or update in place, by node (full objects). */
  NodeAllocation: Record<string, Allocation[]>;
  /** Allocations evicted to make room, by node: ID and PreemptedByAllocation. */
  NodePreemptions: Record<string, Allocation[]>;
  Deployment: Deployment | null;
  DeploymentUpdates: DeploymentStatusUpdate[];
  /** Evals created with the plan (e.g. for preempted jobs), upserted in the same entry. */
  Evals: Evaluation[];
  /** CreateTime/ModifyTime of the written allocations. */
  Now: Nanos;
}

export interface NodeRegisterCommand {
  type: "node-register";
  Nodes: Node[];
  Evals: Evaluation[];
}

export interface NodeDeregisterCommand {
  type: "node-deregister";
  NodeIDs: string[];
  Evals: Evaluation[];
}

export interface NodeStatusUpdate {
  NodeID: string;
  Status: NodeStatus;
  StatusDescription: string;
  UpdatedAt: Nanos;
}

export interface NodeStatusCommand {
  type: "node-status";
  Updates: NodeStatusUpdate[];
  Evals: Evaluation[];
}

export interface NodeDrainUpdate {
  NodeID: string;
  /** null ends the drain. */
  DrainStrategy: DrainStrategy | null;
  /** When ending a drain, make the node eligible again. */
  MarkEligible: boolean;
  UpdatedAt: Nanos;
  /** Appended to the node's events (its CreateIndex set by the FSM); null records nothing. */
  Event: NodeEvent | null;
  /**
   * When set, the update applies only while the node still runs the drain that started at this
   * time: the drainer's completion must not end a drain that an operator cancelled or replaced
   * while the completion was being committed.
   */
  IfDrainStartedAt: Nanos | null;
}

export interface NodeDrainCommand {
  type: "node-drain";
  Updates: NodeDrainUpdate[];
  Evals: Evaluation[];
}

export interface NodeEligibilityUpdate {
  NodeID: string;
  Eligibility: SchedulingEligibility;
  UpdatedAt: Nanos;
}

export interface NodeEligibilityCommand {
  type: "node-eligibility";
  Updates: NodeEligibilityUpdate[];
  Evals: Evaluation[];
}

/** What a client reports about one of its allocations. */
export interface AllocClientUpdate {
  ID: string;
  ClientStatus: AllocClientStatus;
  ClientDescription: string;
  TaskStates: Record<string, TaskState>;
  /** null leaves the stored deployment status unchanged. */
  DeploymentStatus: AllocDeploymentStatus | null;
  ModifyTime: Nanos;
}

export interface AllocClientUpdateCommand {
  type: "alloc-client-update";
  Allocs: AllocClientUpdate[];
  /** Follow-up evals (e.g. for failed allocs to reschedule). */
  Evals: Evaluation[];
}

export interface AllocDesiredTransitionCommand {
  type: "alloc-desired-transition";
  /** Alloc ID → the transition to set. */
  Transitions: Record<string, DesiredTransition>;
  Evals: Evaluation[];
}

export interface DeploymentStatusCommand {
  type: "deployment-status";
  Update: DeploymentStatusUpdate;
  /** A job to register with the update (auto-revert to a stable version). */
  Job: Job | null;
  Eval: Evaluation | null;
}

export interface DeploymentPromoteCommand {
  type: "deployment-promote";
  DeploymentID: string;
  /** Promote every group (otherwise only `Groups`). */
  All: boolean;
  Groups: string[];
  Eval: Evaluation | null;
}

export interface DeploymentAllocHealthCommand {
  type: "deployment-alloc-health";
  DeploymentID: string;
  HealthyAllocationIDs: string[];
  UnhealthyAllocationIDs: string[];
  Timestamp: Nanos;
  DeploymentUpdate: DeploymentStatusUpdate | null;
  Job: Job | null;
  Eval: Evaluation | null;
}

export interface SchedulerConfigCommand {
  type: "scheduler-config";
  Config: SchedulerConfiguration;
  /** When not null, set only if the stored config's ModifyIndex equals it. */
  CAS: number | null;
}

/**
 * Marks one version of a job stable or not (Nomad's Job.Stability, `POST /v1/job/:id/stable`):
 * the version's record and, when it is the current version, the job itself.
 */
export interface JobStabilityCommand {
  type: "job-stability";
  Namespace: string;
  JobID: string;
  JobVersion: number;
  Stable: boolean;
}

export interface VarPutCommand {
  type: "var-put";
  Var: Pick<Variable, "Namespace" | "Path" | "Items">;
  /** null: unconditional. 0: only if absent. n: only if the stored ModifyIndex is n. */
  CAS: number | null;
  Now: Nanos;
}

export interface VarDeleteCommand {
  type: "var-delete";
  Namespace: string;
  Path: string;
  CAS: number | null;
}

/**
 * Create or update namespaces in one entry (Nomad's Namespace.UpsertNamespaces). Every spec is
 * checked before any is written: one invalid spec rejects the whole batch.
 */
export interface NamespaceUpsertCommand {
  type: "namespace-upsert";
  Namespaces: NamespaceSpec[];
}

/**
 * Delete namespaces (Nomad's Namespace.DeleteNamespaces). Refused as a whole when one is
 * `default`, does not exist, or still holds a job that is not dead or any variable.
 */
export interface NamespaceDeleteCommand {
  type: "namespace-delete";
  Names: string[];
}

/** Create or update ACL policies in one entry; one invalid policy rejects the batch. */
export interface AclPolicyUpsertCommand {
  type: "acl-policy-upsert";
  Policies: AclPolicySpec[];
}

export interface AclPolicyDeleteCommand {
  type: "acl-policy-delete";
  Names: string[];
}

/**
 * Create or update ACL tokens in one entry. The AccessorID, hashed secret and CreateTime were
 * chosen before proposing (apply has no randomness and no clock).
 */
export interface AclTokenUpsertCommand {
  type: "acl-token-upsert";
  Tokens: AclTokenSpec[];
}

export interface AclTokenDeleteCommand {
  type: "acl-token-delete";
  AccessorIDs: string[];
}

/**
 * The one-time bootstrap: stores `Token` (a management token) and records that the bootstrap
 * happened. Decided here, in log order, so that of two concurrent bootstraps exactly one wins
 * whichever servers took them; the second is rejected.
 */
export interface AclBootstrapCommand {
  type: "acl-bootstrap";
  Token: AclTokenSpec;
}

/** Garbage collection in batches (the core scheduler's output). */
export interface GcDeleteCommand {
  type: "gc-delete";
  EvalIDs: string[];
  AllocIDs: string[];
  Jobs: Array<{ Namespace: string; ID: string }>;
  NodeIDs: string[];
  DeploymentIDs: string[];
}

/**
 * What the core scheduler (eval Type "_core") asks to delete; the server commits it as the
 * `gc-delete` command. Everything listed was terminal and older than its threshold in the
 * snapshot; the store deletes whatever of it still exists.
 */
export type GcRequest = Omit<GcDeleteCommand, "type">;

/**
 * Replace the whole state with a snapshot (`PUT /v1/operator/snapshot`): the bytes are an FSM
 * snapshot stream (snapshot-stream.ts), applied at this entry's index on every server, so the
 * restore is replicated like any write. Records keep their own indexes; every table's index
 * becomes the entry's.
 */
export interface SnapshotRestoreCommand {
  type: "snapshot-restore";
  Snapshot: Uint8Array;
}

export type Command =
  | JobRegisterCommand
  | JobDeregisterCommand
  | EvalUpsertCommand
  | EvalDeleteCommand
  | PlanApplyCommand
  | NodeRegisterCommand
  | NodeDeregisterCommand
  | NodeStatusCommand
  | NodeDrainCommand
  | NodeEligibilityCommand
  | AllocClientUpdateCommand
  | AllocDesiredTransitionCommand
  | DeploymentStatusCommand
  | DeploymentPromoteCommand
  | DeploymentAllocHealthCommand
  | SchedulerConfigCommand
  | JobStabilityCommand
  | VarPutCommand
  | VarDeleteCommand
  | NamespaceUpsertCommand
  | NamespaceDeleteCommand
  | AclPolicyUpsertCommand
  | AclPolicyDeleteCommand
  | AclTokenUpsertCommand
  | AclTokenDeleteCommand
  | AclBootstrapCommand
  | GcDeleteCommand
  | SnapshotRestoreCommand;

export type CommandType = Command["type"];

// ───────────────────────── results ─────────────────────────

export interface JobRegisterResult {
  JobModifyIndex: number;
  Version: number;
  EvalID: string;
  EvalCreateIndex: number;
}

export interface JobDeregisterResult {
  JobModifyIndex: number;
  EvalID: string;
  EvalCreateIndex: number;
}

/** The index at which the command's writes happened. */
export interface IndexResult {
  Index: number;
}

export interface PlanApplyResult {
  AllocIndex: number;
  /** Allocations written (placed + updated + stopped + preempted). */
  AllocsWritten: number;
}

export type SchedulerConfigResult = { Updated: boolean; Index: number };

export type VarPutResult =
  | { ok: true; Var: Variable }
  /** CAS failed: `Current` is the stored variable (null when absent). */
  | { ok: false; Current: Variable | null };

export type VarDeleteResult = { ok: true; Index: number } | { ok: false; Current: Variable | null };

export interface SnapshotRestoreResult {
  Index: number;
  /** Records restored. */
  Records: number;
}

export interface CommandResults {
  "job-register": JobRegisterResult;
  "job-deregister": JobDeregisterResult;
  "eval-upsert": IndexResult;
  "eval-delete": IndexResult;
  "plan-apply": PlanApplyResult;
  "node-register": IndexResult;
  "node-deregister": IndexResult;
  "node-status": IndexResult;
  "node-drain": IndexResult;
  "node-eligibility": IndexResult;
  "alloc-client-update": IndexResult;
  "alloc-desired-transition": IndexResult;
  "deployment-status": IndexResult;
  "deployment-promote": IndexResult;
  "deployment-alloc-health": IndexResult;
  "scheduler-config": SchedulerConfigResult;
  "job-stability": IndexResult;
  "var-put": VarPutResult;
  "var-delete": VarDeleteResult;
  "namespace-upsert": IndexResult;
  "namespace-delete": IndexResult;
  "acl-policy-upsert": IndexResult;
  "acl-policy-delete": IndexResult;
  "acl-token-upsert": IndexResult;
  "acl-token-delete": IndexResult;
  "acl-bootstrap": IndexResult;
  "gc-delete": IndexResult;
  "snapshot-restore": SnapshotRestoreResult;
}

export type ResultOf<C extends Command> = CommandResults[C["type"]];
export type CommandResult = CommandResults[CommandType];

export const COMMAND_TYPES: readonly CommandType[] = [
  "job-register",
  "job-deregister",
  "eval-upsert",
  "eval-delete",
  "plan-apply",
  "node-register",
  "node-deregister",
  "node-status",
  "node-drain",
  "node-eligibility",
  "alloc-client-update",
  "alloc-desired-transition",
  "deployment-status",
  "deployment-promote",
  "deployment-alloc-health",
  "scheduler-config",
  "job-stability",
  "var-put",
  "var-delete",
  "namespace-upsert",
  "namespace-delete",
  "acl-policy-upsert",
  "acl-policy-delete",
  "acl-token-upsert",
  "acl-token-delete",
  "acl-bootstrap",
  "gc-delete",
  "snapshot-restore",
];
