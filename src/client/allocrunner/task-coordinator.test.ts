import { describe, expect, it } from "vitest";
import type { TaskState } from "../../fsm/index.js";
import { type CoordinatedTask, killOrder, killWaves, tasksToStart } from "./task-coordinator.js";
import type { TaskRole } from "./task-roles.js";

type Short = "new" | "pending" | "running" | "done" | "failed" | "killing";

/** A task in one of a few shorthand situations. */
function t(name: string, role: TaskRole, situation: Short, leader = false): CoordinatedTask {
  const state: TaskState = {
    State: "pending",
    Failed: false,
    Restarts: 0,
    LastRestart: 0,
    StartedAt: 0,
    FinishedAt: 0,
    Events: [],
  };
  if (situation === "running" || situation === "killing")
    Object.assign(state, { State: "running", StartedAt: 1 });
  if (situation === "done") Object.assign(state, { State: "dead", StartedAt: 1, FinishedAt: 2 });
  if (situation === "failed") Object.assign(state, { State: "dead", Failed: true, FinishedAt: 2 });
  return { name, role, leader, state, started: situation !== "new", killing: situation === "killing" };
}

const run = { stopping: false, runPoststop: true };

describe("tasksToStart", () => {
  it.each<[string, CoordinatedTask[], { stopping: boolean; runPoststop: boolean }, string[]]>([
    [
      "prestart tasks first, mains wait",
      [t("init", "prestart", "new"), t("side", "prestart-sidecar", "new"), t("web", "main", "new")],
      run,
      ["init", "side"],
    ],
    [
      "mains wait for prestart to finish",
      [t("init", "prestart", "running"), t("side", "prestart-sidecar", "running"), t("web", "main", "new")],
      run,
      [],
    ],
    [
      "mains wait for the sidecar to start",
      [t("init", "prestart", "done"), t("side", "prestart-sidecar", "pending"), t("web", "main", "new")],
      run,
      [],
    ],
    [
      "mains start once prestart succeeded and sidecars run",
      [t("init", "prestart", "done"), t("side", "prestart-sidecar", "running"), t("web", "main", "new")],
      run,
      ["web"],
    ],
    [
      "a failed prestart blocks the mains",
      [t("init", "prestart", "failed"), t("web", "main", "new")],
      run,
      [],
    ],
    [
      "poststart once every main runs",
      [t("web", "main", "running"), t("db", "main", "pending"), t("post", "poststart", "new")],
      run,
      [],
    ],
    [
      "poststart after mains run",
      [t("web", "main", "running"), t("db", "main", "running"), t("post", "poststart-sidecar", "new")],
      run,
      ["post"],
    ],
    [
      "poststop waits for everything else",
      [t("web", "main", "done"), t("side", "prestart-sidecar", "running"), t("stop", "poststop", "new")],
      run,
      [],
    ],
    [
      "poststop once everything else ended",
      [t("web", "main", "done"), t("side", "prestart-sidecar", "done"), t("stop", "poststop", "new")],
      run,
      ["stop"],
    ],
    [
      "stopping starts nothing but poststop",
      [t("web", "main", "new"), t("init", "prestart", "failed"), t("stop", "poststop", "new")],
      { stopping: true, runPoststop: true },
      [],
    ],
    [
      "stopping: poststop runs after the rest ended",
      [t("web", "main", "done"), t("stop", "poststop", "new")],
      { stopping: true, runPoststop: true },
      ["stop"],
    ],
    [
      "destroying: no poststop",
      [t("web", "main", "done"), t("stop", "poststop", "new")],
      { stopping: true, runPoststop: false },
      [],
    ],
  ])("%s", (_name, tasks, options, expected) => {
    expect(tasksToStart(tasks, options)).toEqual(expected);
  });
});

describe("killOrder", () => {
  it.each<[string, CoordinatedTask[], ReturnType<typeof killOrder>]>([
    ["all well", [t("web", "main", "running"), t("side", "prestart-sidecar", "running")], undefined],
    [
      "a failed main kills its siblings but not poststop",
      [
        t("web", "main", "failed"),
        t("db", "main", "running"),
        t("side", "prestart-sidecar", "running"),
        t("stop", "poststop", "new"),
      ],
      { cause: { kind: "sibling-failed", sibling: "web" }, targets: ["db", "side"] },
    ],
    [
      "a failed prestart kills the waiting mains",
      [t("init", "prestart", "failed"), t("web", "main", "new")],
      { cause: { kind: "sibling-failed", sibling: "init" }, targets: ["web"] },
    ],
    [
      "the leader ending kills the others",
      [t("lead", "main", "done", true), t("web", "main", "running")],
      { cause: { kind: "leader-dead" }, targets: ["web"] },
    ],
    [
      "mains ended: sidecars and poststart are killed",
      [t("web", "main", "done"), t("side", "prestart-sidecar", "running"), t("post", "poststart", "running")],
      { cause: { kind: "main-dead" }, targets: ["side", "post"] },
    ],
    ["already killing: nothing more", [t("web", "main", "failed"), t("db", "main", "killing")], undefined],
  ])("%s", (_name, tasks, expected) => {
    expect(killOrder(tasks)).toEqual(expected);
  });
});

describe("killWaves", () => {
  it("kills the leader, then the others, then sidecars", () => {
    expect(
      killWaves([
        { name: "side", role: "prestart-sidecar", leader: false },
        { name: "web", role: "main", leader: false },
        { name: "lead", role: "main", leader: true },
        { name: "post", role: "poststart", leader: false },
      ]),
    ).toEqual([["lead"], ["web", "post"], ["side"]]);
  });
});
