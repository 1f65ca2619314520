// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation references are plain strings
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Allocation,
  type Job,
  mockAlloc,
  mockJob,
  mockTask,
  mockTaskGroup,
  type RestartPolicy,
  type Task,
  type TaskGroup,
  type UpdateStrategy,
} from "../../fsm/index.js";
import type { AllocClientFields } from "../../rpc/server-api.js";
import { AllocRunner } from "./alloc-runner.js";
import { type Harness, harness } from "./test-fixtures.js";

const MS = 1e6;
const noRestart: RestartPolicy = { Attempts: 0, Interval: 3600e9, Delay: 1 * MS, Mode: "fail" };

let h: Harness;
const runners: AllocRunner[] = [];
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.shutdown();
  await h.close();
});

function task(name: string, overrides: Partial<Task> = {}): Task {
  return mockTask({
    Name: name,
    Config: { run_for: "1h" },
    KillTimeout: 1e9,
    RestartPolicy: noRestart,
    ...overrides,
  });
}
const prestart = { Hook: "prestart", Sidecar: false } as const;
const sidecar = { Hook: "prestart", Sidecar: true } as const;
const poststart = { Hook: "poststart", Sidecar: false } as const;
const poststop = { Hook: "poststop", Sidecar: false } as const;

function allocOf(
  tasks: Task[],
  job: Partial<Job> = {},
  group: Partial<TaskGroup> = {},
  alloc: Partial<Allocation> = {},
) {
  const g = mockTaskGroup({ Name: "g", Tasks: tasks, ...group });
  const j = mockJob({ TaskGroups: [g], ...job });
  const a = mockAlloc({ TaskGroup: "g", JobID: j.ID, Name: `${j.ID}.g[0]`, ...alloc });
  return { alloc: a, job: j };
}

function start(a: { alloc: Allocation; job: Job }, deps = h.deps): AllocRunner {
  const runner = new AllocRunner(deps, a.alloc, a.job);
  runners.push(runner);
  runner.run();
  return runner;
}

const status = (s: string) => (f: AllocClientFields) => f.ClientStatus === s;
const events = (f: AllocClientFields | undefined, name: string) =>
  (f?.TaskStates?.[name]?.Events ?? []).map((e) => e.Type);

describe("AllocRunner", () => {
  it("runs a batch alloc to complete and reports each step once", async () => {
    const runner = start(allocOf([task("web", { Config: { run_for: "5ms" } })], { Type: "batch" }));
    const complete = await h.updates.until(status("complete"));
    expect(complete.ClientDescription).toBe("All tasks have completed");
    expect(complete.TaskStates?.["web"]).toMatchObject({ State: "dead", Failed: false });
    expect(runner.terminal).toBe(true);
    // Coalesced: one report per turn with changes, never the same report twice in a row.
    const keys = h.updates.updates.map((u) => JSON.stringify({ ...u, ModifyTime: 0 }));
    expect(new Set(keys).size).toBe(keys.length);
    // Statuses only move forward. A 5 ms task may start and finish between two reports (a busy
    // machine delays the report's turn past the task's exit), so "running" need not be seen on
    // its own; the task's events still tell that it started.
    const order = ["pending", "running", "complete"];
    const seen = h.updates.updates.map((u) => order.indexOf(u.ClientStatus ?? ""));
    expect(seen.every((rank, i) => rank >= 0 && (i === 0 || rank >= (seen[i - 1] as number)))).toBe(true);
    expect(seen[0]).toBe(0);
    expect(events(complete, "web")).toEqual(expect.arrayContaining(["Started", "Terminated"]));
    expect(await h.state.allocs()).toHaveLength(1);
  });

  it("runs prestart to completion before the mains, poststart after they run, poststop last", async () => {
    start(
      allocOf(
        [
          task("stop", { Lifecycle: poststop, Config: { run_for: "1ms" } }),
          task("web", { Config: { run_for: "500ms" } }),
          task("post", { Lifecycle: poststart, Config: { run_for: "1ms" } }),
          task("init", { Lifecycle: prestart, Config: { run_for: "5ms" } }),
        ],
        { Type: "batch" },
      ),
    );
    await h.updates.until(status("complete"));
    const log = h.mock.log;
    const at = (entry: string) => log.indexOf(entry);
    expect(at("exit:init")).toBeLessThan(at("start:web"));
    expect(at("start:web")).toBeLessThan(at("start:post"));
    expect(at("exit:web")).toBeLessThan(at("start:stop"));
    expect(at("exit:post")).toBeLessThan(at("start:stop"));
    expect(h.mock.starts.sort()).toEqual(["init", "post", "stop", "web"]);
  });

  it("runs prestart sidecars beside the mains and stops them once the mains end", async () => {
    start(
      allocOf([task("proxy", { Lifecycle: sidecar }), task("web", { Config: { run_for: "5ms" } })], {
        Type: "batch",
      }),
    );
    const done = await h.updates.until(status("complete"));
    expect(h.mock.log.indexOf("start:proxy")).toBeLessThan(h.mock.log.indexOf("start:web"));
    expect(events(done, "proxy")).toEqual(expect.arrayContaining(["Main Tasks Dead", "Killing", "Killed"]));
    expect(done.TaskStates?.["proxy"]).toMatchObject({ State: "dead", Failed: false });
  });

  it("fails the alloc when a prestart task fails; the mains never start", async () => {
    start(
      allocOf(
        [task("init", { Lifecycle: prestart, Config: { run_for: "1ms", exit_code: 1 } }), task("web")],
        {
          Type: "batch",
        },
      ),
    );
    const failed = await h.updates.until(
      (f) => f.ClientStatus === "failed" && f.TaskStates?.["web"]?.State === "dead",
    );
    expect(h.mock.starts).toEqual(["init"]);
    expect(failed.TaskStates?.["init"]?.Failed).toBe(true);
    expect(failed.TaskStates?.["web"]?.Events.map((e) => e.DisplayMessage)).toContain(
      'Task\'s sibling "init" failed',
    );
  });

  it("stops the other tasks when the leader ends", async () => {
    const runner = start(
      allocOf([task("lead", { Leader: true, Config: { run_for: "5ms" } }), task("web")], { Type: "batch" }),
    );
    const done = await h.updates.until(status("complete"));
    expect(events(done, "web")).toEqual(expect.arrayContaining(["Leader Task Dead", "Killing", "Killed"]));
    expect(runner.terminal).toBe(true);
  });

  it("kills the siblings of a main task that failed", async () => {
    start(allocOf([task("web", { Config: { run_for: "5ms", exit_code: 2 } }), task("db")]));
    const failed = await h.updates.until(
      (f) => f.ClientStatus === "failed" && f.TaskStates?.["db"]?.State === "dead",
    );
    expect(failed.TaskStates?.["db"]?.Failed).toBe(false);
    expect(events(failed, "db")).toEqual(
      expect.arrayContaining(["Sibling Task Failed", "Killing", "Killed"]),
    );
    expect(events(failed, "web").at(-1)).toBe("Not Restarting");
  });

  it("stops when the servers stop it: kill signal and timeout, poststop after, complete", async () => {
    const a = allocOf([
      task("web", { KillSignal: "SIGTERM", KillTimeout: 3e9 }),
      task("stop", { Lifecycle: poststop, Config: { run_for: "1ms" } }),
    ]);
    const runner = start(a);
    await h.updates.until(status("running"));
    runner.update({ ...a.alloc, DesiredStatus: "stop" }, a.job);
    const done = await h.updates.until(status("complete"));
    expect(h.mock.stops).toEqual([{ task: "web", signal: "SIGTERM", timeoutMs: 3000 }]);
    const killing = done.TaskStates?.["web"]?.Events.find((e) => e.Type === "Killing");
    expect(killing?.DisplayMessage).toBe("Sent interrupt. Waiting 3s before force killing");
    expect(h.mock.log.indexOf("exit:web")).toBeLessThan(h.mock.log.indexOf("start:stop"));
    expect((await h.state.allocs())[0]?.alloc.DesiredStatus).toBe("stop");
  });

  it("restore re-attaches to running tasks without starting them again", async () => {
    const a = allocOf([task("web"), task("db")]);
    const first = start(a);
    await h.updates.until(status("running"));
    await first.shutdown(); // the agent goes away; the tasks keep running

    const restarted = h.restartedDeps();
    const second = new AllocRunner(restarted.deps, a.alloc, a.job);
    runners.push(second);
    await second.restore();
    expect(restarted.mock.recovers.sort()).toEqual(["db", "web"]);
    expect(restarted.mock.starts).toEqual([]);
    const fields = second.clientFields();
    expect(fields.ClientStatus).toBe("running");
    expect(events(fields, "web").filter((t) => t === "Started")).toHaveLength(1);

    await second.stop("test over");
    expect(restarted.mock.stops.map((s) => s.task).sort()).toEqual(["db", "web"]);
    await h.mock.stopAll();
  });

  it("destroy stops the tasks and removes the alloc dir and state records", async () => {
    const a = allocOf([task("web")]);
    const runner = start(a);
    await h.updates.until(status("running"));
    const dir = join(h.allocRoot, a.alloc.ID);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await runner.destroy();
    expect(runner.terminal).toBe(true);
    await expect(stat(dir)).rejects.toThrow();
    expect(await h.state.allocs()).toEqual([]);
    expect((await h.state.tasks(a.alloc.ID)).size).toBe(0);
  });

  it("serves a task's log", async () => {
    const a = allocOf([task("web", { Config: { run_for: "1ms", stdout_string: "hello\n" } })], {
      Type: "batch",
    });
    const runner = start(a);
    await h.updates.until(status("complete"));
    const chunks: string[] = [];
    const request = { task: "web", type: "stdout", origin: "start", offset: 0, follow: true } as const;
    for await (const frame of runner.logs({ ...request, signal: new AbortController().signal })) {
      chunks.push(frame.data.toString());
    }
    expect(chunks.join("")).toBe("hello\n");
    expect(() => runner.logs({ ...request, task: "nope", signal: new AbortController().signal })).toThrow(
      /not found/,
    );
  });
});

describe("AllocRunner deployment health", () => {
  const update: UpdateStrategy = {
    Stagger: 0,
    MaxParallel: 1,
    HealthCheck: "task_states",
    MinHealthyTime: 20 * MS,
    HealthyDeadline: 60e9,
    ProgressDeadline: 600e9,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  };

  it("reports healthy once the tasks ran for min_healthy_time", async () => {
    start(allocOf([task("web")], {}, { Update: update }, { DeploymentID: "d1" }));
    const healthy = await h.updates.until((f) => f.DeploymentStatus?.Healthy != null);
    expect(healthy.DeploymentStatus).toMatchObject({ Healthy: true, Canary: false });
    expect(healthy.DeploymentStatus?.Timestamp).toBeGreaterThanOrEqual(
      (healthy.TaskStates?.["web"]?.StartedAt ?? 0) + 20 * MS,
    );
  });

  it("reports unhealthy when a task restarts first, with an Alloc Unhealthy event", async () => {
    const restartOnce: RestartPolicy = { Attempts: 1, Interval: 3600e9, Delay: 1 * MS, Mode: "fail" };
    start(
      allocOf(
        [task("web", { Config: { run_for: "2ms", exit_code: 1 }, RestartPolicy: restartOnce })],
        {},
        { Update: { ...update, MinHealthyTime: 3600e9 } },
        { DeploymentID: "d1" },
      ),
    );
    const unhealthy = await h.updates.until((f) => f.DeploymentStatus?.Healthy === false);
    const alert = unhealthy.TaskStates?.["web"]?.Events.find((e) => e.Type === "Alloc Unhealthy");
    expect(alert?.DisplayMessage).toBe("Unhealthy because of task restart");
  });

  it("never sets health for a manual strategy or without a deployment", async () => {
    start(
      allocOf(
        [task("web", { Config: { run_for: "30ms" } })],
        { Type: "batch" },
        { Update: { ...update, HealthCheck: "manual" } },
        { DeploymentID: "d1" },
      ),
    );
    await h.updates.until(status("complete"));
    expect(h.updates.updates.every((u) => u.DeploymentStatus?.Healthy == null)).toBe(true);
  });
});

describe("AllocRunner with raw_exec", () => {
  it("gives a real shell task its NOMAD_* environment and interpolated values", async () => {
    const script = 'env > "$NOMAD_TASK_DIR/env.txt"; echo "$NOMAD_ALLOC_ID" > "$NOMAD_ALLOC_DIR/data/id"';
    const a = allocOf(
      [
        task("shell", {
          Driver: "raw_exec",
          Config: { command: "/bin/sh", args: ["-c", script, "${NOMAD_TASK_NAME}"] },
          Env: { GREETING: "hello ${node.unique.name} in ${attr.kernel.name}", RACK: "${meta.rack}" },
          Meta: { Owner: "ops" },
        }),
      ],
      { Type: "batch" },
    );
    start(a);
    const done = await h.updates.until(status("complete"));
    expect(done.TaskStates?.["shell"]).toMatchObject({ State: "dead", Failed: false });
    const envFile = await readFile(join(h.allocRoot, a.alloc.ID, "shell", "local", "env.txt"), "utf8");
    const env = Object.fromEntries(
      envFile
        .trim()
        .split("\n")
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(env).toMatchObject({
      NOMAD_ALLOC_ID: a.alloc.ID,
      NOMAD_TASK_NAME: "shell",
      NOMAD_GROUP_NAME: "g",
      NOMAD_JOB_ID: a.job.ID,
      NOMAD_ALLOC_INDEX: "0",
      NOMAD_TASK_DIR: join(h.allocRoot, a.alloc.ID, "shell", "local"),
      NOMAD_ALLOC_DIR: join(h.allocRoot, a.alloc.ID, "alloc"),
      NOMAD_PORT_http: "8080",
      NOMAD_HOST_PORT_http: "23456",
      NOMAD_META_OWNER: "ops",
      GREETING: "hello node-a in linux",
      RACK: "r1",
    });
    expect(env["PATH"]).toBeTruthy();
    const id = await readFile(join(h.allocRoot, a.alloc.ID, "alloc", "data", "id"), "utf8");
    expect(id.trim()).toBe(a.alloc.ID);
  });

  it("restore re-attaches to a real process: it is started once", async () => {
    const counter = join(h.dir, "starts");
    const a = allocOf([
      task("shell", {
        Driver: "raw_exec",
        Config: { command: "/bin/sh", args: ["-c", `echo start >> ${counter}; exec sleep 3600`] },
      }),
    ]);
    const first = start(a);
    await h.updates.until(status("running"));
    await first.shutdown();

    const restarted = h.restartedDeps();
    const second = new AllocRunner(restarted.deps, a.alloc, a.job);
    runners.push(second);
    await second.restore();
    expect(second.clientFields().ClientStatus).toBe("running");
    expect(restarted.rawExec.starts).toEqual([]);
    await second.stop("test over");
    expect((await readFile(counter, "utf8")).trim().split("\n")).toEqual(["start"]);
    expect(second.clientFields().TaskStates?.["shell"]).toMatchObject({ State: "dead", Failed: false });
  });
});
