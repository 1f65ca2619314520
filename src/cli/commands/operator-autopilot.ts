import { Command } from "commander";
import { json, keyValues, table } from "../output.js";
import { action, clientFor, type GlobalFlags, withGlobals, write } from "./common.js";

/**
 * `drover operator autopilot get-config|health`, over src/api/autopilot-routes.ts (Nomad's
 * `nomad operator autopilot get-config` and `health`).
 */

interface AutopilotConfiguration {
  CleanupDeadServers: boolean;
  LastContactThreshold: string;
  MaxTrailingLogs: number;
  MinQuorum: number;
  ServerStabilizationTime: string;
}

interface ServerHealth {
  ID: string;
  Name: string;
  Address: string;
  SerfStatus: string;
  Version: string;
  Leader: boolean;
  Voter: boolean;
  Healthy: boolean;
  /** Nanoseconds. */
  LastContact: number;
  LastTerm: number;
  LastIndex: number;
  StableSince: string;
}

interface OperatorHealth {
  Healthy: boolean;
  FailureTolerance: number;
  Servers: ServerHealth[];
}

export function healthText(h: OperatorHealth): string {
  const leader = h.Servers.find((s) => s.Leader);
  const head = keyValues([
    ["Healthy", h.Healthy],
    ["FailureTolerance", h.FailureTolerance],
    ["Leader", leader?.ID ?? ""],
    ["Voters", h.Servers.filter((s) => s.Voter).length],
  ]);
  const servers = table(
    [
      "ID",
      "Name",
      "Address",
      "SerfStatus",
      "Version",
      "Leader",
      "Voter",
      "Healthy",
      "LastContact",
      "LastTerm",
      "LastIndex",
      "StableSince",
    ],
    h.Servers.map((s) => [
      s.ID,
      s.Name,
      s.Address,
      s.SerfStatus,
      s.Version,
      s.Leader,
      s.Voter,
      s.Healthy,
      `${Math.round(s.LastContact / 1e6)}ms`,
      s.LastTerm,
      s.LastIndex,
      s.StableSince,
    ]),
  );
  return `${head}\n\nServers:\n${servers}`;
}

export function addAutopilotCommands(operator: Command): void {
  const autopilot = new Command("autopilot").description(
    "view autopilot's configuration and the servers' health",
  );
  withGlobals(autopilot.command("get-config"))
    .description("show the autopilot configuration")
    .action(
      action(async (flags: GlobalFlags): Promise<number> => {
        const { body } = await clientFor(flags).request<AutopilotConfiguration>(
          "GET",
          "/v1/operator/autopilot/configuration",
        );
        write(
          flags.json === true
            ? json(body)
            : keyValues([
                ["CleanupDeadServers", body.CleanupDeadServers],
                ["LastContactThreshold", body.LastContactThreshold],
                ["MaxTrailingLogs", body.MaxTrailingLogs],
                ["MinQuorum", body.MinQuorum],
                ["ServerStabilizationTime", body.ServerStabilizationTime],
              ]),
        );
        return 0;
      }),
    );
  withGlobals(autopilot.command("health"))
    .description("show the health of every server, as the leader's autopilot sees it")
    .action(
      action(async (flags: GlobalFlags): Promise<number> => {
        const { body } = await clientFor(flags).request<OperatorHealth>(
          "GET",
          "/v1/operator/autopilot/health",
        );
        write(flags.json === true ? json(body) : healthText(body));
        return 0;
      }),
    );
  operator.addCommand(autopilot);
}
