import type { Command } from "commander";
import { CliError } from "../output.js";
import { allocStatus } from "./alloc.js";
import { action, clientFor, type GlobalFlags, isNotFound, withGlobals } from "./common.js";
import { evalStatus } from "./eval.js";
import { jobStatus } from "./job.js";
import { nodeStatus } from "./node.js";

/**
 * `drover status [ID]`: the jobs list, or whatever the ID (or a prefix of it) names: a job
 * first, then an allocation, a node, an evaluation (Nomad's `status` routing).
 */

interface StatusFlags extends GlobalFlags {
  verbose?: boolean;
}

async function status(id: string | undefined, flags: StatusFlags): Promise<number> {
  if (id === undefined) return jobStatus(undefined, flags);
  const client = clientFor(flags);
  try {
    await client.job(id);
    return jobStatus(id, flags);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const [jobs, allocs, nodes, evals] = await Promise.all([
    client.jobs(id),
    client.allocations(id),
    client.nodes(id),
    client.evaluations(id),
  ]);
  const kinds = [
    { n: jobs.length, run: () => jobStatus(id, flags) },
    { n: allocs.length, run: () => allocStatus(id, flags) },
    { n: nodes.length, run: () => nodeStatus(id, flags) },
    { n: evals.length, run: () => evalStatus(id, flags) },
  ].filter((k) => k.n > 0);
  const first = kinds[0];
  if (first === undefined)
    throw new CliError(`No job, allocation, node or evaluation with prefix or ID ${id}`);
  // The per-kind command lists the candidates when the prefix is ambiguous within its kind.
  return first.run();
}

export function addStatusCommand(program: Command): void {
  withGlobals(program.command("status"))
    .description("list jobs, or show the job, allocation, node or evaluation an ID names")
    .argument("[id]", "an ID or unique prefix")
    .option("--verbose", "full IDs and exact times")
    .action(action(status));
}
