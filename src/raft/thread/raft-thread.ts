/**
 * The Raft thread's entry (a worker_threads Worker per server agent, started by
 * raft-thread-client.ts). It runs the RaftNode, its LevelDB log and snapshot files, the gRPC
 * transport with a listener of its own, and discovery; nothing else, so that heartbeats, votes
 * and appends keep their timing however busy the agent's main thread is (invariant 6). The state
 * machine is main's (ThreadStateMachine), as are the RPC port and its RaftOperator service,
 * which reach this node through requests on the port.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { Gauge } from "prom-client";
import { NotLeaderError } from "../../common/errors.js";
import { createLogger, type Logger } from "../../common/log.js";
import { AgentMetrics } from "../../common/metrics.js";
import { AgentTls, currentRpcTls, rpcServerCredentials, useRpcTls } from "../../common/tls.js";
import type { Discovery } from "../bootstrap.js";
import { raftChannelOptions } from "../grpc-transport.js";
import type { RaftNode } from "../raft-node.js";
import { type RaftServer, startRaftServer } from "../raft-server.js";
import { EndpointResolver } from "./endpoint-resolver.js";
import { type Envelope, PortOutbox, unbatch } from "./port-outbox.js";
import {
  errorToWire,
  type MainMessage,
  type RaftStatus,
  type RaftThreadSettings,
  type ThreadMessage,
} from "./protocol.js";
import { StreamHost, StreamReader } from "./remote-stream.js";
import { autogroupCaveat, RAFT_THREAD_NICE_BOOST, raiseThreadPriority } from "./thread-priority.js";
import { ThreadStateMachine } from "./thread-state-machine.js";

const port = parentPort;
if (port === null) throw new Error("raft-thread must run in a worker thread");
const settings = workerData as RaftThreadSettings;

const outbox = new PortOutbox<ThreadMessage>((message, transfer) => port?.postMessage(message, transfer));

function post(message: ThreadMessage, transfer?: ArrayBuffer[]): void {
  outbox.post(message, transfer);
}

/** A fatal error goes out at once: the thread may not see another turn. */
function postFatal(error: unknown): void {
  outbox.post({ type: "fatal", error: errorToWire(error) });
  outbox.flush();
}

const log: Logger = createLogger(settings.log.name, {
  level: settings.log.level,
  ...(settings.log.format === undefined ? {} : { format: settings.log.format }),
});
if (settings.tls !== undefined) useRpcTls(new AgentTls(settings.tls.config, settings.tls.region));

const priority = raiseThreadPriority(RAFT_THREAD_NICE_BOOST);
if (priority.raised) {
  const caveat = autogroupCaveat();
  log.info(
    { tid: priority.tid, nice: priority.nice, ...(caveat === undefined ? {} : { caveat }) },
    "raft thread runs at a higher priority",
  );
} else log.info({ reason: priority.reason }, "raft thread runs at its process's priority");

// The thread's own registry (no process metrics: main's registry has them); main merges it into
// /v1/metrics on every scrape.
const metrics = new AgentMetrics(settings.metricsAgent, { processMetrics: false });
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
new Gauge({
  name: "drover_raft_thread_event_loop_lag_max_seconds",
  help: "Longest event-loop delay of the Raft thread since the previous scrape",
  registers: [metrics.registry],
  collect() {
    this.set(lag.count === 0 ? 0 : lag.max / 1e9);
    lag.reset();
  },
});

// The thread's own V8 heap: main's process metrics see only main's isolate.
new Gauge({
  name: "drover_raft_thread_heap_used_bytes",
  help: "V8 heap in use by the Raft thread's isolate",
  registers: [metrics.registry],
  collect() {
    this.set(getHeapStatistics().used_heap_size);
  },
});

const streams = new StreamHost(post);
const reader = new StreamReader(post);
const stateMachine = new ThreadStateMachine(
  post,
  settings.appliedIndex,
  reader,
  streams,
  settings.stateMachinePersists,
);
const resolver = new EndpointResolver();

let node: RaftNode | undefined;
let discovery: Discovery | undefined;
let stopping: Promise<void> | undefined;
let lastStatus = "";
let lastContactPosted = 0;

port.on("message", (envelope: Envelope<MainMessage>) =>
  unbatch(envelope, (message) => {
    try {
      handle(message);
    } catch (error) {
      if ("id" in message) post({ type: "reply", id: message.id, error: errorToWire(error) });
      else log.error({ err: error, type: message.type }, "raft thread: message failed");
    }
  }),
);

function handle(message: MainMessage): void {
  switch (message.type) {
    case "pull":
    case "cancel":
      streams.handle(message);
      return;
    case "chunk":
      reader.handle(message);
      return;
    case "applied":
    case "snapshotTaken":
    case "restored":
    case "persisted":
      stateMachine.answered(message.seq, message);
      return;
    case "smError":
      stateMachine.failed(message.error);
      return;
    case "reloadTls":
      try {
        currentRpcTls()?.reload();
        log.info("raft thread: TLS certificates reloaded");
      } catch (error) {
        log.error({ err: error }, "raft thread: TLS reload failed; keeping the current certificates");
      }
      return;
    case "metrics":
      reply(message.id, () => metrics.registry.getMetricsAsJSON());
      return;
    case "stop":
      reply(message.id, () => stop());
      return;
    case "discover":
      reply(message.id, async () => {
        if (discovery === undefined) throw new Error("raft is starting");
        return discovery.answer(message.request);
      });
      return;
    default:
      break;
  }
  const raft = node;
  // Not running yet: no leader known here, which callers already handle (they wait and retry).
  if (raft === undefined) throw new NotLeaderError(undefined);
  switch (message.type) {
    case "propose": {
      const id = message.id;
      // Main answers an applied proposal itself, from the entry that named it (ThreadStateMachine).
      raft.propose(message.data, undefined, id).then(
        () => {
          if (!stateMachine.delivered(id)) post({ type: "reply", id, error: errorToWire(undelivered(id)) });
        },
        (error: unknown) => {
          stateMachine.delivered(id);
          post({ type: "reply", id, error: errorToWire(error) });
        },
      );
      return;
    }
    case "readBarrier":
      reply(message.id, () => raft.readBarrier());
      return;
    case "addServer":
      reply(message.id, () => raft.addServer(message.server, message.address), true);
      return;
    case "removeServer":
      reply(message.id, () => raft.removeServer(message.server), true);
      return;
    case "transferLeadership":
      reply(message.id, () => raft.transferLeadership(message.target), true);
      return;
    case "autopilotHealth":
      reply(message.id, async () => {
        const health = raft.autopilotHealth();
        return { ...health, lastTerms: [...health.lastTerms] };
      });
      return;
  }
}

/** A proposal applied here whose entry main was not asked to answer: a broken invariant. */
function undelivered(id: number): Error {
  return new Error(`raft thread: proposal ${id} applied but its result never reached main`);
}

/**
 * Answers request `id` with `run`'s outcome. `membership`: the call may have changed the
 * configuration or the leader, so the status goes out first (main reads it right after).
 */
function reply(id: number, run: () => unknown, membership = false): void {
  Promise.resolve()
    .then(run)
    .then(
      (value) => {
        if (membership) pushStatus(true);
        post({ type: "reply", id, value });
      },
      (error: unknown) => {
        if (membership) pushStatus(true);
        post({ type: "reply", id, error: errorToWire(error) });
      },
    );
}

function statusOf(raft: RaftNode): RaftStatus {
  const contact = raft.lastContactMs();
  return {
    leaderId: raft.leaderId(),
    leaderAddress: raft.leaderAddress(),
    term: raft.currentTerm(),
    isLeader: raft.isLeader(),
    configuration: raft.configuration(),
    lastContactAt: raft.isLeader() || !Number.isFinite(contact) ? 0 : Date.now() - contact,
    electionTimeoutMs: raft.electionTimeoutMs(),
    autopilot: raft.autopilotConfiguration(),
  };
}

/**
 * Posts the status when it changed (the last contact only when it moved by 100 ms or more: it
 * moves with every heartbeat, and main's X-Nomad-LastContact needs no finer grain).
 */
function pushStatus(force = false): void {
  if (node === undefined) return;
  const status = statusOf(node);
  const key = JSON.stringify({ ...status, lastContactAt: 0 });
  if (!force && key === lastStatus && Math.abs(status.lastContactAt - lastContactPosted) < 100) return;
  lastStatus = key;
  lastContactPosted = status.lastContactAt;
  post({ type: "status", status });
}

let statusTimer: NodeJS.Timeout | undefined;
const grpcServer = new grpc.Server(raftChannelOptions());

async function start(): Promise<void> {
  const bound = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync(
      `${settings.bind}:${settings.serfPort}`,
      // Everything on this listener is Raft: with verify_server_hostname, servers only.
      rpcServerCredentials(
        () => true,
        (denied) => log.warn(denied, "refused a Raft call from a peer without a server certificate"),
      ),
      (error, boundPort) =>
        error === null
          ? resolve(boundPort)
          : reject(new Error(`raft listener on ${settings.bind}:${settings.serfPort}: ${error.message}`)),
    );
  });
  const raftAddress = `${settings.bind}:${bound}`;
  log.info({ raftAddress }, "raft listening");
  post({ type: "listening", raftAddress });

  const server = await startRaftServer({
    id: settings.id,
    address: settings.rpcAddress,
    dataDir: settings.dataDir,
    stateMachine,
    grpcServer,
    // RaftOperator stays on the agent's RPC port (main), which reaches this node through the port.
    operatorService: false,
    resolveAddress: (address) => resolver.resolve(address),
    bootstrapExpect: settings.bootstrapExpect,
    join: settings.join,
    log,
    metrics,
    raftMultiplier: settings.raftMultiplier,
    snapshotThresholdEntries: settings.snapshotThresholdEntries,
    snapshotIntervalMs: settings.snapshotIntervalMs,
    snapshotThresholdBytes: settings.snapshotThresholdBytes,
    logCacheBytes: settings.logCacheBytes,
    trailingLogs: settings.trailingLogs,
    requestTimeoutMs: settings.requestTimeoutMs,
    autopilot: settings.autopilot,
    onOpen: (raft, found) => {
      node = raft;
      discovery = found;
      raft.onFatal(postFatal);
      raft.onLeaderChange(() => pushStatus(true));
    },
  });
  raftServer = server;
  statusTimer = setInterval(() => pushStatus(), 100);
  post({ type: "started", outcome: server.outcome.kind, status: statusOf(server.node) });
}

let raftServer: RaftServer | undefined;

function stop(): Promise<void> {
  stopping ??= (async () => {
    if (statusTimer !== undefined) clearInterval(statusTimer);
    if (raftServer !== undefined) {
      await raftServer.stop();
    } else {
      // Stopped while starting (discovery still running): end discovery, then the node.
      discovery?.close();
      await node?.stop();
    }
    resolver.close();
    await new Promise<void>((resolve) => {
      grpcServer.tryShutdown(() => resolve());
      setTimeout(() => grpcServer.forceShutdown(), 1000).unref();
    });
    streams.clear();
    lag.disable();
  })();
  return stopping;
}

start().catch((error: unknown) => {
  log.error({ err: error }, "raft thread failed to start");
  postFatal(error);
});
