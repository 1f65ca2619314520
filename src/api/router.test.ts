import { describe, expect, it } from "vitest";
import { ValidationError } from "../shared/errors.js";
import { queryOptions } from "./query-params.js";
import { Router } from "./router.js";

describe("Router", () => {
  const router = new Router<string>()
    .add("GET", "/v1/jobs", "jobs")
    .add("GET", "/v1/job/:id", "job")
    .add("GET", "/v1/job/:id/allocations", "job-allocs")
    .add("PUT", "/v1/var/:path*", "var-put");

  it.each([
    ["GET", "/v1/jobs", "jobs", {}],
    ["GET", "/v1/job/web", "job", { id: "web" }],
    ["GET", "/v1/job/web%20app/allocations", "job-allocs", { id: "web app" }],
    ["PUT", "/v1/var/app/db/password", "var-put", { path: "app/db/password" }],
  ])("%s %s → %s", (method, path, handler, params) => {
    expect(router.match(method, path).found).toEqual({ handler, params });
  });

  it("tells an unknown path (404) from a known path with another method (405)", () => {
    expect(router.match("GET", "/v1/nope")).toEqual({ found: undefined, pathKnown: false });
    expect(router.match("DELETE", "/v1/jobs")).toEqual({ found: undefined, pathKnown: true });
    expect(router.match("PUT", "/v1/var").found).toBeUndefined();
  });

  it("refuses a malformed percent escape in a parameter as bad input, not a fault", () => {
    expect(() => router.match("PUT", "/v1/var/%ff/x")).toThrow(ValidationError);
    expect(() => router.match("GET", "/v1/job/%")).toThrow(/malformed percent-encoding/);
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
