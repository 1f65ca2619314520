/** The public surface of Drover's Raft outside the core: what the server agent wires together. */

export {
  Autopilot,
  type AutopilotAction,
  type AutopilotConfig,
  type ClusterHealth,
  DEFAULT_AUTOPILOT_CONFIG,
  type ServerHealth,
} from "./autopilot.js";
export { Discovery, type DiscoveryOutcome, type ServerAddress } from "./bootstrap.js";
export { FaultInjector } from "./fault-injector.js";
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  GrpcTransport,
  type GrpcTransportOptions,
  raftChannelOptions,
  raftProto,
  type TransportHandler,
} from "./grpc-transport.js";
export { LevelDbLogStore, type Membership } from "./leveldb-log-store.js";
export { addRaftOperatorService, LeaderForwarder } from "./operator-service.js";
export {
  type LeaderObserver,
  type RaftConfiguration,
  RaftNode,
  type RaftNodeOptions,
  type ServerEntry,
} from "./raft-node.js";
export { type RaftServer, type RaftServerOptions, startRaftServer } from "./raft-server.js";
export { SnapshotStore } from "./snapshot-store.js";
export type { StateMachine } from "./state-machine.js";
export { CorruptLogError } from "./storage-errors.js";
