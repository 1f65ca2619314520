import type { LogFrame, LogRequest } from "../client/allocrunner/alloc-runner-api.js";
import type { LogSource } from "../client/logs/client-fs-service.js";
import { NotFoundError } from "../common/errors.js";
import { CLIENT_RPC_ADDRESS_ATTR, ClientFsClient } from "../rpc/client-fs-client.js";
import { RpcError } from "../rpc/rpc-status.js";
import type { ServerApi } from "../rpc/server-api.js";
import { HttpError } from "./http-error.js";

/** A log source that can be shut down (its gRPC connections closed). */
export type ClosableLogSource = LogSource & { close(): void };

/** Connections kept to client agents; idle ones beyond this are closed, oldest first. */
const MAX_IDLE_CLIENTS = 64;

interface CachedClient {
  client: ClientFsClient;
  /** Streams in progress through this client; it is closed only at 0. */
  active: number;
}

/**
 * The log source of a server agent: finds the allocation's node (stale reads: an allocation does
 * not move, and a slightly old node record still has the right address), and streams the log
 * from the client agent's ClientFs service at the node's `unique.drover.rpc_address`, as Nomad
 * servers forward `/v1/client/fs/logs` to the client holding the allocation.
 *
 * One ClientFsClient per address is kept and reused; close() closes them all (agent shutdown).
 * A client agent that cannot be reached is a 502 naming the node and address.
 */
export function forwardedLogSource(api: ServerApi): ClosableLogSource {
  const clients = new Map<string, CachedClient>();
  let closed = false;

  const acquire = (address: string): CachedClient => {
    let cached = clients.get(address);
    if (cached === undefined) {
      cached = { client: new ClientFsClient(address), active: 0 };
      clients.set(address, cached);
      evictIdle();
    }
    cached.active++;
    return cached;
  };

  const evictIdle = (): void => {
    let idle = [...clients.values()].filter((c) => c.active === 0).length;
    for (const [address, cached] of clients) {
      if (idle <= MAX_IDLE_CLIENTS) return;
      if (cached.active > 0) continue;
      cached.client.close();
      clients.delete(address);
      idle--;
    }
  };

  async function* forward(allocId: string, request: LogRequest): AsyncGenerator<LogFrame, void, undefined> {
    if (closed) throw new HttpError(503, "the agent is shutting down");
    const alloc = (await api.allocGet(allocId, { stale: true })).value;
    if (alloc === undefined) throw new NotFoundError(`allocation ${allocId} not found`);
    const node = (await api.nodeGet(alloc.NodeID, { stale: true })).value;
    if (node === undefined) {
      throw new NotFoundError(`node ${alloc.NodeID} of allocation ${allocId} not found`);
    }
    const address = node.Attributes[CLIENT_RPC_ADDRESS_ATTR] ?? "";
    if (address === "") {
      throw new HttpError(
        502,
        `node ${node.ID} does not publish a client RPC address (attribute ${CLIENT_RPC_ADDRESS_ATTR}): ` +
          "its logs cannot be reached through a server",
      );
    }
    const cached = acquire(address);
    const { signal, ...rest } = request;
    try {
      yield* cached.client.streamLogs(allocId, rest, signal);
    } catch (error) {
      if (error instanceof RpcError) {
        throw new HttpError(502, `client of node ${node.ID} at ${address}: ${error.message}`);
      }
      throw error;
    } finally {
      cached.active--;
      if (closed) cached.client.close();
      else evictIdle();
    }
  }

  return Object.assign((allocId: string, request: LogRequest) => forward(allocId, request), {
    close(): void {
      closed = true;
      for (const cached of clients.values()) cached.client.close();
      clients.clear();
    },
  });
}
