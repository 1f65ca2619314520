import { mockId, mockJob, mockNode, mockTask, mockTaskGroup } from "../fsm/mock.js";
import type { Evaluation, Job, Node } from "../fsm/structs.js";
import { computeNodeClass } from "../scheduler/computed-class.js";
import type { ServerContext } from "./context.js";
import { newEvaluation } from "./new-evaluation.js";

/** A complete pending service eval with `fields` overriding the defaults (tests only). */
export function testEval(fields: Partial<Evaluation> = {}): Evaluation {
  const id = fields.ID ?? "eval-1";
  return newEvaluation(
    {
      ID: id,
      Namespace: "default",
      Priority: 50,
      Type: "service",
      TriggeredBy: "job-register",
      JobID: fields.JobID ?? `job-of-${id}`,
      CreateIndex: 1,
      ModifyIndex: 1,
      ...fields,
    },
    0,
  );
}

/**
 * Node `n` with room for exactly `slots` allocations of 1000 MHz / 1000 MB each (nothing
 * reserved, no networks), `fields` overriding the rest; its computed class matches its fields.
 */
export function slotNode(n: number, slots: number, fields: Partial<Node> = {}): Node {
  const base = mockNode({
    ID: mockId(n, 1),
    Name: `node-${n}`,
    NodeResources: {
      Cpu: { CpuShares: 1000 * slots, TotalCpuCores: slots },
      Memory: { MemoryMB: 1000 * slots },
      Disk: { DiskMB: 100_000 },
      Networks: [],
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: {
      Cpu: { CpuShares: 0 },
      Memory: { MemoryMB: 0 },
      Disk: { DiskMB: 0 },
      Networks: { ReservedHostPorts: "" },
    },
    ...fields,
  });
  return { ...base, ComputedClass: computeNodeClass(base) };
}

/** A service job of `count` allocations (group and task "web") that each fill one slotNode() slot. */
export function slotJob(id: string, count: number): Job {
  return mockJob({
    ID: id,
    TaskGroups: [
      mockTaskGroup({
        Name: "web",
        Count: count,
        EphemeralDisk: { Sticky: false, SizeMB: 10, Migrate: false },
        Tasks: [
          mockTask({
            Name: "web",
            Resources: { CPU: 1000, Cores: 0, MemoryMB: 1000, MemoryMaxMB: 0, DiskMB: 0, Networks: [] },
          }),
        ],
      }),
    ],
  });
}

/** Commits `job` with its job-register eval (as the job endpoint does); resolves with the eval. */
export async function registerJob(ctx: ServerContext, job: Job): Promise<Evaluation> {
  const evaluation = newEvaluation(
    {
      Namespace: job.Namespace,
      Priority: job.Priority,
      Type: job.Type,
      TriggeredBy: "job-register",
      JobID: job.ID,
    },
    ctx.clock.now(),
  );
  await ctx.propose({ type: "job-register", Job: job, Eval: evaluation });
  return evaluation;
}
