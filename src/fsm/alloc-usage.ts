import {
  type AllocatedResources,
  type Allocation,
  allocClientTerminal,
  type NetworkResource,
} from "./structs.js";

/**
 * What one allocation takes from its node, and when it takes it. The state store keeps per-node
 * sums of these (node-usage-summary.ts) and the schedulers and the plan applier check fit with
 * them, so there is one definition for all three.
 */

/** The highest TCP/UDP port number. */
export const MAX_PORT = 65535;

/** What one allocation uses on its node. `ports` holds each host port once. */
export interface AllocUsage {
  cpu: number;
  memoryMB: number;
  diskMB: number;
  ports: number[];
}

/** An allocation holds resources on its node while servers want it running and the client has not ended it. */
export function holdsResources(alloc: Pick<Allocation, "DesiredStatus" | "ClientStatus">): boolean {
  return alloc.DesiredStatus === "run" && !allocClientTerminal(alloc);
}

/**
 * The resources an allocation holds, computed afresh (callers that ask repeatedly for one object
 * cache it: see the scheduler's fit.ts). Ports are gathered from every place an allocation may
 * carry them (shared port mappings, shared and task networks) and counted once per allocation.
 */
export function computeAllocUsage(alloc: Allocation): AllocUsage {
  return allocUsageInto(alloc, { cpu: 0, memoryMB: 0, diskMB: 0, ports: [] });
}

/**
 * computeAllocUsage written into `out` (its ports array emptied and reused), for a caller that
 * reads the result before the next call: the state's per-node sums take one allocation at a time,
 * and a fresh object and array per allocation were garbage of every write and of a restart.
 */
export function allocUsageInto(alloc: Allocation, out: AllocUsage): AllocUsage {
  const resources = alloc.AllocatedResources;
  const tasks = tasksUsage(resources.Tasks);
  const ports = out.ports;
  ports.length = 0;
  for (const port of tasks.ports) ports.push(port);
  addNetworkPorts(ports, resources.Shared.Networks);
  for (const mapping of resources.Shared.Ports) addPort(ports, mapping.Value);
  out.cpu = tasks.cpu;
  out.memoryMB = tasks.memoryMB;
  out.diskMB = resources.Shared.DiskMB;
  return out;
}

/** What an allocation's task map holds: its part of AllocUsage. `ports` holds each port once. */
interface TasksUsage {
  readonly cpu: number;
  readonly memoryMB: number;
  readonly ports: readonly number[];
}

// The last deep-frozen task map summed, with its sums. Stored allocations share one frozen task
// map per distinct group resources (alloc-compactor.ts), and a plan's writes and a restart's
// per-node sums meet them in long runs: each map is summed once per run instead of once per
// allocation. A frozen map cannot change, so the sums stay right for as long as it is the last.
let lastTasks: object | undefined;
let lastTasksUsage: TasksUsage = { cpu: 0, memoryMB: 0, ports: [] };

function tasksUsage(tasks: AllocatedResources["Tasks"]): TasksUsage {
  if (tasks === lastTasks) return lastTasksUsage;
  let cpu = 0;
  let memoryMB = 0;
  const ports: number[] = [];
  for (const name in tasks) {
    const task = tasks[name];
    if (task === undefined) continue;
    cpu += task.Cpu.CpuShares;
    memoryMB += task.Memory.MemoryMB;
    addNetworkPorts(ports, task.Networks);
  }
  const usage = { cpu, memoryMB, ports };
  if (deepFrozen(tasks)) {
    lastTasks = tasks;
    lastTasksUsage = usage;
  }
  return usage;
}

/** Whether nothing reachable from `value` can change (what alloc-compactor.ts's sharing makes). */
function deepFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const key in value) if (!deepFrozen((value as Record<string, unknown>)[key])) return false;
  return true;
}

function addNetworkPorts(into: number[], networks: readonly NetworkResource[]): void {
  for (const network of networks) {
    for (const port of network.ReservedPorts) addPort(into, port.Value);
    for (const port of network.DynamicPorts) addPort(into, port.Value);
  }
}

/** Port 0 is "not assigned"; an allocation carries a handful of ports, so a list scan dedups. */
function addPort(into: number[], port: number): void {
  if (port !== 0 && !into.includes(port)) into.push(port);
}
