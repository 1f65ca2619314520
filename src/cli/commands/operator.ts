import { readFile, rename, writeFile } from "node:fs/promises";
import { Command } from "commander";
import { AgentUnreachableError, ApiError, type DroverClient } from "../http-client.js";
import { CliError, json, keyValues, table } from "../output.js";
import { action, clientFor, collect, type GlobalFlags, intFlag, withGlobals, write } from "./common.js";
import { addAutopilotCommands } from "./operator-autopilot.js";

/**
 * `drover operator raft list-peers|remove-peer|transfer-leadership`, `drover operator snapshot
 * save|restore`, `drover operator scheduler get-config|set-config` and `drover event stream`,
 * over the server routes of src/api/operator-routes.ts, src/api/operator-config-routes.ts and
 * src/api/event-routes.ts.
 */

export interface RaftPeer {
  ID: string;
  Node: string;
  Address: string;
  Leader: boolean;
  Voter: boolean;
  RaftProtocol: string;
}

/** Nomad's list-peers table: Node, ID, Address, State, Voter, RaftProtocol. */
export function peersTable(peers: readonly RaftPeer[]): string {
  return table(
    ["Node", "ID", "Address", "State", "Voter", "RaftProtocol"],
    peers.map((p) => [p.Node, p.ID, p.Address, p.Leader ? "leader" : "follower", p.Voter, p.RaftProtocol]),
  );
}

interface PeerFlags extends GlobalFlags {
  peerId?: string;
  peerAddress?: string;
}

function peerQuery(flags: PeerFlags, required: boolean): Record<string, string> {
  if (flags.peerId !== undefined && flags.peerAddress !== undefined)
    throw new CliError("Give -peer-id or -peer-address, not both");
  if (flags.peerId !== undefined) return { id: flags.peerId };
  if (flags.peerAddress !== undefined) return { address: flags.peerAddress };
  if (required) throw new CliError("Missing peer: give -peer-id or -peer-address");
  return {};
}

/** The HTTP headers of a request the JSON client does not make (a raw download). */
function tokenHeaders(flags: GlobalFlags): Record<string, string> {
  const token = flags.token ?? process.env["DROVER_TOKEN"];
  return token === undefined || token === "" ? {} : { "X-Nomad-Token": token };
}

/** Downloads the snapshot to `file` (through a temporary file: a failed save leaves no half file). */
export async function saveSnapshot(client: DroverClient, flags: GlobalFlags, file: string, stale: boolean) {
  let res: Response;
  try {
    res = await client.fetchUrl(client.url("/v1/operator/snapshot", stale ? { stale: "" } : {}), {
      headers: tokenHeaders(flags),
    });
  } catch (error) {
    throw new AgentUnreachableError(
      `Error querying the agent at ${client.address}: ${(error as Error).message}`,
    );
  }
  if (!res.ok) {
    const text = await res.text();
    let detail = text;
    try {
      detail = (JSON.parse(text) as { error?: string }).error ?? text;
    } catch {
      // not JSON: the text is the detail
    }
    throw new ApiError(res.status, `GET /v1/operator/snapshot: ${res.status} ${detail}`, text);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, bytes);
  await rename(temp, file);
  return { bytes: bytes.length, index: Number(res.headers.get("x-nomad-index") ?? "0") };
}

/** Nomad's SchedulerConfiguration as `GET /v1/operator/scheduler/configuration` answers it. */
export interface SchedulerConfig {
  SchedulerAlgorithm: string;
  PreemptionConfig: {
    SystemSchedulerEnabled: boolean;
    SysBatchSchedulerEnabled: boolean;
    BatchSchedulerEnabled: boolean;
    ServiceSchedulerEnabled: boolean;
  };
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

/** Nomad's `operator scheduler get-config` output. */
export function schedulerConfigText(c: SchedulerConfig): string {
  const p = c.PreemptionConfig;
  return keyValues([
    ["Scheduler Algorithm", c.SchedulerAlgorithm],
    ["Memory Oversubscription", c.MemoryOversubscriptionEnabled],
    ["Reject Job Registration", c.RejectJobRegistration],
    ["Pause Eval Broker", c.PauseEvalBroker],
    ["Preemption System Scheduler", p.SystemSchedulerEnabled],
    ["Preemption Service Scheduler", p.ServiceSchedulerEnabled],
    ["Preemption Batch Scheduler", p.BatchSchedulerEnabled],
    ["Preemption SysBatch Scheduler", p.SysBatchSchedulerEnabled],
    ["Modify Index", c.ModifyIndex],
  ]);
}

interface SetConfigFlags extends GlobalFlags {
  schedulerAlgorithm?: string;
  preemptServiceScheduler?: string;
  preemptBatchScheduler?: string;
  preemptSystemScheduler?: string;
  preemptSysbatchScheduler?: string;
  memoryOversubscription?: string;
  rejectJobRegistration?: string;
  pauseEvalBroker?: string;
  checkIndex?: string;
}

function boolFlag(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new CliError(`${flag} must be true or false, got ${JSON.stringify(value)}`);
}

/** The current configuration with the flags given applied (unset flags keep their values). */
export function applySetConfigFlags(current: SchedulerConfig, flags: SetConfigFlags): SchedulerConfig {
  const algorithm = flags.schedulerAlgorithm;
  if (algorithm !== undefined && algorithm !== "binpack" && algorithm !== "spread")
    throw new CliError(`-scheduler-algorithm must be binpack or spread, got ${JSON.stringify(algorithm)}`);
  const p = current.PreemptionConfig;
  return {
    ...current,
    SchedulerAlgorithm: algorithm ?? current.SchedulerAlgorithm,
    PreemptionConfig: {
      SystemSchedulerEnabled:
        boolFlag(flags.preemptSystemScheduler, "-preempt-system-scheduler") ?? p.SystemSchedulerEnabled,
      SysBatchSchedulerEnabled:
        boolFlag(flags.preemptSysbatchScheduler, "-preempt-sysbatch-scheduler") ?? p.SysBatchSchedulerEnabled,
      BatchSchedulerEnabled:
        boolFlag(flags.preemptBatchScheduler, "-preempt-batch-scheduler") ?? p.BatchSchedulerEnabled,
      ServiceSchedulerEnabled:
        boolFlag(flags.preemptServiceScheduler, "-preempt-service-scheduler") ?? p.ServiceSchedulerEnabled,
    },
    MemoryOversubscriptionEnabled:
      boolFlag(flags.memoryOversubscription, "-memory-oversubscription") ??
      current.MemoryOversubscriptionEnabled,
    RejectJobRegistration:
      boolFlag(flags.rejectJobRegistration, "-reject-job-registration") ?? current.RejectJobRegistration,
    PauseEvalBroker: boolFlag(flags.pauseEvalBroker, "-pause-eval-broker") ?? current.PauseEvalBroker,
  };
}

function addSchedulerCommands(operator: Command): void {
  const scheduler = new Command("scheduler").description("view and change the scheduler configuration");
  withGlobals(scheduler.command("get-config"))
    .description("show the scheduler configuration")
    .action(
      action(async (flags: GlobalFlags): Promise<number> => {
        const { body } = await clientFor(flags).request<{ SchedulerConfig: SchedulerConfig }>(
          "GET",
          "/v1/operator/scheduler/configuration",
        );
        write(flags.json === true ? json(body.SchedulerConfig) : schedulerConfigText(body.SchedulerConfig));
        return 0;
      }),
    );
  withGlobals(scheduler.command("set-config"), { json: false })
    .description("change the scheduler configuration (unset flags keep their values)")
    .option("--scheduler-algorithm <alg>", "binpack or spread")
    .option("--preempt-service-scheduler <bool>", "preemption for service jobs")
    .option("--preempt-batch-scheduler <bool>", "preemption for batch jobs")
    .option("--preempt-system-scheduler <bool>", "preemption for system jobs")
    .option("--preempt-sysbatch-scheduler <bool>", "preemption for sysbatch jobs")
    .option("--memory-oversubscription <bool>", "let tasks use memory_max above their reservation")
    .option("--reject-job-registration <bool>", "refuse job registrations")
    .option("--pause-eval-broker <bool>", "pause the leader's eval broker")
    .option("--check-index <n>", "write only if the configuration's ModifyIndex is still n")
    .action(
      action(async (flags: SetConfigFlags): Promise<number> => {
        const client = clientFor(flags);
        const checkIndex = intFlag(flags.checkIndex, "-check-index");
        const { body: current } = await client.request<{ SchedulerConfig: SchedulerConfig }>(
          "GET",
          "/v1/operator/scheduler/configuration",
        );
        const next = applySetConfigFlags(current.SchedulerConfig, flags);
        const { body } = await client.request<{ Updated: boolean; Index: number }>(
          "PUT",
          "/v1/operator/scheduler/configuration",
          { body: next, ...(checkIndex === undefined ? {} : { query: { cas: checkIndex } }) },
        );
        if (!body.Updated) {
          throw new CliError(
            `Scheduler configuration not updated: its ModifyIndex is no longer ${checkIndex ?? "the one read"}`,
          );
        }
        write(`Scheduler configuration updated! (index ${body.Index})`);
        return 0;
      }),
    );
  operator.addCommand(scheduler);
}

export function addOperatorCommands(program: Command): void {
  const operator = new Command("operator").description("cluster-level tools for operators");
  const raft = new Command("raft").description("inspect and change the Raft configuration");

  withGlobals(raft.command("list-peers"))
    .description("list the Raft peers: which one leads, which ones vote")
    .action(
      action(async (flags: GlobalFlags): Promise<number> => {
        const { body } = await clientFor(flags).request<{ Servers: RaftPeer[] }>(
          "GET",
          "/v1/operator/raft/configuration",
        );
        write(flags.json === true ? json(body.Servers) : peersTable(body.Servers));
        return 0;
      }),
    );

  withGlobals(raft.command("remove-peer"), { json: false })
    .description("remove a server from the Raft configuration")
    .option("--peer-id <id>", "the Raft ID of the server")
    .option("--peer-address <addr>", "the Raft address (host:port) of the server")
    .action(
      action(async (flags: PeerFlags): Promise<number> => {
        const query = peerQuery(flags, true);
        await clientFor(flags).request("DELETE", "/v1/operator/raft/peer", { query });
        write(
          `Removed peer with ${query["id"] !== undefined ? "id" : "address"} "${query["id"] ?? query["address"]}"`,
        );
        return 0;
      }),
    );

  withGlobals(raft.command("transfer-leadership"), { json: false })
    .description("hand Raft leadership to another server (default: the most up-to-date voter)")
    .option("--peer-id <id>", "the Raft ID of the server to lead")
    .option("--peer-address <addr>", "the Raft address (host:port) of the server to lead")
    .action(
      action(async (flags: PeerFlags): Promise<number> => {
        const { body } = await clientFor(flags).request<{ Leader: string }>(
          "PUT",
          "/v1/operator/raft/transfer-leadership",
          { query: peerQuery(flags, false) },
        );
        write(`Transferred leadership to ${body.Leader}`);
        return 0;
      }),
    );
  operator.addCommand(raft);
  addAutopilotCommands(operator);

  const snapshot = new Command("snapshot").description("save and restore the cluster's state");
  withGlobals(snapshot.command("save").argument("<file>", "where to write the snapshot"), { json: false })
    .description("save a point-in-time snapshot of the state to a file")
    .option("--stale", "let a follower answer from its own state, without asking the leader first")
    .action(
      action(async (file: string, flags: GlobalFlags & { stale?: boolean }): Promise<number> => {
        const saved = await saveSnapshot(clientFor(flags), flags, file, flags.stale === true);
        write(`State file written to ${file} (${saved.bytes} bytes, index ${saved.index})`);
        return 0;
      }),
    );
  withGlobals(snapshot.command("restore").argument("<file>", "a file written by `snapshot save`"), {
    json: false,
  })
    .description("replace the cluster's state with a snapshot (send it to the leader)")
    .action(
      action(async (file: string, flags: GlobalFlags): Promise<number> => {
        let bytes: Buffer;
        try {
          bytes = await readFile(file);
        } catch (error) {
          throw new CliError(`Error reading ${file}: ${(error as Error).message}`);
        }
        const { body } = await clientFor(flags).request<{ Index: number; Records: number }>(
          "PUT",
          "/v1/operator/snapshot",
          { body: bytes },
        );
        write(`Snapshot Restored (${body.Records} records, at index ${body.Index})`);
        return 0;
      }),
    );
  operator.addCommand(snapshot);
  addSchedulerCommands(operator);
  program.addCommand(operator);
}

/** `drover event stream`: the server's event stream as ndjson on stdout, until interrupted. */
export function addEventCommands(program: Command): void {
  const event = new Command("event").description("follow the cluster's events");
  withGlobals(event.command("stream"), { json: false })
    .description("print events as they happen (one JSON line per Raft index)")
    .option("--topic <topic>", "Topic or Topic:key (repeatable; default every topic)", collect, [])
    .option("--index <n>", "start at this index (resume a stream)")
    .action(
      action(async (flags: GlobalFlags & { topic: string[]; index?: string }) => {
        const client = clientFor(flags);
        // --namespace (or DROVER_NAMESPACE; `*` for all) comes with the client's URL.
        const url = new URL(client.url("/v1/event/stream"));
        for (const topic of flags.topic) url.searchParams.append("topic", topic);
        const index = intFlag(flags.index, "-index");
        if (index !== undefined) url.searchParams.set("index", String(index));
        const controller = new AbortController();
        process.once("SIGINT", () => controller.abort());
        let res: Response;
        try {
          res = await client.fetchUrl(url, {
            headers: tokenHeaders(flags),
            signal: controller.signal,
          });
        } catch (error) {
          throw new AgentUnreachableError(
            `Error querying the agent at ${client.address}: ${(error as Error).message}`,
          );
        }
        if (!res.ok || res.body === null)
          throw new CliError(`Error: event stream: ${res.status} ${await res.text()}`);
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
            process.stdout.write(chunk);
        } catch (error) {
          if (!controller.signal.aborted) throw error;
        }
        return 0;
      }),
    );
  program.addCommand(event);
}
