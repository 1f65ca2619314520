import { Command } from "commander";
import type { DroverClient, Evaluation } from "../http-client.js";
import { formatTime, json, keyValues, placementFailures, shortId, table } from "../output.js";
import {
  action,
  clientFor,
  type GlobalFlags,
  orNotFound,
  resolvePrefix,
  withGlobals,
  write,
} from "./common.js";
import { resolveJob } from "./job.js";

/** `drover eval list|status`: the scheduler's evaluations and why placements failed. */

const hasFailures = (e: Evaluation): boolean => Object.keys(e.FailedTGAllocs ?? {}).length > 0;

export function evalsTable(evals: readonly Evaluation[], verbose = false): string {
  return table(
    ["ID", "Priority", "Triggered By", "Job ID", "Node ID", "Status", "Placement Failures"],
    [...evals]
      .sort((a, b) => b.CreateIndex - a.CreateIndex)
      .map((e) => [
        shortId(e.ID, verbose),
        e.Priority,
        e.TriggeredBy,
        e.JobID,
        e.NodeID === "" ? "<none>" : shortId(e.NodeID, verbose),
        e.Status,
        hasFailures(e),
      ]),
  );
}

export function formatEvalStatus(evaluation: Evaluation, verbose = false): string {
  const id = (value: string): string => (value === "" ? "" : shortId(value, verbose));
  const out = [
    keyValues([
      ["ID", id(evaluation.ID)],
      ["Create Time", formatTime(evaluation.CreateTime)],
      ["Modify Time", formatTime(evaluation.ModifyTime)],
      ["Status", evaluation.Status],
      ["Status Description", evaluation.StatusDescription],
      ["Type", evaluation.Type],
      ["TriggeredBy", evaluation.TriggeredBy],
      ["Job ID", evaluation.JobID],
      ...(evaluation.NodeID === "" ? [] : ([["Node ID", id(evaluation.NodeID)]] as const)),
      ["Priority", evaluation.Priority],
      ["Placement Failures", hasFailures(evaluation)],
      ["Previous Eval", id(evaluation.PreviousEval)],
      ["Next Eval", id(evaluation.NextEval)],
      ["Blocked Eval", id(evaluation.BlockedEval)],
    ]),
  ];
  if (hasFailures(evaluation))
    out.push("", "Failed Placements", ...placementFailures(evaluation.FailedTGAllocs));
  return out.join("\n");
}

export function resolveEvalId(client: DroverClient, id: string): Promise<string> {
  return resolvePrefix(
    "evaluation",
    id,
    (prefix) => client.evaluations(prefix),
    (candidates) => evalsTable(candidates),
  );
}

interface ListFlags extends GlobalFlags {
  verbose?: boolean;
  job?: string;
  status?: string;
}

export async function evalStatus(id: string, flags: GlobalFlags & { verbose?: boolean }): Promise<number> {
  const client = clientFor(flags);
  const full = await resolveEvalId(client, id);
  const { body } = await orNotFound(() => client.evaluation(full), `No evaluation with ID ${id}`);
  write(flags.json ? json(body) : formatEvalStatus(body, flags.verbose ?? false));
  return 0;
}

export function addEvalCommands(program: Command): void {
  const evalCmd = new Command("eval").description("interact with evaluations");

  withGlobals(evalCmd.command("list"))
    .description("list evaluations, newest first")
    .option("--job <id>", "only this job's evaluations")
    .option("--status <status>", "only evaluations with this status (pending, blocked, complete, …)")
    .option("--verbose", "full IDs")
    .action(
      action(async (flags: ListFlags): Promise<number> => {
        const client = clientFor(flags);
        let evals =
          flags.job === undefined
            ? await client.evaluations()
            : await client.jobEvaluations((await resolveJob(client, flags.job)).ID);
        if (flags.status !== undefined) evals = evals.filter((e) => e.Status === flags.status);
        if (flags.json) write(json(evals));
        else write(evals.length === 0 ? "No evaluations found" : evalsTable(evals, flags.verbose ?? false));
        return 0;
      }),
    );

  withGlobals(evalCmd.command("status"))
    .description("show an evaluation and its placement failures")
    .argument("<eval>", "evaluation ID or unique prefix")
    .option("--verbose", "full IDs")
    .action(action(evalStatus));

  program.addCommand(evalCmd);
}
