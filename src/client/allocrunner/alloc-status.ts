import type { AllocClientStatus, TaskState } from "../../fsm/index.js";
import type { TaskRole } from "./task-roles.js";

/**
 * The allocation's ClientStatus from its tasks (Nomad's getClientStatus, with "pending" until the
 * main tasks run rather than until any task runs):
 *   failed    any task failed (even while others are still being stopped);
 *   complete  every task has ended, none failed (also when the servers stopped it);
 *   pending   a main task has not started yet, or waits to restart;
 *   running   otherwise.
 */
export function allocClientStatus(tasks: ReadonlyArray<{ role: TaskRole; state: TaskState }>): {
  ClientStatus: AllocClientStatus;
  ClientDescription: string;
} {
  if (tasks.some((t) => t.state.Failed)) return { ClientStatus: "failed", ClientDescription: "Failed tasks" };
  if (tasks.every((t) => t.state.State === "dead")) {
    return { ClientStatus: "complete", ClientDescription: "All tasks have completed" };
  }
  const mains = tasks.filter((t) => t.role === "main");
  const waiting = (mains.length > 0 ? mains : tasks).some((t) => t.state.State === "pending");
  if (waiting) return { ClientStatus: "pending", ClientDescription: "No tasks have started" };
  return { ClientStatus: "running", ClientDescription: "Tasks are running" };
}
