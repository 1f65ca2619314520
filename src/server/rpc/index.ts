// Public surface of src/server/rpc: the server side of the RPC contract (the endpoints behind
// proto/server.proto and the gRPC service that serves them). The contract itself is src/rpc/.
export { AllocWatchHub } from "./alloc-watch-hub.js";
export { ApiLeaderClient } from "./api-leader-client.js";
export { type ClusterView, type EndpointsOptions, type LeaderDuties, ServerEndpoints } from "./endpoints.js";
export { addServerService } from "./grpc-server.js";
export { jobFromInput } from "./job-input.js";
