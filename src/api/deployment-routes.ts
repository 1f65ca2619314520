import { ValidationError } from "../common/errors.js";
import type { DeploymentAction, EvalWriteResult, ServerApi } from "../rpc/server-api.js";
import { found, namespaceOf, ok, publicDeployment } from "./api-shapes.js";
import type { ApiRequest, ApiResponse, Handler } from "./http-server.js";
import { queryOptions } from "./query-params.js";
import {
  DEPLOYMENT_ALLOC_HEALTH,
  DEPLOYMENT_FAIL,
  DEPLOYMENT_PAUSE,
  DEPLOYMENT_PROMOTE,
} from "./request-schemas.js";
import type { Router, RouteSchema } from "./router.js";

/** The request's JSON object body; an empty body is `{}` (writes whose body is optional). */
export function optionalBody(req: ApiRequest): Record<string, unknown> {
  const body = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError("expected a JSON object", "request body");
  }
  return body as Record<string, unknown>;
}

/** A list of strings in the body (absent or null is empty). */
export function stringList(body: Record<string, unknown>, field: string): string[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    throw new ValidationError(`${field} must be a list of non-empty strings`, "request body");
  }
  return value as string[];
}

/** An optional boolean in the body. */
export function boolField(body: Record<string, unknown>, field: string, fallback: boolean): boolean {
  const value = body[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new ValidationError(`${field} must be a boolean`, "request body");
  return value;
}

/** Nomad's DeploymentUpdateResponse. */
function deploymentUpdateAnswer(res: EvalWriteResult): ApiResponse {
  return ok({
    EvalID: res.evalId,
    EvalCreateIndex: res.evalCreateIndex,
    DeploymentModifyIndex: res.modifyIndex,
    Index: res.index,
  });
}

/**
 * Nomad's deployment routes: the list (with `?prefix` and blocking queries), one deployment, and
 * the operator's changes (promote, fail, pause/resume, allocation health), each answering
 * `{EvalID, EvalCreateIndex, DeploymentModifyIndex, Index}`. A deployment ID in the body, when
 * given, must match the path.
 */
export function deploymentRoutes(router: Router<Handler>, api: ServerApi): void {
  router.add("GET", "/v1/deployments", async (req) => {
    const res = await api.deploymentList({ ...queryOptions(req.query), namespace: namespaceOf(req) });
    return ok(res.value.map(publicDeployment), res.meta);
  });
  router.add("GET", "/v1/deployment/:id", async (req) => {
    const res = await api.deploymentGet(req.params["id"] as string, queryOptions(req.query));
    return ok(publicDeployment(found(res.value, `deployment ${req.params["id"]}`)), res.meta);
  });

  const update = (parse: (body: Record<string, unknown>) => DeploymentAction) => {
    return async (req: ApiRequest): Promise<ApiResponse> => {
      const id = req.params["id"] as string;
      const body = optionalBody(req);
      const named = body["DeploymentID"];
      if (named !== undefined && named !== null && named !== "" && named !== id) {
        throw new ValidationError(
          `DeploymentID ${JSON.stringify(named)} does not match the path`,
          "request body",
        );
      }
      return deploymentUpdateAnswer(await api.deploymentUpdate(id, parse(body)));
    };
  };
  const routes: Array<[string, RouteSchema, (body: Record<string, unknown>) => DeploymentAction]> = [
    [
      "promote",
      DEPLOYMENT_PROMOTE,
      (body) => ({
        action: "promote",
        all: boolField(body, "All", false),
        groups: stringList(body, "Groups"),
      }),
    ],
    ["fail", DEPLOYMENT_FAIL, () => ({ action: "fail" })],
    [
      "pause",
      DEPLOYMENT_PAUSE,
      (body) => {
        if (typeof body["Pause"] !== "boolean") {
          throw new ValidationError("Pause must be true (pause) or false (resume)", "request body");
        }
        return { action: body["Pause"] ? "pause" : "resume" };
      },
    ],
    [
      "allocation-health",
      DEPLOYMENT_ALLOC_HEALTH,
      (body) => ({
        action: "alloc-health",
        healthy: stringList(body, "HealthyAllocationIDs"),
        unhealthy: stringList(body, "UnhealthyAllocationIDs"),
      }),
    ],
  ];
  for (const [name, schema, parse] of routes) {
    router.add("POST", `/v1/deployment/${name}/:id`, update(parse), schema);
    router.add("PUT", `/v1/deployment/${name}/:id`, update(parse), schema);
  }
}
