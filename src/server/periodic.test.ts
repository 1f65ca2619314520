import { describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../common/errors.js";
import { mockJob } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import type { Job } from "../fsm/structs.js";
import { dispatchJob } from "./dispatch.js";
import { InProcessContext } from "./in-process-context.js";
import { ManualClock } from "./manual-clock.js";
import { PeriodicDispatcher, periodicChildId } from "./periodic.js";

// ManualClock starts at 2023-11-14T22:13:20Z: the next "*/5" minute is 22:15:00, 100 s later.
const START_MS = 1_700_000_000_000;

function periodicJob(fields: Partial<Job> = {}): Job {
  return mockJob({
    ID: "report",
    Type: "batch",
    Periodic: {
      Enabled: true,
      Spec: "*/5 * * * *",
      SpecType: "cron",
      ProhibitOverlap: false,
      TimeZone: "UTC",
    },
    ...fields,
  });
}

function setup(job: Job) {
  const clock = new ManualClock(START_MS);
  const ctx = new InProcessContext(new StateStore(), clock);
  ctx.applyNow({ type: "job-register", Job: job, Eval: null });
  const periodic = new PeriodicDispatcher(ctx);
  return { clock, ctx, periodic };
}

describe("PeriodicDispatcher", () => {
  it("launches a child job with an eval at each cron time", async () => {
    const { clock, ctx, periodic } = setup(periodicJob());
    periodic.setEnabled(true);
    expect(periodic.stats().tracked).toBe(1);
    clock.advance(99_999);
    await ctx.barrier();
    expect([...ctx.state().jobsByParent("default", "report")]).toHaveLength(0);
    clock.advance(1);
    await ctx.barrier();
    const firstId = periodicChildId("report", START_MS + 100_000);
    expect(firstId).toBe("report/periodic-1700000100");
    const child = ctx.state().jobByID("default", firstId);
    expect(child?.ParentID).toBe("report");
    expect(child?.Periodic).toBeNull();
    expect(
      ctx
        .state()
        .evalsByJob("default", firstId)
        .map((e) => e.TriggeredBy),
    ).toEqual(["periodic-job"]);
    clock.advance(300_000);
    await ctx.barrier();
    expect([...ctx.state().jobsByParent("default", "report")]).toHaveLength(2);
  });

  it("skips a launch while an earlier child still runs when overlap is prohibited", async () => {
    const job = periodicJob();
    const { clock, ctx, periodic } = setup({
      ...job,
      Periodic: { ...(job.Periodic as NonNullable<Job["Periodic"]>), ProhibitOverlap: true },
    });
    periodic.setEnabled(true);
    clock.advance(100_000);
    await ctx.barrier();
    clock.advance(300_000);
    await ctx.barrier();
    expect([...ctx.state().jobsByParent("default", "report")]).toHaveLength(1);
  });

  it("launches a cron time missed during a leader change once, on gaining leadership", async () => {
    // Submitted 10 minutes before the clock's start: the 22:10 launch was due and never made.
    const { clock, ctx, periodic } = setup(periodicJob({ SubmitTime: (START_MS - 600_000) * 1e6 }));
    periodic.setEnabled(true);
    await ctx.barrier();
    const missed = periodicChildId("report", START_MS - 200_000);
    expect([...ctx.state().jobsByParent("default", "report")].map((j) => j.ID)).toEqual([missed]);
    // Leadership lost and regained: the missed launch is not repeated.
    periodic.setEnabled(false);
    periodic.setEnabled(true);
    await ctx.barrier();
    expect([...ctx.state().jobsByParent("default", "report")]).toHaveLength(1);
    clock.advance(100_000);
    await ctx.barrier();
    expect([...ctx.state().jobsByParent("default", "report")]).toHaveLength(2);
  });

  it("stops launching when disabled or when the job is removed", async () => {
    const { clock, ctx, periodic } = setup(periodicJob());
    periodic.setEnabled(true);
    periodic.remove("default", "report");
    clock.advance(1_000_000);
    await ctx.barrier();
    periodic.add(periodicJob());
    periodic.setEnabled(false);
    clock.advance(1_000_000);
    await ctx.barrier();
    expect([...ctx.state().jobsByParent("default", "report")]).toHaveLength(0);
  });
});

describe("dispatchJob", () => {
  const parameterized = mockJob({
    ID: "encode",
    Type: "batch",
    ParameterizedJob: { Payload: "required", MetaRequired: ["input"], MetaOptional: ["quality"] },
  });

  it("registers a dispatched child with its payload, meta and an eval", async () => {
    const { ctx } = setup(parameterized);
    const result = await dispatchJob(ctx, "default", "encode", Buffer.from("hello"), { input: "a.mp4" });
    expect(result.DispatchedJobID).toMatch(/^encode\/dispatch-1700000000-[0-9a-f]{8}$/);
    const child = ctx.state().jobByID("default", result.DispatchedJobID);
    expect(child?.Dispatched).toBe(true);
    expect(child?.ParentID).toBe("encode");
    expect(child?.ParameterizedJob).toBeNull();
    expect(Buffer.from(child?.Payload ?? "", "base64").toString()).toBe("hello");
    expect(child?.Meta["input"]).toBe("a.mp4");
    expect(ctx.state().evalByID(result.EvalID)?.JobID).toBe(result.DispatchedJobID);
  });

  it("rejects a dispatch that breaks the parameterized block, saying what and where", async () => {
    const { ctx } = setup(parameterized);
    await expect(dispatchJob(ctx, "default", "encode", new Uint8Array(), { input: "x" })).rejects.toThrow(
      /dispatch of job encode: payload is required/,
    );
    await expect(dispatchJob(ctx, "default", "encode", Buffer.from("x"), {})).rejects.toThrow(
      /missing required meta: input/,
    );
    await expect(
      dispatchJob(ctx, "default", "encode", Buffer.from("x"), { input: "x", color: "red" }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(dispatchJob(ctx, "default", "nope", Buffer.from("x"), {})).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect([...ctx.state().jobs()]).toHaveLength(1);
  });
});
