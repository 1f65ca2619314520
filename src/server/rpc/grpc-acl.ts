import type { Metadata } from "@grpc/grpc-js";
import {
  type Acl,
  type AclRequirement,
  type AclTarget,
  checkRequirement,
  coarse,
  MANAGEMENT,
  ns,
  PUBLIC,
  resolveElsewhere,
  resolveKnownToken,
  resolveToken,
  TOKEN,
  variable,
  visibleAnswer,
} from "../../acl/index.js";
import { unreachable } from "../../common/assert.js";
import { PermissionDeniedError } from "../../common/errors.js";
import { callToken } from "../../common/request-context.js";
import { DEFAULT_NAMESPACE, type Job, type StateReader } from "../../fsm/index.js";
import { EMPTY, packValue, unpackValue } from "../../rpc/codec.js";
import type { ServerApi } from "../../rpc/server-api.js";

/** The request fields the table reads (grpc-js's decoded messages, loosely). */
type Req = Record<string, unknown>;

/**
 * Where a `check` method's target (the namespace, and for variables the path) comes from:
 * - `none`: nowhere, the default namespace (for cluster-wide capabilities, which ignore it);
 * - `field`: the request's `namespace`;
 * - `query`: the `namespace` of its query options;
 * - `job`: the `Namespace` of the packed job it carries;
 * - `variable`: its `namespace` and `path`;
 * - `{ object, field }`: the namespace the stored allocation, deployment or evaluation whose ID is
 *   in the request's `field` lives in, whatever the query says; the query's when there is no such
 *   object.
 */
type TargetSource =
  | "none"
  | "field"
  | "query"
  | "job"
  | "variable"
  | { object: "alloc" | "deployment" | "eval"; field: "id" | "allocId" | "deploymentId" };

/**
 * How one method is authorized:
 * - `node`: by the node's SecretID in the request, which the endpoint checks against the stored
 *   node (Nomad's client RPCs): a client agent needs no ACL token and reaches only its own node's
 *   data. Registering a new node needs nothing more (as in Nomad; mutual TLS is what keeps
 *   strangers from joining).
 * - `server`: server-to-server (scheduler workers on followers calling the leader). Like Nomad,
 *   these rely on the TLS role of the caller's certificate when TLS is on; they carry no token.
 * - `check`: the caller's token (`x-nomad-token` metadata) must meet `need` on the target the
 *   request names; answers are then filtered as the HTTP layer filters them.
 */
type MethodRule =
  | { kind: "node" }
  | { kind: "server" }
  | { kind: "check"; need: (req: Req) => AclRequirement; target: TargetSource };

const NODE: MethodRule = { kind: "node" };
const SERVER: MethodRule = { kind: "server" };

/** A method checked against the caller's token: `need` (or what the request asks for) on `target`. */
const r = (
  need: AclRequirement | ((req: Req) => AclRequirement),
  target: TargetSource = "none",
): MethodRule => ({
  kind: "check",
  need: typeof need === "function" ? need : () => need,
  target,
});

/** ACL reads and writes name their operation in `op`; one not listed needs a management token. */
const ACL_OP_NEEDS: Readonly<Record<string, AclRequirement>> = {
  resolve: PUBLIC,
  // Checks the caller's own token (the endpoint resolves it and refuses).
  "authorize-alloc": PUBLIC,
  "token-self": TOKEN,
  bootstrap: PUBLIC,
};
const aclOp = (req: Req): AclRequirement => ACL_OP_NEEDS[String(req["op"])] ?? MANAGEMENT;

/**
 * The one table of what every gRPC method of `drover.server.Server` needs; a method missing here
 * is refused (grpc-acl.test.ts lists the service's methods against it).
 */
export const METHOD_ACL: Readonly<Record<string, MethodRule>> = {
  NodeRegister: NODE,
  NodeUpdateStatus: NODE,
  NodeHeartbeat: NODE,
  NodeGetClientAllocs: NODE,
  AllocClientUpdate: NODE,
  NodeDeregister: r(coarse("node", "write")),
  NodeUpdateDrain: r(coarse("node", "write")),
  NodeUpdateEligibility: r(coarse("node", "write")),
  NodeList: r(coarse("node", "read")),
  NodeGet: r(coarse("node", "read")),
  AllocList: r(ns("read-job"), "query"),
  AllocGet: r(ns("read-job"), { object: "alloc", field: "id" }),
  AllocStop: r(ns("alloc-lifecycle"), { object: "alloc", field: "allocId" }),
  JobRegister: r(ns("submit-job"), "job"),
  JobDeregister: r(ns("submit-job"), "field"),
  JobDispatch: r(ns("dispatch-job"), "field"),
  JobList: r(ns("list-jobs"), "query"),
  JobGet: r(ns("read-job"), "query"),
  JobRelated: r(ns("read-job"), "query"),
  JobRevert: r(ns("submit-job"), "field"),
  JobEvaluate: r(ns("submit-job"), "field"),
  JobPeriodicForce: r(ns("submit-job"), "field"),
  JobPlan: r(ns("submit-job"), "job"),
  JobStability: r(ns("submit-job"), "field"),
  JobScale: r(ns("scale-job"), "field"),
  DeploymentList: r(ns("read-job"), "query"),
  DeploymentGet: r(ns("read-job"), { object: "deployment", field: "id" }),
  DeploymentUpdate: r(ns("submit-job"), { object: "deployment", field: "deploymentId" }),
  EvalList: r(ns("read-job"), "query"),
  EvalGet: r(ns("read-job"), { object: "eval", field: "id" }),
  EvalDequeue: SERVER,
  EvalAck: SERVER,
  EvalNack: SERVER,
  EvalUpsert: SERVER,
  PlanSubmit: SERVER,
  GcCommit: SERVER,
  SchedulerGetConfig: r(coarse("operator", "read")),
  SchedulerSetConfig: r(coarse("operator", "write")),
  SystemGc: r(MANAGEMENT),
  StatusLeader: r(PUBLIC),
  StatusPeers: r(PUBLIC),
  VarGet: r(variable("read"), "variable"),
  VarPut: r(variable("write"), "variable"),
  VarDelete: r(variable("destroy"), "variable"),
  VarList: r(variable("list"), "query"),
  NamespaceList: r(PUBLIC),
  NamespaceGet: r(PUBLIC),
  NamespaceUpsert: r(MANAGEMENT),
  NamespaceDelete: r(MANAGEMENT),
  AclRead: r(aclOp),
  AclWrite: r(aclOp),
};

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function queryNamespace(req: Req): string {
  return str((req["query"] as Req | null | undefined)?.["namespace"]) ?? DEFAULT_NAMESPACE;
}

function storedNamespace(
  state: StateReader,
  object: "alloc" | "deployment" | "eval",
  id: string,
): string | undefined {
  switch (object) {
    case "alloc":
      return state.allocByID(id)?.Namespace;
    case "deployment":
      return state.deploymentByID(id)?.Namespace;
    case "eval":
      return state.evalByID(id)?.Namespace;
    default:
      return unreachable(object, "object kind");
  }
}

/** The target a `check` method's request names (see TargetSource). */
function targetOf(source: TargetSource, req: Req, state: StateReader): AclTarget {
  if (typeof source === "object") {
    const stored = storedNamespace(state, source.object, String(req[source.field]));
    return { namespace: stored ?? queryNamespace(req) };
  }
  switch (source) {
    case "none":
      return { namespace: DEFAULT_NAMESPACE };
    case "field":
      return { namespace: str(req["namespace"]) ?? DEFAULT_NAMESPACE };
    case "query":
      return { namespace: queryNamespace(req) };
    case "job": {
      const bytes = req["job"];
      const job =
        bytes instanceof Uint8Array && bytes.length > 0 ? unpackValue<Partial<Job>>(bytes) : undefined;
      return { namespace: str(job?.Namespace) ?? DEFAULT_NAMESPACE };
    }
    case "variable":
      return { namespace: str(req["namespace"]) ?? DEFAULT_NAMESPACE, path: String(req["path"] ?? "") };
    default:
      return unreachable(source, "ACL target source");
  }
}

export interface GrpcAclOptions {
  state(): StateReader;
  /** Nanoseconds since the epoch (token expiry). */
  now(): number;
  /**
   * The ACL of a token this server's state does not hold: it may have been created a moment ago
   * and not be applied here yet, so the leader decides (the HTTP layer does the same). Without
   * it, such a token is refused as unknown.
   */
  resolveUnknown?(secret: string): Promise<Acl>;
}

/**
 * A server's options: its state and clock, and `api` (its endpoints) to resolve a token its state
 * does not hold yet, which asks the leader (AclEndpoints.aclResolve).
 */
export function serverAclOptions(
  state: () => StateReader,
  now: () => number,
  api: Pick<ServerApi, "aclResolve">,
): GrpcAclOptions {
  return {
    state,
    now,
    resolveUnknown: (secret) => resolveElsewhere(api, secret),
  };
}

/** The outcome of the check: refused, or admitted with the answer's filter (if any). */
export type Admission =
  | { ok: false; error: Error }
  | { ok: true; filter: ((response: Req) => Req) | undefined };

/**
 * Checks one call against the table. Answers of `check` methods are filtered for non-management
 * tokens: `items` (lists) keep what the token may see; `item` (gets) is refused when the token may
 * not see it; `variable` likewise. Synchronous unless the token is unknown here and
 * `resolveUnknown` asks the leader.
 */
export function admitCall(
  options: GrpcAclOptions,
  method: string,
  request: Req,
  metadata: Metadata,
): Admission | Promise<Admission> {
  const rule = METHOD_ACL[method];
  if (rule === undefined) {
    return {
      ok: false,
      error: new PermissionDeniedError(`Permission denied: no ACL rule is declared for ${method}`),
    };
  }
  if (rule.kind !== "check") return { ok: true, filter: undefined };
  try {
    const need = rule.need(request);
    if (need.kind === "public") return { ok: true, filter: undefined };
    const state = options.state();
    const target = targetOf(rule.target, request, state);
    const secret = callToken(metadata);
    const known = resolveKnownToken(state, secret, options.now());
    if (known !== undefined) return decide(known, need, target);
    const resolveUnknown = options.resolveUnknown;
    if (secret === undefined || resolveUnknown === undefined) {
      // Refused as unknown (resolveToken throws, and the catch below answers).
      return decide(resolveToken(state, secret, options.now()), need, target);
    }
    return resolveUnknown(secret).then(
      (acl) => decide(acl, need, target),
      (error: unknown) => ({ ok: false, error: error as Error }),
    );
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

function decide(acl: Acl, need: AclRequirement, target: AclTarget): Admission {
  try {
    checkRequirement(acl, need, target);
    return { ok: true, filter: acl.management ? undefined : (res) => filterResponse(acl, need, res) };
  } catch (error) {
    return { ok: false, error: error as Error };
  }
}

function filterResponse(acl: Acl, need: AclRequirement, response: Req): Req {
  const out = { ...response };
  for (const field of ["items", "item", "variable"]) {
    const bytes = out[field];
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) continue;
    const visible = visibleAnswer(acl, need, unpackValue<unknown>(bytes));
    out[field] = visible === undefined ? EMPTY : packValue(visible);
  }
  return out;
}
