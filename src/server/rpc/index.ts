// Public surface of src/server/rpc: the server RPC contract (proto/server.proto) as TypeScript.
export { AllocWatchHub } from "./alloc-watch-hub.js";
export { ApiLeaderClient } from "./api-leader-client.js";
export { type ClusterView, type EndpointsOptions, type LeaderDuties, ServerEndpoints } from "./endpoints.js";
export { addServerService } from "./grpc-server.js";
export { jobFromInput } from "./job-input.js";
export { fromGrpcError, PreconditionError, RpcError, toGrpcError } from "./rpc-status.js";
export type * from "./server-api.js";
export { ServerRpcClient, type ServerRpcClientOptions } from "./server-client.js";
