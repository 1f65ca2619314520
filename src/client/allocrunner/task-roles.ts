import type { Task } from "../../fsm/index.js";

/**
 * Where a task sits in its group's lifecycle (Nomad's `lifecycle` block):
 *   prestart            runs to completion before the main tasks start
 *   prestart-sidecar    starts first and keeps running beside the main tasks
 *   main                no lifecycle block
 *   poststart           starts once every main task runs; may end by itself
 *   poststart-sidecar   starts once every main task runs and keeps running
 *   poststop            runs after the main tasks (and everything beside them) have ended
 */
export type TaskRole =
  | "prestart"
  | "prestart-sidecar"
  | "main"
  | "poststart"
  | "poststart-sidecar"
  | "poststop";

export function taskRole(task: Pick<Task, "Lifecycle">): TaskRole {
  const lifecycle = task.Lifecycle;
  if (lifecycle === null) return "main";
  if (lifecycle.Hook === "poststop") return "poststop";
  if (lifecycle.Hook === "prestart") return lifecycle.Sidecar ? "prestart-sidecar" : "prestart";
  return lifecycle.Sidecar ? "poststart-sidecar" : "poststart";
}

export function isSidecar(role: TaskRole): boolean {
  return role === "prestart-sidecar" || role === "poststart-sidecar";
}

/** Tasks expected to run as long as the main tasks do (what deployment health waits for). */
export function runsBesideMain(role: TaskRole): boolean {
  return role === "main" || isSidecar(role);
}
