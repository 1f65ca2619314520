import { assert } from "../common/assert.js";
import type { SeededRandom } from "../common/rand.js";
import type { AllocatedPortMapping, NetworkResource, Node, Port, TaskGroup } from "../fsm/structs.js";
import type { NodeUsage } from "./node-usage.js";

/** Random picks before falling back to a scan of the range (Nomad tries 20 random ports too). */
const RANDOM_TRIES = 20;

export interface AssignedNetworks {
  shared: NetworkResource[];
  tasks: Record<string, NetworkResource[]>;
  ports: AllocatedPortMapping[];
}

/**
 * Gives every dynamic port of the group (group and task networks) a host port from the node's
 * dynamic range that is neither used nor reserved, drawing from the seeded PRNG. Static ports keep
 * their value. The caller has checked with NodeUsage.fits that enough ports are free.
 */
export function assignPorts(
  group: TaskGroup,
  node: Node,
  usage: NodeUsage,
  rng: SeededRandom,
): AssignedNetworks {
  const capacity = usage.capacity;
  const taken = new Set<number>();
  for (const network of group.Networks) for (const p of network.ReservedPorts) taken.add(p.Value);
  for (const task of group.Tasks) {
    for (const network of task.Resources.Networks) for (const p of network.ReservedPorts) taken.add(p.Value);
  }
  const free = (port: number): boolean =>
    !usage.hasPort(port) && !capacity.reservedPorts.has(port) && !taken.has(port);
  const pick = (): number => {
    const low = capacity.minDynamicPort;
    const span = capacity.maxDynamicPort - low + 1;
    for (let i = 0; i < RANDOM_TRIES; i++) {
      const port = low + rng.int(span);
      if (free(port)) return port;
    }
    const start = rng.int(span);
    for (let i = 0; i < span; i++) {
      const port = low + ((start + i) % span);
      if (free(port)) return port;
    }
    throw new Error(`no free dynamic port on node ${node.ID} although the fit check found room`);
  };
  const hostIP = nodeAddress(node);
  const ports: AllocatedPortMapping[] = [];
  const assign = (network: NetworkResource): NetworkResource => {
    const dynamic: Port[] = network.DynamicPorts.map((port) => {
      const value = pick();
      taken.add(value);
      return { ...port, Value: value };
    });
    for (const port of [...network.ReservedPorts, ...dynamic]) {
      assert(port.Value > 0, () => `port ${port.Label} has no value`);
      ports.push({ Label: port.Label, Value: port.Value, To: port.To, HostIP: network.IP || hostIP });
    }
    return { ...network, IP: network.IP || hostIP, DynamicPorts: dynamic };
  };
  const shared = group.Networks.map(assign);
  const tasks: Record<string, NetworkResource[]> = {};
  for (const task of group.Tasks) tasks[task.Name] = task.Resources.Networks.map(assign);
  return { shared, tasks, ports };
}

/** The address tasks' ports are reached at: the node's first network IP, else its HTTP host. */
function nodeAddress(node: Node): string {
  const first = node.NodeResources.Networks[0];
  if (first !== undefined && first.IP !== "") return first.IP;
  const colon = node.HTTPAddr.lastIndexOf(":");
  return colon > 0 ? node.HTTPAddr.slice(0, colon) : node.HTTPAddr;
}
