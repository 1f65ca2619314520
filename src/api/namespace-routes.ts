import { ValidationError } from "../common/errors.js";
import type { NamespaceSpec } from "../fsm/index.js";
import type { QueryMeta, ServerApi } from "../rpc/server-api.js";
import { found, ok } from "./api-shapes.js";
import { optionalBody } from "./deployment-routes.js";
import type { ApiRequest, ApiResponse, Handler } from "./http-server.js";
import { queryOptions } from "./query-params.js";
import type { Router } from "./router.js";

/** Fields of the body that are the server's to set: accepted (Nomad's clients send them back) and ignored. */
const SERVER_FIELDS = new Set(["CreateIndex", "ModifyIndex", "Hash"]);

/**
 * The body of `PUT /v1/namespace[/:name]`: Nomad's Namespace. Name from the body, else from the
 * path; both given must agree. No body at all, or Description and Meta absent or null, mean empty
 * (`PUT /v1/namespace/x` alone creates x). The shape of every field is checked by the server
 * endpoint, which answers what is wrong and where.
 */
export function namespaceFromBody(req: ApiRequest): NamespaceSpec {
  const body = optionalBody(req);
  const pathName = req.params["name"];
  const bodyName = body["Name"];
  if (pathName !== undefined && bodyName !== undefined && bodyName !== null && bodyName !== pathName) {
    throw new ValidationError(
      `Name ${JSON.stringify(bodyName)} does not match the namespace in the URL path (${JSON.stringify(pathName)})`,
      "request body",
    );
  }
  const spec: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    if (!SERVER_FIELDS.has(field)) spec[field] = value;
  }
  spec["Name"] = bodyName ?? pathName;
  spec["Description"] = body["Description"] ?? "";
  spec["Meta"] = body["Meta"] ?? {};
  return spec as unknown as NamespaceSpec;
}

/** The answer's headers of a write: X-Nomad-Index is where it landed. */
function writeMeta(index: number): QueryMeta {
  return { index, knownLeader: true, lastContactMs: 0 };
}

/**
 * Nomad's namespace API: `GET /v1/namespaces` (`?prefix`, blocking), `GET|PUT|POST|DELETE
 * /v1/namespace/:name`, and `PUT|POST /v1/namespace` (the name in the body).
 */
export function namespaceRoutes(router: Router<Handler>, api: ServerApi): void {
  router.add("GET", "/v1/namespaces", async (req) => {
    const res = await api.namespaceList(queryOptions(req.query));
    return ok(res.value, res.meta);
  });
  router.add("GET", "/v1/namespace/:name", async (req) => {
    const name = req.params["name"] as string;
    const res = await api.namespaceGet(name, queryOptions(req.query));
    return ok(found(res.value, `namespace ${name}`), res.meta);
  });
  const upsert = async (req: ApiRequest): Promise<ApiResponse> => {
    const index = await api.namespaceUpsert([namespaceFromBody(req)]);
    return ok(null, writeMeta(index));
  };
  for (const method of ["PUT", "POST"] as const) {
    router.add(method, "/v1/namespace", upsert);
    router.add(method, "/v1/namespace/:name", upsert);
  }
  router.add("DELETE", "/v1/namespace/:name", async (req) => {
    const index = await api.namespaceDelete(req.params["name"] as string);
    return ok(null, writeMeta(index));
  });
}
