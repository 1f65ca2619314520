import { status } from "@grpc/grpc-js";
import { NotLeaderError, TimeoutError } from "../common/errors.js";
import { RpcError } from "../rpc/rpc-status.js";
import type { ServerAddress } from "../rpc/server-api.js";
import { ServerRpcClient } from "../rpc/server-client.js";

/** What the forwarder needs to know about the cluster (implemented by the server agent). */
export interface LeaderView {
  readonly selfId: string;
  /** The current leader as this server knows it, or undefined while there is none. */
  leader(): ServerAddress | undefined;
  /** Resolves when the known leader changes or after `timeoutMs`, whichever comes first. */
  leaderChanged(timeoutMs: number): Promise<void>;
}

export interface ForwardOptions {
  /** How long a request may wait for a leader before it fails (Nomad's rpc_hold_timeout). */
  deadlineMs: number;
  /**
   * May the request be sent again after a connection broke mid-call? Only for requests whose
   * repetition is harmless (reads, heartbeats, idempotent writes): a broken connection does not
   * say whether the leader executed the first copy.
   */
  idempotent: boolean;
}

/** Pause between attempts when the leader is known but unreachable, so retries do not spin. */
const RETRY_PAUSE_MS = 50;

/**
 * Runs a request where it must run: on this server when it leads, otherwise on the leader over
 * gRPC. While there is no leader (an election, a partition) the request waits for one and retries
 * until the deadline instead of failing at once, so that clients ride through leader changes.
 * A leader that answers NotLeader (it was deposed after we picked it) is just another retry.
 */
export class Forwarder {
  private readonly clients = new Map<string, ServerRpcClient>();

  constructor(private readonly view: LeaderView) {}

  /** The pooled client of one server (also used for worker RPCs to the leader). */
  client(address: string): ServerRpcClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new ServerRpcClient(address, { forwarded: true });
      this.clients.set(address, client);
    }
    return client;
  }

  async run<T>(
    options: ForwardOptions,
    local: () => Promise<T>,
    remote: (leader: ServerRpcClient) => Promise<T>,
  ): Promise<T> {
    const deadline = performance.now() + options.deadlineMs;
    let lastError: Error | undefined;
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new TimeoutError(
          `no leader answered within ${options.deadlineMs} ms${lastError === undefined ? "" : ` (last error: ${lastError.message})`}`,
        );
      }
      const leader = this.view.leader();
      if (leader === undefined) {
        await this.view.leaderChanged(remaining);
        continue;
      }
      try {
        if (leader.id === this.view.selfId) return await local();
        return await remote(this.client(leader.rpcAddress));
      } catch (error) {
        if (!this.retryable(error, options)) throw error;
        lastError = error as Error;
        // Wait for news about the leader, but not longer than a short pause: the leader we know
        // may be right and just briefly unreachable.
        await this.view.leaderChanged(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - performance.now())));
      }
    }
  }

  private retryable(error: unknown, options: ForwardOptions): boolean {
    if (error instanceof NotLeaderError) return true;
    if (error instanceof RpcError)
      return error.notSent || (options.idempotent && error.code === status.UNAVAILABLE);
    return false;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
