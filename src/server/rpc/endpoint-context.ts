import { NotLeaderError } from "../../common/errors.js";
import type { Command, ResultOf } from "../../fsm/commands.js";
import type { Evaluation, Plan, PlanResult, StateReader } from "../../fsm/index.js";
import type { QueryMeta, QueryOptions, QueryResult, ServerAddress } from "../../rpc/server-api.js";
import type { ServerRpcClient } from "../../rpc/server-client.js";
import type { GcRequest } from "../../scheduler/schedule-types.js";
import type { ServerContext } from "../context.js";
import type { Forwarder, LeaderView } from "../forward.js";
import type { AllocWatchHub } from "./alloc-watch-hub.js";

/**
 * The leader's duties as the endpoints use them (implemented by src/server/leader.ts Leader over
 * its eval broker, blocked evals, plan queue and heartbeat timers). Present only on the leader.
 */
export interface LeaderDuties {
  dequeue(
    schedulers: readonly string[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ eval: Evaluation; token: string } | null>;
  /** Throw when the token is not the eval's outstanding delivery. */
  ack(evalId: string, token: string): void;
  nack(evalId: string, token: string): void;
  /** True when `token` is the outstanding delivery of `evalId`. */
  holds(evalId: string, token: string): boolean;
  /** Puts an eval the worker re-blocked back into the blocked set. */
  reblock(evaluation: Evaluation, token: string): void;
  submitPlan(plan: Plan): Promise<PlanResult>;
  /** Commits a core eval's garbage collection (checks the token). */
  collectGarbage(request: GcRequest, evalId: string, token: string): Promise<number>;
  /** Enqueues a forced garbage collection (a force-gc core eval); answers the eval's ID. */
  forceGc(): string;
  /** Resets the node's heartbeat timer; answers the TTL (ms) within which it must beat again. */
  heartbeat(nodeId: string): number;
}

/** What the endpoints know about the cluster (implemented by the agent). */
export interface ClusterView extends LeaderView {
  readonly self: ServerAddress;
  lastContactMs(): number;
  peers(): ServerAddress[];
}

export interface EndpointsOptions {
  ctx: ServerContext;
  cluster: ClusterView;
  forwarder: Forwarder;
  /** The leader's duties while this server leads, otherwise undefined. */
  duties: () => LeaderDuties | undefined;
  hub: AllocWatchHub;
  /** How long a request waits for a leader before it fails. */
  forwardDeadlineMs: number;
  /** Batch window of client alloc updates on the leader (Nomad: 50 ms). */
  allocUpdateWindowMs?: number;
}

/** True when an object of `namespace` with `id` passes the query's namespace and prefix filters. */
export function matchesQuery(namespace: string, id: string, query: QueryOptions): boolean {
  if (query.namespace !== undefined && query.namespace !== "*" && namespace !== query.namespace) return false;
  return query.prefix === undefined || id.startsWith(query.prefix);
}

/**
 * What every resource's endpoints share: where a request runs (writes on the leader, here or
 * forwarded; linearizable or stale reads; blocking queries) and the server's state, clock and
 * leader duties. Each resource module (node-endpoints.ts, job-endpoints.ts, …) holds only its own
 * logic and passes its local and forwarding closures to `write` or `read`.
 */
export class EndpointContext {
  readonly server: ServerContext;
  readonly cluster: ClusterView;
  readonly hub: AllocWatchHub;

  constructor(
    readonly options: EndpointsOptions,
    /** False for calls another server forwarded here: run locally or answer NotLeader. */
    private readonly forwarding: boolean,
  ) {
    this.server = options.ctx;
    this.cluster = options.cluster;
    this.hub = options.hub;
  }

  state(): StateReader {
    return this.server.state();
  }

  now(): number {
    return this.server.clock.now();
  }

  meta(index: number): QueryMeta {
    return {
      index,
      knownLeader: this.cluster.leader() !== undefined,
      lastContactMs: this.cluster.lastContactMs(),
    };
  }

  leaderDuties(): LeaderDuties {
    const duties = this.options.duties();
    if (duties === undefined) throw new NotLeaderError(this.cluster.leader()?.id);
    return duties;
  }

  async propose<C extends Command>(command: C): Promise<{ index: number; result: ResultOf<C> }> {
    const { index, result } = await this.server.propose(command);
    return { index, result: result as ResultOf<C> };
  }

  /** Runs a write on the leader (here, or forwarded). */
  write<T>(
    local: () => Promise<T>,
    remote: (c: ServerRpcClient) => Promise<T>,
    idempotent = false,
  ): Promise<T> {
    // Off the leader every local path fails with NotLeaderError (no duties, Raft refuses the
    // proposal or the ReadIndex), which is the answer a forwarded call must get.
    if (!this.forwarding) return local();
    return this.options.forwarder.run(
      { deadlineMs: this.options.forwardDeadlineMs, idempotent },
      local,
      remote,
    );
  }

  /**
   * A read: linearizable unless `stale` (the leader confirms it still leads and that its state
   * includes everything committed before the request — Raft §8 ReadIndex — before answering);
   * blocking when `minIndex` is set.
   */
  read<T>(
    query: QueryOptions,
    tables: readonly string[],
    compute: (state: StateReader) => T,
    remote: (c: ServerRpcClient) => Promise<QueryResult<T>>,
  ): Promise<QueryResult<T>> {
    if (query.stale === true) return this.blockingRead(query, tables, compute);
    return this.write(
      async () => {
        await this.server.barrier();
        return this.blockingRead(query, tables, compute);
      },
      remote,
      true,
    );
  }

  private async blockingRead<T>(
    query: QueryOptions,
    tables: readonly string[],
    compute: (state: StateReader) => T,
  ): Promise<QueryResult<T>> {
    const minIndex = query.minIndex ?? 0;
    const deadline = performance.now() + (query.maxWaitMs ?? 0);
    for (;;) {
      const state = this.server.state();
      // A table never written reports the state's index: any later write passes it. (Nomad floors
      // it at 1 instead, which would hide a first write at index 1 from a blocked reader.)
      const index = Math.max(0, ...tables.map((t) => state.tableIndex(t))) || state.index;
      const remaining = deadline - performance.now();
      if (minIndex === 0 || index > minIndex || remaining <= 0) {
        return { value: compute(state), meta: this.meta(index) };
      }
      await this.waitApplied(state.index + 1, remaining);
    }
  }

  /** Waits until the local FSM applied `index`, or `timeoutMs` passed (no error either way). */
  private async waitApplied(index: number, timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      await this.server.waitForIndex(index, controller.signal);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}
