import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "../../common/log.js";
import type { ServerAddress } from "../../rpc/server-api.js";
import { Forwarder } from "../forward.js";
import { AllocWatchHub } from "./alloc-watch-hub.js";
import { type ClusterView, type EndpointsOptions, ServerEndpoints } from "./endpoints.js";
import type { GrpcAclOptions } from "./grpc-acl.js";
import { addServerService } from "./grpc-server.js";

/** Test helpers for endpoints served over real gRPC on loopback. */

/**
 * Serves `endpoints` (and their forwarded-call view) on a loopback port the kernel picks; with
 * `acl`, every call is checked as on a server with ACLs on.
 */
export async function serveEndpoints(
  endpoints: ServerEndpoints,
  acl?: GrpcAclOptions,
): Promise<{ server: grpc.Server; address: string }> {
  const server = new grpc.Server();
  addServerService(server, endpoints, silentLogger(), endpoints.localOnly(), undefined, acl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  return { server, address: `127.0.0.1:${port}` };
}

/** A one-server cluster view: `self`, with `leader()` as given; leader news polled every 20 ms. */
export function clusterView(self: ServerAddress, leader: () => ServerAddress | undefined): ClusterView {
  return {
    self,
    selfId: self.id,
    leader,
    leaderChanged: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))),
    lastContactMs: () => 0,
    peers: () => [self],
  };
}

/** One server's endpoints, with their own forwarder, served on loopback. */
export interface ServedEndpoints {
  endpoints: ServerEndpoints;
  address: string;
  /** Stops the forwarder, the endpoints (their batched writes) and the gRPC server. */
  close(): Promise<void>;
}

/**
 * Endpoints on `options.ctx` as the server `options.cluster` sees the cluster: a forwarder of
 * their own, no leader duties and a fresh watch hub unless given, a 2 s forwarding deadline unless
 * given. `acl` makes the gRPC service check every call, with options built for the endpoints.
 */
export async function startEndpoints(
  options: Omit<EndpointsOptions, "forwarder" | "duties" | "hub" | "forwardDeadlineMs"> &
    Partial<Pick<EndpointsOptions, "duties" | "hub" | "forwardDeadlineMs">>,
  acl?: (endpoints: ServerEndpoints) => GrpcAclOptions,
): Promise<ServedEndpoints> {
  const forwarder = new Forwarder(options.cluster);
  const endpoints = new ServerEndpoints({
    duties: () => undefined,
    hub: new AllocWatchHub(),
    forwardDeadlineMs: 2_000,
    ...options,
    forwarder,
  });
  const { server, address } = await serveEndpoints(endpoints, acl?.(endpoints));
  return {
    endpoints,
    address,
    close: async () => {
      forwarder.close();
      await endpoints.close();
      server.forceShutdown();
    },
  };
}
