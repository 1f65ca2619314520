import type { TaskState } from "../../fsm/index.js";
import { isSidecar, type TaskRole } from "./task-roles.js";

/**
 * Which tasks of an allocation may start now, and which must be killed, from the tasks' roles and
 * states (Nomad's tasklifecycle coordinator and the alloc runner's handleTaskStateUpdates), as pure
 * functions so the ordering rules are tested without running anything.
 *
 * Start order:
 *   prestart tasks (both kinds)  at once;
 *   main tasks                   once every prestart task succeeded and every prestart sidecar has
 *                                started (it may restart later; the mains do not wait again);
 *   poststart tasks              once every main task has started;
 *   poststop tasks               once every other task has ended (they clean up after the rest).
 * While the alloc is stopping nothing new starts except poststop tasks (if allowed).
 *
 * Kills, first match wins:
 *   a task (not poststop) failed           → the others, "Sibling Task Failed";
 *   the leader task ended                  → the others, "Leader Task Dead";
 *   every main task ended                  → sidecars and poststart tasks, "Main Tasks Dead".
 * Poststop tasks are never killed by these rules: they are what runs after.
 */
export interface CoordinatedTask {
  name: string;
  role: TaskRole;
  leader: boolean;
  state: TaskState;
  /** The runner was started (or restored): it needs no start. */
  started: boolean;
  /** The runner was already asked to stop. */
  killing: boolean;
}

export type KillCause =
  | { kind: "sibling-failed"; sibling: string }
  | { kind: "leader-dead" }
  | { kind: "main-dead" };

export interface KillOrder {
  cause: KillCause;
  targets: string[];
}

const dead = (t: CoordinatedTask) => t.state.State === "dead";
const ran = (t: CoordinatedTask) => t.state.StartedAt > 0 || t.state.State === "running";

export function tasksToStart(
  tasks: readonly CoordinatedTask[],
  options: { stopping: boolean; runPoststop: boolean },
): string[] {
  const of = (...roles: TaskRole[]) => tasks.filter((t) => roles.includes(t.role));
  const startable = new Set<TaskRole>();
  if (options.runPoststop && tasks.every((t) => t.role === "poststop" || dead(t))) startable.add("poststop");
  if (!options.stopping) {
    startable.add("prestart").add("prestart-sidecar");
    const prestartDone = of("prestart").every((t) => dead(t) && !t.state.Failed);
    const sidecarsUp = of("prestart-sidecar").every((t) => ran(t) && !t.state.Failed);
    if (prestartDone && sidecarsUp) startable.add("main");
    const mains = of("main");
    if (mains.length > 0 && mains.every((t) => t.started && ran(t))) {
      startable.add("poststart").add("poststart-sidecar");
    }
  }
  return tasks.filter((t) => !t.started && !t.killing && startable.has(t.role)).map((t) => t.name);
}

export function killOrder(tasks: readonly CoordinatedTask[]): KillOrder | undefined {
  const live = (t: CoordinatedTask) => !dead(t) && !t.killing && t.role !== "poststop";
  const failed = tasks.find((t) => t.role !== "poststop" && dead(t) && t.state.Failed);
  if (failed !== undefined) {
    return order({ kind: "sibling-failed", sibling: failed.name }, tasks.filter(live));
  }
  if (tasks.some((t) => t.leader && dead(t))) return order({ kind: "leader-dead" }, tasks.filter(live));
  const mains = tasks.filter((t) => t.role === "main");
  if (mains.length > 0 && mains.every(dead)) {
    return order(
      { kind: "main-dead" },
      tasks.filter((t) => live(t) && t.role !== "main"),
    );
  }
  return undefined;
}

function order(cause: KillCause, targets: readonly CoordinatedTask[]): KillOrder | undefined {
  return targets.length === 0 ? undefined : { cause, targets: targets.map((t) => t.name) };
}

/**
 * Nomad's kill order: the leader first (so it can hand over), then the other non-sidecar tasks
 * together, then the sidecars (which the others may still be using while they stop).
 */
export function killWaves(
  tasks: ReadonlyArray<Pick<CoordinatedTask, "name" | "role" | "leader">>,
): string[][] {
  const leaders = tasks.filter((t) => t.leader).map((t) => t.name);
  const others = tasks.filter((t) => !t.leader && !isSidecar(t.role)).map((t) => t.name);
  const sidecars = tasks.filter((t) => !t.leader && isSidecar(t.role)).map((t) => t.name);
  return [leaders, others, sidecars].filter((wave) => wave.length > 0);
}
