import type { Nanos, TaskEvent, TaskState } from "../../fsm/index.js";
import { TaskEventType } from "./task-events.js";

/**
 * A task's TaskState (Nomad's shape) and its transitions, as pure functions returning new states:
 * the task runner commits one synchronously after each step, so a reader never sees half a change.
 */

/** Nomad keeps the last 10 events of a task; older ones are dropped first. */
export const MAX_TASK_EVENTS = 10;

export function newTaskState(): TaskState {
  return {
    State: "pending",
    Failed: false,
    Restarts: 0,
    LastRestart: 0,
    StartedAt: 0,
    FinishedAt: 0,
    Events: [],
  };
}

/** Appends an event (bounded); a "Restarting" event counts a restart, as in Nomad's appendEvent. */
export function withEvent(state: TaskState, event: TaskEvent): TaskState {
  const events = [...state.Events, event].slice(-MAX_TASK_EVENTS);
  if (event.Type !== TaskEventType.Restarting) return { ...state, Events: events };
  return { ...state, Events: events, Restarts: state.Restarts + 1, LastRestart: event.Time };
}

/** Running: StartedAt is the start of this run (a restarted task gets a new one). */
export function toRunning(state: TaskState, now: Nanos): TaskState {
  if (state.State === "running") return state;
  return { ...state, State: "running", StartedAt: now };
}

/** Pending again: waiting to be restarted. */
export function toPending(state: TaskState): TaskState {
  return { ...state, State: "pending" };
}

/** Dead for good; `failed` is sticky (a failed task stays failed), FinishedAt set once. */
export function toDead(state: TaskState, now: Nanos, failed: boolean): TaskState {
  return {
    ...state,
    State: "dead",
    Failed: state.Failed || failed,
    FinishedAt: state.FinishedAt === 0 ? now : state.FinishedAt,
  };
}

/** Nomad's TaskState.Successful(): dead and not failed. */
export function taskSucceeded(state: TaskState): boolean {
  return state.State === "dead" && !state.Failed;
}
