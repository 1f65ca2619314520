import { Command } from "commander";
import { parseDurationMs } from "../../common/duration.js";
import type { AllocStub, DroverClient, NodeStub, PublicNode } from "../http-client.js";
import { CliError, json, keyValues, shortId, table } from "../output.js";
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
import { monitorDrain } from "./drain-monitor.js";

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

  withGlobals(node.command("drain"))
    .description(
      "start (-enable) or end (-disable) draining a node, or follow its drain (-monitor): its allocations migrate away",
    )
    .argument("[node]", "node ID or unique prefix (or -self)")
    .option("--enable", "start draining, then follow the drain until it completes (unless -detach)")
    .option("--disable", "end the drain (the node becomes eligible again unless -keep-ineligible)")
    .option("--deadline <duration>", "force the remaining allocations off after this long (default 1h)")
    .option("--force", "force every allocation off now")
    .option("--no-deadline", "never force allocations off")
    .option("--ignore-system", "leave system jobs' allocations running")
    .option("--keep-ineligible", "with -disable: keep the node ineligible")
    .option("--self", "drain the node of the client agent at -address")
    .option("--monitor", "follow the node's drain without changing it")
    .option("--detach", "with -enable: return once the drain is set, without following it")
    .option("--yes", "accepted for Nomad compatibility: no prompt is asked")
    .option("--verbose", "full IDs")
    .action(action(nodeDrain));

  withGlobals(node.command("eligibility"))
    .description("make a node eligible (-enable) or ineligible (-disable) for new placements")
    .argument("<node>", "node ID or unique prefix")
    .option("--enable", "eligible")
    .option("--disable", "ineligible")
    .option("--verbose", "full IDs")
    .action(action(nodeEligibility));

  program.addCommand(node);
}

interface ToggleFlags extends GlobalFlags {
  enable?: boolean;
  disable?: boolean;
  verbose?: boolean;
}

interface DrainFlags extends ToggleFlags {
  /** commander's `--deadline <d>` plus `--no-deadline`: a string, or false. */
  deadline?: string | boolean;
  force?: boolean;
  ignoreSystem?: boolean;
  keepIneligible?: boolean;
  self?: boolean;
  monitor?: boolean;
  detach?: boolean;
}

function enabled(flags: ToggleFlags): boolean {
  if (flags.enable === flags.disable) throw new CliError("Give exactly one of -enable or -disable");
  return flags.enable === true;
}

/** Nomad's drain deadline in nanoseconds: -1 forces now, 0 never forces, else the duration. */
export function drainDeadlineNs(flags: Pick<DrainFlags, "deadline" | "force">): number {
  if (flags.force) return -1;
  if (flags.deadline === false) return 0;
  const text = typeof flags.deadline === "string" ? flags.deadline : "1h";
  let ms: number;
  try {
    ms = parseDurationMs(text, "-deadline");
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (ms <= 0) throw new CliError("-deadline must be positive (use -force to drain now)");
  return Math.round(ms * 1e6);
}

/** The flag combinations Nomad refuses, each with its one-line reason. */
function checkDrainFlags(id: string | undefined, flags: DrainFlags): void {
  if (flags.monitor && (flags.enable || flags.disable || flags.detach)) {
    throw new CliError("-monitor cannot be combined with -enable, -disable or -detach");
  }
  if (!flags.monitor) enabled(flags);
  if (flags.force && typeof flags.deadline === "string") throw new CliError("-force and -deadline conflict");
  if (flags.force && flags.deadline === false) throw new CliError("-force and -no-deadline conflict");
  if ((id === undefined) === (flags.self !== true)) {
    throw new CliError("Give a node ID or prefix, or -self, but not both");
  }
}

/** The node of the client agent the CLI talks to (`-self`): the node named after that agent. */
async function selfNodeId(client: DroverClient): Promise<string> {
  const self = await client.get<{ member: { Name: string; Tags: { role: string } } }>("/v1/agent/self");
  if (self.member.Tags.role !== "client") {
    throw new CliError("-self needs the address of a client agent; this agent is a server");
  }
  const nodes = (await client.nodes()).filter((n) => n.Name === self.member.Name);
  if (nodes.length !== 1) throw new CliError(`No single node is named ${self.member.Name}`);
  return (nodes[0] as NodeStub).ID;
}

async function nodeDrain(id: string | undefined, flags: DrainFlags): Promise<number> {
  checkDrainFlags(id, flags);
  const client = clientFor(flags);
  const full = id === undefined ? await selfNodeId(client) : await resolveNodeId(client, id);
  if (flags.monitor) return monitorDrain({ client, nodeId: full, verbose: flags.verbose ?? false });
  const enable = flags.enable === true;
  const body = enable
    ? { DrainSpec: { Deadline: drainDeadlineNs(flags), IgnoreSystemJobs: flags.ignoreSystem === true } }
    : { DrainSpec: null, MarkEligible: flags.keepIneligible !== true };
  const answer = await client.request<{ Index: number }>(
    "POST",
    `/v1/node/${encodeURIComponent(full)}/drain`,
    {
      body,
    },
  );
  if (flags.json) {
    write(json(answer.body));
    return 0;
  }
  write(`Node "${shortId(full, flags.verbose)}" drain strategy ${enable ? "set" : "unset"}`);
  if (!enable || flags.detach) return 0;
  return monitorDrain({ client, nodeId: full, verbose: flags.verbose ?? false });
}

async function nodeEligibility(id: string, flags: ToggleFlags): Promise<number> {
  const eligible = enabled(flags);
  const client = clientFor(flags);
  const full = await resolveNodeId(client, id);
  const answer = await client.request<{ Index: number }>(
    "POST",
    `/v1/node/${encodeURIComponent(full)}/eligibility`,
    { body: { Eligibility: eligible ? "eligible" : "ineligible" } },
  );
  if (flags.json) write(json(answer.body));
  else
    write(
      `Node "${shortId(full, flags.verbose)}" scheduling eligibility set: ${eligible ? "eligible" : "ineligible"} for scheduling`,
    );
  return 0;
}
