import { isDeepFrozen } from "./deep-freeze.js";
import {
  type AllocatedPortMapping,
  type AllocatedResources,
  type Allocation,
  allocClientTerminal,
  type NetworkResource,
  type Port,
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
  const usage = allocUsageInto(alloc, computeScratch);
  return {
    cpu: usage.cpu,
    memoryMB: usage.memoryMB,
    diskMB: usage.diskMB,
    ports: usage.ports.slice(0, usage.portCount),
  };
}

/**
 * What allocUsageInto writes: AllocUsage with the ports in `ports[0, portCount)`. The array is
 * reused from call to call (entries from portCount on are stale), since emptying it (`length = 0`)
 * drops its backing store and cost more than a fresh array.
 */
export interface AllocUsageScratch {
  cpu: number;
  memoryMB: number;
  diskMB: number;
  portCount: number;
  readonly ports: number[];
}

export function newAllocUsageScratch(): AllocUsageScratch {
  return { cpu: 0, memoryMB: 0, diskMB: 0, portCount: 0, ports: [] };
}

const computeScratch = newAllocUsageScratch();

/**
 * computeAllocUsage written into `out`, for a caller that reads the result before the next call
 * with the same `out`: the state's per-node sums take one allocation at a time, and a fresh
 * object and array per allocation were garbage of every write and of a restart.
 */
export function allocUsageInto(alloc: Allocation, out: AllocUsageScratch): AllocUsageScratch {
  const resources = alloc.AllocatedResources;
  const tasks = tasksUsage(resources.Tasks);
  const ports = out.ports;
  let count = 0;
  for (let i = 0; i < tasks.ports.length; i++) ports[count++] = tasks.ports[i] as number;
  count = addNetworkPorts(ports, count, resources.Shared.Networks);
  const mappings = resources.Shared.Ports;
  for (let i = 0; i < mappings.length; i++)
    count = addPort(ports, count, (mappings[i] as AllocatedPortMapping).Value);
  out.cpu = tasks.cpu;
  out.memoryMB = tasks.memoryMB;
  out.diskMB = resources.Shared.DiskMB;
  out.portCount = count;
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
  let count = 0;
  for (const name in tasks) {
    const task = tasks[name];
    if (task === undefined) continue;
    cpu += task.Cpu.CpuShares;
    memoryMB += task.Memory.MemoryMB;
    count = addNetworkPorts(ports, count, task.Networks);
  }
  const usage = { cpu, memoryMB, ports: ports.slice(0, count) };
  if (isDeepFrozen(tasks)) {
    lastTasks = tasks;
    lastTasksUsage = usage;
  }
  return usage;
}

// Indexed loops below: for-of over the (often frozen, shared) port lists cost several times more.

/** Adds the networks' ports to `into[0, count)`; returns the new count. */
function addNetworkPorts(into: number[], count: number, networks: readonly NetworkResource[]): number {
  let n = count;
  for (let i = 0; i < networks.length; i++) {
    const network = networks[i] as NetworkResource;
    const reserved = network.ReservedPorts;
    for (let j = 0; j < reserved.length; j++) n = addPort(into, n, (reserved[j] as Port).Value);
    const dynamic = network.DynamicPorts;
    for (let j = 0; j < dynamic.length; j++) n = addPort(into, n, (dynamic[j] as Port).Value);
  }
  return n;
}

/**
 * Adds `port` to `into[0, count)` unless it is there; returns the new count. Port 0 is "not
 * assigned"; an allocation carries a handful of ports, so a scan dedups.
 */
function addPort(into: number[], count: number, port: number): number {
  if (port === 0) return count;
  for (let i = 0; i < count; i++) if (into[i] === port) return count;
  into[count] = port;
  return count + 1;
}
