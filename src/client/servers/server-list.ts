import { NotLeaderError, TimeoutError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { RpcError } from "../../rpc/rpc-status.js";
import type { ServerAddress, ServerApi } from "../../rpc/server-api.js";
import { ServerRpcClient } from "../../rpc/server-client.js";

/** One server as the client sees it: its API, and the connection to let go of at the end. */
export type ServerConnection = ServerApi & { close(): void };

/** Opens the connection to one server (a gRPC client; tests hand in servers of their own). */
export type ServerConnector = (address: string) => ServerConnection;

export interface ServerListOptions {
  /** Deadline of each call to a server (default 10 s). */
  deadlineMs?: number;
  /** How connections are opened (default: a ServerRpcClient). */
  connect?: ServerConnector;
}

/**
 * The servers a client talks to: it starts from the ones it was given (any one is enough),
 * learns the others from every register/heartbeat answer, and moves to the next one when a call
 * fails. One gRPC client per address, kept for the life of the agent.
 *
 * Invariant: `addresses` is never empty (the configured servers are never forgotten, so a
 * client whose learned list went stale can always come back through them).
 */
export class ServerList {
  private readonly configured: readonly string[];
  private addresses: string[];
  private cursor = 0;
  private readonly clients = new Map<string, ServerConnection>();
  private readonly connect: ServerConnector;

  constructor(
    servers: readonly string[],
    private readonly logger: Logger,
    options: ServerListOptions = {},
  ) {
    if (servers.length === 0) throw new Error("ServerList: no servers given");
    const deadlineMs = options.deadlineMs ?? 10_000;
    this.connect =
      options.connect ?? ((address) => new ServerRpcClient(address, { defaultDeadlineMs: deadlineMs }));
    this.configured = [...servers];
    this.addresses = [...servers];
  }

  /** The client of the server in use now. */
  current(): ServerConnection {
    const address = this.currentAddress();
    let client = this.clients.get(address);
    if (client === undefined) {
      client = this.connect(address);
      this.clients.set(address, client);
    }
    return client;
  }

  currentAddress(): string {
    return this.addresses[this.cursor % this.addresses.length] as string;
  }

  /**
   * A call to `failed` (the address it used) went wrong: move on to the next server, unless
   * another caller already did. Logged at debug: a client rides out a server's death quietly.
   */
  failover(failed: string, error: unknown): void {
    if (this.currentAddress() !== failed) return;
    this.cursor = (this.cursor + 1) % this.addresses.length;
    this.logger.debug(
      { err: error, from: failed, to: this.currentAddress() },
      "server call failed; failing over",
    );
  }

  /** Servers as the cluster reports them (Raft voters' RPC addresses), plus the configured ones. */
  learn(servers: readonly ServerAddress[]): void {
    if (servers.length === 0) return;
    const current = this.currentAddress();
    const next = [
      ...new Set([...servers.map((s) => s.rpcAddress).filter((a) => a !== ""), ...this.configured]),
    ];
    next.sort();
    if (next.length === this.addresses.length && next.every((a, i) => a === this.addresses[i])) return;
    this.addresses = next;
    // Stay on the server in use when it is still listed (indexOf: -1 when not; then the first).
    const at = next.indexOf(current);
    this.cursor = Math.max(at, 0);
    this.logger.debug({ servers: next }, "learned servers");
  }

  all(): readonly string[] {
    return this.addresses;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/**
 * Runs `call` against the current server, failing over to the next one when the server could
 * not answer (unreachable, no leader yet, deadline) and trying each known server once. Typed
 * answers (not found, wrong secret, bad input) are the cluster's verdict and are thrown at once.
 */
export async function callAnyServer<T>(
  servers: ServerList,
  call: (client: ServerApi) => Promise<T>,
): Promise<T> {
  const attempts = servers.all().length;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    const address = servers.currentAddress();
    try {
      return await call(servers.current());
    } catch (error) {
      if (!isTransient(error)) throw error;
      last = error;
      servers.failover(address, error);
    }
  }
  throw last;
}

/** Errors another server (or the same one a moment later) may not give. */
export function isTransient(error: unknown): boolean {
  return error instanceof RpcError || error instanceof NotLeaderError || error instanceof TimeoutError;
}
