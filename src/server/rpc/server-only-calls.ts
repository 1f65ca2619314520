import type { Metadata } from "@grpc/grpc-js";
import { FORWARDED_KEY } from "../../rpc/rpc-status.js";

/**
 * The Server methods only another server calls: a scheduler worker on a follower dequeues,
 * acks and submits plans through the leader, and the leader's GC commits. Clients never do.
 */
const SERVER_ONLY_METHODS = new Set([
  "/drover.server.Server/EvalDequeue",
  "/drover.server.Server/EvalAck",
  "/drover.server.Server/EvalNack",
  "/drover.server.Server/EvalUpsert",
  "/drover.server.Server/PlanSubmit",
  "/drover.server.Server/GcCommit",
]);

/**
 * Whether a call on a server's gRPC listener needs a server certificate (with
 * verify_server_hostname): all of Raft (transport, discovery, membership operator), the
 * worker-to-leader methods, and any call marked as forwarded by a server (a forwarded call is
 * answered without forwarding again, so only a server may claim it).
 */
export function serverOnlyCall(path: string, metadata: Metadata): boolean {
  if (path.startsWith("/drover.raft.")) return true;
  if (SERVER_ONLY_METHODS.has(path)) return true;
  return metadata.get(FORWARDED_KEY).length > 0;
}
