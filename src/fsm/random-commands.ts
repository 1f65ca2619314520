import { SeededRandom } from "../common/rand.js";
import type { Command } from "./commands.js";
import { mockAlloc, mockDeployment, mockEval, mockId, mockJob, mockNode } from "./mock.js";
import type { Allocation, AllocClientStatus, EvalStatus } from "./structs.js";

/**
 * Random but plausible command sequences over small pools of ids, so that commands collide:
 * updates of existing objects, references to missing ones (which the FSM must reject cleanly),
 * deletes, CAS conflicts. Deterministic per seed: for property tests and simulations.
 */
export function randomCommands(seed: number, count: number): Command[] {
  const rand = new SeededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[rand.int(items.length)] as T;
  const nodes = [1, 2, 3, 4].map((n) => mockId(n, 1));
  const jobs = ["api", "batch", "child"];
  const evals = [1, 2, 3, 4, 5, 6].map((n) => mockId(n, 9));
  const allocIds = Array.from({ length: 24 }, (_, i) => mockId(i + 1, 0xa));
  const deployments = [mockId(1, 0xd), mockId(2, 0xd)];
  const evalStatuses: EvalStatus[] = ["pending", "blocked", "complete", "failed", "canceled"];
  const clientStatuses: AllocClientStatus[] = ["pending", "running", "complete", "failed", "lost"];
  const now = (): number => 1_700_000_000_000_000_000 + rand.int(1_000_000) * 1000;
  const randomEval = () =>
    mockEval({
      ID: pick(evals),
      JobID: pick(jobs),
      Status: pick(evalStatuses),
      QueuedAllocations: rand.next() < 0.5 ? { web: rand.int(4) } : {},
      CreateTime: now(),
      ModifyTime: now(),
    });
  const randomAlloc = (jobId = pick(jobs)): Allocation => {
    const deployed = rand.next() < 0.3;
    return mockAlloc({
      ID: pick(allocIds),
      JobID: jobId,
      Name: `${jobId}.web[${rand.int(5)}]`,
      NodeID: pick(nodes),
      EvalID: pick(evals),
      ClientStatus: rand.next() < 0.9 ? "pending" : "lost",
      DeploymentID: deployed ? pick(deployments) : "",
      DeploymentStatus: deployed
        ? { Healthy: null, Timestamp: 0, Canary: rand.next() < 0.5, ModifyIndex: 0 }
        : null,
    });
  };
  const byNode = (allocs: Allocation[]): Record<string, Allocation[]> => {
    const out: Record<string, Allocation[]> = {};
    for (const alloc of allocs) {
      out[alloc.NodeID] = [...(out[alloc.NodeID] ?? []), alloc];
    }
    return out;
  };

  const registerJob = (): Command => {
    const id = pick(jobs);
    return {
      type: "job-register",
      Job: mockJob({
        ID: id,
        Type: id === "batch" ? "batch" : "service",
        Priority: 40 + rand.int(3),
        ParentID: id === "child" ? "batch" : "",
      }),
      Eval:
        rand.next() < 0.7
          ? mockEval({ ID: pick(evals), JobID: id, CreateTime: now(), ModifyTime: now() })
          : null,
    };
  };
  const plan = (): Command => {
    const jobId = pick(jobs);
    return {
      type: "plan-apply",
      EvalID: pick(evals),
      NodeUpdate: byNode(
        rand.next() < 0.4
          ? [{ ...randomAlloc(), DesiredStatus: "stop", DesiredDescription: "stopped by test" }]
          : [],
      ),
      NodeAllocation: byNode(Array.from({ length: 1 + rand.int(4) }, () => randomAlloc(jobId))),
      NodePreemptions: byNode(
        rand.next() < 0.2 ? [{ ...randomAlloc(), PreemptedByAllocation: pick(allocIds) }] : [],
      ),
      Deployment:
        rand.next() < 0.3
          ? mockDeployment({ ID: pick(deployments), JobID: jobId, TaskGroups: mockDeployment().TaskGroups })
          : null,
      DeploymentUpdates: [],
      Evals: rand.next() < 0.3 ? [randomEval()] : [],
      Now: now(),
    };
  };

  const makers: Array<() => Command> = [
    registerJob,
    registerJob,
    plan,
    plan,
    plan,
    () => ({
      type: "node-register",
      Nodes: [mockNode({ ID: pick(nodes), ComputedClass: pick(["c1", "c2"]), Status: "ready" })],
      Evals: [],
    }),
    () => ({
      type: "node-status",
      Updates: [
        {
          NodeID: pick(nodes),
          Status: pick(["ready", "down"] as const),
          StatusDescription: "",
          UpdatedAt: now(),
        },
      ],
      Evals: rand.next() < 0.5 ? [randomEval()] : [],
    }),
    () => ({
      type: "node-drain",
      Updates: [
        {
          NodeID: pick(nodes),
          DrainStrategy:
            rand.next() < 0.5
              ? null
              : { Deadline: 1, IgnoreSystemJobs: false, ForceDeadline: 0, StartedAt: now() },
          MarkEligible: rand.next() < 0.5,
          UpdatedAt: now(),
          Event: null,
          IfDrainStartedAt: null,
        },
      ],
      Evals: [],
    }),
    () => ({
      type: "node-eligibility",
      Updates: [
        { NodeID: pick(nodes), Eligibility: pick(["eligible", "ineligible"] as const), UpdatedAt: now() },
      ],
      Evals: [],
    }),
    () => ({ type: "node-deregister", NodeIDs: [pick(nodes)], Evals: [] }),
    () => ({
      type: "job-deregister",
      Namespace: "default",
      JobID: pick(jobs),
      Purge: rand.next() < 0.1,
      SubmitTime: now(),
      Eval: rand.next() < 0.5 ? randomEval() : null,
    }),
    () => ({ type: "eval-upsert", Evals: [randomEval(), randomEval()] }),
    () => ({ type: "eval-delete", EvalIDs: [pick(evals)], AllocIDs: [pick(allocIds)] }),
    () => ({
      type: "alloc-client-update",
      Allocs: [0, 1, 2].map(() => ({
        ID: pick(allocIds),
        ClientStatus: pick(clientStatuses),
        ClientDescription: "",
        TaskStates: {},
        DeploymentStatus:
          rand.next() < 0.3
            ? { Healthy: rand.next() < 0.5, Timestamp: now(), Canary: false, ModifyIndex: 0 }
            : null,
        ModifyTime: now(),
      })),
      Evals: rand.next() < 0.3 ? [randomEval()] : [],
    }),
    () => ({
      type: "alloc-desired-transition",
      Transitions: { [pick(allocIds)]: { Migrate: true, Reschedule: false, ForceReschedule: false } },
      Evals: [],
    }),
    () => ({
      type: "deployment-status",
      Update: {
        DeploymentID: pick(deployments),
        Status: pick(["paused", "running", "successful", "failed"] as const),
        StatusDescription: "",
      },
      Job: null,
      Eval: null,
    }),
    () => ({
      type: "deployment-alloc-health",
      DeploymentID: pick(deployments),
      HealthyAllocationIDs: [pick(allocIds)],
      UnhealthyAllocationIDs: [],
      Timestamp: now(),
      DeploymentUpdate: null,
      Job: null,
      Eval: null,
    }),
    () => ({
      type: "deployment-promote",
      DeploymentID: pick(deployments),
      All: true,
      Groups: [],
      Eval: null,
    }),
    () => ({
      type: "gc-delete",
      EvalIDs: [pick(evals)],
      AllocIDs: [pick(allocIds), pick(allocIds)],
      Jobs: rand.next() < 0.2 ? [{ Namespace: "default", ID: pick(jobs) }] : [],
      NodeIDs: rand.next() < 0.1 ? [pick(nodes)] : [],
      DeploymentIDs: rand.next() < 0.1 ? [pick(deployments)] : [],
    }),
    () => ({
      type: "var-put",
      // "prod" exists only while a namespace-upsert made it: otherwise the put is refused.
      Var: {
        Namespace: pick(["default", "default", "prod"]),
        Path: pick(["a", "a/b", "c"]),
        Items: { k: String(rand.int(100)) },
      },
      CAS: rand.next() < 0.5 ? null : rand.int(20),
      Now: now(),
    }),
    () => ({
      type: "var-delete",
      Namespace: pick(["default", "prod"]),
      Path: pick(["a", "a/b", "c"]),
      CAS: rand.next() < 0.7 ? null : rand.int(20),
    }),
    () => ({
      type: "scheduler-config",
      Config: { ...mockSchedulerConfig(), SchedulerAlgorithm: pick(["binpack", "spread"] as const) },
      CAS: rand.next() < 0.5 ? null : rand.int(20),
    }),
    () => ({
      type: "namespace-upsert",
      Namespaces: [
        {
          Name: pick(["default", "prod", "dev"]),
          Description: pick(["", "team"]),
          Meta: { k: String(rand.int(3)) },
        },
      ],
    }),
    () => ({ type: "namespace-delete", Names: [pick(["prod", "dev", "default"])] }),
  ];
  return Array.from({ length: count }, () => pick(makers)());
}

function mockSchedulerConfig() {
  return {
    SchedulerAlgorithm: "binpack" as const,
    PreemptionConfig: {
      SystemSchedulerEnabled: true,
      SysBatchSchedulerEnabled: false,
      BatchSchedulerEnabled: false,
      ServiceSchedulerEnabled: false,
    },
    MemoryOversubscriptionEnabled: false,
    RejectJobRegistration: false,
    PauseEvalBroker: false,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
}
