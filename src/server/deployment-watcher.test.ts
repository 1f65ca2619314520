import { describe, expect, it } from "vitest";
import type { PlanApplyCommand } from "../fsm/commands.js";
import { mockAlloc, mockDeployment, mockId, mockJob, mockNode } from "../fsm/mock.js";
import { StateStore } from "../fsm/state-store.js";
import type { Deployment, DeploymentState } from "../fsm/structs.js";
import {
  DEPLOYMENT_FAILED_DEADLINE,
  DEPLOYMENT_FAILED_UNHEALTHY,
  DEPLOYMENT_SUCCESSFUL,
  DeploymentWatcher,
} from "./deployment-watcher.js";
import { InProcessContext } from "./in-process-context.js";
import { ManualClock } from "./manual-clock.js";

const NODE = mockId(1, 1);

function group(fields: Partial<DeploymentState> = {}): DeploymentState {
  const base = mockDeployment().TaskGroups["web"] as DeploymentState;
  return { ...base, DesiredTotal: 2, ProgressDeadline: 0, RequireProgressBy: 0, ...fields };
}

function planWith(deployment: Deployment | null, allocIds: number[], deploymentId: string): PlanApplyCommand {
  return {
    type: "plan-apply",
    EvalID: "",
    NodeUpdate: {},
    NodeAllocation: {
      [NODE]: allocIds.map((n) =>
        mockAlloc({
          ID: mockId(n, 0xa),
          Name: `example.web[${n}]`,
          NodeID: NODE,
          DeploymentID: deploymentId,
        }),
      ),
    },
    NodePreemptions: {},
    Deployment: deployment,
    DeploymentUpdates: [],
    Evals: [],
    Now: 0,
  };
}

/** Job v0 (made stable by a successful deployment), then v1 rolling out with deployment "d1". */
async function setup(groupFields: Partial<DeploymentState> = {}) {
  const clock = new ManualClock();
  const ctx = new InProcessContext(new StateStore(), clock);
  const watcher = new DeploymentWatcher(ctx);
  ctx.onApplied((_index, command) => watcher.applied(command, ctx.state()));
  ctx.applyNow({ type: "node-register", Nodes: [mockNode({ ID: NODE })], Evals: [] });
  ctx.applyNow({ type: "job-register", Job: mockJob(), Eval: null });
  const d0 = mockDeployment({ ID: "d0", JobVersion: 0, TaskGroups: { web: group() } });
  ctx.applyNow(planWith(d0, [], "d0"));
  ctx.applyNow({
    type: "deployment-status",
    Update: { DeploymentID: "d0", Status: "successful", StatusDescription: "" },
    Job: null,
    Eval: null,
  });
  ctx.applyNow({ type: "job-register", Job: mockJob({ Meta: { v: "1" } }), Eval: null });
  watcher.setEnabled(true);
  const d1 = mockDeployment({ ID: "d1", JobVersion: 1, TaskGroups: { web: group(groupFields) } });
  ctx.applyNow(planWith(d1, [1, 2], "d1"));
  await settle(ctx);
  return { clock, ctx, watcher };
}

/** Lets the watcher's batched decision run and its proposal apply. */
async function settle(ctx: InProcessContext): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await ctx.barrier();
  }
}

function health(ctx: InProcessContext, n: number, healthy: boolean): void {
  ctx.applyNow({
    type: "alloc-client-update",
    Allocs: [
      {
        ID: mockId(n, 0xa),
        ClientStatus: "running",
        ClientDescription: "",
        TaskStates: {},
        DeploymentStatus: { Healthy: healthy, Timestamp: 0, Canary: false, ModifyIndex: 0 },
        ModifyTime: 0,
      },
    ],
    Evals: [],
  });
}

describe("DeploymentWatcher", () => {
  it("marks the deployment successful once every group is healthy, making the version stable", async () => {
    const { ctx } = await setup();
    health(ctx, 1, true);
    await settle(ctx);
    expect(ctx.state().deploymentByID("d1")?.Status).toBe("running");
    // Progress: an eval lets the scheduler place the rolling update's next batch.
    expect(
      ctx
        .state()
        .evalsByJob("default", "example")
        .map((e) => e.TriggeredBy),
    ).toContain("deployment-watcher");
    health(ctx, 2, true);
    await settle(ctx);
    const d1 = ctx.state().deploymentByID("d1");
    expect(d1?.Status).toBe("successful");
    expect(d1?.StatusDescription).toBe(DEPLOYMENT_SUCCESSFUL);
    expect(ctx.state().jobByVersion("default", "example", 1)?.Stable).toBe(true);
  });

  it("fails on an unhealthy allocation and rolls back to the last stable version with auto_revert", async () => {
    const { ctx } = await setup({ AutoRevert: true });
    health(ctx, 1, false);
    await settle(ctx);
    const d1 = ctx.state().deploymentByID("d1");
    expect(d1?.Status).toBe("failed");
    expect(d1?.StatusDescription).toBe(`${DEPLOYMENT_FAILED_UNHEALTHY} - rolling back to job version 0`);
    const job = ctx.state().jobByID("default", "example");
    expect(job?.Version).toBe(2);
    expect(job?.Meta["v"]).toBeUndefined();
  });

  it("fails without rollback when auto_revert is off", async () => {
    const { ctx } = await setup();
    health(ctx, 2, false);
    await settle(ctx);
    expect(ctx.state().deploymentByID("d1")?.StatusDescription).toBe(DEPLOYMENT_FAILED_UNHEALTHY);
    expect(ctx.state().jobByID("default", "example")?.Version).toBe(1);
  });

  it("fails a deployment that makes no progress by its deadline", async () => {
    const clock = new ManualClock();
    const { ctx } = await setup({ RequireProgressBy: clock.now() + 30_000e6, ProgressDeadline: 30_000e6 });
    // setup's clock starts at the same instant as this one.
    const watchedClock = ctx.clock as ManualClock;
    watchedClock.advance(29_999);
    await settle(ctx);
    expect(ctx.state().deploymentByID("d1")?.Status).toBe("running");
    watchedClock.advance(1);
    await settle(ctx);
    expect(ctx.state().deploymentByID("d1")?.StatusDescription).toBe(DEPLOYMENT_FAILED_DEADLINE);
  });
});
