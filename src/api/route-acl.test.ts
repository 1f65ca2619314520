import { describe, expect, it } from "vitest";
import { Acl } from "../acl/index.js";
import { PermissionDeniedError } from "../common/errors.js";
import type { AgentMetrics } from "../common/metrics.js";
import { currentToken } from "../common/request-context.js";
import type { ResolvedAcl, ServerApi } from "../rpc/server-api.js";
import type { EventBroker } from "../server/events/event-broker.js";
import { addAutopilotRoutes } from "./autopilot-routes.js";
import { addEventRoutes } from "./event-routes.js";
import type { ApiRequest } from "./http-server.js";
import { addLogRoutes } from "./log-routes.js";
import { addOperatorRoutes } from "./operator-routes.js";
import { agentGuardOptions, ROUTE_ACL, RouteGuard, routeAclOf } from "./route-acl.js";
import { addSearchRoutes } from "./search-routes.js";
import { v1Router } from "./v1-routes.js";

/** Every route an agent serves, as run-agent.ts adds them (handlers are never called here). */
function everyRoute(): { method: string; pattern: string }[] {
  const never = {} as never;
  const router = v1Router({
    api: never as ServerApi,
    agent: never,
    metrics: never as AgentMetrics,
    nowNs: () => 0,
  });
  addOperatorRoutes(router, never);
  addAutopilotRoutes(router, never);
  addEventRoutes(router, never as EventBroker);
  addSearchRoutes(router, never);
  addLogRoutes(router, never);
  return router.seal().map((e) => ({ method: e.method, pattern: e.pattern }));
}

function request(overrides: Partial<ApiRequest> = {}): ApiRequest {
  return {
    method: "GET",
    path: "/",
    params: {},
    query: new URLSearchParams(),
    body: undefined,
    ...overrides,
  };
}

describe("the route ACL table", () => {
  it("declares what every route needs (a new route must be added to ROUTE_ACL)", () => {
    const routes = everyRoute();
    expect(routes.length).toBeGreaterThan(50);
    const missing = routes.filter((r) => routeAclOf(r.method, r.pattern) === undefined);
    expect(missing.map((r) => `${r.method} ${r.pattern}`)).toEqual([]);
    // And names no route that does not exist (a renamed route must not leave a stale entry).
    const known = new Set(routes.map((r) => `${r.method} ${r.pattern}`));
    expect(Object.keys(ROUTE_ACL).filter((key) => !known.has(key))).toEqual([]);
  });

  it("refuses a route that has no entry, even for a management token", async () => {
    const guard = new RouteGuard({
      resolve: async () => Acl.management("m"),
      namespaceOfObject: async () => undefined,
    });
    await expect(guard.admit("GET", "/v1/unclassified", request(), "t")).rejects.toThrow(
      "Permission denied: no ACL rule is declared for GET /v1/unclassified",
    );
    expect(await guard.admit("GET", "/v1/jobs", request(), "t")).toBeUndefined();
  });

  it("checks the namespace where the route takes it from, and filters answers", async () => {
    const acl = Acl.fromRules(
      [
        {
          Namespaces: [{ Name: "dev", Policy: "write", Capabilities: [], Variables: [] }],
          Node: "",
          Agent: "",
          Operator: "",
          Quota: "",
        },
      ],
      "a",
    );
    const guard = new RouteGuard({
      resolve: async () => acl,
      namespaceOfObject: async (_object, id) => (id === "a1" ? "prod" : undefined),
    });
    // The registered job's namespace, not the query's.
    await expect(
      guard.admit("POST", "/v1/jobs", request({ body: { Job: { Namespace: "prod" } } }), "t"),
    ).rejects.toThrow("missing capability submit-job on namespace prod");
    await guard.admit("POST", "/v1/jobs", request({ body: { Job: { Namespace: "dev" } } }), "t");
    // An allocation's own namespace, whatever ?namespace= says.
    await expect(
      guard.admit(
        "POST",
        "/v1/allocation/:id/stop",
        request({ params: { id: "a1" }, query: new URLSearchParams("namespace=dev") }),
        "t",
      ),
    ).rejects.toThrow("missing capability alloc-lifecycle on namespace prod");
    const filter = await guard.admit(
      "GET",
      "/v1/jobs",
      request({ query: new URLSearchParams("namespace=*") }),
      "t",
    );
    expect(filter).toBeDefined();
    const body = [
      { ID: "a", Namespace: "dev" },
      { ID: "b", Namespace: "prod" },
    ];
    expect(filter?.({ body }).body).toEqual([{ ID: "a", Namespace: "dev" }]);
    const single = await guard.admit(
      "GET",
      "/v1/evaluation/:id",
      request({ query: new URLSearchParams("namespace=dev") }),
      "t",
    );
    expect(() => single?.({ body: { ID: "e", Namespace: "prod" } })).toThrow(
      "missing capability read-job on namespace prod",
    );
  });
});

describe("a client agent's token resolution", () => {
  /** A server API that answers aclResolve from `answer` and counts the calls. */
  function serverApi(answer: (secret: string | undefined) => ResolvedAcl) {
    const api = {
      calls: 0,
      aclResolve: async (): Promise<ResolvedAcl> => {
        api.calls++;
        return answer(currentToken());
      },
    };
    return api;
  }

  it("reuses a server's answer for the TTL, a refusal too, and asks again after it", async () => {
    const api = serverApi((secret) => {
      if (secret !== "good") throw new PermissionDeniedError("Permission denied: ACL token not found");
      return { accessorId: "t1", management: true, rules: [], expirationTime: 0 };
    });
    let nowMs = 0;
    const guard = agentGuardOptions(api as unknown as ServerApi, undefined, {
      ttlMs: 30_000,
      now: () => nowMs,
    });
    expect((await guard.resolve("good")).management).toBe(true);
    await expect(guard.resolve("bad")).rejects.toThrow(/not found/);
    nowMs = 29_999;
    expect((await guard.resolve("good")).management).toBe(true);
    await expect(guard.resolve("bad")).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(api.calls).toBe(2);
    nowMs = 30_000;
    await guard.resolve("good");
    expect(api.calls).toBe(3);
  });

  it("stops at the token's own expiry within the TTL", async () => {
    const api = serverApi(() => ({
      accessorId: "t1",
      management: true,
      rules: [],
      expirationTime: 10_000e6,
    }));
    let nowMs = 0;
    const guard = agentGuardOptions(api as unknown as ServerApi, undefined, {
      ttlMs: 30_000,
      now: () => nowMs,
    });
    await guard.resolve("short-lived");
    nowMs = 9_999;
    await guard.resolve("short-lived");
    nowMs = 10_000;
    await expect(guard.resolve("short-lived")).rejects.toThrow(/ACL token expired/);
    expect(api.calls).toBe(1);
  });

  it("asks on every request with a TTL of 0", async () => {
    const api = serverApi(() => ({ accessorId: "anonymous", management: false, rules: [] }));
    const guard = agentGuardOptions(api as unknown as ServerApi, undefined, { ttlMs: 0 });
    await guard.resolve(undefined);
    await guard.resolve(undefined);
    expect(api.calls).toBe(2);
  });
});
