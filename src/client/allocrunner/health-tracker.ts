import type { Allocation, Nanos, TaskGroup, TaskState, UpdateStrategy } from "../../fsm/index.js";
import { formatGoDuration } from "./go-duration.js";
import { runsBesideMain, type TaskRole } from "./task-roles.js";

/**
 * Deployment health of an allocation from its task states (Nomad's allochealth tracker with
 * `health_check = "task_states"`), as a pure function of the states and `now`.
 *
 * Healthy: every task that should keep running (main tasks and sidecars) has been running for
 * MinHealthyTime, counted from the latest of their starts, no later than the HealthyDeadline.
 * Unhealthy: a task failed, or one of those tasks died or restarted before the alloc was healthy,
 * or the HealthyDeadline passed first. Prestart (non-sidecar) and poststart tasks only count when
 * they fail; poststop tasks never count (they wait for the main tasks to end).
 *
 * `health_check = "checks"` is treated as "task_states": Drover has no service checks yet, so
 * the task states are all there is to go on. `manual` is never decided by the client.
 *
 * The caller reports the first non-`wait` verdict once and stops asking; `wait.until` says when
 * asking again can give a different answer when no task state changes meanwhile.
 */
export interface HealthTask {
  name: string;
  role: TaskRole;
  /** undefined: the task has not reported anything yet (counts as pending). */
  state: TaskState | undefined;
}

export interface HealthInput {
  strategy: Pick<UpdateStrategy, "MinHealthyTime" | "HealthyDeadline">;
  tasks: readonly HealthTask[];
  /** The alloc failed for a reason outside its tasks. */
  allocFailed: boolean;
  /** When tracking began: the deadline is `since + HealthyDeadline`. */
  since: Nanos;
  now: Nanos;
}

export type HealthVerdict =
  | { kind: "healthy" }
  /** `taskMessages`: why, per task, for the "Alloc Unhealthy" events. */
  | { kind: "unhealthy"; reason: string; taskMessages: Record<string, string> }
  | { kind: "wait"; until: Nanos };

/** The update strategy to track health by, or undefined when this alloc's health is not the client's to set. */
export function healthStrategy(
  alloc: Pick<Allocation, "DeploymentID" | "DeploymentStatus">,
  group: Pick<TaskGroup, "Update">,
): UpdateStrategy | undefined {
  const update = group.Update;
  if (alloc.DeploymentID === "" || update === null || update.HealthCheck === "manual") return undefined;
  const decided = alloc.DeploymentStatus?.Healthy;
  if (decided === true || decided === false) return undefined;
  return update;
}

export function evaluateHealth(input: HealthInput): HealthVerdict {
  const failure = failedTasks(input.tasks);
  if (Object.keys(failure).length > 0) return unhealthy(failure);
  if (input.allocFailed) return { kind: "unhealthy", reason: "Alloc failed", taskMessages: {} };

  const { MinHealthyTime: minHealthy, HealthyDeadline: deadlineAfter } = input.strategy;
  const deadline = input.since + deadlineAfter;
  const steady = input.tasks.filter((t) => runsBesideMain(t.role));
  const allRunning = steady.every((t) => t.state?.State === "running");
  const latestStart = Math.max(input.since, ...steady.map((t) => t.state?.StartedAt ?? 0));
  const healthyAt = latestStart + minHealthy;

  if (allRunning && healthyAt <= Math.min(input.now, deadline)) return { kind: "healthy" };
  if (input.now >= deadline)
    return unhealthy(deadlineMessages(steady, input.since, minHealthy, deadlineAfter));
  return { kind: "wait", until: allRunning ? Math.min(healthyAt, deadline) : deadline };
}

/** Tasks that fail the alloc's health whatever the time: failed, or a steady task that died or restarted. */
function failedTasks(tasks: readonly HealthTask[]): Record<string, string> {
  const messages: Record<string, string> = {};
  for (const { name, role, state } of tasks) {
    if (state === undefined || role === "poststop") continue;
    if (state.Failed) messages[name] = "Unhealthy because of failed task";
    else if (runsBesideMain(role) && state.State === "dead")
      messages[name] = "Unhealthy because of dead task";
    else if (runsBesideMain(role) && state.Restarts > 0) messages[name] = "Unhealthy because of task restart";
  }
  return messages;
}

function deadlineMessages(
  steady: readonly HealthTask[],
  since: Nanos,
  minHealthy: Nanos,
  deadline: Nanos,
): Record<string, string> {
  const messages: Record<string, string> = {};
  const window = `min_healthy_time of ${formatGoDuration(minHealthy)}`;
  const by = `healthy_deadline of ${formatGoDuration(deadline)}`;
  for (const { name, state } of steady) {
    if (state?.State !== "running") messages[name] = `Task not running by ${by}`;
    else if (state.StartedAt + minHealthy > since + deadline)
      messages[name] = `Task not running for ${window} by ${by}`;
  }
  return messages;
}

function unhealthy(taskMessages: Record<string, string>): HealthVerdict {
  const [first] = Object.entries(taskMessages);
  const reason = first === undefined ? "Unhealthy" : `${first[0]}: ${first[1]}`;
  return { kind: "unhealthy", reason, taskMessages };
}
