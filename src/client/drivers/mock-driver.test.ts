import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TaskConfigError, TaskStartError } from "../../common/errors.js";
import { silentLogger } from "../../common/log.js";
import type { TaskHandle, TaskStartSpec } from "./driver.js";
import { MockDriver } from "./mock-driver.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "drover-mock-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const driver = () => new MockDriver({ logger: silentLogger(), dataDir: dir });

function spec(config: Record<string, unknown>): TaskStartSpec {
  return {
    allocId: "a1",
    taskName: "web",
    config,
    env: {},
    user: "",
    taskDir: dir,
    stdoutPath: join(dir, "stdout"),
    stderrPath: join(dir, "stderr"),
    resources: { cpuMhz: 100, memoryMB: 64, memoryMaxMB: 0 },
    ports: [],
  };
}

describe("MockDriver", () => {
  it("fingerprints healthy", async () => {
    expect(await driver().fingerprint()).toMatchObject({ detected: true, healthy: true });
  });

  it("exits at once with the configured code and signal", async () => {
    const task = await driver().start(spec({ exit_code: 3, exit_signal: 6 }));
    expect(await task.wait()).toEqual({ exitCode: 3, signal: 6, oomKilled: false, error: "" });
  });

  it("runs for run_for, then exits", async () => {
    const task = await driver().start(spec({ run_for: "20ms", exit_code: 1 }));
    expect((await task.wait()).exitCode).toBe(1);
  });

  it("takes run_for as nanoseconds when it is a number", async () => {
    const task = await driver().start(spec({ run_for: 1_000_000, exit_code: 2 }));
    expect((await task.wait()).exitCode).toBe(2);
  });

  it("throws TaskStartError with start_error and its recoverability", async () => {
    const err = await driver()
      .start(spec({ start_error: "boom", start_error_recoverable: true }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskStartError);
    expect(err).toMatchObject({ message: "boom", recoverable: true });
  });

  it("kill_after ends the task with SIGKILL", async () => {
    const task = await driver().start(spec({ run_for: "1h", kill_after: "10ms" }));
    expect(await task.wait()).toMatchObject({ exitCode: 0, signal: 9 });
  });

  it("stop ends a long task with the kill signal", async () => {
    const task = await driver().start(spec({ run_for: "1h" }));
    expect(await task.stop("SIGINT", 1000)).toMatchObject({ signal: 2 });
    expect((await task.wait()).signal).toBe(2);
  });

  it("writes stdout_string once, then stdout_repeat more times", async () => {
    const task = await driver().start(
      spec({ run_for: "1h", stdout_string: "hi\n", stdout_repeat: 2, stdout_repeat_duration: "1ms" }),
    );
    expect(await readFile(join(dir, "stdout"), "utf8")).toMatch(/^hi\n/);
    await expect.poll(() => readFile(join(dir, "stdout"), "utf8")).toBe("hi\nhi\nhi\n");
    await task.stop("", 0);
  });

  it.each([
    [{ run_for: "forever" }, "run_for"],
    [{ run_for: true }, "run_for"],
    [{ exit_code: "x" }, "exit_code"],
    [{ exit_code: 1.5 }, "exit_code"],
    [{ start_error: 7 }, "start_error"],
    [{ start_error_recoverable: "yes" }, "start_error_recoverable"],
    [{ stdout_repeat: -1 }, "stdout_repeat"],
  ])("rejects %j naming %s", (config, field) => {
    const err = (() => {
      try {
        driver().validateConfig(config);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TaskConfigError);
    expect(err).toMatchObject({ field });
  });

  it("recover continues a task that still has time left", async () => {
    const task = await driver().start(spec({ run_for: "1h", exit_code: 4 }));
    const recovered = await driver().recover(task.handle);
    expect(recovered.kind).toBe("running");
    if (recovered.kind !== "running") return;
    expect(recovered.task.handle).toEqual(task.handle);
    await recovered.task.stop("", 0);
    await task.stop("", 0);
  });

  it("recover reports exited with the planned result when run_for is over", async () => {
    const handle: TaskHandle = {
      driver: "mock",
      taskName: "web",
      allocId: "a1",
      startedAtMs: Date.now() - 60_000,
      state: { startedAtMs: Date.now() - 60_000, config: { run_for: "10s", exit_code: 5 } },
    };
    expect(await driver().recover(handle)).toEqual({
      kind: "exited",
      exit: { exitCode: 5, signal: 0, oomKilled: false, error: "" },
    });
  });

  it("a recovered task exits by itself with the remaining run_for", async () => {
    const startedAtMs = Date.now() - 60_000;
    const handle: TaskHandle = {
      driver: "mock",
      taskName: "web",
      allocId: "a1",
      startedAtMs,
      // 60s + a little: the timer left is short but still in the future.
      state: { startedAtMs, config: { run_for: "60050ms", exit_code: 6 } },
    };
    const recovered = await driver().recover(handle);
    if (recovered.kind !== "running") {
      expect(recovered).toMatchObject({ kind: "exited", exit: { exitCode: 6 } });
      return;
    }
    expect((await recovered.task.wait()).exitCode).toBe(6);
  });
});
