import { packedMetric } from "../fsm/packed-metric.js";
import type {
  AllocatedResources,
  Allocation,
  AllocMetric,
  Job,
  Nanos,
  Node,
  RescheduleEvent,
  TaskGroup,
} from "../fsm/structs.js";
import type { AssignedNetworks } from "./port-assign.js";

export interface NewAllocation {
  id: string;
  evalId: string;
  job: Job;
  group: TaskGroup;
  node: Node;
  name: string;
  networks: AssignedNetworks;
  metric: AllocMetric | null;
  now: Nanos;
  deploymentId: string;
  canary: boolean;
  previous: Allocation | null;
  /** Set when the allocation replaces a failed one under the reschedule policy. */
  rescheduleEvent: RescheduleEvent | null;
}

/** A fresh allocation of `group` on `node`, with the group's resources and assigned ports. */
export function newAllocation(p: NewAllocation): Allocation {
  const tasks: AllocatedResources["Tasks"] = {};
  for (const task of p.group.Tasks) {
    tasks[task.Name] = {
      Cpu: { CpuShares: task.Resources.CPU },
      Memory: { MemoryMB: task.Resources.MemoryMB, MemoryMaxMB: task.Resources.MemoryMaxMB },
      Networks: p.networks.tasks[task.Name] ?? [],
    };
  }
  let tracker: Allocation["RescheduleTracker"] = null;
  if (p.rescheduleEvent !== null) {
    const earlier = p.previous?.RescheduleTracker?.Events ?? [];
    tracker = { Events: [...earlier, p.rescheduleEvent] };
  }
  return {
    ID: p.id,
    Namespace: p.job.Namespace,
    EvalID: p.evalId,
    Name: p.name,
    NodeID: p.node.ID,
    NodeName: p.node.Name,
    JobID: p.job.ID,
    JobVersion: p.job.Version,
    TaskGroup: p.group.Name,
    AllocatedResources: {
      Tasks: tasks,
      Shared: { DiskMB: p.group.EphemeralDisk.SizeMB, Networks: p.networks.shared, Ports: p.networks.ports },
    },
    DesiredStatus: "run",
    DesiredDescription: "",
    DesiredTransition: { Migrate: false, Reschedule: false, ForceReschedule: false },
    ClientStatus: "pending",
    ClientDescription: "",
    AllocStates: [],
    TaskStates: {},
    DeploymentID: p.deploymentId,
    DeploymentStatus:
      p.deploymentId === "" ? null : { Healthy: null, Timestamp: 0, Canary: p.canary, ModifyIndex: 0 },
    RescheduleTracker: tracker,
    NextAllocation: "",
    PreviousAllocation: p.previous?.ID ?? "",
    FollowupEvalID: "",
    PreemptedAllocations: [],
    PreemptedByAllocation: "",
    // Packed here, once: the plan, the Raft entry and every server's state carry it so.
    Metrics: packedMetric(p.metric),
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: p.now,
    ModifyTime: p.now,
  };
}
