import { describe, expect, it } from "vitest";
import { NotLeaderError } from "../common/errors.js";
import type { Plan, PlanResult } from "../fsm/structs.js";
import { PlanQueue } from "./plan-queue.js";

const plan = (evalId: string, priority: number): Plan => ({
  EvalID: evalId,
  EvalToken: "t",
  Priority: priority,
  AllAtOnce: false,
  JobID: "j",
  Namespace: "default",
  NodeUpdate: {},
  NodeAllocation: {},
  NodePreemptions: {},
  Deployment: null,
  DeploymentUpdates: [],
  SnapshotIndex: 1,
});

const emptyResult: PlanResult = {
  NodeUpdate: {},
  NodeAllocation: {},
  NodePreemptions: {},
  Deployment: null,
  DeploymentUpdates: [],
  RejectedNodes: [],
  RefreshIndex: 0,
  AllocIndex: 7,
};

describe("PlanQueue", () => {
  it("serves plans by priority, then in arrival order, and resolves the submitter", async () => {
    const q = new PlanQueue();
    q.setEnabled(true);
    const results = [q.enqueue(plan("a", 50)), q.enqueue(plan("b", 70)), q.enqueue(plan("c", 50))];
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const next = await q.dequeue();
      if (next === null) throw new Error("queue empty");
      order.push(next.plan.EvalID);
      next.resolve(emptyResult);
    }
    expect(order).toEqual(["b", "a", "c"]);
    expect((await Promise.all(results)).map((r) => r.AllocIndex)).toEqual([7, 7, 7]);
  });

  it("hands a plan straight to a waiting applier", async () => {
    const q = new PlanQueue();
    q.setEnabled(true);
    const waiting = q.dequeue();
    const submitted = q.enqueue(plan("x", 50));
    const got = await waiting;
    expect(got?.plan.EvalID).toBe("x");
    got?.resolve(emptyResult);
    await submitted;
  });

  it("rejects with NotLeaderError when disabled, and fails queued plans on disable", async () => {
    const q = new PlanQueue();
    await expect(q.enqueue(plan("a", 50))).rejects.toBeInstanceOf(NotLeaderError);
    q.setEnabled(true);
    const queued = q.enqueue(plan("b", 50));
    q.setEnabled(false);
    await expect(queued).rejects.toBeInstanceOf(NotLeaderError);
    expect(await q.dequeue()).toBeNull();
  });

  it("wakes a waiting applier with null when disabled or aborted", async () => {
    const q = new PlanQueue();
    q.setEnabled(true);
    const waiting = q.dequeue();
    q.setEnabled(false);
    expect(await waiting).toBeNull();
    q.setEnabled(true);
    const abort = new AbortController();
    const again = q.dequeue(abort.signal);
    abort.abort();
    expect(await again).toBeNull();
  });
});
