import { parseDurationMs } from "../common/duration.js";
import { ValidationError } from "../common/errors.js";
import type { AclPolicy } from "../fsm/index.js";
import type { AclTokenInput, AclTokenView, QueryMeta, ServerApi } from "../rpc/server-api.js";
import { found, ok } from "./api-shapes.js";
import { optionalBody } from "./deployment-routes.js";
import type { ApiRequest, ApiResponse, Handler } from "./http-server.js";
import { rfc3339 } from "./nomad-time.js";
import { queryOptions } from "./query-params.js";
import type { Router } from "./router.js";

function writeMeta(index: number): QueryMeta {
  return { index, knownLeader: true, lastContactMs: 0 };
}

/** Nomad's ACLToken as JSON: times as RFC 3339, ExpirationTime null when the token never expires. */
function tokenJson(token: AclTokenView): Record<string, unknown> {
  return {
    AccessorID: token.AccessorID,
    SecretID: token.SecretID,
    Name: token.Name,
    Type: token.Type,
    Policies: token.Policies,
    Global: token.Global,
    CreateTime: rfc3339(token.CreateTime),
    ExpirationTime: token.ExpirationTime === 0 ? null : rfc3339(token.ExpirationTime),
    CreateIndex: token.CreateIndex,
    ModifyIndex: token.ModifyIndex,
  };
}

function tokenStub(token: AclTokenView): Record<string, unknown> {
  const { SecretID: _secret, ...stub } = tokenJson(token);
  return stub;
}

function policyJson(policy: AclPolicy): Record<string, unknown> {
  return {
    Name: policy.Name,
    Description: policy.Description,
    Rules: policy.Rules,
    CreateIndex: policy.CreateIndex,
    ModifyIndex: policy.ModifyIndex,
  };
}

/** Nomad's ExpirationTTL: nanoseconds, or a duration string ("1h") as the CLI writes it. */
function ttlNs(value: unknown): number | undefined {
  if (value === undefined || value === null || value === 0 || value === "") return undefined;
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === "string") return parseDurationMs(value, "ExpirationTTL") * 1e6;
  throw new ValidationError('ExpirationTTL must be a duration ("1h") or nanoseconds', "request body");
}

/** The body of a token create or update (Nomad's ACLToken, server-set fields ignored). */
function tokenInput(req: ApiRequest, accessorId: string | undefined): AclTokenInput {
  const body = optionalBody(req);
  const type = body["Type"] ?? "client";
  if (type !== "client" && type !== "management") {
    throw new ValidationError('Type must be "client" or "management"', "request body");
  }
  const policies = body["Policies"] ?? [];
  if (!Array.isArray(policies) || policies.some((p) => typeof p !== "string")) {
    throw new ValidationError("Policies must be a list of policy names", "request body");
  }
  const name = body["Name"] ?? "";
  if (typeof name !== "string") throw new ValidationError("Name must be a string", "request body");
  const global = body["Global"] ?? false;
  if (typeof global !== "boolean") throw new ValidationError("Global must be a boolean", "request body");
  const bodyAccessor = body["AccessorID"];
  if (
    accessorId !== undefined &&
    typeof bodyAccessor === "string" &&
    bodyAccessor !== "" &&
    bodyAccessor !== accessorId
  ) {
    throw new ValidationError("AccessorID does not match the URL path", "request body");
  }
  const input: AclTokenInput = { Name: name, Type: type, Policies: policies as string[], Global: global };
  if (accessorId !== undefined) input.AccessorID = accessorId;
  const ttl = ttlNs(body["ExpirationTTL"]);
  if (ttl !== undefined) input.ExpirationTTL = ttl;
  return input;
}

/**
 * Nomad's ACL API: bootstrap, policies and tokens. Who may call each route is in route-acl.ts;
 * a token's SecretID appears only in the answer that created it (bootstrap, create): Drover
 * stores secrets hashed, so it cannot show them again.
 */
export function aclRoutes(router: Router<Handler>, api: ServerApi): void {
  const bootstrap = async (): Promise<ApiResponse> => ok(tokenJson(await api.aclBootstrap()));
  router.add("POST", "/v1/acl/bootstrap", bootstrap);
  router.add("PUT", "/v1/acl/bootstrap", bootstrap);

  router.add("GET", "/v1/acl/policies", async (req) => {
    const res = await api.aclPolicyList(queryOptions(req.query));
    return ok(
      res.value.map((p) => ({
        Name: p.Name,
        Description: p.Description,
        CreateIndex: p.CreateIndex,
        ModifyIndex: p.ModifyIndex,
      })),
      res.meta,
    );
  });
  router.add("GET", "/v1/acl/policy/:name", async (req) => {
    const name = req.params["name"] as string;
    const res = await api.aclPolicyGet(name, queryOptions(req.query));
    return ok(policyJson(found(res.value, `ACL policy ${name}`)), res.meta);
  });
  const putPolicy = async (req: ApiRequest): Promise<ApiResponse> => {
    const name = req.params["name"] as string;
    const body = optionalBody(req);
    if (body["Name"] !== undefined && body["Name"] !== null && body["Name"] !== name) {
      throw new ValidationError(
        `Name ${JSON.stringify(body["Name"])} does not match the URL path`,
        "request body",
      );
    }
    const rules = body["Rules"];
    if (typeof rules !== "string")
      throw new ValidationError("Rules must be a string (the policy)", "request body");
    const description = body["Description"] ?? "";
    if (typeof description !== "string")
      throw new ValidationError("Description must be a string", "request body");
    const index = await api.aclPolicyUpsert([{ Name: name, Description: description, Rules: rules }]);
    return ok(null, writeMeta(index));
  };
  router.add("POST", "/v1/acl/policy/:name", putPolicy);
  router.add("PUT", "/v1/acl/policy/:name", putPolicy);
  router.add("DELETE", "/v1/acl/policy/:name", async (req) => {
    const index = await api.aclPolicyDelete([req.params["name"] as string]);
    return ok(null, writeMeta(index));
  });

  router.add("GET", "/v1/acl/tokens", async (req) => {
    const res = await api.aclTokenList(queryOptions(req.query));
    return ok(res.value.map(tokenStub), res.meta);
  });
  const createToken = async (req: ApiRequest): Promise<ApiResponse> => {
    const body = optionalBody(req);
    if (typeof body["AccessorID"] === "string" && body["AccessorID"] !== "") {
      const [token] = await api.aclTokenUpsert([tokenInput(req, body["AccessorID"])]);
      return ok(tokenJson(token as AclTokenView));
    }
    const [token] = await api.aclTokenUpsert([tokenInput(req, undefined)]);
    return ok(tokenJson(token as AclTokenView));
  };
  router.add("POST", "/v1/acl/token", createToken);
  router.add("PUT", "/v1/acl/token", createToken);
  router.add("GET", "/v1/acl/token/self", async () => ok(tokenJson(await api.aclTokenSelf())));
  router.add("GET", "/v1/acl/token/:accessor", async (req) => {
    const id = req.params["accessor"] as string;
    const res = await api.aclTokenGet(id, queryOptions(req.query));
    return ok(tokenJson(found(res.value, `ACL token ${id}`)), res.meta);
  });
  const updateToken = async (req: ApiRequest): Promise<ApiResponse> => {
    const [token] = await api.aclTokenUpsert([tokenInput(req, req.params["accessor"] as string)]);
    return ok(tokenJson(token as AclTokenView));
  };
  router.add("POST", "/v1/acl/token/:accessor", updateToken);
  router.add("PUT", "/v1/acl/token/:accessor", updateToken);
  router.add("DELETE", "/v1/acl/token/:accessor", async (req) => {
    const index = await api.aclTokenDelete([req.params["accessor"] as string]);
    return ok(null, writeMeta(index));
  });
}
