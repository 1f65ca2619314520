import type { Counter, Gauge } from "prom-client";
import { NotLeaderError } from "../common/errors.js";
import { SeededRandom } from "../common/rand.js";
import { allocDisconnect, disconnectExpired, supportsDisconnect } from "../fsm/alloc-disconnect.js";
import type { NodeStatusCommand } from "../fsm/commands.js";
import type { StateReader } from "../fsm/state-reader.js";
import {
  allocClientTerminal,
  type Evaluation,
  type Nanos,
  type Node,
  type NodeStatus,
} from "../fsm/structs.js";
import type { CancelTimer } from "./clock.js";
import type { ServerContext } from "./context.js";
import { jobEvaluation } from "./new-evaluation.js";

export interface HeartbeatConfig {
  /** Lower bound of a node's TTL (Nomad's min_heartbeat_ttl, 10 s; `--min-heartbeat-ttl`). */
  minHeartbeatTtlMs: number;
  /** Target rate of heartbeats across all nodes (Nomad's max_heartbeats_per_second, 50). */
  maxHeartbeatsPerSecond: number;
  /** Extra time after the TTL before a node is marked down (Nomad: 10 s; `--heartbeat-grace`). */
  heartbeatGraceMs: number;
  /** The TTL every node gets right after a leader change (Nomad: 5 min), so that nodes that
   * heartbeated the old leader are not marked down while they find the new one. */
  failoverHeartbeatTtlMs: number;
}

export const DEFAULT_HEARTBEAT_CONFIG: HeartbeatConfig = {
  minHeartbeatTtlMs: 10_000,
  maxHeartbeatsPerSecond: 50,
  heartbeatGraceMs: 10_000,
  failoverHeartbeatTtlMs: 300_000,
};

/**
 * The leader's heartbeat timers (Nomad's heartbeat.go): one TTL per node. Each heartbeat resets
 * the node's timer and tells the client its TTL: max(minHeartbeatTtl, nodes / maxHeartbeatsPerSecond)
 * plus a random stagger of up to the same again, so that heartbeats spread out at the target rate
 * however many nodes there are. A timer that runs out (TTL + grace) marks the node down and
 * creates an eval for every job with allocations on it, and for every system job, so that its
 * allocations are marked lost and replaced.
 *
 * A node running allocations whose group has a disconnect window (lost_after) that has not run
 * out is marked `disconnected` instead (Nomad's disconnectState): its allocations become unknown
 * and may reconnect. Its timer is armed again, and the first expiry after every window is over
 * marks it down.
 */
export class HeartbeatTimers {
  private enabled = false;
  private readonly timers = new Map<string, CancelTimer>();
  private readonly random: SeededRandom;
  private readonly activeGauge: Gauge;
  private readonly expiries: Record<"down" | "disconnected", Counter.Internal>;

  constructor(
    private readonly ctx: ServerContext,
    private readonly config: HeartbeatConfig = DEFAULT_HEARTBEAT_CONFIG,
    seed = 1,
  ) {
    this.random = new SeededRandom(seed);
    this.activeGauge = ctx.metrics.gauge(
      "drover_heartbeats_active",
      "Nodes with a heartbeat timer on the leader",
    );
    const expiries = ctx.metrics.counter(
      "drover_heartbeat_expiries_total",
      "Nodes this leader marked after a missed heartbeat, by the status they were given (down or disconnected)",
      ["outcome"],
    );
    this.expiries = { down: expiries.labels("down"), disconnected: expiries.labels("disconnected") };
    this.expiries.down.inc(0);
    this.expiries.disconnected.inc(0);
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * On gaining leadership: every node that is not down gets the failover TTL. On losing it: all
   * timers stop.
   */
  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
    if (enabled) {
      for (const node of this.ctx.state().nodes()) {
        if (node.Status !== "down") this.arm(node.ID, this.config.failoverHeartbeatTtlMs);
      }
    }
    this.activeGauge.set(this.timers.size);
  }

  /**
   * A heartbeat (or registration, or status update) from `nodeId`: restarts its timer and
   * returns the TTL the client must heartbeat within. Throws NotLeaderError off the leader.
   */
  resetHeartbeatTimer(nodeId: string): number {
    if (!this.enabled) throw new NotLeaderError(undefined);
    const ttlMs = this.nextTtlMs();
    this.arm(nodeId, ttlMs + this.config.heartbeatGraceMs);
    return ttlMs;
  }

  /** Stops tracking a node (deregistered, or marked down). */
  clearHeartbeatTimer(nodeId: string): void {
    this.timers.get(nodeId)?.();
    this.timers.delete(nodeId);
    this.activeGauge.set(this.timers.size);
  }

  /** Nodes currently tracked. */
  get active(): number {
    return this.timers.size;
  }

  /** The TTL for the next heartbeat, scaled to the number of tracked nodes (and staggered). */
  nextTtlMs(): number {
    const count = Math.max(this.timers.size, 1);
    const scaled = Math.max(
      this.config.minHeartbeatTtlMs,
      (count / this.config.maxHeartbeatsPerSecond) * 1000,
    );
    return Math.round(scaled + this.random.next() * scaled);
  }

  private arm(nodeId: string, ms: number): void {
    this.timers.get(nodeId)?.();
    this.timers.set(
      nodeId,
      this.ctx.clock.setTimeout(() => this.expire(nodeId), ms),
    );
    this.activeGauge.set(this.timers.size);
  }

  private expire(nodeId: string): void {
    this.timers.delete(nodeId);
    this.activeGauge.set(this.timers.size);
    if (!this.enabled) return;
    const state = this.ctx.state();
    const node = state.nodeByID(nodeId);
    if (node === undefined || node.Status === "down") return;
    const now = this.ctx.clock.now();
    const status = missedHeartbeatStatus(state, node, now);
    // Disconnected nodes are watched on, so that they go down once no window is left.
    if (status === "disconnected") this.arm(nodeId, this.nextTtlMs() + this.config.heartbeatGraceMs);
    if (status === node.Status) return;
    const description =
      status === "disconnected"
        ? "node heartbeat missed; allocations may reconnect"
        : "node heartbeat missed";
    const command: NodeStatusCommand = {
      type: "node-status",
      Updates: [{ NodeID: nodeId, Status: status, StatusDescription: description, UpdatedAt: now }],
      Evals: nodeEvals(state, node, now),
    };
    this.ctx.logger.warn({ nodeId, status }, `node missed its heartbeat TTL; marking it ${status}`);
    if (status === "down" || status === "disconnected") this.expiries[status].inc();
    this.ctx.propose(command).then(
      () => {},
      (error: unknown) => {
        // Off the leader now (the next leader re-arms every node with the failover TTL), or a
        // real fault: either way nothing here can retry it better than the next leader.
        this.ctx.logger.error({ nodeId, err: error }, "could not mark node down");
      },
    );
  }
}

/**
 * What a node that missed its heartbeat becomes (Nomad's disconnectState): `disconnected` while
 * some allocation the servers want running there has a disconnect window (lost_after) that has not
 * run out, else `down`. An initializing node never had anything to wait for.
 */
export function missedHeartbeatStatus(state: StateReader, node: Node, now: Nanos): NodeStatus {
  if (node.Status === "initializing") return "down";
  for (const alloc of state.allocsByNode(node.ID)) {
    if (alloc.DesiredStatus !== "run" || allocClientTerminal(alloc)) continue;
    const strategy = allocDisconnect(state, alloc);
    if (supportsDisconnect(strategy) && !disconnectExpired(alloc, strategy, now)) return "disconnected";
  }
  return "down";
}

/**
 * The evals a node status change needs (Nomad's createNodeEvals): one for every job with
 * non-terminal allocations on the node, and one for every system and sysbatch job (which may need
 * to place on it, or stop there), each carrying the node's id.
 */
export function nodeEvals(state: StateReader, node: Node, now: Nanos): Evaluation[] {
  const evals = new Map<string, Evaluation>();
  const add = (namespace: string, jobId: string): void => {
    const key = `${namespace}\u0000${jobId}`;
    if (evals.has(key)) return;
    const job = state.jobByID(namespace, jobId);
    if (job === undefined) return;
    evals.set(
      key,
      jobEvaluation(job, "node-update", now, {
        JobModifyIndex: job.JobModifyIndex,
        NodeID: node.ID,
        NodeModifyIndex: node.ModifyIndex,
      }),
    );
  };
  for (const alloc of state.allocsByNode(node.ID))
    if (!allocClientTerminal(alloc)) add(alloc.Namespace, alloc.JobID);
  for (const type of ["system", "sysbatch"] as const) {
    for (const job of state.jobsByType(type)) if (!job.Stop) add(job.Namespace, job.ID);
  }
  return [...evals.values()];
}
