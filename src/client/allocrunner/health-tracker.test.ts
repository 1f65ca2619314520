import { describe, expect, it } from "vitest";
import { mockAlloc, mockTaskGroup, type TaskState, type UpdateStrategy } from "../../fsm/index.js";
import { evaluateHealth, type HealthTask, type HealthVerdict, healthStrategy } from "./health-tracker.js";
import type { TaskRole } from "./task-roles.js";

const S = 1e9;
const strategy = { MinHealthyTime: 10 * S, HealthyDeadline: 60 * S };

function task(name: string, role: TaskRole, state: Partial<TaskState> | undefined): HealthTask {
  if (state === undefined) return { name, role, state: undefined };
  return {
    name,
    role,
    state: {
      State: "pending",
      Failed: false,
      Restarts: 0,
      LastRestart: 0,
      StartedAt: 0,
      FinishedAt: 0,
      Events: [],
      ...state,
    },
  };
}
const running = (startedAt: number): Partial<TaskState> => ({ State: "running", StartedAt: startedAt });

describe("evaluateHealth", () => {
  it.each<[string, HealthTask[], number, boolean, HealthVerdict["kind"], number?]>([
    ["pending tasks wait for the deadline", [task("web", "main", undefined)], 5 * S, false, "wait", 60 * S],
    [
      "running but not long enough waits",
      [task("web", "main", running(2 * S))],
      5 * S,
      false,
      "wait",
      12 * S,
    ],
    [
      "running for min_healthy_time is healthy",
      [task("web", "main", running(2 * S))],
      12 * S,
      false,
      "healthy",
    ],
    [
      "counts from the latest start of main tasks and sidecars",
      [task("web", "main", running(2 * S)), task("proxy", "prestart-sidecar", running(8 * S))],
      12 * S,
      false,
      "wait",
      18 * S,
    ],
    [
      "a finished prestart task does not count",
      [task("init", "prestart", { State: "dead", FinishedAt: 1 }), task("web", "main", running(2 * S))],
      12 * S,
      false,
      "healthy",
    ],
    [
      "a pending poststop task does not count",
      [task("web", "main", running(2 * S)), task("cleanup", "poststop", undefined)],
      12 * S,
      false,
      "healthy",
    ],
    [
      "a failed task is unhealthy at once",
      [task("web", "main", { State: "dead", Failed: true })],
      1,
      false,
      "unhealthy",
    ],
    [
      "a failed prestart task is unhealthy",
      [task("init", "prestart", { State: "dead", Failed: true })],
      1,
      false,
      "unhealthy",
    ],
    [
      "a restart is unhealthy",
      [task("web", "main", { ...running(5 * S), Restarts: 1 })],
      6 * S,
      false,
      "unhealthy",
    ],
    ["a dead main task is unhealthy", [task("web", "main", { State: "dead" })], 6 * S, false, "unhealthy"],
    [
      "the deadline passing first is unhealthy",
      [task("web", "main", running(55 * S))],
      60 * S,
      false,
      "unhealthy",
    ],
    ["an alloc-level failure is unhealthy", [task("web", "main", running(1))], 2, true, "unhealthy"],
    [
      "healthy before the deadline even when asked late",
      [task("web", "main", running(40 * S))],
      70 * S,
      false,
      "healthy",
    ],
  ])("%s", (_name, tasks, now, allocFailed, kind, until) => {
    const verdict = evaluateHealth({ strategy, tasks, allocFailed, since: 0, now });
    expect(verdict.kind).toBe(kind);
    if (verdict.kind === "wait") expect(verdict.until).toBe(until);
  });

  it("says why per task", () => {
    const verdict = evaluateHealth({
      strategy,
      tasks: [task("web", "main", running(55 * S)), task("side", "prestart-sidecar", undefined)],
      allocFailed: false,
      since: 0,
      now: 60 * S,
    });
    expect(verdict).toEqual({
      kind: "unhealthy",
      reason: "web: Task not running for min_healthy_time of 10s by healthy_deadline of 1m0s",
      taskMessages: {
        web: "Task not running for min_healthy_time of 10s by healthy_deadline of 1m0s",
        side: "Task not running by healthy_deadline of 1m0s",
      },
    });
  });
});

describe("healthStrategy", () => {
  const update: UpdateStrategy = {
    Stagger: 0,
    MaxParallel: 1,
    HealthCheck: "task_states",
    MinHealthyTime: 1,
    HealthyDeadline: 2,
    ProgressDeadline: 3,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  };
  it.each<[string, string, UpdateStrategy | null, boolean | null | undefined, boolean]>([
    ["deployment with task_states", "d1", update, undefined, true],
    ["checks is tracked as task_states", "d1", { ...update, HealthCheck: "checks" }, null, true],
    ["manual is not the client's", "d1", { ...update, HealthCheck: "manual" }, undefined, false],
    ["no deployment", "", update, undefined, false],
    ["no update strategy", "d1", null, undefined, false],
    ["already decided", "d1", update, true, false],
  ])("%s", (_name, deploymentId, groupUpdate, healthy, tracked) => {
    const alloc = mockAlloc({
      DeploymentID: deploymentId,
      DeploymentStatus:
        healthy === undefined ? null : { Healthy: healthy, Timestamp: 0, Canary: false, ModifyIndex: 0 },
    });
    expect(healthStrategy(alloc, mockTaskGroup({ Update: groupUpdate })) !== undefined).toBe(tracked);
  });
});
