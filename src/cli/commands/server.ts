import { Command } from "commander";
import { json, table } from "../output.js";
import { action, clientFor, type GlobalFlags, withGlobals, write } from "./common.js";

/**
 * `drover server members`: the Raft peers and which is the leader. Drover has no gossip
 * membership route yet, so this is built from `/v1/status/peers` and `/v1/status/leader`.
 */

export interface Member {
  Address: string;
  Status: string;
  Leader: boolean;
}

export function members(peers: readonly string[], leader: string): Member[] {
  return [...peers]
    .sort()
    .map((address) => ({ Address: address, Status: "alive", Leader: address === leader }));
}

export function membersTable(list: readonly Member[]): string {
  return table(
    ["Address", "Status", "Leader"],
    list.map((m) => [m.Address, m.Status, m.Leader]),
  );
}

export function addServerCommands(program: Command): void {
  const server = new Command("server").description("interact with servers");
  withGlobals(server.command("members"))
    .description("list the servers (Raft peers) and the leader")
    .action(
      action(async (flags: GlobalFlags): Promise<number> => {
        const client = clientFor(flags);
        const [peers, leader] = await Promise.all([client.peers(), client.leader()]);
        const list = members(peers, leader);
        if (flags.json) write(json(list));
        else write(list.length === 0 ? "No servers known" : membersTable(list));
        if (leader === "") process.stderr.write("Warning: no known leader\n");
        return 0;
      }),
    );
  program.addCommand(server);
}
