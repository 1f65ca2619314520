import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Job,
  mockAlloc,
  mockJob,
  mockTask,
  mockTaskGroup,
  type RestartPolicy,
  type Task,
  type TaskState,
} from "../../fsm/index.js";
import type { Driver, IntentRecovery, LaunchIntent, TaskStartSpec } from "../drivers/driver.js";
import { isSameProcess } from "../drivers/process-tree.js";
import { AllocDir } from "./alloc-dir.js";
import { taskEvents } from "./task-events.js";
import { type TaskRecord, TaskRunner } from "./task-runner.js";
import { newTaskState, toRunning, withEvent } from "./task-state.js";
import { type Harness, harness, RecordingDriver, watch } from "./test-fixtures.js";

const MS = 1e6;
const ALLOC_ID = mockAlloc().ID;
const fastFail: RestartPolicy = { Attempts: 2, Interval: 3600e9, Delay: 1 * MS, Mode: "fail" };

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

interface Built {
  runner: TaskRunner;
  until: (test: (s: TaskState) => boolean) => Promise<TaskState>;
  allocDir: AllocDir;
  seen: TaskState[];
}

async function taskRunner(
  task: Partial<Task>,
  options: { jobType?: Job["Type"]; driver?: RecordingDriver | "none"; policy?: RestartPolicy } = {},
): Promise<Built> {
  const t = mockTask({ Name: "web", RestartPolicy: options.policy ?? fastFail, KillTimeout: 1e9, ...task });
  const group = mockTaskGroup({ Name: "web", Tasks: [t] });
  const job = mockJob({ Type: options.jobType ?? "service", TaskGroups: [group] });
  const alloc = mockAlloc({ TaskGroup: "web" });
  const allocDir = new AllocDir(h.allocRoot, alloc.ID);
  await allocDir.build();
  const seen: TaskState[] = [];
  let runner: TaskRunner | undefined;
  const w = watch(() => (runner as TaskRunner).state);
  runner = new TaskRunner({
    deps: h.deps,
    alloc,
    job,
    group,
    task: t,
    driver: options.driver === "none" ? undefined : (options.driver ?? h.mock),
    allocDir,
    logs: {
      stdoutPath: join(allocDir.logDir, "web.stdout.0"),
      stderrPath: join(allocDir.logDir, "web.stderr.0"),
    },
    onStateChange: (_name, state) => {
      seen.push(state);
      w.poke();
    },
  });
  return { runner, until: w.until, allocDir, seen };
}

const types = (state: TaskState) => state.Events.map((e) => e.Type);

describe("TaskRunner", () => {
  it("completes a batch task that exits 0: no restart, not failed", async () => {
    const { runner } = await taskRunner({ Config: { run_for: "1ms" } }, { jobType: "batch" });
    runner.receive();
    runner.run();
    await runner.done;
    expect(runner.state).toMatchObject({ State: "dead", Failed: false, Restarts: 0 });
    expect(types(runner.state)).toEqual(["Received", "Task Setup", "Started", "Terminated"]);
    expect(runner.state.StartedAt).toBeGreaterThan(0);
    expect(runner.state.FinishedAt).toBeGreaterThanOrEqual(runner.state.StartedAt);
    expect(h.metrics.started).toHaveLength(1);
    expect(h.mock.starts).toEqual(["web"]);
  });

  it("restarts by policy, then fails with Nomad's reason", async () => {
    const { runner } = await taskRunner({ Config: { run_for: "1ms", exit_code: 3 } });
    runner.run();
    await runner.done;
    expect(runner.state).toMatchObject({ State: "dead", Failed: true, Restarts: 2 });
    expect(runner.state.LastRestart).toBeGreaterThan(0);
    expect(h.mock.starts).toHaveLength(3);
    expect(h.metrics.restarts).toBe(2);
    const events = runner.state.Events;
    expect(events.filter((e) => e.Type === "Restarting").map((e) => e.DisplayMessage)).toEqual([
      "Task restarting in 1ms",
      "Task restarting in 1ms",
    ]);
    expect(events.filter((e) => e.Type === "Terminated").map((e) => e.DisplayMessage)).toContain(
      "Exit Code: 3",
    );
    expect(events.at(-1)).toMatchObject({
      Type: "Not Restarting",
      DisplayMessage: 'Exceeded allowed attempts 2 in interval 1h0m0s and mode is "fail"',
    });
  });

  it("fails at once on an invalid config, naming the field", async () => {
    const { runner } = await taskRunner({ Config: { exit_code: "abc" } });
    runner.run();
    await runner.done;
    expect(runner.state).toMatchObject({ State: "dead", Failed: true, Restarts: 0 });
    expect(runner.state.Events.at(-1)?.Type).toBe("Failed Validation");
    expect(runner.state.Events.at(-1)?.DisplayMessage).toMatch(
      /^Failed to validate task config: config\.exit_code: /,
    );
    expect(h.mock.starts).toEqual([]);
  });

  it("fails at once on an unrecoverable start error", async () => {
    const { runner } = await taskRunner({ Config: { start_error: "executable not found: foo" } });
    runner.run();
    await runner.done;
    expect(runner.state).toMatchObject({ State: "dead", Failed: true, Restarts: 0 });
    expect(runner.state.Events.slice(-2).map((e) => [e.Type, e.DisplayMessage])).toEqual([
      ["Driver Failure", "executable not found: foo"],
      ["Not Restarting", "Error was unrecoverable"],
    ]);
  });

  it("fails a task whose driver the node does not have", async () => {
    const { runner } = await taskRunner({ Driver: "docker" }, { driver: "none" });
    runner.run();
    await runner.done;
    expect(runner.state).toMatchObject({ State: "dead", Failed: true });
    expect(runner.state.Events.slice(-2).map((e) => e.DisplayMessage)).toEqual([
      'driver "docker" is not available on this client',
      "Error was unrecoverable",
    ]);
  });

  it("persists the handle before it reports the task running", async () => {
    const { runner, until } = await taskRunner({ Config: { run_for: "1h" } });
    let recordAtRunning: Promise<TaskRecord | undefined> | undefined;
    const running = until((s) => {
      if (s.State === "running" && recordAtRunning === undefined) {
        // Read in the same turn as the report: what is durable at that moment.
        recordAtRunning = h.state.tasks<TaskRecord>(ALLOC_ID).then((m) => m.get("web"));
      }
      return s.State === "running";
    });
    runner.run();
    await running;
    const record = await recordAtRunning;
    expect(record?.handle).toMatchObject({ driver: "mock", taskName: "web" });
    expect(record?.state.State).toBe("running");
    await runner.kill();
  });

  it("stops with the kill signal and timeout: Killing, Terminated, Killed; not failed", async () => {
    const { runner, until } = await taskRunner({
      Config: { run_for: "1h" },
      KillSignal: "SIGINT",
      KillTimeout: 2e9,
    });
    runner.run();
    await until((s) => s.State === "running");
    await runner.kill();
    expect(h.mock.stops).toEqual([{ task: "web", signal: "SIGINT", timeoutMs: 2000 }]);
    expect(runner.state).toMatchObject({ State: "dead", Failed: false });
    expect(runner.state.Events.slice(-3).map((e) => [e.Type, e.DisplayMessage])).toEqual([
      ["Killing", "Sent interrupt. Waiting 2s before force killing"],
      ["Terminated", "Exit Code: 0, Signal: 2"],
      ["Killed", "Task successfully killed"],
    ]);
  });

  it("a kill during the restart delay ends the wait and the task", async () => {
    const slow: RestartPolicy = { ...fastFail, Delay: 3600e9 };
    const { runner, until } = await taskRunner(
      { Config: { run_for: "1ms", exit_code: 1 } },
      { policy: slow },
    );
    runner.run();
    await until((s) => s.Events.at(-1)?.Type === "Restarting");
    await runner.kill();
    expect(runner.state).toMatchObject({ State: "dead", Failed: false, Restarts: 1 });
    expect(runner.state.Events.at(-1)?.Type).toBe("Killed");
    expect(h.mock.starts).toHaveLength(1);
  });

  it("a task killed before it ran is just dead", async () => {
    const { runner } = await taskRunner({});
    await runner.kill();
    expect(runner.state).toMatchObject({ State: "dead", Failed: false });
    runner.run();
    expect(h.mock.starts).toEqual([]);
  });

  it("restore re-attaches to a running task: no second start, no second Started", async () => {
    // The task as an earlier agent left it: started by the driver, its record in the state DB.
    const first = await h.mock.start(startSpec({ run_for: "1h" }));
    const now = Date.now() * 1e6;
    const record: TaskRecord = {
      handle: first.handle,
      state: withEvent(toRunning(newTaskState(), now), taskEvents.started(now)),
    };
    const restarted = h.restartedDeps();
    const { runner } = await taskRunner({ Config: { run_for: "1h" } }, { driver: restarted.mock });
    await runner.restore(record);
    expect(runner.state.State).toBe("running");
    expect(restarted.mock.recovers).toEqual(["web"]);
    expect(restarted.mock.starts).toEqual([]);
    expect(types(runner.state)).toEqual(["Started"]);
    await runner.kill();
    expect(restarted.mock.stops).toHaveLength(1);
    await first.stop("SIGKILL", 0);
  });

  it("restore of a task that ended meanwhile treats it as an exit (restart by policy)", async () => {
    const first = await h.mock.start(startSpec({ run_for: "1ms", exit_code: 1 }));
    await first.wait();
    const now = Date.now() * 1e6;
    const record: TaskRecord = { handle: first.handle, state: toRunning(newTaskState(), now) };
    const restarted = h.restartedDeps();
    const policy: RestartPolicy = { ...fastFail, Attempts: 1 };
    const { runner } = await taskRunner(
      { Config: { run_for: "1ms", exit_code: 1 } },
      { driver: restarted.mock, policy },
    );
    await runner.restore(record);
    await runner.done;
    expect(restarted.mock.starts).toEqual(["web"]);
    expect(runner.state).toMatchObject({ State: "dead", Failed: true, Restarts: 1 });
    expect(types(runner.state)).toEqual([
      "Terminated",
      "Restarting",
      "Task Setup",
      "Started",
      "Terminated",
      "Not Restarting",
    ]);
  });

  it("restore of a dead record stays dead", async () => {
    const { runner } = await taskRunner({});
    await runner.restore({ handle: null, state: { ...newTaskState(), State: "dead" } });
    await runner.done;
    expect(h.mock.starts).toEqual([]);
    expect(h.mock.recovers).toEqual([]);
  });
});

/** A recording driver that also offers its inner driver's launch intents (and records them). */
class IntentDriver extends RecordingDriver {
  readonly intents: LaunchIntent[] = [];
  readonly intentRecoveries: string[] = [];

  constructor(inner: Driver) {
    super(inner);
  }

  launchIntent(spec: TaskStartSpec): LaunchIntent {
    const intent = (this.inner.launchIntent as (s: TaskStartSpec) => LaunchIntent).call(this.inner, spec);
    this.intents.push(intent);
    return intent;
  }

  recoverIntent(intent: LaunchIntent): Promise<IntentRecovery> {
    this.intentRecoveries.push(intent.taskName);
    return (this.inner.recoverIntent as (i: LaunchIntent) => Promise<IntentRecovery>).call(
      this.inner,
      intent,
    );
  }
}

describe("TaskRunner launch intents (raw_exec)", () => {
  /** Every start of the task appends a line to `counter`, then the task sleeps. */
  const counted = () => ({
    Driver: "raw_exec",
    Config: { command: "/bin/sh", args: ["-c", `echo started >> ${h.dir}/counter; exec sleep 300`] },
  });
  const starts = async () =>
    (await readFile(join(h.dir, "counter"), "utf8").catch(() => "")).split("\n").filter(Boolean).length;

  it("persists the intent before the start, then the handle in its place", async () => {
    const driver = new IntentDriver(h.rawExec.inner);
    const { runner, until } = await taskRunner(counted(), { driver });
    runner.run();
    await until((s) => s.State === "running");
    expect(driver.intents).toHaveLength(1);
    const record = (await h.state.tasks<TaskRecord>(ALLOC_ID)).get("web");
    expect(record?.handle).toMatchObject({ driver: "raw_exec" });
    expect(record?.launching).toBeUndefined();
    await runner.kill();
  });

  it("restore with an intent and no handle adopts the running task: no second start", async () => {
    // The earlier agent: it started the task, then died before the handle was durable.
    const earlier = new IntentDriver(h.rawExec.inner);
    const first = await taskRunner(counted(), { driver: earlier });
    first.runner.run();
    await first.until((s) => s.State === "running");
    first.runner.shutdown();
    await expect.poll(starts, { timeout: 20_000 }).toBe(1);
    const intent = JSON.parse(JSON.stringify(earlier.intents[0])) as LaunchIntent;
    const lost: TaskRecord = { handle: null, launching: intent, state: newTaskState() };
    const pid = (await h.state.tasks<TaskRecord>(ALLOC_ID)).get("web")?.handle?.state["pid"] as number;

    const restarted = new IntentDriver(h.restartedDeps().rawExec.inner);
    const { runner } = await taskRunner(counted(), { driver: restarted });
    await runner.restore(lost);
    expect(runner.state.State).toBe("running");
    expect(restarted.intentRecoveries).toEqual(["web"]);
    expect(restarted.starts).toEqual([]);
    expect(types(runner.state)).toEqual(["Started"]);
    const record = (await h.state.tasks<TaskRecord>(ALLOC_ID)).get("web");
    expect(record?.handle?.state["pid"]).toBe(pid);
    await runner.kill();
    expect(await starts()).toBe(1);
    const ticks = (record?.handle?.state["startTicks"] ?? 0) as number;
    expect(await isSameProcess(pid, ticks)).toBe(false);
  });

  it("restore with an intent whose start never happened starts the task once", async () => {
    const earlier = new IntentDriver(h.rawExec.inner);
    const probe = await taskRunner(counted(), { driver: earlier });
    const intent = earlier.launchIntent(await specOf(probe.allocDir));
    const restarted = new IntentDriver(h.restartedDeps().rawExec.inner);
    const { runner, until } = await taskRunner(counted(), { driver: restarted });
    await runner.restore({ handle: null, launching: intent, state: newTaskState() });
    await until((s) => s.State === "running");
    expect(restarted.intentRecoveries).toEqual(["web"]);
    expect(restarted.starts).toEqual(["web"]);
    await expect.poll(starts, { timeout: 20_000 }).toBe(1);
    await runner.kill();
  });
});

/** Enough of a start spec for a process driver's intent: the task dir the runner would use. */
async function specOf(allocDir: AllocDir): Promise<TaskStartSpec> {
  const taskDir = await allocDir.buildTask("web");
  return { ...startSpec({}), taskDir: taskDir.dir };
}

function startSpec(config: Record<string, unknown>) {
  return {
    allocId: ALLOC_ID,
    taskName: "web",
    config,
    env: {},
    user: "",
    taskDir: h.dir,
    stdoutPath: join(h.dir, "earlier.stdout"),
    stderrPath: join(h.dir, "earlier.stderr"),
    resources: { cpuMhz: 100, memoryMB: 64, memoryMaxMB: 0 },
    ports: [],
  };
}
