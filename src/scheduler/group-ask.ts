import type { NetworkResource, TaskGroup } from "../fsm/structs.js";

/** What placing one allocation of a task group asks of a node. */
export interface GroupAsk {
  cpu: number;
  memoryMB: number;
  diskMB: number;
  /** Host ports the group asks for by number (static ports). */
  staticPorts: number[];
  /** How many host ports the scheduler must choose from the node's dynamic range. */
  dynamicPorts: number;
}

const cache = new WeakMap<TaskGroup, GroupAsk>();

export function groupAsk(group: TaskGroup): GroupAsk {
  const cached = cache.get(group);
  if (cached !== undefined) return cached;
  let cpu = 0;
  let memoryMB = 0;
  const staticPorts: number[] = [];
  let dynamicPorts = 0;
  const countNetworks = (networks: readonly NetworkResource[]): void => {
    for (const network of networks) {
      for (const port of network.ReservedPorts) if (port.Value > 0) staticPorts.push(port.Value);
      dynamicPorts += network.DynamicPorts.length;
    }
  };
  for (const task of group.Tasks) {
    cpu += task.Resources.CPU;
    memoryMB += task.Resources.MemoryMB;
    countNetworks(task.Resources.Networks);
  }
  countNetworks(group.Networks);
  // Ephemeral disk is the group's disk ask (Nomad moved task DiskMB into it).
  const diskMB = group.EphemeralDisk.SizeMB;
  const ask: GroupAsk = { cpu, memoryMB, diskMB, staticPorts, dynamicPorts };
  cache.set(group, ask);
  return ask;
}
