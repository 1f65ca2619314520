import { describe, expect, it } from "vitest";
import { SeededRandom } from "../common/rand.js";
import { CommandRejectedError } from "../fsm/errors.js";
import type { Allocation, Job } from "../fsm/structs.js";
import { allocTerminal } from "../fsm/structs.js";
import { allocsFit } from "./fit.js";
import {
  mockGroup,
  mockJob,
  mockNetwork,
  mockNode,
  mockSystemJob,
  mockTask,
  mockUpdate,
} from "./test-fixtures.js";
import { SchedulerHarness } from "./test-harness.js";

/**
 * A seeded random walk over a small cluster: jobs registered, scaled and changed; allocations
 * failing and finishing; nodes going down, coming back and draining; time passing. After every
 * scheduling step the invariants are checked; at the end, with every node back, the jobs converge.
 * A failing seed replays exactly: `SIM_SEEDS=17,18 npx vitest run src/scheduler/scheduler.sim.test.ts`.
 */
const NODES = 8;

const live = (a: Allocation): boolean => !allocTerminal(a);

/**
 * After `evaluated` was scheduled: no node over-committed, and that job has one live allocation per
 * name (one per node for a system job). Names are checked only for the job just scheduled: a
 * promotion clears the canary marks and leaves a name held twice until the job's next eval.
 */
function checkInvariants(h: SchedulerHarness, step: string, evaluated: string): void {
  const reader = h.snapshot();
  for (const node of reader.nodes()) {
    const allocs = reader.allocsByNode(node.ID).filter((a) => a.DesiredStatus === "run");
    const fit = allocsFit(node, allocs);
    expect(fit.fit, `${step}: node ${node.ID} over-committed (${fit.dimension})`).toBe(true);
  }
  for (const job of reader.jobs()) {
    if (job.ID !== evaluated) continue;
    const running = reader.allocsByJob(job.Namespace, job.ID).filter(live);
    if (job.Constraints.some((c) => c.Operand === "distinct_hosts")) {
      expect(new Set(running.map((a) => a.NodeID)).size, `${step}: ${job.ID} breaks distinct_hosts`).toBe(
        running.length,
      );
    }
    if (job.Type === "system") {
      const perNode = new Set(running.map((a) => a.NodeID));
      expect(perNode.size, `${step}: system job with two allocs on one node`).toBe(running.length);
    } else {
      // Canaries borrow the names of the allocations they will replace.
      const regular = running.filter((a) => a.DeploymentStatus?.Canary !== true);
      const names = new Set(regular.map((a) => a.Name));
      expect(names.size, `${step}: ${job.ID} has two live allocs with one name`).toBe(regular.length);
    }
  }
}

/** Promotes a deployment; the store refuses while canaries are not healthy, as Nomad does. */
function promote(h: SchedulerHarness, deploymentId: string): void {
  try {
    h.apply({ type: "deployment-promote", DeploymentID: deploymentId, All: true, Groups: [], Eval: null });
  } catch (error) {
    if (!(error instanceof CommandRejectedError)) throw error;
  }
}

function simulate(seed: number, steps: number): void {
  const rng = new SeededRandom(seed);
  const h = new SchedulerHarness();
  h.registerNodes(...Array.from({ length: NODES }, (_, i) => mockNode(`n${i}`)));
  const jobs: Job[] = [];
  const pick = <T>(items: readonly T[]): T => items[rng.int(items.length)] as T;
  const evaluate = (job: Job, step: string): void => {
    const stored = h.snapshot().jobByID(job.Namespace, job.ID);
    if (stored === undefined) return;
    h.process(h.evalFor(stored), { seed: rng.int(1 << 30) });
    checkInvariants(h, step, job.ID);
  };
  const register = (job: Job): Job => {
    const stored = h.registerJob(job);
    const index = jobs.findIndex((j) => j.ID === job.ID);
    if (index >= 0) jobs[index] = stored;
    else jobs.push(stored);
    return stored;
  };
  register(mockJob("web", { TaskGroups: [mockGroup("web", { Count: 6 })] }));
  register(
    mockJob("api", {
      TaskGroups: [
        mockGroup("api", {
          Count: 4,
          Tasks: [mockTask("api", { Resources: { ...mockTask().Resources, CPU: 900 } })],
        }),
      ],
    }),
  );
  register(
    mockJob("batch", {
      Type: "batch",
      TaskGroups: [mockGroup("work", { Count: 5, ReschedulePolicy: null })],
    }),
  );
  const update = (canary: number) =>
    mockUpdate({ Stagger: 0, MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, Canary: canary });
  h.setSchedulerConfig({
    PreemptionConfig: {
      SystemSchedulerEnabled: true,
      SysBatchSchedulerEnabled: false,
      BatchSchedulerEnabled: false,
      ServiceSchedulerEnabled: true,
    },
  });
  const network = mockNetwork({
    ReservedPorts: [{ Label: "admin", Value: 8080, To: 0, HostNetwork: "default" }],
    DynamicPorts: [{ Label: "http", Value: 0, To: 80, HostNetwork: "default" }],
  });
  register(
    mockJob("ported", {
      Priority: 90,
      Constraints: [{ LTarget: "", RTarget: "true", Operand: "distinct_hosts" }],
      TaskGroups: [mockGroup("p", { Count: 3, Networks: [network] })],
    }),
  );
  register(mockSystemJob("agent", { Update: update(0) }));
  register(mockJob("rolling", { TaskGroups: [mockGroup("r", { Count: 5, Update: update(0) })] }));
  register(mockJob("canary", { TaskGroups: [mockGroup("c", { Count: 3, Update: update(1) })] }));
  for (const job of jobs) evaluate(job, "initial");

  for (let step = 0; step < steps; step++) {
    const action = rng.int(7);
    const job = pick(jobs);
    const label = `seed ${seed} step ${step} action ${action} job ${job.ID}`;
    const reader = h.snapshot();
    const running = reader.allocsByJob(job.Namespace, job.ID).filter(live);
    switch (action) {
      case 0: {
        // Scale or change the job (a destructive change every other time).
        const group = job.TaskGroups[0]!;
        if (job.Constraints.some((c) => c.Operand === "distinct_hosts")) {
          expect(new Set(running.map((a) => a.NodeID)).size, `${step}: ${job.ID} breaks distinct_hosts`).toBe(
            running.length,
          );
        }
        if (job.Type === "system") {
          register({
            ...job,
            TaskGroups: [{ ...group, Tasks: [{ ...group.Tasks[0]!, Env: { v: String(step) } }] }],
          });
          break;
        }
        const destructive = rng.next() < 0.5;
        register({
          ...job,
          TaskGroups: [
            {
              ...group,
              Count: 1 + rng.int(8),
              Tasks: destructive ? [{ ...group.Tasks[0]!, Env: { v: String(step) } }] : group.Tasks,
            },
          ],
        });
        break;
      }
      case 1: {
        const victim = running.length > 0 ? pick(running) : undefined;
        if (victim !== undefined) h.clientUpdate([victim], { ClientStatus: "failed" });
        break;
      }
      case 2: {
        const done = running.length > 0 ? pick(running) : undefined;
        if (done !== undefined && job.Type === "batch") h.clientUpdate([done], { ClientStatus: "complete" });
        // Service allocations start and pass their health checks.
        if (job.Type !== "batch" && running.length > 0) {
          const healthy = { Healthy: true, Timestamp: h.now, Canary: false, ModifyIndex: 0 };
          h.clientUpdate(running, { ClientStatus: "running", DeploymentStatus: healthy });
        }
        break;
      }
      case 3:
        h.setNodeStatus(`n${rng.int(NODES)}`, rng.next() < 0.5 ? "down" : "ready");
        break;
      case 4: {
        const nodeId = `n${rng.int(NODES)}`;
        const drain = { Deadline: 3600e9, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: h.now };
        h.drainNode(nodeId, rng.next() < 0.5 ? drain : null, true);
        h.markForMigration(h.snapshot().allocsByNode(nodeId).filter(live));
        break;
      }
      case 5:
        h.now += rng.int(120) * 1e9;
        break;
      default: {
        const deployment = reader.latestDeploymentByJob(job.Namespace, job.ID);
        if (deployment?.Status === "running") promote(h, deployment.ID);
        break;
      }
    }
    for (const j of jobs) evaluate(j, label);
  }

  // Every node back and eligible, time far ahead: every job converges and then plans nothing.
  for (let i = 0; i < NODES; i++) {
    h.setNodeStatus(`n${i}`, "ready");
    h.drainNode(`n${i}`, null, true);
  }
  h.now += 48 * 3600e9;
  for (let round = 0; round < 8; round++) {
    for (const j of jobs) {
      const running = h.snapshot().allocsByJob(j.Namespace, j.ID).filter(live);
      const healthy = { Healthy: true, Timestamp: h.now, Canary: false, ModifyIndex: 0 };
      if (j.Type !== "batch" && running.length > 0)
        h.clientUpdate(running, { ClientStatus: "running", DeploymentStatus: healthy });
      const deployment = h.snapshot().latestDeploymentByJob(j.Namespace, j.ID);
      if (deployment?.Status === "running") promote(h, deployment.ID);
      evaluate(j, `seed ${seed} settle ${round}`);
    }
  }
  for (const job of jobs) {
    const stored = h.snapshot().jobByID(job.Namespace, job.ID)!;
    const result = h.process(h.evalFor(stored), { seed });
    expect(result.plan, `seed ${seed}: ${job.ID} still changing after settling`).toBeNull();
    if (stored.Type === "service") {
      const current = h.liveAllocs(stored).filter((a) => a.JobVersion === stored.Version);
      const queued = result.eval.QueuedAllocations[stored.TaskGroups[0]!.Name] ?? 0;
      expect(current.length + queued, `seed ${seed}: ${job.ID} count`).toBe(stored.TaskGroups[0]!.Count);
    }
  }
}

/**
 * Seeds 1–16, and regression seeds that found a bug: 52 (a group that joined a deployment while it
 * needed no canaries never asked for them, so promotion skipped it and its rollout stalled).
 */
const DEFAULT_SEEDS = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,52";

describe("scheduler simulation (seeded random walk)", () => {
  it.each((process.env["SIM_SEEDS"] ?? DEFAULT_SEEDS).split(",").map(Number))(
    "seed %d keeps the invariants and converges",
    (seed) => {
      simulate(seed, 60);
    },
  );
});
