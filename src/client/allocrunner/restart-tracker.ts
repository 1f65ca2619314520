import { TaskConfigError, TaskStartError } from "../../common/errors.js";
import type { JobType, Nanos, RestartPolicy, TaskLifecycle } from "../../fsm/index.js";
import type { ExitResult } from "../drivers/driver.js";
import { formatGoDuration } from "./go-duration.js";
import { RestartReason } from "./task-events.js";

/**
 * Whether a task that ended (or failed to start) runs again, after Nomad's RestartTracker:
 *
 * - A batch/sysbatch task that exits successfully is complete: no restart, not failed. Service
 *   and system tasks are meant to run forever, so any exit (even 0) goes through the policy;
 *   except lifecycle tasks, whatever the job type: prestart/poststart tasks that are not sidecars,
 *   and poststop tasks, are done once they succeed; sidecars run forever (restartsOnSuccess).
 * - Unrecoverable start errors (TaskConfigError, TaskStartError with recoverable false) fail at
 *   once: the next attempt would fail the same way.
 * - Attempts are counted within `Interval`, from the start of the window; the first decision after
 *   the window has passed opens a new one (count reset).
 * - Beyond `Attempts` in one window: mode "fail" fails the task; mode "delay" waits until the
 *   window ends, then (a new window) restarts.
 * - `Attempts` 0 allows no restart at all.
 * No jitter (Nomad adds up to 25%): decisions are deterministic for a given `now`.
 *
 * Pure: the window is a value passed in and returned, and `now` is an argument.
 */
export interface RestartWindow {
  /** Restarts decided within the current window. */
  count: number;
  /** When the current window opened (ns). */
  start: Nanos;
}

export type TaskOutcome = { kind: "exit"; exit: ExitResult } | { kind: "start-error"; error: unknown };

export type RestartDecision =
  | { kind: "restart"; delay: Nanos; reason: string }
  /** `failed`: the task failed (Not Restarting); otherwise it completed successfully. */
  | { kind: "stop"; failed: boolean; reason: string };

export function newRestartWindow(now: Nanos): RestartWindow {
  return { count: 0, start: now };
}

/** Nomad's NewRestartTracker `onSuccess`: whether a successful exit is restarted at all. */
export function restartsOnSuccess(jobType: JobType, lifecycle: TaskLifecycle | null): boolean {
  if (lifecycle === null) return jobType !== "batch" && jobType !== "sysbatch";
  return lifecycle.Hook !== "poststop" && lifecycle.Sidecar;
}

export function decideRestart(
  policy: RestartPolicy,
  restartOnSuccess: boolean,
  outcome: TaskOutcome,
  window: RestartWindow,
  now: Nanos,
): { decision: RestartDecision; window: RestartWindow } {
  const succeeded = outcome.kind === "exit" && exitSucceeded(outcome.exit);
  if (succeeded && !restartOnSuccess) {
    return { decision: { kind: "stop", failed: false, reason: RestartReason.Successful }, window };
  }
  if (outcome.kind === "start-error" && !isRecoverable(outcome.error)) {
    return { decision: { kind: "stop", failed: true, reason: RestartReason.Unrecoverable }, window };
  }
  if (policy.Attempts <= 0) {
    return { decision: { kind: "stop", failed: true, reason: RestartReason.NoRestartsAllowed }, window };
  }
  const opened = now > window.start + policy.Interval ? newRestartWindow(now) : window;
  const next = { count: opened.count + 1, start: opened.start };
  if (next.count <= policy.Attempts) {
    return {
      decision: { kind: "restart", delay: policy.Delay, reason: RestartReason.WithinPolicy },
      window: next,
    };
  }
  if (policy.Mode === "delay") {
    const untilWindowEnds = Math.max(0, next.start + policy.Interval - now);
    return {
      decision: { kind: "restart", delay: untilWindowEnds, reason: RestartReason.Delay },
      window: next,
    };
  }
  const reason = `Exceeded allowed attempts ${policy.Attempts} in interval ${formatGoDuration(policy.Interval)} and mode is "fail"`;
  return { decision: { kind: "stop", failed: true, reason }, window: next };
}

/** Nomad's ExitResult.Successful(): exit code 0, no signal, no driver error. */
export function exitSucceeded(exit: ExitResult): boolean {
  return exit.exitCode === 0 && exit.signal === 0 && exit.error === "";
}

/** Config errors and start errors marked unrecoverable fail the task at once; anything else may be retried. */
export function isRecoverable(error: unknown): boolean {
  if (error instanceof TaskConfigError) return false;
  if (error instanceof TaskStartError) return error.recoverable;
  return true;
}
