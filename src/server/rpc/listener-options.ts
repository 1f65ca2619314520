import type { ChannelOptions } from "@grpc/grpc-js";
import { raftChannelOptions } from "../../raft/index.js";

/** How often the RPC listener pings each client connection that has been quiet. */
export const RPC_LISTENER_KEEPALIVE_MS = 30_000;
/**
 * How long it waits for the ack before it closes the connection: longer than any stall of the
 * main thread's event loop we have seen (seconds, under a C1M load), see rpcListenerOptions.
 */
export const RPC_LISTENER_KEEPALIVE_TIMEOUT_MS = 60_000;

/**
 * Options of the server's RPC listener (--rpc-port), which lives on the main thread.
 *
 * grpc-js closes a connection whose ping was not acked within the keepalive timeout, judged by
 * a timer on this thread's event loop. When the loop was busy for longer than the timeout, that
 * timer runs before the loop reads the ack that arrived meanwhile, and the server drops a healthy
 * client: each of its watch streams restarts with a full resend, each call in flight fails, and
 * the extra work makes the next stall longer. The main thread's loop stalls for seconds under
 * load (a large plan, a snapshot, a major GC), so the timeout here is a minute. Clients still
 * find a dead server quickly through their own pings; the server's pings only have to clear out
 * connections of clients that vanished.
 */
export function rpcListenerOptions(): ChannelOptions {
  return {
    ...raftChannelOptions(),
    "grpc.keepalive_time_ms": RPC_LISTENER_KEEPALIVE_MS,
    "grpc.keepalive_timeout_ms": RPC_LISTENER_KEEPALIVE_TIMEOUT_MS,
  };
}
