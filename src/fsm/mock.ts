import type { PlanApplyCommand } from "./commands.js";
import { makeEvaluation } from "./evaluation.js";
import {
  type Allocation,
  allocName,
  DEFAULT_NAMESPACE,
  DEFAULT_NODE_POOL,
  DEFAULT_REGION,
  type Deployment,
  type Evaluation,
  type Job,
  type Node,
  type Task,
  type TaskGroup,
} from "./structs.js";

/**
 * Complete, valid objects for tests and benchmarks (after Nomad's `mock` package). Every field is
 * filled; pass overrides for what a test cares about. Deterministic: no clock, no randomness.
 */

export function mockTask(overrides: Partial<Task> = {}): Task {
  return {
    Name: "web",
    Driver: "mock",
    User: "",
    Config: { run_for: "10s" },
    Env: { FOO: "bar" },
    Resources: { CPU: 500, Cores: 0, MemoryMB: 256, MemoryMaxMB: 0, DiskMB: 0, Networks: [] },
    Meta: {},
    Constraints: [],
    Affinities: [],
    RestartPolicy: null,
    KillTimeout: 5_000_000_000,
    KillSignal: "SIGINT",
    Leader: false,
    Lifecycle: null,
    DispatchPayload: null,
    LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10 },
    ...overrides,
  };
}

export function mockTaskGroup(overrides: Partial<TaskGroup> = {}): TaskGroup {
  return {
    Name: "web",
    Count: 10,
    Constraints: [],
    Affinities: [],
    Spreads: [],
    Tasks: [mockTask()],
    RestartPolicy: { Attempts: 3, Interval: 600_000_000_000, Delay: 15_000_000_000, Mode: "fail" },
    ReschedulePolicy: null,
    Update: null,
    Migrate: null,
    EphemeralDisk: { Sticky: false, SizeMB: 150, Migrate: false },
    Networks: [],
    Meta: {},
    Disconnect: null,
    ...overrides,
  };
}

export function mockJob(overrides: Partial<Job> = {}): Job {
  return {
    Region: DEFAULT_REGION,
    Namespace: DEFAULT_NAMESPACE,
    ID: "example",
    Name: overrides.ID ?? "example",
    Type: "service",
    Priority: 50,
    AllAtOnce: false,
    Datacenters: ["dc1"],
    NodePool: DEFAULT_NODE_POOL,
    Constraints: [],
    Affinities: [],
    Spreads: [],
    TaskGroups: [mockTaskGroup()],
    Update: null,
    Periodic: null,
    ParameterizedJob: null,
    ParentID: "",
    Dispatched: false,
    Payload: "",
    Meta: {},
    Stop: false,
    Status: "pending",
    StatusDescription: "",
    Stable: false,
    Version: 0,
    SubmitTime: 1_700_000_000_000_000_000,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    ...overrides,
  };
}

export function mockNode(overrides: Partial<Node> = {}): Node {
  const id = overrides.ID ?? "00000000-0000-4000-8000-000000000001";
  return {
    ID: id,
    SecretID: `secret-${id}`,
    Datacenter: "dc1",
    Name: `node-${id.slice(-4)}`,
    HTTPAddr: "127.0.0.1:4646",
    Attributes: { "kernel.name": "linux", "cpu.arch": "amd64", "driver.mock": "1" },
    NodeResources: {
      Cpu: { CpuShares: 4000, TotalCpuCores: 4 },
      Memory: { MemoryMB: 8192 },
      Disk: { DiskMB: 100 * 1024 },
      Networks: [
        {
          Mode: "host",
          Device: "eth0",
          CIDR: "192.168.0.100/32",
          IP: "192.168.0.100",
          MBits: 1000,
          ReservedPorts: [],
          DynamicPorts: [],
        },
      ],
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: {
      Cpu: { CpuShares: 100 },
      Memory: { MemoryMB: 256 },
      Disk: { DiskMB: 4 * 1024 },
      Networks: { ReservedHostPorts: "22" },
    },
    Meta: { rack: "r1" },
    NodeClass: "",
    NodePool: DEFAULT_NODE_POOL,
    ComputedClass: "v1:default",
    Drivers: {
      mock: { Attributes: {}, Detected: true, Healthy: true, HealthDescription: "healthy", UpdateTime: 0 },
    },
    Status: "ready",
    StatusDescription: "",
    StatusUpdatedAt: 0,
    SchedulingEligibility: "eligible",
    DrainStrategy: null,
    Events: [],
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

export function mockEval(overrides: Partial<Evaluation> = {}): Evaluation {
  return makeEvaluation(
    {
      ID: "00000000-0000-4000-9000-000000000001",
      Namespace: DEFAULT_NAMESPACE,
      Priority: 50,
      Type: "service",
      TriggeredBy: "job-register",
      JobID: "example",
      ...overrides,
    },
    1_700_000_000_000_000_000,
  );
}

export function mockAlloc(overrides: Partial<Allocation> = {}): Allocation {
  const jobId = overrides.JobID ?? "example";
  const group = overrides.TaskGroup ?? "web";
  return {
    ID: "00000000-0000-4000-a000-000000000001",
    Namespace: DEFAULT_NAMESPACE,
    EvalID: "00000000-0000-4000-9000-000000000001",
    Name: allocName(jobId, group, 0),
    NodeID: "00000000-0000-4000-8000-000000000001",
    NodeName: "node-0001",
    JobID: jobId,
    JobVersion: 0,
    TaskGroup: group,
    AllocatedResources: {
      Tasks: {
        web: {
          Cpu: { CpuShares: 500 },
          Memory: { MemoryMB: 256, MemoryMaxMB: 0 },
          Networks: [],
        },
      },
      Shared: {
        DiskMB: 150,
        Networks: [],
        Ports: [{ Label: "http", Value: 23456, To: 8080, HostIP: "192.168.0.100" }],
      },
    },
    DesiredStatus: "run",
    DesiredDescription: "",
    DesiredTransition: { Migrate: false, Reschedule: false, ForceReschedule: false },
    ClientStatus: "pending",
    ClientDescription: "",
    AllocStates: [],
    TaskStates: {},
    DeploymentID: "",
    DeploymentStatus: null,
    RescheduleTracker: null,
    NextAllocation: "",
    PreviousAllocation: "",
    FollowupEvalID: "",
    PreemptedAllocations: [],
    PreemptedByAllocation: "",
    Metrics: null,
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  };
}

export function mockDeployment(overrides: Partial<Deployment> = {}): Deployment {
  return {
    ID: "00000000-0000-4000-b000-000000000001",
    Namespace: DEFAULT_NAMESPACE,
    JobID: "example",
    JobVersion: 0,
    JobModifyIndex: 0,
    JobSpecModifyIndex: 0,
    JobCreateIndex: 0,
    TaskGroups: {
      web: {
        AutoRevert: false,
        AutoPromote: false,
        ProgressDeadline: 600_000_000_000,
        RequireProgressBy: 0,
        Promoted: false,
        PlacedCanaries: [],
        DesiredCanaries: 0,
        DesiredTotal: 10,
        PlacedAllocs: 0,
        HealthyAllocs: 0,
        UnhealthyAllocs: 0,
      },
    },
    Status: "running",
    StatusDescription: "Deployment is running",
    CreateIndex: 0,
    ModifyIndex: 0,
    ...overrides,
  };
}

/** A deterministic UUID-shaped id from a number (tests and benchmarks only). */
export function mockId(n: number, kind = 0): string {
  const hex = n.toString(16).padStart(12, "0");
  return `${kind.toString(16).padStart(8, "0")}-0000-4000-8000-${hex}`;
}

/**
 * A plan-apply command placing `allocs` on their nodes (NodeAllocation grouped by NodeID, in the
 * order given), with nothing stopped or preempted; `extra` sets any other field.
 */
export function mockPlanApply(
  allocs: readonly Allocation[],
  extra: Partial<PlanApplyCommand> = {},
): PlanApplyCommand {
  const byNode: Record<string, Allocation[]> = {};
  for (const alloc of allocs) {
    byNode[alloc.NodeID] ??= [];
    byNode[alloc.NodeID]?.push(alloc);
  }
  return {
    type: "plan-apply",
    EvalID: "",
    NodeUpdate: {},
    NodeAllocation: byNode,
    NodePreemptions: {},
    Deployment: null,
    DeploymentUpdates: [],
    Evals: [],
    Now: 0,
    ...extra,
  };
}
