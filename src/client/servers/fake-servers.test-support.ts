import { status } from "@grpc/grpc-js";
import { NotFoundError, PreconditionError } from "../../common/errors.js";
import type { Node } from "../../fsm/index.js";
import { RpcError } from "../../rpc/rpc-status.js";
import type {
  AllocClientFields,
  AllocWatch,
  ClientAllocsUpdate,
  NodeUpdateResult,
  ServerAddress,
  ServerApi,
} from "../../rpc/server-api.js";
import type { ServerConnection } from "./server-list.js";

/**
 * Test support (not a test file): in-memory servers of a cluster, handed to a ServerList through
 * its `connect` option, so that the client's own pieces (server list, heartbeater, alloc sync,
 * status reporter) run unchanged against servers a test controls. It fakes the SERVER side only.
 *
 * The servers share one cluster state (as Raft would make them): a node registered through one is
 * known to all. Each can be taken down (every call fails as an unreachable server's does) or given
 * errors for its next calls, and records every call made to it.
 */
export class FakeCluster {
  /** Registered nodes by ID. */
  readonly nodes = new Map<string, Node>();
  /** The TTL every register/heartbeat answer gives (0: the servers consider the node down). */
  heartbeatTtlMs = 10_000;
  /** The servers every register/heartbeat answer lists. */
  peers: ServerAddress[] = [];
  /** Every AllocClientUpdate accepted, in order. */
  readonly allocUpdates: Array<{
    server: string;
    allocs: AllocClientFields[];
    nodeSecrets: Record<string, string>;
  }> = [];
  /** Every call to any server, in order, as "address method". */
  readonly calls: string[] = [];
  private readonly servers = new Map<string, FakeServer>();

  /** The `connect` option of a ServerList. */
  readonly connect = (address: string): ServerConnection => this.server(address).connection();

  server(address: string): FakeServer {
    let server = this.servers.get(address);
    if (server === undefined) {
      server = new FakeServer(this, address);
      this.servers.set(address, server);
    }
    return server;
  }

  /** The calls of one method, as the addresses they went to. */
  callsOf(method: keyof ServerApi): string[] {
    return this.calls.filter((c) => c.endsWith(` ${method}`)).map((c) => c.slice(0, c.indexOf(" ")));
  }

  answer(): NodeUpdateResult {
    return {
      heartbeatTtlMs: this.heartbeatTtlMs,
      evalIds: [],
      evalCreateIndex: 0,
      nodeModifyIndex: 0,
      index: 1,
      leaderRpcAddress: "",
      servers: this.peers,
    };
  }
}

type Method = keyof ServerApi;

export class FakeServer {
  /** Every call fails with an RpcError UNAVAILABLE, as a call to a dead server does. */
  down = false;
  /** Errors the next calls throw (one per call) before anything else happens. */
  readonly failures: Error[] = [];
  /** Alloc watches opened on this server, oldest first. */
  readonly watches: FakeWatch[] = [];
  /** Connections opened to this server, and how many were closed. */
  connections = 0;
  closed = 0;
  private readonly overrides = new Map<Method, (...args: never[]) => unknown>();

  constructor(
    private readonly cluster: FakeCluster,
    readonly address: string,
  ) {}

  /** Replaces one method's behaviour on this server (e.g. a call that never answers). */
  override<K extends Method>(method: K, impl: ServerApi[K]): void {
    this.overrides.set(method, impl);
  }

  /** The last watch opened here (fails the test when there is none). */
  lastWatch(): FakeWatch {
    const watch = this.watches.at(-1);
    if (watch === undefined) throw new Error(`no alloc watch on ${this.address}`);
    return watch;
  }

  connection(): ServerConnection {
    this.connections++;
    const implemented: Partial<ServerApi> = {
      nodeRegister: async (node) => {
        this.cluster.nodes.set(node.ID, node);
        return this.cluster.answer();
      },
      nodeHeartbeat: async (nodeId, secretId) => {
        const node = this.cluster.nodes.get(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        if (node.SecretID !== secretId) throw new PreconditionError(`node ${nodeId}: wrong SecretID`);
        return this.cluster.answer();
      },
      allocClientUpdate: async (allocs, nodeSecrets) => {
        this.cluster.allocUpdates.push({ server: this.address, allocs, nodeSecrets });
        return this.cluster.allocUpdates.length;
      },
      watchClientAllocs: (request, onUpdate) => {
        const watch = new FakeWatch(request, onUpdate);
        this.watches.push(watch);
        return watch;
      },
      statusLeader: async () => ({ leaderId: this.address, leaderRpcAddress: this.address }),
    };
    const server = this;
    const connection = new Proxy({} as ServerConnection, {
      get(_target, property) {
        // Like a real client: neither a thenable nor anything with symbol-keyed behaviour.
        if (typeof property === "symbol" || property === "then") return undefined;
        if (property === "close") return () => server.closed++;
        const method = property as Method;
        return (...args: never[]): unknown => {
          server.cluster.calls.push(`${server.address} ${method}`);
          const impl = server.overrides.get(method) ?? implemented[method];
          const failure = server.down ? unavailableError(server.address) : server.failures.shift();
          if (method === "watchClientAllocs") {
            // A watch on a dead server opens, then its stream fails (as the gRPC client's does).
            if (failure !== undefined) return FakeWatch.failed(failure);
            return (impl as (...a: never[]) => unknown)(...args);
          }
          if (failure !== undefined) return Promise.reject(failure);
          if (impl === undefined) return Promise.reject(new Error(`fake server: ${method} is not faked`));
          return (impl as (...a: never[]) => unknown)(...args);
        };
      },
    });
    return connection;
  }
}

/** What a call to a server that is down fails with. */
export function unavailableError(address: string): RpcError {
  return new RpcError(`rpc failed (UNAVAILABLE): ${address} is down`, status.UNAVAILABLE, true);
}

/** One NodeGetClientAllocs stream, driven by the test: push messages, end it, or fail it. */
export class FakeWatch implements AllocWatch {
  readonly closed: Promise<void>;
  cancelled = false;
  private settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(
    readonly request: { nodeId: string; secretId: string; minIndex: number; stale: boolean },
    private readonly onUpdate: (update: ClientAllocsUpdate) => void,
  ) {
    this.closed = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  static failed(error: Error): AllocWatch {
    const closed = Promise.reject(error);
    // Whoever opened the watch handles the rejection; this only keeps Node from reporting it early.
    closed.catch(() => {});
    return { cancel: () => {}, closed };
  }

  /** Delivers one message (fields not given: an incremental update with nothing in it). */
  push(update: Partial<ClientAllocsUpdate> & { index: number }): void {
    if (this.cancelled) throw new Error("push on a cancelled watch");
    this.onUpdate({ full: false, allocs: [], jobs: [], removedAllocIds: [], ...update });
  }

  /** The server ended the stream (it is shutting down). */
  end(): void {
    this.settle?.resolve();
  }

  /** The stream broke (the server died, or answered an error). */
  fail(error: Error): void {
    this.settle?.reject(error);
  }

  cancel(): void {
    this.cancelled = true;
    this.settle?.resolve();
  }
}

/** A promise and the functions that settle it (Promise.withResolvers is Node 22). */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve: (value: T) => void = () => {};
  let reject: (error: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
