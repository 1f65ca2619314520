import { appendFile } from "node:fs/promises";
import { TaskConfigError, TaskStartError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { optionalBool, optionalDurationMs, optionalInt, optionalString } from "./config-fields.js";
import {
  type Driver,
  type DriverContext,
  type DriverFingerprint,
  type ExitResult,
  healthyFingerprint,
  type IntentRecovery,
  type LaunchIntent,
  type RecoverResult,
  type RunningTask,
  type TaskHandle,
  type TaskStartSpec,
} from "./driver.js";
import { exitResult, signalNumber } from "./exit-result.js";

/**
 * Nomad's mock driver: a "task" that is only timers in this process, for tests of the task and
 * alloc runners. Nothing is spawned. Unknown config keys are ignored (Nomad's mock has many more
 * knobs; a job written for it must still load here).
 */
export interface MockConfig {
  /** How long the task runs before exiting by itself; undefined = not set. */
  runForMs: number | undefined;
  exitCode: number;
  /** A signal number the task reports on its own exit (0 = none). */
  exitSignal: number;
  startError: string | undefined;
  startErrorRecoverable: boolean;
  /** The task ends by itself, killed with SIGKILL, after this long; undefined = never. */
  killAfterMs: number | undefined;
  stdoutString: string | undefined;
  /** Extra writes of stdoutString after the first one at start. */
  stdoutRepeat: number;
  stdoutRepeatMs: number;
}

const SIGKILL = 9;

export function parseMockConfig(config: Record<string, unknown>): MockConfig {
  return {
    runForMs: optionalDurationMs(config, "run_for"),
    exitCode: optionalInt(config, "exit_code") ?? 0,
    exitSignal: nonNegative(optionalInt(config, "exit_signal") ?? 0, "exit_signal"),
    startError: optionalString(config, "start_error"),
    startErrorRecoverable: optionalBool(config, "start_error_recoverable") ?? false,
    killAfterMs: optionalDurationMs(config, "kill_after"),
    stdoutString: optionalString(config, "stdout_string"),
    stdoutRepeat: nonNegative(optionalInt(config, "stdout_repeat") ?? 0, "stdout_repeat"),
    stdoutRepeatMs: optionalDurationMs(config, "stdout_repeat_duration") ?? 0,
  };
}

function nonNegative(n: number, field: string): number {
  if (n < 0) throw new TaskConfigError(`must not be negative, got ${n}`, field);
  return n;
}

/**
 * When and how a mock task ends, measured from its start. `run_for` unset with `kill_after` set
 * runs until the kill; both unset (or run_for 0) exit at once, as in Nomad.
 */
export function mockOutcome(config: MockConfig): { afterMs: number; exit: ExitResult } {
  const killFirst =
    config.killAfterMs !== undefined &&
    (config.runForMs === undefined || config.killAfterMs < config.runForMs);
  if (killFirst) return { afterMs: config.killAfterMs as number, exit: exitResult({ signal: SIGKILL }) };
  return {
    afterMs: config.runForMs ?? 0,
    exit: exitResult({ exitCode: config.exitCode, signal: config.exitSignal }),
  };
}

export class MockDriver implements Driver {
  readonly name = "mock";
  private readonly logger: Logger;

  constructor(ctx: DriverContext) {
    this.logger = ctx.logger.child({ driver: "mock" });
  }

  async fingerprint(): Promise<DriverFingerprint> {
    return healthyFingerprint(this.name);
  }

  validateConfig(config: Record<string, unknown>): void {
    parseMockConfig(config);
  }

  async start(spec: TaskStartSpec): Promise<RunningTask> {
    const config = parseMockConfig(spec.config);
    if (config.startError !== undefined) {
      throw new TaskStartError(config.startError, config.startErrorRecoverable);
    }
    const startedAtMs = Date.now();
    const handle: TaskHandle = {
      driver: this.name,
      taskName: spec.taskName,
      allocId: spec.allocId,
      startedAtMs,
      state: { startedAtMs, config: spec.config, stdoutPath: spec.stdoutPath },
    };
    if (config.stdoutString !== undefined) await appendFile(spec.stdoutPath, config.stdoutString);
    const outcome = mockOutcome(config);
    const task = new MockRunningTask(handle, outcome.exit, outcome.afterMs, this.logger);
    task.repeatStdout(config, spec.stdoutPath);
    return task;
  }

  /** Continues with the remaining run time; `exited` with the planned result when it is over. */
  async recover(handle: TaskHandle): Promise<RecoverResult> {
    const rawConfig = handle.state["config"];
    const startedAtMs = handle.state["startedAtMs"];
    if (typeof rawConfig !== "object" || rawConfig === null || typeof startedAtMs !== "number") {
      return { kind: "exited", exit: undefined };
    }
    const outcome = mockOutcome(parseMockConfig(rawConfig as Record<string, unknown>));
    const remainingMs = startedAtMs + outcome.afterMs - Date.now();
    if (remainingMs <= 0) return { kind: "exited", exit: outcome.exit };
    return { kind: "running", task: new MockRunningTask(handle, outcome.exit, remainingMs, this.logger) };
  }

  async cleanup(_handle: TaskHandle): Promise<void> {}

  launchIntent(spec: TaskStartSpec): LaunchIntent {
    return { driver: this.name, taskName: spec.taskName, allocId: spec.allocId, atMs: Date.now(), state: {} };
  }

  /** A mock task is timers in the agent that died: nothing of it can have survived. */
  async recoverIntent(_intent: LaunchIntent): Promise<IntentRecovery> {
    return { kind: "not-launched" };
  }
}

/** One mock task: a timer that settles `wait()` with the planned exit, or stop() that cuts it short. */
class MockRunningTask implements RunningTask {
  private readonly exited: Promise<ExitResult>;
  private settle!: (exit: ExitResult) => void;
  private done = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly handle: TaskHandle,
    plannedExit: ExitResult,
    afterMs: number,
    private readonly logger: Logger,
  ) {
    this.exited = new Promise((resolve) => {
      this.settle = resolve;
    });
    this.after(afterMs, () => this.finish(plannedExit));
  }

  wait(): Promise<ExitResult> {
    return this.exited;
  }

  /** Validates the name; SIGKILL ends the task at once, other signals are ignored. */
  signal(signal: string): void {
    if (signalNumber(signal) === SIGKILL) this.finish(exitResult({ signal: SIGKILL }));
  }

  /** A mock task obeys its kill signal at once: it ends with that signal (SIGTERM if unknown). */
  stop(killSignal: string, _killTimeoutMs: number): Promise<ExitResult> {
    let signal: number;
    try {
      signal = signalNumber(killSignal);
    } catch (err) {
      this.logger.warn({ err, killSignal }, "mock driver: unknown kill signal; stopping with SIGTERM");
      signal = signalNumber("SIGTERM");
    }
    this.finish(exitResult({ signal }));
    return this.exited;
  }

  /** Writes stdout_string stdout_repeat more times, every stdout_repeat_duration, while running. */
  repeatStdout(config: MockConfig, path: string): void {
    const text = config.stdoutString;
    if (text === undefined) return;
    for (let i = 1; i <= config.stdoutRepeat; i++) {
      this.after(config.stdoutRepeatMs * i, () => {
        appendFile(path, text).catch((err: unknown) => {
          this.logger.warn({ err, path }, "mock driver: writing stdout_string failed");
        });
      });
    }
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private finish(exit: ExitResult): void {
    if (this.done) return;
    this.done = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.settle(exit);
  }
}
