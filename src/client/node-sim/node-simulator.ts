import { randomUUID } from "node:crypto";
import { NotFoundError } from "../../common/errors.js";
import type { Logger } from "../../common/log.js";
import { SeededRandom } from "../../common/rand.js";
import type { Allocation, AllocClientStatus } from "../../fsm/index.js";
import type { AllocClientFields, AllocWatch, ClientAllocsUpdate } from "../../rpc/server-api.js";
import { ServerRpcClient } from "../../rpc/server-client.js";
import { type SimNodeSpec, simNode } from "./sim-node-spec.js";

export interface NodeSimulatorOptions {
  /** host:port of server gRPC listeners; any one is enough, the others are failover. */
  servers: string[];
  logger: Logger;
  namePrefix?: string;
  datacenter?: string;
  nodeClass?: string;
  nodePool?: string;
  cpuMhz?: number;
  memoryMb?: number;
  diskMb?: number;
  /** Registrations in flight at once. */
  registerConcurrency?: number;
  /** Window in which alloc status reports of all nodes are batched into one RPC. */
  reportWindowMs?: number;
  /** Decides the status a new allocation is reported with (default: running). */
  outcome?: (alloc: Allocation) => "running" | "failed";
  seed?: number;
}

interface SimNodeState {
  spec: SimNodeSpec;
  /** Index of the server this node talks to (spread over all servers, as real clients pick one). */
  server: number;
  /** False once the node was told to go silent (stop heartbeating and watching). */
  alive: boolean;
  heartbeatTimer: NodeJS.Timeout | undefined;
  watch: AllocWatch | undefined;
  /** What this node last reported for each allocation it holds. */
  reported: Map<string, AllocClientStatus>;
  /**
   * The IDs of the allocations the server lists on this node. Only the IDs: a simulated client
   * runs nothing, and keeping every pushed allocation whole held a million of them in the
   * simulator's heap at C1M scale, whose garbage collection took CPU from the servers beside it.
   */
  allocs: Set<string>;
}

export interface NodeSimulatorStats {
  nodes: number;
  aliveNodes: number;
  allocsRunning: number;
  reportsSent: number;
  heartbeats: number;
  rpcErrors: number;
}

/**
 * Simulates client nodes in one process over the REAL client RPCs (proto/server.proto):
 * each node registers, heartbeats within its TTL, watches its allocations with a
 * NodeGetClientAllocs stream, and reports new allocations running (or failed, per `outcome`)
 * and stopped ones complete. Reports of all nodes are batched into one AllocClientUpdate per
 * window, as a busy real client batches its own. Used by cluster tests and bench/cluster.ts.
 */
/** Reports in one request at most (a full request goes out at once, the rest in the next). */
const MAX_REPORTS_PER_CALL = 5000;

export class NodeSimulator {
  private readonly nodes = new Map<string, SimNodeState>();
  private readonly clients: ServerRpcClient[];
  private serverCursor = 0;
  private readonly rand: SeededRandom;
  /** Reports not sent yet, by allocation ID, oldest first. */
  private pendingReports = new Map<string, { nodeId: string; update: AllocClientFields }>();
  private reportTimer: NodeJS.Timeout | undefined;
  /** A report request is in flight (at most one is). */
  private reporting = false;
  private closed = false;
  private readonly counters = { reportsSent: 0, heartbeats: 0, rpcErrors: 0 };

  constructor(private readonly options: NodeSimulatorOptions) {
    if (options.servers.length === 0) throw new Error("NodeSimulator: no servers given");
    this.clients = options.servers.map(
      (address) => new ServerRpcClient(address, { defaultDeadlineMs: 20_000 }),
    );
    this.rand = new SeededRandom(options.seed ?? 1);
  }

  /** The server a node talks to (or, without a node, the one used for batched reports). */
  private client(state?: SimNodeState): ServerRpcClient {
    const index = state === undefined ? this.serverCursor : state.server;
    return this.clients[index % this.clients.length] as ServerRpcClient;
  }

  /** A failed call moves the node (or the report batcher) to the next server. */
  private failover(error: unknown, what: string, state?: SimNodeState): void {
    this.counters.rpcErrors++;
    if (state === undefined) this.serverCursor++;
    else state.server++;
    this.options.logger.debug({ err: error, what }, "node-sim: rpc failed; failing over");
  }

  /** Creates and registers `count` nodes; resolves once all are registered. Returns their IDs. */
  async addNodes(count: number): Promise<string[]> {
    const start = this.nodes.size;
    const specs: SimNodeSpec[] = [];
    for (let i = 0; i < count; i++) {
      const n = start + i;
      specs.push({
        id: randomUUID(),
        secretId: randomUUID(),
        name: `${this.options.namePrefix ?? "sim"}-${n}`,
        datacenter: this.options.datacenter ?? "dc1",
        nodeClass: this.options.nodeClass ?? "",
        nodePool: this.options.nodePool ?? "default",
        cpuMhz: this.options.cpuMhz ?? 4000,
        memoryMb: this.options.memoryMb ?? 8192,
        diskMb: this.options.diskMb ?? 100_000,
        meta: {},
      });
    }
    const concurrency = this.options.registerConcurrency ?? 32;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < specs.length && !this.closed) {
        const spec = specs[next++] as SimNodeSpec;
        const state: SimNodeState = {
          spec,
          server: this.nodes.size,
          alive: true,
          heartbeatTimer: undefined,
          watch: undefined,
          reported: new Map(),
          allocs: new Set(),
        };
        this.nodes.set(spec.id, state);
        await this.register(state);
        this.startWatch(state);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
    return specs.map((s) => s.id);
  }

  private async register(state: SimNodeState): Promise<void> {
    for (let attempt = 0; !this.closed && state.alive; attempt++) {
      try {
        const res = await this.client(state).nodeRegister(simNode(state.spec, Date.now() * 1e6));
        this.scheduleHeartbeat(state, res.heartbeatTtlMs);
        return;
      } catch (error) {
        this.failover(error, "register", state);
        await sleep(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }

  private scheduleHeartbeat(state: SimNodeState, ttlMs: number): void {
    if (this.closed || !state.alive) return;
    // Beat at 40–60 % of the TTL: early enough to survive a slow RPC or a failover, spread so
    // thousands of nodes do not beat in step.
    const delay = Math.max(50, ttlMs * (0.4 + 0.2 * this.rand.next()));
    state.heartbeatTimer = setTimeout(() => {
      this.heartbeat(state).catch((error: unknown) =>
        this.options.logger.error({ err: error }, "node-sim: heartbeat loop"),
      );
    }, delay);
  }

  private async heartbeat(state: SimNodeState): Promise<void> {
    if (this.closed || !state.alive) return;
    try {
      const res = await this.client(state).nodeHeartbeat(state.spec.id, state.spec.secretId);
      this.counters.heartbeats++;
      this.scheduleHeartbeat(state, res.heartbeatTtlMs);
    } catch (error) {
      if (error instanceof NotFoundError) {
        await this.register(state);
        return;
      }
      this.failover(error, "heartbeat", state);
      this.scheduleHeartbeat(state, 1000);
    }
  }

  private startWatch(state: SimNodeState, attempt = 0): void {
    if (this.closed || !state.alive) return;
    let watch: AllocWatch;
    try {
      watch = this.client(state).watchClientAllocs(
        { nodeId: state.spec.id, secretId: state.spec.secretId, minIndex: 0, stale: true },
        (update) => this.onAllocs(state, update),
      );
    } catch (error) {
      this.failover(error, "watch", state);
      setTimeout(() => this.startWatch(state, attempt + 1), Math.min(2000, 100 * 2 ** attempt));
      return;
    }
    state.watch = watch;
    watch.closed.then(
      () => {
        // The server ended the stream (shutdown): reconnect unless we cancelled it.
        if (state.watch === watch && state.alive && !this.closed)
          setTimeout(() => this.startWatch(state, 0), 100);
      },
      (error: unknown) => {
        this.failover(error, "watch", state);
        if (state.watch === watch) {
          setTimeout(() => this.startWatch(state, attempt + 1), Math.min(2000, 100 * 2 ** attempt));
        }
      },
    );
  }

  private onAllocs(state: SimNodeState, update: ClientAllocsUpdate): void {
    if (!state.alive) return;
    if (update.full) {
      const present = new Set(update.allocs.map((a) => a.ID));
      for (const id of state.allocs) if (!present.has(id)) this.forget(state, id);
    }
    for (const id of update.removedAllocIds) this.forget(state, id);
    for (const alloc of update.allocs) {
      state.allocs.add(alloc.ID);
      const wanted = this.clientStatusFor(alloc);
      if (wanted === undefined) continue;
      if (state.reported.get(alloc.ID) === wanted || alloc.ClientStatus === wanted) {
        state.reported.set(alloc.ID, wanted);
        continue;
      }
      state.reported.set(alloc.ID, wanted);
      this.queueReport(state.spec.id, {
        ID: alloc.ID,
        NodeID: state.spec.id,
        ClientStatus: wanted,
        ClientDescription: wanted === "running" ? "simulated task running" : `simulated ${wanted}`,
        ModifyTime: Date.now() * 1e6,
      });
    }
  }

  /**
   * The server no longer lists the allocation on this node: drop it, with any report of it not
   * sent yet. The server would refuse that report (the allocation is gone or not this node's)
   * and, as it refuses a whole batch, hold back every report queued behind it.
   */
  private forget(state: SimNodeState, allocId: string): void {
    state.allocs.delete(allocId);
    state.reported.delete(allocId);
    if (this.pendingReports.get(allocId)?.nodeId === state.spec.id) this.pendingReports.delete(allocId);
  }

  /** What a client would report for the allocation now; undefined when nothing changes. */
  private clientStatusFor(alloc: Allocation): AllocClientStatus | undefined {
    const terminal =
      alloc.ClientStatus === "complete" || alloc.ClientStatus === "failed" || alloc.ClientStatus === "lost";
    if (terminal) return undefined;
    if (alloc.DesiredStatus !== "run") return "complete";
    if (alloc.ClientStatus === "pending") return (this.options.outcome ?? (() => "running"))(alloc);
    return undefined;
  }

  /**
   * Queues a report; a newer one for the same allocation replaces one not sent yet. Reports go
   * out as Nomad's clients send theirs: batched over a window, and one request at a time, what
   * comes in meanwhile waiting for the next. A slow server then sees fewer, larger requests,
   * rather than a pile of concurrent ones that time out and come back as retries of work it
   * already did.
   */
  private queueReport(nodeId: string, update: AllocClientFields): void {
    this.pendingReports.delete(update.ID);
    this.pendingReports.set(update.ID, { nodeId, update });
    this.scheduleReports(this.options.reportWindowMs ?? 20);
  }

  private scheduleReports(delayMs: number): void {
    if (this.reportTimer !== undefined || this.reporting || this.closed) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.flushReports().catch((error: unknown) =>
        this.options.logger.error({ err: error }, "node-sim: report loop"),
      );
    }, delayMs);
  }

  private async flushReports(): Promise<void> {
    if (this.pendingReports.size === 0 || this.closed) return;
    const batch = [...this.pendingReports.values()].slice(0, MAX_REPORTS_PER_CALL);
    for (const { update } of batch) this.pendingReports.delete(update.ID);
    const secrets: Record<string, string> = {};
    for (const { nodeId } of batch) {
      const node = this.nodes.get(nodeId);
      if (node !== undefined) secrets[nodeId] = node.spec.secretId;
    }
    this.reporting = true;
    let retryInMs = this.options.reportWindowMs ?? 20;
    try {
      await this.client().allocClientUpdate(
        batch.map((b) => b.update),
        secrets,
      );
      this.counters.reportsSent += batch.length;
    } catch (error) {
      this.failover(error, "alloc update");
      // Back in front, unless a newer report for the allocation came in meanwhile.
      const newer = this.pendingReports;
      this.pendingReports = new Map();
      for (const b of batch) {
        // Not a report of an alloc forgotten meanwhile (see forget): that one would fail again.
        const held = this.nodes.get(b.nodeId)?.allocs.has(b.update.ID) ?? false;
        if (held && !newer.has(b.update.ID)) this.pendingReports.set(b.update.ID, b);
      }
      for (const [id, b] of newer) this.pendingReports.set(id, b);
      retryInMs = 200;
    } finally {
      this.reporting = false;
    }
    if (this.pendingReports.size > 0) this.scheduleReports(retryInMs);
  }

  /** Makes a node go silent, as if its machine died: no heartbeats, no watch, no reports. */
  silence(nodeId: string): void {
    const state = this.nodes.get(nodeId);
    if (state === undefined) throw new Error(`node-sim: unknown node ${nodeId}`);
    state.alive = false;
    if (state.heartbeatTimer !== undefined) clearTimeout(state.heartbeatTimer);
    const watch = state.watch;
    state.watch = undefined;
    watch?.cancel();
  }

  nodeIds(): string[] {
    return [...this.nodes.keys()];
  }

  nodeName(nodeId: string): string | undefined {
    return this.nodes.get(nodeId)?.spec.name;
  }

  stats(): NodeSimulatorStats {
    let alive = 0;
    let running = 0;
    for (const node of this.nodes.values()) {
      if (node.alive) alive++;
      for (const status of node.reported.values()) if (status === "running") running++;
    }
    return { nodes: this.nodes.size, aliveNodes: alive, allocsRunning: running, ...this.counters };
  }

  close(): void {
    this.closed = true;
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    for (const node of this.nodes.values()) {
      node.alive = false;
      if (node.heartbeatTimer !== undefined) clearTimeout(node.heartbeatTimer);
      const watch = node.watch;
      node.watch = undefined;
      watch?.cancel();
    }
    for (const client of this.clients) client.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
