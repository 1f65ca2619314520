import { describe, expect, it } from "vitest";
import { StateStore } from "../fsm/state-store.js";
import { allocTerminal, type Job, type Node } from "../fsm/structs.js";
import { schedule } from "../scheduler/index.js";
import { InProcessContext } from "./in-process-context.js";
import { DEFAULT_LEADER_CONFIG, Leader } from "./leader.js";
import { ManualClock } from "./manual-clock.js";
import { registerJob, slotJob, slotNode } from "./test-fixtures.js";
import { DEFAULT_WORKER_CONFIG, evalSeed, Worker } from "./worker.js";

async function setup(nodes: Node[]) {
  const clock = new ManualClock();
  const ctx = new InProcessContext(new StateStore(), clock);
  ctx.applyNow({ type: "node-register", Nodes: nodes, Evals: [] });
  const leader = new Leader(ctx, { ...DEFAULT_LEADER_CONFIG, gcIntervalMs: 0 });
  await leader.establish();
  const register = async (j: Job): Promise<string> => (await registerJob(ctx, j)).ID;
  const turns = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };
  return { clock, ctx, leader, register, turns };
}

const live = (ctx: InProcessContext) => [...ctx.state().allocs()].filter((a) => !allocTerminal(a));

describe("Worker", () => {
  it("gives up after fruitless plans: the eval fails and a max-plan-attempts blocked eval takes over", async () => {
    const { ctx, leader, register, turns } = await setup([slotNode(1, 1)]);
    const config = { ...DEFAULT_WORKER_CONFIG, schedulers: ["service" as const], maxPlanAttempts: 1 };
    const workers = [0, 1].map(() => new Worker(ctx, leader.client, leader.client, schedule, config));
    for (const w of workers) w.start();
    const ids = await Promise.all([register(slotJob("a", 1)), register(slotJob("b", 1))]);
    for (let i = 0; i < 200 && workers[0]!.evalsProcessed + workers[1]!.evalsProcessed < 2; i++)
      await turns(1);
    await ctx.barrier();
    expect(live(ctx)).toHaveLength(1);
    const statuses = ids.map((id) => ctx.state().evalByID(id));
    const failed = statuses.find((e) => e?.Status === "failed");
    expect(failed?.StatusDescription).toBe("maximum of 1 plan attempts reached");
    const blocked = ctx.state().evalByID(failed?.BlockedEval ?? "");
    expect(blocked?.TriggeredBy).toBe("max-plan-attempts");
    expect(leader.blocked.has(blocked?.ID ?? "")).toBe(true);
    // Capacity appears: the blocked eval (escaped: any change may help) places the job.
    ctx.applyNow({ type: "node-register", Nodes: [slotNode(2, 1)], Evals: [] });
    for (let i = 0; i < 200 && live(ctx).length < 2; i++) await turns(1);
    expect(live(ctx)).toHaveLength(2);
    await leader.revoke();
    await Promise.all(workers.map((w) => w.stop()));
  });

  it("drops an eval whose delivery it lost (nack timeout) without committing its plan", async () => {
    const { clock, ctx, leader, register, turns } = await setup([slotNode(1, 4)]);
    const id = await register(slotJob("a", 1));
    const item = await leader.client.dequeue(["service"], 0);
    expect(item?.eval.ID).toBe(id);
    // The worker stalls past the nack timeout: the broker takes the eval back.
    clock.advance(DEFAULT_LEADER_CONFIG.broker.nackTimeoutMs);
    const worker = new Worker(ctx, leader.client, leader.client, schedule, DEFAULT_WORKER_CONFIG);
    if (item === null) throw new Error("no eval");
    await worker.process(item);
    await turns(3);
    expect(ctx.state().allocCount()).toBe(0);
    expect(worker.evalsProcessed).toBe(0);
    // Another delivery after the nack delay schedules it normally.
    clock.advance(DEFAULT_LEADER_CONFIG.broker.initialNackDelayMs);
    const again = await leader.client.dequeue(["service"], 0);
    if (again === null) throw new Error("eval not redelivered");
    await worker.process(again);
    expect(live(ctx)).toHaveLength(1);
    expect(ctx.state().evalByID(id)?.Status).toBe("complete");
    await leader.revoke();
  });

  it("counts the allocations it placed and those it could not place, by scheduler", async () => {
    const { ctx, leader, register } = await setup([slotNode(1, 2)]);
    await register(slotJob("a", 5));
    const worker = new Worker(ctx, leader.client, leader.client, schedule, DEFAULT_WORKER_CONFIG);
    const item = await leader.client.dequeue(["service"], 0);
    if (item === null) throw new Error("no eval");
    await worker.process(item);
    expect(live(ctx)).toHaveLength(2);
    const counted = async (name: string): Promise<Record<string, number>> => {
      const metric = ctx.metrics.registry.getSingleMetric(name);
      if (metric === undefined) throw new Error(`${name} is not registered`);
      return Object.fromEntries(
        (await metric.get()).values.map((v) => [String(v.labels["scheduler"]), v.value]),
      );
    };
    expect(await counted("drover_scheduler_placements_total")).toMatchObject({ service: 2, batch: 0 });
    expect(await counted("drover_scheduler_placement_failures_total")).toMatchObject({
      service: 3,
      batch: 0,
    });
    await leader.revoke();
  });

  it("derives a stable seed per eval and attempt", () => {
    expect(evalSeed("abc", 0)).toBe(evalSeed("abc", 0));
    expect(evalSeed("abc", 0)).not.toBe(evalSeed("abc", 1));
    expect(evalSeed("abc", 0)).not.toBe(evalSeed("abd", 0));
  });
});
