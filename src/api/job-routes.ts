import { ValidationError } from "../common/errors.js";
import { jobFromApiInput } from "../jobspec/index.js";
import type { JobRegisterResult, ServerApi } from "../rpc/server-api.js";
import { found, namespaceOf, ok, publicDeployment } from "./api-shapes.js";
import { optionalBody } from "./deployment-routes.js";
import type { ApiRequest, ApiResponse, Handler } from "./http-server.js";
import { queryOptions } from "./query-params.js";
import { JOB_PLAN, JOB_SCALE } from "./request-schemas.js";
import type { Router, RouteSchema } from "./router.js";

/** Nomad's JobRegisterResponse (revert, scale) and JobEvaluateResponse. */
function registerAnswer(res: JobRegisterResult): ApiResponse {
  return ok({
    EvalID: res.evalId,
    EvalCreateIndex: res.evalCreateIndex,
    JobModifyIndex: res.jobModifyIndex,
    Warnings: res.warnings,
    Index: res.index,
  });
}

/** A non-negative integer in the body; undefined when absent and `optional`. */
function intField(body: Record<string, unknown>, field: string): number;
function intField(body: Record<string, unknown>, field: string, optional: true): number | undefined;
function intField(body: Record<string, unknown>, field: string, optional = false): number | undefined {
  const value = body[field];
  if ((value === undefined || value === null) && optional) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(
      `${field} must be a non-negative integer, got ${JSON.stringify(value ?? null)}`,
      "request body",
    );
  }
  return value;
}

/** A job ID in the body, when given, must be the path's. */
function checkJobId(req: ApiRequest, body: Record<string, unknown>): string {
  const id = req.params["id"] as string;
  const named = body["JobID"];
  if (named !== undefined && named !== null && named !== "" && named !== id) {
    throw new ValidationError(`JobID ${JSON.stringify(named)} does not match the path`, "request body");
  }
  return id;
}

/**
 * A job's life after registration, as Nomad's routes: its versions, revert, stability, a forced eval, a
 * periodic launch now, scaling and its scale status, its deployments; plus stopping one
 * allocation and purging a node.
 */
export function jobLifecycleRoutes(router: Router<Handler>, api: ServerApi): void {
  const jobQuery = (req: ApiRequest) => ({ ...queryOptions(req.query), namespace: namespaceOf(req) });
  const post = (path: string, handler: Handler, schema?: RouteSchema): void => {
    router.add("POST", path, handler, schema);
    router.add("PUT", path, handler, schema);
  };

  router.add("GET", "/v1/job/:id/versions", async (req) => {
    const id = req.params["id"] as string;
    const res = await api.jobVersions(id, jobQuery(req));
    if (res.value.length === 0) found(undefined, `job ${id}`);
    return ok({ Versions: res.value, Diffs: null }, res.meta);
  });
  router.add("GET", "/v1/job/:id/deployments", async (req) => {
    const res = await api.jobDeployments(req.params["id"] as string, jobQuery(req));
    return ok(res.value.map(publicDeployment), res.meta);
  });
  router.add("GET", "/v1/job/:id/deployment", async (req) => {
    const res = await api.jobLatestDeployment(req.params["id"] as string, jobQuery(req));
    return ok(res.value === undefined ? null : publicDeployment(res.value), res.meta);
  });
  router.add("GET", "/v1/job/:id/scale", async (req) => {
    const id = req.params["id"] as string;
    const res = await api.jobScaleStatus(id, jobQuery(req));
    return ok(found(res.value, `job ${id}`), res.meta);
  });

  // Nomad's job plan: a dry run of the scheduler; nothing is registered or scheduled.
  post(
    "/v1/job/:id/plan",
    async (req) => {
      const body = optionalBody(req);
      const { job, warnings } = jobFromApiInput(body["Job"], 0);
      if (job.ID !== req.params["id"]) {
        throw new ValidationError(`Job.ID ${JSON.stringify(job.ID)} does not match the path`, "request body");
      }
      const res = await api.jobPlan(job, { diff: body["Diff"] === true });
      return ok({
        Index: res.Index,
        JobModifyIndex: res.JobModifyIndex,
        Diff: res.Diff,
        Annotations: res.Annotations,
        FailedTGAllocs: res.FailedTGAllocs,
        CreatedEvals: res.CreatedEvals,
        NextPeriodicLaunch: null,
        Warnings: [res.Warnings, ...warnings].filter((w) => w !== "").join("\n"),
      });
    },
    JOB_PLAN,
  );
  post("/v1/job/:id/revert", async (req) => {
    const body = optionalBody(req);
    const id = checkJobId(req, body);
    const version = intField(body, "JobVersion");
    const prior = intField(body, "EnforcePriorVersion", true);
    return registerAnswer(await api.jobRevert(namespaceOf(req), id, version, prior));
  });
  post("/v1/job/:id/stable", async (req) => {
    const body = optionalBody(req);
    const id = checkJobId(req, body);
    const version = intField(body, "JobVersion");
    const stable = body["Stable"];
    if (typeof stable !== "boolean") {
      throw new ValidationError(
        `Stable must be a boolean, got ${JSON.stringify(stable ?? null)}`,
        "request body",
      );
    }
    const res = await api.jobStability(namespaceOf(req), id, version, stable);
    return ok({ JobModifyIndex: res.jobModifyIndex, Index: res.index });
  });
  post("/v1/job/:id/evaluate", async (req) => {
    const body = optionalBody(req);
    return registerAnswer(await api.jobEvaluate(namespaceOf(req), checkJobId(req, body)));
  });
  post("/v1/job/:id/periodic/force", async (req) => {
    const res = await api.jobPeriodicForce(namespaceOf(req), req.params["id"] as string);
    return ok({ EvalID: res.evalId, EvalCreateIndex: res.evalCreateIndex, Index: res.index });
  });
  post(
    "/v1/job/:id/scale",
    async (req) => {
      const body = optionalBody(req);
      const id = checkJobId(req, body);
      const target = body["Target"];
      const group =
        typeof target === "object" && target !== null && !Array.isArray(target)
          ? (target as Record<string, unknown>)["Group"]
          : undefined;
      if (typeof group !== "string" || group === "") {
        throw new ValidationError('Target must name the task group: {"Group": "..."}', "request body");
      }
      const count = intField(body, "Count");
      const enforce = body["EnforceIndex"] === true;
      const res = await api.jobScale({
        namespace: namespaceOf(req),
        jobId: id,
        group,
        count,
        enforceIndex: enforce,
        jobModifyIndex: enforce ? intField(body, "JobModifyIndex") : 0,
      });
      return registerAnswer(res);
    },
    JOB_SCALE,
  );

  post("/v1/allocation/:id/stop", async (req) => {
    const res = await api.allocStop(req.params["id"] as string);
    return ok({ EvalID: res.evalId, Index: res.index });
  });
  post("/v1/node/:id/purge", async (req) => {
    const index = await api.nodeDeregister(req.params["id"] as string);
    return ok({ EvalIDs: [], EvalCreateIndex: 0, NodeModifyIndex: index, Index: index });
  });
}
