import type { Nanos, TaskEvent } from "../../fsm/index.js";
import type { ExitResult } from "../drivers/driver.js";
import { formatGoDuration } from "./go-duration.js";

/**
 * Task events in Nomad's words (structs.TaskEvent types and PopulateEventDisplayMessage): what
 * `alloc status` shows. `Time` is Unix time in ns; `Message` carries the detail (a reason, an
 * error), `DisplayMessage` the line a user reads.
 */
export const TaskEventType = {
  Received: "Received",
  Setup: "Task Setup",
  SetupFailure: "Setup Failure",
  Driver: "Driver",
  Started: "Started",
  Terminated: "Terminated",
  Restarting: "Restarting",
  NotRestarting: "Not Restarting",
  Killing: "Killing",
  Killed: "Killed",
  DriverFailure: "Driver Failure",
  FailedValidation: "Failed Validation",
  SiblingFailed: "Sibling Task Failed",
  LeaderDead: "Leader Task Dead",
  MainDead: "Main Tasks Dead",
  AllocUnhealthy: "Alloc Unhealthy",
} as const;

/** Nomad's restart reasons (client/allocrunner/taskrunner/restarts). */
export const RestartReason = {
  WithinPolicy: "Restart within policy",
  Delay: "Exceeded allowed attempts, applying a delay",
  NoRestartsAllowed: "Policy allows no restarts",
  Unrecoverable: "Error was unrecoverable",
  Successful: "Restart unnecessary as task terminated successfully",
} as const;

function event(
  type: string,
  time: Nanos,
  display: string,
  message = "",
  exitCode = 0,
  signal = 0,
): TaskEvent {
  return {
    Type: type,
    Time: time,
    Message: message,
    DisplayMessage: display,
    ExitCode: exitCode,
    Signal: signal,
  };
}

export const taskEvents = {
  received: (t: Nanos) => event(TaskEventType.Received, t, "Task received by client"),
  setup: (t: Nanos, message = "Building Task Directory") => event(TaskEventType.Setup, t, message, message),
  setupFailure: (t: Nanos, error: string) => event(TaskEventType.SetupFailure, t, error, error),
  driverMessage: (t: Nanos, message: string) => event(TaskEventType.Driver, t, message, message),
  started: (t: Nanos) => event(TaskEventType.Started, t, "Task started by client"),

  terminated(t: Nanos, exit: ExitResult): TaskEvent {
    const message = exit.error !== "" ? exit.error : exit.oomKilled ? "OOM Killed" : "";
    const parts = [`Exit Code: ${exit.exitCode}`];
    if (exit.signal !== 0) parts.push(`Signal: ${exit.signal}`);
    if (message !== "") parts.push(`Exit Message: ${JSON.stringify(message)}`);
    return event(TaskEventType.Terminated, t, parts.join(", "), message, exit.exitCode, exit.signal);
  },

  restarting(t: Nanos, delay: Nanos, reason: string): TaskEvent {
    const inDelay = `Task restarting in ${formatGoDuration(delay)}`;
    const display =
      reason !== "" && reason !== RestartReason.WithinPolicy ? `${reason} - ${inDelay}` : inDelay;
    return event(TaskEventType.Restarting, t, display, reason);
  },

  notRestarting: (t: Nanos, reason: string) =>
    event(TaskEventType.NotRestarting, t, reason === "" ? "Task exceeded restart policy" : reason, reason),

  killing(t: Nanos, killTimeout: Nanos, reason = ""): TaskEvent {
    const display = `Sent interrupt. Waiting ${formatGoDuration(killTimeout)} before force killing`;
    return event(TaskEventType.Killing, t, display, reason);
  },

  killed: (t: Nanos, error = "") =>
    event(TaskEventType.Killed, t, error === "" ? "Task successfully killed" : error, error),
  driverFailure: (t: Nanos, error: string) => event(TaskEventType.DriverFailure, t, error, error),
  failedValidation: (t: Nanos, error: string) =>
    event(TaskEventType.FailedValidation, t, `Failed to validate task config: ${error}`, error),
  siblingFailed: (t: Nanos, sibling: string) =>
    event(TaskEventType.SiblingFailed, t, `Task's sibling ${JSON.stringify(sibling)} failed`, sibling),
  leaderDead: (t: Nanos) => event(TaskEventType.LeaderDead, t, "Leader Task in Group dead"),
  mainDead: (t: Nanos) => event(TaskEventType.MainDead, t, "Main tasks in the group died"),
  allocUnhealthy: (t: Nanos, message: string) => event(TaskEventType.AllocUnhealthy, t, message, message),
};
