import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addAutopilotRoutes } from "../api/autopilot-routes.js";
import { addEventRoutes } from "../api/event-routes.js";
import { forwardedLogSource } from "../api/forwarded-logs.js";
import { type Handler, HttpApiServer } from "../api/http-server.js";
import { addLogRoutes } from "../api/log-routes.js";
import { addOperatorRoutes } from "../api/operator-routes.js";
import { agentGuardOptions, RouteGuard, type RouteGuardOptions } from "../api/route-acl.js";
import { Router } from "../api/router.js";
import { addSearchRoutes } from "../api/search-routes.js";
import { v1Router } from "../api/v1-routes.js";
import { ClientAgent } from "../client/client-agent.js";
import type { ClientConfig } from "../client/client-config.js";
import { NotFoundError, ValidationError } from "../common/errors.js";
import { createLogger, type Logger } from "../common/log.js";
import { AgentMetrics } from "../common/metrics.js";
import { AgentTls, useRpcTls } from "../common/tls.js";
import { schedule } from "../scheduler/index.js";
import { ServerAgent } from "../server/agent.js";
import type { AgentConfig } from "./agent-config.js";
import { IGNORE_SIGINT_ENV } from "./agent-env.js";
import { exposureWarnings } from "./exposure.js";

/**
 * Runs the agent until SIGINT/SIGTERM, then stops it cleanly (exit 0). Startup failures reject,
 * and main.ts prints them as one line with exit code 1. A server, a client or both (`--dev`).
 */
export async function runAgent(config: AgentConfig): Promise<void> {
  const logger = createLogger(config.nodeName, {
    ...(config.logLevel === undefined ? {} : { level: config.logLevel }),
    format: (config.logJson ?? !process.stdout.isTTY) ? "json" : "text",
  });
  // Said twice on purpose: in the log for collectors, and as a banner on stderr for whoever
  // started the agent by hand.
  for (const warning of exposureWarnings(config)) {
    logger.warn({ bind: config.bind }, `SECURITY WARNING: ${warning}`);
    process.stderr.write(`==> WARNING: ${warning}\n`);
  }
  let tempDir: string | undefined;
  let dataDir = config.dataDir;
  if (dataDir === undefined) {
    tempDir = await mkdtemp(join(tmpdir(), "drover-dev-"));
    dataDir = tempDir;
  }
  // Read before any port opens: a bad certificate is a one-line startup error.
  const tls = config.tls.http || config.tls.rpc ? new AgentTls(config.tls, config.region) : undefined;
  if (config.tls.rpc) useRpcTls(tls);
  const stops: Array<() => Promise<void>> = [];
  // From the start: SIGHUP's default action would kill an agent still waiting for its peers.
  const stopReloads = reloadOnSighup(tls, logger);
  stops.push(async () => stopReloads());
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    // The HTTP port is bound first, so that the ports can be announced before a server's
    // discovery (which waits for the other servers) and so the client can advertise its address;
    // the routes are added once the agent's parts exist, then served (until then every request
    // is a 503).
    const router = new Router<Handler>();
    // The guard reads the agent's parts, which exist only once the port is bound (below).
    let guardOptions: RouteGuardOptions | undefined;
    const http = new HttpApiServer({
      host: config.bind,
      port: config.httpPort,
      logger: logger.child({ component: "http" }),
      router,
      ...(config.acl.enabled
        ? {
            guard: new RouteGuard({
              resolve: (secret) => requireParts(guardOptions).resolve(secret),
              namespaceOfObject: (object, id) => requireParts(guardOptions).namespaceOfObject(object, id),
            }),
          }
        : {}),
      ...(tls !== undefined && config.tls.http
        ? { https: { ...tls.current(), requireClientCert: config.tls.verifyHttpsClient } }
        : {}),
    });
    if (tls !== undefined && config.tls.http) tls.onReload((material) => http.setSecureContext(material));
    const httpPort = await http.bind();
    stops.push(() => http.close());
    const announce = (rpcAddress: string): void => announcePorts(httpPort, portOf(rpcAddress));
    const server = config.server ? await startServer(config, dataDir, logger, announce) : undefined;
    if (server !== undefined) stops.push(() => server.stop());
    const metrics = server?.metrics ?? new AgentMetrics(config.nodeName);
    const httpAddress = `${config.bind}:${httpPort}`;
    const servers = server !== undefined ? [server.rpcAddress] : config.servers;
    const client = config.client
      ? await ClientAgent.start({
          config: clientConfig(config, dataDir, httpAddress, servers),
          logger: logger.child({ component: "client" }),
          metrics,
          stopTasksOnShutdown: config.dev || config.stopTasksOnShutdown,
        })
      : undefined;
    if (client !== undefined) stops.push(() => client.stop());
    if (server === undefined && client !== undefined) announce(client.rpcAddress);
    const api = server?.endpoints ?? client?.serverApi();
    if (api === undefined) throw new Error("agent: neither a server nor a client");
    guardOptions = agentGuardOptions(api, server === undefined ? undefined : () => server.context.state(), {
      ttlMs: config.acl.tokenTtlMs,
    });
    const forwarded = server !== undefined ? forwardedLogSource(server.endpoints) : undefined;
    if (forwarded !== undefined) stops.push(async () => forwarded.close());
    v1Router(
      {
        api,
        ...(server === undefined ? {} : { operator: server }),
        agent: {
          name: config.nodeName,
          region: config.region,
          datacenter: config.datacenter,
          rpcAddress: server?.rpcAddress ?? client?.rpcAddress ?? "",
          httpAddress,
          server: server !== undefined,
          client: client !== undefined,
          config: { ...config },
        },
        metrics,
        nowNs: () => Date.now() * 1e6,
      },
      router,
    );
    if (server !== undefined) addOperatorRoutes(router, server);
    if (server !== undefined) addAutopilotRoutes(router, server);
    if (server !== undefined) addEventRoutes(router, server.events);
    if (server !== undefined) addSearchRoutes(router, () => server.context.state());
    addLogRoutes(router, (allocId, request) => {
      if (client?.runner(allocId) !== undefined) return client.logs(allocId, request);
      if (forwarded !== undefined) return forwarded(allocId, request);
      throw new NotFoundError(`allocation ${allocId} not found on this client`);
    });
    await http.serve();
    logger.info(
      {
        http: `${config.tls.http ? "https" : "http"}://${httpAddress}`,
        rpc: server?.rpcAddress,
        client: client?.nodeId,
      },
      "agent ready",
    );
    await waitForSignal(logger);
    logger.info("shutting down");
  } finally {
    await stopAll();
  }
}

function requireParts(options: RouteGuardOptions | undefined): RouteGuardOptions {
  // serve() runs after the parts exist: no request reaches a route (or the guard) before.
  if (options === undefined) throw new Error("acl: request checked before the agent started");
  return options;
}

/**
 * One JSON line on stdout once both ports are bound, the ports actually bound (what `--http-port
 * 0` / `--rpc-port 0` picked): `{"drover_agent_listening":{"http":4646,"rpc":4647}}`. Launchers
 * (LocalCluster, tests) read it instead of choosing ports beforehand (docs/agent.md).
 */
function announcePorts(http: number, rpc: number): void {
  process.stdout.write(`${JSON.stringify({ drover_agent_listening: { http, rpc } })}\n`);
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(":") + 1));
}

function startServer(
  config: AgentConfig,
  dataDir: string,
  logger: Logger,
  onRpcListening: (rpcAddress: string) => void,
): Promise<ServerAgent> {
  return ServerAgent.start({
    onRpcListening,
    config: {
      name: config.nodeName,
      dataDir: config.dev ? join(dataDir, "server") : dataDir,
      bind: config.bind,
      rpcPort: config.rpcPort,
      serfPort: config.serfPort,
      logFormat: (config.logJson ?? !process.stdout.isTTY) ? "json" : "text",
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
      aclEnabled: config.acl.enabled,
      autopilot: {
        ...config.autopilot,
        // Never fewer voters than a majority of the servers the cluster was meant to have.
        minQuorum:
          config.autopilot.minQuorum ?? Math.floor((config.dev ? 1 : config.bootstrapExpect) / 2) + 1,
      },
    },
    logger,
    schedule,
  });
}

function clientConfig(
  config: AgentConfig,
  dataDir: string,
  httpAddress: string,
  servers: string[],
): ClientConfig {
  if (servers.length === 0) throw new ValidationError("--servers is required for a client", "agent");
  return {
    nodeName: config.nodeName,
    dataDir: config.dev ? join(dataDir, "client") : dataDir,
    bind: config.bind,
    // A client's gRPC port serves only log requests from servers; next to a server (dev) or
    // when not given, any free port (the node advertises it).
    rpcPort: config.server || config.clientRpcPort === undefined ? 0 : config.clientRpcPort,
    httpAddress,
    region: config.region,
    datacenter: config.datacenter,
    nodeClass: config.nodeClass,
    nodePool: config.nodePool,
    meta: config.meta,
    servers,
    cpuTotalComputeMhz: config.cpuTotalComputeMhz,
    memoryTotalMb: config.memoryTotalMb,
    driverEnable: config.driverEnable,
    reserved: config.reserved,
    aclEnabled: config.acl.enabled,
  };
}

/**
 * SIGHUP re-reads the TLS files (Nomad reloads its TLS configuration on SIGHUP). New handshakes,
 * gRPC and HTTPS, use the new certificate; established connections, the Raft streams among them,
 * keep theirs, so a rotation causes no election. A file that does not load is logged and the
 * running certificate stays. Returns the function that removes the handler.
 */
function reloadOnSighup(tls: AgentTls | undefined, logger: Logger): () => void {
  const onHup = (): void => {
    if (tls === undefined) {
      logger.info("SIGHUP: no TLS configured, nothing to reload");
      return;
    }
    try {
      tls.reload();
      logger.info({ certFile: tls.config.certFile }, "SIGHUP: TLS certificates reloaded");
    } catch (error) {
      logger.error({ err: error }, "SIGHUP: TLS reload failed; keeping the current certificates");
    }
  };
  process.on("SIGHUP", onHup);
  return () => process.off("SIGHUP", onHup);
}

/**
 * Resolves on the first SIGINT or SIGTERM. Later ones while the agent shuts down are noted and
 * otherwise ignored: dying half-way through a shutdown would leave tasks and state behind.
 *
 * With `DROVER_IGNORE_SIGINT=1` SIGINT is ignored altogether: the local cluster sets it, because
 * its agents share its terminal's process group (see local-cluster.ts) and a Ctrl-C there is
 * the harness's to handle, which stops its agents in order with SIGTERM.
 */
function waitForSignal(logger: Logger): Promise<void> {
  const ignoreInterrupt = process.env[IGNORE_SIGINT_ENV] === "1";
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signal === "SIGINT" && ignoreInterrupt) {
        logger.debug({ signal, env: IGNORE_SIGINT_ENV }, "interrupt ignored; waiting for SIGTERM");
        return;
      }
      if (received) {
        logger.warn({ signal }, "already shutting down");
        return;
      }
      received = true;
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
