import { Command } from "commander";
import { parseRfc3339 } from "../../api/nomad-time.js";
import type { Deployment, DeploymentState } from "../../fsm/structs.js";
import { ApiError, type DroverClient } from "../http-client.js";
import { CliError, formatTime, json, keyValues, shortId, table } from "../output.js";
import { action, clientFor, type GlobalFlags, resolvePrefix, withGlobals, write } from "./common.js";

/** `drover deployment list|status|promote|fail|pause|resume`, and the deployment monitor of `job run`. */

export type { Deployment };

/** Nomad's DeploymentUpdateResponse. */
export interface DeploymentUpdateAnswer {
  EvalID: string;
  EvalCreateIndex: number;
  DeploymentModifyIndex: number;
  Index: number;
}

const TERMINAL = new Set(["successful", "failed", "cancelled"]);

export function deploymentsTable(deployments: readonly Deployment[], verbose = false): string {
  return table(
    ["ID", "Job ID", "Job Version", "Status", "Description"],
    deployments.map((d) => [shortId(d.ID, verbose), d.JobID, d.JobVersion, d.Status, d.StatusDescription]),
  );
}

/** RequireProgressBy arrives as Go's time.Time JSON (RFC 3339; the zero time when unset). */
function progressDeadline(value: unknown): string {
  const ns = parseRfc3339(value);
  return ns > 0 ? formatTime(ns) : "N/A";
}

/** One deployment: its fields, then a row per task group (Nomad's `deployment status`). */
export function formatDeployment(d: Deployment, verbose = false): string {
  const groups = Object.entries(d.TaskGroups).sort(([a], [b]) => a.localeCompare(b));
  const canaries = groups.some(([, g]) => g.DesiredCanaries > 0);
  const autoRevert = groups.some(([, g]) => g.AutoRevert);
  const headers = ["Task Group"];
  if (autoRevert) headers.push("Auto Revert");
  if (canaries) headers.push("Promoted");
  headers.push("Desired");
  if (canaries) headers.push("Canaries");
  headers.push("Placed", "Healthy", "Unhealthy", "Progress Deadline");
  const rows = groups.map(([name, g]) => {
    const row: Array<string | number | boolean> = [name];
    if (autoRevert) row.push(g.AutoRevert);
    if (canaries) row.push(g.DesiredCanaries > 0 ? g.Promoted : "N/A");
    row.push(g.DesiredTotal);
    if (canaries) row.push(g.DesiredCanaries);
    row.push(g.PlacedAllocs, g.HealthyAllocs, g.UnhealthyAllocs, progressDeadline(g.RequireProgressBy));
    return row;
  });
  return [
    keyValues([
      ["ID", shortId(d.ID, verbose)],
      ["Job ID", d.JobID],
      ["Job Version", d.JobVersion],
      ["Status", d.Status],
      ["Description", d.StatusDescription],
    ]),
    "",
    "Deployed",
    table(headers, rows),
  ].join("\n");
}

export function resolveDeploymentId(client: DroverClient, id: string): Promise<string> {
  return resolvePrefix(
    "deployment",
    id,
    (prefix) => client.get<Deployment[]>("/v1/deployments", { prefix }),
    (candidates) => deploymentsTable(candidates),
  );
}

const VERBS = {
  promote: "promoting",
  fail: "failing",
  pause: "pausing or resuming",
  "allocation-health": "setting allocation health in",
} as const;

/** A deployment change (`/v1/deployment/<what>/<id>`); a 400 is the server's reason, in words. */
async function updateDeployment(
  client: DroverClient,
  what: "promote" | "fail" | "pause" | "allocation-health",
  id: string,
  body: Record<string, unknown>,
): Promise<DeploymentUpdateAnswer> {
  try {
    return (
      await client.request<DeploymentUpdateAnswer>(
        "POST",
        `/v1/deployment/${what}/${encodeURIComponent(id)}`,
        {
          body,
        },
      )
    ).body;
  } catch (error) {
    if (error instanceof ApiError && error.status === 400) {
      const detail = (error.body as { error?: string } | null)?.error ?? error.message;
      throw new CliError(`Error ${VERBS[what]} deployment: ${detail}`);
    }
    throw error;
  }
}

function stamp(text: string, heading: boolean): string {
  return `${heading ? "==> " : "    "}${formatTime(Date.now() * 1e6)}: ${text}`;
}

function groupLine(name: string, g: DeploymentState): string {
  const canaries = g.DesiredCanaries > 0 ? `, canaries ${g.PlacedCanaries.length}/${g.DesiredCanaries}` : "";
  const promoted = g.DesiredCanaries > 0 ? (g.Promoted ? " (promoted)" : " (not promoted)") : "";
  return (
    `Task Group "${name}"${promoted}: desired ${g.DesiredTotal}${canaries}, placed ${g.PlacedAllocs}, ` +
    `healthy ${g.HealthyAllocs}, unhealthy ${g.UnhealthyAllocs}`
  );
}

/** Canary groups that are all healthy and wait for an operator (none auto-promotes). */
function needsPromotion(d: Deployment): boolean {
  const canary = Object.values(d.TaskGroups).filter((g) => g.DesiredCanaries > 0 && !g.Promoted);
  return (
    canary.length > 0 &&
    canary.every((g) => !g.AutoPromote && g.HealthyAllocs >= g.DesiredCanaries && g.PlacedCanaries.length > 0)
  );
}

export interface FollowOptions {
  client: DroverClient;
  deploymentId: string;
  verbose?: boolean;
  /** How long each blocking query waits (ms). */
  pollWaitMs?: number;
  write?: (text: string) => void;
}

/**
 * Follows a deployment to its end, a line per change of a group's counts: exit 0 when it is
 * successful or its canaries wait for a manual promotion (Nomad's monitor stops there too), 1
 * when it failed or was cancelled.
 */
export async function followDeployment(options: FollowOptions): Promise<number> {
  const out = options.write ?? ((text: string) => process.stdout.write(text));
  const verbose = options.verbose ?? false;
  const id = options.deploymentId;
  const path = `/v1/deployment/${encodeURIComponent(id)}`;
  const line = (text: string, heading = false): void => out(`${stamp(text, heading)}\n`);
  line(`Monitoring deployment "${shortId(id, verbose)}"`, true);
  const last = new Map<string, string>();
  let index = 0;
  for (;;) {
    const answer = await options.client.request<Deployment>("GET", path, {
      blocking: { index, waitMs: options.pollWaitMs ?? 2_000 },
    });
    const d = answer.body;
    index = answer.index;
    for (const [name, g] of Object.entries(d.TaskGroups).sort(([a], [b]) => a.localeCompare(b))) {
      const text = groupLine(name, g);
      if (last.get(name) === text) continue;
      last.set(name, text);
      line(text);
    }
    if (TERMINAL.has(d.Status)) {
      line(`Deployment "${shortId(d.ID, verbose)}" ${d.Status}: ${d.StatusDescription}`, true);
      return d.Status === "successful" ? 0 : 1;
    }
    if (needsPromotion(d)) {
      line(
        `Deployment "${shortId(d.ID, verbose)}" requires manual promotion: drover deployment promote ${shortId(d.ID, verbose)}`,
        true,
      );
      return 0;
    }
  }
}

interface ListFlags extends GlobalFlags {
  verbose?: boolean;
}

interface ChangeFlags extends GlobalFlags {
  detach?: boolean;
  verbose?: boolean;
}

interface PromoteFlags extends ChangeFlags {
  group?: string[];
}

/** After a change: its eval, then (unless -detach) the deployment to its end. */
async function afterChange(
  client: DroverClient,
  id: string,
  message: string,
  answer: DeploymentUpdateAnswer,
  flags: ChangeFlags,
): Promise<number> {
  if (flags.json) {
    write(json(answer));
    return 0;
  }
  write(message);
  if (answer.EvalID !== "") write(`Evaluation ID: ${shortId(answer.EvalID, flags.verbose ?? false)}`);
  if (flags.detach) return 0;
  return followDeployment({ client, deploymentId: id, verbose: flags.verbose ?? false });
}

export function addDeploymentCommands(program: Command): void {
  const deployment = new Command("deployment").description("interact with deployments");

  withGlobals(deployment.command("list"))
    .description("list deployments, newest first")
    .option("--verbose", "full IDs")
    .action(
      action(async (flags: ListFlags): Promise<number> => {
        const list = await clientFor(flags).get<Deployment[]>("/v1/deployments");
        if (flags.json) write(json(list));
        else
          write(list.length === 0 ? "No deployments found" : deploymentsTable(list, flags.verbose ?? false));
        return 0;
      }),
    );

  withGlobals(deployment.command("status"))
    .description("show a deployment and the progress of its task groups")
    .argument("<deployment>", "deployment ID or unique prefix")
    .option("--verbose", "full IDs")
    .action(
      action(async (id: string, flags: ListFlags): Promise<number> => {
        const client = clientFor(flags);
        const full = await resolveDeploymentId(client, id);
        const d = await client.get<Deployment>(`/v1/deployment/${encodeURIComponent(full)}`);
        write(flags.json ? json(d) : formatDeployment(d, flags.verbose ?? false));
        return 0;
      }),
    );

  const change = (name: string, description: string): Command =>
    withGlobals(deployment.command(name))
      .description(description)
      .argument("<deployment>", "deployment ID or unique prefix")
      .option("--detach", "return without following the deployment")
      .option("--verbose", "full IDs");

  change("promote", "promote the canaries of a deployment (every group, or those given with --group)")
    .option("--group <name>", "promote only this task group (repeatable)", (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .action(
      action(async (id: string, flags: PromoteFlags): Promise<number> => {
        const client = clientFor(flags);
        const full = await resolveDeploymentId(client, id);
        const groups = flags.group ?? [];
        const answer = await updateDeployment(client, "promote", full, {
          All: groups.length === 0,
          Groups: groups,
        });
        return afterChange(
          client,
          full,
          `Deployment "${shortId(full, flags.verbose)}" promoted`,
          answer,
          flags,
        );
      }),
    );

  change("fail", "mark a running deployment as failed (rolling back when its groups auto-revert)").action(
    action(async (id: string, flags: ChangeFlags): Promise<number> => {
      const client = clientFor(flags);
      const full = await resolveDeploymentId(client, id);
      const answer = await updateDeployment(client, "fail", full, {});
      return afterChange(
        client,
        full,
        `Deployment "${shortId(full, flags.verbose)}" marked as failed`,
        answer,
        { ...flags, detach: true },
      );
    }),
  );

  for (const [name, pause] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    change(name, pause ? "pause a running deployment" : "resume a paused deployment").action(
      action(async (id: string, flags: ChangeFlags): Promise<number> => {
        const client = clientFor(flags);
        const full = await resolveDeploymentId(client, id);
        const answer = await updateDeployment(client, "pause", full, { Pause: pause });
        return afterChange(
          client,
          full,
          `Deployment "${shortId(full, flags.verbose)}" ${pause ? "paused" : "resumed"}`,
          answer,
          { ...flags, detach: pause || flags.detach === true },
        );
      }),
    );
  }

  program.addCommand(deployment);
}
