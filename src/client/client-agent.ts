import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { NotFoundError, PermissionDeniedError } from "../common/errors.js";
import { MAX_GRPC_MESSAGE_BYTES } from "../common/limits.js";
import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import { rpcServerCredentials } from "../common/tls.js";
import type { Allocation, AllocClientStatus, Job, Node } from "../fsm/index.js";
import type { ServerApi } from "../rpc/server-api.js";
import { AllocSync } from "./alloc-sync.js";
import { AllocRunner } from "./allocrunner/alloc-runner.js";
import type {
  AllocRunnerDeps,
  AllocRunnerHandle,
  LogFrame,
  LogRequest,
} from "./allocrunner/alloc-runner-api.js";
import type { ClientConfig } from "./client-config.js";
import { ClientAgentMetrics } from "./client-metrics.js";
import { checkDataDir } from "./data-dir.js";
import type { Driver } from "./drivers/driver.js";
import { createDrivers } from "./drivers/index.js";
import { fingerprintNode } from "./fingerprint/node-fingerprint.js";
import { HeartbeatStop } from "./heartbeat-stop.js";
import { addClientFsService } from "./logs/client-fs-service.js";
import { Heartbeater } from "./servers/heartbeater.js";
import { serverApiProxy } from "./servers/server-api-proxy.js";
import { ServerList } from "./servers/server-list.js";
import { ClientStateDb, type NodeIdentity } from "./state/client-state-db.js";
import { StatusReporter } from "./status-reporter.js";

export interface ClientAgentOptions {
  config: ClientConfig;
  logger: Logger;
  metrics: AgentMetrics;
  /**
   * Stop every task when the agent stops. Off for a real client (its tasks outlive an agent
   * restart, and the next agent re-attaches to them); on for `--dev`, whose data dir is deleted.
   */
  stopTasksOnShutdown?: boolean;
}

/** How often drivers are fingerprinted again; a change of health re-registers the node. */
const REFINGERPRINT_MS = 30_000;

/** How often the client checks whether it has been cut off from the servers too long to run on. */
const HEARTBEAT_STOP_CHECK_MS = 1_000;

/**
 * The client agent: registers this machine as a node with any server, keeps it alive with
 * heartbeats, follows the node's allocations and runs their tasks with real drivers, reports
 * their status in batches, and serves task logs to servers over its own gRPC port.
 *
 * Start order matters for "no task ever runs twice": allocations recorded in the local state DB
 * are restored (runners re-attach to tasks still running) BEFORE the node registers and the
 * alloc watch starts, so the first message from the servers finds every runner already present.
 */
export class ClientAgent {
  private refingerprintTimer: NodeJS.Timeout | undefined;
  private heartbeatStopTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    private readonly o: ClientAgentOptions,
    private readonly state: ClientStateDb,
    private readonly grpcServer: grpc.Server,
    readonly rpcAddress: string,
    private node: Node,
    private readonly drivers: ReadonlyMap<string, Driver>,
    private readonly servers: ServerList,
    private readonly reporter: StatusReporter,
    private readonly sync: AllocSync,
    private readonly heartbeater: Heartbeater,
  ) {}

  static async start(o: ClientAgentOptions): Promise<ClientAgent> {
    const { config, logger } = o;
    await checkDataDir(config.dataDir);
    const stateDir = join(config.dataDir, "client", "state");
    const allocRoot = join(config.dataDir, "alloc");
    await mkdir(stateDir, { recursive: true });
    await mkdir(allocRoot, { recursive: true });
    const state = await ClientStateDb.open(stateDir);
    const identity = await loadIdentity(state);
    const drivers = createDrivers({
      enabled: new Set(config.driverEnable),
      ctx: { logger: logger.child({ component: "driver" }), dataDir: config.dataDir },
    });

    // Servers forward log requests to this port; bound first so the node can advertise it.
    let sync: AllocSync | undefined;
    const grpcServer = new grpc.Server({
      "grpc.max_receive_message_length": MAX_GRPC_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_GRPC_MESSAGE_BYTES,
    });
    const aclServers: { list?: ServerList } = {};
    addClientFsService(
      grpcServer,
      (allocId, request) =>
        config.aclEnabled === true
          ? authorizedLogs(aclServers.list, sync, allocId, request)
          : logsOf(sync, allocId, request),
      logger,
      o.metrics,
    );
    const port = await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync(
        `${config.bind}:${config.rpcPort}`,
        // Only servers fetch logs from a client (forwarded log requests).
        rpcServerCredentials(() => true),
        (e, p) => (e === null ? resolve(p) : reject(e)),
      ),
    );
    const rpcAddress = `${config.bind}:${port}`;

    let node = await fingerprintNode(config, identity, drivers, rpcAddress, Date.now() * 1e6);
    const servers = new ServerList(config.servers, logger.child({ component: "servers" }));
    aclServers.list = servers;
    const reporter = new StatusReporter({
      servers,
      nodeId: identity.ID,
      secretId: identity.SecretID,
      logger: logger.child({ component: "alloc-status" }),
    });
    const metrics = new ClientAgentMetrics(o.metrics, () => allocStates(sync));
    const deps: AllocRunnerDeps = {
      logger: logger.child({ component: "alloc-runner" }),
      allocRoot,
      node: () => node,
      region: config.region,
      drivers,
      state,
      onUpdate: (fields) => reporter.queue(fields),
      nowMs: () => Date.now(),
      metrics,
    };
    const createRunner = (alloc: Allocation, job: Job): AllocRunnerHandle =>
      new AllocRunner(deps, alloc, job);
    sync = new AllocSync({
      servers,
      nodeId: identity.ID,
      secretId: identity.SecretID,
      logger: logger.child({ component: "alloc-sync" }),
      createRunner,
      report: (fields) => reporter.queue(fields),
    });
    const heartbeatSync = sync;
    const heartbeatStop = new HeartbeatStop({
      nowMs: () => Date.now(),
      logger: logger.child({ component: "heartbeat-stop" }),
      allocs: () => heartbeatSync.entries(),
    });
    const heartbeater = new Heartbeater({
      servers,
      node: () => node,
      logger: logger.child({ component: "heartbeat" }),
      onContact: () => heartbeatStop.contact(),
    });
    const agent = new ClientAgent(
      o,
      state,
      grpcServer,
      rpcAddress,
      node,
      drivers,
      servers,
      reporter,
      sync,
      heartbeater,
    );

    // Restore before registering (see the class comment).
    const stored = await state.allocs();
    for (const entry of stored) {
      const runner = createRunner(entry.alloc, entry.job);
      sync.adopt(entry, runner);
    }
    await Promise.all(sync.allRunners().map((runner) => runner.restore()));
    if (stored.length > 0) logger.info({ allocs: stored.length }, "restored allocations from the state DB");

    await heartbeater.start();
    sync.start();
    agent.heartbeatStopTimer = setInterval(() => heartbeatStop.check(), HEARTBEAT_STOP_CHECK_MS);
    agent.heartbeatStopTimer.unref();
    agent.scheduleRefingerprint((next) => {
      node = next;
      agent.node = next;
    });
    logger.info({ node: identity.ID, name: config.nodeName, rpc: rpcAddress }, "client started");
    return agent;
  }

  get nodeId(): string {
    return this.node.ID;
  }

  /** The node as last fingerprinted. */
  currentNode(): Node {
    return this.node;
  }

  /** A task's log from the allocation's runner on this client (NotFoundError for others). */
  logs(allocId: string, request: LogRequest): AsyncIterable<LogFrame> {
    return logsOf(this.sync, allocId, request);
  }

  /** The servers' API through whichever server answers (the client agent's HTTP API uses it). */
  serverApi(): ServerApi {
    return serverApiProxy(this.servers);
  }

  runner(allocId: string): AllocRunnerHandle | undefined {
    return this.sync.runner(allocId);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.refingerprintTimer !== undefined) clearTimeout(this.refingerprintTimer);
    if (this.heartbeatStopTimer !== undefined) clearInterval(this.heartbeatStopTimer);
    this.heartbeater.stop();
    this.sync.stop();
    if (this.o.stopTasksOnShutdown === true) {
      await Promise.all(this.sync.allRunners().map((r) => r.stop("agent shutting down")));
    } else {
      // Tasks keep running; the next agent on this data dir re-attaches to them.
      await Promise.all(this.sync.allRunners().map((r) => r.shutdown()));
    }
    await this.reporter
      .flush()
      .catch((error: unknown) => this.o.logger.warn({ err: error }, "final status update failed"));
    this.reporter.close();
    this.servers.close();
    await new Promise<void>((resolve) => {
      this.grpcServer.tryShutdown(() => resolve());
      setTimeout(() => this.grpcServer.forceShutdown(), 1000).unref();
    });
    await this.state.close();
  }

  /** Fingerprints drivers again now and then; a changed health re-registers the node. */
  private scheduleRefingerprint(onChange: (node: Node) => void): void {
    this.refingerprintTimer = setTimeout(() => {
      this.refingerprint(onChange)
        .catch((error: unknown) => this.o.logger.warn({ err: error }, "fingerprint failed"))
        .finally(() => {
          if (!this.stopped) this.scheduleRefingerprint(onChange);
        });
    }, REFINGERPRINT_MS);
    this.refingerprintTimer.unref();
  }

  private async refingerprint(onChange: (node: Node) => void): Promise<void> {
    const identity = { ID: this.node.ID, SecretID: this.node.SecretID };
    const next = await fingerprintNode(
      this.o.config,
      identity,
      this.drivers,
      this.rpcAddress,
      Date.now() * 1e6,
    );
    const health = (n: Node): string =>
      JSON.stringify(Object.entries(n.Drivers).map(([name, d]) => [name, d.Detected, d.Healthy]));
    if (health(next) === health(this.node)) return;
    this.o.logger.info("driver health changed; updating the node");
    onChange(next);
    await this.heartbeater.start();
  }
}

async function loadIdentity(state: ClientStateDb): Promise<NodeIdentity> {
  const stored = await state.nodeIdentity();
  if (stored !== undefined) return stored;
  const identity = { ID: randomUUID(), SecretID: randomUUID() };
  await state.putNodeIdentity(identity);
  return identity;
}

function logsOf(sync: AllocSync | undefined, allocId: string, request: LogRequest): AsyncIterable<LogFrame> {
  const runner = sync?.runner(allocId);
  if (runner === undefined) throw new NotFoundError(`allocation ${allocId} not found on this client`);
  return runner.logs(request);
}

/**
 * A log read with ACLs on: a server checks the token of the request (it came with the forwarded
 * call, and rides in the request context) for read-logs on the allocation's namespace first.
 */
async function* authorizedLogs(
  servers: ServerList | undefined,
  sync: AllocSync | undefined,
  allocId: string,
  request: LogRequest,
): AsyncGenerator<LogFrame> {
  if (servers === undefined)
    throw new PermissionDeniedError("Permission denied: the client agent is starting");
  await serverApiProxy(servers).aclAuthorizeAlloc(allocId, "read-logs");
  yield* logsOf(sync, allocId, request);
}

function* allocStates(sync: AllocSync | undefined): Iterable<AllocClientStatus> {
  if (sync === undefined) return;
  for (const runner of sync.allRunners()) yield runner.clientFields().ClientStatus;
}
