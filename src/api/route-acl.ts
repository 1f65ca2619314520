import {
  type Acl,
  type AclRequirement,
  type AclTarget,
  checkRequirement,
  coarse,
  hashSecret,
  MANAGEMENT,
  ns,
  PUBLIC,
  resolveElsewhere,
  resolveKnownToken,
  TOKEN,
  variable,
  visibleAnswer,
} from "../acl/index.js";
import { PermissionDeniedError } from "../common/errors.js";
import { ExpiringCache } from "../common/expiring-cache.js";
import { DEFAULT_NAMESPACE, type StateReader } from "../fsm/index.js";
import type { ServerApi } from "../rpc/server-api.js";
import type { ApiRequest, ApiResponse, RequestGuard } from "./http-server.js";

/**
 * Where a route's namespace comes from: `?namespace=` (default), the registered job in the body
 * (`Job.Namespace`: register and plan), the body's `Namespace` (search), or the stored object the
 * route names by ID (`alloc`, `deployment`, `eval`: the namespace it lives in, whatever the query
 * says).
 */
export type NamespaceSource =
  | "query"
  | "job-body"
  | "body"
  | { object: "alloc" | "deployment" | "eval"; param: string };

/** What one route needs: the requirement, where its namespace comes from. */
export interface RouteAcl {
  readonly need: AclRequirement;
  readonly namespace?: NamespaceSource;
}

const r = (need: AclRequirement, namespace?: NamespaceSource): RouteAcl =>
  namespace === undefined ? { need } : { need, namespace };

/**
 * The one table of what every HTTP route needs of the caller's token, keyed `METHOD pattern`
 * exactly as the route modules declare them (a HEAD is its GET). With ACLs on, a route missing
 * here is refused (403) and route-acl.test.ts fails: a new route must say what it needs.
 *
 * Answers are checked too: an object carrying a `Namespace` (an allocation, an evaluation, a
 * deployment) must be allowed by the same namespace capability, and lists keep only the objects
 * the token may see (Nomad filters lists the same way); variable lists keep the paths the token
 * may `list`.
 */
export const ROUTE_ACL: Readonly<Record<string, RouteAcl>> = {
  // status, agent, metrics
  "GET /v1/status/leader": r(PUBLIC),
  "GET /v1/status/peers": r(PUBLIC),
  "GET /v1/agent/health": r(PUBLIC),
  "GET /v1/regions": r(PUBLIC),
  "GET /v1/metrics": r(PUBLIC),
  "GET /v1/agent/self": r(coarse("agent", "read")),
  "GET /v1/agent/servers": r(coarse("agent", "read")),
  "GET /v1/agent/members": r(coarse("node", "read")),
  // jobs
  "GET /v1/jobs": r(ns("list-jobs")),
  "POST /v1/jobs": r(ns("submit-job"), "job-body"),
  "PUT /v1/jobs": r(ns("submit-job"), "job-body"),
  "POST /v1/job/:id": r(ns("submit-job"), "job-body"),
  "PUT /v1/job/:id": r(ns("submit-job"), "job-body"),
  "POST /v1/jobs/parse": r(ns("parse-job")),
  "PUT /v1/validate/job": r(ns("read-job"), "job-body"),
  "GET /v1/job/:id": r(ns("read-job")),
  "DELETE /v1/job/:id": r(ns("submit-job")),
  "POST /v1/job/:id/dispatch": r(ns("dispatch-job")),
  "GET /v1/job/:id/allocations": r(ns("read-job")),
  "GET /v1/job/:id/evaluations": r(ns("read-job")),
  "GET /v1/job/:id/summary": r(ns("read-job")),
  "GET /v1/job/:id/versions": r(ns("read-job")),
  "GET /v1/job/:id/deployments": r(ns("read-job")),
  "GET /v1/job/:id/deployment": r(ns("read-job")),
  "GET /v1/job/:id/scale": r(ns("read-job-scaling")),
  "POST /v1/job/:id/scale": r(ns("scale-job")),
  "PUT /v1/job/:id/scale": r(ns("scale-job")),
  "POST /v1/job/:id/plan": r(ns("submit-job"), "job-body"),
  "PUT /v1/job/:id/plan": r(ns("submit-job"), "job-body"),
  "POST /v1/job/:id/revert": r(ns("submit-job")),
  "PUT /v1/job/:id/revert": r(ns("submit-job")),
  "POST /v1/job/:id/stable": r(ns("submit-job")),
  "PUT /v1/job/:id/stable": r(ns("submit-job")),
  "POST /v1/job/:id/evaluate": r(ns("submit-job")),
  "PUT /v1/job/:id/evaluate": r(ns("submit-job")),
  "POST /v1/job/:id/periodic/force": r(ns("submit-job")),
  "PUT /v1/job/:id/periodic/force": r(ns("submit-job")),
  // allocations, evaluations, deployments
  "GET /v1/allocations": r(ns("read-job")),
  "GET /v1/allocation/:id": r(ns("read-job"), { object: "alloc", param: "id" }),
  "POST /v1/allocation/:id/stop": r(ns("alloc-lifecycle"), { object: "alloc", param: "id" }),
  "PUT /v1/allocation/:id/stop": r(ns("alloc-lifecycle"), { object: "alloc", param: "id" }),
  "GET /v1/client/fs/logs/:alloc": r(ns("read-logs"), { object: "alloc", param: "alloc" }),
  "GET /v1/evaluations": r(ns("read-job")),
  "GET /v1/evaluation/:id": r(ns("read-job"), { object: "eval", param: "id" }),
  "GET /v1/deployments": r(ns("read-job")),
  "GET /v1/deployment/:id": r(ns("read-job"), { object: "deployment", param: "id" }),
  ...writes(
    ["promote", "fail", "pause", "allocation-health"].map((a) => `/v1/deployment/${a}/:id`),
    {
      need: ns("submit-job"),
      namespace: { object: "deployment", param: "id" },
    },
  ),
  // nodes
  "GET /v1/nodes": r(coarse("node", "read")),
  // Counts over every namespace and node: an operator's view, so it asks operator read rather
  // than leaking other namespaces' counts to a namespace reader.
  "GET /v1/cluster/summary": r(coarse("operator", "read")),
  "GET /v1/node/:id": r(coarse("node", "read")),
  "GET /v1/node/:id/allocations": r(coarse("node", "read")),
  ...writes(["/v1/node/:id/drain", "/v1/node/:id/purge"], r(coarse("node", "write"))),
  "POST /v1/node/:id/eligibility": r(coarse("node", "write")),
  // variables
  "GET /v1/vars": r(variable("list")),
  "GET /v1/var/:path*": r(variable("read")),
  "PUT /v1/var/:path*": r(variable("write")),
  "POST /v1/var/:path*": r(variable("write")),
  "DELETE /v1/var/:path*": r(variable("destroy")),
  // namespaces: names and descriptions are readable by anyone (Nomad filters the list instead)
  "GET /v1/namespaces": r(PUBLIC),
  "GET /v1/namespace/:name": r(PUBLIC),
  ...writes(["/v1/namespace", "/v1/namespace/:name"], r(MANAGEMENT)),
  "DELETE /v1/namespace/:name": r(MANAGEMENT),
  // operator and system
  "GET /v1/operator/raft/configuration": r(coarse("operator", "read")),
  "DELETE /v1/operator/raft/peer": r(coarse("operator", "write")),
  "PUT /v1/operator/raft/transfer-leadership": r(coarse("operator", "write")),
  "GET /v1/operator/autopilot/health": r(coarse("operator", "read")),
  "GET /v1/operator/autopilot/configuration": r(coarse("operator", "read")),
  "GET /v1/operator/scheduler/configuration": r(coarse("operator", "read")),
  ...writes(["/v1/operator/scheduler/configuration"], r(coarse("operator", "write"))),
  "GET /v1/operator/snapshot": r(MANAGEMENT),
  "PUT /v1/operator/snapshot": r(MANAGEMENT),
  "PUT /v1/system/gc": r(MANAGEMENT),
  // The event stream carries every topic (jobs of every namespace, nodes): management only.
  "GET /v1/event/stream": r(MANAGEMENT),
  "POST /v1/search/fuzzy": r(ns("read-job"), "body"),
  // ACLs: the bootstrap is open (it works once); tokens read themselves; the rest is management.
  ...writes(["/v1/acl/bootstrap"], r(PUBLIC)),
  "GET /v1/acl/policies": r(MANAGEMENT),
  "GET /v1/acl/policy/:name": r(MANAGEMENT),
  ...writes(["/v1/acl/policy/:name"], r(MANAGEMENT)),
  "DELETE /v1/acl/policy/:name": r(MANAGEMENT),
  "GET /v1/acl/tokens": r(MANAGEMENT),
  ...writes(["/v1/acl/token"], r(MANAGEMENT)),
  "GET /v1/acl/token/self": r(TOKEN),
  "GET /v1/acl/token/:accessor": r(MANAGEMENT),
  ...writes(["/v1/acl/token/:accessor"], r(MANAGEMENT)),
  "DELETE /v1/acl/token/:accessor": r(MANAGEMENT),
};

/** The same rule for POST and PUT of each path (Nomad accepts both for writes). */
function writes(paths: readonly string[], rule: RouteAcl): Record<string, RouteAcl> {
  const out: Record<string, RouteAcl> = {};
  for (const path of paths) {
    out[`POST ${path}`] = rule;
    out[`PUT ${path}`] = rule;
  }
  return out;
}

export function routeAclOf(method: string, pattern: string): RouteAcl | undefined {
  return ROUTE_ACL[`${method.toUpperCase()} ${pattern}`];
}

export interface RouteGuardOptions {
  /** What the token (undefined: none was sent) may do; throws PermissionDeniedError when unknown. */
  resolve(secret: string | undefined): Promise<Acl>;
  /** The namespace of a stored allocation or deployment, undefined when there is no such object. */
  namespaceOfObject(object: "alloc" | "deployment" | "eval", id: string): Promise<string | undefined>;
}

function bodyField(body: unknown, ...path: string[]): unknown {
  let value: unknown = body;
  for (const key of path) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The HTTP layer's ACL check (`RequestGuard`): resolves the token, checks the route's requirement
 * before the handler runs, and returns the check of the answer (objects of other namespaces are
 * refused or filtered out).
 */
export class RouteGuard implements RequestGuard {
  constructor(private readonly options: RouteGuardOptions) {}

  async admit(
    method: string,
    pattern: string,
    request: ApiRequest,
    token: string | undefined,
  ): Promise<((response: ApiResponse) => ApiResponse) | undefined> {
    const rule = routeAclOf(method, pattern);
    if (rule === undefined) {
      // Fail closed: a route nobody classified is nobody's to call.
      throw new PermissionDeniedError(`Permission denied: no ACL rule is declared for ${method} ${pattern}`);
    }
    if (rule.need.kind === "public") return undefined;
    const acl = await this.options.resolve(token);
    const target = await this.target(rule, request);
    checkRequirement(acl, rule.need, target);
    if (acl.management) return undefined;
    return (response) =>
      response.body === undefined
        ? response
        : { ...response, body: visibleAnswer(acl, rule.need, response.body) };
  }

  private async target(rule: RouteAcl, request: ApiRequest): Promise<AclTarget> {
    const query = nonEmpty(request.query.get("namespace"));
    let namespace = query ?? DEFAULT_NAMESPACE;
    const source = rule.namespace ?? "query";
    if (source === "job-body") {
      namespace = nonEmpty(bodyField(request.body, "Job", "Namespace")) ?? namespace;
    } else if (source === "body") {
      namespace = nonEmpty(bodyField(request.body, "Namespace")) ?? namespace;
    } else if (typeof source === "object") {
      const id = request.params[source.param];
      const stored = id === undefined ? undefined : await this.options.namespaceOfObject(source.object, id);
      // An unknown object: the handler answers 404 (checked against the query's namespace).
      namespace = stored ?? namespace;
    }
    const path = request.params["path"];
    return path === undefined ? { namespace } : { namespace, path };
  }
}

/** How a client agent caches resolved tokens (Nomad's `acl { token_ttl }`). */
export interface TokenCacheOptions {
  /** How long a resolution (or a refusal) is reused; 0 asks a server on every request. */
  ttlMs: number;
  /** Clock in ms (default Date.now). */
  now?: () => number;
}

/** The most tokens a client agent keeps resolved at once. */
const CACHED_TOKENS_MAX = 4096;

/**
 * How an agent's HTTP layer resolves tokens: a server from its own replicated state (as Nomad
 * does: no leader round trip per request), a client agent by asking its servers (the token
 * travels in the call's metadata). Object namespaces (an allocation's, a deployment's) come from
 * a stale read.
 *
 * A client agent reuses what a server answered, a refusal included, for `tokens.ttlMs`, as
 * Nomad's clients do: a deleted token, or a changed policy, takes up to that long to reach a
 * client's HTTP API. A token's expiry travels with the answer and holds on time. Only servers'
 * answers are kept; an error reaching them is not.
 */
export function agentGuardOptions(
  api: ServerApi,
  state: (() => StateReader) | undefined,
  tokens: TokenCacheOptions = { ttlMs: 0 },
): RouteGuardOptions {
  const now = tokens.now ?? Date.now;
  const cache = new ExpiringCache<{ acl: Acl } | { refused: string }>(tokens.ttlMs, CACHED_TOKENS_MAX);
  const askServer = async (secret: string | undefined): Promise<Acl> => {
    const key = secret === undefined || secret === "" ? "" : hashSecret(secret);
    const cached = cache.get(key, now());
    if (cached !== undefined) {
      if ("refused" in cached) throw new PermissionDeniedError(cached.refused);
      // A reused answer must not outlive the token.
      const expires = cached.acl.expirationTime;
      if (expires === 0 || now() * 1e6 < expires) return cached.acl;
      throw new PermissionDeniedError("Permission denied: ACL token expired");
    }
    try {
      const acl = await resolveElsewhere(api, secret);
      cache.set(key, { acl }, now());
      return acl;
    } catch (error) {
      if (error instanceof PermissionDeniedError) cache.set(key, { refused: error.message }, now());
      throw error;
    }
  };
  return {
    resolve: async (secret) => {
      if (state === undefined) return askServer(secret);
      // A token this server has not applied yet (created a moment ago) is the leader's to
      // resolve: aclResolve asks it. Any other answer comes from the local state.
      const known = resolveKnownToken(state(), secret, Date.now() * 1e6);
      return known ?? resolveElsewhere(api, secret);
    },
    namespaceOfObject: async (object, id) => {
      if (state !== undefined) {
        const view = state();
        if (object === "alloc") return view.allocByID(id)?.Namespace;
        return (object === "eval" ? view.evalByID(id) : view.deploymentByID(id))?.Namespace;
      }
      const query = { stale: true };
      if (object === "alloc") return (await api.allocGet(id, query)).value?.Namespace;
      if (object === "eval") return (await api.evalGet(id, query)).value?.Namespace;
      return (await api.deploymentGet(id, query)).value?.Namespace;
    },
  };
}
