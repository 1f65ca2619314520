import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Gauge } from "prom-client";
import { NotFoundError, NotLeaderError, ValidationError } from "../common/errors.js";
import type { LogFormat, Logger } from "../common/log.js";
import { AgentMetrics } from "../common/metrics.js";
import { currentRpcTls, rpcServerCredentials } from "../common/tls.js";
import { DroverFsm } from "../fsm/drover-fsm.js";
import { CorruptSnapshotError } from "../fsm/errors.js";
import { decodeSnapshotFile, encodeSnapshotFileHeader } from "../fsm/snapshot-file.js";
import { tablesFromSnapshot, writeSnapshotStream } from "../fsm/snapshot-stream.js";
import type { AutopilotHealthResponse__Output } from "../gen/proto/drover/raft/AutopilotHealthResponse.js";
import type { OperatorResponse__Output } from "../gen/proto/drover/raft/OperatorResponse.js";
import type { RaftOperatorClient } from "../gen/proto/drover/raft/RaftOperator.js";
import type { AutopilotConfig } from "../raft/autopilot.js";
import { ConfChangeRejectedError } from "../raft/core/index.js";
import { raftProto } from "../raft/grpc-transport.js";
import { addRaftOperatorService, autopilotHealthMessage, LeaderForwarder } from "../raft/operator-service.js";
import type { RaftConfiguration } from "../raft/raft-node.js";
import { RaftThreadClient } from "../raft/thread/raft-thread-client.js";
import { SystemClock } from "./clock.js";
import { eventsOfCommit } from "./events/commit-events.js";
import { EventBroker } from "./events/event-broker.js";
import { Forwarder } from "./forward.js";
import { FsmApplyTimer } from "./fsm-apply-timer.js";
import { DEFAULT_HEARTBEAT_CONFIG } from "./heartbeats.js";
import { DEFAULT_LEADER_CONFIG, Leader } from "./leader.js";
import { ObservedFsm, RaftServerContext } from "./raft-context.js";
import { AllocWatchHub } from "./rpc/alloc-watch-hub.js";
import { ApiLeaderClient } from "./rpc/api-leader-client.js";
import { type LeaderDuties, ServerEndpoints } from "./rpc/endpoints.js";
import { serverAclOptions } from "./rpc/grpc-acl.js";
import { addServerService } from "./rpc/grpc-server.js";
import { rpcListenerOptions } from "./rpc/listener-options.js";
import { serverOnlyCall } from "./rpc/server-only-calls.js";
import type { ScheduleFn } from "./scheduler-runner.js";
import { DEFAULT_WORKER_CONFIG, Worker } from "./worker.js";

/** What a server agent is configured with (the CLI maps flags and config files onto it). */
export interface ServerAgentConfig {
  /** The agent's name: its Raft id and node name in `/v1/agent/self`. */
  name: string;
  dataDir: string;
  bind: string;
  /** 0 picks a free port. */
  rpcPort: number;
  /**
   * The Raft thread's own listener (Nomad's serf port slot; Drover has no gossip). Default 0: a
   * free port, which peers learn from this server's RPC port (RaftOperator/RaftEndpoint).
   */
  serfPort?: number | undefined;
  /** The log format the Raft thread writes in (its own logger, same destination). */
  logFormat?: LogFormat | undefined;
  region: string;
  datacenter: string;
  bootstrapExpect: number;
  join: readonly string[];
  minHeartbeatTtlMs: number;
  heartbeatGraceMs: number;
  raftMultiplier: number;
  /** Nomad's raft_snapshot_threshold / raft_snapshot_interval / raft_trailing_logs (Raft defaults when unset). */
  raftSnapshotThreshold?: number | undefined;
  raftSnapshotIntervalMs?: number | undefined;
  raftTrailingLogs?: number | undefined;
  numSchedulers: number;
  /** Learner promotion and dead-server cleanup (Raft's defaults when unset). */
  autopilot?: AutopilotConfig | undefined;
  /** How long a request on a follower waits for a leader (Nomad's rpc_hold_timeout, 5 s). */
  forwardDeadlineMs?: number;
  /** `acl { enabled }`: every gRPC method checks the caller's token (rpc/grpc-acl.ts). */
  aclEnabled?: boolean;
}

/**
 * The largest FSM snapshot `restoreSnapshot` accepts: it travels as one Raft entry, and an entry
 * must fit one Raft gRPC message (64 MiB) with room to spare.
 */
export const MAX_RESTORE_BYTES = 32 << 20;

export interface ServerAgentOptions {
  config: ServerAgentConfig;
  logger: Logger;
  /**
   * The scheduler entry point the workers run (src/scheduler), on the agent's main thread against
   * FSM snapshots: Raft has its own thread, so a long schedule() no longer delays heartbeats.
   */
  schedule: ScheduleFn;
  /**
   * Called once the gRPC port is bound (with the address, whose port is the bound one when the
   * config asked for 0), before discovery or a join: the agent announces its ports then.
   */
  onRpcListening?: (rpcAddress: string) => void;
}

/**
 * The TTL every node gets right after a leader change, long enough for every client to find the
 * new leader (Nomad: 5 min). It must exceed any TTL handed out before — those scale with the
 * node count (5,000 nodes at 50 beats/s: up to 200 s) — or a leader change marks healthy nodes
 * down. Only an operator who shortened the TTL below the default (tests do) gets a shorter one.
 */
function failoverTtlMs(config: ServerAgentConfig): number {
  const base = DEFAULT_HEARTBEAT_CONFIG.failoverHeartbeatTtlMs;
  if (config.minHeartbeatTtlMs >= DEFAULT_HEARTBEAT_CONFIG.minHeartbeatTtlMs) return base;
  return Math.min(base, Math.max(3 * (config.minHeartbeatTtlMs + config.heartbeatGraceMs), 5_000));
}

/**
 * One Drover server process: the FSM in LevelDB, Raft in its own thread (its node, log and
 * listener; RaftThreadClient here), the leader's duties while it leads, scheduler workers (on
 * every server), and the server RPC endpoints (forwarding to the leader) and the RaftOperator
 * service on the agent's gRPC server. The HTTP API is served over
 * `endpoints` by the caller (src/api may import src/server, not the other way around).
 */
export class ServerAgent {
  private transitions: Promise<void> = Promise.resolve();
  /** RaftOperator clients for membership calls a follower forwards to the leader. */
  private readonly operatorForwarder = new LeaderForwarder();
  private leading = false;
  private stopped = false;

  private constructor(
    readonly config: ServerAgentConfig,
    readonly logger: Logger,
    readonly metrics: AgentMetrics,
    readonly rpcAddress: string,
    readonly endpoints: ServerEndpoints,
    readonly context: RaftServerContext,
    readonly leader: Leader,
    private readonly workers: Worker[],
    private readonly raft: RaftThreadClient,
    private readonly grpcServer: grpc.Server,
    private readonly fsm: DroverFsm,
    private readonly forwarder: Forwarder,
    /** The event stream's events, built from this server's own applied entries. */
    readonly events: EventBroker,
  ) {}

  static async start(options: ServerAgentOptions): Promise<ServerAgent> {
    const { config, logger } = options;
    const metrics = new AgentMetrics(config.name);
    const clock = new SystemClock();
    await mkdir(config.dataDir, { recursive: true });
    // The FSM's LevelDB copy is not fsynced on every write: every entry it holds is already
    // durable in the Raft log (the driver applies only entries it has fsynced), and after a crash
    // the driver replays the log after the FSM's durable index. Before Raft compacts its log, it
    // asks the FSM to persist (one fsynced write), so no entry leaves the log before its effect
    // is durable here. A second fsync per write would double the disk's work on the write path.
    const fsm = await DroverFsm.open(join(config.dataDir, "fsm"), { sync: false });
    fsm.setApplyTimer(new FsmApplyTimer(metrics));
    const observed = new ObservedFsm(fsm);
    const events = new EventBroker();
    fsm.store.onCommit((commit) => {
      const batch = eventsOfCommit(commit);
      if (batch !== undefined) events.publish(batch);
    });
    observed.onRestored(() =>
      events.reset("this server's state was replaced from a snapshot; read the state and subscribe again"),
    );

    const grpcServer = new grpc.Server(rpcListenerOptions());
    const port = await new Promise<number>((resolve, reject) => {
      grpcServer.bindAsync(
        `${config.bind}:${config.rpcPort}`,
        rpcServerCredentials(serverOnlyCall, (denied) =>
          logger.warn(denied, "refused a call for servers only from a peer without a server certificate"),
        ),
        (error, bound) => (error === null ? resolve(bound) : reject(error)),
      );
    });
    const rpcAddress = `${config.bind}:${port}`;
    logger.info({ rpcAddress }, "gRPC listening");
    options.onRpcListening?.(rpcAddress);

    // Raft runs in its own thread (raft/thread/): RaftNode, its log, its listener on the serf
    // port. The FSM stays here and is applied once per entry; RaftOperator stays on the RPC port.
    const tls = currentRpcTls();
    const raft = RaftThreadClient.launch({
      settings: {
        id: config.name,
        rpcAddress,
        bind: config.bind,
        serfPort: config.serfPort ?? 0,
        dataDir: join(config.dataDir, "raft"),
        bootstrapExpect: config.bootstrapExpect,
        join: config.join,
        raftMultiplier: config.raftMultiplier,
        snapshotThresholdEntries: config.raftSnapshotThreshold,
        snapshotIntervalMs: config.raftSnapshotIntervalMs,
        trailingLogs: config.raftTrailingLogs,
        autopilot: config.autopilot,
        tls: tls === undefined ? undefined : { config: tls.config, region: tls.region },
        log: { name: config.name, level: logger.level, format: config.logFormat },
        metricsAgent: config.name,
      },
      stateMachine: observed,
      log: logger.child({ component: "raft-thread" }),
      onFatal: (error) => {
        // Never serve with a dead Raft: the state would stop moving while answering as if fine.
        logger.fatal({ err: error }, "the Raft thread died; exiting");
        process.exit(1);
      },
      onListening: (raftAddress) => logger.info({ raftAddress }, "raft thread listening"),
    });
    tls?.onReload(() => raft.reloadTls());
    metrics.addSource(() => raft.metrics());
    addRaftOperatorService(grpcServer, raft, logger.child({ component: "raft-operator" }), metrics);
    try {
      await raft.running();
    } catch (error) {
      // The Raft thread failed to start (its port taken, its log unreadable): no server here.
      grpcServer.forceShutdown();
      await raft.stop().catch(() => undefined);
      await fsm.close();
      throw error;
    }
    const context = new RaftServerContext(
      raft,
      observed,
      { id: config.name, rpcAddress },
      logger.child({ component: "server" }),
      metrics,
      clock,
    );
    const leader = new Leader(context, {
      ...DEFAULT_LEADER_CONFIG,
      heartbeat: {
        ...DEFAULT_HEARTBEAT_CONFIG,
        minHeartbeatTtlMs: config.minHeartbeatTtlMs,
        heartbeatGraceMs: config.heartbeatGraceMs,
        failoverHeartbeatTtlMs: failoverTtlMs(config),
      },
    });
    const hub = new AllocWatchHub();
    context.onApplied((_index, command) => hub.applied(command, context.state()));
    context.onApplied((_index, command) => {
      if (command.type === "snapshot-restore") hub.wakeAll();
    });
    observed.onRestored(() => hub.wakeAll());
    // Leader implements the duties itself; the annotation keeps it checked against the interface.
    const duties: LeaderDuties = leader;
    const forwarder = new Forwarder(context);
    const endpoints = new ServerEndpoints({
      ctx: context,
      cluster: context,
      forwarder,
      duties: () => (leader.isActive() ? duties : undefined),
      hub,
      forwardDeadlineMs: config.forwardDeadlineMs ?? 5_000,
    });
    addServerService(
      grpcServer,
      endpoints,
      logger.child({ component: "rpc" }),
      endpoints.localOnly(),
      metrics,
      config.aclEnabled === true
        ? serverAclOptions(
            () => context.state(),
            () => clock.now(),
            endpoints,
          )
        : undefined,
    );

    const leaderClient = new ApiLeaderClient(endpoints);
    // schedule() runs here, on FSM snapshots (no replica): Raft's heartbeats and votes run on the
    // Raft thread, so a schedule() of hundreds of milliseconds delays only this thread's work.
    const workers = Array.from(
      { length: config.numSchedulers },
      () => new Worker(context, leaderClient, leaderClient, options.schedule, DEFAULT_WORKER_CONFIG),
    );
    const agent = new ServerAgent(
      config,
      logger,
      metrics,
      rpcAddress,
      endpoints,
      context,
      leader,
      workers,
      raft,
      grpcServer,
      fsm,
      forwarder,
      events,
    );
    agent.registerStateMetrics();
    context.onApplied((index, command) => {
      if (command.type === "snapshot-restore") agent.stateRestored(index);
    });
    raft.onLeaderChange(({ isSelf }) => agent.leadershipChanged(isSelf));
    agent.leadershipChanged(raft.isLeader());
    for (const worker of workers) worker.start();
    logger.info(
      { name: config.name, rpcAddress, raftAddress: raft.raftEndpoint(), outcome: raft.outcome },
      "server agent started",
    );
    return agent;
  }

  /**
   * Leadership transitions run one at a time, in the order Raft reported them, so that a quick
   * lose-and-regain never overlaps an establish with a revoke.
   */
  private leadershipChanged(isSelf: boolean): void {
    if (isSelf === this.leading || this.stopped) return;
    this.leading = isSelf;
    this.transitions = this.transitions
      .then(() => (isSelf ? this.leader.establish() : this.leader.revoke()))
      .catch((error: unknown) => {
        this.logger.error({ err: error, isSelf }, "leadership transition failed");
      });
  }

  /**
   * A snapshot-restore entry replaced the whole state: event subscribers start over, and a
   * leader rebuilds its duties (broker, blocked evals, heartbeats, periodic jobs) from the new
   * state, as Nomad reasserts leadership after a restore.
   */
  private stateRestored(index: number): void {
    this.events.reset(
      `the state was restored from a snapshot at index ${index}; read it and subscribe again`,
    );
    if (!this.leading || this.stopped) return;
    this.logger.info({ index }, "state restored from a snapshot: re-establishing leadership");
    this.transitions = this.transitions
      .then(async () => {
        await this.leader.revoke();
        if (this.leading && !this.stopped) await this.leader.establish();
      })
      .catch((error: unknown) => {
        this.logger.error({ err: error }, "re-establishing leadership after a restore failed");
      });
  }

  /**
   * A point-in-time snapshot of this server's state (`GET /v1/operator/snapshot`): the file
   * header, then the FSM snapshot stream of one immutable state version. On the leader, unless
   * `stale`, a Raft read barrier first, so that every write acknowledged before is in it.
   */
  async saveSnapshot(stale: boolean): Promise<{ index: number; chunks: AsyncIterable<Uint8Array> }> {
    if (!stale && this.raft.isLeader()) await this.context.barrier();
    const tables = this.fsm.store.tables();
    const header = encodeSnapshotFileHeader({
      Index: tables.index,
      Term: this.raft.currentTerm(),
      Server: this.config.name,
    });
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield header;
      yield* writeSnapshotStream(tables);
    }
    return { index: tables.index, chunks: chunks() };
  }

  /**
   * Restores a snapshot file into the cluster (`PUT /v1/operator/snapshot`). The file is checked
   * in full first (a damaged one is a ValidationError and changes nothing), then its FSM stream
   * is proposed as one `snapshot-restore` command: it goes through Raft like any write, so every
   * server replaces its state at the same index. Leader only (no server RPC carries it).
   */
  async restoreSnapshot(file: Uint8Array): Promise<{ index: number; records: number; sourceIndex: number }> {
    let decoded: ReturnType<typeof decodeSnapshotFile>;
    try {
      decoded = decodeSnapshotFile(file);
      if (decoded.fsm.byteLength > MAX_RESTORE_BYTES) {
        throw new ValidationError(
          `snapshot of ${decoded.fsm.byteLength} bytes exceeds the ${MAX_RESTORE_BYTES} bytes one Raft entry may carry`,
          "snapshot restore",
        );
      }
      const fsm = decoded.fsm;
      await tablesFromSnapshot(
        (async function* () {
          yield fsm;
        })(),
      );
    } catch (error) {
      if (error instanceof CorruptSnapshotError) throw new ValidationError(error.message, "snapshot restore");
      // A record nested past what the decoder's stack holds: bad input, refused before Raft.
      if (error instanceof RangeError)
        throw new ValidationError("snapshot records nested too deeply to decode", "snapshot restore");
      throw error;
    }
    if (!this.raft.isLeader()) {
      const leader = this.context.leader();
      throw new ValidationError(
        `restore on the leader${leader === undefined ? " (none known)" : ` ${leader.id} (${leader.rpcAddress})`}; this server cannot forward a snapshot`,
        "snapshot restore",
      );
    }
    const { index, result } = await this.context.propose({
      type: "snapshot-restore",
      Snapshot: decoded.fsm,
    });
    return { index, records: (result as { Records: number }).Records, sourceIndex: decoded.header.Index };
  }

  /** drover_nodes{status} and drover_allocs{client_status}, computed from the state on scrape. */
  private registerStateMetrics(): void {
    const context = this.context;
    new Gauge({
      name: "drover_nodes",
      help: "Nodes by status, in this server's state",
      labelNames: ["status"],
      registers: [this.metrics.registry],
      collect() {
        const counts: Record<string, number> = { initializing: 0, ready: 0, down: 0, disconnected: 0 };
        for (const node of context.state().nodes()) counts[node.Status] = (counts[node.Status] ?? 0) + 1;
        for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
      },
    });
    new Gauge({
      name: "drover_allocs",
      help: "Allocations of current jobs by client status, in this server's state (from job summaries)",
      labelNames: ["client_status"],
      registers: [this.metrics.registry],
      collect() {
        // From the job summaries (one per job), not by walking every allocation on each scrape.
        const counts = { pending: 0, running: 0, complete: 0, failed: 0, lost: 0, unknown: 0 };
        const state = context.state();
        for (const job of state.jobs()) {
          const summary = state.jobSummary(job.Namespace, job.ID);
          if (summary === undefined) continue;
          for (const group of Object.values(summary.Summary)) {
            counts.pending += group.Starting;
            counts.running += group.Running;
            counts.complete += group.Complete;
            counts.failed += group.Failed;
            counts.lost += group.Lost;
            counts.unknown += group.Unknown;
          }
        }
        for (const [status, count] of Object.entries(counts)) this.set({ client_status: status }, count);
      },
    });
  }

  /**
   * The Raft configuration as this server knows it (every server holds the replicated
   * configuration): `/v1/operator/raft/configuration`.
   */
  raftConfiguration(): RaftConfiguration {
    return this.raft.configuration();
  }

  /**
   * Removes a server from the Raft configuration (`DELETE /v1/operator/raft/peer`), by id or by
   * address. Unknown → NotFoundError; the only voter → ValidationError (nothing would be left to
   * form a quorum). Runs on the leader: a follower forwards the call over the RaftOperator
   * service, exactly as that service does for its own callers (one hop).
   */
  async removeRaftPeer(peer: { id?: string; address?: string }): Promise<{ id: string; index: number }> {
    const conf = this.raft.configuration();
    const entry = conf.servers.find((s) =>
      peer.id !== undefined ? s.id === peer.id : s.address === peer.address,
    );
    if (entry === undefined) {
      throw new NotFoundError(
        `no server ${peer.id !== undefined ? `with id ${peer.id}` : `at address ${peer.address ?? ""}`} in the Raft configuration`,
      );
    }
    const voters = conf.servers.filter((s) => s.voter);
    if (entry.voter && voters.length === 1) {
      throw new ValidationError(
        `${entry.id} is the only voter: removing it would leave no server to form a quorum`,
        "remove peer",
      );
    }
    const index = await this.onLeader(
      () => this.raft.removeServer(entry.id),
      (client, meta, done) => client.RemoveServer({ id: entry.id }, meta, done),
      (response) => Number(response.index),
    );
    return { id: entry.id, index };
  }

  /**
   * Hands Raft leadership to `targetId` (undefined: the most up-to-date other voter), resolving
   * once it leads (`PUT /v1/operator/raft/transfer-leadership`). Forwarded to the leader.
   */
  async transferRaftLeadership(targetId?: string): Promise<string> {
    const conf = this.raft.configuration();
    const voters = conf.servers.filter((s) => s.voter);
    if (targetId !== undefined) {
      const target = conf.servers.find((s) => s.id === targetId);
      if (target === undefined)
        throw new NotFoundError(`no server with id ${targetId} in the Raft configuration`);
      if (!target.voter)
        throw new ValidationError(`${targetId} is not a voter and cannot lead`, "transfer leadership");
      if (target.leader) return target.id;
    } else if (voters.length < 2) {
      throw new ValidationError("no other voter to transfer leadership to", "transfer leadership");
    }
    return this.onLeader(
      () => this.raft.transferLeadership(targetId),
      (client, meta, done) => client.TransferLeadership({ targetId: targetId ?? "" }, meta, done),
      // The old leader answers once the new one leads; its answer names whom it knows as leader.
      (response) => response.leader?.id ?? targetId ?? "",
    );
  }

  /**
   * Runs a membership call here when this server leads, else on the leader it knows through the
   * RaftOperator service (marked as forwarded, so the leader does not forward it again).
   */
  /**
   * Autopilot's view of the servers (`GET /v1/operator/autopilot/health`): the leader's, asked
   * over the RaftOperator service when this server follows.
   */
  async autopilotHealth(): Promise<AutopilotHealthResponse__Output> {
    try {
      return autopilotHealthMessage(await this.raft.autopilotHealth()) as AutopilotHealthResponse__Output;
    } catch (error) {
      if (!(error instanceof NotLeaderError) || error.leaderAddress === undefined) throw error;
      const client = this.operatorForwarder.client(error.leaderAddress);
      const meta = new grpc.Metadata();
      meta.set("x-drover-forwarded", "1");
      return new Promise((resolve, reject) => {
        client.AutopilotHealth({}, meta, (fwdError, response) => {
          if (fwdError !== null) reject(operatorError(fwdError));
          else if (response === undefined) reject(new Error("autopilot health: the leader sent no answer"));
          else resolve(response);
        });
      });
    }
  }

  /** The autopilot settings this server runs with (from its agent configuration). */
  autopilotConfiguration(): AutopilotConfig {
    return this.raft.autopilotConfiguration();
  }

  private async onLeader<T>(
    local: () => Promise<T>,
    remote: (
      client: RaftOperatorClient,
      meta: grpc.Metadata,
      done: grpc.requestCallback<OperatorResponse__Output>,
    ) => void,
    fromResponse: (response: OperatorResponse__Output) => T,
  ): Promise<T> {
    try {
      return await local();
    } catch (error) {
      if (error instanceof ConfChangeRejectedError) throw new ValidationError(error.message, "raft operator");
      if (!(error instanceof NotLeaderError) || error.leaderAddress === undefined) throw error;
      const client = this.operatorForwarder.client(error.leaderAddress);
      const meta = new grpc.Metadata();
      meta.set("x-drover-forwarded", "1");
      return new Promise<T>((resolve, reject) => {
        remote(client, meta, (fwdError, response) => {
          if (fwdError !== null) reject(operatorError(fwdError));
          else if (response === undefined) reject(new Error("raft operator call: the leader sent no answer"));
          else resolve(fromResponse(response));
        });
      });
    }
  }

  /** Stops everything, in the reverse order of start. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.transitions;
    await this.leader.revoke();
    await this.endpoints.close();
    this.forwarder.close();
    this.operatorForwarder.close();
    await this.raft.stop();
    // The RaftOperator service goes with the Raft thread (a restarted server adds it again).
    this.grpcServer.removeService(raftProto().drover.raft.RaftOperator.service);
    await new Promise<void>((resolve) => {
      this.grpcServer.tryShutdown(() => resolve());
      // Streams (client alloc watches) would hold a graceful shutdown open forever.
      setTimeout(() => this.grpcServer.forceShutdown(), 1000).unref();
    });
    await this.fsm.close();
    this.logger.info("server agent stopped");
  }
}

/** A forwarded RaftOperator call's gRPC error as the typed error the HTTP API answers with. */
function operatorError(error: grpc.ServiceError): Error {
  const message = error.details || error.message;
  switch (error.code) {
    case grpc.status.NOT_FOUND:
      return new NotFoundError(message);
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
      return new ValidationError(message, "raft operator");
    case grpc.status.UNAVAILABLE:
      return new NotLeaderError(undefined);
    default:
      return new Error(`raft operator call on the leader failed: ${message}`);
  }
}
