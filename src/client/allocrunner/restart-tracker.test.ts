import { describe, expect, it } from "vitest";
import { TaskConfigError, TaskStartError } from "../../common/errors.js";
import type { JobType, RestartPolicy, TaskLifecycle } from "../../fsm/index.js";
import { exitResult } from "../drivers/exit-result.js";
import {
  decideRestart,
  newRestartWindow,
  type RestartDecision,
  type RestartWindow,
  restartsOnSuccess,
  type TaskOutcome,
} from "./restart-tracker.js";

const S = 1e9;
const policy = (overrides: Partial<RestartPolicy> = {}): RestartPolicy => ({
  Attempts: 2,
  Interval: 30 * 60 * S,
  Delay: 2 * S,
  Mode: "fail",
  ...overrides,
});
const exit = (exitCode: number, signal = 0): TaskOutcome => ({
  kind: "exit",
  exit: exitResult({ exitCode, signal }),
});

/** Runs a sequence of outcomes at the given times through one window. */
function run(p: RestartPolicy, jobType: JobType, steps: Array<[TaskOutcome, number]>): RestartDecision[] {
  let window: RestartWindow = newRestartWindow(0);
  return steps.map(([outcome, now]) => {
    const next = decideRestart(p, restartsOnSuccess(jobType, null), outcome, window, now);
    window = next.window;
    return next.decision;
  });
}

describe("decideRestart", () => {
  it.each<[string, RestartPolicy, JobType, Array<[TaskOutcome, number]>, RestartDecision[]]>([
    [
      "batch exit 0 completes",
      policy(),
      "batch",
      [[exit(0), 1]],
      [{ kind: "stop", failed: false, reason: "Restart unnecessary as task terminated successfully" }],
    ],
    [
      "sysbatch exit 0 completes",
      policy(),
      "sysbatch",
      [[exit(0), 1]],
      [{ kind: "stop", failed: false, reason: "Restart unnecessary as task terminated successfully" }],
    ],
    [
      "service exit 0 restarts",
      policy(),
      "service",
      [[exit(0), 1]],
      [{ kind: "restart", delay: 2 * S, reason: "Restart within policy" }],
    ],
    [
      "batch killed by a signal is a failure, restarted",
      policy(),
      "batch",
      [[exit(0, 9), 1]],
      [{ kind: "restart", delay: 2 * S, reason: "Restart within policy" }],
    ],
    [
      "mode fail: attempts then fail",
      policy(),
      "service",
      [
        [exit(1), 1 * S],
        [exit(1), 4 * S],
        [exit(1), 7 * S],
      ],
      [
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
        {
          kind: "stop",
          failed: true,
          reason: 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"',
        },
      ],
    ],
    [
      "a new interval resets the count",
      policy({ Attempts: 1, Interval: 10 * S }),
      "service",
      [
        [exit(1), 1 * S],
        [exit(1), 11 * S],
        [exit(1), 12 * S],
      ],
      [
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
        {
          kind: "stop",
          failed: true,
          reason: 'Exceeded allowed attempts 1 in interval 10s and mode is "fail"',
        },
      ],
    ],
    [
      "mode delay: waits for the interval to end, then starts a new one",
      policy({ Attempts: 1, Interval: 10 * S, Mode: "delay" }),
      "service",
      [
        [exit(1), 1 * S],
        [exit(1), 4 * S],
        [exit(1), 11 * S],
      ],
      [
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
        { kind: "restart", delay: 6 * S, reason: "Exceeded allowed attempts, applying a delay" },
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
      ],
    ],
    [
      "attempts 0 allows no restart (service exit 0 fails)",
      policy({ Attempts: 0 }),
      "service",
      [[exit(0), 1]],
      [{ kind: "stop", failed: true, reason: "Policy allows no restarts" }],
    ],
    [
      "attempts 0, batch exit 0 still completes",
      policy({ Attempts: 0 }),
      "batch",
      [[exit(0), 1]],
      [{ kind: "stop", failed: false, reason: "Restart unnecessary as task terminated successfully" }],
    ],
    [
      "unrecoverable start error fails at once",
      policy(),
      "service",
      [[{ kind: "start-error", error: new TaskStartError("executable not found: foo", false) }, 1]],
      [{ kind: "stop", failed: true, reason: "Error was unrecoverable" }],
    ],
    [
      "config error fails at once",
      policy(),
      "batch",
      [[{ kind: "start-error", error: new TaskConfigError("is required", "command") }, 1]],
      [{ kind: "stop", failed: true, reason: "Error was unrecoverable" }],
    ],
    [
      "recoverable start error follows the policy",
      policy({ Attempts: 1 }),
      "batch",
      [
        [{ kind: "start-error", error: new TaskStartError("image pull failed", true) }, 1],
        [{ kind: "start-error", error: new Error("something else") }, 2],
      ],
      [
        { kind: "restart", delay: 2 * S, reason: "Restart within policy" },
        {
          kind: "stop",
          failed: true,
          reason: 'Exceeded allowed attempts 1 in interval 30m0s and mode is "fail"',
        },
      ],
    ],
  ])("%s", (_name, p, jobType, steps, expected) => {
    expect(run(p, jobType, steps)).toEqual(expected);
  });
});

describe("restartsOnSuccess", () => {
  it.each<[JobType, TaskLifecycle | null, boolean]>([
    ["service", null, true],
    ["system", null, true],
    ["batch", null, false],
    ["sysbatch", null, false],
    ["service", { Hook: "prestart", Sidecar: false }, false],
    ["service", { Hook: "poststart", Sidecar: false }, false],
    ["service", { Hook: "poststop", Sidecar: false }, false],
    ["batch", { Hook: "prestart", Sidecar: true }, true],
    ["service", { Hook: "poststart", Sidecar: true }, true],
  ])("%s task with lifecycle %j: %s", (jobType, lifecycle, expected) => {
    expect(restartsOnSuccess(jobType, lifecycle)).toBe(expected);
  });
});
