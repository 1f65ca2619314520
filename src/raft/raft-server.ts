import type * as grpc from "@grpc/grpc-js";
import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import { Discovery, type DiscoveryOutcome } from "./bootstrap.js";
import type { RaftId } from "./core/types.js";
import { FaultInjector } from "./fault-injector.js";
import { GrpcTransport, raftProto } from "./grpc-transport.js";
import { addRaftOperatorService, localOperatorBackend } from "./operator-service.js";
import { RaftNode, type RaftTuning } from "./raft-node.js";
import type { StateMachine } from "./state-machine.js";

/**
 * Everything a server agent needs to run Raft, wired together: the LevelDB-backed node, the gRPC
 * transport and operator services on the agent's (already bound) gRPC server, discovery and
 * bootstrap or join. The agent owns the gRPC server and the state machine.
 */
export interface RaftServerOptions extends RaftTuning {
  readonly id: RaftId;
  /** The RPC address peers reach this server at (host:port of `grpcServer`). */
  readonly address: string;
  readonly dataDir: string;
  readonly stateMachine: StateMachine;
  /** A gRPC server bound to `address` (create it with `raftChannelOptions()`); services are added here. */
  readonly grpcServer: grpc.Server;
  readonly bootstrapExpect: number;
  readonly join: readonly string[];
  readonly log: Logger;
  readonly metrics?: AgentMetrics | undefined;
  readonly faults?: FaultInjector | undefined;
  /** Maps a peer's stored (RPC) address to where its Raft listener is (GrpcTransport's option). */
  readonly resolveAddress?: ((address: string) => Promise<string>) | undefined;
  /**
   * Whether to add the RaftOperator service to `grpcServer` (default true). The Raft thread's
   * listener carries Raft traffic only: its operator service lives on the agent's RPC port.
   */
  readonly operatorService?: boolean | undefined;
  /**
   * Called once the node is open and discovery exists, before discovery runs: whoever answers
   * discovery requests or watches the node from elsewhere (the Raft thread) hooks in here.
   */
  readonly onOpen?: ((node: RaftNode, discovery: Discovery) => void) | undefined;
}

export interface RaftServer {
  readonly node: RaftNode;
  readonly transport: GrpcTransport;
  readonly faults: FaultInjector;
  /** How this server started (restart, founder, listed member, or joiner). */
  readonly outcome: DiscoveryOutcome;
  stop(): Promise<void>;
}

/**
 * Starts Raft. Resolves once the node runs: immediately on a restart, after discovery for a new
 * server. A joining server resolves before it has been added (that continues in the background;
 * watch `node.configuration()`).
 */
export async function startRaftServer(options: RaftServerOptions): Promise<RaftServer> {
  const faults = options.faults ?? new FaultInjector();
  let node: RaftNode | undefined;
  const transport = new GrpcTransport({
    id: options.id,
    address: options.address,
    log: options.log.child({ component: "raft-transport" }),
    faults,
    metrics: options.metrics,
    openSnapshot: async (requested) => {
      if (node === undefined) throw new Error("raft node not open");
      return node.openSnapshot(requested);
    },
    resolveAddress: options.resolveAddress,
  });
  node = await RaftNode.open({
    id: options.id,
    address: options.address,
    dataDir: options.dataDir,
    stateMachine: options.stateMachine,
    transport,
    log: options.log.child({ component: "raft" }),
    metrics: options.metrics,
    raftMultiplier: options.raftMultiplier,
    snapshotThresholdEntries: options.snapshotThresholdEntries,
    snapshotIntervalMs: options.snapshotIntervalMs,
    snapshotThresholdBytes: options.snapshotThresholdBytes,
    logCacheBytes: options.logCacheBytes,
    trailingLogs: options.trailingLogs,
    requestTimeoutMs: options.requestTimeoutMs,
    autopilot: options.autopilot,
  });
  const discovery = new Discovery({
    self: { id: options.id, address: options.address },
    bootstrapExpect: options.bootstrapExpect,
    join: options.join.filter((address) => address !== options.address),
    node,
    log: options.log.child({ component: "raft-discovery" }),
  });
  transport.addToServer(options.grpcServer);
  const operatorService = options.operatorService ?? true;
  if (operatorService) {
    addRaftOperatorService(
      options.grpcServer,
      localOperatorBackend(node, discovery),
      options.log.child({ component: "raft-operator" }),
      options.metrics,
    );
  }
  options.onOpen?.(node, discovery);

  const outcome = await discovery.discover();
  if (outcome.kind === "bootstrap") await node.bootstrap(outcome.servers);
  if (outcome.kind === "member") {
    // Listed but holding no state: it must be able to answer the members (votes, appends) before
    // the leader's snapshot tells it their addresses.
    for (const s of outcome.servers) if (s.id !== options.id) transport.setPeer(s.id, s.address);
  }
  node.start();
  const started = node;
  let joining: Promise<void> = Promise.resolve();
  if (outcome.kind === "join") {
    joining = discovery.join(outcome.via).catch((error: unknown) => {
      options.log.error({ err: error }, "joining the cluster failed");
    });
  }
  // Ten election timeouts without a leader: long enough that an election in progress is not
  // mistaken for having been removed.
  const silenceMs = 10 * node.electionTimeoutMs();
  const rejoining = joining
    .then(() => discovery.rejoinIfRemoved(silenceMs))
    .catch((error: unknown) => {
      options.log.error({ err: error }, "rejoining the cluster failed");
    });
  return {
    node: started,
    transport,
    faults,
    outcome,
    stop: async () => {
      discovery.close();
      await joining;
      await rejoining;
      await started.stop();
      transport.close();
      // The gRPC server is the caller's and stays bound: a restarted Raft server adds these again.
      options.grpcServer.removeService(raftProto().drover.raft.RaftTransport.service);
      if (operatorService) options.grpcServer.removeService(raftProto().drover.raft.RaftOperator.service);
    },
  };
}
