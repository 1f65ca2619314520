import { describe, expect, it } from "vitest";
import type { TaskState } from "../../fsm/index.js";
import { allocClientStatus } from "./alloc-status.js";
import type { TaskRole } from "./task-roles.js";

function task(role: TaskRole, State: TaskState["State"], Failed = false) {
  return {
    role,
    state: { State, Failed, Restarts: 0, LastRestart: 0, StartedAt: 0, FinishedAt: 0, Events: [] },
  };
}

describe("allocClientStatus", () => {
  it.each<[string, ReturnType<typeof task>[], string]>([
    ["nothing started", [task("main", "pending")], "pending"],
    ["prestart running, main waiting", [task("prestart", "running"), task("main", "pending")], "pending"],
    [
      "mains running",
      [task("prestart", "dead"), task("main", "running"), task("poststop", "pending")],
      "running",
    ],
    ["main restarting", [task("main", "pending"), task("main", "running")], "pending"],
    ["mains done, poststop running", [task("main", "dead"), task("poststop", "running")], "running"],
    ["all done", [task("main", "dead"), task("poststop", "dead")], "complete"],
    ["a failure while others run", [task("main", "dead", true), task("main", "running")], "failed"],
    ["a failed prestart", [task("prestart", "dead", true), task("main", "dead")], "failed"],
  ])("%s → %s", (_name, tasks, status) => {
    expect(allocClientStatus(tasks).ClientStatus).toBe(status);
  });
});
