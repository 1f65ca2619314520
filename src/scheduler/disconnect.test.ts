import { describe, expect, it } from "vitest";
import { lastRecordedClientStatus } from "../fsm/alloc-disconnect.js";
import type { Allocation, DisconnectStrategy, Job, TaskState } from "../fsm/structs.js";
import { DISCONNECT_TIMEOUT_EVAL_DESCRIPTION } from "./generic-scheduler.js";
import { ALLOC_LOST, ALLOC_RECONNECTED, ALLOC_UNKNOWN } from "./reconciler.js";
import { pickReconnecting } from "./reconnect-choice.js";
import { mockAlloc, mockGroup, mockJob, mockNode } from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

const LOST_AFTER = 300e9;

function disconnect(overrides: Partial<DisconnectStrategy> = {}): DisconnectStrategy {
  return {
    LostAfter: LOST_AFTER,
    Replace: true,
    Reconcile: "best_score",
    StopOnClientAfter: null,
    ...overrides,
  };
}

/**
 * Three nodes, a job of `count` allocations, all running; then the node of the first allocation
 * is cut off (`status`) and a node-update eval runs.
 */
function cutOff(
  strategy: DisconnectStrategy | null,
  count = 3,
  status: "disconnected" | "down" = "disconnected",
) {
  const h = new SchedulerHarness();
  h.registerNodes(mockNode("node-a"), mockNode("node-b"), mockNode("node-c"));
  const job = h.registerJob(
    mockJob("j", { TaskGroups: [mockGroup("web", { Count: count, Disconnect: strategy })] }),
  );
  h.process(h.evalFor(job));
  h.clientUpdate(h.liveAllocs(job), { ClientStatus: "running", TaskStates: started(h.now) });
  const victim = h.liveAllocs(job)[0]!.NodeID;
  const originals = h.liveAllocs(job).filter((a) => a.NodeID === victim);
  h.now += 10e9;
  h.setNodeStatus(victim, status);
  const result = h.process(h.evalFor(job, { TriggeredBy: "node-update", NodeID: victim }));
  return { h, job, victim, originals, result };
}

function started(at: number): Record<string, TaskState> {
  return {
    web: {
      State: "running",
      Failed: false,
      Restarts: 0,
      LastRestart: 0,
      StartedAt: at,
      FinishedAt: 0,
      Events: [],
    },
  };
}

const byId = (h: SchedulerHarness, id: string): Allocation => h.snapshot().allocByID(id)!;

/** The live allocations of `job` holding `name`. */
const holding = (h: SchedulerHarness, job: Job, name: string) =>
  h.liveAllocs(job).filter((a) => a.Name === name);

describe("disconnected clients in the reconciler", () => {
  it("marks a disconnected node's allocations unknown and replaces them when replace = true", () => {
    const { h, job, originals, result } = cutOff(disconnect());
    expect(originals.length).toBeGreaterThan(0);
    const timeout = result.createEvals.find((e) => e.TriggeredBy === "max-disconnect-timeout");
    expect(timeout?.WaitUntil).toBe(h.now + LOST_AFTER);
    expect(timeout?.StatusDescription).toBe(DISCONNECT_TIMEOUT_EVAL_DESCRIPTION);
    for (const original of originals) {
      const stored = byId(h, original.ID);
      expect(stored).toMatchObject({
        ClientStatus: "unknown",
        DesiredStatus: "run",
        ClientDescription: ALLOC_UNKNOWN,
      });
      expect(lastRecordedClientStatus(stored)).toEqual({
        Field: "ClientStatus",
        Value: "unknown",
        Time: h.now,
      });
      expect(stored.FollowupEvalID).toBe(timeout?.ID);
      const replacement = holding(h, job, original.Name).find((a) => a.ID !== original.ID);
      expect(replacement?.NodeID).not.toBe(original.NodeID);
      expect(replacement?.PreviousAllocation).toBe(original.ID);
    }
    // Nothing more to do while the node stays away.
    h.now += 60e9;
    expect(h.process(h.evalFor(job, { TriggeredBy: "node-update" })).plan).toBeNull();
  });

  it("keeps the unknown allocations in their slots and places nothing when replace = false", () => {
    const { h, job, originals, result } = cutOff(disconnect({ Replace: false }));
    expect(Object.values(result.plan!.NodeUpdate).flat()).toHaveLength(0);
    expect(h.liveAllocs(job)).toHaveLength(3);
    for (const original of originals) expect(byId(h, original.ID).ClientStatus).toBe("unknown");
    expect(h.process(h.evalFor(job)).plan).toBeNull();
  });

  it("marks the allocations lost (as before) when the group has no disconnect window", () => {
    const { h, job, originals, result } = cutOff(null);
    const stops = Object.values(result.plan!.NodeUpdate).flat();
    expect(stops.map((a) => a.ID).sort()).toEqual(originals.map((a) => a.ID).sort());
    expect(stops.every((a) => a.ClientStatus === "lost" && a.DesiredDescription === ALLOC_LOST)).toBe(true);
    expect(h.liveAllocs(job)).toHaveLength(3);
    expect(result.createEvals.some((e) => e.TriggeredBy === "max-disconnect-timeout")).toBe(false);
  });

  it("marks unknown allocations lost once lost_after has passed (their replacements stay)", () => {
    const { h, job, originals, result } = cutOff(disconnect());
    const timeout = result.createEvals.find((e) => e.TriggeredBy === "max-disconnect-timeout")!;
    const replacements = h.liveAllocs(job).filter((a) => !originals.some((o) => o.ID === a.ID));
    h.now = timeout.WaitUntil;
    const expiry = h.process({ ...timeout, Status: "pending" });
    const stops = Object.values(expiry.plan!.NodeUpdate).flat();
    expect(stops.map((a) => a.ID).sort()).toEqual(originals.map((a) => a.ID).sort());
    for (const original of originals)
      expect(byId(h, original.ID)).toMatchObject({ ClientStatus: "lost", DesiredStatus: "stop" });
    expect(Object.values(expiry.plan!.NodeAllocation).flat()).toHaveLength(0);
    expect(
      h
        .liveAllocs(job)
        .map((a) => a.ID)
        .sort(),
    ).toEqual(replacements.map((a) => a.ID).sort());
  });

  it("replaces unknown allocations once lost_after has passed when replace = false", () => {
    const { h, job, originals, result } = cutOff(disconnect({ Replace: false }));
    const timeout = result.createEvals.find((e) => e.TriggeredBy === "max-disconnect-timeout")!;
    h.now += LOST_AFTER - 1;
    expect(h.process(h.evalFor(job)).plan).toBeNull();
    h.now += 1;
    h.process(h.evalFor(job, { TriggeredBy: "max-disconnect-timeout" }));
    for (const original of originals) expect(byId(h, original.ID).ClientStatus).toBe("lost");
    const live = h.liveAllocs(job);
    expect(live).toHaveLength(3);
    expect(live.every((a) => !originals.some((o) => o.ID === a.ID))).toBe(true);
    expect(timeout.WaitUntil).toBe(h.now);
  });

  it("marks unknown allocations lost when their node goes down", () => {
    const { h, job, victim, originals } = cutOff(disconnect({ Replace: false }));
    h.setNodeStatus(victim, "down");
    h.process(h.evalFor(job, { TriggeredBy: "node-update" }));
    for (const original of originals) expect(byId(h, original.ID).ClientStatus).toBe("lost");
    expect(h.liveAllocs(job)).toHaveLength(3);
  });

  it("waits while the node is back but its client has not reported the allocations yet", () => {
    const { h, job, victim } = cutOff(disconnect());
    h.setNodeStatus(victim, "ready");
    expect(h.process(h.evalFor(job, { TriggeredBy: "node-update" })).plan).toBeNull();
  });

  /** Cut off, replaced, replacements running; then the node and its allocations come back. */
  function reconnect(strategy: DisconnectStrategy, replacementStartsEarlier = false) {
    const setup = cutOff(strategy);
    const { h, job, victim, originals } = setup;
    const replacements = h.liveAllocs(job).filter((a) => a.PreviousAllocation !== "");
    h.clientUpdate(replacements, {
      ClientStatus: "running",
      TaskStates: started(replacementStartsEarlier ? 1 : h.now),
    });
    h.now += 30e9;
    h.setNodeStatus(victim, "ready");
    h.clientUpdate(originals, { ClientStatus: "running", TaskStates: started(h.now - 1_000e9) });
    const result = h.process(h.evalFor(job, { TriggeredBy: "reconnect" }));
    return { ...setup, replacements, result };
  }

  it("keep_original: the original keeps running, the replacement is stopped", () => {
    const { h, job, originals, replacements } = reconnect(disconnect({ Reconcile: "keep_original" }));
    for (const replacement of replacements) {
      expect(byId(h, replacement.ID)).toMatchObject({
        DesiredStatus: "stop",
        DesiredDescription: ALLOC_RECONNECTED,
      });
    }
    for (const original of originals) {
      const stored = byId(h, original.ID);
      expect(stored).toMatchObject({ DesiredStatus: "run", ClientStatus: "running" });
      expect(lastRecordedClientStatus(stored)?.Value).toBe("running");
    }
    expect(h.liveAllocs(job)).toHaveLength(3);
    expect(h.process(h.evalFor(job)).plan).toBeNull();
  });

  it("keep_replacement: the original is stopped", () => {
    const { h, job, originals, replacements } = reconnect(disconnect({ Reconcile: "keep_replacement" }));
    for (const original of originals) {
      expect(byId(h, original.ID)).toMatchObject({
        DesiredStatus: "stop",
        DesiredDescription: ALLOC_RECONNECTED,
      });
    }
    for (const replacement of replacements) expect(byId(h, replacement.ID).DesiredStatus).toBe("run");
    expect(h.liveAllocs(job)).toHaveLength(3);
    expect(h.process(h.evalFor(job)).plan).toBeNull();
  });

  it("longest_running: the copy that started first keeps running", () => {
    const original = reconnect(disconnect({ Reconcile: "longest_running" }));
    for (const r of original.replacements) expect(byId(original.h, r.ID).DesiredStatus).toBe("stop");
    const replacement = reconnect(disconnect({ Reconcile: "longest_running" }), true);
    for (const o of replacement.originals) expect(byId(replacement.h, o.ID).DesiredStatus).toBe("stop");
    for (const r of replacement.replacements) expect(byId(replacement.h, r.ID).DesiredStatus).toBe("run");
  });

  it("best_score: the copy placed with the better score keeps running, the original on a tie", () => {
    const { h, job, originals, replacements } = reconnect(disconnect({ Reconcile: "best_score" }));
    for (const original of originals) {
      const replacement = replacements.find((r) => r.Name === original.Name)!;
      const score = (a: Allocation) => a.Metrics!.ScoreMetaData.find((s) => s.NodeID === a.NodeID)!.NormScore;
      const winner = score(replacement) > score(original) ? replacement : original;
      const loser = winner === original ? replacement : original;
      expect(byId(h, winner.ID).DesiredStatus).toBe("run");
      expect(byId(h, loser.ID).DesiredStatus).toBe("stop");
    }
    expect(h.liveAllocs(job)).toHaveLength(3);
  });

  it("stops an original that failed while disconnected when a replacement runs", () => {
    const { h, job, victim, originals } = cutOff(disconnect());
    h.setNodeStatus(victim, "ready");
    h.clientUpdate(originals, { ClientStatus: "failed" });
    const result = h.process(h.evalFor(job, { TriggeredBy: "reconnect" }));
    expect(Object.values(result.plan!.NodeAllocation).flat()).toHaveLength(0);
    for (const original of originals) expect(byId(h, original.ID).DesiredStatus).toBe("stop");
    expect(h.liveAllocs(job)).toHaveLength(3);
  });
});

describe("stop_on_client_after in the reconciler", () => {
  it("marks the allocations of a down node lost but replaces them only once their client stopped them", () => {
    const stopAfter = 30e9;
    const { h, job, victim, originals, result } = cutOff(
      disconnect({ LostAfter: 0, StopOnClientAfter: stopAfter }),
      3,
      "down",
    );
    const killTimeout = job.TaskGroups[0]!.Tasks[0]!.KillTimeout;
    expect(Object.values(result.plan!.NodeUpdate).flat()).toHaveLength(0);
    const followUp = result.createEvals.find((e) => e.TriggeredBy === "failed-follow-up");
    expect(followUp?.WaitUntil).toBe(h.now + stopAfter + killTimeout);
    for (const original of originals) {
      const stored = byId(h, original.ID);
      expect(stored).toMatchObject({
        ClientStatus: "lost",
        DesiredStatus: "run",
        FollowupEvalID: followUp?.ID,
      });
      expect(lastRecordedClientStatus(stored)).toEqual({ Field: "ClientStatus", Value: "lost", Time: h.now });
    }
    expect(h.allocs(job).filter((a) => a.NodeID !== victim && a.DesiredStatus === "run")).toHaveLength(
      3 - originals.length,
    );
    // Another eval meanwhile changes nothing.
    h.now += 10e9;
    expect(h.process(h.evalFor(job, { TriggeredBy: "node-update" })).plan).toBeNull();
    h.now = followUp!.WaitUntil;
    h.process({ ...followUp!, Status: "pending" });
    for (const original of originals) {
      expect(byId(h, original.ID)).toMatchObject({ ClientStatus: "lost", DesiredStatus: "stop" });
    }
    const live = h.liveAllocs(job);
    expect(live).toHaveLength(3);
    expect(live.every((a) => a.NodeID !== victim)).toBe(true);
  });
});

describe("pickReconnecting", () => {
  const job = mockJob("j", { TaskGroups: [mockGroup("web", { Count: 1 })] });
  const group = job.TaskGroups[0]!;
  const node = mockNode("n1");
  const other = mockNode("n2");
  const scored = (id: string, onNode: typeof node, score: number | null, start: number): Allocation =>
    mockAlloc(id, job, onNode, 0, {
      TaskStates: started(start),
      Metrics:
        score === null
          ? null
          : {
              NodesEvaluated: 1,
              NodesFiltered: 0,
              NodesInPool: 1,
              NodesAvailable: {},
              ClassFiltered: {},
              ConstraintFiltered: {},
              NodesExhausted: 0,
              ClassExhausted: {},
              DimensionExhausted: {},
              QuotaExhausted: [],
              ScoreMetaData: [{ NodeID: onNode.ID, Scores: {}, NormScore: score }],
              AllocationTime: 0,
              CoalescedFailures: 0,
            },
    });

  it("follows each strategy, and prefers a replacement of a newer job version", () => {
    const original = scored("o", node, 0.5, 100);
    const replacement = scored("r", other, 0.7, 50);
    const pick = (reconcile: DisconnectStrategy["Reconcile"], o = original, r = replacement) =>
      pickReconnecting(disconnect({ Reconcile: reconcile }), group, o, r).ID;
    expect(pick("keep_original")).toBe("o");
    expect(pick("keep_replacement")).toBe("r");
    expect(pick("best_score")).toBe("r");
    expect(pick("best_score", original, scored("r", other, 0.5, 50))).toBe("o");
    expect(pick("best_score", original, scored("r", other, null, 50))).toBe("o");
    expect(pick("longest_running")).toBe("r");
    expect(pick("longest_running", original, scored("r", other, 0.1, 200))).toBe("o");
    expect(pick("longest_running", original, scored("r", other, 0.1, 0))).toBe("o");
    expect(pick("keep_original", original, { ...replacement, JobVersion: original.JobVersion + 1 })).toBe(
      "r",
    );
  });
});
