// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Nomad interpolation targets are plain strings
import { makeEvaluation } from "../fsm/evaluation.js";
/**
 * Nomad-style mock objects for scheduler tests and benchmarks (as nomad/mock): a ready node with
 * 4000 MHz / 8192 MB / 100 GB and the exec, raw_exec and mock drivers; a service job with one
 * group of 10 × (500 MHz, 256 MB); allocations of that job. Each factory takes overrides.
 */
import type {
  Allocation,
  DriverInfo,
  Evaluation,
  Job,
  NetworkResource,
  Node,
  ReschedulePolicy,
  Task,
  TaskGroup,
  UpdateStrategy,
} from "../fsm/structs.js";
import { computeNodeClass } from "./computed-class.js";

const driver = (): DriverInfo => ({
  Attributes: {},
  Detected: true,
  Healthy: true,
  HealthDescription: "healthy",
  UpdateTime: 0,
});

export function mockNode(id: string, overrides: Partial<Node> = {}): Node {
  const node: Node = {
    ID: id,
    SecretID: `secret-${id}`,
    Datacenter: "dc1",
    Name: `node-${id}`,
    HTTPAddr: "127.0.0.1:4646",
    Attributes: {
      "kernel.name": "linux",
      arch: "x86",
      "nomad.version": "1.7.0",
      "driver.exec": "1",
      "cpu.arch": "amd64",
      "unique.hostname": `host-${id}`,
    },
    NodeResources: {
      Cpu: { CpuShares: 4000, TotalCpuCores: 4 },
      Memory: { MemoryMB: 8192 },
      Disk: { DiskMB: 100 * 1024 },
      Networks: [],
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: {
      Cpu: { CpuShares: 100 },
      Memory: { MemoryMB: 256 },
      Disk: { DiskMB: 4 * 1024 },
      Networks: { ReservedHostPorts: "22" },
    },
    Meta: { pci: "true", database: "mysql", version: "5.6" },
    NodeClass: "linux-medium-pci",
    NodePool: "default",
    ComputedClass: "",
    Drivers: { exec: driver(), raw_exec: driver(), mock: driver() },
    Status: "ready",
    StatusDescription: "",
    StatusUpdatedAt: 0,
    SchedulingEligibility: "eligible",
    DrainStrategy: null,
    Events: [],
    CreateIndex: 1,
    ModifyIndex: 1,
    ...overrides,
  };
  return { ...node, ComputedClass: overrides.ComputedClass ?? computeNodeClass(node) };
}

export function mockTask(name = "web", overrides: Partial<Task> = {}): Task {
  return {
    Name: name,
    Driver: "exec",
    User: "",
    Config: { command: "/bin/date" },
    Env: {},
    Resources: { CPU: 500, Cores: 0, MemoryMB: 256, MemoryMaxMB: 0, DiskMB: 0, Networks: [] },
    Meta: {},
    Constraints: [],
    Affinities: [],
    RestartPolicy: null,
    KillTimeout: 5e9,
    KillSignal: "",
    Leader: false,
    Lifecycle: null,
    DispatchPayload: null,
    LogConfig: { MaxFiles: 10, MaxFileSizeMB: 10 },
    ...overrides,
  };
}

export const SERVICE_RESCHEDULE: ReschedulePolicy = {
  Attempts: 0,
  Interval: 0,
  Delay: 30e9,
  DelayFunction: "exponential",
  MaxDelay: 3600e9,
  Unlimited: true,
};

/** A host-mode network ask with no ports unless given. */
export function mockNetwork(overrides: Partial<NetworkResource> = {}): NetworkResource {
  return {
    Mode: "host",
    Device: "",
    CIDR: "",
    IP: "",
    MBits: 0,
    ReservedPorts: [],
    DynamicPorts: [],
    ...overrides,
  };
}

/** A rolling update: 2 at a time, 10 s healthy within 5 min, progress within 10 min, 30 s stagger. */
export function mockUpdate(overrides: Partial<UpdateStrategy> = {}): UpdateStrategy {
  return {
    Stagger: 30e9,
    MaxParallel: 2,
    HealthCheck: "checks",
    MinHealthyTime: 10e9,
    HealthyDeadline: 300e9,
    ProgressDeadline: 600e9,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
    ...overrides,
  };
}

export function mockGroup(name = "web", overrides: Partial<TaskGroup> = {}): TaskGroup {
  return {
    Name: name,
    Count: 10,
    Constraints: [],
    Affinities: [],
    Spreads: [],
    Tasks: [mockTask("web")],
    RestartPolicy: { Attempts: 3, Interval: 600e9, Delay: 15e9, Mode: "fail" },
    ReschedulePolicy: SERVICE_RESCHEDULE,
    Update: null,
    Migrate: { MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10e9, HealthyDeadline: 300e9 },
    EphemeralDisk: { Sticky: false, SizeMB: 150, Migrate: false },
    Networks: [],
    Meta: {},
    Disconnect: null,
    ...overrides,
  };
}

export function mockJob(id = "job1", overrides: Partial<Job> = {}): Job {
  return {
    Region: "global",
    Namespace: "default",
    ID: id,
    Name: id,
    Type: "service",
    Priority: 50,
    AllAtOnce: false,
    Datacenters: ["dc1"],
    NodePool: "default",
    Constraints: [{ LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "=" }],
    Affinities: [],
    Spreads: [],
    TaskGroups: [mockGroup("web")],
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
    SubmitTime: 0,
    CreateIndex: 1,
    ModifyIndex: 1,
    JobModifyIndex: 1,
    ...overrides,
  };
}

export function mockSystemJob(id = "sys1", overrides: Partial<Job> = {}): Job {
  return mockJob(id, {
    Type: "system",
    Priority: 100,
    TaskGroups: [
      mockGroup("web", {
        Count: 1,
        ReschedulePolicy: null,
        Tasks: [mockTask("web", { Resources: { ...mockTask().Resources, CPU: 100, MemoryMB: 64 } })],
      }),
    ],
    ...overrides,
  });
}

/** An allocation of `job`'s first group on `node`, running, with the group's resources. */
export function mockAlloc(
  id: string,
  job: Job,
  node: Node,
  index: number,
  overrides: Partial<Allocation> = {},
): Allocation {
  const group = job.TaskGroups[0] as TaskGroup;
  const tasks: Allocation["AllocatedResources"]["Tasks"] = {};
  for (const task of group.Tasks) {
    tasks[task.Name] = {
      Cpu: { CpuShares: task.Resources.CPU },
      Memory: { MemoryMB: task.Resources.MemoryMB, MemoryMaxMB: task.Resources.MemoryMaxMB },
      Networks: [],
    };
  }
  return {
    ID: id,
    Namespace: job.Namespace,
    EvalID: "eval-mock",
    Name: `${job.ID}.${group.Name}[${index}]`,
    NodeID: node.ID,
    NodeName: node.Name,
    JobID: job.ID,
    JobVersion: job.Version,
    TaskGroup: group.Name,
    AllocatedResources: {
      Tasks: tasks,
      Shared: { DiskMB: group.EphemeralDisk.SizeMB, Networks: [], Ports: [] },
    },
    DesiredStatus: "run",
    DesiredDescription: "",
    DesiredTransition: { Migrate: false, Reschedule: false, ForceReschedule: false },
    ClientStatus: "running",
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
    CreateIndex: 1,
    ModifyIndex: 1,
    AllocModifyIndex: 1,
    CreateTime: 0,
    ModifyTime: 0,
    ...overrides,
  };
}

export function mockEval(job: Job, overrides: Partial<Evaluation> = {}): Evaluation {
  return makeEvaluation(
    {
      ID: `eval-${job.ID}`,
      Namespace: job.Namespace,
      Priority: job.Priority,
      Type: job.Type,
      TriggeredBy: "job-register",
      JobID: job.ID,
      JobModifyIndex: job.JobModifyIndex,
      CreateIndex: 1,
      ModifyIndex: 1,
      ...overrides,
    },
    0,
  );
}
