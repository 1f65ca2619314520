import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "../../common/log.js";
import type { ServerAddress } from "../../rpc/server-api.js";
import type { ClusterView, ServerEndpoints } from "./endpoints.js";
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
