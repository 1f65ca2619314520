import { describe, expect, it } from "vitest";
import { exitResult } from "../drivers/exit-result.js";
import { RestartReason, taskEvents } from "./task-events.js";
import { MAX_TASK_EVENTS, newTaskState, toDead, toRunning, withEvent } from "./task-state.js";

const S = 1e9;

describe("taskEvents", () => {
  it.each([
    [taskEvents.received(1), "Received", "Task received by client"],
    [taskEvents.setup(1), "Task Setup", "Building Task Directory"],
    [taskEvents.started(1), "Started", "Task started by client"],
    [taskEvents.terminated(1, exitResult({ exitCode: 1 })), "Terminated", "Exit Code: 1"],
    [taskEvents.terminated(1, exitResult({ signal: 15 })), "Terminated", "Exit Code: 0, Signal: 15"],
    [
      taskEvents.terminated(1, exitResult({ exitCode: 137, signal: 9, oomKilled: true })),
      "Terminated",
      'Exit Code: 137, Signal: 9, Exit Message: "OOM Killed"',
    ],
    [taskEvents.restarting(1, 2 * S, RestartReason.WithinPolicy), "Restarting", "Task restarting in 2s"],
    [
      taskEvents.restarting(1, 90 * S, RestartReason.Delay),
      "Restarting",
      "Exceeded allowed attempts, applying a delay - Task restarting in 1m30s",
    ],
    [
      taskEvents.notRestarting(1, 'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"'),
      "Not Restarting",
      'Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"',
    ],
    [taskEvents.killing(1, 5 * S), "Killing", "Sent interrupt. Waiting 5s before force killing"],
    [taskEvents.killed(1), "Killed", "Task successfully killed"],
    [taskEvents.driverFailure(1, "executable not found: foo"), "Driver Failure", "executable not found: foo"],
    [
      taskEvents.failedValidation(1, "config.command: is required"),
      "Failed Validation",
      "Failed to validate task config: config.command: is required",
    ],
    [taskEvents.siblingFailed(1, "db"), "Sibling Task Failed", 'Task\'s sibling "db" failed'],
    [taskEvents.leaderDead(1), "Leader Task Dead", "Leader Task in Group dead"],
    [
      taskEvents.allocUnhealthy(1, "Unhealthy because of failed task"),
      "Alloc Unhealthy",
      "Unhealthy because of failed task",
    ],
  ])("%# %s", (event, type, display) => {
    expect(event.Type).toBe(type);
    expect(event.DisplayMessage).toBe(display);
    expect(event.Time).toBe(1);
  });

  it("carries the exit code and signal of a termination", () => {
    expect(taskEvents.terminated(5, exitResult({ exitCode: 3, signal: 2 }))).toMatchObject({
      ExitCode: 3,
      Signal: 2,
    });
  });
});

describe("task state", () => {
  it("keeps the last 10 events and counts restarts", () => {
    let state = newTaskState();
    for (let i = 1; i <= 12; i++) state = withEvent(state, taskEvents.restarting(i, 0, ""));
    expect(state.Events).toHaveLength(MAX_TASK_EVENTS);
    expect(state.Events[0]?.Time).toBe(3);
    expect(state.Restarts).toBe(12);
    expect(state.LastRestart).toBe(12);
  });

  it("sets StartedAt per run, FinishedAt once, and keeps Failed sticky", () => {
    let state = toRunning(newTaskState(), 10);
    expect(toRunning(state, 20).StartedAt).toBe(10);
    state = toDead(state, 30, true);
    expect(toDead(state, 40, false)).toMatchObject({ State: "dead", Failed: true, FinishedAt: 30 });
  });
});
