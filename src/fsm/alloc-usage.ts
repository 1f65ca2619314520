import { type Allocation, allocClientTerminal, type NetworkResource } from "./structs.js";

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
  const resources = alloc.AllocatedResources;
  let cpu = 0;
  let memoryMB = 0;
  const ports: number[] = [];
  for (const name in resources.Tasks) {
    const task = resources.Tasks[name];
    if (task === undefined) continue;
    cpu += task.Cpu.CpuShares;
    memoryMB += task.Memory.MemoryMB;
    addNetworkPorts(ports, task.Networks);
  }
  addNetworkPorts(ports, resources.Shared.Networks);
  for (const mapping of resources.Shared.Ports) addPort(ports, mapping.Value);
  return { cpu, memoryMB, diskMB: resources.Shared.DiskMB, ports };
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
