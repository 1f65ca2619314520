// Public surface of src/rpc: the RPC contracts (proto/server.proto, proto/client.proto) as TypeScript, shared by
// servers, client agents and the node simulator: API types, codec, status mapping, gRPC client.

export {
  CLIENT_RPC_ADDRESS_ATTR,
  ClientFsClient,
  type ClientLogFrame,
  type ClientLogRequest,
  clientProto,
} from "./client-fs-client.js";
export { EMPTY, packValue, unpackOptional, unpackValue } from "./codec.js";
export { FORWARDED_KEY, fromGrpcError, RpcError, toGrpcError } from "./rpc-status.js";
export type * from "./server-api.js";
export { ServerRpcClient, type ServerRpcClientOptions, serverProto } from "./server-client.js";
