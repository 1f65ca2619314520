import { NotFoundError, ValidationError } from "../common/errors.js";
import type {
  Allocation,
  AllocDeploymentStatus,
  Deployment,
  Evaluation,
  Job,
  Node,
  TaskState,
} from "../fsm/index.js";
import { DEFAULT_NAMESPACE } from "../fsm/index.js";
import type { QueryMeta } from "../rpc/server-api.js";
import type { ApiRequest, ApiResponse } from "./http-server.js";
import { rfc3339 } from "./nomad-time.js";

// ── what every route answers with ──

/** The value, or a 404 that names `what` ("job web not found"). */
export function found<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new NotFoundError(`${what} not found`);
  return value;
}

export function namespaceOf(req: ApiRequest): string {
  return req.query.get("namespace") || DEFAULT_NAMESPACE;
}

export function ok(body: unknown, meta?: QueryMeta): ApiResponse {
  return meta === undefined ? { body } : { body, meta };
}

/** The request's JSON object body (400 for anything else). */
export function bodyObject(req: ApiRequest): Record<string, unknown> {
  const body = req.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError("expected a JSON object", "request body");
  }
  return body as Record<string, unknown>;
}

// ── list stubs ──

/**
 * Nomad's list stubs: list endpoints answer a summary of each object, not the whole object
 * (a job list must not carry every task's config; an alloc list of a large cluster must stay small).
 */
export function jobStub(job: Job): Record<string, unknown> {
  return {
    ID: job.ID,
    ParentID: job.ParentID,
    Name: job.Name,
    Namespace: job.Namespace,
    Datacenters: job.Datacenters,
    NodePool: job.NodePool,
    Type: job.Type,
    Priority: job.Priority,
    Periodic: job.Periodic !== null,
    ParameterizedJob: job.ParameterizedJob !== null,
    Stop: job.Stop,
    Status: job.Status,
    StatusDescription: job.StatusDescription,
    Version: job.Version,
    SubmitTime: job.SubmitTime,
    CreateIndex: job.CreateIndex,
    ModifyIndex: job.ModifyIndex,
    JobModifyIndex: job.JobModifyIndex,
  };
}

export function allocStub(alloc: Allocation): Record<string, unknown> {
  return {
    ID: alloc.ID,
    EvalID: alloc.EvalID,
    Name: alloc.Name,
    Namespace: alloc.Namespace,
    NodeID: alloc.NodeID,
    NodeName: alloc.NodeName,
    JobID: alloc.JobID,
    JobVersion: alloc.JobVersion,
    TaskGroup: alloc.TaskGroup,
    DesiredStatus: alloc.DesiredStatus,
    DesiredDescription: alloc.DesiredDescription,
    ClientStatus: alloc.ClientStatus,
    ClientDescription: alloc.ClientDescription,
    TaskStates: publicTaskStates(alloc.TaskStates),
    DeploymentStatus: publicDeploymentStatus(alloc.DeploymentStatus),
    FollowupEvalID: alloc.FollowupEvalID,
    NextAllocation: alloc.NextAllocation,
    PreviousAllocation: alloc.PreviousAllocation,
    CreateIndex: alloc.CreateIndex,
    ModifyIndex: alloc.ModifyIndex,
    CreateTime: alloc.CreateTime,
    ModifyTime: alloc.ModifyTime,
  };
}

export function nodeStub(node: Node): Record<string, unknown> {
  return {
    ID: node.ID,
    Datacenter: node.Datacenter,
    Name: node.Name,
    NodeClass: node.NodeClass,
    NodePool: node.NodePool,
    Drain: node.DrainStrategy !== null,
    SchedulingEligibility: node.SchedulingEligibility,
    Status: node.Status,
    StatusDescription: node.StatusDescription,
    HTTPAddr: node.HTTPAddr,
    CreateIndex: node.CreateIndex,
    ModifyIndex: node.ModifyIndex,
  };
}

// ── whole objects as Nomad's JSON has them ──
// Drover keeps every instant as Unix nanoseconds; where Nomad's field is a Go time.Time, the API
// answers an RFC 3339 string (nomad-time.ts), and Node.StatusUpdatedAt is Unix seconds, as Nomad's.

/** A drain strategy as Nomad's JSON shows it: its deadline and start as RFC 3339 times. */
export interface ApiDrainStrategy {
  Deadline: number;
  IgnoreSystemJobs: boolean;
  ForceDeadline: string;
  StartedAt: string;
}

export interface ApiNodeEvent {
  Message: string;
  Subsystem: string;
  Details: Record<string, string>;
  Timestamp: string;
  CreateIndex: number;
}

export type ApiNode = Omit<Node, "SecretID" | "DrainStrategy" | "Events"> & {
  Drain: boolean;
  DrainStrategy: ApiDrainStrategy | null;
  Events: ApiNodeEvent[];
};

/**
 * The node as the API shows it (Nomad's JSON): the SecretID stays between the client and the
 * servers; times of the drain and of events are RFC 3339 strings, StatusUpdatedAt is Unix seconds;
 * `Drain` says whether it drains.
 */
export function publicNode(node: Node): ApiNode {
  const { SecretID: _secret, DrainStrategy: drain, Events: events, ...rest } = node;
  return {
    ...rest,
    StatusUpdatedAt: Math.floor(node.StatusUpdatedAt / 1e9),
    Drain: drain !== null,
    DrainStrategy:
      drain === null
        ? null
        : {
            Deadline: drain.Deadline,
            IgnoreSystemJobs: drain.IgnoreSystemJobs,
            ForceDeadline: rfc3339(drain.ForceDeadline),
            StartedAt: rfc3339(drain.StartedAt),
          },
    // Nodes stored before nodes had events carry none.
    Events: (Array.isArray(events) ? events : []).map((e) => ({ ...e, Timestamp: rfc3339(e.Timestamp) })),
  };
}

export function publicAlloc(alloc: Allocation): Record<string, unknown> {
  return {
    ...alloc,
    TaskStates: publicTaskStates(alloc.TaskStates),
    DeploymentStatus: publicDeploymentStatus(alloc.DeploymentStatus),
  };
}

export function publicEval(evaluation: Evaluation): Record<string, unknown> {
  return { ...evaluation, WaitUntil: rfc3339(evaluation.WaitUntil) };
}

export function publicDeployment(deployment: Deployment): Record<string, unknown> {
  const groups: Record<string, unknown> = {};
  for (const [name, state] of Object.entries(deployment.TaskGroups)) {
    groups[name] = { ...state, RequireProgressBy: rfc3339(state.RequireProgressBy) };
  }
  return { ...deployment, TaskGroups: groups };
}

function publicTaskStates(states: Record<string, TaskState> | null): Record<string, unknown> | null {
  if (states === null) return null;
  const out: Record<string, unknown> = {};
  for (const [task, state] of Object.entries(states)) {
    out[task] = {
      ...state,
      LastRestart: rfc3339(state.LastRestart),
      StartedAt: rfc3339(state.StartedAt),
      FinishedAt: rfc3339(state.FinishedAt),
    };
  }
  return out;
}

function publicDeploymentStatus(status: AllocDeploymentStatus | null): Record<string, unknown> | null {
  return status === null ? null : { ...status, Timestamp: rfc3339(status.Timestamp) };
}
