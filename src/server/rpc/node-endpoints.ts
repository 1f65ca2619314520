import { NotFoundError, PreconditionError, ValidationError } from "../../common/errors.js";
import { pathComponentProblem } from "../../common/names.js";
import type { DrainStrategy, Evaluation, Node, NodeStatus, SchedulingEligibility } from "../../fsm/index.js";
import type { NodeUpdateResult, QueryOptions, QueryResult, ServerApi } from "../../rpc/server-api.js";
import { computeNodeClass } from "../../scheduler/computed-class.js";
import type { EndpointContext } from "./endpoint-context.js";
import { nodeEvals } from "./node-evals.js";

const NODE_STATUSES: readonly NodeStatus[] = ["initializing", "ready", "down", "disconnected"];

type NodeApi = Pick<
  ServerApi,
  | "nodeRegister"
  | "nodeUpdateStatus"
  | "nodeHeartbeat"
  | "nodeDeregister"
  | "nodeUpdateDrain"
  | "nodeUpdateEligibility"
  | "nodeList"
  | "nodeGet"
>;

/**
 * The node endpoints (Nomad's node_endpoint.go): registration, status and heartbeats, drain and
 * eligibility, and the node list. Status changes that can move allocations carry their evals.
 */
export class NodeEndpoints implements NodeApi {
  constructor(private readonly c: EndpointContext) {}

  nodeRegister(input: Node): Promise<NodeUpdateResult> {
    const node = validateNode(input);
    return this.c.write(
      async () => {
        const duties = this.c.leaderDuties();
        const state = this.c.state();
        const existing = state.nodeByID(node.ID);
        if (existing !== undefined && existing.SecretID !== node.SecretID) {
          throw new PreconditionError(`node ${node.ID} is registered with another SecretID`);
        }
        const now = this.c.now();
        const becomesReady = node.Status === "ready" && existing?.Status !== "ready";
        const evals = becomesReady
          ? nodeEvals(state, node.ID, existing?.ModifyIndex ?? 0, "node-update", now)
          : [];
        const stored: Node = {
          ...node,
          ComputedClass: node.ComputedClass === "" ? computeNodeClass(node) : node.ComputedClass,
          StatusUpdatedAt: now,
          // Eligibility and drain belong to operators once the node exists.
          SchedulingEligibility: existing?.SchedulingEligibility ?? node.SchedulingEligibility,
          DrainStrategy: existing?.DrainStrategy ?? node.DrainStrategy,
        };
        const { index } = await this.c.propose({ type: "node-register", Nodes: [stored], Evals: evals });
        return this.nodeUpdateResult(index, duties.heartbeat(node.ID), evals);
      },
      (c) => c.nodeRegister(node),
      true,
    );
  }

  nodeUpdateStatus(nodeId: string, secretId: string, status: NodeStatus): Promise<NodeUpdateResult> {
    if (!NODE_STATUSES.includes(status)) {
      throw new ValidationError(`status must be one of ${NODE_STATUSES.join(", ")}`, "NodeUpdateStatus");
    }
    return this.c.write(
      () => this.changeNodeStatus(nodeId, secretId, status),
      (c) => c.nodeUpdateStatus(nodeId, secretId, status),
      true,
    );
  }

  nodeHeartbeat(nodeId: string, secretId: string): Promise<NodeUpdateResult> {
    return this.c.write(
      () => this.changeNodeStatus(nodeId, secretId, undefined),
      (c) => c.nodeHeartbeat(nodeId, secretId),
      true,
    );
  }

  /**
   * A heartbeat (status undefined) or status update on the leader: resets the node's TTL and
   * writes to Raft only when the status changes (a heartbeat from a node marked down brings it
   * back to ready), so that steady-state heartbeats cost no log entries.
   */
  private async changeNodeStatus(
    nodeId: string,
    secretId: string,
    status: NodeStatus | undefined,
  ): Promise<NodeUpdateResult> {
    const duties = this.c.leaderDuties();
    const node = this.authNode(nodeId, secretId);
    const target =
      status ?? (node.Status === "down" || node.Status === "disconnected" ? "ready" : node.Status);
    let index = this.c.state().tableIndex("nodes");
    let evals: Evaluation[] = [];
    if (target !== node.Status) {
      const now = this.c.now();
      const transition = target === "ready" || target === "down";
      evals = transition ? nodeEvals(this.c.state(), nodeId, node.ModifyIndex, "node-update", now) : [];
      const description = status === undefined ? "node heartbeat resumed" : `node reported ${target}`;
      ({ index } = await this.c.propose({
        type: "node-status",
        Updates: [{ NodeID: nodeId, Status: target, StatusDescription: description, UpdatedAt: now }],
        Evals: evals,
      }));
    }
    const ttl = target === "down" ? 0 : duties.heartbeat(nodeId);
    return this.nodeUpdateResult(index, ttl, evals);
  }

  nodeDeregister(nodeId: string): Promise<number> {
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const node = state.nodeByID(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        const evals = nodeEvals(state, nodeId, node.ModifyIndex, "node-update", this.c.now());
        return (await this.c.propose({ type: "node-deregister", NodeIDs: [nodeId], Evals: evals })).index;
      },
      (c) => c.nodeDeregister(nodeId),
    );
  }

  /**
   * Starts, changes or ends a node's drain (Nomad's Node.UpdateDrain). The server's clock sets
   * StartedAt (kept when a running drain is changed) and ForceDeadline; the leader's drainer does
   * the rest. Each change is recorded as a node event.
   */
  nodeUpdateDrain(nodeId: string, drain: DrainStrategy | null, markEligible: boolean): Promise<number> {
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const node = state.nodeByID(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        const now = this.c.now();
        // As Nomad: the drainer moves allocations (no evals to start a drain); a node made eligible
        // again gets its node evals, so that system jobs and blocked work can use it.
        const evals =
          drain === null && markEligible
            ? nodeEvals(state, nodeId, node.ModifyIndex, "node-update", now)
            : [];
        const strategy = drain === null ? null : drainStrategyAt(drain, node.DrainStrategy, now);
        const message =
          drain === null
            ? DRAIN_EVENT_DISABLED
            : node.DrainStrategy === null
              ? DRAIN_EVENT_SET
              : DRAIN_EVENT_UPDATED;
        const update = {
          NodeID: nodeId,
          DrainStrategy: strategy,
          MarkEligible: markEligible,
          UpdatedAt: now,
          Event: { Message: message, Subsystem: "Drain", Details: {}, Timestamp: now, CreateIndex: 0 },
          IfDrainStartedAt: null,
        };
        return (await this.c.propose({ type: "node-drain", Updates: [update], Evals: evals })).index;
      },
      (c) => c.nodeUpdateDrain(nodeId, drain, markEligible),
    );
  }

  nodeUpdateEligibility(nodeId: string, eligibility: SchedulingEligibility): Promise<number> {
    if (eligibility !== "eligible" && eligibility !== "ineligible") {
      throw new ValidationError("eligibility must be eligible or ineligible", "NodeUpdateEligibility");
    }
    return this.c.write(
      async () => {
        this.c.leaderDuties();
        const state = this.c.state();
        const node = state.nodeByID(nodeId);
        if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
        const now = this.c.now();
        const evals =
          eligibility === "eligible" ? nodeEvals(state, nodeId, node.ModifyIndex, "node-update", now) : [];
        const update = { NodeID: nodeId, Eligibility: eligibility, UpdatedAt: now };
        return (await this.c.propose({ type: "node-eligibility", Updates: [update], Evals: evals })).index;
      },
      (c) => c.nodeUpdateEligibility(nodeId, eligibility),
    );
  }

  nodeList(query: QueryOptions): Promise<QueryResult<Node[]>> {
    return this.c.read(
      query,
      ["nodes"],
      (s) =>
        [...s.nodes()]
          .filter((n) => query.prefix === undefined || n.ID.startsWith(query.prefix))
          .map(withoutSecret),
      (c) => c.nodeList(query),
    );
  }

  nodeGet(id: string, query: QueryOptions): Promise<QueryResult<Node | undefined>> {
    return this.c.read(
      query,
      ["nodes"],
      (s) => {
        const node = s.nodeByID(id);
        return node === undefined ? undefined : withoutSecret(node);
      },
      (c) => c.nodeGet(id, query),
    );
  }

  private nodeUpdateResult(index: number, ttlMs: number, evals: readonly Evaluation[]): NodeUpdateResult {
    return {
      heartbeatTtlMs: ttlMs,
      evalIds: evals.map((e) => e.ID),
      evalCreateIndex: evals.length > 0 ? index : 0,
      nodeModifyIndex: index,
      index,
      leaderRpcAddress: this.c.cluster.leader()?.rpcAddress ?? "",
      servers: this.c.cluster.peers(),
    };
  }

  private authNode(nodeId: string, secretId: string): Node {
    const node = this.c.state().nodeByID(nodeId);
    if (node === undefined) throw new NotFoundError(`node ${nodeId} not found`);
    if (node.SecretID !== secretId) throw new PreconditionError(`node ${nodeId}: wrong SecretID`);
    return node;
  }
}

function withoutSecret(node: Node): Node {
  return node.SecretID === "" ? node : { ...node, SecretID: "" };
}

/** Nomad's node drain event messages. */
export const DRAIN_EVENT_SET = "Node drain strategy set";
export const DRAIN_EVENT_UPDATED = "Node drain strategy updated";
export const DRAIN_EVENT_DISABLED = "Node drain disabled";

/**
 * The stored strategy: a drain that was already running keeps its StartedAt; a positive Deadline
 * counts from now (as Nomad), a forced one (negative) is due now, none (0) never is.
 */
function drainStrategyAt(drain: DrainStrategy, running: DrainStrategy | null, now: number): DrainStrategy {
  if (typeof drain.Deadline !== "number" || !Number.isFinite(drain.Deadline)) {
    throw new ValidationError("Deadline must be a number of nanoseconds", "DrainStrategy");
  }
  return {
    Deadline: drain.Deadline,
    IgnoreSystemJobs: drain.IgnoreSystemJobs === true,
    ForceDeadline: drain.Deadline > 0 ? now + drain.Deadline : drain.Deadline < 0 ? now : 0,
    StartedAt: running?.StartedAt ?? now,
  };
}

function validateNode(node: Node): Node {
  const where = "Node";
  if (typeof node !== "object" || node === null) throw new ValidationError("must be an object", where);
  for (const key of ["ID", "SecretID", "Name"] as const) {
    if (typeof node[key] !== "string" || node[key] === "")
      throw new ValidationError(`${key} must be a non-empty string`, where);
  }
  // The name is shown in the UI, logs and `drover node status`; the ID keys the store.
  for (const key of ["ID", "Name"] as const) {
    const problem = pathComponentProblem(node[key]);
    if (problem !== undefined) throw new ValidationError(problem, `Node.${key}`);
  }
  if (!NODE_STATUSES.includes(node.Status))
    throw new ValidationError(`Status must be one of ${NODE_STATUSES.join(", ")}`, where);
  const res = node.NodeResources;
  if (typeof res?.Cpu?.CpuShares !== "number" || typeof res?.Memory?.MemoryMB !== "number") {
    throw new ValidationError(
      "NodeResources.Cpu.CpuShares and NodeResources.Memory.MemoryMB are required",
      where,
    );
  }
  return node;
}
