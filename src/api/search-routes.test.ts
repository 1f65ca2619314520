import { describe, expect, it } from "vitest";
import { mockEval, mockId, mockJob, mockNode } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import { fuzzySearch, SEARCH_LIMIT } from "./search-routes.js";

describe("fuzzySearch", () => {
  const store = new StateStore();
  store.apply(1, {
    type: "node-register",
    Nodes: [mockNode({ ID: mockId(1, 1), Name: "rack1-worker" }), mockNode({ ID: mockId(2, 1), Name: "db" })],
    Evals: [],
  });
  for (let i = 0; i < SEARCH_LIMIT + 2; i++) {
    store.apply(2 + i, {
      type: "job-register",
      Job: mockJob({ ID: `web-${String(i).padStart(2, "0")}` }),
      Eval: mockEval({ ID: mockId(i + 1, 9), JobID: `web-${String(i).padStart(2, "0")}` }),
    });
  }
  store.apply(99, { type: "namespace-upsert", Namespaces: [{ Name: "other", Description: "", Meta: {} }] });
  store.apply(100, { type: "job-register", Job: mockJob({ ID: "api", Namespace: "other" }), Eval: null });

  it("finds jobs by a part of their name, up to the limit, and says it truncated", () => {
    const result = fuzzySearch(store.snapshot(), "WEB-", "jobs", "default");
    expect(result.Matches["jobs"]).toHaveLength(SEARCH_LIMIT);
    expect(result.Matches["jobs"]?.[0]).toEqual({ ID: "web-00", Scope: ["default"] });
    expect(result.Truncations["jobs"]).toBe(true);
    expect(result.Matches["nodes"]).toBeUndefined();
  });

  it("finds nodes by name, evals by ID prefix, and keeps to the namespace", () => {
    const all = fuzzySearch(store.snapshot(), "worker", "all", "default");
    expect(all.Matches["nodes"]).toEqual([{ ID: "rack1-worker", Scope: [mockId(1, 1)] }]);
    expect(all.Matches["jobs"]).toEqual([]);
    const evalId = mockId(3, 9);
    expect(fuzzySearch(store.snapshot(), evalId, "evals", "default").Matches["evals"]).toEqual([
      { ID: evalId, Scope: ["default", "web-02"] },
    ]);
    expect(fuzzySearch(store.snapshot(), "api", "jobs", "default").Matches["jobs"]).toEqual([]);
    expect(fuzzySearch(store.snapshot(), "api", "jobs", "*").Matches["jobs"]).toEqual([
      { ID: "api", Scope: ["other"] },
    ]);
  });
});
