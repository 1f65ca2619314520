import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Gauge } from "prom-client";
import { DroverFsm } from "../fsm/drover-fsm.js";
import { raftChannelOptions } from "../raft/grpc-transport.js";
import type { RaftConfiguration } from "../raft/raft-node.js";
import { type RaftServer, startRaftServer } from "../raft/raft-server.js";
import type { Logger } from "../shared/log.js";
import { AgentMetrics } from "../shared/metrics.js";
import { SystemClock } from "./clock.js";
import { Forwarder } from "./forward.js";
import { DEFAULT_HEARTBEAT_CONFIG } from "./heartbeats.js";
import { DEFAULT_LEADER_CONFIG, Leader } from "./leader.js";
import { ObservedFsm, RaftServerContext } from "./raft-context.js";
import { AllocWatchHub } from "./rpc/alloc-watch-hub.js";
import { ApiLeaderClient } from "./rpc/api-leader-client.js";
import { type LeaderDuties, ServerEndpoints } from "./rpc/endpoints.js";
import { addServerService } from "./rpc/grpc-server.js";
import type { ScheduleFn } from "./scheduler-runner.js";
import { ThreadSchedulerRunner } from "./thread-scheduler-runner.js";
import { DEFAULT_WORKER_CONFIG, Worker } from "./worker.js";

/** What a server agent is configured with (the CLI maps flags and config files onto it). */
export interface ServerAgentConfig {
  /** The agent's name: its Raft id and node name in `/v1/agent/self`. */
  name: string;
  dataDir: string;
  bind: string;
  /** 0 picks a free port. */
  rpcPort: number;
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
  /** How long a request on a follower waits for a leader (Nomad's rpc_hold_timeout, 5 s). */
  forwardDeadlineMs?: number;
}

export interface ServerAgentOptions {
  config: ServerAgentConfig;
  logger: Logger;
  /** The scheduler entry point the workers run (src/scheduler) when scheduling inline. */
  schedule: ScheduleFn;
  /**
   * Run schedule() on the agent's own event loop instead of the scheduler thread (which runs
   * src/scheduler's `schedule` against a replica, ignoring `schedule`). Default false.
   */
  inlineScheduling?: boolean;
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
 * One Drover server process: the FSM in LevelDB, the Raft node on the agent's gRPC server, the
 * leader's duties while it leads, scheduler workers (on every server), and the server RPC
 * endpoints (forwarding to the leader) on the same gRPC server. The HTTP API is served over
 * `endpoints` by the caller (src/api may import src/server, not the other way around).
 */
export class ServerAgent {
  private transitions: Promise<void> = Promise.resolve();
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
    private readonly raft: RaftServer,
    private readonly grpcServer: grpc.Server,
    private readonly fsm: DroverFsm,
    private readonly forwarder: Forwarder,
    private readonly runner: ThreadSchedulerRunner | undefined,
  ) {}

  static async start(options: ServerAgentOptions): Promise<ServerAgent> {
    const { config, logger } = options;
    const metrics = new AgentMetrics(config.name);
    const clock = new SystemClock();
    await mkdir(config.dataDir, { recursive: true });
    // The FSM's LevelDB copy is not fsynced: it only speeds up restarts. Every entry it holds is
    // already durable in the Raft log (the driver applies only entries it has fsynced), and after
    // a crash the driver restores the FSM from the fsynced Raft snapshot whenever that is newer
    // and replays the log after the FSM's durable index (compaction never drops entries above
    // the snapshot). A second fsync per write would double the disk's work on the write path.
    const fsm = await DroverFsm.open(join(config.dataDir, "fsm"), { sync: false });
    const observed = new ObservedFsm(fsm);

    const grpcServer = new grpc.Server(raftChannelOptions());
    const port = await new Promise<number>((resolve, reject) => {
      grpcServer.bindAsync(
        `${config.bind}:${config.rpcPort}`,
        grpc.ServerCredentials.createInsecure(),
        (error, bound) => (error === null ? resolve(bound) : reject(error)),
      );
    });
    const rpcAddress = `${config.bind}:${port}`;
    logger.info({ rpcAddress }, "gRPC listening");

    const raft = await startRaftServer({
      id: config.name,
      address: rpcAddress,
      dataDir: join(config.dataDir, "raft"),
      stateMachine: observed,
      grpcServer,
      bootstrapExpect: config.bootstrapExpect,
      join: config.join,
      log: logger,
      metrics,
      raftMultiplier: config.raftMultiplier,
      snapshotThresholdEntries: config.raftSnapshotThreshold,
      snapshotIntervalMs: config.raftSnapshotIntervalMs,
      trailingLogs: config.raftTrailingLogs,
    });
    const context = new RaftServerContext(
      raft.node,
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
    addServerService(grpcServer, endpoints, logger.child({ component: "rpc" }), endpoints.localOnly());

    const leaderClient = new ApiLeaderClient(endpoints);
    // schedule() of a count-1,000 job on 5,000 nodes takes hundreds of milliseconds: run inline it
    // would stall heartbeats and votes (invariant 6). All workers share one thread, which holds
    // its own replica of the state (one replica, not one per worker: memory).
    const runner =
      options.inlineScheduling === true ? undefined : new ThreadSchedulerRunner(context, fsm.store);
    if (runner !== undefined) observed.onRestored(() => runner.resync());
    const workers = Array.from(
      { length: config.numSchedulers },
      () =>
        new Worker(context, leaderClient, leaderClient, runner ?? options.schedule, DEFAULT_WORKER_CONFIG),
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
      runner,
    );
    agent.registerStateMetrics();
    raft.node.onLeaderChange(({ isSelf }) => agent.leadershipChanged(isSelf));
    agent.leadershipChanged(raft.node.isLeader());
    for (const worker of workers) worker.start();
    logger.info({ name: config.name, rpcAddress, outcome: raft.outcome.kind }, "server agent started");
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
    return this.raft.node.configuration();
  }

  /** Stops everything, in the reverse order of start. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.runner?.close();
    await this.transitions;
    await this.leader.revoke();
    this.endpoints.close();
    this.forwarder.close();
    await this.raft.stop();
    await new Promise<void>((resolve) => {
      this.grpcServer.tryShutdown(() => resolve());
      // Streams (client alloc watches) would hold a graceful shutdown open forever.
      setTimeout(() => this.grpcServer.forceShutdown(), 1000).unref();
    });
    await this.fsm.close();
    this.logger.info("server agent stopped");
  }
}
