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
  resolveToken,
  TOKEN,
  variable,
  visibleAnswer,
} from "../../acl/index.js";
import { PermissionDeniedError } from "../../common/errors.js";
import { callToken } from "../../common/request-context.js";
import { DEFAULT_NAMESPACE, type Job, type StateReader } from "../../fsm/index.js";
import { EMPTY, packValue, unpackValue } from "../../rpc/codec.js";

/** The request fields the table reads (grpc-js's decoded messages, loosely). */
type Req = Record<string, unknown>;

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
  | {
      kind: "check";
      need: (req: Req) => AclRequirement;
      target: (req: Req, state: StateReader) => AclTarget;
    };

const NODE: MethodRule = { kind: "node" };
const SERVER: MethodRule = { kind: "server" };

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

const fromField = (req: Req): AclTarget => ({ namespace: str(req["namespace"]) ?? DEFAULT_NAMESPACE });
const fromQuery = (req: Req): AclTarget => ({
  namespace: str((req["query"] as Req | null)?.["namespace"]) ?? DEFAULT_NAMESPACE,
});
const fromJob = (req: Req): AclTarget => {
  const bytes = req["job"];
  const job = bytes instanceof Uint8Array && bytes.length > 0 ? unpackValue<Partial<Job>>(bytes) : undefined;
  return { namespace: str(job?.Namespace) ?? DEFAULT_NAMESPACE };
};
const fromVar = (req: Req): AclTarget => ({
  namespace: str(req["namespace"]) ?? DEFAULT_NAMESPACE,
  path: String(req["path"] ?? ""),
});
const none = (): AclTarget => ({ namespace: DEFAULT_NAMESPACE });
/** A get by ID: the stored object's own namespace (the query's when there is no such object). */
const byId =
  (lookup: (state: StateReader, id: string) => { Namespace: string } | undefined) =>
  (req: Req, state: StateReader): AclTarget => ({
    namespace: lookup(state, String(req["id"]))?.Namespace ?? fromQuery(req).namespace,
  });

const check = (
  need: AclRequirement,
  target: (req: Req, state: StateReader) => AclTarget = none,
): MethodRule => ({
  kind: "check",
  need: () => need,
  target,
});

/** ACL reads and writes name their operation in `op`. */
const ACL_OP_NEEDS: Readonly<Record<string, AclRequirement>> = {
  resolve: PUBLIC,
  // Checks the caller's own token (the endpoint resolves it and refuses).
  "authorize-alloc": PUBLIC,
  "token-self": TOKEN,
  bootstrap: PUBLIC,
};

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
  NodeDeregister: check(coarse("node", "write")),
  NodeUpdateDrain: check(coarse("node", "write")),
  NodeUpdateEligibility: check(coarse("node", "write")),
  NodeList: check(coarse("node", "read")),
  NodeGet: check(coarse("node", "read")),
  AllocList: check(ns("read-job"), fromQuery),
  AllocGet: check(
    ns("read-job"),
    byId((s, id) => s.allocByID(id)),
  ),
  AllocStop: check(ns("alloc-lifecycle"), (req, state) => ({
    namespace: state.allocByID(String(req["allocId"]))?.Namespace ?? DEFAULT_NAMESPACE,
  })),
  JobRegister: check(ns("submit-job"), fromJob),
  JobDeregister: check(ns("submit-job"), fromField),
  JobDispatch: check(ns("dispatch-job"), fromField),
  JobList: check(ns("list-jobs"), fromQuery),
  JobGet: check(ns("read-job"), fromQuery),
  JobRelated: check(ns("read-job"), fromQuery),
  JobRevert: check(ns("submit-job"), fromField),
  JobEvaluate: check(ns("submit-job"), fromField),
  JobPeriodicForce: check(ns("submit-job"), fromField),
  JobPlan: check(ns("submit-job"), fromJob),
  JobStability: check(ns("submit-job"), fromField),
  JobScale: check(ns("scale-job"), fromField),
  DeploymentList: check(ns("read-job"), fromQuery),
  DeploymentGet: check(
    ns("read-job"),
    byId((s, id) => s.deploymentByID(id)),
  ),
  DeploymentUpdate: check(ns("submit-job"), (req, state) => ({
    namespace: state.deploymentByID(String(req["deploymentId"]))?.Namespace ?? DEFAULT_NAMESPACE,
  })),
  EvalList: check(ns("read-job"), fromQuery),
  EvalGet: check(
    ns("read-job"),
    byId((s, id) => s.evalByID(id)),
  ),
  EvalDequeue: SERVER,
  EvalAck: SERVER,
  EvalNack: SERVER,
  EvalUpsert: SERVER,
  PlanSubmit: SERVER,
  GcCommit: SERVER,
  SchedulerGetConfig: check(coarse("operator", "read")),
  SchedulerSetConfig: check(coarse("operator", "write")),
  SystemGc: check(MANAGEMENT),
  StatusLeader: check(PUBLIC),
  StatusPeers: check(PUBLIC),
  VarGet: check(variable("read"), fromVar),
  VarPut: check(variable("write"), fromVar),
  VarDelete: check(variable("destroy"), fromVar),
  VarList: check(variable("list"), fromQuery),
  NamespaceList: check(PUBLIC),
  NamespaceGet: check(PUBLIC),
  NamespaceUpsert: check(MANAGEMENT),
  NamespaceDelete: check(MANAGEMENT),
  AclRead: { kind: "check", need: (req) => ACL_OP_NEEDS[String(req["op"])] ?? MANAGEMENT, target: none },
  AclWrite: { kind: "check", need: (req) => ACL_OP_NEEDS[String(req["op"])] ?? MANAGEMENT, target: none },
};

export interface GrpcAclOptions {
  state(): StateReader;
  /** Nanoseconds since the epoch (token expiry). */
  now(): number;
}

/** The outcome of the check: refused, or admitted with the answer's filter (if any). */
export type Admission =
  | { ok: false; error: Error }
  | { ok: true; filter: ((response: Req) => Req) | undefined };

/**
 * Checks one call against the table. Answers of `check` methods are filtered for non-management
 * tokens: `items` (lists) keep what the token may see; `item` (gets) is refused when the token may
 * not see it; `variable` likewise.
 */
export function admitCall(
  options: GrpcAclOptions,
  method: string,
  request: Req,
  metadata: Metadata,
): Admission {
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
    const acl = resolveToken(state, callToken(metadata), options.now());
    checkRequirement(acl, need, rule.target(request, state));
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
