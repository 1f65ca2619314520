import * as grpc from "@grpc/grpc-js";
import { errorCode } from "../common/error-codes.js";
import { NotLeaderError, ValidationError } from "../common/errors.js";
import { GrpcServerMetrics } from "../common/grpc-metrics.js";
import type { Logger } from "../common/log.js";
import type { AgentMetrics } from "../common/metrics.js";
import { currentRequestId, REQUEST_ID_KEY, servingCall } from "../common/request-context.js";
import { rpcChannelCredentials } from "../common/tls.js";
import type { AddServerRequest__Output } from "../gen/proto/drover/raft/AddServerRequest.js";
import type {
  AutopilotHealthResponse,
  AutopilotHealthResponse__Output,
} from "../gen/proto/drover/raft/AutopilotHealthResponse.js";
import type { Configuration } from "../gen/proto/drover/raft/Configuration.js";
import type { DiscoverRequest__Output } from "../gen/proto/drover/raft/DiscoverRequest.js";
import type { DiscoverResponse } from "../gen/proto/drover/raft/DiscoverResponse.js";
import type {
  OperatorResponse,
  OperatorResponse__Output,
} from "../gen/proto/drover/raft/OperatorResponse.js";
import type { RaftOperatorClient } from "../gen/proto/drover/raft/RaftOperator.js";
import type { RemoveServerRequest__Output } from "../gen/proto/drover/raft/RemoveServerRequest.js";
import type { TransferLeadershipRequest__Output } from "../gen/proto/drover/raft/TransferLeadershipRequest.js";
import type { ClusterHealth } from "./autopilot.js";
import type { Discovery } from "./bootstrap.js";
import { ConfChangeRejectedError } from "./core/index.js";
import type { LogIndex, RaftId, Term } from "./core/types.js";
import { raftChannelOptions, raftProto } from "./grpc-transport.js";
import type { RaftConfiguration } from "./membership.js";
import type { RaftNode } from "./raft-node.js";

/** Autopilot's view with each server's last log term (the leader's answer). */
export type AutopilotHealthView = ClusterHealth & { readonly lastTerms: ReadonlyMap<RaftId, Term> };

/**
 * What the RaftOperator service serves from: the Raft node in this thread, or the agent's proxy
 * of the node in its Raft thread (raft/thread/raft-thread-client.ts).
 */
export interface RaftOperatorBackend {
  leaderId(): RaftId | undefined;
  leaderAddress(): string | undefined;
  configuration(): RaftConfiguration;
  addServer(id: RaftId, address: string): Promise<LogIndex>;
  removeServer(id: RaftId): Promise<LogIndex>;
  transferLeadership(target?: RaftId): Promise<RaftId>;
  /** NotLeaderError on a follower. */
  autopilotHealth(): Promise<AutopilotHealthView>;
  discover(request: DiscoverRequest__Output): Promise<DiscoverResponse>;
  /** host:port of this server's Raft listener (RaftEndpoint). */
  raftEndpoint(): string;
}

/** The backend of a node that runs in this thread, its transport on the RPC listener itself. */
export function localOperatorBackend(node: RaftNode, discovery: Discovery): RaftOperatorBackend {
  return {
    leaderId: () => node.leaderId(),
    leaderAddress: () => node.leaderAddress(),
    configuration: () => node.configuration(),
    addServer: (id, address) => node.addServer(id, address),
    removeServer: (id) => node.removeServer(id),
    transferLeadership: (target) => node.transferLeadership(target),
    autopilotHealth: async () => node.autopilotHealth(),
    discover: async (request) => discovery.answer(request),
    raftEndpoint: () => node.address,
  };
}

/**
 * The RaftOperator gRPC service (proto/raft.proto): bootstrap discovery and the membership
 * operations. A follower forwards membership calls to the leader it knows (one hop), so callers
 * may use any server.
 */
export function addRaftOperatorService(
  server: grpc.Server,
  node: RaftOperatorBackend,
  log: Logger,
  metrics?: AgentMetrics,
): void {
  const forwarder = new LeaderForwarder();
  const run = <Req>(
    call: grpc.ServerUnaryCall<Req, OperatorResponse>,
    callback: grpc.sendUnaryData<OperatorResponse>,
    local: () => Promise<number>,
    remote: (client: RaftOperatorClient, done: grpc.requestCallback<OperatorResponse__Output>) => void,
  ): void => {
    local().then(
      (index) => callback(null, { index, leader: leaderInfo(node) }),
      (error: unknown) => {
        const forwarded = call.metadata.get("x-drover-forwarded").length > 0;
        if (error instanceof NotLeaderError && error.leaderAddress !== undefined && !forwarded) {
          remote(forwarder.client(error.leaderAddress), (fwdError, response) => {
            if (fwdError !== null) callback(fwdError);
            else callback(null, response);
          });
          return;
        }
        log.warn({ err: error }, "operator call failed");
        callback(toStatus(error));
      },
    );
  };
  const forwardMeta = (): grpc.Metadata => {
    const m = new grpc.Metadata();
    m.set("x-drover-forwarded", "1");
    const requestId = currentRequestId();
    if (requestId !== undefined) m.set(REQUEST_ID_KEY, requestId);
    return m;
  };
  const service = raftProto().drover.raft.RaftOperator.service;
  const handlers: grpc.UntypedServiceImplementation = {
    Discover: (
      call: grpc.ServerUnaryCall<DiscoverRequest__Output, DiscoverResponse>,
      callback: grpc.sendUnaryData<DiscoverResponse>,
    ) => {
      node.discover(call.request).then(
        (answer) => callback(null, answer),
        (error: unknown) => callback(toStatus(error)),
      );
    },
    RaftEndpoint: (
      _call: grpc.ServerUnaryCall<object, { address: string }>,
      callback: grpc.sendUnaryData<{ address: string }>,
    ) => {
      callback(null, { address: node.raftEndpoint() });
    },
    AddServer: (
      call: grpc.ServerUnaryCall<AddServerRequest__Output, OperatorResponse>,
      callback: grpc.sendUnaryData<OperatorResponse>,
    ) => {
      const { id, address } = call.request;
      // Random bytes can parse as a request with an empty field: refuse it rather than add a
      // server named "" (or with no address) to the configuration.
      if (id === "" || address === "") {
        callback(toStatus(new ValidationError(`${id === "" ? "id" : "address"} is empty`, "AddServer")));
        return;
      }
      run(
        call,
        callback,
        () => node.addServer(id, address),
        (client, done) => client.AddServer({ id, address }, forwardMeta(), done),
      );
    },
    RemoveServer: (
      call: grpc.ServerUnaryCall<RemoveServerRequest__Output, OperatorResponse>,
      callback: grpc.sendUnaryData<OperatorResponse>,
    ) => {
      const { id } = call.request;
      if (id === "") {
        callback(toStatus(new ValidationError("id is empty", "RemoveServer")));
        return;
      }
      run(
        call,
        callback,
        () => node.removeServer(id),
        (client, done) => client.RemoveServer({ id }, forwardMeta(), done),
      );
    },
    TransferLeadership: (
      call: grpc.ServerUnaryCall<TransferLeadershipRequest__Output, OperatorResponse>,
      callback: grpc.sendUnaryData<OperatorResponse>,
    ) => {
      const target = call.request.targetId === "" ? undefined : call.request.targetId;
      run(
        call,
        callback,
        async () => {
          await node.transferLeadership(target);
          return 0;
        },
        (client, done) => client.TransferLeadership({ targetId: call.request.targetId }, forwardMeta(), done),
      );
    },
    AutopilotHealth: (
      call: grpc.ServerUnaryCall<object, AutopilotHealthResponse>,
      callback: grpc.sendUnaryData<AutopilotHealthResponse>,
    ) => {
      node.autopilotHealth().then(
        (health) => callback(null, autopilotHealthMessage(health)),
        (error: unknown) => {
          const forwarded = call.metadata.get("x-drover-forwarded").length > 0;
          if (error instanceof NotLeaderError && error.leaderAddress !== undefined && !forwarded) {
            const meta = new grpc.Metadata();
            meta.set("x-drover-forwarded", "1");
            forwarder
              .client(error.leaderAddress)
              .AutopilotHealth(
                {},
                meta,
                (fwdError: grpc.ServiceError | null, response?: AutopilotHealthResponse__Output) => {
                  if (fwdError !== null) callback(fwdError);
                  else callback(null, response);
                },
              );
            return;
          }
          callback(toStatus(error));
        },
      );
    },
    GetConfiguration: (
      _call: grpc.ServerUnaryCall<object, Configuration>,
      callback: grpc.sendUnaryData<Configuration>,
    ) => {
      const conf = node.configuration();
      callback(null, { index: conf.index, servers: conf.servers.map((s) => ({ ...s })) });
    },
  };
  // A call forwarded from another server is served on behalf of the request that started it.
  for (const [name, handler] of Object.entries(handlers)) {
    const serve = handler as (call: { metadata: grpc.Metadata }, ...rest: unknown[]) => void;
    handlers[name] = ((call: { metadata: grpc.Metadata }, ...rest: unknown[]) =>
      servingCall(call.metadata, () => serve(call, ...rest))) as grpc.UntypedHandleCall;
  }
  server.addService(
    service,
    metrics === undefined ? handlers : GrpcServerMetrics.of(metrics).instrument(service, handlers),
  );
}

/** The leader's autopilot health as the gRPC message. */
export function autopilotHealthMessage(health: AutopilotHealthView): AutopilotHealthResponse {
  return {
    healthy: health.healthy,
    failureTolerance: health.failureTolerance,
    servers: health.servers.map((s) => ({
      id: s.id,
      address: s.address,
      voter: s.voter,
      leader: s.leader,
      lastContactMs: s.lastContactMs,
      lastIndex: s.lastIndex,
      lastTerm: health.lastTerms.get(s.id) ?? 0,
      healthy: s.healthy,
      stableSinceMs: s.stableSinceMs,
    })),
  };
}

function leaderInfo(node: RaftOperatorBackend): { id: string; address: string } | null {
  const id = node.leaderId();
  return id === undefined ? null : { id, address: node.leaderAddress() ?? "" };
}

/**
 * The error as a gRPC status, coded by the shared table (src/common/error-codes.ts) except for
 * Raft's own ConfChangeRejectedError (another change pending, not the leader, an invalid change):
 * FAILED_PRECONDITION.
 */
function toStatus(error: unknown): grpc.ServiceError {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    error instanceof ConfChangeRejectedError ? grpc.status.FAILED_PRECONDITION : errorCode(error).grpc;
  return Object.assign(new Error(message), { code, details: message, metadata: new grpc.Metadata() });
}

/** Operator clients by address, created on first use. */
export class LeaderForwarder {
  private readonly clients = new Map<string, RaftOperatorClient>();

  client(address: string): RaftOperatorClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      const Client = raftProto().drover.raft.RaftOperator;
      client = new Client(address, rpcChannelCredentials("server"), raftChannelOptions());
      this.clients.set(address, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
