import { Command } from "commander";
import type { AllocStub, DroverClient, NodeStub, PublicNode } from "../http-client.js";
import { json, keyValues, shortId, table } from "../output.js";
import { allocTable } from "./alloc.js";
import {
  action,
  clientFor,
  type GlobalFlags,
  orNotFound,
  resolvePrefix,
  withGlobals,
  write,
} from "./common.js";

/** `drover node status`: the client nodes, or one node with its allocations. */

export function nodesTable(nodes: readonly NodeStub[], verbose = false): string {
  return table(
    ["ID", "Node Pool", "DC", "Name", "Class", "Drain", "Eligibility", "Status"],
    [...nodes]
      .sort((a, b) => a.Name.localeCompare(b.Name))
      .map((n) => [
        shortId(n.ID, verbose),
        n.NodePool,
        n.Datacenter,
        n.Name,
        n.NodeClass === "" ? "<none>" : n.NodeClass,
        n.Drain,
        n.SchedulingEligibility,
        n.Status,
      ]),
  );
}

export function formatNodeStatus(
  node: PublicNode,
  allocs: readonly AllocStub[],
  options: { verbose?: boolean; nowMs?: number } = {},
): string {
  const verbose = options.verbose ?? false;
  const drivers = Object.entries(node.Drivers ?? {})
    .filter(([, d]) => d.Detected && d.Healthy)
    .map(([name]) => name)
    .sort();
  const res = node.NodeResources;
  const reserved = node.ReservedResources;
  const out = [
    keyValues([
      ["ID", shortId(node.ID, verbose)],
      ["Name", node.Name],
      ["Node Pool", node.NodePool],
      ["Class", node.NodeClass],
      ["DC", node.Datacenter],
      ["Drain", node.DrainStrategy !== null],
      ["Eligibility", node.SchedulingEligibility],
      ["Status", node.Status],
      ["HTTP Address", node.HTTPAddr],
      ["Drivers", drivers.join(",")],
    ]),
  ];
  if (res !== undefined) {
    out.push(
      "",
      "Node Resources",
      table(
        ["CPU", "Memory", "Disk"],
        [
          [
            `${res.Cpu.CpuShares - (reserved?.Cpu.CpuShares ?? 0)} MHz`,
            `${res.Memory.MemoryMB - (reserved?.Memory.MemoryMB ?? 0)} MiB`,
            `${res.Disk.DiskMB - (reserved?.Disk.DiskMB ?? 0)} MiB`,
          ],
        ],
      ),
    );
  }
  const meta = Object.entries(node.Meta ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (meta.length > 0) out.push("", "Meta", keyValues(meta));
  const mine = allocs.filter((a) => a.NodeID === node.ID);
  out.push(
    "",
    "Allocations",
    mine.length === 0 ? "No allocations placed" : allocTable(mine, { ...options, node: true }),
  );
  return out.join("\n");
}

export function resolveNodeId(client: DroverClient, id: string): Promise<string> {
  return resolvePrefix(
    "node",
    id,
    (prefix) => client.nodes(prefix),
    (candidates) => nodesTable(candidates),
  );
}

interface StatusFlags extends GlobalFlags {
  verbose?: boolean;
}

export async function nodeStatus(id: string | undefined, flags: StatusFlags): Promise<number> {
  const client = clientFor(flags);
  const verbose = flags.verbose ?? false;
  if (id === undefined) {
    const nodes = await client.nodes();
    if (flags.json) write(json(nodes));
    else write(nodes.length === 0 ? "No nodes registered" : nodesTable(nodes, verbose));
    return 0;
  }
  const full = await resolveNodeId(client, id);
  const [node, allocs] = await Promise.all([
    orNotFound(() => client.node(full), `No node with ID ${id}`),
    client.allocations(),
  ]);
  if (flags.json) write(json(node));
  else write(formatNodeStatus(node, allocs, { verbose }));
  return 0;
}

export function addNodeCommands(program: Command): void {
  const node = new Command("node").description("interact with client nodes");
  withGlobals(node.command("status"))
    .description("list the client nodes, or show one node and its allocations")
    .argument("[node]", "node ID or unique prefix")
    .option("--verbose", "full IDs and exact times")
    .action(action(nodeStatus));
  program.addCommand(node);
}
