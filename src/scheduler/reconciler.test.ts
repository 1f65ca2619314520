import { describe, expect, it } from "vitest";
import type { Allocation, Deployment, Job, Node } from "../fsm/structs.js";
import { type DesiredChanges, type ReconcileInput, reconcile } from "./reconciler.js";
import { mockAlloc, mockGroup, mockJob, mockNode, mockTask, mockUpdate } from "./test-fixtures.js";

/**
 * Table-driven cases for the pure reconciler, in the manner of Nomad's reconciler tests: a job,
 * its allocations and tainted nodes in; the desired changes per group out.
 */
const node = mockNode("n1");
const down = mockNode("down", { Status: "down" });
const draining = mockNode("drain", {
  DrainStrategy: { Deadline: 0, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: 0 },
});
const NOW = 1_000_000e9;

function job(count: number, overrides: Partial<Job> = {}): Job {
  return mockJob("j", { TaskGroups: [mockGroup("web", { Count: count })], ...overrides });
}

function allocs(j: Job, n: number, overrides: (i: number) => Partial<Allocation> = () => ({})): Allocation[] {
  return Array.from({ length: n }, (_, i) => mockAlloc(`a${i}`, j, node, i, overrides(i)));
}

function run(input: Partial<ReconcileInput> & { job: Job | null; allocs: Allocation[] }) {
  let id = 0;
  const tainted = new Map<string, Node | null>([
    [down.ID, down],
    [draining.ID, draining],
    ["gone", null],
  ]);
  return reconcile({
    deployment: null,
    taintedNodes: tainted,
    jobVersion: () => undefined,
    batch: false,
    now: NOW,
    evalId: "eval-1",
    newId: () => `id-${++id}`,
    ...input,
  });
}

const none: DesiredChanges = {
  place: 0,
  stop: 0,
  inPlace: 0,
  destructive: 0,
  migrate: 0,
  canary: 0,
  ignore: 0,
};
const v0 = job(5);
const v1Destructive: Job = {
  ...v0,
  Version: 1,
  TaskGroups: [{ ...v0.TaskGroups[0]!, Tasks: [mockTask("web", { Config: { command: "x" } })] }],
};
const v1Meta: Job = { ...v0, Version: 1, Meta: { a: "b" } };

describe("reconcile", () => {
  it.each<
    [string, Partial<ReconcileInput> & { job: Job | null; allocs: Allocation[] }, Partial<DesiredChanges>]
  >([
    ["place all on a new job", { job: v0, allocs: [] }, { place: 5 }],
    ["nothing to do", { job: v0, allocs: allocs(v0, 5) }, { ignore: 5 }],
    ["scale up", { job: v0, allocs: allocs(v0, 3) }, { place: 2, ignore: 3 }],
    ["scale down", { job: v0, allocs: allocs(v0, 7) }, { stop: 2, ignore: 5 }],
    [
      "lost on a down node",
      { job: v0, allocs: allocs(v0, 5, (i) => (i < 2 ? { NodeID: "down" } : {})) },
      { place: 2, ignore: 3 },
    ],
    [
      "lost on a garbage-collected node",
      { job: v0, allocs: allocs(v0, 5, (i) => (i === 0 ? { NodeID: "gone" } : {})) },
      { place: 1, ignore: 4 },
    ],
    [
      "migrate every marked allocation (the drainer paces the marks)",
      {
        job: v0,
        allocs: allocs(v0, 5, (i) =>
          i < 3
            ? {
                NodeID: "drain",
                DesiredTransition: { Migrate: true, Reschedule: false, ForceReschedule: false },
              }
            : {},
        ),
      },
      { migrate: 3, ignore: 2 },
    ],
    [
      "a marked allocation migrates even once its node stopped draining",
      {
        job: v0,
        allocs: allocs(v0, 5, (i) =>
          i === 0 ? { DesiredTransition: { Migrate: true, Reschedule: false, ForceReschedule: false } } : {},
        ),
      },
      { migrate: 1, ignore: 4 },
    ],
    [
      "draining without the migrate mark waits for the drainer",
      { job: v0, allocs: allocs(v0, 5, () => ({ NodeID: "drain" })) },
      { ignore: 5 },
    ],
    [
      "destructive update all at once",
      { job: v1Destructive, allocs: allocs(v0, 5), jobVersion: () => v0 },
      { destructive: 5 },
    ],
    ["in-place update", { job: v1Meta, allocs: allocs(v0, 5), jobVersion: () => v0 }, { inPlace: 5 }],
    [
      "replace a service alloc that completed",
      { job: v0, allocs: allocs(v0, 5, (i) => (i === 0 ? { ClientStatus: "complete" } : {})) },
      { place: 1, ignore: 4 },
    ],
    [
      "keep a batch alloc that completed",
      {
        job: { ...v0, Type: "batch" },
        allocs: allocs(v0, 5, (i) => (i === 0 ? { ClientStatus: "complete" } : {})),
        batch: true,
      },
      { ignore: 4 },
    ],
    [
      "reschedule a failed alloc now (no delay)",
      {
        job: {
          ...v0,
          TaskGroups: [
            {
              ...v0.TaskGroups[0]!,
              ReschedulePolicy: {
                Attempts: 1,
                Interval: 3600e9,
                Delay: 0,
                DelayFunction: "constant",
                MaxDelay: 0,
                Unlimited: false,
              },
            },
          ],
        },
        allocs: allocs(v0, 5, (i) => (i === 0 ? { ClientStatus: "failed", ModifyTime: NOW } : {})),
      },
      { place: 1, ignore: 4 },
    ],
  ])("%s", (_name, input, expected) => {
    expect(run(input).desired["web"]).toEqual({ ...none, ...expected });
  });

  it("batches failed allocations due within 5 s into one follow-up", () => {
    const j = job(3, {
      TaskGroups: [
        mockGroup("web", {
          Count: 3,
          ReschedulePolicy: {
            Attempts: 3,
            Interval: 3600e9,
            Delay: 60e9,
            DelayFunction: "constant",
            MaxDelay: 0,
            Unlimited: false,
          },
        }),
      ],
    });
    const result = run({
      job: j,
      allocs: allocs(j, 3, (i) => ({ ClientStatus: "failed", ModifyTime: NOW + [0, 2e9, 30e9][i]! })),
    });
    expect(result.followUps.map((f) => [f.waitUntil, f.allocs.map((a) => a.ID)])).toEqual([
      [NOW + 60e9, ["a0", "a1"]],
      [NOW + 90e9, ["a2"]],
    ]);
    expect(result.placements).toHaveLength(0);
  });

  it("stops everything and cancels the deployment when the job is stopped", () => {
    const deployment = {
      ID: "d1",
      Status: "running",
      JobVersion: 0,
      TaskGroups: {},
    } as unknown as Deployment;
    const result = run({
      job: { ...v0, Stop: true },
      allocs: allocs(v0, 3, (i) => (i === 0 ? { NodeID: "down" } : {})),
      deployment,
    });
    expect(result.stops.map((s) => [s.alloc.ID, s.clientStatus ?? ""])).toEqual([
      ["a0", "lost"],
      ["a1", ""],
      ["a2", ""],
    ]);
    expect(result.deploymentUpdates).toEqual([
      { DeploymentID: "d1", Status: "cancelled", StatusDescription: "Cancelled because job is stopped" },
    ]);
  });

  it("paces a rolling update by max_parallel and creates the deployment", () => {
    const update = mockUpdate({ Stagger: 0, HealthyDeadline: 60e9, AutoRevert: true });
    const v1 = { ...v1Destructive, TaskGroups: [{ ...v1Destructive.TaskGroups[0]!, Update: update }] };
    const result = run({ job: v1, allocs: allocs(v0, 5), jobVersion: () => v0 });
    expect(result.desired["web"]).toEqual({ ...none, destructive: 2, ignore: 3 });
    expect(result.deployment?.TaskGroups["web"]).toMatchObject({
      DesiredTotal: 5,
      AutoRevert: true,
      RequireProgressBy: NOW + 600e9,
    });
  });
});

describe("reconcile with deployments", () => {
  const update = mockUpdate({
    Stagger: 0,
    MaxParallel: 1,
    MinHealthyTime: 0,
    HealthyDeadline: 0,
    ProgressDeadline: 0,
  });
  const v1 = { ...v1Destructive, TaskGroups: [{ ...v1Destructive.TaskGroups[0]!, Update: update }] };
  const deployment = (status: Deployment["Status"]): Deployment =>
    ({
      ID: "d1",
      Status: status,
      JobVersion: 1,
      JobCreateIndex: 0,
      TaskGroups: { web: { Promoted: false, DesiredTotal: 5 } },
    }) as unknown as Deployment;

  it.each<[Deployment["Status"], number, boolean]>([
    ["running", 1, false],
    ["paused", 0, false],
    ["failed", 0, false],
    ["successful", 1, true],
  ])(
    "a %s deployment of this version allows %d destructive updates (new deployment: %s)",
    (status, destructive, fresh) => {
      const result = run({
        job: v1,
        allocs: allocs(v0, 5),
        jobVersion: () => v0,
        deployment: deployment(status),
      });
      expect(result.desired["web"]?.destructive).toBe(destructive);
      expect(result.deployment !== null && result.deployment.ID !== "d1").toBe(fresh);
    },
  );
});
