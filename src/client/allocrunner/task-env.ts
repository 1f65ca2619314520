import {
  type AllocatedPortMapping,
  type Allocation,
  allocIndexFromName,
  type Job,
  type NetworkResource,
  type Node,
  type Task,
  type TaskGroup,
} from "../../fsm/index.js";
import type { TaskDirPaths } from "./alloc-dir.js";
import { interpolateString } from "./interpolate.js";

/**
 * A task's environment as Nomad builds it (client/taskenv): the NOMAD_* variables describing the
 * allocation, its directories, resources, ports and meta, then the task's own `env {}` (whose
 * values are interpolated against the NOMAD_* variables and the node, and may override them), and
 * a PATH. Nothing else of the agent's environment is inherited. Pure: the agent's PATH is passed in.
 */
export interface TaskEnvInput {
  alloc: Allocation;
  job: Job;
  group: TaskGroup;
  task: Task;
  node: Node;
  region: string;
  /** `<alloc dir>/alloc`. */
  sharedDir: string;
  taskDir: TaskDirPaths;
  /** The agent's PATH, given to tasks that set none. */
  agentPath: string | undefined;
}

/** The attribute that gives a port its host IP when the alloc does not say (Nomad's default). */
export const NODE_IP_ATTRIBUTE = "unique.network.ip-address";

export function buildTaskEnv(input: TaskEnvInput): Record<string, string> {
  const env: Record<string, string> = {
    ...allocVars(input),
    ...resourceVars(input),
    ...metaVars({ ...input.job.Meta, ...input.group.Meta, ...input.task.Meta }),
  };
  for (const port of taskPorts(input.alloc, input.group, input.task, input.node)) {
    Object.assign(env, portVars(port));
  }
  const ctx = { env: { ...env }, node: input.node, region: input.region };
  for (const [key, value] of Object.entries(input.task.Env)) env[key] = interpolateString(value, ctx);
  if (env["PATH"] === undefined && input.agentPath !== undefined) env["PATH"] = input.agentPath;
  return env;
}

function allocVars({ alloc, job, group, task, node, region, sharedDir, taskDir }: TaskEnvInput) {
  const vars: Record<string, string> = {
    NOMAD_ALLOC_ID: alloc.ID,
    NOMAD_SHORT_ALLOC_ID: alloc.ID.slice(0, 8),
    NOMAD_ALLOC_NAME: alloc.Name,
    NOMAD_ALLOC_INDEX: String(allocIndexFromName(alloc.Name)),
    NOMAD_JOB_ID: job.ID,
    NOMAD_JOB_NAME: job.Name,
    NOMAD_GROUP_NAME: group.Name,
    NOMAD_TASK_NAME: task.Name,
    NOMAD_NAMESPACE: alloc.Namespace,
    NOMAD_DC: node.Datacenter,
    NOMAD_REGION: region,
    NOMAD_ALLOC_DIR: sharedDir,
    NOMAD_TASK_DIR: taskDir.local,
    NOMAD_SECRETS_DIR: taskDir.secrets,
  };
  // Nomad sets the parent only for children of periodic/parameterized jobs.
  if (job.ParentID !== "") vars["NOMAD_JOB_PARENT_ID"] = job.ParentID;
  return vars;
}

/** What the scheduler allocated to the task, falling back to what the task asked for. */
export function taskResources(alloc: Allocation, task: Task) {
  const allocated = alloc.AllocatedResources.Tasks[task.Name];
  return {
    cpuMhz: allocated?.Cpu.CpuShares ?? task.Resources.CPU,
    memoryMB: allocated?.Memory.MemoryMB ?? task.Resources.MemoryMB,
    memoryMaxMB: allocated?.Memory.MemoryMaxMB ?? task.Resources.MemoryMaxMB,
  };
}

function resourceVars({ alloc, task }: TaskEnvInput): Record<string, string> {
  const { cpuMhz, memoryMB, memoryMaxMB } = taskResources(alloc, task);
  const vars: Record<string, string> = {
    NOMAD_CPU_LIMIT: String(cpuMhz),
    NOMAD_MEMORY_LIMIT: String(memoryMB),
  };
  // As in Nomad, only set when memory oversubscription gave the task a higher ceiling.
  if (memoryMaxMB > 0) vars["NOMAD_MEMORY_MAX_LIMIT"] = String(memoryMaxMB);
  return vars;
}

/** NOMAD_META_<key> as written and upper-cased; later maps (group, task) override earlier ones. */
function metaVars(meta: Record<string, string>): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta)) {
    vars[`NOMAD_META_${key}`] = value;
    vars[`NOMAD_META_${key.toUpperCase()}`] = value;
  }
  return vars;
}

/**
 * The ports the task can use, by label, first found wins: the alloc's shared port mappings, then
 * the ports of the alloc's task and shared networks, then static ports of the job's task and group
 * networks (dynamic ones there have no value until the scheduler assigns one). A port without a
 * host IP takes the node's `unique.network.ip-address`.
 */
export function taskPorts(
  alloc: Allocation,
  group: TaskGroup,
  task: Task,
  node: Node,
): AllocatedPortMapping[] {
  const defaultIp = node.Attributes[NODE_IP_ATTRIBUTE] ?? "";
  const byLabel = new Map<string, AllocatedPortMapping>();
  const add = (port: AllocatedPortMapping) => {
    if (port.Label === "" || byLabel.has(port.Label)) return;
    byLabel.set(port.Label, { ...port, HostIP: port.HostIP === "" ? defaultIp : port.HostIP });
  };
  for (const port of alloc.AllocatedResources.Shared.Ports) add(port);
  const allocatedNetworks = [
    ...(alloc.AllocatedResources.Tasks[task.Name]?.Networks ?? []),
    ...alloc.AllocatedResources.Shared.Networks,
  ];
  for (const port of networkPorts(allocatedNetworks)) add(port);
  for (const port of networkPorts([...task.Resources.Networks, ...group.Networks])) {
    if (port.Value !== 0) add(port);
  }
  return [...byLabel.values()];
}

function networkPorts(networks: readonly NetworkResource[]): AllocatedPortMapping[] {
  return networks.flatMap((network) =>
    [...network.ReservedPorts, ...network.DynamicPorts].map((port) => ({
      Label: port.Label,
      Value: port.Value,
      To: port.To,
      HostIP: network.IP,
    })),
  );
}

/**
 * One port's variables. Drover runs tasks in the host's network, so the task's IP is the host IP;
 * the port inside the task is `To` when the job maps one, else the host port.
 */
function portVars(port: AllocatedPortMapping): Record<string, string> {
  const { Label: label, HostIP: ip } = port;
  const hostPort = String(port.Value);
  const taskPort = String(port.To > 0 ? port.To : port.Value);
  return {
    [`NOMAD_HOST_IP_${label}`]: ip,
    [`NOMAD_HOST_PORT_${label}`]: hostPort,
    [`NOMAD_HOST_ADDR_${label}`]: joinHostPort(ip, hostPort),
    [`NOMAD_IP_${label}`]: ip,
    [`NOMAD_PORT_${label}`]: taskPort,
    [`NOMAD_ADDR_${label}`]: joinHostPort(ip, taskPort),
    [`NOMAD_ALLOC_PORT_${label}`]: taskPort,
  };
}

/** Go's net.JoinHostPort: IPv6 addresses in brackets. */
function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
