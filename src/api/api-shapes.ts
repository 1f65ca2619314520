import type { Allocation, Job, Node } from "../fsm/index.js";
import { DEFAULT_NAMESPACE } from "../fsm/index.js";
import type { QueryMeta } from "../rpc/server-api.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import type { ApiRequest, ApiResponse } from "./http-server.js";

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
    TaskStates: alloc.TaskStates,
    DeploymentStatus: alloc.DeploymentStatus,
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

/** Go's zero time, which Nomad shows for a time never set (a drain without a deadline). */
const ZERO_TIME = "0001-01-01T00:00:00Z";

function rfc3339(ns: number): string {
  return ns === 0 ? ZERO_TIME : new Date(Math.floor(ns / 1e6)).toISOString();
}

/**
 * The node as the API shows it (Nomad's JSON): the SecretID stays between the client and the
 * servers; times of the drain and of events are RFC 3339 strings; `Drain` says whether it drains.
 */
export function publicNode(node: Node): ApiNode {
  const { SecretID: _secret, DrainStrategy: drain, Events: events, ...rest } = node;
  return {
    ...rest,
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
