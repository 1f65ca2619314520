import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskStartError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import { detectCgroups } from "./cgroups.js";
import type { RunningTask, TaskStartSpec } from "./driver.js";
import { ExecDriver } from "./exec-driver.js";
import { isSameProcess, readStartTicks } from "./process-tree.js";

const support = await detectCgroups();
const noCgroups = support.kind === "none" ? support.reason : "";
if (noCgroups !== "") console.log(`exec cgroup tests skipped: ${noCgroups}`);
const notRoot = process.getuid?.() !== 0;
if (notRoot) console.log("exec user test skipped: the tests do not run as root");

let dir: string;
const running: RunningTask[] = [];
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drover-exec-"));
  await chmod(dir, 0o755); // a task running as another user must enter its task dir
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((t) => t.stop("SIGKILL", 0)));
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

const PATH = "/usr/local/bin:/usr/bin:/bin";
let allocSeq = 0;

function spec(args: string[], extra: Partial<TaskStartSpec> = {}): TaskStartSpec {
  return {
    allocId: `exec-test-${process.pid}-${allocSeq++}`,
    taskName: "t",
    config: { command: "sh", args },
    env: { PATH },
    user: "",
    taskDir: dir,
    stdoutPath: join(dir, "stdout.log"),
    stderrPath: join(dir, "stderr.log"),
    resources: { cpuMhz: 100, memoryMB: 32, memoryMaxMB: 0 },
    ports: [],
    ...extra,
  };
}

async function start(driver: ExecDriver, s: TaskStartSpec): Promise<RunningTask> {
  const task = await driver.start(s);
  running.push(task);
  cleanups.push(() => driver.cleanup(task.handle));
  return task;
}

const stdout = () => readFile(join(dir, "stdout.log"), "utf8");

describe("ExecDriver", () => {
  const driver = () => new ExecDriver({ logger: silentLogger(), dataDir: dir });

  it("fingerprints healthy with driver.exec on Linux", async () => {
    expect(await driver().fingerprint()).toMatchObject({
      detected: true,
      healthy: true,
      attributes: { "driver.exec": "1" },
    });
  });

  it("runs without limits, and says why, when the host has no cgroups", async () => {
    const d = new ExecDriver({ logger: silentLogger(), dataDir: dir }, async () => ({
      kind: "none",
      reason: "test: no cgroups",
    }));
    expect((await d.fingerprint()).healthDescription).toBe("healthy (no resource limits: test: no cgroups)");
    const task = await start(d, spec(["-c", "exit 2"]));
    expect(task.handle.state["cgroup"]).toBeNull();
    expect(await task.wait()).toMatchObject({ exitCode: 2, oomKilled: false });
  });

  it("fails with TaskStartError for an unknown user", async () => {
    const err = await driver()
      .start(spec(["-c", "true"], { user: "no-such-user-drover" }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskStartError);
  });

  it.skipIf(notRoot)("runs the task as its user", async () => {
    const task = await start(driver(), spec(["-c", "id -u"], { user: "nobody" }));
    expect(await task.wait()).toMatchObject({ exitCode: 0 });
    expect(await stdout()).toBe("65534\n");
  });

  describe.skipIf(noCgroups !== "")("with cgroups", () => {
    it("puts the task into its cgroup with its memory limit", async () => {
      const task = await start(driver(), spec(["-c", "cat /proc/self/cgroup"]));
      expect(await task.wait()).toMatchObject({ exitCode: 0, oomKilled: false });
      const name = `${task.handle.allocId}-t`;
      expect((await stdout()).split("\n").filter((l) => /:memory:/.test(l) || /^0::/.test(l))[0]).toContain(
        name,
      );
      const ref = task.handle.state["cgroup"] as { paths: string[] };
      const limitFile = support.kind === "v2" ? "memory.max" : "memory.limit_in_bytes";
      expect((await readFile(join(ref.paths[0] as string, limitFile), "utf8")).trim()).toBe(String(32 << 20));
    });

    it("reports oomKilled for a task over its memory limit", async () => {
      const task = await start(
        driver(),
        spec(["-c", 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived']),
      );
      expect(await task.wait()).toMatchObject({ signal: 9, oomKilled: true });
      expect(await stdout()).toBe("");
    });

    it("stop kills a process that left the session and was orphaned (found by cgroup)", async () => {
      const task = await start(
        driver(),
        spec([
          "-c",
          "setsid sh -c 'sleep 300 & echo $! > bg.pid; wait' & until [ -e bg.pid ]; do sleep 0.05; done; sleep 300",
        ]),
      );
      await expect
        .poll(() => readFile(join(dir, "bg.pid"), "utf8").catch(() => ""), { timeout: 20_000 })
        .toMatch(/\n/);
      const pid = Number(await readFile(join(dir, "bg.pid"), "utf8"));
      const escaped = { pid, startTicks: (await readStartTicks(pid)) as number };
      expect(await task.stop("SIGTERM", 10_000)).toMatchObject({ signal: 15 });
      expect(await isSameProcess(escaped.pid, escaped.startTicks)).toBe(false);
    });

    it("cleanup removes the task's cgroup", async () => {
      const d = driver();
      const task = await d.start(spec(["-c", "true"]));
      await task.wait();
      const ref = task.handle.state["cgroup"] as { paths: string[] };
      await d.cleanup(task.handle);
      await d.cleanup(task.handle);
      await expect(readFile(join(ref.paths[0] as string, "cgroup.procs"))).rejects.toThrow(/ENOENT/);
    });
  });
});
