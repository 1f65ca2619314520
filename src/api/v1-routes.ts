import { ValidationError } from "../common/errors.js";
import type { AgentMetrics } from "../common/metrics.js";
import type { DrainStrategy } from "../fsm/index.js";
import { jobFromApiInput, parseJobHcl } from "../jobspec/index.js";
import type { ServerApi } from "../rpc/server-api.js";
import { aclRoutes } from "./acl-routes.js";
import {
  allocStub,
  bodyObject,
  found,
  jobStub,
  namespaceOf,
  nodeStub,
  ok,
  publicAlloc,
  publicEval,
  publicNode,
} from "./api-shapes.js";
import { deploymentRoutes } from "./deployment-routes.js";
import { HttpError } from "./http-error.js";
import type { ApiRequest, ApiResponse, Handler } from "./http-server.js";
import { jobLifecycleRoutes } from "./job-routes.js";
import { listQuery, pageHeaders, pageOf } from "./list-paging.js";
import { nomadMetricsJson } from "./metrics-json.js";
import { namespaceRoutes } from "./namespace-routes.js";
import { operatorConfigRoutes } from "./operator-config-routes.js";
import { flagParam, intParam, queryOptions } from "./query-params.js";
import {
  JOB_DISPATCH,
  JOB_PARSE,
  JOB_REGISTER,
  JOB_VALIDATE,
  NODE_DRAIN,
  NODE_ELIGIBILITY,
  VAR_PUT,
} from "./request-schemas.js";
import { Router } from "./router.js";
import { summaryRoutes } from "./summary-routes.js";

/** What `/v1/agent/self` and friends say about the agent serving the request. */
export interface AgentInfo {
  name: string;
  region: string;
  datacenter: string;
  rpcAddress: string;
  httpAddress: string;
  server: boolean;
  /** Whether this agent runs a client (a `--dev` agent runs both). */
  client: boolean;
  /** The effective configuration (flags and config file merged). */
  config: Record<string, unknown>;
}

/** What a server agent adds for the operator routes (absent on a client agent). */
export interface OperatorView {
  raftConfiguration(): {
    index: number;
    servers: ReadonlyArray<{ id: string; address: string; voter: boolean; leader: boolean }>;
  };
}

export interface V1Deps {
  api: ServerApi;
  operator?: OperatorView;
  agent: AgentInfo;
  metrics: AgentMetrics;
  /** Nanoseconds since the Unix epoch; the submit time of registered jobs. */
  nowNs: () => number;
}

/** A JSON object of strings (variable items, dispatch meta); `field` names it in errors. */
function stringMap(value: unknown, field: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ValidationError(`${field} must be an object of strings`, "request body");
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string")
      throw new ValidationError(`${field}.${key} must be a string`, "request body");
    out[key] = item;
  }
  return out;
}

/** Nomad's dispatch payload: base64 in JSON. */
function dispatchPayload(value: unknown): Uint8Array {
  if (value === undefined || value === null || value === "") return new Uint8Array(0);
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw new ValidationError("Payload must be a base64 string", "request body");
  }
  return Buffer.from(value, "base64");
}

function varItems(value: unknown): Record<string, string> {
  return stringMap(value, "Items");
}

function headersOf(headers: Record<string, string> | undefined): { headers?: Record<string, string> } {
  return headers === undefined ? {} : { headers };
}

/** The Nomad-compatible `/v1/...` routes of an agent. */
export function v1Router(deps: V1Deps, router = new Router<Handler>()): Router<Handler> {
  const { api } = deps;

  // ── status and agent ──
  router.add("GET", "/v1/status/leader", async () => ok((await api.statusLeader()).leaderRpcAddress));
  router.add("GET", "/v1/status/peers", async () => ok((await api.statusPeers()).map((p) => p.rpcAddress)));
  router.add("GET", "/v1/agent/self", async () => {
    const leader = await api.statusLeader();
    return ok({
      config: deps.agent.config,
      member: {
        Name: deps.agent.name,
        Addr: deps.agent.rpcAddress,
        Tags: {
          role: deps.agent.server ? "server" : "client",
          region: deps.agent.region,
          dc: deps.agent.datacenter,
        },
        Status: "alive",
      },
      stats: {
        nomad: {
          server: String(deps.agent.server),
          leader: String(leader.leaderId === deps.agent.name),
          known_leader: String(leader.leaderId !== ""),
        },
      },
    });
  });
  // Nomad's agent health: a `server` part on servers, a `client` part on clients (both on a dev
  // agent); each is ok when the cluster it belongs to has a leader it can reach.
  router.add("GET", "/v1/agent/health", async () => {
    const leader = await api.statusLeader();
    const healthy = leader.leaderId !== "";
    const part = { ok: healthy, message: healthy ? "ok" : "no known leader" };
    const body: Record<string, unknown> = {};
    if (deps.agent.server) body["server"] = part;
    if (deps.agent.client) body["client"] = part;
    return { status: healthy ? 200 : 500, body };
  });
  router.add("GET", "/v1/agent/members", async () => {
    const [peers, leader] = await Promise.all([api.statusPeers(), api.statusLeader()]);
    return ok({
      ServerName: deps.agent.name,
      ServerRegion: deps.agent.region,
      ServerDC: deps.agent.datacenter,
      Members: peers.map((p) => {
        const colon = p.rpcAddress.lastIndexOf(":");
        return {
          Name: `${p.id}.${deps.agent.region}`,
          Addr: p.rpcAddress.slice(0, colon),
          Port: Number(p.rpcAddress.slice(colon + 1)),
          Status: "alive",
          Tags: {
            role: "nomad",
            region: deps.agent.region,
            id: p.id,
            leader: String(p.id === leader.leaderId),
          },
        };
      }),
    });
  });
  router.add("GET", "/v1/operator/raft/configuration", async () => {
    if (deps.operator === undefined) {
      throw new HttpError(501, "this agent is not a server; ask a server for the Raft configuration");
    }
    const conf = deps.operator.raftConfiguration();
    return ok({
      Index: conf.index,
      Servers: conf.servers.map((s) => ({
        ID: s.id,
        Node: `${s.id}.${deps.agent.region}`,
        Address: s.address,
        Leader: s.leader,
        Voter: s.voter,
        RaftProtocol: "3",
      })),
    });
  });
  router.add("GET", "/v1/agent/servers", async () => ok((await api.statusPeers()).map((p) => p.rpcAddress)));
  router.add("GET", "/v1/regions", async () => ok([deps.agent.region]));
  // Prometheus text with ?format=prometheus; otherwise Nomad's JSON summary, as Nomad answers.
  router.add("GET", "/v1/metrics", async (req) => {
    if (req.query.get("format") === "prometheus") {
      return { text: await deps.metrics.text(), contentType: deps.metrics.contentType };
    }
    return ok(nomadMetricsJson(await deps.metrics.json(), new Date(deps.nowNs() / 1e6)));
  });

  // ── jobs ──
  router.add("GET", "/v1/jobs", async (req) => {
    // Nomad's lists: one namespace (default unless ?namespace=), every one with ?namespace=*.
    const query = listQuery(req.query);
    const options = { ...queryOptions(req.query), namespace: namespaceOf(req) };
    const res = await api.jobList(options);
    const page = pageOf(res.value, query, (j) => j.ID, jobStub);
    if (query.perPage === undefined) return ok(page.items, res.meta);
    // A page is small: each row also carries its groups' summary and desired counts (Nomad's stub
    // has JobSummary; GroupCounts is Drover's), so that a jobs table needs one request per page.
    const byId = new Map(res.value.map((j) => [j.ID, j]));
    const rows = await Promise.all(
      page.items.map(async (stub) => {
        const job = byId.get(stub["ID"] as string);
        const summary = await api.jobSummary(stub["ID"] as string, {
          stale: true,
          namespace: stub["Namespace"] as string,
        });
        const counts: Record<string, number> = {};
        for (const group of job?.TaskGroups ?? []) counts[group.Name] = group.Count;
        return { ...stub, JobSummary: summary.value ?? null, GroupCounts: counts };
      }),
    );
    return { body: rows, meta: res.meta, ...headersOf(pageHeaders(page)) };
  });
  const register = async (req: ApiRequest): Promise<ApiResponse> => {
    const body = bodyObject(req);
    const { job, warnings } = jobFromApiInput(body["Job"], deps.nowNs());
    if (req.params["id"] !== undefined && req.params["id"] !== job.ID) {
      throw new ValidationError(`Job.ID ${JSON.stringify(job.ID)} does not match the path`, "request body");
    }
    const enforceIndex = body["EnforceIndex"] === true;
    const jobModifyIndex = typeof body["JobModifyIndex"] === "number" ? body["JobModifyIndex"] : 0;
    const res = await api.jobRegister(job, { enforceIndex, jobModifyIndex });
    return ok({
      EvalID: res.evalId,
      EvalCreateIndex: res.evalCreateIndex,
      JobModifyIndex: res.jobModifyIndex,
      Warnings: [res.warnings, ...warnings].filter((w) => w !== "").join("\n"),
      Index: res.index,
    });
  };
  router.add("POST", "/v1/jobs", register, JOB_REGISTER);
  router.add("PUT", "/v1/jobs", register, JOB_REGISTER);
  router.add("POST", "/v1/job/:id", register, JOB_REGISTER);
  router.add("PUT", "/v1/job/:id", register, JOB_REGISTER);
  // Nomad's parse endpoint: HCL in, the canonical Job out (variables as an HCL var-file body;
  // never a path on this machine).
  router.add(
    "POST",
    "/v1/jobs/parse",
    async (req) => {
      const body = bodyObject(req);
      const hcl = body["JobHCL"];
      if (typeof hcl !== "string") throw new ValidationError("JobHCL must be a string", "request body");
      const variables = body["Variables"];
      if (variables !== undefined && variables !== null && typeof variables !== "string") {
        throw new ValidationError("Variables must be a string (HCL variable assignments)", "request body");
      }
      const parsed = await parseJobHcl(hcl, "job.hcl", {
        varFiles:
          typeof variables === "string" && variables !== ""
            ? [{ filename: "variables.hcl", text: variables }]
            : [],
      });
      return ok(parsed.job);
    },
    JOB_PARSE,
  );
  router.add(
    "PUT",
    "/v1/validate/job",
    async (req) => {
      const body = bodyObject(req);
      try {
        const { warnings } = jobFromApiInput(body["Job"], deps.nowNs());
        return ok({
          DriverConfigValidated: false,
          ValidationErrors: [],
          Error: "",
          Warnings: warnings.join("\n"),
        });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return ok({
          DriverConfigValidated: false,
          ValidationErrors: [error.message],
          Error: error.message,
          Warnings: "",
        });
      }
    },
    JOB_VALIDATE,
  );
  router.add("GET", "/v1/job/:id", async (req) => {
    const res = await api.jobGet(req.params["id"] as string, {
      ...queryOptions(req.query),
      namespace: namespaceOf(req),
    });
    return ok(found(res.value, `job ${req.params["id"]}`), res.meta);
  });
  router.add("DELETE", "/v1/job/:id", async (req) => {
    const res = await api.jobDeregister(
      namespaceOf(req),
      req.params["id"] as string,
      flagParam(req.query, "purge"),
    );
    return ok({
      EvalID: res.evalId,
      EvalCreateIndex: res.evalCreateIndex,
      JobModifyIndex: res.jobModifyIndex,
      Index: res.index,
    });
  });
  router.add(
    "POST",
    "/v1/job/:id/dispatch",
    async (req) => {
      const body = bodyObject(req);
      const meta = body["Meta"] === undefined || body["Meta"] === null ? {} : stringMap(body["Meta"], "Meta");
      const res = await api.jobDispatch(
        namespaceOf(req),
        req.params["id"] as string,
        dispatchPayload(body["Payload"]),
        meta,
      );
      return ok({ ...res, Index: res.EvalCreateIndex });
    },
    JOB_DISPATCH,
  );
  router.add("GET", "/v1/job/:id/allocations", async (req) => {
    const res = await api.jobAllocations(req.params["id"] as string, {
      ...queryOptions(req.query),
      namespace: namespaceOf(req),
    });
    return ok(res.value.map(allocStub), res.meta);
  });
  router.add("GET", "/v1/job/:id/evaluations", async (req) => {
    const res = await api.jobEvaluations(req.params["id"] as string, {
      ...queryOptions(req.query),
      namespace: namespaceOf(req),
    });
    return ok(res.value.map(publicEval), res.meta);
  });
  router.add("GET", "/v1/job/:id/summary", async (req) => {
    const res = await api.jobSummary(req.params["id"] as string, {
      ...queryOptions(req.query),
      namespace: namespaceOf(req),
    });
    return ok(found(res.value, `job ${req.params["id"]}`), res.meta);
  });

  jobLifecycleRoutes(router, api);
  deploymentRoutes(router, api);
  operatorConfigRoutes(router, api);
  namespaceRoutes(router, api);
  aclRoutes(router, api);
  summaryRoutes(router, api);

  // ── nodes ──
  router.add("GET", "/v1/nodes", async (req) => {
    const query = listQuery(req.query);
    const res = await api.nodeList(queryOptions(req.query));
    const page = pageOf(res.value, query, (n) => n.ID, nodeStub);
    return { body: page.items, meta: res.meta, ...headersOf(pageHeaders(page)) };
  });
  router.add("GET", "/v1/node/:id", async (req) => {
    const res = await api.nodeGet(req.params["id"] as string, queryOptions(req.query));
    return ok(publicNode(found(res.value, `node ${req.params["id"]}`)), res.meta);
  });
  router.add("GET", "/v1/node/:id/allocations", async (req) => {
    const nodeId = req.params["id"] as string;
    const res = await api.allocList(queryOptions(req.query));
    return ok(
      res.value.filter((a) => a.NodeID === nodeId),
      res.meta,
    );
  });
  const drain = async (req: ApiRequest): Promise<ApiResponse> => {
    const body = bodyObject(req);
    const markEligible = body["MarkEligible"] ?? false;
    if (typeof markEligible !== "boolean") {
      throw new ValidationError("MarkEligible must be a boolean", "request body");
    }
    validateDrainMeta(body["Meta"]);
    const drain = drainSpec(body["DrainSpec"]);
    const index = await api.nodeUpdateDrain(req.params["id"] as string, drain, markEligible);
    return ok({ Index: index, NodeModifyIndex: index, EvalIDs: [], EvalCreateIndex: 0 });
  };
  router.add("POST", "/v1/node/:id/drain", drain, NODE_DRAIN);
  router.add("PUT", "/v1/node/:id/drain", drain, NODE_DRAIN);
  router.add(
    "POST",
    "/v1/node/:id/eligibility",
    async (req) => {
      const eligibility = bodyObject(req)["Eligibility"];
      if (eligibility !== "eligible" && eligibility !== "ineligible") {
        throw new ValidationError('Eligibility must be "eligible" or "ineligible"', "request body");
      }
      const index = await api.nodeUpdateEligibility(req.params["id"] as string, eligibility);
      return ok({ Index: index, NodeModifyIndex: index, EvalIDs: [], EvalCreateIndex: 0 });
    },
    NODE_ELIGIBILITY,
  );

  // ── allocations and evaluations ──
  router.add("GET", "/v1/allocations", async (req) => {
    const query = listQuery(req.query);
    const res = await api.allocList({ ...queryOptions(req.query), namespace: namespaceOf(req) });
    const page = pageOf(res.value, query, (a) => a.ID, allocStub);
    return { body: page.items, meta: res.meta, ...headersOf(pageHeaders(page)) };
  });
  router.add("GET", "/v1/allocation/:id", async (req) => {
    const res = await api.allocGet(req.params["id"] as string, queryOptions(req.query));
    return ok(publicAlloc(found(res.value, `allocation ${req.params["id"]}`)), res.meta);
  });
  router.add("GET", "/v1/evaluations", async (req) => {
    const query = listQuery(req.query);
    const res = await api.evalList({ ...queryOptions(req.query), namespace: namespaceOf(req) });
    const page = pageOf(res.value, query, (e) => e.ID, publicEval);
    return { body: page.items, meta: res.meta, ...headersOf(pageHeaders(page)) };
  });
  router.add("GET", "/v1/evaluation/:id", async (req) => {
    const res = await api.evalGet(req.params["id"] as string, queryOptions(req.query));
    return ok(publicEval(found(res.value, `evaluation ${req.params["id"]}`)), res.meta);
  });

  // ── variables ──
  router.add("GET", "/v1/vars", async (req) => {
    const res = await api.varList({ ...queryOptions(req.query), namespace: namespaceOf(req) });
    return ok(res.value, res.meta);
  });
  router.add("GET", "/v1/var/:path*", async (req) => {
    const res = await api.varGet(namespaceOf(req), req.params["path"] as string, queryOptions(req.query));
    return ok(found(res.variable, `variable ${req.params["path"]}`), res.meta);
  });
  // The write path the Raft benchmark measures: parse → propose → respond, nothing else.
  const putVar = async (req: ApiRequest): Promise<ApiResponse> => {
    const path = req.params["path"] as string;
    const body = bodyObject(req);
    if (body["Path"] !== undefined && body["Path"] !== path) {
      throw new ValidationError(
        `Path ${JSON.stringify(body["Path"])} does not match the URL path`,
        "request body",
      );
    }
    const res = await api.varPut(namespaceOf(req), path, varItems(body["Items"]), intParam(req.query, "cas"));
    if (res.conflict) throw new HttpError(409, "cas conflict", res.variable ?? null);
    return ok(res.variable, res.meta);
  };
  router.add("PUT", "/v1/var/:path*", putVar, VAR_PUT);
  router.add("POST", "/v1/var/:path*", putVar, VAR_PUT);
  router.add("DELETE", "/v1/var/:path*", async (req) => {
    const res = await api.varDelete(
      namespaceOf(req),
      req.params["path"] as string,
      intParam(req.query, "cas"),
    );
    if (res.conflict) throw new HttpError(409, "cas conflict", res.variable ?? null);
    return ok(null, res.meta);
  });

  return router;
}

/**
 * Nomad's DrainSpec (null ends the drain): Deadline in nanoseconds, negative to force now, 0 for
 * no deadline. The server sets StartedAt and ForceDeadline from its own clock.
 */
function drainSpec(spec: unknown): DrainStrategy | null {
  if (spec === undefined || spec === null) return null;
  if (typeof spec !== "object" || Array.isArray(spec)) {
    throw new ValidationError("DrainSpec must be an object", "request body");
  }
  const { Deadline: deadline = 0, IgnoreSystemJobs: ignoreSystem = false } = spec as Record<string, unknown>;
  if (typeof deadline !== "number" || !Number.isSafeInteger(deadline)) {
    throw new ValidationError(
      "DrainSpec.Deadline must be an integer number of nanoseconds (negative forces, 0 is no deadline)",
      "request body",
    );
  }
  if (typeof ignoreSystem !== "boolean") {
    throw new ValidationError("DrainSpec.IgnoreSystemJobs must be a boolean", "request body");
  }
  return { Deadline: deadline, IgnoreSystemJobs: ignoreSystem, ForceDeadline: 0, StartedAt: 0 };
}

/** Nomad's drain Meta: string values (accepted for compatibility, not stored). */
function validateDrainMeta(meta: unknown): void {
  if (meta === undefined || meta === null) return;
  if (
    typeof meta !== "object" ||
    Array.isArray(meta) ||
    Object.values(meta).some((v) => typeof v !== "string")
  ) {
    throw new ValidationError("Meta must be an object of strings", "request body");
  }
}
