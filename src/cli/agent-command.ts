import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, Option } from "commander";
import { HttpApiServer } from "../api/http-server.js";
import { v1Router } from "../api/v1-routes.js";
import { NodeSimulator } from "../client/node-sim/node-simulator.js";
import { schedule } from "../scheduler/index.js";
import { ServerAgent } from "../server/agent.js";
import { ValidationError } from "../shared/errors.js";
import { createLogger, type Logger } from "../shared/log.js";
import { type AgentConfig, type AgentFlags, resolveAgentConfig } from "./agent-config.js";

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Registers `drover agent` (flags of ../../../shared/INTERFACES.md). */
export function addAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("run a Drover agent (server, client, or both with --dev)")
    .option("--server", "run a server (Raft member, schedulers, API)")
    .option("--client", "run a client (registers this machine as a node)")
    .option("--dev", "one server and one client in one process, temporary data dir, HTTP 127.0.0.1:4646")
    .option("--node <name>", "the agent's name (Raft id of a server, node Name of a client)")
    .option("--data-dir <dir>", "where state is kept")
    .option("--bind <addr>", "address to listen on", undefined)
    .option("--http-port <port>", "HTTP API and metrics port (default 4646)")
    .option("--rpc-port <port>", "gRPC port: Raft and server RPC (default 4647)")
    .option("--region <region>", "region (default global)")
    .option("--dc <dc>", "datacenter (default dc1)")
    .option("--bootstrap-expect <n>", "servers to wait for before bootstrapping the cluster")
    .option("--join <addrs>", "comma-separated host:port of other servers")
    .option("--servers <addrs>", "client: comma-separated host:port of servers")
    .option("--min-heartbeat-ttl <duration>", "lower bound of client heartbeat TTLs (default 10s)")
    .option("--heartbeat-grace <duration>", "grace after a missed TTL before a node is down (default 10s)")
    .option("--raft-multiplier <n>", "scales Raft timing (default 1)")
    .option("--num-schedulers <n>", "scheduler workers on this server (default 2)")
    .option("--node-class <class>", "client: node class")
    .option("--node-pool <pool>", "client: node pool (default default)")
    .addOption(new Option("--meta <key=value>", "client: node metadata (repeatable)").argParser(collect))
    .option("--cpu-total-compute <mhz>", "client: override fingerprinted CPU")
    .option("--memory-total-mb <mb>", "client: override fingerprinted memory")
    .option("--driver-enable <list>", "client: comma-separated drivers to enable")
    .option("--config <file>", "agent configuration file (HCL or JSON)")
    .action(async (flags: AgentFlags) => {
      const config = await resolveAgentConfig(flags);
      await runAgent(config);
    });
}

/**
 * Runs the agent until SIGINT/SIGTERM, then stops it cleanly (exit 0). Startup failures reject,
 * and main.ts prints them as one line with exit code 1.
 */
export async function runAgent(config: AgentConfig): Promise<void> {
  const logger = createLogger(config.nodeName);
  if (config.client && !config.dev) {
    throw new ValidationError(
      "the client agent is not built yet; use --dev or the node simulator",
      "--client",
    );
  }
  let tempDir: string | undefined;
  let dataDir = config.dataDir;
  if (dataDir === undefined) {
    tempDir = await mkdtemp(join(tmpdir(), "drover-dev-"));
    dataDir = tempDir;
  }
  const server = await ServerAgent.start({
    config: {
      name: config.nodeName,
      dataDir,
      bind: config.bind,
      rpcPort: config.rpcPort,
      region: config.region,
      datacenter: config.datacenter,
      bootstrapExpect: config.dev ? 1 : config.bootstrapExpect,
      join: config.join,
      minHeartbeatTtlMs: config.minHeartbeatTtlMs,
      heartbeatGraceMs: config.heartbeatGraceMs,
      raftMultiplier: config.raftMultiplier,
      raftSnapshotThreshold: config.raftSnapshotThreshold,
      raftSnapshotIntervalMs: config.raftSnapshotIntervalMs,
      raftTrailingLogs: config.raftTrailingLogs,
      numSchedulers: config.numSchedulers,
    },
    logger,
    schedule,
  });
  const http = new HttpApiServer({
    host: config.bind,
    port: config.httpPort,
    logger: logger.child({ component: "http" }),
    router: v1Router({
      api: server.endpoints,
      agent: {
        name: config.nodeName,
        region: config.region,
        datacenter: config.datacenter,
        rpcAddress: server.rpcAddress,
        httpAddress: `${config.bind}:${config.httpPort}`,
        server: true,
        config: { ...config },
      },
      metrics: server.metrics,
      nowNs: () => Date.now() * 1e6,
    }),
  });
  let httpPort: number;
  try {
    httpPort = await http.listen();
  } catch (error) {
    await server.stop();
    throw error;
  }
  logger.info({ http: `http://${config.bind}:${httpPort}`, rpc: server.rpcAddress }, "agent ready");
  // Until the client agent lands, --dev runs one simulated client node over the real client RPCs.
  const devClient = config.dev ? await startDevClient(server.rpcAddress, logger) : undefined;

  await waitForSignal();
  logger.info("shutting down");
  devClient?.close();
  await http.close();
  await server.stop();
  if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
}

async function startDevClient(rpcAddress: string, logger: Logger): Promise<NodeSimulator> {
  const sim = new NodeSimulator({
    servers: [rpcAddress],
    logger: logger.child({ component: "dev-client" }),
    namePrefix: "dev-client",
  });
  await sim.addNodes(1);
  return sim;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGINT", done);
      process.off("SIGTERM", done);
      resolve();
    };
    process.on("SIGINT", done);
    process.on("SIGTERM", done);
  });
}
