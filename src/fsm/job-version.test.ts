// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
/**
 * The FSM's "same job spec" rule (Nomad's Job.SpecChanged): registering a job whose specification
 * is unchanged keeps its version and JobModifyIndex and adds no version; a change to any field of
 * the specification, however deeply nested, is a new version. Only the fields the store manages
 * (Version, Stable, Status, StatusDescription, SubmitTime and the indexes) are ignored.
 *
 * Every case goes through the FSM's job-register apply, as a log entry would.
 */
import { describe, expect, it } from "vitest";
import { sameJobSpec } from "./job-version.js";
import { mockJob, mockTask, mockTaskGroup } from "./mock.js";
import { StateStore } from "./state-store.js";
import type { Job } from "./structs.js";

/** A job with something in every part of the specification, so every leaf can be changed. */
function richJob(): Job {
  return mockJob({
    ID: "web",
    Datacenters: ["dc1", "dc2"],
    Constraints: [{ LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "=" }],
    Affinities: [{ LTarget: "${node.class}", RTarget: "fast", Operand: "=", Weight: 50 }],
    Spreads: [{ Attribute: "${node.datacenter}", Weight: 70, SpreadTarget: [{ Value: "dc1", Percent: 60 }] }],
    Update: {
      Stagger: 30_000_000_000,
      MaxParallel: 1,
      HealthCheck: "checks",
      MinHealthyTime: 10_000_000_000,
      HealthyDeadline: 300_000_000_000,
      ProgressDeadline: 600_000_000_000,
      AutoRevert: false,
      AutoPromote: false,
      Canary: 0,
    },
    Meta: { owner: "team-a", tier: "gold" },
    TaskGroups: [
      mockTaskGroup({
        Name: "api",
        Count: 3,
        Constraints: [{ LTarget: "${meta.rack}", RTarget: "r1", Operand: "!=" }],
        Meta: { group: "g" },
        Tasks: [
          mockTask({
            Name: "server",
            Config: { command: "/bin/server", args: ["--port", "8080"], nested: { level: 1 } },
            Env: { MODE: "prod" },
            Meta: { task: "t" },
            Constraints: [{ LTarget: "${attr.cpu.arch}", RTarget: "amd64", Operand: "=" }],
            Resources: { CPU: 500, Cores: 0, MemoryMB: 256, MemoryMaxMB: 512, DiskMB: 0, Networks: [] },
          }),
        ],
      }),
    ],
  });
}

/** Registers `first` at index 10 then `second` at index 11; returns what the store kept. */
function registerTwice(first: Job, second: Job): { job: Job; versions: number[] } {
  const store = new StateStore();
  store.apply(10, { type: "job-register", Job: first, Eval: null });
  store.apply(11, { type: "job-register", Job: second, Eval: null });
  const snap = store.snapshot();
  const job = snap.jobByID(first.Namespace, first.ID);
  if (job === undefined) throw new Error("job not stored");
  return { job, versions: snap.jobVersions(first.Namespace, first.ID).map((v) => v.Version) };
}

function expectNewVersion(first: Job, second: Job): void {
  const { job, versions } = registerTwice(first, second);
  expect(job.Version).toBe(1);
  expect(job.JobModifyIndex).toBe(11);
  expect(job.Stable).toBe(false);
  expect(versions).toEqual([1, 0]);
}

function expectSameVersion(first: Job, second: Job): void {
  const { job, versions } = registerTwice(first, second);
  expect(job.Version).toBe(0);
  expect(job.JobModifyIndex).toBe(10);
  expect(job.ModifyIndex).toBe(11);
  expect(versions).toEqual([0]);
}

type Path = (string | number)[];

/** Every leaf (string, number, boolean) of `value`, with its path. */
function leaves(value: unknown, path: Path = []): { path: Path; value: unknown }[] {
  if (value === null || typeof value !== "object") return [{ path, value }];
  const out: { path: Path; value: unknown }[] = [];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...leaves(v, [...path, i]));
  } else for (const [k, v] of Object.entries(value)) out.push(...leaves(v, [...path, k]));
  return out;
}

/** A deep copy of `job` with the leaf at `path` changed to `to`. */
function withLeaf(job: Job, path: Path, to: unknown): Job {
  const copy = structuredClone(job);
  let at: Record<string | number, unknown> = copy as unknown as Record<string, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path[path.length - 1] as string | number] = to;
  return copy;
}

function changed(value: unknown): unknown {
  if (typeof value === "string") return `${value}-changed`;
  if (typeof value === "number") return value + 1;
  if (typeof value === "boolean") return !value;
  return "was-null";
}

/** Top-level fields the store manages: a change of only these is not a new version. */
const MANAGED = [
  "Version",
  "Stable",
  "Status",
  "StatusDescription",
  "SubmitTime",
  "CreateIndex",
  "ModifyIndex",
  "JobModifyIndex",
];
/** The job's identity (another value registers another job) and an enum checked on apply. */
const NOT_MUTATED = new Set(["ID", "Namespace", "Type", ...MANAGED]);

describe("job register: same specification, same version", () => {
  it("keeps the version, JobModifyIndex and version list when the job is registered unchanged", () => {
    expectSameVersion(richJob(), richJob());
  });

  for (const field of MANAGED) {
    it(`ignores a change of ${field} alone`, () => {
      const job = richJob();
      const value = (job as unknown as Record<string, unknown>)[field];
      const to = field === "Status" ? "running" : changed(value);
      expectSameVersion(job, { ...job, [field]: to });
    });
  }

  it("ignores every managed field changed at once", () => {
    const job = richJob();
    expectSameVersion(job, {
      ...job,
      Version: 7,
      Stable: true,
      Status: "dead",
      StatusDescription: "x",
      SubmitTime: job.SubmitTime + 1,
      CreateIndex: 3,
      ModifyIndex: 4,
      JobModifyIndex: 5,
    });
  });

  it("does not depend on the order of keys in maps (meta, env, driver config)", () => {
    const job = richJob();
    const reordered = structuredClone(job);
    reordered.Meta = { tier: "gold", owner: "team-a" };
    const task = reordered.TaskGroups[0]?.Tasks[0];
    if (task === undefined) throw new Error("no task");
    task.Config = { nested: { level: 1 }, args: ["--port", "8080"], command: "/bin/server" };
    expect(sameJobSpec(job, reordered)).toBe(true);
    expectSameVersion(job, reordered);
  });

  it("keeps the stored job's Stable flag on an unchanged re-register", () => {
    const store = new StateStore();
    store.apply(10, { type: "job-register", Job: richJob(), Eval: null });
    store.apply(11, {
      type: "job-stability",
      Namespace: "default",
      JobID: "web",
      JobVersion: 0,
      Stable: true,
    });
    store.apply(12, { type: "job-register", Job: richJob(), Eval: null });
    const job = store.snapshot().jobByID("default", "web");
    expect(job).toMatchObject({ Version: 0, Stable: true, JobModifyIndex: 10 });
  });
});

describe("job register: any change of the specification is a new version", () => {
  const base = richJob();
  const paths = leaves(base).filter((l) => !NOT_MUTATED.has(String(l.path[0])));

  it("covers nested task, group, constraint, meta and config fields", () => {
    const names = paths.map((l) => l.path.join("."));
    for (const expected of [
      "Meta.owner",
      "Constraints.0.RTarget",
      "Affinities.0.Weight",
      "Spreads.0.SpreadTarget.0.Percent",
      "Update.Canary",
      "TaskGroups.0.Count",
      "TaskGroups.0.Meta.group",
      "TaskGroups.0.Constraints.0.Operand",
      "TaskGroups.0.Tasks.0.Config.args.1",
      "TaskGroups.0.Tasks.0.Config.nested.level",
      "TaskGroups.0.Tasks.0.Env.MODE",
      "TaskGroups.0.Tasks.0.Meta.task",
      "TaskGroups.0.Tasks.0.Constraints.0.LTarget",
      "TaskGroups.0.Tasks.0.Resources.MemoryMB",
      "TaskGroups.0.Tasks.0.KillTimeout",
    ]) {
      expect(names).toContain(expected);
    }
  });

  for (const { path, value } of paths) {
    it(`${path.join(".")}: ${JSON.stringify(value)} → ${JSON.stringify(changed(value))}`, () => {
      expectNewVersion(base, withLeaf(base, path, changed(value)));
    });
  }

  const structural: [string, (job: Job) => void][] = [
    ["Type service → batch", (j) => (j.Type = "batch")],
    ["a job meta key added", (j) => (j.Meta = { ...j.Meta, extra: "" })],
    ["a job meta key removed", (j) => (j.Meta = { owner: "team-a" })],
    [
      "a job constraint added",
      (j) => j.Constraints.push({ LTarget: "${node.class}", RTarget: "x", Operand: "=" }),
    ],
    ["the job constraints removed", (j) => (j.Constraints = [])],
    ["datacenters reordered", (j) => j.Datacenters.reverse()],
    ["update block removed", (j) => (j.Update = null)],
    [
      "periodic block added",
      (j) =>
        (j.Periodic = {
          Enabled: true,
          Spec: "*/5 * * * *",
          SpecType: "cron",
          ProhibitOverlap: false,
          TimeZone: "UTC",
        }),
    ],
    ["a task group added", (j) => j.TaskGroups.push(mockTaskGroup({ Name: "extra" }))],
    ["a task added", (j) => j.TaskGroups[0]?.Tasks.push(mockTask({ Name: "sidecar" }))],
    ["a task env var added", (j) => Object.assign(j.TaskGroups[0]?.Tasks[0]?.Env ?? {}, { NEW: "1" })],
    ["a task config key added", (j) => Object.assign(j.TaskGroups[0]?.Tasks[0]?.Config ?? {}, { x: 1 })],
    ["a task meta key added", (j) => Object.assign(j.TaskGroups[0]?.Tasks[0]?.Meta ?? {}, { m: "1" })],
    ["a group meta key added", (j) => Object.assign(j.TaskGroups[0]?.Meta ?? {}, { m: "1" })],
    ["the task's constraints removed", (j) => j.TaskGroups[0]?.Tasks[0]?.Constraints.splice(0)],
    [
      "a group constraint added",
      (j) => j.TaskGroups[0]?.Constraints.push({ LTarget: "a", RTarget: "b", Operand: "=" }),
    ],
    [
      "a driver arg appended",
      (j) => (j.TaskGroups[0]?.Tasks[0]?.Config["args"] as string[] | undefined)?.push("-v"),
    ],
    ["the job stopped", (j) => (j.Stop = true)],
  ];
  for (const [name, mutate] of structural) {
    it(name, () => {
      const next = structuredClone(base);
      mutate(next);
      expect(sameJobSpec(base, next)).toBe(false);
      expectNewVersion(base, next);
    });
  }
});
