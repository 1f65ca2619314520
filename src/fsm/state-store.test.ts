import { describe, expect, it } from "vitest";
import { decodeCommand, encodeCommand } from "./command-codec.js";
import type { Command, PlanApplyCommand } from "./commands.js";
import { CorruptCommandError, InvalidCommandError, UnknownCommandError } from "./errors.js";
import { mockAlloc, mockDeployment, mockEval, mockId, mockJob, mockNode, mockPlanApply } from "./mock.js";
import { StateStore } from "./state-store.js";
import type { Allocation } from "./structs.js";

const NOW = 1_700_000_000_000_000_000;

function plan(allocs: Allocation[], extra: Partial<PlanApplyCommand> = {}): PlanApplyCommand {
  return mockPlanApply(allocs, { Now: NOW, ...extra });
}

/** A store with one node, one registered job (count 3) and its pending eval. */
function seeded(): StateStore {
  const store = new StateStore();
  store.apply(1, { type: "node-register", Nodes: [mockNode({ ID: mockId(1, 1) })], Evals: [] });
  store.apply(2, {
    type: "job-register",
    Job: mockJob({ ID: "web" }),
    Eval: mockEval({ ID: mockId(1, 9), JobID: "web" }),
  });
  return store;
}

function allocs(n: number, overrides: Partial<Allocation> = {}): Allocation[] {
  return Array.from({ length: n }, (_, i) =>
    mockAlloc({
      ID: mockId(i + 1, 0xa),
      JobID: "web",
      Name: `web.web[${i}]`,
      NodeID: mockId(1, 1),
      EvalID: mockId(1, 9),
      ...overrides,
    }),
  );
}

describe("StateStore", () => {
  it("registers a job with its eval, summary, version and pending status", () => {
    const store = seeded();
    const snap = store.snapshot();
    const job = snap.jobByID("default", "web");
    expect(job).toMatchObject({
      Version: 0,
      CreateIndex: 2,
      ModifyIndex: 2,
      JobModifyIndex: 2,
      Status: "pending",
    });
    expect(snap.jobVersions("default", "web").map((j) => j.Version)).toEqual([0]);
    expect(snap.jobSummary("default", "web")?.Summary["web"]).toMatchObject({ Queued: 0, Starting: 0 });
    expect(snap.evalsByJob("default", "web").map((e) => e.ID)).toEqual([mockId(1, 9)]);
    expect(snap.tableIndex("jobs")).toBe(2);
    expect(snap.tableIndex("nodes")).toBe(1);
    expect(snap.index).toBe(2);
  });

  it("bumps the version only when the spec changes and keeps six versions", () => {
    const store = seeded();
    store.apply(3, { type: "job-register", Job: mockJob({ ID: "web" }), Eval: null });
    expect(store.snapshot().jobByID("default", "web")).toMatchObject({
      Version: 0,
      JobModifyIndex: 2,
      ModifyIndex: 3,
    });
    for (let i = 0; i < 8; i++) {
      store.apply(4 + i, { type: "job-register", Job: mockJob({ ID: "web", Priority: 10 + i }), Eval: null });
    }
    const snap = store.snapshot();
    expect(snap.jobByID("default", "web")?.Version).toBe(8);
    expect(snap.jobVersions("default", "web").map((j) => j.Version)).toEqual([8, 7, 6, 5, 4, 3]);
    expect(snap.jobByVersion("default", "web", 5)?.Priority).toBe(14);
  });

  it("sets a version's stability both ways, on the job too when current; an unknown version fails", () => {
    const store = seeded();
    store.apply(3, { type: "job-register", Job: mockJob({ ID: "web", Priority: 70 }), Eval: null });
    store.apply(4, {
      type: "job-stability",
      Namespace: "default",
      JobID: "web",
      JobVersion: 0,
      Stable: true,
    });
    let snap = store.snapshot();
    expect(snap.jobByVersion("default", "web", 0)?.Stable).toBe(true);
    expect(snap.jobByID("default", "web")).toMatchObject({ Version: 1, Stable: false, ModifyIndex: 3 });
    const result = store.apply(5, {
      type: "job-stability",
      Namespace: "default",
      JobID: "web",
      JobVersion: 1,
      Stable: true,
    });
    expect(result).toEqual({ Index: 5 });
    snap = store.snapshot();
    expect(snap.jobByID("default", "web")).toMatchObject({ Stable: true, ModifyIndex: 5 });
    expect(snap.jobByVersion("default", "web", 1)?.Stable).toBe(true);
    store.apply(6, {
      type: "job-stability",
      Namespace: "default",
      JobID: "web",
      JobVersion: 1,
      Stable: false,
    });
    snap = store.snapshot();
    expect(snap.jobByID("default", "web")).toMatchObject({ Stable: false, ModifyIndex: 6 });
    expect(snap.jobByVersion("default", "web", 1)?.Stable).toBe(false);
    expect(() =>
      store.apply(7, {
        type: "job-stability",
        Namespace: "default",
        JobID: "web",
        JobVersion: 9,
        Stable: true,
      }),
    ).toThrow(InvalidCommandError);
    const command: Command = {
      type: "job-stability",
      Namespace: "default",
      JobID: "web",
      JobVersion: 0,
      Stable: false,
    };
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it("applies a plan: indexes, summary, job status, and snapshots stay frozen", () => {
    const store = seeded();
    store.apply(3, {
      type: "eval-upsert",
      Evals: [
        mockEval({ ID: mockId(1, 9), JobID: "web", Status: "complete", QueuedAllocations: { web: 3 } }),
      ],
    });
    expect(store.snapshot().jobSummary("default", "web")?.Summary["web"]?.Queued).toBe(3);
    const before = store.snapshot();
    const result = store.apply(4, plan(allocs(3)));
    expect(result).toEqual({ AllocIndex: 4, AllocsWritten: 3 });
    const snap = store.snapshot();
    expect(snap.allocsByNode(mockId(1, 1))).toHaveLength(3);
    expect(snap.allocsByJob("default", "web")).toHaveLength(3);
    expect(snap.allocsByEval(mockId(1, 9))).toHaveLength(3);
    expect(snap.allocByID(mockId(1, 0xa))).toMatchObject({
      CreateIndex: 4,
      ModifyIndex: 4,
      AllocModifyIndex: 4,
      CreateTime: NOW,
    });
    expect(snap.jobSummary("default", "web")?.Summary["web"]).toMatchObject({ Queued: 0, Starting: 3 });
    expect(snap.jobByID("default", "web")?.Status).toBe("running");
    expect(before.allocCount()).toBe(0);
    expect(before.allocsByNode(mockId(1, 1))).toHaveLength(0);
    // Its only eval completed before any alloc existed: dead, as Nomad says.
    expect(before.jobByID("default", "web")?.Status).toBe("dead");
  });

  it("client updates move summary bins; stopping everything makes the job dead", () => {
    const store = seeded();
    store.apply(3, plan(allocs(2)));
    store.apply(4, {
      type: "alloc-client-update",
      Allocs: [
        {
          ID: mockId(1, 0xa),
          ClientStatus: "running",
          ClientDescription: "",
          TaskStates: {},
          DeploymentStatus: null,
          ModifyTime: NOW,
        },
        {
          ID: mockId(99, 0xa),
          ClientStatus: "running",
          ClientDescription: "",
          TaskStates: {},
          DeploymentStatus: null,
          ModifyTime: NOW,
        },
      ],
      Evals: [],
    });
    let snap = store.snapshot();
    expect(snap.jobSummary("default", "web")?.Summary["web"]).toMatchObject({ Starting: 1, Running: 1 });
    expect(snap.allocByID(mockId(1, 0xa))).toMatchObject({
      ClientStatus: "running",
      ModifyIndex: 4,
      AllocModifyIndex: 3,
    });
    store.apply(5, {
      type: "eval-upsert",
      Evals: [mockEval({ ID: mockId(1, 9), JobID: "web", Status: "complete" })],
    });
    store.apply(6, {
      ...plan([]),
      NodeUpdate: { [mockId(1, 1)]: allocs(2, { DesiredStatus: "stop", DesiredDescription: "job stopped" }) },
    });
    snap = store.snapshot();
    expect(snap.allocByID(mockId(2, 0xa))).toMatchObject({
      DesiredStatus: "stop",
      DesiredDescription: "job stopped",
    });
    expect(snap.jobByID("default", "web")?.Status).toBe("dead");
  });

  it("tracks deployments: placed allocs and health", () => {
    const store = seeded();
    const deployment = mockDeployment({ JobID: "web" });
    store.apply(3, { ...plan(allocs(2, { DeploymentID: deployment.ID })), Deployment: deployment });
    expect(store.snapshot().deploymentByID(deployment.ID)?.TaskGroups["web"]?.PlacedAllocs).toBe(2);
    store.apply(4, {
      type: "deployment-alloc-health",
      DeploymentID: deployment.ID,
      HealthyAllocationIDs: [mockId(1, 0xa)],
      UnhealthyAllocationIDs: [mockId(2, 0xa)],
      Timestamp: NOW,
      DeploymentUpdate: { DeploymentID: deployment.ID, Status: "successful", StatusDescription: "done" },
      Job: null,
      Eval: null,
    });
    const snap = store.snapshot();
    expect(snap.deploymentByID(deployment.ID)?.TaskGroups["web"]).toMatchObject({
      HealthyAllocs: 1,
      UnhealthyAllocs: 1,
    });
    expect(snap.latestDeploymentByJob("default", "web")?.Status).toBe("successful");
    expect(snap.jobByID("default", "web")?.Stable).toBe(true);
  });

  it("variables: CAS 0 means only-if-absent, conflicts answer the current variable", () => {
    const store = new StateStore();
    const put = (index: number, cas: number | null, value: string) =>
      store.apply(index, {
        type: "var-put",
        Var: { Namespace: "default", Path: "app/db", Items: { pw: value } },
        CAS: cas,
        Now: NOW,
      });
    expect(put(1, 0, "a")).toMatchObject({ ok: true, Var: { ModifyIndex: 1, CreateIndex: 1 } });
    expect(put(2, 0, "b")).toMatchObject({ ok: false, Current: { Items: { pw: "a" } } });
    expect(store.snapshot().tableIndex("variables")).toBe(1);
    expect(put(3, 1, "c")).toMatchObject({ ok: true, Var: { ModifyIndex: 3, CreateIndex: 1 } });
    expect(
      store.apply(4, { type: "var-delete", Namespace: "default", Path: "app/db", CAS: 1 }),
    ).toMatchObject({ ok: false });
    put(5, null, "x");
    store.apply(6, {
      type: "var-put",
      Var: { Namespace: "default", Path: "app/a", Items: {} },
      CAS: null,
      Now: NOW,
    });
    store.apply(7, {
      type: "var-put",
      Var: { Namespace: "default", Path: "other", Items: {} },
      CAS: null,
      Now: NOW,
    });
    expect([...store.snapshot().variablesByPrefix("default", "app/")].map((v) => v.Path)).toEqual([
      "app/a",
      "app/db",
    ]);
  });

  it("rejects corrupt, unknown and inapplicable commands without touching state", () => {
    const store = seeded();
    const tables = store.tables();
    const garbage = new Uint8Array([0xc1, 0xff, 0x00, 0x13]);
    expect(store.applyEntry(3, garbage)).toBeInstanceOf(CorruptCommandError);
    expect(store.applyEntry(4, encodeCommand({ type: "nope" } as unknown as Command))).toBeInstanceOf(
      UnknownCommandError,
    );
    const bad = store.applyEntry(
      5,
      encodeCommand({
        type: "node-status",
        Updates: [{ NodeID: "missing", Status: "down", StatusDescription: "", UpdatedAt: 0 }],
        Evals: [],
      }),
    );
    expect(bad).toBeInstanceOf(InvalidCommandError);
    // A plan whose second alloc is malformed: the first one must not stay behind.
    const broken = allocs(2);
    (broken[1] as { ClientStatus: unknown }).ClientStatus = 7;
    expect(store.applyEntry(6, encodeCommand(plan(broken)))).toBeInstanceOf(InvalidCommandError);
    // One whose allocation lacks a string field: the error names the field.
    const unnamed = allocs(1);
    (unnamed[0] as { TaskGroup: unknown }).TaskGroup = null;
    expect(store.applyEntry(7, encodeCommand(plan(unnamed)))).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/TaskGroup is not a string/) }),
    );
    expect(store.index).toBe(7);
    const after = store.tables();
    expect(after.allocs).toBe(tables.allocs);
    expect(after.jobs).toBe(tables.jobs);
    expect(after.tableIndexes).toEqual(tables.tableIndexes);
    expect(() => store.apply(7, { type: "eval-upsert", Evals: [] })).toThrow(/in order/);
  });

  it("accepts empty data as a no-op that only advances the index", () => {
    const store = seeded();
    expect(store.applyEntry(3, new Uint8Array(0))).toBeUndefined();
    expect(store.index).toBe(3);
    expect(store.snapshot().tableIndex("jobs")).toBe(2);
  });

  it("round-trips commands through the codec", () => {
    const command: Command = plan(allocs(3));
    expect(decodeCommand(encodeCommand(command))).toEqual(command);
  });

  it("wakes every watcher when the whole state is replaced (restore)", async () => {
    const store = seeded();
    const byNode = store.watchKeys([{ table: "allocs", key: "node:anything" }], 2);
    const byTable = store.watch(["variables"], 2);
    const other = seeded();
    other.apply(3, {
      type: "var-put",
      Var: { Namespace: "default", Path: "p", Items: {} },
      CAS: null,
      Now: NOW,
    });
    store.replace(other.tables());
    await expect(byNode).resolves.toBe(3);
    await expect(byTable).resolves.toBe(3);
  });

  it("wakes watchers: index, table and object", async () => {
    const store = seeded();
    const byIndex = store.waitForIndex(4);
    const byTable = store.watch(["allocs"], 2);
    const byNode = store.watchKeys([{ table: "allocs", key: `node:${mockId(1, 1)}` }], 2);
    const otherNode = new AbortController();
    const notMine = store.watchKeys([{ table: "allocs", key: "node:elsewhere" }], 2, otherNode.signal);
    store.apply(3, { type: "eval-upsert", Evals: [] });
    store.apply(4, plan(allocs(1)));
    await expect(byIndex).resolves.toMatchObject({ index: 4 });
    await expect(byTable).resolves.toBe(4);
    await expect(byNode).resolves.toBe(4);
    otherNode.abort();
    await expect(notMine).resolves.toBe(4);
    const aborted = new AbortController();
    const stuck = store.waitForIndex(100, aborted.signal);
    aborted.abort(new Error("gave up"));
    await expect(stuck).rejects.toThrow("gave up");
  });
});
