import { afterEach, describe, expect, it, vi } from "vitest";
import { mockId, mockJob, mockNode } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import type { Evaluation } from "../fsm/structs.js";
import { computeNodeClass } from "../scheduler/computed-class.js";
import { schedule } from "../scheduler/index.js";
import { InProcessContext } from "./in-process-context.js";
import { ManualClock } from "./manual-clock.js";
import { InlineSchedulerRunner } from "./scheduler-runner.js";
import { registerJob } from "./test-fixtures.js";
import { ThreadSchedulerRunner } from "./thread-scheduler-runner.js";

// The scheduler thread runs the compiled module: `npx tsc -p .` must have run (as for cluster tests).

function setup() {
  const clock = new ManualClock();
  const ctx = new InProcessContext(new StateStore(), clock);
  const nodes = Array.from({ length: 20 }, (_, i) => {
    const n = mockNode({ ID: mockId(i + 1, 1), Name: `n${i}` });
    return { ...n, ComputedClass: computeNodeClass(n) };
  });
  ctx.applyNow({ type: "node-register", Nodes: nodes, Evals: [] });
  return { clock, ctx };
}

async function register(ctx: InProcessContext, id: string): Promise<Evaluation> {
  const evaluation = await registerJob(ctx, mockJob({ ID: id }));
  const stored = ctx.state().evalByID(evaluation.ID);
  if (stored === undefined) throw new Error("eval not stored");
  return stored;
}

let runner: ThreadSchedulerRunner | undefined;
afterEach(async () => {
  await runner?.close();
  runner = undefined;
});

describe("ThreadSchedulerRunner", () => {
  it("plans exactly what schedule() plans inline, on a replica kept up to date by applied commands", async () => {
    const { ctx } = setup();
    runner = new ThreadSchedulerRunner(ctx, ctx.store);
    const inline = new InlineSchedulerRunner(ctx, schedule);
    // Registered after the runner started: the replica learns them through the applied hook.
    for (const id of ["a", "b", "c"]) {
      const evaluation = await register(ctx, id);
      const options = { now: 1_700_000_000_000_000_000, seed: 42 };
      const inThread = await runner.run(evaluation, evaluation.ModifyIndex, options);
      const here = await inline.run(evaluation, evaluation.ModifyIndex, options);
      expect(inThread.snapshotIndex).toBe(here.snapshotIndex);
      expect(inThread.result).toEqual(here.result);
      expect(Object.values(inThread.result.plan?.NodeAllocation ?? {}).flat()).toHaveLength(10);
    }
  });

  it("keeps the replica exact without being sent variable writes (skipped indexes are stepped over)", async () => {
    const { ctx } = setup();
    const warn = vi.spyOn(ctx.logger, "warn");
    runner = new ThreadSchedulerRunner(ctx, ctx.store);
    const inline = new InlineSchedulerRunner(ctx, schedule);
    const putVar = (path: string) =>
      ctx.propose({
        type: "var-put",
        Var: { Namespace: "default", Path: path, Items: { v: "x" } },
        CAS: null,
        Now: 1,
      });
    for (const id of ["a", "b"]) {
      await putVar(`before/${id}`);
      const evaluation = await register(ctx, id);
      await putVar(`after/${id}/1`);
      await ctx.propose({ type: "var-delete", Namespace: "default", Path: `before/${id}`, CAS: null });
      // The newest index (and the variables table's) belongs to a command the replica never saw.
      expect(ctx.state().index).toBeGreaterThan(evaluation.ModifyIndex);
      const options = { now: 1_700_000_000_000_000_000, seed: 7 };
      const inThread = await runner.run(evaluation, evaluation.ModifyIndex, options);
      const here = await inline.run(evaluation, evaluation.ModifyIndex, options);
      expect(inThread.snapshotIndex).toBe(ctx.state().index);
      expect(inThread.result).toEqual(here.result);
    }
    // A replica that had drifted would have been resent the whole state, with a warning.
    expect(warn).not.toHaveBeenCalled();
  });

  it("notices a replica that drifted (state replaced without commands) and resends the state", async () => {
    const { ctx } = setup();
    // No wait for a hook that will never run (the restore below is not announced through resync).
    runner = new ThreadSchedulerRunner(ctx, ctx.store, { resyncAfterMs: 0 });
    const first = await register(ctx, "a");
    await runner.run(first, first.ModifyIndex, { now: 1, seed: 1 });
    // A Raft snapshot restore replaces the state wholesale: no applied hook runs for it.
    const other = new StateStore();
    const otherCtx = new InProcessContext(other, new ManualClock());
    otherCtx.applyNow({ type: "node-register", Nodes: [...ctx.state().nodes()], Evals: [] });
    for (let i = 0; i < 5; i++)
      otherCtx.applyNow({ type: "job-register", Job: mockJob({ ID: `x${i}` }), Eval: null });
    const restored = await register(otherCtx, "after-restore");
    ctx.store.replace(other.tables());
    const run = await runner.run(restored, restored.ModifyIndex, { now: 1, seed: 1 });
    const here = await new InlineSchedulerRunner(ctx, schedule).run(restored, restored.ModifyIndex, {
      now: 1,
      seed: 1,
    });
    expect(run.result).toEqual(here.result);
  });

  it("fails runs once its thread is gone instead of waiting forever", async () => {
    const { ctx } = setup();
    const closed = new ThreadSchedulerRunner(ctx, ctx.store);
    const evaluation = await register(ctx, "a");
    await closed.close();
    await expect(closed.run(evaluation, evaluation.ModifyIndex, { now: 1, seed: 1 })).rejects.toThrow(
      /exited/,
    );
  });
});
