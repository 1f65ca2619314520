import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TaskConfigError, TaskStartError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import type { LaunchIntent, RunningTask, TaskHandle, TaskStartSpec } from "./driver.js";
import { setLaunchMode } from "./process-task.js";
import {
  descendantsOf,
  isSameProcess,
  listProcesses,
  type ProcessId,
  readStartTicks,
} from "./process-tree.js";
import { RawExecDriver } from "./raw-exec-driver.js";

let dir: string;
const running: RunningTask[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drover-rawexec-"));
});
afterEach(async () => {
  // A failed test must not leave processes behind.
  await Promise.all(running.splice(0).map((t) => t.stop("SIGKILL", 0)));
  await rm(dir, { recursive: true, force: true });
});

const driver = () => new RawExecDriver({ logger: silentLogger(), dataDir: dir });
const PATH = "/usr/local/bin:/usr/bin:/bin";

function spec(command: string, args: string[], env: Record<string, string> = { PATH }): TaskStartSpec {
  return {
    allocId: "a1",
    taskName: "web",
    config: { command, args },
    env,
    user: "",
    taskDir: dir,
    stdoutPath: join(dir, "stdout.log"),
    stderrPath: join(dir, "stderr.log"),
    resources: { cpuMhz: 100, memoryMB: 64, memoryMaxMB: 0 },
    ports: [],
  };
}

async function start(command: string, args: string[], env?: Record<string, string>): Promise<RunningTask> {
  const task = await driver().start(spec(command, args, env));
  running.push(task);
  return task;
}

const stdout = () => readFile(join(dir, "stdout.log"), "utf8");

/** The task's processes once `count` of them run (the wrapper included). */
async function treeOf(task: RunningTask, count: number): Promise<ProcessId[]> {
  const root = task.handle.state["pid"] as number;
  let found: ProcessId[] = [];
  await expect
    .poll(
      async () => {
        found = [{ pid: root, startTicks: 0 }, ...descendantsOf([root], await listProcesses())];
        return found.length;
      },
      { timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return Promise.all(
    found.map(async (p) => ({ pid: p.pid, startTicks: (await readStartTicks(p.pid)) ?? -1 })),
  );
}

async function allGone(procs: ProcessId[]): Promise<boolean> {
  const alive = await Promise.all(procs.map((p) => isSameProcess(p.pid, p.startTicks)));
  return alive.every((a) => !a);
}

// Every test runs for both ways a task can start: through the fork server, and spawned directly
// by the agent (the fallback when no launcher can run).
describe.each(["fork-server", "direct"] as const)("RawExecDriver (%s)", (mode) => {
  beforeAll(() => setLaunchMode(mode));
  afterAll(() => setLaunchMode("fork-server"));

  it("fingerprints healthy with driver.raw_exec", async () => {
    expect(await driver().fingerprint()).toMatchObject({
      detected: true,
      healthy: true,
      attributes: { "driver.raw_exec": "1" },
    });
  });

  it("validates command and args, naming the field", () => {
    expect(() => driver().validateConfig({ args: [] })).toThrow(TaskConfigError);
    expect(() => driver().validateConfig({ command: "x", args: "a b" })).toThrow(/config\.args/);
    expect(() => driver().validateConfig({ command: "x", comand: 1 })).toThrow(/config\.comand/);
  });

  it("gives the task exactly its environment, nothing inherited", async () => {
    const task = await start("env", [], { PATH, FOO: "bar baz", EMPTY: "" });
    expect(await task.wait()).toEqual({ exitCode: 0, signal: 0, oomKilled: false, error: "" });
    expect((await stdout()).split("\n").filter(Boolean).sort()).toEqual([
      "EMPTY=",
      "FOO=bar baz",
      `PATH=${PATH}`,
    ]);
  });

  it("keeps PWD when the task's environment sets it", async () => {
    const task = await start("env", [], { PATH, PWD: "/somewhere" });
    await task.wait();
    expect((await stdout()).split("\n").filter(Boolean).sort()).toEqual([`PATH=${PATH}`, "PWD=/somewhere"]);
  });

  it("passes args verbatim, without a shell", async () => {
    const task = await start("printf", ["%s|", "a b", "$HOME", "'q'"]);
    await task.wait();
    expect(await stdout()).toBe("a b|$HOME|'q'|");
  });

  it("reports the exit code", async () => {
    const task = await start("sh", ["-c", "exit 3"]);
    expect(await task.wait()).toMatchObject({ exitCode: 3, signal: 0 });
  });

  it("reports a death by signal as the signal", async () => {
    const task = await start("sh", ["-c", "kill -KILL $$"]);
    expect(await task.wait()).toMatchObject({ exitCode: 0, signal: 9 });
  });

  it("appends stdout and stderr to their files and runs in the task dir", async () => {
    await writeFile(join(dir, "stdout.log"), "before\n");
    const task = await start("sh", ["-c", "echo out; pwd; echo err >&2"]);
    await task.wait();
    expect(await stdout()).toBe(`before\nout\n${dir}\n`);
    expect(await readFile(join(dir, "stderr.log"), "utf8")).toBe("err\n");
  });

  it("runs a command given relative to the task dir", async () => {
    await writeFile(join(dir, "run.sh"), "#!/bin/sh\necho from-script\n");
    await chmod(join(dir, "run.sh"), 0o755);
    const task = await start("./run.sh", []);
    await task.wait();
    expect(await stdout()).toBe("from-script\n");
  });

  it("fails with a non-recoverable TaskStartError when the executable is missing", async () => {
    const err = await start("no-such-binary-drover", []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskStartError);
    expect(err).toMatchObject({ message: "executable not found: no-such-binary-drover", recoverable: false });
    const relative = await start("./missing", []).catch((e: unknown) => e);
    expect(relative).toMatchObject({ message: "executable not found: ./missing" });
  });

  it("stop kills the whole tree, grandchildren and escaped sessions included", async () => {
    const task = await start("sh", ["-c", "sleep 300 & setsid sleep 300 & sleep 300"]);
    const procs = await treeOf(task, 5); // wrapper, sh, 3 sleeps
    const exit = await task.stop("SIGTERM", 10_000);
    expect(exit).toMatchObject({ exitCode: 0, signal: 15 });
    expect(await allGone(procs)).toBe(true);
  });

  it("SIGKILLs a task that ignores the kill signal once the timeout passes", async () => {
    const task = await start("sh", ["-c", 'trap "" TERM; echo ready; while :; do sleep 1; done']);
    await expect.poll(stdout, { timeout: 20_000 }).toBe("ready\n");
    const procs = await treeOf(task, 3);
    expect(await task.stop("", 100)).toMatchObject({ exitCode: 0, signal: 9 });
    expect(await allGone(procs)).toBe(true);
  });

  it("delivers signals to the task", async () => {
    const task = await start("sh", [
      "-c",
      'trap "echo got; exit 4" USR1; echo ready; while :; do sleep 1; done',
    ]);
    await expect.poll(stdout, { timeout: 20_000 }).toBe("ready\n");
    task.signal("SIGUSR1");
    expect(await task.wait()).toMatchObject({ exitCode: 4 });
    expect(await stdout()).toBe("ready\ngot\n");
    expect(() => task.signal("SIGNOPE")).toThrow(/unknown signal/);
  });

  it("kills leftovers of a task whose main process ended", async () => {
    // raw_exec has no cgroup: leftovers are found by session and process group (a process that
    // leaves both and is orphaned before the agent looks escapes; exec's cgroup catches those).
    const task = await start("sh", [
      "-c",
      "sleep 300 & echo $! > bg.pid; until [ -e go ]; do sleep 0.05; done",
    ]);
    await expect
      .poll(() => readFile(join(dir, "bg.pid"), "utf8").catch(() => ""), { timeout: 20_000 })
      .toMatch(/\n/);
    const pid = Number(await readFile(join(dir, "bg.pid"), "utf8"));
    const leftover = { pid, startTicks: (await readStartTicks(pid)) as number };
    await writeFile(join(dir, "go"), "");
    expect(await task.wait()).toMatchObject({ exitCode: 0, signal: 0 });
    expect(await allGone([leftover])).toBe(true);
  });

  describe("launch intent (crash between start and the handle's write)", () => {
    it("a NEW driver adopts the task a start launched, whose handle was lost; stop then ends it", async () => {
      const first = driver();
      // The command says when it runs, and only then is it stopped: a SIGTERM that reaches the
      // wrapper's forked child between its fork and exec is taken by the child's copy of the trap
      // and lost, and the stop then ends in SIGKILL at the kill timeout (the designed fallback,
      // not what this test is about).
      const s = spec("sh", ["-c", "echo ready; exec sleep 300"]);
      const intent = JSON.parse(JSON.stringify(first.launchIntent(s))) as LaunchIntent;
      const task = await first.start(s); // its handle is "lost": only the intent was durable
      running.push(task);
      await expect.poll(stdout, { timeout: 20_000 }).toBe("ready\n");
      const adopted = await driver().recoverIntent(intent);
      expect(adopted.kind).toBe("running");
      if (adopted.kind !== "running") return;
      expect(adopted.task.handle.state).toMatchObject({
        pid: task.handle.state["pid"],
        startTicks: task.handle.state["startTicks"],
        exitFile: join(dir, ".drover-exit"),
      });
      expect(await adopted.task.stop("SIGTERM", 10_000)).toMatchObject({ exitCode: 0, signal: 15 });
      expect((await task.wait()).signal).toBe(15);
    });

    it("says not-launched when no wrapper has the intent's exit file", async () => {
      const other = await start("sleep", ["300"]); // a task of another dir must not be taken
      const elsewhere = await mkdtemp(join(tmpdir(), "drover-rawexec-intent-"));
      try {
        const intent = driver().launchIntent({ ...spec("sleep", ["1"]), taskDir: elsewhere });
        expect(await driver().recoverIntent(intent)).toEqual({ kind: "not-launched" });
        expect(other.handle.state["pid"]).toBeGreaterThan(0);
      } finally {
        await rm(elsewhere, { recursive: true, force: true });
      }
    });

    it("reports the recorded exit of a task that was launched and has ended", async () => {
      const d = driver();
      const s = spec("sh", ["-c", "exit 7"]);
      const intent = d.launchIntent(s);
      await (await d.start(s)).wait();
      expect(await driver().recoverIntent(intent)).toEqual({
        kind: "exited",
        exit: { exitCode: 7, signal: 0, oomKilled: false, error: "" },
      });
    });
  });

  describe("recover", () => {
    it("re-attaches a new driver instance to a running task, which stop then ends", async () => {
      // Stopped only once the command runs (it says so): a signal during the wrapper's own
      // start-up, or between its fork and the command's exec, would not reach the command.
      const task = await start("sh", ["-c", "echo ready; exec sleep 300"]);
      await expect.poll(stdout, { timeout: 20_000 }).toBe("ready\n");
      const recovered = await driver().recover(JSON.parse(JSON.stringify(task.handle)) as TaskHandle);
      expect(recovered.kind).toBe("running");
      if (recovered.kind !== "running") return;
      expect(
        await isSameProcess(task.handle.state["pid"] as number, task.handle.state["startTicks"] as number),
      ).toBe(true);
      expect(await recovered.task.stop("SIGTERM", 10_000)).toMatchObject({ exitCode: 0, signal: 15 });
      expect((await task.wait()).signal).toBe(15);
    });

    it("reports exited with the recorded exit code for a task that ended meanwhile", async () => {
      const task = await start("sh", ["-c", "exit 7"]);
      await task.wait();
      expect(await driver().recover(task.handle)).toEqual({
        kind: "exited",
        exit: { exitCode: 7, signal: 0, oomKilled: false, error: "" },
      });
    });

    it("reports exited when the pid now belongs to another process", async () => {
      const ticks = (await readStartTicks(process.pid)) as number;
      const handle: TaskHandle = {
        driver: "raw_exec",
        taskName: "web",
        allocId: "a1",
        startedAtMs: Date.now(),
        state: { pid: process.pid, startTicks: ticks - 1, pgid: process.pid, exitFile: join(dir, ".none") },
      };
      const recovered = await driver().recover(handle);
      expect(recovered).toMatchObject({ kind: "exited", exit: { exitCode: -1 } });
      expect(recovered.kind === "exited" && recovered.exit?.error).toMatch(/not running/);
    });
  });
});
