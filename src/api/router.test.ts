import { describe, expect, it } from "vitest";
import { queryOptions } from "./query-params.js";
import { fastifyPattern, Router, restParamName } from "./router.js";

describe("Router (the route table)", () => {
  it("keeps the routes in order, with their schemas", () => {
    const schema = { body: { type: "object" } };
    const router = new Router<string>()
      .add("GET", "/v1/jobs", "jobs")
      .add("put", "/v1/var/:path*", "var", schema);
    expect(router.seal()).toEqual([
      { method: "GET", pattern: "/v1/jobs", handler: "jobs", schema: undefined },
      { method: "PUT", pattern: "/v1/var/:path*", handler: "var", schema },
    ]);
  });

  it("refuses a route added once the server serves, and a rest parameter that is not last", () => {
    const router = new Router<string>();
    router.seal();
    expect(() => router.add("GET", "/v1/late", "late")).toThrow(/after the HTTP server started serving/);
    expect(() => new Router<string>().add("GET", "/v1/var/:path*/x", "x")).toThrow(/trailing/);
    expect(() => new Router<string>().add("GET", "v1/jobs", "x")).toThrow(/must start with/);
  });

  it("spells a rest parameter as find-my-way's wildcard", () => {
    expect(fastifyPattern("/v1/var/:path*")).toBe("/v1/var/*");
    expect(restParamName("/v1/var/:path*")).toBe("path");
    expect(fastifyPattern("/v1/job/:id")).toBe("/v1/job/:id");
    expect(restParamName("/v1/job/:id")).toBeUndefined();
  });
});

describe("queryOptions", () => {
  it("reads stale, blocking index and wait, prefix and namespace", () => {
    const q = queryOptions(new URLSearchParams("stale&index=42&wait=2s&prefix=web&namespace=prod"));
    expect(q).toEqual({ stale: true, minIndex: 42, maxWaitMs: 2000, prefix: "web", namespace: "prod" });
  });

  it("defaults the wait of a blocking query and caps it at 10 minutes", () => {
    expect(queryOptions(new URLSearchParams("index=1")).maxWaitMs).toBe(300_000);
    expect(queryOptions(new URLSearchParams("index=1&wait=1h")).maxWaitMs).toBe(600_000);
    expect(queryOptions(new URLSearchParams("stale=false")).stale).toBe(false);
  });

  it("rejects a bad index or wait with the parameter's name", () => {
    expect(() => queryOptions(new URLSearchParams("index=abc"))).toThrow(/\?index/);
    expect(() => queryOptions(new URLSearchParams("index=3&wait=soon"))).toThrow(/\?wait/);
  });
});
