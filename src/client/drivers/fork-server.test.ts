import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskStartError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import type { RunningTask, TaskStartSpec } from "./driver.js";
import { whenGone } from "./exit-watcher.js";
import { encodeRequest, ForkServer, LauncherUnavailable, sharedForkServer } from "./fork-server.js";
import { isSameProcess, readStat } from "./process-tree.js";
import { RawExecDriver } from "./raw-exec-driver.js";

let dir: string;
const running: RunningTask[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drover-fork-"));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop("SIGKILL", 0)));
  await rm(dir, { recursive: true, force: true });
});

const PATH = "/usr/local/bin:/usr/bin:/bin";
/** Quotes, newlines, command substitutions, backticks, spaces, globs, a lone quote: all literal. */
const HOSTILE = [
  `it's "quoted"`,
  "line one\nline two\n",
  "$(touch pwned-subst)",
  "`touch pwned-backtick`",
  "  spaced  out  ",
  "*",
  "'",
  "\\'\\\"",
  "; touch pwned-semicolon",
  "",
  "ünïcødé ✓",
];

const launcher = () => sharedForkServer(silentLogger());

function spec(taskDir: string, command: string, args: string[], env: Record<string, string>): TaskStartSpec {
  return {
    allocId: "a1",
    taskName: "web",
    config: { command, args },
    env,
    user: "",
    taskDir,
    stdoutPath: join(taskDir, "std out's.log"),
    stderrPath: join(taskDir, "std err $(x).log"),
    resources: { cpuMhz: 100, memoryMB: 64, memoryMaxMB: 0 },
    ports: [],
  };
}

async function start(s: TaskStartSpec): Promise<RunningTask> {
  const task = await new RawExecDriver({ logger: silentLogger(), dataDir: dir }).start(s);
  running.push(task);
  return task;
}

describe("fork server", () => {
  it("passes hostile args, env and paths to the task verbatim", async () => {
    // A task dir whose path itself is hostile: the launcher only ever copies it.
    const taskDir = join(dir, "dir 'q' \"d\" $(x) `y`\nz");
    await mkdir(taskDir);
    const env: Record<string, string> = { PATH };
    HOSTILE.forEach((value, i) => {
      env[`V${i}`] = value;
    });
    env["SUBST"] = "$(touch pwned-env)";
    // (A name that is no shell identifier, e.g. "A-B", is dropped by the /bin/sh wrapper — dash —
    // on both start paths: a known limit of the wrapper, not of the launcher.)
    const node = process.execPath;
    const script =
      "process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env, cwd: process.cwd() }))";
    const task = await start(spec(taskDir, node, ["-e", script, ...HOSTILE], env));
    expect(launcher().pid).toBeGreaterThan(0);
    expect(await task.wait()).toMatchObject({ exitCode: 0, signal: 0 });
    const seen = JSON.parse(await readFile(join(taskDir, "std out's.log"), "utf8")) as {
      argv: string[];
      env: Record<string, string>;
      cwd: string;
    };
    expect(seen.argv).toEqual(HOSTILE);
    expect(seen.env).toEqual(env);
    expect(seen.cwd).toBe(taskDir);
    expect(await readFile(join(taskDir, "std err $(x).log"), "utf8")).toBe("");
    const { readdir } = await import("node:fs/promises");
    expect((await readdir(taskDir)).filter((f) => f.startsWith("pwned"))).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.startsWith("pwned"))).toEqual([]);
  });

  it("starts the wrapper in its own session and process group, outside the launcher's", async () => {
    const task = await start(spec(dir, "sleep", ["300"], { PATH }));
    const pid = task.handle.state["pid"] as number;
    const stat = await readStat(pid);
    expect(stat).toMatchObject({ pid, session: pid, pgrp: pid, startTicks: task.handle.state["startTicks"] });
    const launcherStat = await readStat(launcher().pid as number);
    expect(launcherStat?.session).not.toBe(pid);
    expect(launcherStat?.session).not.toBe((await readStat(process.pid))?.session);
  });

  it("rejects a NUL byte (unrepresentable) as a non-recoverable TaskStartError", () => {
    const request = {
      cwd: dir,
      stdoutPath: "/dev/null",
      stderrPath: "/dev/null",
      user: undefined,
      cgroupProcs: [],
      env: {},
      argv: ["/bin/true", "a\0b"],
    };
    expect(() => encodeRequest(1, request)).toThrow(TaskStartError);
  });

  it("fails the start with a TaskStartError when the child's setup fails (nothing runs)", async () => {
    const s = { ...spec(dir, "/bin/sh", ["-c", "touch ran"], { PATH }), stdoutPath: join(dir, "no", "out") };
    const err = await start(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskStartError);
    expect((err as Error).message).toMatch(/opening .*no\/out/);
    await expect(readFile(join(dir, "ran"))).rejects.toThrow(/ENOENT/);
  });

  it("a killed launcher is replaced; tasks it started run on and are still watched", async () => {
    const before = await start(spec(dir, "sleep", ["300"], { PATH }));
    const oldLauncher = launcher().pid as number;
    process.kill(oldLauncher, "SIGKILL");
    await whenGone(oldLauncher, (await readStat(oldLauncher))?.startTicks ?? 0);
    const pid = before.handle.state["pid"] as number;
    expect(await isSameProcess(pid, before.handle.state["startTicks"] as number)).toBe(true);
    const other = join(dir, "other");
    await mkdir(other);
    const after = await start(spec(other, "sh", ["-c", "exit 4"], { PATH }));
    expect(launcher().pid).not.toBe(oldLauncher);
    expect(await after.wait()).toMatchObject({ exitCode: 4 });
    expect(await before.stop("SIGTERM", 5000)).toMatchObject({ signal: 15 });
  });

  it("reports exit codes, signals and batch completion of launcher-started tasks", async () => {
    const tasks = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const taskDir = join(dir, `t${i}`);
        await mkdir(taskDir);
        return start(spec(taskDir, "sh", ["-c", i % 2 === 0 ? `exit ${i}` : "kill -TERM $$"], { PATH }));
      }),
    );
    const exits = await Promise.all(tasks.map((t) => t.wait()));
    exits.forEach((exit, i) => {
      expect(exit).toMatchObject(i % 2 === 0 ? { exitCode: i, signal: 0 } : { exitCode: 0, signal: 15 });
    });
  });

  it("says it is unavailable when no launcher can be started (the caller then spawns directly)", async () => {
    const server = new ForkServer(silentLogger(), join(dir, "no-perl"));
    const request = {
      cwd: dir,
      stdoutPath: "/dev/null",
      stderrPath: "/dev/null",
      user: undefined,
      cgroupProcs: [],
      env: {},
      argv: ["/bin/true"],
    };
    await expect(server.fork(request)).rejects.toBeInstanceOf(LauncherUnavailable);
    // A launcher that dies at once (an interpreter that is not perl) is unavailable too.
    const broken = new ForkServer(silentLogger(), "/bin/false");
    await expect(broken.fork(request)).rejects.toBeInstanceOf(LauncherUnavailable);
  });
});
